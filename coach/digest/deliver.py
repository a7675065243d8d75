"""Rendering and delivering digests: e-mail over SMTP (STARTTLS, auth) and Slack (DM or webhook), each once.

Sending is idempotent per manager, ISO week and channel (``digest_deliveries``):
a sent digest is never sent again; a failed one is recorded with its error and
retried by the next run. A manager who manages no team gets nothing.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coach.config import Settings
from coach.digest.build import DigestBuilder, parse_week
from coach.digest.model import Digest, Finding
from coach.digest.render import render_digest, rep_summary
from coach.store.schema import DigestDeliveryRow

log = logging.getLogger(__name__)
CHANNELS = ("email", "slack")
__all__ = [
    "CHANNELS",
    "DigestSender",
    "EmailChannel",
    "SlackChannel",
    "email_message",
    "render_digest",
    "slack_payload",
]


def email_message(digest: Digest, settings: Settings) -> EmailMessage:
    """multipart/alternative: plain text that reads on its own, and HTML with the charts inline
    (multipart/related, cid: links; mail clients block remote images and strip data: URIs)."""
    message = EmailMessage()
    message["Subject"] = f"Coaching digest: {digest.title}, {digest.dates}"
    message["From"] = settings.smtp_from
    message["To"] = digest.manager_email
    cids = {c.cid: make_msgid(domain="coach.local") for c in digest.images}
    message.set_content(render_digest(digest, "text"))
    html = render_digest(digest, "html", images={name: f"cid:{cid[1:-1]}" for name, cid in cids.items()})
    message.add_alternative(html, subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None  # just added
    for chart in digest.images:
        html_part.add_related(chart.png, "image", "png", cid=cids[chart.cid], filename=f"{chart.cid}.png")
    return message


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ready(self) -> str | None:
        return None if self.settings.smtp_host else "COACH_SMTP_HOST is not set"

    def send(self, digest: Digest) -> None:
        s = self.settings
        assert s.smtp_host
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
                smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(email_message(digest, s))


class SlackChannel:
    name = "slack"

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.http = client or httpx.Client(timeout=20)

    def ready(self) -> str | None:
        s = self.settings
        return (
            None
            if (s.slack_webhook_url or s.slack_bot_token)
            else "neither COACH_SLACK_WEBHOOK_URL nor COACH_SLACK_BOT_TOKEN is set"
        )

    def send(self, digest: Digest) -> None:
        payload = slack_payload(digest)
        s = self.settings
        if s.slack_bot_token:
            headers = {"Authorization": f"Bearer {s.slack_bot_token}"}
            found = self._call("users.lookupByEmail", headers, params={"email": digest.manager_email})
            self._call("chat.postMessage", headers, json={"channel": found["user"]["id"], **payload})
            return
        response = self.http.post(str(s.slack_webhook_url), json=payload)
        if response.status_code != 200:
            raise RuntimeError(f"Slack webhook answered {response.status_code}: {response.text[:200]}")

    def _call(self, method: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        url = f"{self.settings.slack_api_url.rstrip('/')}/{method}"
        response = (
            self.http.get(url, headers=headers, **kwargs)
            if "params" in kwargs
            else self.http.post(url, headers=headers, **kwargs)
        )
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code != 200 or not body.get("ok"):
            raise RuntimeError(f"Slack {method} failed: {body.get('error') or response.status_code}")
        return body


def slack_payload(digest: Digest) -> dict[str, Any]:
    """Block Kit: a header, the headline with the team page, this week's news, the sections other parts of the
    coach add (the investment questions), then per rep the coaching points; every account and cited note linked
    into the web app."""
    pages = " · ".join(f"<{t.url}|{_esc(t.label)}'s team page>" for t in digest.team_pages)
    glance = "\n".join(f"• {_esc(h)}" for h in digest.headline) or "Nothing to report."
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Coaching digest: {digest.title}"[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{digest.dates} · {pages}"[:2900]}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": glance[:2900]}},
    ]
    news = [("New", f) for f in digest.new_flags] + [("Resolved", f) for f in digest.resolved]
    news += [("Turning", f) for f in digest.crossed]
    if news:
        lines = ["*This week*"] + [f"• {word}: {_finding(f)}" for word, f in news[:12]]
        if len(news) > 12:
            lines.append(f"…and {len(news) - 12} more in the e-mail and on the team page.")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    for section in digest.sections:
        lines = [f"*{_esc(section.title)}*"] + ([_esc(section.intro)] if section.intro else [])
        lines += [f"• {_finding(f)}" for f in section.findings]
        if section.more:
            lines.append(f"<{section.more.url}|{_esc(section.more.label)}>")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    for rep in digest.reps:
        if len(blocks) >= 48:
            break
        lines = [f"*{_esc(rep.rep)}*: {_esc(rep_summary(rep))}"]
        lines += [
            f"{i}. *{_esc(c.next_step or '')}*\n    {_finding(c, title=False)}"
            for i, c in enumerate(rep.coaching, 1)
        ]
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    return {"text": f"Coaching digest {digest.dates}: " + " ".join(digest.headline)[:300], "blocks": blocks}


def _finding(f: Finding, title: bool = True) -> str:
    head = f"<{f.account_url}|{_esc(f.account)}>" + (f", {_esc(f.title)}" if title else "")
    cite = f" _“{_esc(f.source.quote)}”_ (<{f.source.url}|{_esc(f.source.label)}>)" if f.source else ""
    return f"{head}: {_esc(f.what)}{cite}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class DigestSender:
    def __init__(self, builder: DigestBuilder, channels: list[Any]) -> None:
        self.builder = builder
        self.db = builder.ws.db
        self.channels = channels

    def run(self, week: str | None = None, team: str | None = None) -> SendReport:
        label, _, _ = parse_week(week)
        report = SendReport()
        for manager in self.builder.managers(team):
            digest: Digest | None = None
            for channel in self.channels:
                who = f"{manager.email} via {channel.name}"
                reason = channel.ready()
                if reason:
                    report.skipped.append(f"{who}: {reason}")
                    continue
                if not self._claim(manager.id, label, channel.name):
                    report.skipped.append(f"{who}: already sent for {label}")
                    continue
                try:
                    digest = digest or self.builder.build(manager.email, label)
                    channel.send(digest)
                except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried next run
                    log.warning("digest %s for %s failed: %s", label, who, exc)
                    self._finish(manager.id, label, channel.name, error=f"{type(exc).__name__}: {exc}")
                    report.failed.append(f"{who}: {type(exc).__name__}: {exc}")
                else:
                    self._finish(manager.id, label, channel.name)
                    report.sent.append(who)
        return report

    def _claim(self, manager_id: int, week: str, channel: str) -> bool:
        """True if this run should send (never sent, or failed before); records the attempt. Safe with several
        senders (workers, hosts): the row is locked while it is claimed, and a send another sender started in the
        last 15 minutes is left to it."""
        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            row = session.scalar(
                select(DigestDeliveryRow)
                .where(
                    DigestDeliveryRow.manager_id == manager_id,
                    DigestDeliveryRow.week == week,
                    DigestDeliveryRow.channel == channel,
                )
                .with_for_update()
            )
            if row is not None and row.status == "sent":
                return False
            if row is not None and row.status == "sending":
                started = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
                if now - started < timedelta(minutes=15):
                    return False
            if row is None:
                row = DigestDeliveryRow(
                    manager_id=manager_id,
                    week=week,
                    channel=channel,
                    status="sending",
                    attempts=0,
                    updated_at=now,
                )
                session.add(row)
            row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now
            try:
                session.commit()
            except IntegrityError:  # another worker claimed it a moment ago
                return False
        return True

    def _finish(self, manager_id: int, week: str, channel: str, error: str | None = None) -> None:
        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            row = session.scalar(
                select(DigestDeliveryRow).where(
                    DigestDeliveryRow.manager_id == manager_id,
                    DigestDeliveryRow.week == week,
                    DigestDeliveryRow.channel == channel,
                )
            )
            assert row is not None
            row.status = "failed" if error else "sent"
            row.last_error = error[:2000] if error else None
            row.sent_at = None if error else now
            row.updated_at = now
            session.commit()

    def deliveries(self) -> list[DigestDeliveryRow]:
        with self.db.session() as session:
            return list(session.scalars(select(DigestDeliveryRow).order_by(DigestDeliveryRow.id)))
