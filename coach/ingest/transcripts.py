"""Meeting transcripts: QMSum/AMI JSON turns, ``Speaker: text`` plain text, and WebVTT captions.

A transcript becomes one meeting whose text is one line per speaker turn
(``Speaker: words``), so chunks break on turns and a quote names its speaker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from coach.ingest.common import RecordError, SourceDefaults, check_record
from coach.records import InteractionRecord, Participant, Rejection

# Transcription markers such as {vocalsound} or {disfmarker}: noise for analysis and search.
_MARKER = re.compile(r"\{[a-z_]+\}", re.IGNORECASE)
_TIMESTAMP = r"(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\)?\]?\s*)?"
_SPEAKER_LINE = re.compile(
    rf"^\s*{_TIMESTAMP}(?P<speaker>[A-Z][\w.'’\- ]{{0,38}}?[\w.)])\s*(?:\({_TIMESTAMP}\))?\s*:\s+(?P<words>\S.*)$"
)
_NOT_SPEAKERS = {
    "note",
    "notes",
    "action",
    "actions",
    "next steps",
    "agenda",
    "subject",
    "re",
    "fw",
    "fwd",
    "date",
    "to",
    "from",
    "cc",
    "todo",
    "decision",
    "decisions",
    "summary",
    "attendees",
    "when",
}


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str
    words: str


def render_turns(turns: list[Turn]) -> tuple[str, list[tuple[int, int]]]:
    """The transcript text (one line per turn) and each turn's character span in it."""
    lines, spans, pos = [], [], 0
    for turn in turns:
        line = f"{turn.speaker}: {turn.words}"
        lines.append(line)
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return "\n".join(lines), spans


def clean_words(words: str) -> str:
    return " ".join(_MARKER.sub(" ", words).split())


def qmsum_turns(obj: object) -> list[Turn]:
    """Turns of a QMSum meeting (``meeting_transcripts``: [{speaker, content}, ...]), markers removed.

    Every source turn yields one Turn, even one left empty by removing markers, so
    turn numbers in QMSum's spans still index the result.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("meeting_transcripts"), list):
        raise RecordError("a .json transcript needs a 'meeting_transcripts' list of {speaker, content} turns")
    turns = []
    for i, item in enumerate(obj["meeting_transcripts"]):
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise RecordError(f"turn {i + 1} needs 'speaker' and 'content' strings")
        speaker = str(item.get("speaker") or "Unknown").strip() or "Unknown"
        turns.append(Turn(speaker, clean_words(item["content"]) or "…"))
    if not turns:
        raise RecordError("the transcript has no turns")
    return turns


def read_qmsum(data: str, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    try:
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as exc:
            raise RecordError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        except RecursionError:
            raise RecordError("the JSON is nested too deeply to be a transcript") from None
        yield check_record(_meeting(qmsum_turns(obj), name, defaults), defaults)
    except RecordError as exc:
        yield Rejection(name, str(exc))


def speaker_turns(text: str) -> list[Turn] | None:
    """Turns of a ``Speaker: words`` transcript, or None when the text does not read as one.

    It reads as one when most non-blank lines start with a speaker and at least two
    different people speak; continuation lines join the turn above.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        return None
    turns: list[Turn] = []
    matched = 0
    for line in lines:
        match = _SPEAKER_LINE.match(line)
        if match and match.group("speaker").strip().casefold() not in _NOT_SPEAKERS:
            matched += 1
            turns.append(Turn(match.group("speaker").strip(), match.group("words").strip()))
        elif turns:
            turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].words} {line.strip()}")
        else:
            return None
    speakers = {t.speaker for t in turns}
    if matched / len(lines) < 0.6 or len(speakers) < 2:
        return None
    return turns


def vtt_turns(text: str) -> list[Turn]:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_string(text)
    except MalformedFileError as exc:
        raise RecordError(f"not a valid WebVTT file: {exc}") from None
    turns: list[Turn] = []
    for caption in captions.captions:
        words = " ".join(caption.text.split())
        if not words:
            continue
        speaker = caption.voice
        if not speaker:
            match = _SPEAKER_LINE.match(words)
            speaker, words = (match.group("speaker"), match.group("words")) if match else ("Unknown", words)
        if turns and turns[-1].speaker == speaker:
            turns[-1] = Turn(speaker, f"{turns[-1].words} {words}")
        else:
            turns.append(Turn(speaker.strip(), words))
    if not turns:
        raise RecordError("the WebVTT file has no captions")
    return turns


def read_vtt(data: str, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    try:
        yield check_record(_meeting(vtt_turns(data), name, defaults), defaults)
    except RecordError as exc:
        yield Rejection(name, str(exc))


def _meeting(turns: list[Turn], name: str, defaults: SourceDefaults) -> InteractionRecord:
    text, _ = render_turns(turns)
    seen: dict[str, Participant] = {}
    for turn in turns:
        if turn.speaker != "Unknown":
            seen.setdefault(turn.speaker.casefold(), Participant(name=turn.speaker))
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return InteractionRecord(
        account=defaults.account or "",
        text=text,
        origin=name,
        kind=defaults.kind or "meeting",
        subject=stem,
        participants=list(seen.values()),
        extra={"source_file": name.rsplit("/", 1)[-1], "turns": len(turns)},
    )
