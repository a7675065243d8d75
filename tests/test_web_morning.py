"""A rep's morning and a manager's week in real Chromium (Playwright) against a real uvicorn on loopback, at desktop
and phone widths, with axe-core checking every page for serious and critical accessibility violations and a check
that no page shows a setting name, a command flag, a file path or a token count.

Needs /usr/bin/chromium (Debian's `chromium` package; `.ci/run` installs it), `playwright` and
`axe-playwright-python` (the test extra). Without them these tests are skipped with the reason, loudly.
Screenshots go to tests/screenshots/ (not committed).
"""

import re
import shutil
from pathlib import Path

import pytest

from coach.auth import Users
from coach.ingest.bundled import load_sample
from coach.ingest.pipeline import IngestPipeline
from tests.conftest import serving
from tests.test_api import _Attributed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).parent / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ADMIN_WORDS = re.compile(
    r"`|COACH_[A-Z]|(?<![\w-])--[a-z]|knowledge/|\b[\w-]+\.(?:md|py|jsonl?|j2)\b|\btokens?\b|\bengine\b", re.I
)
NOTE = (
    "Call with Niamh Doyle. Good news first: the lift-entrapment priority code is fixed and live since Monday; "
    "dispatchers no longer key emergency call-outs twice. Niamh complained that the technician app logs crews out "
    "every hour during night shifts and asked us to fix it before the winter peak. I said I would look into it."
)

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
axe_api = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed: pip install -e '.[test]'",
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        "BROWSER TESTS SKIPPED: no chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def axe():
    return axe_api.Axe()


@pytest.fixture
def live(workspace):
    """The sample logged by Ana (a rep of Team A), whom Mia manages: what `coach serve --demo` sets up."""
    from api.app import create_app

    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add_team("Team A")
    users.add_member("Team A", ana.email)
    users.add_member("Team A", "mia@vendor.example", manages=True)
    load_sample(_Attributed(IngestPipeline(workspace), ana.id))
    with serving(create_app(workspace.settings, workspace)) as base:
        yield base


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser, size):
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    return context.new_page()


