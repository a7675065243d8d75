"""``.jsonl``: one interaction per line, per contract/interaction.schema.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coach.ingest.common import RecordError, SourceDefaults, check_record, parse_date, parse_kind
from coach.records import InteractionRecord, Participant, Rejection

_KNOWN = {
    "id",
    "account",
    "kind",
    "date",
    "rep",
    "participants",
    "subject",
    "series",
    "duration_minutes",
    "text",
}


def read_jsonl(data: bytes, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        origin = f"{name}:{number}"
        try:
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise RecordError(f"line is not valid UTF-8 (byte {exc.start} of the line)") from None
            try:
                obj = json.loads(line, strict=False)  # control characters in strings: removed later
            except json.JSONDecodeError as exc:
                raise RecordError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
            except RecursionError:
                raise RecordError("the JSON is nested too deeply to be an interaction") from None
            yield check_record(record_from_object(obj, origin), defaults)
        except RecordError as exc:
            yield Rejection(origin, str(exc))


def record_from_object(obj: Any, origin: str) -> InteractionRecord:
    """An InteractionRecord from one object of the interaction contract (also used by the API)."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise RecordError("'text' is missing or not a string")
    account = obj.get("account")
    if account is not None and not isinstance(account, str):
        raise RecordError("'account' must be a string")
    for key in ("id", "rep", "subject", "series"):
        if obj.get(key) is not None and not isinstance(obj[key], (str, int)):
            raise RecordError(f"'{key}' must be a string")
    duration = obj.get("duration_minutes")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0
    ):
        raise RecordError("'duration_minutes' must be a number of minutes, 0 or more")
    return InteractionRecord(
        account=account or "",
        text=text,
        origin=origin,
        kind=parse_kind(obj.get("kind")),
        occurred_at=parse_date(obj["date"], strict_iso=True) if obj.get("date") not in (None, "") else None,
        source_id=str(obj["id"]) if obj.get("id") not in (None, "") else None,
        rep=_opt_str(obj.get("rep")),
        subject=_opt_str(obj.get("subject")),
        series=_opt_str(obj.get("series")),
        duration_minutes=float(duration) if duration is not None else None,
        participants=_participants(obj.get("participants")),
        extra={k: v for k, v in obj.items() if k not in _KNOWN},
    )


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _participants(value: Any) -> list[Participant]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError("'participants' must be a list of objects with a 'name'")
    people = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise RecordError(f"participant {i + 1} needs a 'name'")
        side = item.get("side")
        if side not in (None, "customer", "internal"):
            raise RecordError(f"participant {item['name']!r}: side must be 'customer' or 'internal'")
        people.append(
            Participant(
                name=item["name"].strip(),
                email=_opt_str(item.get("email")),
                title=_opt_str(item.get("title")),
                side=side,
            )
        )
    return people


def read_path(path: Path, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    yield from read_jsonl(path.read_bytes(), str(path), defaults)
