"""Tenancy and identity, attacked as a hostile colleague and an outsider would: each scenario tries, against a real
coach server on loopback (uvicorn, the Slack bot mounted, Slack itself a loopback fake), and counts what
succeeded. Used by tests/test_hardening_tenancy.py (every count must be 0) and bench/robustness.py.

- take-over: a Slack profile claiming an admin's unverified e-mail, `/coach link` to another's address, a
  replayed signed request, a Slack user with no coach user;
- cross-team poisoning: team A logs B's customer as its rep, as an internal participant and with B's customer's
  domain; B's report must not change by a byte;
- race: two teams post the first note of one new account at once; a rep posts while another team's long batch
  creates the account;
- revoked session: a copied cookie after logout, a password change, sign out everywhere; a token after removal
  from the team;
- disabled user: their token, their browser and their Slack.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from coach.analysis.service import OURS_TTL
from coach.auth import Users
from coach.config import Settings
from coach.workspace import Workspace
from tests.conftest import free_port, serving
from tests.fake_slack import SECRET, FakeSlack, signed
from tests.hardening.env import BEN_ACCOUNT, PASSWORDS, TwoTeams, two_teams

AS_OF = "2026-11-20"
SLACK_PEOPLE = {
    "U_ANA": ("ana@vendor.example", True),
    "U_BEN": ("ben@vendor.example", True),
    "U_EVE": ("root@vendor.example", False),  # an unverified Slack profile claiming the admin's address
    "U_MAL": ("mallory@elsewhere.example", True),  # a Slack user with no coach user at all
}
# Team B's customer, met in a call note and in an e-mail from her own domain.
LENA = {"name": "Lena Park", "email": "lena@bravofreight.example", "title": "Operations Lead"}
B_NOTES = [
    {
        "account": BEN_ACCOUNT,
        "kind": "call",
        "date": "2026-10-08",
        "rep": "Ben Okafor",
        "participants": [{"name": "Ben Okafor", "side": "internal"}, {**LENA, "side": "customer"}],
        "text": "Call with Lena Park. Lena said the depot scanners fail every night shift and asked for a fix "
        "before the holiday peak. I said we would look into it.",
    },
    {
        "account": BEN_ACCOUNT,
        "kind": "email",
        "date": "2026-10-15",
        "rep": "Ben Okafor",
        "participants": [
            {"name": "Lena Park", "email": LENA["email"]},
            {"name": "Ben Okafor", "side": "internal"},
        ],
        "text": "From: Lena Park <lena@bravofreight.example>\nTo: Ben Okafor\nSubject: scanners\n\nBen, the "
        "scanners failed again last night and the drivers waited two hours. Please send a plan this week.",
    },
]
POISON = [  # team A, in its own account: B's customer as our rep, as one of ours, and B's domain as ours
    {
        "account": "Pinecrest Utilities",
        "kind": "note",
        "date": "2026-10-20",
        "rep": LENA["name"],
        "text": "Internal prep for the Pinecrest renewal.",
    },
    {
        "account": "Pinecrest Utilities",
        "kind": "meeting",
        "date": "2026-10-21",
        "participants": [{"name": LENA["name"], "side": "internal"}],
        "text": "Internal sync on the Pinecrest field crews.",
    },
    {
        "account": "Pinecrest Utilities",
        "kind": "meeting",
        "date": "2026-10-22",
        "participants": [{"name": "Pat Quinn", "email": "pat@bravofreight.example", "side": "internal"}],
        "text": "Pat joined our Pinecrest planning session.",
    },
]


@dataclass
class Attempt:
    scenario: str
    attempt: str
    succeeded: bool
    detail: str = ""


@dataclass
class World:
    base: str
    slack: FakeSlack
    env: TwoTeams
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)

    def api(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.env.tokens[who]}"}, timeout=60
        )

    def browser(self, who: str) -> httpx.Client:
        """A browser signed in as ``who`` (its own cookie jar)."""
        client = httpx.Client(base_url=self.base, headers={"Accept": "text/html"}, timeout=60)
        csrf = _csrf(client.get("/login").text)
        response = client.post(
            "/login", data={"email": f"{who}@vendor.example", "password": PASSWORDS[who], "csrf": csrf}
        )
        assert response.status_code == 303, response.text
        return client

    def slack_command(self, text: str, user: str, timeout: float = 30) -> str:
        """Send `/coach TEXT` as a signed Slack request; returns what the bot answered (the response_url post)."""
        tag = f"{user}-{time.time_ns()}"
        body = urlencode(
            {
                "command": "/coach",
                "text": text,
                "user_id": user,
                "team_id": "T1",
                "channel_id": "C1",
                "trigger_id": "trig",
                "response_url": f"{self.slack.url}/respond/{tag}",
            }
        )
        response = httpx.post(self.base + "/slack/events", content=body, headers=signed(body), timeout=30)
        assert response.status_code == 200, response.text
        _, posted, _ = self.slack.wait(f"/respond/{tag}", timeout=timeout)
        return str(posted)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@contextmanager
def world(settings: Settings, embedder: Any) -> Iterator[World]:
    """Two teams (tests.hardening.env), B's customer Lena, a served coach with the bot, Slack on loopback."""
    slack = FakeSlack(SLACK_PEOPLE)
    port = free_port()
    ws = Workspace(settings, embedder)
    env = two_teams(ws)
    bot, _ = env.users.create_token("root@vendor.example", "slack-bot", delegate=True)
    configured = settings.model_copy(
        update={
            "slack_signing_secret": SECRET,
            "slack_bot_token": "xoxb-test",
            "slack_api_url": slack.url + "/api",
            "coach_api_url": f"http://127.0.0.1:{port}",
            "coach_api_token": bot,
            "app_url": f"http://127.0.0.1:{port}",
        }
    )
    from api.app import create_app

    try:
        with serving(create_app(configured, ws), port) as base:
            shared = World(base, slack, env, configured)
            with shared.api("ben") as ben:
                for note in B_NOTES:
                    assert ben.post("/v1/interactions", json=note).status_code == 201
            yield shared
    finally:
        ws.close()
        slack.server.shutdown()


