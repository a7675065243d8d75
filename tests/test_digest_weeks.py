"""The digest as a manager reads it: a team's busy, quiet and empty weeks, in words (no "(s)", paths, ids or
engine words), with this week's news first, three coaching points per rep, each account once, and links into the
web app; then the e-mail as received by a real SMTP server, checked as e-mail HTML and rendered in Chromium at
desktop and phone widths (screenshots in tests/screenshots/)."""

from __future__ import annotations

import base64
import email
import json
import re
import shutil
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from coach.auth import Users
from coach.digest import DigestBuilder
from coach.digest.deliver import DigestSender, EmailChannel, slack_payload
from coach.digest.render import render_digest
from coach.ingest.bundled import load_sample
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.store.repository import Repository
from tests.smtp_server import mail_settings
from tests.test_api import _Attributed

BUSY_WEEK, QUIET_WEEK, EMPTY_WEEK, NOTHING_YET = "2026-W47", "2026-W48", "2026-W49", "2026-W10"
APP = "https://coach.example.com"
SHOTS = Path(__file__).parent / "screenshots"

# The week of 16 to 22 November 2026: Norrland answers the offline-signature problem (open since 26 August), talks
# again after weeks of silence and meets its head of quality, who complains about the PDF export; Harbor & Vine
# escalates again; Quayside holds another status read-out. Harbor & Vine's outage complaint (19 August) turns 90 days
# old, Pinecrest's battery request (21 October) 30.
BUSY = [
    {
        "id": "wk-101",
        "account": "Norrland Medical Devices",
        "kind": "call",
        "date": "2026-11-17",
        "rep": "Lars Wikström",
        "subject": "Offline signatures and the March audit",
        "participants": [
            {"name": "Lars Wikström", "email": "lars.wikstrom@atlasfieldcloud.com", "side": "internal"},
            {"name": "Henrik Aas", "title": "Service Manager", "side": "customer"},
            {"name": "Sofia Berg", "title": "Head of Quality", "side": "customer"},
        ],
        "duration_minutes": 40,
        "text": "Call with Henrik and Sofia Berg (Head of Quality). The auditors' signed service record is fixed: "
        "since release 8.2 every visit gets a signed service record, captured offline in hospitals without "
        "signal, ready for March. Sofia complained that the PDF export of service records drops the engineer's "
        "name, and she needs that before the audit.",
    },
    {
        "id": "wk-102",
        "account": "Harbor & Vine Hospitality",
        "kind": "call",
        "date": "2026-11-18",
        "rep": "Tomás Reyna",
        "participants": [
            {"name": "Tomás Reyna", "email": "tomas.reyna@atlasfieldcloud.com", "side": "internal"},
            {"name": "Priya Venkat", "side": "customer"},
        ],
        "text": "Escalation call. Work orders at the coastal properties stopped syncing again on Monday. Priya "
        "complained that this is the third outage since summer and asked for a credit. I said I would check.",
    },
    {
        "id": "wk-103",
        "account": "Quayside Elevators",
        "kind": "meeting",
        "date": "2026-11-19",
        "rep": "Ruth Achebe",
        "series": "Quayside weekly status",
        "duration_minutes": 60,
        "participants": [
            {"name": "Ruth Achebe", "email": "ruth.achebe@atlasfieldcloud.com", "side": "internal"},
            {"name": "Colm Byrne", "title": "IT Project Lead", "side": "customer"},
            {"name": "Niamh Doyle", "title": "Dispatcher", "side": "customer"},
        ],
        "text": "Weekly status. Went through the open-items list again: 11 items, 2 closed. Ticket numbers "
        "read out one by one. No decisions; same time next week.",
    },
]
# 23 to 29 November: one e-mail.
QUIET = [
    {
        "id": "wk-201",
        "account": "Norrland Medical Devices",
        "kind": "email",
        "date": "2026-11-24",
        "rep": "Lars Wikström",
        "subject": "PDF export",
        "participants": [
            {"name": "Lars Wikström", "email": "lars.wikstrom@atlasfieldcloud.com", "side": "internal"},
            {"name": "Sofia Berg", "email": "sofia.berg@norrlandmed.se", "side": "customer"},
        ],
        "text": "Hej Sofia, the engineer's name is back on the PDF export of service records: we fixed it in "
        "release 8.2.1 yesterday. Best, Ana",
    }
]


def _records(pipeline, objects):
    return read_jsonl("\n".join(json.dumps(o) for o in objects).encode(), "weeks.jsonl", pipeline.defaults())


