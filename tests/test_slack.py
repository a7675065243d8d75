"""The Slack bot end to end on loopback: Slack's requests signed with a test secret, the bot mounted in a real
coach API server (uvicorn), Slack's Web API and response_url replaced by a loopback server that records posts."""

import json
import re
import time
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from coach.auth import Users
from coach.ingest.bundled import load_sample
from coach.ingest.pipeline import IngestPipeline
from tests.conftest import free_port, serving
from tests.fake_openai import FakeOpenAI
from tests.fake_slack import SECRET, FakeSlack, signed
from tests.test_api import _Attributed


@pytest.fixture
def world(settings, embedder):
    """A coach API server with the bot mounted, its store, and the fake Slack."""
    from api.app import create_app
    from coach.workspace import Workspace

    slack, llm = FakeSlack(), FakeOpenAI()
    port = free_port()
    bootstrap = Workspace(settings, embedder)
    users = Users(bootstrap.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("ben@vendor.example", "Ben Okafor", "rep", "ben-password")
    users.add("bot@vendor.example", "Slack Bot", "admin", "bot-password")
    users.add_team("Team A")
    users.add_member("Team A", ana.email)
    load_sample(_Attributed(IngestPipeline(bootstrap), ana.id))
    token, _ = users.create_token("bot@vendor.example", "slack-bot", delegate=True)
    bootstrap.close()
    configured = settings.model_copy(
        update={
            "slack_signing_secret": SECRET,
            "slack_bot_token": "xoxb-test",
            "slack_api_url": slack.url + "/api",
            "coach_api_url": f"http://127.0.0.1:{port}",
            "coach_api_token": token,
            "brief_engine": "llm",
            "openai_api_key": "k",
            "openai_base_url": llm.url,
            "llm_model": "test-model",
            "llm_timeout_seconds": 10.0,
        }
    )
    ws = Workspace(configured, embedder)
    with serving(create_app(configured, ws), port) as base:
        llm.default = ("status", 500)
        yield {"base": base, "slack": slack, "llm": llm, "settings": configured}
    ws.close()
    llm.close()
    slack.server.shutdown()


def _command(world, text, user="U_ANA", **headers_kw):
    body = urlencode(
        {
            "command": "/coach",
            "text": text,
            "user_id": user,
            "team_id": "T1",
            "channel_id": "C1",
            "trigger_id": "trig-1",
            "response_url": f"{world['slack'].url}/respond/{user}/{time.time_ns()}",
        }
    )
    t0 = time.monotonic()
    response = httpx.post(
        world["base"] + "/slack/events", content=body, headers=signed(body, **headers_kw), timeout=10
    )
    return response, time.monotonic() - t0


def _texts(blocks):
    return " ".join(b.get("text", {}).get("text", "") for b in blocks if isinstance(b.get("text"), dict))


def test_signatures_are_checked(world):
    bad, _ = _command(world, "help", secret="wrong-secret")
    assert bad.status_code == 401
    old, _ = _command(world, "help", timestamp=time.time() - 6 * 60)
    assert old.status_code == 401


def test_flags_come_back_with_their_quotes_in_block_kit(world):
    response, took = _command(world, "flags Quayside Elevators")
    assert response.status_code == 200 and took < 3
    _path, body, _ = world["slack"].wait("/respond/U_ANA")
    assert body["response_type"] == "ephemeral"
    blocks = body["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Quayside Elevators"
    assert all(b["type"] in ("header", "section", "actions") for b in blocks)
    text = _texts(blocks)
    assert "Problem nobody owned" in text and "“" in text  # a finding with its quote
    assert blocks[-1]["elements"][0]["url"].startswith("http://localhost:8000")


def test_a_slow_llm_brief_is_acknowledged_at_once_and_delivered_afterwards(world):
    world["llm"].reply(5, kind="sleep")  # the model takes 5 s, then answers nonsense
    world["llm"].reply(500, kind="status")  # and fails the retry: the offline brief is delivered
    start = len(world["slack"].posts)
    response, took = _command(world, "brief Quayside Elevators | weekly status")
    assert response.status_code == 200 and took < 3
    _, body, _at = world["slack"].wait("/respond/U_ANA", timeout=40, after=start)
    header = body["blocks"][0]["text"]["text"]
    assert header == "Prep brief: Quayside Elevators, weekly status"
    assert "fallback from llm:test-model" in json.dumps(body["blocks"])
    assert len(world["llm"].requests) >= 1


def test_log_search_and_help(world):
    start = len(world["slack"].posts)
    _command(
        world, "log Pinecrest Utilities | Call with Mei. She complained that the crew app crashes offline."
    )
    _, body, _ = world["slack"].wait("/respond/U_ANA", after=start)
    assert "Logged to *Pinecrest Utilities*" in _texts(body["blocks"])
    start = len(world["slack"].posts)
    _command(world, "search crew app crashes")
    _, body, _ = world["slack"].wait("/respond/U_ANA", after=start)
    shown = _texts(body["blocks"])
    assert "Pinecrest Utilities" in shown and "*crashes*" in shown  # the passage, its matched words in bold
    assert "?span=" in shown  # the link opens the note at that sentence
    start = len(world["slack"].posts)
    _command(world, "")
    _, body, _ = world["slack"].wait("/respond/U_ANA", after=start)
    assert "/coach log" in _texts(body["blocks"])


def test_people_without_a_coach_user_or_rights_get_a_clear_message_and_no_data(world):
    start = len(world["slack"].posts)
    _command(world, "flags Quayside Elevators", user="U_NOBODY")
    _, body, _ = world["slack"].wait("/respond/U_NOBODY", after=start)
    assert "no active coach user for nobody@vendor.example" in _texts(body["blocks"])
    start = len(world["slack"].posts)
    _command(world, "flags Quayside Elevators", user="U_BEN")
    _, body, _ = world["slack"].wait("/respond/U_BEN", after=start)
    text = _texts(body["blocks"])
    assert "No account you can see" in text and "Niamh" not in text
    start = len(world["slack"].posts)
    _command(world, "flags Quaysde Elevator")
    _, body, _ = world["slack"].wait("/respond/U_ANA", after=start)
    assert "Did you mean Quayside Elevators?" in _texts(body["blocks"])


def test_the_message_shortcut_logs_a_thread_through_a_modal(world):
    slack = world["slack"]
    action = {
        "type": "message_action",
        "callback_id": "log_to_coach",
        "trigger_id": "trig-2",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "channel": {"id": "C9"},
        "message": {"text": "Mei's crew app crashes", "ts": "1.1"},
    }
    body = urlencode({"payload": json.dumps(action)})
    assert httpx.post(world["base"] + "/slack/events", content=body, headers=signed(body)).status_code == 200
    _, opened, _ = slack.wait("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert (
        view["callback_id"] == "coach_log"
        and view["blocks"][1]["element"]["initial_value"] == "Mei's crew app crashes"
    )
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "view": {
            "type": "modal",
            "callback_id": "coach_log",
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "account": {"value": {"value": "Pinecrest Utilities"}},
                    "note": {"value": {"value": "Mei's crew app crashes"}},
                    "thread": {"value": {"selected_options": [{"value": "thread"}]}},
                }
            },
        },
    }
    body = urlencode({"payload": json.dumps(submission)})
    assert httpx.post(world["base"] + "/slack/events", content=body, headers=signed(body)).status_code == 200
    _, posted, _ = slack.wait("chat.postMessage")
    assert "Logged to *Pinecrest Utilities*" in json.dumps(posted)
    assert any("conversations.replies" in p[0] for p in slack.posts)  # the thread was fetched