# --- take-over --------------------------------------------------------------------------------------
def takeover(w: World) -> list[Attempt]:
    out = []
    answer = w.slack_command("flags Pinecrest Utilities", "U_EVE")
    out.append(
        _attempt("take-over", "unverified Slack e-mail of an admin reads flags", "Problem" in answer, answer)
    )
    linked = w.slack_command("link root@vendor.example", "U_EVE")
    answer = w.slack_command("search crew app crashes", "U_EVE")
    out.append(
        _attempt(
            "take-over",
            "/coach link to the admin's address, then search",
            "Pinecrest" in answer or "Linked you" in linked,
            answer,
        )
    )
    answer = w.slack_command(f"log {BEN_ACCOUNT} | Eve's note written as the admin.", "U_EVE")
    out.append(
        _attempt("take-over", "log into another team's account as the admin", "Logged to" in answer, answer)
    )
    answer = w.slack_command("flags Pinecrest Utilities", "U_MAL")
    out.append(
        _attempt("take-over", "a Slack user with no coach user reads flags", "Problem" in answer, answer)
    )
    out.append(_replay(w))
    return out


def _replay(w: World) -> Attempt:
    body = urlencode(
        {
            "command": "/coach",
            "text": "help",
            "user_id": "U_ANA",
            "team_id": "T1",
            "channel_id": "C1",
            "trigger_id": "t",
            "response_url": f"{w.slack.url}/respond/replay-{time.time_ns()}",
        }
    )
    headers = signed(body)
    first = httpx.post(w.base + "/slack/events", content=body, headers=headers, timeout=30)
    again = httpx.post(w.base + "/slack/events", content=body, headers=headers, timeout=30)
    return _attempt(
        "take-over",
        "the same signed Slack request sent twice",
        first.status_code == 200 and again.status_code == 200,
        f"{first.status_code} then {again.status_code}",
    )


