"""Files that hold personal data (letters, mails, reports, outbox files): readable by the service's user only.

Every file Varsel writes under VARSEL_STORAGE_DIR goes through `write_private`:
the file is created 0600 from its first byte (never world-readable for an
instant, whatever the process umask), written aside and moved into place, so a
reader never sees half a file. Folders it creates are 0700. Folders that
already exist keep their mode: an operator's choice (or a folder given on the
command line) is not changed behind their back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` and any missing parents 0700; return it."""
    folder = Path(path)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it first
            continue
        # mkdir's mode is filtered by the umask; a umask can only remove bits, but say it exactly.
        os.chmod(candidate, DIR_MODE)
    return folder


def write_private(path: str | os.PathLike[str], data: bytes, *, replace: bool = True) -> bool:
    """Write `data` to `path` as a 0600 file, atomically.

    With `replace=False` an existing file wins: nothing is written and False is
    returned (two writers of one idempotent file produce one file).
    """
    target = Path(path)
    folder = private_dir(target.parent)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".partial-")  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, target)
            return True
        try:
            os.link(temporary, target)  # fails if the file exists
        except FileExistsError:
            return False
        return True
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
