"""Pick the Kronofogden client from the settings.

    url set         → HttpKronofogdenClient (the protocol in `http.py`)
    otherwise       → FileKronofogdenClient writing to `outbox_dir` (development,
                      the demo: the acknowledgements are files an operator can
                      read and forward)
    neither         → ValueError: the acknowledgement is a same-day legal duty,
                      so it is never silently dropped.
"""

from __future__ import annotations

import os

from integrations.kronofogden.http import HttpKronofogdenClient
from integrations.kronofogden.local import FileKronofogdenClient
from integrations.kronofogden.protocol import KronofogdenClient

__all__ = ["kronofogden_client_from_settings"]


def kronofogden_client_from_settings(
    url: str | None,
    api_key: str | None,
    outbox_dir: str | os.PathLike[str] | None,
    *,
    timeout: float = 5.0,
    retries: int = 2,
) -> KronofogdenClient:
    if url:
        return HttpKronofogdenClient(url, api_key, timeout=timeout, retries=retries)
    if outbox_dir:
        return FileKronofogdenClient(outbox_dir)
    raise ValueError("configure a Kronofogden URL or a directory for acknowledgement files")
