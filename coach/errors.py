"""The coach's error tree. The API maps these to HTTP statuses in one place.

CoachError
 ├── NotFound          an account or interaction that does not exist (or is not visible)
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