def test_socket_mode_runs_the_same_handlers(world):
    from slack_bolt.request import BoltRequest

    from coach.slackbot.app import build_app
    from coach.slackbot.client import CoachAPI

    settings = world["settings"]
    app = build_app(settings, CoachAPI(settings.coach_api_url, settings.coach_api_token))
    start = len(world["slack"].posts)
    mention = {
        "type": "event_callback",
        "team_id": "T1",
        "event": {
            "type": "app_mention",
            "user": "U_ANA",
            "text": "<@UBOT> flags Norrland Medical Devices",
            "ts": "2.2",
            "channel": "C1",
        },
    }
    response = app.dispatch(BoltRequest(body=mention, mode="socket_mode"))
    assert response.status == 200
    _, posted, _ = world["slack"].wait("chat.postMessage", after=start)
    assert posted["thread_ts"] == "2.2" and "Norrland Medical Devices" in json.dumps(posted)
    down = build_app(
        settings, CoachAPI(f"http://127.0.0.1:{free_port()}", "coach_x")
    )  # the coach API is not there
    command = {
        "command": "/coach",
        "text": "flags Norrland Medical Devices",
        "user_id": "U_ANA",
        "team_id": "T1",
        "response_url": f"{world['slack'].url}/respond/down",
        "trigger_id": "t",
    }
    assert down.dispatch(BoltRequest(body=command, mode="socket_mode")).status == 200
    _, body, _ = world["slack"].wait("/respond/down")
    assert "unreachable" in _texts(body["blocks"])


