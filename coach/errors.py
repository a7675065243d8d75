"""The coach's error tree. The API maps these to HTTP statuses in one place.

CoachError
 ├── NotFound          an account or interaction that does not exist (or is not visible)
 │    └── NotVisible          it exists but the user may not see it: answered exactly like NotFound, audited
 ├── Forbidden         the user may see this but not do that (or an account of that name is another team's)
 │    └── AccessNeeded        a write names an account another team holds: ask its managers for access
 ├── InvalidInput      a record, file or argument the coach cannot accept; says what to fix
 │    ├── UnsupportedSource   a file type no ingest source reads
 │    └── TooLarge            a note or batch over the configured limit
 └── StoreError        the relational store or the index failed
"""


class CoachError(Exception):
    """Base of every error the coach raises on purpose."""


class NotFound(CoachError):
    pass


class NotVisible(NotFound):
    """Said to the user exactly as NotFound; the audit trail records the refused attempt on ``account``."""

    def __init__(self, message: str, account: str | None = None) -> None:
        super().__init__(message)
        self.account = account


class Forbidden(CoachError):
    pass


class AccessNeeded(Forbidden):
    pass


class InvalidInput(CoachError):
    pass


class UnsupportedSource(InvalidInput):
    pass


class TooLarge(InvalidInput):
    pass


class StoreError(CoachError):
    pass
