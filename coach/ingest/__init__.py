"""Sources of interactions. ``read_file`` picks the source by extension; each yields records or rejections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from coach.ingest.common import RecordError, SourceDefaults, decode_utf8, looks_binary
from coach.ingest.crm_csv import read_csv
from coach.ingest.email import read_eml, read_mbox
from coach.ingest.jsonl import read_jsonl
from coach.ingest.text import read_text
from coach.ingest.transcripts import read_qmsum, read_vtt
from coach.records import InteractionRecord, Rejection

__all__ = ["SUFFIXES", "SourceDefaults", "expand_paths", "read_file", "read_text"]

Item = InteractionRecord | Rejection

_BYTE_SOURCES = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".eml": read_eml,
    ".mbox": read_mbox,
    ".csv": read_csv,
}
_TEXT_SOURCES = {".json": read_qmsum, ".vtt": read_vtt, ".txt": read_text, ".md": read_text}
SUFFIXES = tuple(sorted(_BYTE_SOURCES) + sorted(_TEXT_SOURCES))


def read_file(path: Path, defaults: SourceDefaults) -> Iterator[Item]:
    """The records of one file. A reader that fails unexpectedly on a malformed file costs the rest of that file
    only (reported as a rejection); the records before it and every other file still go in."""
    try:
        yield from _read_file(path, defaults)
    except (
        RecordError,
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
        RecursionError,
        UnicodeError,
    ) as exc:
        yield Rejection(
            str(path),
            f"could not read the rest of this file ({type(exc).__name__}: {exc}); "
            "check that it is what its extension says",
        )


def _read_file(path: Path, defaults: SourceDefaults) -> Iterator[Item]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in _BYTE_SOURCES and suffix not in _TEXT_SOURCES:
        yield Rejection(
            name, f"unknown file type {suffix or '(none)'}: the coach reads {', '.join(SUFFIXES)}"
        )
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Rejection(name, f"cannot read the file: {exc.strerror or exc}")
        return
    if not data.strip():
        yield Rejection(name, "the file is empty")
        return
    if looks_binary(data) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield Rejection(name, "this is a binary file, not text; export it as text first")
        return
    if suffix in _BYTE_SOURCES:
        yield from _BYTE_SOURCES[suffix](data, name, defaults)
        return
    try:
        text = decode_utf8(data, name)
    except RecordError as exc:
        yield Rejection(name, str(exc))
        return
    yield from _TEXT_SOURCES[suffix](text, name, defaults)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to read: the named files, and the readable files under named folders.

    Returns (files, skipped): files in folders without a known extension are
    skipped (reported, not rejected); a named file is always tried.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith("."):
                    continue
                (files if child.suffix.lower() in SUFFIXES else skipped).append(child)
        else:
            files.append(path)
    return files, skipped
