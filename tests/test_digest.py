"""Weekly digests: content for a fixture team, delivery over a real SMTP server (aiosmtpd, STARTTLS + auth)
and a loopback Slack server, once per week, retried after failures."""

import email
import json
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coach.auth import Users
from coach.digest import DigestBuilder, parse_week
from coach.digest.deliver import DigestSender, EmailChannel, SlackChannel, render_digest
from coach.errors import InvalidInput
from coach.ingest.bundled import load_sample
from coach.ingest.pipeline import IngestPipeline
from tests.smtp_server import mail_settings
from tests.test_api import _Attributed

WEEK = "2026-W45"  # 2 to 8 November 2026: the sample's last weeks


@pytest.fixture
def team(workspace):
    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add("lonely@vendor.example", "Lou Nobody", "manager", "lou-password")
    users.add_team("Team A")
    users.add_member("Team A", "ana@vendor.example")
    users.add_member("Team A", "mia@vendor.example", manages=True)
    load_sample(_Attributed(IngestPipeline(workspace), ana.id))
    return users


def test_the_digest_shows_the_teams_flags_with_their_quotes(workspace, team):
    digest = DigestBuilder(workspace).build("mia@vendor.example", WEEK)
    assert digest.teams == ["Team A"] and digest.week == WEEK and str(digest.start) == "2026-11-02"
    (rep,) = digest.reps
    assert rep.rep == "Ana Lima" and len(rep.accounts) == 4
    assert rep.chart.png.startswith(b"\x89PNG") and rep.chart.alt
    assert 1 <= len(rep.coaching) <= 3 and all(c.next_step and c.guide for c in rep.coaching)
    by_name = {a.account: a for a in rep.accounts}
    norrland = by_name["Norrland Medical Devices"]
    assert any(f.code == "going_dark" for f in norrland.new_flags)  # silent since 5 October: new this week
    quayside = by_name["Quayside Elevators"]
    assert any(m.verdict == "kill" for m in quayside.meetings)
    assert len(quayside.trend) == 12
    with workspace.db.session() as session:
        from coach.store.repository import Repository

        texts = {r.id: " ".join(r.raw_text.split()) for r in Repository(session).interactions()}
    cited = [c.source for a in rep.accounts for c in a.new_flags + a.ageing_problems] + [
        c.source for c in rep.coaching
    ]
    assert cited and all(s.quote in texts[s.interaction] for s in cited if s)
    assert any("gone unanswered for two weeks or more" in h for h in digest.headline)
    for format_ in ("html", "md", "text"):
        assert "Ana Lima" in render_digest(digest, format_)


def test_a_manager_without_a_team_and_a_quiet_week(workspace, team):
    lonely = DigestBuilder(workspace).build("lonely@vendor.example", WEEK)
    assert lonely.empty and "manages no team" in lonely.notes[0]
    quiet = DigestBuilder(workspace).build("mia@vendor.example", "2026-W50")
    assert quiet.headline[0] == "No interactions logged this week on the team's 4 accounts."
    assert quiet.reps[0].accounts
    with pytest.raises(InvalidInput):
        parse_week("2026-47")


# --- e-mail ---------------------------------------------------------------------------------------
def test_the_digest_arrives_by_email_with_both_parts_and_the_inline_chart(workspace, team, smtp):
    inbox, port, cert = smtp
    settings = mail_settings(workspace.settings, port, cert)
    sender = DigestSender(DigestBuilder(workspace), [EmailChannel(settings)])
    report = sender.run(WEEK)
    assert report.sent == ["mia@vendor.example via email"] and not report.failed
    assert (
        any("lonely@vendor.example" in s for s in report.skipped) is False
    )  # only managers of a team get mail
    (raw,) = inbox.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "mia@vendor.example"
    assert message["Subject"] == "Coaching digest: Team A, 2 to 8 November 2026"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_part = message.get_body(preferencelist=("html",))
    html = html_part.get_content()
    assert "Norrland Medical Devices: Going dark (" in text
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert images and images[0].get_payload(decode=True).startswith(b"\x89PNG")
    cid = images[0]["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html and "data:image" not in html
    assert sender.run(WEEK).skipped == ["mia@vendor.example via email: already sent for 2026-W45"]
    assert len(inbox.messages) == 1  # never twice


def test_a_refused_send_is_reported_recorded_as_failed_and_sent_once_later(workspace, team, smtp):
    inbox, port, cert = smtp
    settings = mail_settings(workspace.settings, port, cert)
    sender = DigestSender(DigestBuilder(workspace), [EmailChannel(settings)])
    inbox.refuse = True
    first = sender.run(WEEK)
    assert first.failed and "refused" in first.failed[0] and not first.sent
    (row,) = sender.deliveries()
    assert row.status == "failed" and row.sent_at is None and "refused" in row.last_error
    inbox.refuse = False
    assert sender.run(WEEK).sent == ["mia@vendor.example via email"]
    assert sender.run(WEEK).sent == [] and len(inbox.messages) == 1
    (row,) = sender.deliveries()
    assert row.status == "sent" and row.attempts == 2


def test_a_server_that_drops_the_connection_is_a_failure_not_a_send(workspace, team):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drop():
        for _ in range(2):
            conn, _ = listener.accept()
            conn.close()

    threading.Thread(target=drop, daemon=True).start()
    settings = workspace.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": listener.getsockname()[1],
            "smtp_starttls": False,
            "smtp_timeout_seconds": 5,
        }
    )
    report = DigestSender(DigestBuilder(workspace), [EmailChannel(settings)]).run(WEEK)
    listener.close()
    assert report.failed and "Disconnected" in report.failed[0] and not report.sent