@pytest.fixture
def team(workspace):
    """Team A: Ana (the sample's four accounts and the busy week's Norrland call), Ben (two calls), Mia manages."""
    workspace.settings = workspace.settings.model_copy(update={"app_url": APP})
    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    ben = users.add("ben@vendor.example", "Ben Okafor", "rep", "ben-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add_team("Team A")
    users.add_member("Team A", ana.email)
    users.add_member("Team A", ben.email)
    users.add_member("Team A", "mia@vendor.example", manages=True)
    load_sample(_Attributed(IngestPipeline(workspace), ana.id))
    pipeline = IngestPipeline(workspace)
    for user, objects in (
        (ana, BUSY[:1] + QUIET),
        (ben, BUSY[1:]),
    ):
        pipeline.ingest(_records(pipeline, objects), logged_by=user.id)
    return users


@pytest.fixture
def digests(workspace, team):
    builder = DigestBuilder(workspace)
    return {
        w: builder.build("mia@vendor.example", w) for w in (BUSY_WEEK, QUIET_WEEK, EMPTY_WEEK, NOTHING_YET)
    }


def _ids(workspace) -> set[str]:
    with workspace.db.session() as session:
        return {r.id for r in Repository(session).interactions()}


def _visible(html: str) -> str:
    """What a reader sees of an HTML digest: the text and the images' alt text, not the tags or addresses."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

        def handle_starttag(self, tag, attrs):
            self.parts += [v or "" for k, v in attrs if k == "alt"]

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _without_links(text: str) -> str:
    return re.sub(r"\(?https?://\S+", "", text)


def assert_reads_well(text: str, ids: set[str]) -> None:
    """No plural brackets, doubled punctuation, file paths, engine words or raw ids."""
    assert "(s)" not in text
    assert not re.search(r"(?<!\.)\.\.(?!\.)|,,|;;|\.,|,\.", text), re.search(
        r".{30}(\.\.|,,|;;|\.,|,\.).{10}", text
    )
    assert not re.search(r"knowledge/|\.md\b|\.py\b|prompts/", text)
    assert not re.search(r"\bengines?\b|\bllm\b|\boffline \(", text, re.I)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)  # dates as people write them
    shown = [i for i in ids if re.search(rf"(?<![\w/-]){re.escape(i)}(?![\w-])", text)]
    assert not shown, shown


def test_a_busy_week_leads_with_its_news_in_plain_words(workspace, digests):
    busy = digests[BUSY_WEEK]
    text = render_digest(busy, "text")
    ids = _ids(workspace)
    for format_ in ("text", "md"):
        assert_reads_well(_without_links(render_digest(busy, format_)), ids)
    assert_reads_well(_visible(render_digest(busy, "html")), ids)
    # this week first, then the reps, then each account once
    order = [text.index(h) for h in ("AT A GLANCE", "THIS WEEK", "WHAT TO COACH, REP BY REP", "ACCOUNTS")]
    assert order == sorted(order)
    assert busy.headline[0] == "3 interactions logged this week on 3 accounts of 4."
    news = text[text.index("THIS WEEK") : text.index("WHAT TO COACH")]
    # resolved, in words that say how: the offline signatures were fixed; Norrland is talking again
    assert (
        "Norrland Medical Devices: Request fixed. Henrik Aas raised it on 26 August 2026; it was open 83 days."
        in news
    )
    assert "Norrland Medical Devices: Going dark resolved. Contact resumed." in news
    assert news.count("The auditors' signed service record is fixed") == 1  # the fix, quoted once
    # new: the head of quality's complaint, with who, since when, the next step and the quote once
    new = next(f for f in busy.new_flags if f.account == "Norrland Medical Devices")
    assert new.what.startswith("Sofia Berg complained on 17 November 2026") and new.next_step
    assert news.count("PDF export of service records drops the engineer's name") == 1
    assert "Sofia Berg (Norrland Medical Devices)" in news  # a new customer contact
    # Harbor & Vine's outage complaint (19 August) turned 90 days old, Pinecrest's battery request (21 October) 30
    assert [(f.account, f.days_open) for f in busy.crossed] == [
        ("Harbor & Vine Hospitality", 95),
        ("Pinecrest Utilities", 32),
    ]
    assert busy.crossed[1].what.endswith(
        "it turned 30 days old on 20 November and only a vague answer followed."
    )
    # per rep: up to three coaching points, each a next step with its evidence
    assert [r.rep for r in busy.reps] == ["Ana Lima", "Ben Okafor"]
    for rep in busy.reps:
        assert 1 <= len(rep.coaching) <= 3 and all(c.next_step and c.guide for c in rep.coaching)
        assert rep.chart is not None and rep.chart.alt.startswith(f"Bar chart of {rep.rep}'s interactions")
    # each account once, even though Ana and Ben both worked Harbor & Vine
    assert sorted(a.account for a in busy.accounts) == sorted(set(a.account for a in busy.accounts))
    harbor = next(a for a in busy.accounts if a.account.startswith("Harbor"))
    assert harbor.reps == ["Ana Lima", "Ben Okafor"]
    assert text.count("\nHarbor & Vine Hospitality (") == 1


def test_every_citation_is_a_date_a_kind_and_a_title_linked_to_its_sentence(workspace, digests):
    busy = digests[BUSY_WEEK]
    with workspace.db.session() as session:
        texts = {r.id: " ".join(r.raw_text.split()) for r in Repository(session).interactions()}
    sources = [
        f.source for a in busy.accounts for f in a.new_flags + a.resolved + a.risks + a.ageing_problems
    ]
    sources += [c.source for r in busy.reps for c in r.coaching]
    assert sources and all(s is not None for s in sources[:3])
    for s in filter(None, sources):
        assert s.quote in texts[s.interaction] and s.date and s.kind and s.title
        url = urlparse(s.url)
        assert url.path == f"/interactions/{s.interaction}" and parse_qs(url.query)["q"] == [s.quote]
        assert s.interaction not in s.label
    norrland = next(a for a in busy.accounts if a.account == "Norrland Medical Devices")
    fixed = next(f for f in norrland.resolved if f.code == "unaddressed_problem")
    assert fixed.source.label == "17 Nov 2026, call: Offline signatures and the March audit"
    assert norrland.url == f"{APP}/accounts/{norrland.account_id}"
    assert busy.team_pages[0].url.startswith(f"{APP}/teams/") and busy.team_pages[0].url.endswith(
        "?week=2026-W47"
    )
    assert all(c.guide.url.startswith(f"{APP}/playbook/") for r in busy.reps for c in r.coaching)


def test_a_quiet_week_and_an_empty_week_still_report_what_is_ageing(workspace, digests):
    ids = _ids(workspace)
    quiet, empty, nothing = digests[QUIET_WEEK], digests[EMPTY_WEEK], digests[NOTHING_YET]
    assert quiet.headline[0] == "1 interaction logged this week on 1 account of 4."
    resolved = [f for f in quiet.resolved if f.account == "Norrland Medical Devices"]
    assert [f.title for f in resolved] == ["Complaint fixed"]
    assert resolved[0].what == "Sofia Berg raised it on 17 November 2026; it was open 7 days."
    assert empty.headline[0] == "No interactions logged this week on the team's 4 accounts."
    assert not (empty.new_flags or empty.resolved) and empty.accounts and empty.team_chart is not None
    text = render_digest(empty, "text")
    assert "Nothing new was flagged or resolved this week" in text
    assert any("gone unanswered for two weeks or more" in h for h in empty.headline)
    assert nothing.headline == ["No account activity logged by the team yet."] and not nothing.accounts
    assert nothing.team_chart is None and all(r.chart is None for r in nothing.reps)
    for digest in (quiet, empty, nothing):
        for format_ in ("text", "md"):
            assert_reads_well(_without_links(render_digest(digest, format_)), ids)
        assert_reads_well(_visible(render_digest(digest, "html")), ids)


def test_the_team_chart_counts_interactions_per_week_with_words_for_those_who_cannot_see_it(digests):
    busy = digests[BUSY_WEEK]
    chart = busy.team_chart
    assert chart is not None and chart.png.startswith(b"\x89PNG")
    weeks = [sum(a.weeks[i].total for a in busy.accounts) for i in range(12)]
    assert weeks[-1] == 3 and len(weeks) == 12 and f"{sum(weeks)} interactions" in chart.alt
    assert "in the twelve weeks to 22 November 2026" in chart.alt and chart.caption in chart.alt
    assert chart.caption.startswith("Strategic in the last four weeks: ")
    assert re.search(r"\d+ of \d+ interactions \(\d+%\)", chart.caption)


def test_a_big_teams_email_lists_what_needs_attention_and_points_to_the_team_page_for_the_rest(digests):
    """Gmail clips HTML over 102 kB: 200 accounts with this week's news each still fit, the rest one link away."""
    busy = digests[BUSY_WEEK]
    accounts = [
        a.model_copy(update={"account": f"{a.account} {i}", "account_id": 1000 + 10 * i + n}, deep=True)
        for i in range(50)
        for n, a in enumerate(busy.accounts)
    ]
    big = busy.model_copy(update={"accounts": accounts})
    flags, resolved = len(big.new_flags), len(big.resolved)  # what the engine found that week
    assert len(big.accounts) == 200 and flags > 8 and resolved > 8
    html = render_digest(
        big, "html", images={c.cid: f"cid:{c.cid}@coach.local" for c in big.images}
    )  # as mailed
    assert len(html.encode()) < 80_000
    assert "…and 185 more accounts, all on" in html and f"…and {flags - 8} more new flags, all on" in html
    text = render_digest(big, "text")
    assert (
        f"...and {resolved - 8} more resolved, all on the team page [" in text and len(text.encode()) < 60_000
    )


def test_slack_reads_the_same_way(workspace, digests):
    payload = json.dumps(slack_payload(digests[BUSY_WEEK]), ensure_ascii=False)
    assert_reads_well(re.sub(r"<https?://[^|>]+\|", "<", payload), _ids(workspace))
    assert f"{APP}/teams/" in payload and "Contact resumed." in payload


# --- the e-mail, as received ------------------------------------------------------------------------------
class EmailHTML(HTMLParser):
    """What e-mail clients need: no <style>, <script>, <link> or classes, images only by cid: with alt text,
    nothing wider than 640 px, no layout that clients drop (flex, grid, position)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.images: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script", "link", "iframe", "form", "svg"):
            self.problems.append(f"<{tag}>")
        if "class" in a or "id" in a:
            self.problems.append(f"<{tag}> with class or id")
        style = a.get("style", "")
        if re.search(r"display:\s*(flex|grid)|position:|@media|url\(", style):
            self.problems.append(f"<{tag} style={style!r}>")
        widths = [int(w) for w in re.findall(r"(?<![-\w])width:\s*(\d+)px", style)]
        widths += [int(a["width"])] if a.get("width", "").isdigit() else []
        if any(w > 640 for w in widths):
            self.problems.append(f"<{tag}> wider than 640 px")
        if tag == "img":
            self.images.append(a)
            if not a.get("src", "").startswith("cid:") or not a.get("alt"):
                self.problems.append(f"<img> without cid: or alt: {a}")


def test_the_email_received_is_e_mail_html_with_a_text_part_that_stands_alone(workspace, team, smtp):
    inbox, port, cert = smtp
    settings = mail_settings(workspace.settings, port, cert)
    report = DigestSender(DigestBuilder(workspace), [EmailChannel(settings)]).run(BUSY_WEEK)
    assert report.sent == ["mia@vendor.example via email"]
    (raw,) = inbox.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Coaching digest: Team A, 16 to 22 November 2026"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    ids = _ids(workspace)
    # the text part: the same news, in the same order, links numbered and listed at the end
    assert text.startswith("WEEKLY COACHING DIGEST: Team A\n16 to 22 November 2026, for Mia Chen\n")
    assert "Norrland Medical Devices: Going dark resolved. Contact resumed." in text
    assert "Team A's team page: https://coach.example.com/teams/" in text
    body, links = text.split("\nLINKS\n")
    assert "http" not in body.split("\nAT A GLANCE\n", 1)[1]  # no address breaks a sentence
    numbers = re.findall(r"\[(\d+)\]", body)
    listed = re.findall(r"^\[(\d+)\] (https://\S+)$", links, re.M)
    assert {n for n, _ in listed} == set(numbers) and len(listed) == len(set(numbers))
    assert_reads_well(_without_links(text), ids)
    assert max(len(line) for line in body.splitlines()) < 400
    # the HTML part: e-mail-safe, every image inline with words for it
    check = EmailHTML()
    check.feed(html)
    assert not check.problems, check.problems
    images = {p["Content-ID"].strip("<>"): p for p in message.walk() if p.get_content_type() == "image/png"}
    assert len(images) == 3 and {i["src"][4:] for i in check.images} == set(images)  # the team, Ana, Ben
    assert_reads_well(_visible(html), ids)
    (SHOTS / "digest-email.eml").parent.mkdir(exist_ok=True)
    (SHOTS / "digest-email.eml").write_bytes(raw)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="BROWSER TEST SKIPPED: no chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does)",
)
def test_the_received_email_renders_at_desktop_and_phone_widths(workspace, team, smtp):
    """The HTML part as a mail client shows it (cid: images resolved from the message's own parts)."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from tests.test_web_browser import ARGS

    inbox, port, cert = smtp
    DigestSender(DigestBuilder(workspace), [EmailChannel(mail_settings(workspace.settings, port, cert))]).run(
        BUSY_WEEK
    )
    message = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in message.walk():
        if part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", f"data:image/png;base64,{data}")
    SHOTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, width in (("desktop", 1280), ("phone", 390)):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_content(html)
            page.screenshot(path=SHOTS / f"digest-{name}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing scrolls sideways
            card = page.locator("table[role=presentation] table").first.bounding_box()
            assert card is not None and card["width"] <= 640
            shown = page.evaluate(
                "[...document.images].map(i => [i.naturalWidth > 0, i.getBoundingClientRect().width, i.alt])"
            )
            assert len(shown) == 3 and all(ok and 0 < w <= min(width, 640) and alt for ok, w, alt in shown)
            page.close()
        browser.close()