@pytest.mark.parametrize(
    "text,expect",
    [
        ("help", "/coach brief"),
        ("flags Quayside Elevators", "Problem nobody owned"),
        ("search storm season fix", "Pinecrest Utilities"),
        (
            "log Harbor & Vine Hospitality | Call with Priya. She asked for the root cause by Friday.",
            "Logged to",
        ),
    ],
)
def test_every_command_works_in_socket_mode_too(world, text, expect):
    from slack_bolt.request import BoltRequest

    from coach.slackbot.app import build_app
    from coach.slackbot.client import CoachAPI

    settings = world["settings"]
    app = build_app(settings, CoachAPI(settings.coach_api_url, settings.coach_api_token))
    tag = f"socket-{time.time_ns()}"
    command = {
        "command": "/coach",
        "text": text,
        "user_id": "U_ANA",
        "team_id": "T1",
        "trigger_id": "t",
        "response_url": f"{world['slack'].url}/respond/{tag}",
    }
    assert app.dispatch(BoltRequest(body=command, mode="socket_mode")).status == 200
    _, body, _ = world["slack"].wait(f"/respond/{tag}")
    assert expect in json.dumps(body["blocks"])


def test_a_long_note_and_the_shortcut_open_a_form_in_socket_mode(world):
    from slack_bolt.request import BoltRequest

    from coach.slackbot.app import build_app
    from coach.slackbot.client import CoachAPI

    settings = world["settings"]
    app = build_app(settings, CoachAPI(settings.coach_api_url, settings.coach_api_token))
    start = len(world["slack"].posts)
    long_note = "Workshop notes. " + "The customer walked us through their plans. " * 80
    command = {
        "command": "/coach",
        "text": f"log Pinecrest Utilities | {long_note}",
        "user_id": "U_ANA",
        "team_id": "T1",
        "trigger_id": "trig-long",
        "response_url": f"{world['slack'].url}/respond/long",
    }
    assert app.dispatch(BoltRequest(body=command, mode="socket_mode")).status == 200
    _, opened, _ = world["slack"].wait("views.open", after=start)
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["blocks"][0]["element"]["initial_value"] == "Pinecrest Utilities"
    start = len(world["slack"].posts)
    action = {
        "type": "message_action",
        "callback_id": "log_to_coach",
        "trigger_id": "trig-3",
        "team": {"id": "T1"},
        "user": {"id": "U_ANA"},
        "channel": {"id": "C9"},
        "message": {"text": "A message", "ts": "3.3"},
    }
    assert app.dispatch(BoltRequest(body=action, mode="socket_mode")).status == 200
    world["slack"].wait("views.open", after=start)


