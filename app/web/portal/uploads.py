"""A CSV file between its preview and its confirmation: on the server, encrypted, small, short-lived.

The preview must not lose the file, and the file holds identity numbers: it never
goes into a URL or back to the browser. It is kept as one `portal_uploads` row per
portal session (a new upload replaces the previous one), AES-GCM encrypted under
VARSEL_DATA_KEY and bound to that session, for `KEEP_FOR`; confirming takes it
(the row is deleted), and it is deleted with its session (sign-out and the nightly
purge of ended sessions).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.ids import new_id
from app.security.crypto import decrypt, encrypt
from app.security.models import PortalUpload
from app.web.portal.session import PortalUser

KEEP_FOR = timedelta(minutes=30)
MAX_FILENAME = 200


def _context(portal: PortalUser) -> str:
    return f"portal.upload:{portal.session.id}"


def keep(session: Session, settings: Settings, portal: PortalUser, filename: str | None, text: str,
         now: datetime) -> PortalUpload:
    session.execute(delete(PortalUpload).where(PortalUpload.session_id == portal.session.id)
                    .execution_options(synchronize_session=False))
    row = PortalUpload(id=new_id(), session_id=portal.session.id, created_at=now, expires_at=now + KEEP_FOR,
                       filename=(filename or "")[:MAX_FILENAME] or None,
                       content_encrypted=encrypt(settings.data_key, text, context=_context(portal)))
    session.add(row)
    session.flush()
    return row


def take(session: Session, settings: Settings, portal: PortalUser, upload_id: str,
         now: datetime) -> tuple[str | None, str] | None:
    """(file name, text) of this session's unexpired upload, which is deleted; None when there is none."""
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        return None
    row = session.scalar(select(PortalUpload).where(PortalUpload.id == key,
                                                    PortalUpload.session_id == portal.session.id))
    if row is None:
        return None
    session.delete(row)
    session.flush()
    if row.expires_at <= now:
        return None
    return row.filename, decrypt(settings.data_key, row.content_encrypted, context=_context(portal))
