"""WeasyPrint, loaded on first use — and a clear answer where it cannot run.

Letters (`notifications/letters.py`) and the monthly report (`app/reports/render.py`)
become PDFs through WeasyPrint, which needs the system's Pango (Debian:
``libpango-1.0-0 libpangoft2-1.0-0``; ``fonts-dejavu-core`` for the letters' font).
Without Pango, importing weasyprint fails with an OSError from the library loader.
Varsel then runs on without PDFs:

* the first failure is logged once, as ``pdf_rendering_unavailable`` with the
  reason and the packages to install;
* every letter or report asked for raises `PdfUnavailable`: the outbox keeps the
  letter and retries it later (Administration → Utskick says what is
  missing), an API or page request answers 503, the CLI prints the sentence;
* nothing else depends on it: the server, the scheduler, the other formats and
  the demo work as before. Once the packages are installed, the next attempt
  renders (the import is tried again each time until it succeeds).
"""

from __future__ import annotations

import threading
from types import ModuleType

import structlog

from app.errors import Problem
from app.vocabulary_records import DeliveryFailure

__all__ = ["PANGO_PACKAGES", "PdfUnavailable", "weasyprint"]

log = structlog.get_logger("varsel.pdf")

PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"

_reported = threading.Event()


class PdfUnavailable(Problem):
    """No PDF can be made on this machine now.

    A `Problem` (503), so that a request asking for a PDF gets problem+json or the
    error page without each endpoint catching it; elsewhere an ordinary exception
    whose message says what to install.
    """

    failure_kind = DeliveryFailure.PDF_UNAVAILABLE  # in the outbox: retried, and a retry can help

    def __init__(self) -> None:
        super().__init__(
            503,
            "PDF rendering is not available on this server: WeasyPrint cannot load Pango. "
            f"The operator installs the Debian packages {PANGO_PACKAGES}; other formats work meanwhile.",
            type_="pdf-unavailable",
            title="PDF rendering unavailable",
        )
        # What a page says instead (app/web/errors.py): the reason, in Swedish, without the packages' names.
        self.detail_sv = ("PDF-filer kan inte skapas på servern just nu. Andra format (till exempel CSV) går att "
                          "ladda ned; be administratören installera det som saknas för PDF.")


def weasyprint() -> ModuleType:
    """The weasyprint module (with `weasyprint.urls`); PdfUnavailable where it cannot load."""
    try:
        import weasyprint as module
        import weasyprint.urls  # noqa: F401 - the URL fetcher and its errors
    except (ImportError, OSError) as exc:
        if not _reported.is_set():
            _reported.set()
            log.error("pdf_rendering_unavailable", reason=f"{type(exc).__name__}: {exc}"[:300],
                      install=PANGO_PACKAGES)
        raise PdfUnavailable() from exc
    return module
