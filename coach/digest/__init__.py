"""Weekly coaching digests for managers: built from the judged accounts, rendered, delivered once."""

from coach.digest.build import DigestBuilder, parse_week
from coach.digest.model import Digest

__all__ = ["Digest", "DigestBuilder", "parse_week"]
