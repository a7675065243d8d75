"""The web app in real Chromium (Playwright) against a real uvicorn server on loopback.

Needs /usr/bin/chromium (Debian's `chromium` package; `.ci/run` installs it) and the
`playwright` package. Without them these tests are skipped with the reason, loudly.
Screenshots of the main pages go to tests/screenshots/ (not committed).
"""

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

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        "BROWSER TESTS SKIPPED: no chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )


@pytest.fixture
def live(workspace):
    from api.app import create_app

    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("ben@vendor.example", "Ben Okafor", "rep", "ben-password")
    users.add_team("Team A")
    users.add_team("Team B")
    users.add_member("Team A", ana.email)
    users.add_member("Team B", "ben@vendor.example")
    load_sample(_Attributed(IngestPipeline(workspace), ana.id))
    with serving(create_app(workspace.settings, workspace)) as base:
        yield base


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _sign_in(page, base, email="ana@vendor.example", password="ana-password"):
    page.goto(base + "/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_paste_a_note_see_cited_flags_and_open_the_brief(live, browser):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    _sign_in(page, live)
    assert page.get_by_role("heading", name="Log a note").is_visible()
    page.screenshot(path=SHOTS / "home.png", full_page=True)
    page.get_by_label("Account").fill("Pinecrest Utilities")
    page.get_by_label("Kind").select_option("call")
    page.get_by_label("Who was there").fill("Mei Tanaka")
    page.get_by_label("Note").fill(
        "Call with Mei. She complained that the crew app <script>alert('x')</script> crashes when the signal drops "
        "and asked for offline mode before the storm season. I said I'd check with product."
    )
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Log it").click()
    page.wait_for_url("**/interactions/*")
    assert page.get_by_text("Logged to Pinecrest Utilities").is_visible()
    assert "<script>alert('x')</script>" in page.locator(".note-text").inner_text()  # shown as text
    assert not dialogs  # and never run
    quoted = page.locator("text=She complained that the crew app")
    assert quoted.count() >= 2  # the note, and the problem the coach read from it
    page.screenshot(path=SHOTS / "interaction.png", full_page=True)
    page.get_by_role("link", name="Open the account").click()
    assert page.get_by_role("heading", name="Customer problems nobody owned").is_visible()
    evidence = page.locator("blockquote a").first
    quote = evidence.inner_text().strip("“”")
    page.screenshot(path=SHOTS / "account.png", full_page=True)
    evidence.click()
    assert quote in page.locator("mark").inner_text()  # the finding links to its sentence, highlighted
    page.go_back()
    page.get_by_role("link", name="Prep brief").click()
    assert page.get_by_role("heading", name="Questions to raise").is_visible()
    page.screenshot(path=SHOTS / "brief.png", full_page=True)


def test_a_validation_error_keeps_the_pasted_text(live, browser):
    page = browser.new_page()
    _sign_in(page, live)
    text = "A long pasted note the rep must not lose.\nSecond line with <b>markup</b>."
    page.get_by_label("Note").fill(text)
    page.get_by_label("Who was there").fill("Mei Tanaka")
    page.get_by_role("button", name="Log it").click()  # no account
    assert page.get_by_text("Pick an account").is_visible()
    assert page.get_by_label("Note").input_value() == text
    assert page.get_by_label("Who was there").input_value() == "Mei Tanaka"
    page.screenshot(path=SHOTS / "validation-error.png", full_page=True)


def test_a_phone_sized_screen_and_another_teams_account(live, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    _sign_in(page, live, "ben@vendor.example", "ben-password")
    assert page.get_by_text("No accounts yet").is_visible()  # Ben's team logged nothing
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    page.screenshot(path=SHOTS / "phone-home.png")
    response = page.goto(live + "/interactions/smp-001")
    assert response.status == 404 and page.get_by_role("heading", name="Not found").is_visible()


def test_the_api_docs_render_offline(live, browser):
    """/docs and /redoc load their scripts and styles from the app itself: with every request off the machine
    refused, the operations still render."""
    page = browser.new_page()
    outside: list[str] = []

    def refuse_outside(route):
        if route.request.url.startswith(live):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", refuse_outside)
    page.goto(live + "/docs")
    page.locator(".opblock-summary-path", has_text="/v1/interactions").first.wait_for(timeout=15_000)
    assert page.locator(".opblock").count() >= 8
    page.goto(live + "/redoc")
    page.get_by_text("/v1/interactions").first.wait_for(timeout=15_000)
    # what remains off the machine is cosmetic and refused above: Redoc's web fonts and its own logo
    assert not [
        u for u in outside if not u.startswith(("https://fonts.googleapis.com/", "https://cdn.redoc.ly/"))
    ]


def test_search_shows_the_passage_with_its_words_marked_and_opens_the_note_at_it(live, browser):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    _sign_in(page, live)
    page.goto(live + "/search")
    page.get_by_label("What are you looking for?").fill("ticket 88213")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=*")
    first = page.locator("ol.hits li").first
    assert first.locator("mark").all_inner_texts() == ["ticket", "88213"]
    assert "Support ticket 88213" in first.locator("p.passage").inner_text()
    page.screenshot(path=SHOTS / "search.png", full_page=True)
    first.get_by_role("link").click()
    page.wait_for_url("**/interactions/*span=*")
    quote = page.locator("mark#quote")
    assert "88213" in quote.inner_text() and quote.is_visible()