def _sign_in(page, base, email, password):
    page.goto(base + "/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def check(page, axe, name, size):
    """The page as a reader meets it: a screenshot, no serious or critical axe violation, no admin words, and no
    sideways scrolling on a phone."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-{size}.png", full_page=True)
    violations = [v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )
    words = page.locator("body").inner_text()
    found = ADMIN_WORDS.search(words)
    assert found is None, f"{name}: {words[max(0, found.start() - 80) : found.end() + 80]!r}"
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"], name


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_reps_morning(live, browser, axe, size):
    page = _page(browser, size)
    _sign_in(page, live, "ana@vendor.example", "ana-password")

    # home: what needs attention, most first, then Log a note
    assert page.get_by_role("heading", name="Needs attention").is_visible()
    first = page.locator("li.attention").first
    assert "days" in first.inner_text() and "nobody owned" in first.inner_text()
    check(page, axe, "home", size)

    # the account: every finding says what to do next, and links the playbook page that explains it
    first.locator(".account-name a").click()
    page.wait_for_url("**/accounts/*")
    assert page.locator(".next").first.is_visible() and page.get_by_text("What to do next").first.is_visible()
    check(page, axe, "account", size)
    page.locator("a.guide").first.click()
    page.wait_for_url("**/playbook/*#*")
    assert page.get_by_role("heading", name="What to do next").is_visible()
    check(page, axe, "playbook", size)
    page.go_back()

    # the brief: attendees picked from the people met, the agenda copied, a print layout
    page.get_by_role("link", name="Prep brief").click()
    page.wait_for_url("**/brief")
    page.get_by_label("Add someone").fill("Niamh Doyle")
    page.get_by_label("Add someone").press("Enter")
    assert page.locator("#picked input[value='Niamh Doyle']").is_checked()
    page.get_by_role("button", name="Update the brief").click()
    page.wait_for_url("**/brief?*attendee=Niamh+Doyle*")
    for heading in ("Questions to raise", "From the account's history", "From the playbook", "Sources"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    assert page.locator("article").get_by_text("Niamh Doyle").first.is_visible()
    page.get_by_role("button", name="Copy the agenda").click()
    page.get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").startswith("Agenda: Quayside Elevators")
    check(page, axe, "brief", size)
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("#brief-form").is_visible()
    page.screenshot(path=SHOTS / f"brief-print-{size}.png", full_page=True)
    page.emulate_media(media="screen")

    # log a note with a typo'd account: did you mean, then what the note changed
    page.goto(live + "/#log")
    page.get_by_label("Account").fill("Quaysde Elevators")
    page.get_by_label("Kind").select_option("call")
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Log it").click()
    assert page.get_by_text("Did you mean Quayside Elevators?").is_visible()
    assert page.get_by_label("Note", exact=True).input_value() == NOTE  # nothing typed is lost
    check(page, axe, "did-you-mean", size)
    page.get_by_role("button", name="Log it to Quayside Elevators").click()
    page.wait_for_url("**/interactions/*logged=added")
    changes = page.locator("section.changes")
    assert changes.get_by_text("Niamh complained that the technician app logs crews out").is_visible()  # new
    assert changes.locator(".tag", has_text="resolved").first.is_visible()  # the priority code is fixed
    check(page, axe, "note-changes", size)

    # search: passages with the words marked, narrowed by kind
    page.goto(live + "/search")
    page.get_by_label("What are you looking for?").fill("technician app logs crews out")
    page.get_by_text("Narrow it down").click()
    page.get_by_label("Kind").select_option("call")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=*kind=call*")
    hit = page.locator("ol.hits li").first
    assert hit.locator("mark").count() >= 2 and "call" in hit.locator("a").inner_text()
    check(page, axe, "search", size)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_managers_week(live, browser, axe, size):
    page = _page(browser, size)
    _sign_in(page, live, "mia@vendor.example", "mia-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    page.wait_for_url("**/teams/*")
    assert page.get_by_role("heading", name="Accounts by attention").is_visible()
    assert page.get_by_role("heading", name="Ana Lima").is_visible()  # the rep, with what to coach them on
    frame = page.frame_locator("iframe.digest")
    frame.get_by_text("Team A").first.wait_for()  # the digest, previewed through the e-mail's template
    height = page.locator("iframe.digest").evaluate("f => f.getBoundingClientRect().height")
    assert height > 600  # sized to the digest
    check(page, axe, "team", size)
    page.get_by_role("link", name="The week before").click()
    page.wait_for_url("**/teams/*?week=*")
    page.frame_locator("iframe.digest").get_by_text("Team A").first.wait_for()
    check(page, axe, "team-week-before", size)
    team_url = page.url.split("?")[0]
    page.goto(team_url + "/digest?" + page.url.split("?")[1])  # the digest on its own, as the e-mail reads
    assert page.get_by_text("What to coach").first.is_visible()
    check(page, axe, "digest-preview", size)


@pytest.fixture
def live_portfolio(workspace, pipeline):
    """Mia manages Team A, which holds the accounts built for each investment decision (tests/portfolio_accounts.py)
    with their measures."""
    from api.app import create_app
    from coach.measures.book import MeasureBook
    from tests.portfolio_accounts import build

    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add_team("Team A")
    users.add_member("Team A", ana.email)
    users.add_member("Team A", "mia@vendor.example", manages=True)
    build(pipeline, MeasureBook(workspace.db), logged_by=ana.id)
    with serving(create_app(workspace.settings, workspace)) as base:
        yield base


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_manager_reads_the_portfolio(live_portfolio, browser, axe, size):
    page = _page(browser, size)
    _sign_in(page, live_portfolio, "mia@vendor.example", "mia-password")
    nav = page.get_by_role("navigation", name="Main")
    assert (
        nav.get_by_role("link").all_inner_texts().index("Portfolio") == 4
    )  # after Team, as managers' pages go
    nav.get_by_role("link", name="Portfolio").click()
    page.wait_for_url("**/portfolio")
    page.get_by_label("As of").fill("2026-11-20")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/portfolio?*")
    assert page.get_by_role("heading", name="Investment decisions to make").is_visible()
    assert page.get_by_text(
        "Who is investing in Birchfield Clinics before it renews in 45 days?"
    ).is_visible()
    assert page.get_by_text("Does the Cobalt weekly status earn the 16.0 hours it takes?").is_visible()
    decisions = page.locator("ol.decisions")
    assert decisions.locator("blockquote cite").first.is_visible()  # quotes cited by date, kind and title
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", decisions.inner_text())  # dates as people write them
    page.locator("summary", has_text="Cobalt Rail").click()
    history = page.locator("details[open]").inner_text()
    assert "1 Oct 2026: 150,000" in history and "not recorded" in history
    check(page, axe, "portfolio", size)  # wide tables scroll inside their card on a phone, the page does not
    decisions.locator("a.guide").first.click()
    page.wait_for_url("**/playbook/investment*")
    assert page.get_by_role("heading", name="Investment decisions being avoided").is_visible()


def test_a_note_typed_while_the_session_ended_is_logged_after_signing_in(live, browser, workspace):
    page = _page(browser, "desktop")
    _sign_in(page, live, "ana@vendor.example", "ana-password")
    page.get_by_label("Account").fill("Pinecrest Utilities")
    page.get_by_label("Note", exact=True).fill("Mei asked for the rollout plan by Friday.")
    Users(workspace.db).sign_out_everywhere("ana@vendor.example")  # the session ends while she types
    page.get_by_role("button", name="Log it").click()
    assert page.get_by_text("Your session ended").is_visible()
    page.get_by_label("E-mail").fill("ana@vendor.example")
    page.get_by_label("Password").fill("ana-password")
    page.get_by_role("button", name="Sign in and log the note").click()
    page.wait_for_url("**/interactions/*logged=added")
    assert page.get_by_text("Logged to Pinecrest Utilities").is_visible()
    assert "Mei asked for the rollout plan by Friday." in page.locator(".note-text").inner_text()
    page.screenshot(path=SHOTS / "session-ended-logged.png", full_page=True)
