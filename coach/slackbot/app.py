"""The Slack app (slack-bolt): one set of handlers for HTTP mode (mounted at /slack/events) and Socket Mode.

Every handler acknowledges at once (Slack's three-second rule) and does the work
afterwards, answering through ``respond`` (the response_url) or a message. The
Slack person is mapped to a coach user by their Slack e-mail (``users.info``), or by
``/coach link EMAIL`` when the addresses differ; the coach API is then called as that
user, so the bot shows only what they may see.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond, Say
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from coach.slackbot import blocks
from coach.slackbot.client import CoachAPI, CoachAPIError

log = logging.getLogger(__name__)
LONG_NOTE = 2500


Reply = Callable[[str, list[dict[str, Any]]], Any]  # text and Block Kit blocks, to wherever the answer goes


def build_app(settings: Any, api: CoachAPI) -> App:
    token = settings.slack_bot_token or ""
    api_url = settings.slack_api_url.rstrip("/") + "/"
    app_url = settings.app_url

    def authorize(
        enterprise_id: str | None = None, team_id: str | None = None, user_id: str | None = None, **_: Any
    ) -> AuthorizeResult:
        # Offline-safe: no auth.test round trip (STACK.md); the bot token comes from settings.
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=token, bot_user_id=None
        )

    app = App(
        signing_secret=settings.slack_signing_secret or "",
        authorize=authorize,
        client=WebClient(token=token, base_url=api_url),
        process_before_response=False,
        request_verification_enabled=True,
    )

    def coach_user(client: WebClient, slack_user: str) -> str | None:
        """The coach user this Slack person is proven to be (see coach.slackbot.links), or None."""
        linked = api.linked(slack_user)
        if linked:
            return linked
        return verified_email(client, slack_user)

    def run(
        command: str, slack_user: str, client: WebClient, reply: Reply, trigger_id: str | None = None
    ) -> None:
        verb, _, rest = command.strip().partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb in ("", "help"):
            reply(blocks.HELP, blocks.message(blocks.HELP))
            return
        user: str | None = None
        try:
            if verb in ("link", "unlink"):
                text = link(client, slack_user, rest) if verb == "link" else unlink(slack_user)
                reply(text, blocks.message(text))
                return
            user = coach_user(client, slack_user)
            if user is None:
                reply(NOT_LINKED, blocks.message(NOT_LINKED))
                return
            answer(verb, rest, user, slack_user, client, reply, trigger_id)
        except CoachAPIError as exc:
            text = explain(exc, rest, slack_user, user)
            reply(text, blocks.message(text))

    def link(client: WebClient, slack_user: str, rest: str) -> str:
        url = api.link_url(slack_user, display_name(client, slack_user))
        typed = " (the address you typed is not used: the link goes to whoever confirms it)" if rest else ""
        return (
            f"To link this Slack account to coach, open <{url}|this link> within 10 minutes, signed in to "
            f"coach as yourself, and confirm{typed}. Until then I answer as nobody."
        )

    def unlink(slack_user: str) -> str:
        if api.unlink(slack_user):
            return "Unlinked: this Slack account no longer acts as your coach user."
        return "This Slack account was not linked."

    def answer(
        verb: str,
        rest: str,
        user: str,
        slack_user: str,
        client: WebClient,
        reply: Reply,
        trigger_id: str | None,
    ) -> None:
        if verb == "flags":
            account = rest or _missing("flags <account>")
            reply(f"Flags for {account}", blocks.flags(api.report(user, account, slack_user), app_url))
        elif verb == "brief":
            account, _, meeting = (p.strip() for p in rest.partition("|"))
            data = api.brief(
                user, account or _missing("brief <account> [| meeting]"), meeting or None, slack_user
            )
            reply(f"Prep brief: {data['account']}", blocks.brief(data, app_url))
        elif verb == "search":
            reply(
                f"Search: {rest}",
                blocks.hits(rest, api.search(user, rest or _missing("search <words>"), slack_user), app_url),
            )
        elif verb == "log":
            account, _, note = (p.strip() for p in rest.partition("|"))
            if (not note or len(note) > LONG_NOTE) and trigger_id:
                client.views_open(trigger_id=trigger_id, view=log_modal(account, note))
                return
            if not account or not note:
                _missing("log <account> | <note>")
            logged = api.log(user, account, note, slack_user=slack_user)
            reply(
                f"Logged to {account}",
                blocks.message(
                    f"Logged to *{blocks._esc(logged['interaction']['account'])}* ({logged['status']}). "
                    f"<{app_url}/interactions/{logged['interaction']['id']}|Open it in coach>"
                ),
            )
        else:
            reply(blocks.HELP, blocks.message(f"I don't know `{blocks._esc(verb)}`.\n" + blocks.HELP))

    def explain(exc: CoachAPIError, rest: str, slack_user: str, user: str | None) -> str:
        if exc.status == 0:
            return f"coach is unreachable right now: {exc.detail}. Try again in a minute."
        if exc.status == 403 and exc.detail.startswith("no coach user"):
            return (
                f"There is no active coach user for {user}. Ask your admin to add you (`coach users add {user}`) "
                "or enable you, or link another coach user with `/coach link`."
            )
        if exc.status == 404:
            wanted = rest.split("|")[0].strip()
            try:
                names = [a["name"] for a in api.accounts(user, slack_user)] if user else []
            except CoachAPIError:
                names = []
            near = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            return f"No account you can see is called “{wanted}”.{hint}"
        return f"coach could not do that: {exc.detail}"

    def say_in(say: Say) -> Reply:
        return lambda text, blocks_: say(text=text, blocks=blocks_)

    def respond_with(respond: Respond) -> Reply:
        return lambda text, blocks_: respond(text=text, blocks=blocks_, response_type="ephemeral")

    @app.command("/coach")
    def slash(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()  # within three seconds; the work follows
        run(
            command.get("text", ""),
            command["user_id"],
            client,
            respond_with(respond),
            command.get("trigger_id"),
        )

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Say, client: WebClient) -> None:
        words = " ".join(w for w in event.get("text", "").split() if not w.startswith("<@"))
        thread = event.get("thread_ts") or event.get("ts")
        run(words, event["user"], client, lambda text, b: say(text=text, blocks=b, thread_ts=thread))

    @app.shortcut("log_to_coach")
    def shortcut(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        message = shortcut.get("message", {})
        meta = {
            "channel": shortcut.get("channel", {}).get("id"),
            "ts": message.get("ts"),
            "thread_ts": message.get("thread_ts") or message.get("ts"),
        }
        client.views_open(
            trigger_id=shortcut["trigger_id"],
            view=log_modal("", message.get("text", ""), thread=True, meta=meta),
        )

    @app.view("coach_log")
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        account = values["account"]["value"]["value"].strip()
        note = (values["note"]["value"]["value"] or "").strip()
        with_thread = bool(values.get("thread", {}).get("value", {}).get("selected_options"))
        if not account:
            ack(response_action="errors", errors={"account": "Which account is this about?"})
            return
        ack()
        user_id = body["user"]["id"]
        meta = _meta(view)
        if with_thread and meta.get("channel") and meta.get("thread_ts"):
            replies: list[dict[str, Any]] = client.conversations_replies(
                channel=meta["channel"], ts=meta["thread_ts"]
            ).get("messages", [])
            note = "\n".join(m.get("text", "") for m in replies) or note

        def post(text: str, blocks_: list[dict[str, Any]]) -> Any:
            return client.chat_postMessage(channel=user_id, text=text, blocks=blocks_)

        run(f"log {account} | {note}", user_id, client, post)

    return app


NOT_LINKED = (
    "I don't know who you are in coach yet, so I answer as nobody. Run `/coach link` and confirm the link it gives "
    "you while signed in to coach (or ask your Slack admin to verify your Slack e-mail, if it is your coach "
    "e-mail)."
)


def verified_email(client: WebClient, slack_user: str) -> str | None:
    """The Slack profile e-mail, only when Slack says it is verified (``user.is_email_confirmed``)."""
    try:
        person = client.users_info(user=slack_user)["user"]
    except Exception:  # noqa: BLE001 - no e-mail scope, unknown user: they link instead
        return None
    email = (person.get("profile") or {}).get("email")
    if person.get("is_email_confirmed") is not True or not email or person.get("deleted"):
        return None
    return str(email).strip().lower()


def display_name(client: WebClient, slack_user: str) -> str | None:
    """How the person appears in Slack, shown on the confirmation page (so a forwarded link stands out)."""
    try:
        person = client.users_info(user=slack_user)["user"]
    except Exception:  # noqa: BLE001 - the page shows the Slack id alone
        return None
    profile = person.get("profile") or {}
    name = profile.get("real_name") or profile.get("display_name") or person.get("name")
    return str(name) if name else None


def _missing(usage: str) -> str:
    raise CoachAPIError(400, f"Use `/coach {usage}`.")


def _meta(view: dict[str, Any]) -> dict[str, str]:
    import json

    try:
        found: dict[str, str] = json.loads(view.get("private_metadata") or "{}")
        return found
    except ValueError:
        return {}


def log_modal(
    account: str, note: str, thread: bool = False, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    import json

    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "coach_log",
        "private_metadata": json.dumps(meta or {}),
        "title": {"type": "plain_text", "text": "Log to coach"},
        "submit": {"type": "plain_text", "text": "Log it"},
        "blocks": [
            {
                "type": "input",
                "block_id": "account",
                "label": {"type": "plain_text", "text": "Account"},
                "element": {"type": "plain_text_input", "action_id": "value", "initial_value": account[:150]},
            },
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "initial_value": note[:3000],
                },
            },
        ],
    }
    if thread:
        view["blocks"].append(
            {
                "type": "input",
                "block_id": "thread",
                "optional": True,
                "label": {"type": "plain_text", "text": "Thread"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "Include the whole thread"},
                            "value": "thread",
                        }
                    ],
                },
            }
        )
    return view
