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


def test_no_labelled_set_names_in_code_rules_prompts_or_knowledge():
    """The engines must generalise: no seller, account, person or company of any labelled set (dev, dev2, ...) in
    coach/, knowledge/ or prompts/."""
    import json
    from pathlib import Path

    from tests.conftest import shared_or_skip

    sets = sorted(shared_or_skip("eval").glob("*/interactions.jsonl"))
    assert {p.parent.name for p in sets} >= {"dev", "dev2"}
    names: set[str] = set()
    for path in sets:
        seller = re.search(r"^Seller: ([^,]+),", (path.parent / "README.md").read_text(), re.M)
        if seller:
            names.add(seller.group(1).split()[0])
        for line in path.read_text().splitlines():
            record = json.loads(line)
            words = record["account"].split()
            names.add(" ".join(words[:2]))  # "Port Alder", not "Port"
            if len(words[0]) >= 6:
                names.add(words[0])
            people = [p["name"] for p in record.get("participants", [])] + (
                [record["rep"]] if record.get("rep") else []
            )
            names.update(people)
            names.update(n.split()[-1] for n in people if len(n.split()[-1]) > 4)
    root = Path(__file__).resolve().parent.parent
    files = [
        p
        for d in ("coach", "knowledge", "prompts")
        for p in (root / d).rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".md", ".j2", ".json", ".toml"}
        and "contract" not in p.parts
        and "cassettes" not in p.parts
    ]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [(path.name, n) for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
    assert found == []
