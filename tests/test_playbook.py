import re

from coach.analysis.risks import checks
from coach.playbook import Playbook
from coach.store.vectors import PassageIndex

CODES = [
    "account_hoping",
    "competitor_inside",
    "star_performer",
    "data_not_strategy",
    "single_threaded",
    "complacency",
    "reactive_firefighting",
    "going_dark",
]


def test_every_registered_risk_has_a_playbook_page_with_a_title_and_next_steps():
    book = Playbook()
    assert {c.code for c in checks()} >= set(CODES)
    for check in checks():
        entry = book.get(check.code)
        assert entry is not None, check.code
        assert entry.title and entry.summary and entry.next_steps(), check.code
    for code in ("engagement", "unaddressed_problem", "meetings", "six_markets", "measures"):
        assert book.get(code) is not None


def test_every_playbook_link_in_findings_points_at_a_file():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    book = Playbook()
    for code in [*(c.code for c in checks()), "engagement", "unaddressed_problem", "meetings"]:
        entry = book.get(code)
        assert entry is not None and (root / entry.path).is_file(), code


def test_the_playbook_is_searchable_by_meaning_and_synced_only_when_it_changes(workspace, embedder):
    book = Playbook()
    index = PassageIndex(workspace.index)
    assert book.sync_index(index, embedder) == len(book.sections())
    assert book.sync_index(index, embedder) == 0
    hits = index.query(embedder.embed(["a rival vendor is running a pilot with their CFO"])[0], 3)
    assert hits[0][2]["code"] == "competitor_inside"
    hits = index.query(embedder.embed(["we keep sending dashboards and nobody reads them"])[0], 3)
    assert "data_not_strategy" in {h[2]["code"] for h in hits}


def test_no_dev_set_names_in_code_rules_or_knowledge():
    """The engine must generalise: no account, person or company of the dev set in coach/, knowledge/ or prompts/."""
    import json
    from pathlib import Path

    from tests.conftest import shared_or_skip

    dev = shared_or_skip("eval", "dev", "interactions.jsonl")
    names: set[str] = set()
    for line in dev.read_text().splitlines():
        record = json.loads(line)
        names.add(record["account"].split()[0])
        names.update(p["name"] for p in record.get("participants", []))
        names.update(
            p["name"].split()[-1] for p in record.get("participants", []) if len(p["name"].split()[-1]) > 4
        )
    root = Path(__file__).resolve().parent.parent
    files = [
        p
        for d in ("coach", "knowledge", "prompts")
        for p in (root / d).rglob("*")
        if p.is_file() and p.suffix in {".py", ".md", ".j2", ".json", ".toml"} and "contract" not in p.parts
    ]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [(path.name, n) for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
    assert found == []
