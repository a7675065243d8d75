"""E-mail: ``.eml`` files and ``.mbox`` mailboxes.

Headers give the participants (From/To/Cc, sides by domain), the date and the
subject. The body is split into what was said now (the newest message, without
its signature or "Sent from my phone" line) and what was carried along
(quoted replies and forwarded chains), which is kept and marked as earlier.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import ClassVar

from coach.ingest.common import LATEST_YEAR, RecordError, SourceDefaults, check_record, parse_date
from coach.ingest.threads import split_body
from coach.people import email_domain, is_internal_domain
from coach.records import InteractionRecord, Participant, Rejection, Side


class _HTMLText(HTMLParser):
    _BREAKS: ClassVar[set[str]] = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    text = "".join(parser.parts)
    return re.sub(r"\n\s*\n+", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise RecordError("the message has no text body (only attachments?)")
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        raise RecordError("the message body is not text")
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    try:
        values = message.get_all(header) or []
        return [(n, a) for n, a in getaddresses([str(v) for v in values]) if a and "@" in a]
    except Exception as exc:  # noqa: BLE001 - header parsing errors come in many types
        raise RecordError(f"the {header} header cannot be read: {exc}") from None


def _person_name(name: str, address: str) -> str:
    return name.strip().strip('"') or address.split("@")[0].replace(".", " ").title()


def parse_message(raw: bytes, origin: str, defaults: SourceDefaults) -> InteractionRecord:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise RecordError("no e-mail headers found (is this an .eml file?)")
    body = _body(message)
    newest, earlier = split_body(body)
    people: list[tuple[str, str, str]] = []
    for header in ("From", "To", "Cc"):
        for name, address in _addresses(message, header):
            if all(address.lower() != p[1].lower() for p in people):
                people.append((header, address, _person_name(name, address)))
    if not people:
        raise RecordError("the message has no From/To/Cc address")
    internal = defaults.internal_domains
    participants = []
    for _, address, name in people:
        domain = email_domain(address)
        side: Side | None = None
        if internal:
            side = "internal" if is_internal_domain(domain, internal) else "customer"
        participants.append(Participant(name=name, email=address.lower(), side=side))
    internal_people = [p for p in participants if p.side == "internal"]
    rep = internal_people[0].name if internal_people else defaults.rep
    account = defaults.account or _account_from_domains(participants, defaults)
    return InteractionRecord(
        account=account,
        text=body,
        clean_text=newest,
        quoted_text=earlier,
        origin=origin,
        kind=defaults.kind or "email",
        occurred_at=_date(message),
        source_id=_message_id(message),
        rep=rep,
        subject=str(message.get("Subject", "")).strip() or None,
        participants=participants,
    )


def _account_from_domains(participants: list[Participant], defaults: SourceDefaults) -> str:
    customer_domains = {d for p in participants if p.side == "customer" and (d := email_domain(p.email))}
    if defaults.account_for_domain is not None:
        for domain in sorted(customer_domains):
            found = defaults.account_for_domain(domain)
            if found:
                return found
    raise RecordError(
        "cannot tell which account this e-mail belongs to: pass --account NAME"
        + (
            ""
            if defaults.internal_domains
            else " (or set COACH_INTERNAL_DOMAINS so customer domains are known)"
        )
    )


def _date(message: EmailMessage) -> datetime | None:
    value = message.get("Date")
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        raise RecordError(f"the Date header {str(value)!r} is not a date") from None
    if parsed is None or parsed.year > LATEST_YEAR:
        raise RecordError(f"the Date header {str(value)!r} is not a date")
    return parse_date(parsed)


def _message_id(message: EmailMessage) -> str | None:
    value = str(message.get("Message-ID", "")).strip().strip("<>").strip()
    if not value:
        return None
    return "email-" + hashlib.sha256(value.encode()).hexdigest()[:16]


def read_eml(data: bytes, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    try:
        yield check_record(parse_message(data, name, defaults), defaults)
    except RecordError as exc:
        yield Rejection(name, str(exc))


_MBOX_FROM = re.compile(rb"^From \S+")


def read_mbox(data: bytes, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    """Messages of an mbox, each reported by the line it starts on."""
    lines = data.split(b"\n")
    starts = [
        i for i, line in enumerate(lines) if _MBOX_FROM.match(line) and (i == 0 or not lines[i - 1].strip())
    ]
    if not starts:
        yield Rejection(name, "no messages found: an mbox file starts each message with a 'From ' line")
        return
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = [re.sub(rb"^>(>*From )", rb"\1", line) for line in lines[start + 1 : end]]
        origin = f"{name}:{start + 1}"
        try:
            yield check_record(parse_message(b"\n".join(body), origin, defaults), defaults)
        except RecordError as exc:
            yield Rejection(origin, str(exc))
