"""The bundled sample (``coach/sample``): four made-up accounts, for the demo, the web app's first run and tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coach.ingest import expand_paths, read_file
from coach.ingest.common import parse_date
from coach.ingest.pipeline import IngestPipeline, IngestReport


def sample_meta(path: Path) -> dict[str, object]:
    """Defaults a sample file's ``.meta`` sidecar gives (``key: value`` lines), as ``coach ingest`` flags would."""
    meta = path.with_suffix(".meta")
    if not meta.exists():
        return {}
    pairs = (line.split(":", 1) for line in meta.read_text().splitlines() if ":" in line)
    values: dict[str, object] = {k.strip(): v.strip() for k, v in pairs}
    if "date" in values:
        values["date"] = parse_date(values["date"])
    return values


def load_sample(pipeline: IngestPipeline) -> IngestReport:
    """Import the sample (idempotent). Records that say who is internal go first, so e-mail sides are known."""
    report = IngestReport()
    with resources.as_file(resources.files("coach") / "sample") as folder:
        files, _ = expand_paths([Path(folder)])
        for path in sorted(files, key=lambda p: (p.suffix != ".jsonl", p.name)):
            report.merge(pipeline.ingest(read_file(path, pipeline.defaults(**sample_meta(path)))))
    return report


def sample_cassette() -> Path:
    """The sample's recorded model answers (``coach demo --engine llm`` with no model configured)."""
    return Path(str(resources.files("coach") / "cassettes" / "sample.jsonl"))
