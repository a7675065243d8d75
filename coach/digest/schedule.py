"""An optional in-process weekly schedule for digests (``coach serve --digests "mon 07:00"``).

One thread in the serving process (not per worker) wakes at the given local
weekday and time and runs ``coach digest send`` for the week just ended. Sends are
idempotent, so a restart, a second server or cron running as well never sends a
digest twice. Without the flag, run ``coach digest send`` from cron.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from coach.errors import InvalidInput

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_spec(spec: str) -> tuple[int, int, int]:
    """'mon 07:00' to (weekday, hour, minute)."""
    m = re.fullmatch(r"\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*", spec.lower())
    if not m or m.group(1) not in DAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise InvalidInput(f'{spec!r} is not a weekly time; use e.g. "mon 07:00"')
    return DAYS.index(m.group(1)), int(m.group(2)), int(m.group(3))


def next_run(now: datetime, spec: str) -> datetime:
    weekday, hour, minute = parse_spec(spec)
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(
        days=(weekday - now.weekday()) % 7
    )
    return candidate if candidate > now else candidate + timedelta(days=7)


def start(
    spec: str, send: Callable[[], object], now: Callable[[], datetime] = datetime.now
) -> threading.Thread:
    parse_spec(spec)

    def loop() -> None:
        while True:
            due = next_run(now(), spec)
            while (left := (due - now()).total_seconds()) > 0:
                threading.Event().wait(min(left, 60))
            try:
                log.warning("weekly digests: %s", send())
            except Exception:
                log.exception("weekly digests failed")

    thread = threading.Thread(target=loop, name="coach-digests", daemon=True)
    thread.start()
    return thread
