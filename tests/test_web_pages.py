"""The pages a rep and a manager open every morning, through the app (TestClient): what needs attention, what to
do next, the brief, logging a note (did you mean, a session that ended, what it changed), search, the playbook,
the team page and its digest, and words no page may show a rep."""

import csv
import io
import re
from html import unescape

import pytest

from coach.store.repository import Repository
from tests.test_api import _csrf, _sign_in, app_env  # noqa: F401 - app_env is a fixture

HTML = {"Accept": "text/html"}
# What a page must not say: a command in backticks, a setting, a flag, a file path, a token count, engine words.
ADMIN_WORDS = re.compile(
    r"`|COACH_[A-Z]|(?<![\w-])--[a-z]|knowledge/|\b[\w-]+\.(?:md|py|jsonl?|j2)\b|\btokens?\b|\bengine\b", re.I
)
QUAYSIDE_NOTE = (
    "Call with Niamh Doyle. Good news first: the lift-entrapment priority code is fixed and live since Monday; "
    "dispatchers no longer key emergency call-outs twice. Niamh complained that the technician app logs crews out "
    "every hour during night shifts and asked us to fix it before the winter peak. I said I would look into it."
)


def visible(html: str) -> str:
    """A page's words as a reader meets them: the text and the titles and labels of its elements."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attributes = " ".join(re.findall(r'\s(?:title|aria-label|placeholder|alt)="([^"]*)"', body))
    return unescape(re.sub(r"<[^>]+>", " ", body) + " " + attributes)


def account_id(workspace, name: str) -> int:
    with workspace.db.session() as session:
        row = Repository(session).account(name)
        assert row is not None
        return row.id


def post_note(client, account, text, **extra):
    home = client.get("/", headers=HTML)
    data = {"account": account, "kind": "call", "date": "", "participants": "", "series": "", "text": text}
    return client.post("/notes", data={**data, "csrf": _csrf(home.text), **extra}, follow_redirects=False)


@pytest.fixture
def ana(app_env):  # noqa: F811
    client, _, _ = app_env
    client.headers.update(HTML)
    assert _sign_in(client, "ana@vendor.example", "ana-password").status_code == 303
    return client


def test_home_puts_what_needs_attention_first_then_the_note_form(ana):
    page = ana.get("/").text
    assert page.index("Needs attention") < page.index('id="log"')
    items = re.findall(r'<li class="attention">.*?</li>\s*</ul>', page, re.S)
    assert len(items) == 4 and "Bravo Freight" not in page  # Ana's accounts only
    assert "days</span>" in items[0] and "nobody owned" in items[0]  # the oldest problem, with days open
    scores = [visible(i) for i in items]
    assert any("kill" in s or "reinvent" in s for s in scores)  # a meeting to fix is named


def test_the_account_page_says_what_to_do_next_and_links_the_playbook_page(ana, workspace):
    page = ana.get(f"/accounts/{account_id(workspace, 'Quayside Elevators')}").text
    assert page.count("What to do next") >= 3
    assert 'href="/playbook/unaddressed_problem#what-to-do-next"' in page
    assert 'href="/playbook/meetings#kill"' in page  # the weekly status meeting's verdict, and its section
    assert "smp-013" not in visible(page)  # citations read as date, kind and title, ids only in links
    assert "13 Aug 2026 · meeting · Quayside weekly status" in visible(page)
    guide = ana.get("/playbook/meetings").text
    assert 'id="kill"' in guide and "written update" in guide


def test_the_timeline_filters_by_kind_engagement_and_dates(ana, workspace):
    pinecrest = account_id(workspace, "Pinecrest Utilities")
    everything = ana.get(f"/accounts/{pinecrest}").text
    emails = ana.get(f"/accounts/{pinecrest}", params={"kind": "email"}).text
    between = ana.get(f"/accounts/{pinecrest}", params={"from": "2026-10-01", "to": "2026-10-31"}).text
    count = lambda html: len(re.findall(r'<ol class="timeline">|<li><a href="/interactions/', html)) - 1  # noqa: E731
    assert count(everything) == 5 and count(emails) == 2 and count(between) == 2
    assert "2 of 5 shown" in visible(emails)
    assert ana.get(f"/accounts/{pinecrest}", params={"from": "next week"}).status_code == 422


def test_the_brief_page_matches_the_cli_brief_without_token_counts(ana, workspace):
    quayside = account_id(workspace, "Quayside Elevators")
    page = ana.get(
        f"/accounts/{quayside}/brief",
        params=[
            ("meeting", "Quayside weekly status"),
            ("attendee", "Niamh Doyle"),
            ("attendee", "Colm Byrne"),
        ],
    ).text
    words = visible(page)
    for heading in ("From the account's history", "From the playbook", "Sources", "Suggested agenda"):
        assert heading in words, heading
    assert "Prompt:" not in words and not ADMIN_WORDS.search(words), ADMIN_WORDS.search(words)
    assert 'name="attendee" value="Niamh Doyle" checked' in page  # picked in the page
    assert '<datalist id="known-people">' in page and '<option value="Colm Byrne">' in page  # typeahead
    assert "raised before:" in words  # what the attendees raised
    assert 'data-copy="agenda-text"' in page and '<pre id="agenda-text" hidden>Agenda:' in page
    changed = re.search(r"What changed since(.*?)</ul>", page, re.S)
    assert changed is not None
    quotes = re.findall(r"“([^”]+)”", changed.group(1))
    assert len(quotes) == len(set(quotes)), "each change once"


def test_a_typo_in_the_account_asks_did_you_mean_and_keeps_the_note(ana, workspace):
    asked = post_note(ana, "Quaysde Elevators", QUAYSIDE_NOTE)
    assert asked.status_code == 200 and "Did you mean Quayside Elevators?" in visible(asked.text)
    assert "the technician app logs crews out" in asked.text  # nothing typed is lost
    with workspace.db.session() as session:
        assert Repository(session).account("Quaysde Elevators") is None  # nothing created yet
    logged = post_note(ana, "Quaysde Elevators", QUAYSIDE_NOTE, use_account="Quayside Elevators")
    assert logged.status_code == 303
    page = ana.get(logged.headers["location"]).text
    changed = " ".join(
        visible(re.search(r'<section class="card changes".*?</section>', page, re.S).group()).split()
    )
    assert re.search(
        r"new Customer problem ?: Niamh Doyle raised .{0,60}“Niamh complained that the technician app",
        changed,
    ), changed
    assert re.search(r"resolved Customer problem ?: Niamh Doyle’s", changed), changed  # the code is fixed
    created = post_note(ana, "Quaysde Elevators", "Intro call.", create_account="yes")
    assert created.status_code == 303
    with workspace.db.session() as session:
        assert Repository(session).account("Quaysde Elevators") is not None  # asked for: created


def test_near_names_come_only_from_the_accounts_a_rep_sees(ana):
    asked = post_note(ana, "Bravo Freigt", "Intro call with their ops lead.")
    assert "Bravo Freight" not in asked.text  # Ben's team's account is not suggested (nor named)
    assert asked.status_code == 303


def test_a_note_submitted_after_the_session_ended_is_logged_once_signed_in(app_env, workspace):  # noqa: F811
    client, _, users = app_env
    client.headers.update(HTML)
    _sign_in(client, "ana@vendor.example", "ana-password")
    home = client.get("/")
    users.sign_out_everywhere("ana@vendor.example")  # the session ends on the server while Ana types
    form = {
        "account": "Pinecrest Utilities",
        "kind": "call",
        "date": "2026-11-20",
        "participants": "Mei Tanaka",
    }
    form |= {
        "series": "",
        "text": "Mei asked for the rollout plan by Friday.\nSecond line.",
        "csrf": _csrf(home.text),
    }
    answer = client.post("/notes", data=form, follow_redirects=False)
    assert answer.status_code == 401 and "Sign in and it is logged" in answer.text
    assert "Mei asked for the rollout plan by Friday.\nSecond line." in unescape(answer.text)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', answer.text))
    text = unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', answer.text, re.S).group(1))
    signed = client.post(
        "/login",
        data={**fields, "text": text, "email": "ana@vendor.example", "password": "ana-password"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"].startswith("/interactions/")
    note = client.get(signed.headers["location"]).text
    assert "Logged to Pinecrest Utilities" in note and "Second line." in note


def test_another_site_cannot_have_a_signed_out_rep_log_its_words(app_env):  # noqa: F811
    client, _, _ = app_env
    answer = client.post(
        "/notes",
        data={"account": "Pinecrest Utilities", "kind": "note", "text": "planted words", "csrf": "guess"},
        headers={**HTML, "Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_search_narrows_by_account_kind_and_dates(ana, workspace):
    harbor = account_id(workspace, "Harbor & Vine Hospitality")
    everywhere = ana.get(
        "/search", params={"q": "outage", "account": "", "kind": "", "from": "", "to": ""}
    ).text
    one = ana.get("/search", params={"q": "outage", "account": harbor, "kind": "email"}).text
    none = ana.get("/search", params={"q": "outage", "from": "2030-01-01"}).text
    assert "Pinecrest Utilities ·" in everywhere or "Quayside Elevators ·" in everywhere
    hits = re.findall(r'<li><a href="/interactions/[^"]+">([^<]+)</a>', one)
    assert hits and all(h.startswith("Harbor &amp; Vine Hospitality ·") and "· e-mail ·" in h for h in hits)
    assert "with these filters" in none
    assert "<mark>" in everywhere  # the words that matched


def test_no_page_shows_settings_flags_paths_or_token_counts(app_env, workspace):  # noqa: F811
    client, _, _ = app_env
    client.headers.update(HTML)
    pages = {}
    pages["wrong password"] = _sign_in(client, "ana@vendor.example", "wrong").text
    _sign_in(client, "ana@vendor.example", "ana-password")
    ids = {name: account_id(workspace, name) for name in ("Quayside Elevators", "Pinecrest Utilities")}
    for name, i in ids.items():
        pages[name] = client.get(f"/accounts/{i}").text
        pages[f"{name} brief"] = client.get(f"/accounts/{i}/brief").text
    pages["home"] = client.get("/").text
    pages["search"] = client.get("/search", params={"q": "who is unhappy about outages"}).text
    pages["playbook"] = client.get("/playbook").text
    for code in re.findall(r'href="/playbook/([a-z_]+)"', pages["playbook"]):
        pages[f"playbook {code}"] = client.get(f"/playbook/{code}").text
    logged = post_note(client, "Pinecrest Utilities", "Mei asked whether the pilot can start in January.")
    pages["logged"] = client.get(logged.headers["location"]).text
    pages["too large"] = post_note(client, "Pinecrest Utilities", "x" * 210_000).text
    pages["not found"] = client.get("/accounts/999999").text
    pages["bad input"] = client.get("/interactions/smp-001", params={"span": "x"}).text
    _sign_in(client, "mia@vendor.example", "mia-password")
    team = client.get("/teams")
    pages["team"] = team.text
    assert "Reps and what to coach them on" in team.text
    for name, html in pages.items():
        found = ADMIN_WORDS.search(visible(html))
        assert found is None, f"{name}: {visible(html)[max(0, found.start() - 80) : found.end() + 80]!r}"
    assert "over 210 kB" in visible(pages["too large"]) or "over 200 kB" in visible(pages["too large"])


def test_the_findings_csv_dates_every_row_that_cites_a_note(ana, workspace):
    answer = ana.get(f"/accounts/{account_id(workspace, 'Harbor & Vine Hospitality')}/findings.csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows and all(r["date"] for r in rows if r["interaction"])
    assert all(r["interaction"] for r in rows if r["finding"] in ("engagement", "unaddressed problem"))


def test_the_team_page_is_for_its_managers_with_the_digest_of_any_week(app_env, workspace):  # noqa: F811
    client, _, _ = app_env
    client.headers.update(HTML)
    _sign_in(client, "mia@vendor.example", "mia-password")
    first = client.get("/teams", follow_redirects=False)
    assert first.status_code == 303
    team_url = first.headers["location"]
    page = client.get(team_url, params={"week": "2026-W34"}).text
    words = visible(page)
    assert "Accounts by attention" in words and "Ana Lima" in words
    assert f'src="{team_url}/digest?week=2026-W34"' in page
    digest = client.get(f"{team_url}/digest", params={"week": "2026-W34"})
    assert digest.status_code == 200 and '<base target="_top">' in digest.text and "2026-W34" in digest.text
    policy = digest.headers["content-security-policy"]
    assert (
        "style-src 'unsafe-inline'" in policy
        and "script" not in policy
        and "frame-ancestors 'self'" in policy
    )
    assert digest.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'none'" in client.get(team_url).headers["content-security-policy"]  # pages: none
    assert client.get(team_url, params={"week": "week 34"}).status_code == 422
    _sign_in(client, "ana@vendor.example", "ana-password")  # a rep manages no team
    assert client.get(team_url).status_code == 404 and client.get(f"{team_url}/digest").status_code == 404
    assert "You manage no team" in client.get("/teams").text


def test_every_link_in_the_digest_opens_a_page_for_its_manager(app_env, workspace):  # noqa: F811
    """The e-mail links the team page, the accounts, the notes (sentence highlighted) and the playbook pages under
    the app's public address: each one is a page of the app the manager can open. The preview on the team page
    links the same pages within the app that serves it."""
    from coach.digest import digest_builder
    from coach.digest.render import render_digest

    client, _, _ = app_env
    client.headers.update(HTML)
    _sign_in(client, "mia@vendor.example", "mia-password")
    team_url = client.get("/teams", follow_redirects=False).headers["location"]
    email = render_digest(digest_builder(workspace).build("mia@vendor.example", "2026-W47"), "html")
    base = workspace.settings.app_url.rstrip("/")
    links = {unescape(h).removeprefix(base) for h in re.findall(rf'href="({re.escape(base)}/[^"]*)"', email)}
    kinds = {link.split("/")[1].split("?")[0] for link in links}
    assert {"teams", "accounts", "interactions", "playbook"} <= kinds, kinds
    assert f"{team_url}?week=2026-W47" in links
    for link in sorted(links):
        answer = client.get(link, follow_redirects=False)
        assert answer.status_code == 200, (link, answer.status_code)
    preview = client.get(f"{team_url}/digest", params={"week": "2026-W47"}).text
    assert {unescape(h) for h in re.findall(r'href="([^"]*)"', preview)} == links


def test_the_team_page_opens_on_the_latest_week_with_notes(app_env):  # noqa: F811
    client, _, _ = app_env
    client.headers.update(HTML)
    _sign_in(client, "mia@vendor.example", "mia-password")
    page = client.get("/teams").text  # the sample's notes end in November 2026; today is later
    assert "the latest week with notes" in page


def test_favicon_and_the_playbook_pages(ana):
    icon = ana.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert ana.get("/playbook/no_such_page").status_code == 404
    page = ana.get("/playbook/unaddressed_problem").text
    assert 'id="what-to-do-next"' in page and "knowledge/" not in page