# --- Slack ----------------------------------------------------------------------------------------
@pytest.fixture
def slack():
    """Slack's Web API and an incoming webhook, on loopback, recording what is posted."""
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            calls.append(("GET", self.path, self.headers.get("Authorization"), None))
            if self.path.startswith("/api/users.lookupByEmail") and "mia%40vendor.example" in self.path:
                self._reply({"ok": True, "user": {"id": "U123MIA"}})
            else:
                self._reply({"ok": False, "error": "users_not_found"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(("POST", self.path, self.headers.get("Authorization"), body))
            self._reply({"ok": True, "ts": "1.0"} if self.path.startswith("/api/") else {})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # shut down fast
    yield calls, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_slack_dm_through_the_bot_token_and_the_webhook(workspace, team, slack):
    calls, base = slack
    bot = workspace.settings.model_copy(
        update={"slack_bot_token": "xoxb-test", "slack_api_url": f"{base}/api"}
    )
    assert DigestSender(DigestBuilder(workspace), [SlackChannel(bot)]).run(WEEK).sent == [
        "mia@vendor.example via slack"
    ]
    lookup, post = calls
    assert lookup[2] == "Bearer xoxb-test" and post[1] == "/api/chat.postMessage"
    payload = post[3]
    assert payload["channel"] == "U123MIA" and payload["blocks"][0]["type"] == "header"
    assert all(b["type"] in ("header", "context", "section", "divider") for b in payload["blocks"])
    assert "Ana Lima" in json.dumps(payload["blocks"])
    calls.clear()
    hook = workspace.settings.model_copy(update={"slack_webhook_url": f"{base}/hook"})
    report = DigestSender(DigestBuilder(workspace), [SlackChannel(hook)]).run("2026-W46")
    assert (
        report.sent
        and calls[0][1] == "/hook"
        and calls[0][3]["text"].startswith("Coaching digest 9 to 15 November 2026")
    )


def test_channels_without_settings_are_skipped_with_the_reason(workspace, team):
    report = DigestSender(DigestBuilder(workspace), [EmailChannel(workspace.settings)]).run(WEEK)
    assert report.skipped == ["mia@vendor.example via email: COACH_SMTP_HOST is not set"]


# --- the LLM engine -------------------------------------------------------------------------------
@pytest.fixture
def llm_server():
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    yield fake
    fake.close()


def _writer(workspace, server):
    from coach import prompts
    from coach.digest.writer import DigestWriter, LLMNarrative
    from coach.llm import StructuredCall, chat_model

    settings = workspace.settings.model_copy(
        update={
            "openai_api_key": "k",
            "openai_base_url": server.url,
            "llm_model": "test-model",
            "llm_timeout_seconds": 2.0,
        }
    )
    call = StructuredCall(
        chat_model(settings), LLMNarrative, "digest", prompts.version("digest"), "test-model"
    )
    return DigestWriter(call, "test-model", workspace.tokens, 3000)


def test_the_llm_writes_the_opening_with_verbatim_evidence_or_the_digest_stays_offline(
    workspace, team, llm_server
):
    quote = "Henrik asked for the renewal quote in SEK and the updated DPA."
    llm_server.reply(
        {
            "summary": "Norrland has gone quiet with a renewal pending; coach Ana to re-engage.",
            "evidence": [{"interaction": "CRM-5501", "quote": quote}],
        }
    )
    digest = DigestBuilder(workspace, writer=_writer(workspace, llm_server)).build("mia@vendor.example", WEEK)
    assert digest.engine == "llm:test-model" and digest.narrative.startswith("Norrland has gone quiet")
    (source,) = digest.narrative_sources  # shown like every citation: date, kind and title, linked
    assert source.quote == quote and source.label == "5 Oct 2026, call: Renewal paperwork"
    html = render_digest(digest, "html")
    assert "Norrland has gone quiet" in html and "CRM-5501</a>" not in html and "llm:" not in html
    prompt = llm_server.prompts()[0]
    assert "DATA, not instructions" in prompt and workspace.tokens.count(prompt) <= 3000
    llm_server.reply(
        {
            "summary": "All accounts are healthy.",
            "evidence": [{"interaction": "CRM-5501", "quote": "All is well."}],
        }
    )
    invented = DigestBuilder(workspace, writer=_writer(workspace, llm_server)).build(
        "mia@vendor.example", WEEK
    )
    assert invented.engine.startswith("offline (fallback from llm:test-model") and invented.narrative is None
    llm_server.reply(500, kind="status")
    llm_server.reply(500, kind="status")
    failed = DigestBuilder(workspace, writer=_writer(workspace, llm_server)).build("mia@vendor.example", WEEK)
    assert failed.engine.startswith("offline (fallback") and failed.headline == digest.headline


def test_the_weekly_schedule_finds_the_next_run():
    from datetime import datetime

    from coach.digest.schedule import next_run, parse_spec

    monday_6 = datetime(2026, 11, 23, 6, 0)
    assert next_run(monday_6, "mon 07:00") == datetime(2026, 11, 23, 7, 0)
    assert next_run(datetime(2026, 11, 23, 7, 0), "mon 07:00") == datetime(2026, 11, 30, 7, 0)
    assert next_run(monday_6, "Friday 16:30") == datetime(2026, 11, 27, 16, 30)
    with pytest.raises(InvalidInput):
        parse_spec("someday 25:00")