# --- cross-team poisoning ---------------------------------------------------------------------------
def poisoning(w: World) -> list[Attempt]:
    with w.api("ben") as ben, w.api("ana") as ana:
        report = f"/v1/accounts/{BEN_ACCOUNT}/report"
        before = ben.get(report, params={"as_of": AS_OF}).content
        for note in POISON:
            assert ana.post("/v1/interactions", json=note).status_code == 201
        time.sleep(OURS_TTL + 0.5)  # a worker re-reads our people after this long: judge what it then reads
        after = ben.get(report, params={"as_of": AS_OF}).content
        later = ben.post(
            "/v1/interactions",
            json={
                "account": BEN_ACCOUNT,
                "kind": "meeting",
                "date": "2026-10-25",
                "participants": [{"name": "Lena Park", "email": LENA["email"]}],
                "text": "Lena walked us through the depot rota.",
            },
        ).json()
    sides = {p["name"]: p["side"] for p in later["interaction"]["participants"]}
    return [
        _attempt(
            "cross-team poisoning",
            "A's rep / internal participant / B's domain change B's report",
            before != after,
            f"{len(before)} vs {len(after)} bytes",
        ),
        _attempt(
            "cross-team poisoning",
            "B's customer stored as one of ours in B's next note",
            sides.get("Lena Park") != "customer",
            str(sides),
        ),
    ]


# --- race ------------------------------------------------------------------------------------------
def race(w: World, rounds: int = 4) -> list[Attempt]:
    out = [_race_round(w, f"Racing Freight {n}") for n in range(rounds)]
    out.append(_batch_race(w))
    return out


