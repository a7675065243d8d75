"""Logging interactions as a signed-in user (the web form, the API, the Slack bot).

Each object is checked on its own (the interaction contract, size, date range,
an id that can be opened again); the good ones are stored through the ingest
pipeline in one go, so one bad note never keeps the others out. Whether the user
may write into the account (and over the id) a record names is decided by the
pipeline inside its write transaction (coach.tenancy), never read beforehand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from coach.auth import Accounts, User
from coach.errors import AccessNeeded, InvalidInput, NotFound, TooLarge
from coach.ingest.common import RecordError, SourceDefaults, check_record
from coach.ingest.jsonl import record_from_object
from coach.ingest.pipeline import IngestPipeline
from coach.parts import IngestParts
from coach.records import InteractionRecord

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Logged:
    index: int
    status: Literal["added", "updated", "unchanged", "rejected", "pending"]
    id: str | None = None
    reason: str | None = None
    error: Exception | None = None


class Logbook:
    def __init__(self, workspace: IngestParts, accounts: Accounts) -> None:
        self.ws = workspace
        self.accounts = accounts

    def log(self, user: User, objects: list[dict[str, Any]], origin: str = "api") -> list[Logged]:
        results: list[Logged] = []
        good: list[tuple[int, InteractionRecord]] = []
        pipeline = IngestPipeline(self.ws)
        defaults = pipeline.defaults()
        for index, obj in enumerate(objects):
            try:
                record = self._check(user, obj, f"{origin}:{user.email}:{index + 1}", defaults)
            except (InvalidInput, NotFound) as exc:
                results.append(Logged(index, "rejected", reason=str(exc), error=exc))
                continue
            good.append((index, record))
            results.append(Logged(index, "pending", id=record.interaction_id()))
        if good:
            report = pipeline.ingest([r for _, r in good], logged_by=user.id, checked=True)
            failed = {r.origin: r for r in report.rejected}
            for index, record in good:
                item = results[index]
                if record.origin in failed:
                    refused = failed[record.origin]
                    item.status, item.reason = "rejected", refused.reason
                    item.error = (
                        AccessNeeded(refused.reason) if refused.access else InvalidInput(refused.reason)
                    )
                elif item.id in report.added:
                    item.status = "added"
                elif item.id in report.updated:
                    item.status = "updated"
                else:
                    item.status = "unchanged"
        return results

    def log_one(self, user: User, obj: dict[str, Any], origin: str = "api") -> Logged:
        (result,) = self.log(user, [obj], origin)
        if result.error is not None:
            raise result.error
        return result

    def _check(
        self, user: User, obj: dict[str, Any], origin: str, defaults: SourceDefaults
    ) -> InteractionRecord:
        limit = self.ws.settings.api_max_text_bytes
        text = obj.get("text") if isinstance(obj, dict) else None
        if isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > limit:
            raise TooLarge(
                f"the text is {len(text.encode('utf-8', 'surrogatepass')):,} bytes; the limit is "
                f"{limit:,} (split it, or raise COACH_API_MAX_TEXT_BYTES)"
            )
        try:
            record = check_record(record_from_object(obj, origin), defaults)
        except RecordError as exc:
            raise InvalidInput(str(exc)) from None
        if not record.account:
            raise InvalidInput("'account' is missing")
        self._check_date(record)
        return record

    def _check_date(self, record: InteractionRecord) -> None:
        when = record.occurred_at
        if when is None:
            return
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        latest = datetime.now(UTC) + timedelta(days=self.ws.settings.api_max_future_days)
        if when > latest:
            raise InvalidInput(f"the date {when.date()} is in the future; log interactions that happened")
        if when < EARLIEST:
            raise InvalidInput(f"the date {when.date()} is before {EARLIEST.date()}; check the year")
