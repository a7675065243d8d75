"""Training the offline engine's sentence classifiers from a strong model's readings (distillation).

The LLM chain's read step answers, for every interaction, which sentences are the customer's problems,
complaints, requests and questions, how our side responded (fixed, planned, answered, vague), strategic topics,
decisions, commitments, vague next steps, firefights, report read-outs, pending business and assumed renewals,
each with a verbatim quote. Recorded answers (cassettes) replay those readings without a model. Each sentence the
offline reader finds gets the label of the quotes it overlaps, and ``coach.signals.sentences.fit`` trains the
heads on them, with the features the offline engine computes at run time.

    python -m coach.distil train [--out coach/signals/sentence_model.json] [--without NAME] \
        [--general ../shared/data] NAME=RECORDS.jsonl:CASSETTE.jsonl ... [sample=bundled:coach/cassettes/sample.jsonl]

``--without`` leaves a set out (the leave-one-set-out measure in bench/quality.py trains without the set it
scores). Nothing of a set's text goes into the model file: only weights over the features.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from coach.analysis import closing
from coach.analysis.judged import Judged
from coach.analysis.links import Link, Links, needs_link
from coach.config import Settings
from coach.embedding import Embedder
from coach.evidence import Quote
from coach.signals.facts import InteractionFacts, unpack_vector
from coach.signals.offline import InteractionView, OfflineExtractor
from coach.signals.sentences import MODEL_FILE, NONE, Labelled, SentenceModel, fit
from coach.signals.text import Directory, Sentence

FAR_FUTURE = date(2100, 1, 1)
_RESPONSE_RANK = {"vague": 1, "answered": 2, "planned": 3, "fixed": 4}


@dataclass(frozen=True, slots=True)
class ReadSet:
    """Records and a cassette of the read step's answers for them; ``records`` None is the bundled sample."""

    name: str
    records: Path | None
    cassette: Path


@dataclass(frozen=True, slots=True)
class ReadInteraction:
    """One interaction as both engines see it: the view, the account's directory, the model's facts, and for
    each problem it raised that stayed open there, the later sentence the model's link step said closed it."""

    set: str
    view: InteractionView
    directory: Directory
    facts: InteractionFacts
    links: dict[int, Link] = field(default_factory=dict)  # by where the problem's quote starts


def readings(sets: Sequence[ReadSet], embedder: Embedder) -> Iterator[ReadInteraction]:
    """Every interaction of ``sets`` with the facts the recorded model answers give it (no model is called)."""
    from coach.engines import analyzer, for_workspace
    from coach.ingest import read_file
    from coach.ingest.bundled import load_sample
    from coach.ingest.pipeline import IngestPipeline
    from coach.store.repository import Repository
    from coach.workspace import Workspace

    for read_set in sets:
        with tempfile.TemporaryDirectory(prefix="coach-distil-") as folder:
            settings = Settings(data_dir=Path(folder), llm_cassette=read_set.cassette, _env_file=None)
            workspace = Workspace(settings, embedder=embedder)
            try:
                pipeline = IngestPipeline(workspace)
                if read_set.records is None:
                    load_sample(pipeline)
                else:
                    pipeline.ingest(read_file(read_set.records, pipeline.defaults()))
                service = analyzer(workspace, for_workspace(workspace, "llm"))
                with workspace.db.session() as session:
                    names = [a.name for a in Repository(session).account_summaries()]
                for name in names:
                    analysis = service.account(name, FAR_FUTURE)
                    found = service.linker.links(name, analysis.judged) if service.linker else Links()
                    for judged in analysis.judged:
                        if judged.facts.fallback is None:  # only what the model answered teaches
                            links = {k[1]: v for k, v in found.found.items() if k[0] == judged.view.id}
                            yield ReadInteraction(
                                read_set.name, judged.view, analysis.directory, judged.facts, links
                            )
            finally:
                workspace.close()


