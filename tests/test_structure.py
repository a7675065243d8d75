"""The house's structure, checked: the report contract is generated from the typed report, risks are registered
checks, the store imports nothing above it and no module imports itself in a circle, one factory builds the
engines."""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from coach.analysis import report as report_types
from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, checks, register, unregister
from coach.analysis.service import Analyzer
from coach.engines import build_engines
from coach.errors import InvalidInput
from coach.ingest.bundled import load_sample
from coach.playbook import Playbook

ROOT = Path(__file__).resolve().parent.parent
V1_CONTRACT = Path(__file__).parent / "data" / "report.schema.v1.json"
BASE = {"coach.errors", "coach.records", "coach.people"}  # plain values and rules: any layer may use them


# --- the report contract -------------------------------------------------------------------------------
def test_the_contract_file_is_what_the_models_generate():
    committed = json.loads((ROOT / "coach" / "contract" / "report.schema.json").read_text())
    assert committed == report_types.json_schema(), (
        "run `python -m coach.analysis.report` and review the diff"
    )


def test_reports_still_satisfy_the_first_published_contract_and_the_generated_one(pipeline, workspace):
    load_sample(pipeline)
    report = Analyzer(workspace).report(date(2026, 11, 20)).to_json()
    assert report["accounts"] and any(a["unaddressed_problems"] for a in report["accounts"])
    jsonschema.validate(report, json.loads(V1_CONTRACT.read_text()))
    jsonschema.validate(report, report_types.json_schema())
    first = next(a for a in report["accounts"] if a["risks"])["risks"][0]
    assert first["title"] and first["playbook"].startswith("knowledge/")


# --- risks are registered checks -------------------------------------------------------------------------
class _ToyRisk:
    """A risk invented for this test: an account whose every interaction is an e-mail."""

    code = "all_email"

    def check(self, context: RiskContext) -> Risk | None:
        items = context.items
        if not items or any(j.view.kind != "email" for j in items):
            return None
        return context.risk(self.code, "low", "Every interaction is an e-mail.", [])


def test_a_new_risk_is_one_registered_check_and_one_playbook_page(pipeline, workspace, tmp_path):
    import shutil

    book = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", book)
    (book / "killers" / "all-email.md").write_text(
        "---\ncode: all_email\ntitle: Only e-mail\nkind: account_killer\nsummary: Nobody meets the customer.\n---\n"
        "# Only e-mail\n\n## What to do next\n- Meet them.\n",
        encoding="utf-8",
    )
    register(_ToyRisk)
    try:
        pipeline.ingest(
            [
                _record("toy-1", "Inbox Co", "email", "Sent the invoice copy as asked."),
                _record("toy-2", "Inbox Co", "email", "Confirmed the delivery address change."),
                _record("toy-3", "Meet Co", "meeting", "Walked the plant floor with the site lead."),
            ]
        )
        report = Analyzer(workspace, playbook=Playbook(book)).report(date(2026, 11, 20))
    finally:
        unregister("all_email")
    inbox = next(a for a in report.accounts if a.account == "Inbox Co")
    meet = next(a for a in report.accounts if a.account == "Meet Co")
    toy = inbox.risk("all_email")
    assert toy is not None and toy.title == "Only e-mail" and toy.playbook == "knowledge/killers/all-email.md"
    assert meet.risk("all_email") is None
    assert "all_email" not in {c.code for c in checks()}


def _record(id_: str, account: str, kind: str, text: str):  # type: ignore[no-untyped-def]
    from coach.ingest.jsonl import record_from_object

    return record_from_object(
        {"id": id_, "account": account, "kind": kind, "date": "2026-10-01", "text": text}, id_
    )


# --- layers ----------------------------------------------------------------------------------------------
def _modules() -> dict[str, Path]:
    found = {}
    for path in [*ROOT.glob("coach/**/*.py"), *ROOT.glob("api/**/*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module ``path`` imports, at module level or inside functions (type-only imports too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in modules}


def test_the_store_imports_nothing_above_it():
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("coach.store"):
            above = {m for m in _imports(path, modules) if not m.startswith("coach.store") and m not in BASE}
            assert not above, f"{name} imports {sorted(above)}"
        if name in BASE:
            assert _imports(path, modules) <= BASE, name


def test_no_module_imports_itself_in_a_circle():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


SERVICES = (
    "coach.analysis.service",
    "coach.briefs.service",
    "coach.search.searcher",
    "coach.ingest.pipeline",
    "coach.logbook",
    "coach.digest.build",
    "coach.portfolio.service",
)


def test_services_take_the_parts_they_use_not_the_workspace():
    modules = _modules()
    for name in SERVICES:
        assert "coach.workspace" not in _imports(modules[name], modules), f"{name} imports the workspace"


def test_a_service_runs_on_just_its_parts(workspace):
    """Analysis, search and logging given only the parts they declare (coach.parts), not a workspace."""
    from types import SimpleNamespace

    from coach.ingest.pipeline import IngestPipeline
    from coach.search.searcher import Searcher

    records = {"db": workspace.db, "settings": workspace.settings}
    parts = SimpleNamespace(
        **records, embedder=workspace.embedder, index=workspace.index, chunker=workspace.chunker
    )
    load_sample(IngestPipeline(parts))
    report = Analyzer(SimpleNamespace(**records, embedder=workspace.embedder)).report(date(2026, 11, 20))
    assert len(report.accounts) == 4 and any(a.unaddressed_problems for a in report.accounts)
    found = Searcher(SimpleNamespace(**records, embedder=workspace.embedder, index=workspace.index)).search(
        "outage"
    )
    assert found
    with pytest.raises(AttributeError):  # what a part does not hold is not reachable through it
        Analyzer(SimpleNamespace(**records, embedder=workspace.embedder)).ws.index  # noqa: B018


# --- engines ----------------------------------------------------------------------------------------------
def test_one_factory_builds_the_engines_for_every_entry_point(settings, embedder, workspace):
    offline = build_engines(settings, embedder, workspace.tokens)
    assert (
        offline.extractor.engine == "offline"
        and offline.brief_writer is None
        and offline.digest_writer is None
    )
    llm = build_engines(
        settings.model_copy(update={"openai_api_key": "k"}), embedder, workspace.tokens, "llm"
    )
    assert llm.extractor.engine == "llm:gpt-4o-mini" and llm.brief_writer is not None and llm.digest_writer
    briefs_only = build_engines(
        settings.model_copy(update={"brief_engine": "llm"}), embedder, workspace.tokens
    )
    assert briefs_only.extractor.engine == "offline" and briefs_only.brief_writer is not None
    with pytest.raises(InvalidInput, match="unknown engine 'gpt'"):
        build_engines(settings, embedder, workspace.tokens, "gpt")
