"""Why a case command was refused, said once in English (the API) and once in Swedish (the staff UI).

They are problems (`app/errors.py`): the staff API answers them as
problem+json; the page error handler (`app/web/errors.py`) shows `detail_sv`.
"""

from __future__ import annotations

from app.errors import Problem


class CaseWorkError(Problem):
    def __init__(self, status: int, detail: str | None, detail_sv: str, *, title: str | None = None,
                 errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(status, detail, title=title, errors=errors)
        self.detail_sv = detail_sv


class NotInScope(CaseWorkError):
    """Outside what this person may see or do: 404, never 403 (they are not told it exists)."""

    def __init__(self, what: str = "case") -> None:
        super().__init__(404, f"No {what} with this id in your scope",
                         "Sidan eller ärendet finns inte, eller så har du inte behörighet att se det.")


class NotNow(CaseWorkError):
    """The case's status does not allow the command (see `transitions.ALLOWED`)."""

    def __init__(self, status: str) -> None:
        if status == "closed":
            super().__init__(409, "The case is closed", "Ärendet är avslutat.", title="Case closed")
        else:
            super().__init__(409, "The case is open; only a closed case can be reopened",
                             "Ärendet är redan öppet.", title="Case open")


class Refused(CaseWorkError):
    """A value the domain does not accept: the field, what is wrong, and what to do in Swedish."""

    def __init__(self, field: str, message: str, message_sv: str) -> None:
        super().__init__(422, None, message_sv, errors=[{"field": field, "message": message}])