def labels(sentence: Sentence, facts: InteractionFacts) -> dict[str, str]:
    """What the model's reading says about one sentence: the labels of the quotes it overlaps."""
    found: dict[str, str] = {}

    def hit(q: Quote | None) -> bool:
        return q is not None and _overlaps(sentence, q)

    for p in facts.problems:
        if hit(p.quote):
            found.setdefault("item", p.kind)
        if hit(p.response_quote) and p.response != "none":
            _stronger(found, p.response)
    for r in facts.resolutions:
        if hit(r.quote):
            _stronger(found, r.kind)
    for t in facts.strategic:
        if hit(t.quote):
            found.setdefault("strategic", t.kind)
    for d in facts.decisions:
        if hit(d.quote):
            found["decision"] = "deferred" if d.deferred else found.get("decision", "taken")
    for c in facts.commitments:
        if hit(c.quote):
            found["commitment"] = "firm" if c.firm else found.get("commitment", "loose")
    flags = {
        "next_step": ("vague", facts.vague_next_steps),
        "firefighting": ("yes", facts.firefighting),
        "report": ("yes", facts.data_reports),
        "pending": ("yes", facts.pending_business),
        "renewal": ("assumed", facts.renewal_assumptions),
    }
    for head, (value, quotes) in flags.items():
        if any(hit(q) for q in quotes):
            found[head] = value
    return found


def _stronger(found: dict[str, str], response: str) -> None:
    if _RESPONSE_RANK.get(response, 0) > _RESPONSE_RANK.get(found.get("response", NONE), 0):
        found["response"] = response


def _overlaps(sentence: Sentence, q: Quote) -> bool:
    """The quote covers a fair part of the sentence (or the sentence a fair part of a short quote)."""
    shared = min(sentence.end, q.end) - max(sentence.start, q.start)
    return shared > 0 and shared >= 0.3 * min(sentence.end - sentence.start, q.end - q.start)


def examples(interactions: Sequence[ReadInteraction], extractor: OfflineExtractor) -> list[Labelled]:
    """Every sentence the offline reader finds, with its features and the model's labels."""
    out: list[Labelled] = []
    for item in interactions:
        _, sentences = extractor.read(item.view, item.directory)
        if not sentences:
            continue
        x, _ = extractor.design(item.view, sentences)
        whole: dict[str, str] = {"engagement": item.facts.engagement}
        for row, sentence in zip(x, sentences, strict=True):
            out.append(Labelled(row, labels(sentence, item.facts), f"{item.set}/{item.view.id}", whole))
    return out


def train(
    interactions: Sequence[ReadInteraction],
    embedder: Embedder,
    general: np.ndarray,
    without: Sequence[str] = (),
) -> SentenceModel:
    """Heads trained on every set's interactions but those ``without`` names; ``general``: embeddings of
    general text (``general_text``), whose main directions the heads read the embedding along. Then the closing
    scorer, on the facts the new heads read and the model's links."""
    kept = [i for i in interactions if i.set not in without]
    extractor = OfflineExtractor(embedder, model=_EMPTY)
    names = sorted({i.set for i in kept})
    trained_on = [
        f"{n}: {sum(1 for i in kept if i.set == n)} interactions read by the LLM chain" for n in names
    ]
    trained_on.append(f"embedding directions: {len(general)} sentences of Enron e-mail and AMI meetings")
    model = fit(examples(kept, extractor), trained_on, general)
    model.closing = closing_scorer(kept, OfflineExtractor(embedder, model=model)).to_json()
    return model


