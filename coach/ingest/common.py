"""What every source shares: defaults from the command line, dates, decoding and record checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import cast

from dateutil import parser as dateparser

from coach.ingest.threads import split_body
from coach.records import KINDS, InteractionRecord, Kind, clean

MAX_ID_LENGTH = 200
ID_BREAKERS = "/\\?#"  # an id with these cannot be opened again (/interactions/{id} in the pages and the API)
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100


class RecordError(ValueError):
    """A record the coach cannot accept; the message says what to fix."""


@dataclass(slots=True)
class SourceDefaults:
    """What the user said on the command line, for records that do not say it themselves."""

    account: str | None = None
    kind: Kind | None = None
    date: datetime | None = None
    rep: str | None = None
    series: str | None = None
    internal_domains: set[str] = field(default_factory=set)
    csv_mapping: dict[str, str] = field(default_factory=dict)
    max_text_bytes: int = 1024 * 1024
    # Latest date accepted (now plus a day for time zones by default): notes record what happened.
    max_future_days: int = 1
    # Finds the account whose customer people use an e-mail domain (set by the pipeline).
    account_for_domain: Callable[[str], str | None] | None = None


def parse_date(value: object, *, strict_iso: bool = False) -> datetime:
    """An aware UTC datetime from an ISO 8601 string (or, unless strict, any common date format)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = dateparser.isoparse(text)
        except (ValueError, OverflowError):
            if strict_iso:
                raise RecordError(
                    f"date {text!r} is not ISO 8601 (use e.g. 2026-05-21 or 2026-05-21T14:30)"
                ) from None
            try:
                parsed = dateparser.parse(text)
            except (ValueError, OverflowError, dateparser.ParserError):
                raise RecordError(
                    f"date {text!r} is not a date the coach can read (use e.g. 2026-05-21)"
                ) from None
    else:
        raise RecordError(f"date {value!r} is not a date (use an ISO 8601 string, e.g. 2026-05-21)")
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise RecordError(f"date {value!r} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def date_only(day: datetime) -> datetime:
    return datetime.combine(day.date(), time(), tzinfo=UTC)


def parse_kind(value: object) -> Kind:
    if value is None or value == "":
        return "note"
    kind = str(value).strip().lower()
    if kind not in KINDS:
        raise RecordError(f"kind {value!r} is not one of {', '.join(KINDS)}")
    return cast(Kind, kind)


def looks_binary(data: bytes) -> bool:
    """Mostly control bytes (an image, a zip, UTF-16 without a BOM): not text. A stray NUL in a text file is not
    enough; it is removed from the record instead."""
    head = data[:8192]
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.1 or head.count(b"\x00") > max(4, len(head) // 100)


def decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RecordError(
            f"{what} is not valid UTF-8 (byte {exc.start}, line {line}); save it as UTF-8 and import it again"
        ) from None


def check_record(record: InteractionRecord, defaults: SourceDefaults) -> InteractionRecord:
    """Apply defaults and refuse what cannot be stored; raises RecordError naming the problem."""
    if not record.account or not record.account.strip():
        if not defaults.account:
            raise RecordError("no account: the record names none and no --account was given")
        record.account = defaults.account
    record.account = clean_name(record.account, "account name")
    if not record.account:
        raise RecordError("the account name has no visible characters")
    if len(record.account) > 300:
        raise RecordError("account name is longer than 300 characters")
    for who in record.participants:
        who.name = clean_name(who.name, "participant name") or "Unknown"
    if record.rep:
        record.rep = clean_name(record.rep, "rep") or None
    if record.rep is None and defaults.rep:
        record.rep = defaults.rep
    if record.series is None and defaults.series:
        record.series = defaults.series
    if record.occurred_at is None and defaults.date is not None:
        record.occurred_at = defaults.date
    if record.occurred_at is not None:
        latest = datetime.now(UTC) + timedelta(days=defaults.max_future_days)
        if record.occurred_at > latest:
            raise RecordError(
                f"the date {record.occurred_at.date()} is in the future; log interactions after they "
                "happen (COACH_API_MAX_FUTURE_DAYS allows a little slack for time zones)"
            )
    if record.text:
        record.text = CONTROL.sub("", record.text)  # NUL and other control characters: never stored
    if not record.text or not record.text.strip():
        raise RecordError("the text is empty")
    if record.kind == "email" and record.clean_text is None:
        # An e-mail pasted or exported with its thread: analysis reads the newest message only.
        newest, earlier = split_body(clean(record.text))
        if newest and earlier:
            record.clean_text, record.quoted_text = newest, earlier
    if not record.analysis_text.strip():
        raise RecordError("the text has nothing but quoted history, signatures or whitespace")
    size = len(record.text.encode("utf-8", "surrogatepass"))
    if size > defaults.max_text_bytes:
        raise RecordError(
            f"the text is {size:,} bytes, over the limit of {defaults.max_text_bytes:,} "
            "(COACH_MAX_TEXT_BYTES); split it into several interactions"
        )
    if _has_surrogates(record.text):
        raise RecordError(
            "the text holds unpaired surrogate characters (broken UTF-16); re-export it as UTF-8"
        )
    if record.source_id is not None:
        record.source_id = record.source_id.strip()
        if not record.source_id:
            record.source_id = None
        elif len(record.source_id) > MAX_ID_LENGTH:
            raise RecordError(f"id is longer than {MAX_ID_LENGTH} characters")
        elif found := sorted(set(record.source_id) & set(ID_BREAKERS)):
            raise RecordError(
                f"the id {record.source_id!r} contains {' '.join(repr(c) for c in found)}, which a link to the "
                "interaction cannot carry; use letters, digits, '-', '_', '.' or ':' (or leave 'id' out to have "
                "one derived)"
            )
    return record


_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LOOKALIKE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


def clean_name(value: str, what: str) -> str:
    """A name as a reader sees it: invisible and direction-changing characters removed, NFC, single spaces.
    A word that mixes Latin, Cyrillic or Greek letters (a look-alike such as "Pіnecrest" with a Cyrillic i) is
    refused: it would file notes under an account that looks like another one."""
    import unicodedata

    from coach.guard import INVISIBLE

    value = " ".join(unicodedata.normalize("NFC", INVISIBLE.sub("", CONTROL.sub("", value))).split())
    for word in re.findall(r"\w+", value):
        scripts = {unicodedata.name(ch, "?").split(" ")[0] for ch in word if ch.isalpha()}
        mixed = scripts & _LOOKALIKE_SCRIPTS
        if len(mixed) > 1:
            raise RecordError(
                f"{what} {value!r}: the word {word!r} mixes {' and '.join(sorted(s.title() for s in mixed))} "
                "letters (a look-alike of another name); retype it in one alphabet"
            )
    return value


def _has_surrogates(text: str) -> bool:
    return bool(_SURROGATE.search(text))
