"""Free text: a pasted note, a ``.txt`` or ``.md`` file. A text that reads as a transcript is a meeting."""

from __future__ import annotations

from collections.abc import Iterator

from coach.ingest.common import RecordError, SourceDefaults, check_record
from coach.ingest.transcripts import render_turns, speaker_turns
from coach.records import InteractionRecord, Participant, Rejection


def read_text(text: str, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    try:
        yield check_record(note_record(text, name, defaults), defaults)
    except RecordError as exc:
        yield Rejection(name, str(exc))


def note_record(text: str, name: str, defaults: SourceDefaults) -> InteractionRecord:
    turns = speaker_turns(text)
    participants: list[Participant] = []
    clean_text = None
    if turns is not None:
        clean_text, _ = render_turns(turns)
        names = dict.fromkeys(t.speaker for t in turns)
        participants = [Participant(name=n) for n in names if n != "Unknown"]
    return InteractionRecord(
        account=defaults.account or "",
        text=text,
        origin=name,
        kind=defaults.kind or ("meeting" if turns is not None else "note"),
        participants=participants,
        clean_text=clean_text,
    )