def closing_scorer(
    interactions: Sequence[ReadInteraction], extractor: OfflineExtractor
) -> closing.ClosingScorer:
    """The scorer fitted on pairs (a problem the model read and left open where it was raised, a sentence of ours
    the offline reader found in a later interaction of the account): closing when it is the sentence the
    model's link step linked it to."""
    offline = {(i.set, i.view.id): extractor.extract(i.view, i.directory) for i in interactions}
    accounts: dict[tuple[str, str], list[ReadInteraction]] = {}
    for i in interactions:
        accounts.setdefault((i.set, i.view.account), []).append(i)
    pairs: list[closing.Candidate] = []
    targets: list[int] = []
    groups: list[str] = []
    for (set_name, _), items in accounts.items():
        judged = [Judged(i.view, i.facts) for i in items]
        for index, raised in enumerate(items):
            for problem in raised.facts.problems:
                if not needs_link(problem):
                    continue  # answered where it was raised: the model was not asked to link it
                link = raised.links.get(problem.quote.start)
                for position in range(index + 1, len(items)):
                    later = items[position]
                    resolutions = offline[(set_name, later.view.id)].resolutions
                    days = (later.view.occurred_at.date() - raised.view.occurred_at.date()).days
                    others = closing.open_before(judged, position, problem)
                    rivals = [closing.rival(others, unpack_vector(r.vector)) for r in resolutions]
                    found = closing.in_interaction(problem, resolutions, days, rivals)
                    hit = link is not None and link.closes and link.interaction == later.view.id
                    for r, c in zip(resolutions, found, strict=True):
                        pairs.append(c)
                        targets.append(int(hit and link is not None and _spans_overlap(r.quote, link.quote)))
                        groups.append(f"{set_name}/{raised.view.id}/{problem.quote.start}")
                    if hit:
                        break
    return closing.fit(pairs, targets, groups)


def _spans_overlap(a: Quote, b: Quote | None) -> bool:
    return b is not None and a.start < b.end and b.start < a.end


def general_text(data: Path, meeting_turns: int = 4000) -> list[str]:
    """Real business text that is no labelled set: the Enron intent sentences (e-mail) and a fixed sample of
    AMI meeting turns (QMSum), both in ../shared/data with their licences."""
    import random
    import re

    from coach.signals.requests import load_enron

    texts, _ = load_enron(data / "enron-intent")
    turns = []
    for path in sorted((data / "qmsum-product").glob("*.json")):
        for turn in json.loads(path.read_text())["meeting_transcripts"]:
            words = re.sub(r"\{[a-z_]+\}", "", turn["content"]).strip()
            if len(words.split()) >= 5:
                turns.append(words)
    random.Random(0).shuffle(turns)
    return texts + turns[:meeting_turns]


# The extractor only reads and designs features while training: it needs a model object, not a trained one.
_EMPTY = SentenceModel({"mean": [], "scale": [], "heads": {}})


def parse_set(spec: str) -> ReadSet:
    """``NAME=RECORDS.jsonl:CASSETTE.jsonl`` (RECORDS ``bundled`` for the bundled sample)."""
    name, _, paths = spec.partition("=")
    records, _, cassette = paths.rpartition(":")
    if not name or not records or not cassette:
        raise argparse.ArgumentTypeError(f"{spec!r}: expected NAME=RECORDS.jsonl:CASSETTE.jsonl")
    return ReadSet(name, None if records == "bundled" else Path(records), Path(cassette))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("train", help="train the sentence heads and write the model file")
    run.add_argument("sets", nargs="+", type=parse_set, help="NAME=RECORDS.jsonl:CASSETTE.jsonl")
    run.add_argument("--out", type=Path, default=MODEL_FILE)
    run.add_argument("--without", action="append", default=[], help="leave this set out")
    run.add_argument(
        "--general",
        type=Path,
        default=Path("../shared/data"),
        help="folder with enron-intent/ and qmsum-product/",
    )
    args = ap.parse_args(argv)
    from coach.embedding import default_embedder

    embedder = default_embedder()
    interactions = list(readings(args.sets, embedder))
    general = embedder.embed(general_text(args.general))
    model = train(interactions, embedder, general, args.without)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")))
    heads = len(model.heads) + len(model.interaction_heads)
    print(f"wrote {args.out}: {heads} heads, trained on {'; '.join(model.trained_on)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