# --- identity: a Slack person acts as a coach user only when that is proven -------------------------------
def _web(world, email, password):
    client = httpx.Client(base_url=world["base"], headers={"Accept": "text/html"}, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert (
        client.post("/login", data={"email": email, "password": password, "csrf": token}).status_code == 303
    )
    return client


def _answer(world, text, user):
    start = len(world["slack"].posts)
    _command(world, text, user=user)
    _, body, _ = world["slack"].wait(f"/respond/{user}", after=start)
    return _texts(body["blocks"])


def test_an_unverified_slack_email_or_a_typed_address_is_nobody(world):
    """U_EVE's Slack profile claims the admin's address, unverified: no data, and `/coach link ADMIN` links nothing."""
    answer = _answer(world, "flags Quayside Elevators", "U_EVE")
    assert "answer as nobody" in answer and "Quayside" not in answer
    linked = _answer(world, "link bot@vendor.example", "U_EVE")
    assert "confirm" in linked and "/slack-link?code=" in linked and "not used" in linked
    assert "answer as nobody" in _answer(world, "search crew app", "U_EVE")
    assert "answer as nobody" in _answer(world, "log Pinecrest Utilities | Eve was here.", "U_EVE")


def test_a_link_binds_to_whoever_confirms_it_signed_in_once(world):
    world["slack"].people["U_ANA2"] = ("ana.private@mail.example", False)  # Ana's other Slack, unverified
    reply = _answer(world, "link", "U_ANA2")
    url = re.search(r"<(http[^|>]+)\|", reply).group(1)
    parts = urlsplit(url)
    path = f"{parts.path.lstrip('/')}?{parts.query}"  # the web app's public URL, here served on loopback
    anonymous = httpx.get(world["base"] + "/" + path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    ana = _web(world, "ana@vendor.example", "ana-password")
    page = ana.get("/" + path)
    assert page.status_code == 200 and "Slack U_ANA2" in page.text and "ana@vendor.example" in page.text
    code = re.search(r'name="code" value="([^"]+)"', page.text).group(1)
    forged = ana.post("/slack-link", data={"code": code, "csrf": "forged"})
    assert forged.status_code == 403  # CSRF-protected
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = ana.post("/slack-link", data={"code": code, "csrf": token})
    assert done.status_code == 200 and "now acts as you" in done.text
    assert "Quayside Elevators" in _answer(world, "flags Quayside Elevators", "U_ANA2")
    ben = _web(world, "ben@vendor.example", "ben-password")  # the same link again: spent
    token = re.search(r'name="csrf" value="([^"]+)"', ben.get("/").text).group(1)
    again = ben.post("/slack-link", data={"code": code, "csrf": token})
    assert again.status_code == 422 and "expired or was used" in again.text
    assert "Unlinked" in _answer(world, "unlink", "U_ANA2")
    assert "answer as nobody" in _answer(world, "flags Quayside Elevators", "U_ANA2")


def test_the_bots_link_endpoints_answer_its_delegate_token_only(world):
    rep = Users(Workspace_db(world)).create_token("ana@vendor.example", "t")[0]
    for method, path in (("GET", "/v1/slack/links/U_ANA"), ("POST", "/v1/slack/link-codes")):
        response = httpx.request(
            method,
            world["base"] + path,
            headers={"Authorization": f"Bearer {rep}"},
            json={"slack_user": "U_ANA"},
        )
        assert response.status_code == 403, path


def Workspace_db(world):
    from coach.store.database import Database

    return Database(world["settings"].resolved_database_url)


def test_the_audit_trail_names_the_slack_user_the_bot_acted_for(world):
    _answer(world, "flags Quayside Elevators", "U_ANA")
    _answer(world, "log Pinecrest Utilities | Call with Mei about the rollout plan.", "U_ANA")
    from coach.audit import Audit

    events = Audit(Workspace_db(world)).events(limit=50)
    acted = [(e.action, e.slack_user, e.actor) for e in events if e.channel == "slack"]
    assert ("read", "U_ANA", "ana@vendor.example") in acted
    assert ("log", "U_ANA", "ana@vendor.example") in acted


def test_a_replayed_signed_request_is_refused(world):
    body = urlencode(
        {
            "command": "/coach",
            "text": "log Pinecrest Utilities | Replayed call note about the storm season.",
            "user_id": "U_ANA",
            "team_id": "T1",
            "response_url": f"{world['slack'].url}/respond/U_ANA/replay",
        }
    )
    headers = signed(body)
    assert httpx.post(world["base"] + "/slack/events", content=body, headers=headers).status_code == 200
    again = httpx.post(world["base"] + "/slack/events", content=body, headers=headers)
    assert again.status_code == 401 and "replay" in again.text