def _race_round(w: World, name: str) -> Attempt:
    results: dict[str, httpx.Response] = {}
    gate = threading.Barrier(2)

    def post(who: str) -> None:
        with w.api(who) as client:
            gate.wait()
            results[who] = client.post(
                "/v1/interactions",
                json={
                    "account": name,
                    "kind": "note",
                    "text": f"{who.title()}'s private note on {name}: pricing.",
                },
            )

    threads = [threading.Thread(target=post, args=(who,)) for who in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _race_outcome(w, name, results)


def _race_outcome(w: World, name: str, results: dict[str, httpx.Response]) -> Attempt:
    codes = {who: r.status_code for who, r in results.items()}
    winners = [who for who, code in codes.items() if code == 201]
    shared = len(winners) != 1 or sorted(codes.values()) != [201, 403]
    for who in ("ana", "ben"):
        other = "Ben" if who == "ana" else "Ana"
        with w.api(who) as client:
            seen = client.get(f"/v1/accounts/{name}/interactions")
            if seen.status_code == 200 and any(other in i["text"] for i in seen.json()):
                shared = True
    refused = next((r for who, r in results.items() if r.status_code == 403), None)
    if refused is not None and "belongs to another team" not in refused.text:
        shared = True
    return _attempt("race", f"two teams post the first note of {name!r} at once", shared, str(codes))


def _batch_race(w: World) -> Attempt:
    name = "Long Batch Logistics"
    batch = [
        {
            "account": name,
            "kind": "note",
            "date": "2026-10-01",
            "text": f"Ben's batch note {i}: {'route plan. ' * 60}",
        }
        for i in range(60)
    ]
    done = threading.Event()
    rep_codes: list[int] = []

    def long_batch() -> None:
        with w.api("ben") as ben:
            ben.post("/v1/interactions/batch", json={"interactions": batch})
        done.set()

    thread = threading.Thread(target=long_batch)
    thread.start()
    with w.api("ana") as ana:
        n = 0
        while not done.is_set() and n < 200:
            rep_codes.append(
                ana.post(
                    "/v1/interactions", json={"account": name, "text": f"Ana's note {n} on the rollout."}
                ).status_code
            )
            n += 1
            time.sleep(0.05)
    thread.join()
    seen = {}
    for who in ("ana", "ben"):
        with w.api(who) as client:
            got = client.get(f"/v1/accounts/{name}/interactions", params={"limit": 500})
            seen[who] = {i["text"].split("'")[0] for i in got.json()} if got.status_code == 200 else set()
    with w.env.workspace.db.session() as session:
        from sqlalchemy import select

        from coach.store.schema import AccountRow, InteractionRow

        account = session.scalar(select(AccountRow).where(AccountRow.name == name))
        loggers = set(
            session.scalars(select(InteractionRow.logged_by).where(InteractionRow.account_id == account.id))
        )
    mixed = (
        len(loggers) > 1
        or any(len(texts) > 1 for texts in seen.values())
        or any(c not in (201, 403) for c in rep_codes)
    )
    return _attempt(
        "race",
        "a rep posts while another team's long batch creates the account",
        mixed,
        f"rep's posts {sorted(set(rep_codes))}, teams whose notes are in it {len(loggers)}, read by "
        f"{', '.join(f'{k}: {sorted(v)}' for k, v in seen.items())}",
    )


# --- revoked sessions --------------------------------------------------------------------------------
def revoked_session(w: World) -> list[Attempt]:
    out = []
    browser = w.browser("ana")
    thief = _copy(w, browser)
    browser.post("/logout", data={"csrf": _csrf(browser.get("/").text)})
    out.append(_attempt("revoked session", "a copied cookie after logout", _signed_in(thief), ""))
    browser = w.browser("ana")
    other = _copy(w, browser)
    w.env.users.set_password("ana@vendor.example", "a-new-password-1")
    out.append(_attempt("revoked session", "a cookie after a password change", _signed_in(other), ""))
    PASSWORDS_NOW = {"ana": "a-new-password-1"}
    laptop = _browser_with(w, "ana", PASSWORDS_NOW["ana"])
    phone = _browser_with(w, "ana", PASSWORDS_NOW["ana"])
    laptop.post("/sessions/end-all", data={"csrf": _csrf(laptop.get("/").text)})
    out.append(
        _attempt("revoked session", "another browser after 'sign out everywhere'", _signed_in(phone), "")
    )
    with w.api("mia") as mia:
        assert mia.get("/v1/accounts/Pinecrest Utilities/report").status_code == 200
        w.env.users.remove_member("Team A", "mia@vendor.example")
        code = mia.get("/v1/accounts/Pinecrest Utilities/report").status_code
    out.append(_attempt("revoked session", "a token after removal from the team", code == 200, str(code)))
    return out


def _copy(w: World, browser: httpx.Client) -> httpx.Client:
    thief = httpx.Client(base_url=w.base, headers={"Accept": "text/html"}, timeout=60)
    thief.cookies.set("coach_session", browser.cookies.get("coach_session"))
    assert _signed_in(thief)
    return thief


def _browser_with(w: World, who: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=w.base, headers={"Accept": "text/html"}, timeout=60)
    csrf = _csrf(client.get("/login").text)
    assert (
        client.post(
            "/login", data={"email": f"{who}@vendor.example", "password": password, "csrf": csrf}
        ).status_code
        == 303
    )
    return client


def _signed_in(client: httpx.Client) -> bool:
    return client.get("/").status_code == 200


# --- disabled users ---------------------------------------------------------------------------------
def disabled_user(w: World) -> list[Attempt]:
    browser = w.browser("ben")
    before = w.slack_command(f"flags {BEN_ACCOUNT}", "U_BEN")
    assert "Problem" in before or BEN_ACCOUNT in before, before
    Users(w.env.workspace.db).set_active("ben@vendor.example", False)
    with w.api("ben") as ben:
        token = ben.get("/v1/accounts").status_code
    slack = w.slack_command(f"flags {BEN_ACCOUNT}", "U_BEN")
    return [
        _attempt("disabled user", "their API token", token == 200, str(token)),
        _attempt("disabled user", "their signed-in browser", _signed_in(browser), ""),
        _attempt("disabled user", "their Slack", "Problem" in slack or "scanners" in slack, slack[:200]),
    ]


SCENARIOS = {
    "take-over": takeover,
    "cross-team poisoning": poisoning,
    "race": race,
    "revoked session": revoked_session,
    "disabled user": disabled_user,
}


def _attempt(scenario: str, attempt: str, succeeded: bool, detail: str) -> Attempt:
    return Attempt(scenario, attempt, bool(succeeded), detail[:300])
