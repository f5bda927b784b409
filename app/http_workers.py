"""`varsel serve --workers N`: uvicorn's supervisor of worker processes, with Nagle's algorithm off.

uvicorn (0.54) binds the listening socket its workers share without naming the protocol
(`Config.bind_socket`: `proto` 0). Each accepted connection inherits that, and asyncio turns
Nagle's algorithm off (`TCP_NODELAY`) only on a socket that says `IPPROTO_TCP`. With Nagle on, an
answer written in two parts — uvicorn writes the headers, then the body — holds its second part
until the client acknowledges the first, and a client delays that acknowledgement: about 40 ms
on every keep-alive request after the first, on Linux. Two and four workers answered fewer
notices than one, the time spent idle (docs/performance.md, the sixteenth pass). One worker is
not affected: asyncio binds that socket itself, from the address. (uvicorn issue #3149.)
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def as_tcp(sock: socket.socket) -> socket.socket:
    """The same listening socket, marked as TCP so that its connections get `TCP_NODELAY`."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())


def run(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does for `workers` > 1, on a socket marked as TCP."""
    try:
        Multiprocess(config, sockets=[as_tcp(config.bind_socket())]).run()
    except KeyboardInterrupt:
        pass
