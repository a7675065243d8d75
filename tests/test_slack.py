"""The Slack bot end to end on loopback: Slack's requests signed with a test secret, the bot mounted in a real
coach API server (uvicorn), Slack's Web API and response_url replaced by a loopback server that records posts."""

import json
import time
from urllib.parse import urlencode

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
    assert "Pinecrest Utilities" in _texts(body["blocks"])
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
