"""Reading an e-mail thread: what was said now, and the earlier conversation it carries (quoted replies,
forwarded messages, Outlook header blocks), with signatures and mobile footers taken off the newest message."""

from __future__ import annotations

import re

# Where the earlier conversation starts.
_QUOTE_STARTS = [
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb.{0,80}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
]
_FORWARD_STARTS = [
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*Begin forwarded message:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded by .*-{2,}\s*$", re.IGNORECASE),
]
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject):\*?\s", re.IGNORECASE)
_ON_START = re.compile(r"^\s*On\b.{0,200}$", re.IGNORECASE)
_MOBILE = re.compile(
    r"^\s*(Sent from my \w[\w ]{0,30}|Sent from (Outlook|Mail|Yahoo Mail|Gmail)\b.*|Get Outlook for \w+.*"
    r"|Sent via .{0,40}|Envoyé de mon \w+.*|Von meinem \w+ gesendet.*)\s*$",
    re.IGNORECASE,
)
_SIG_DELIMITER = re.compile(r"^-- ?$")
_VALEDICTION = re.compile(
    r"^\s*(best|best regards|kind regards|warm regards|regards|many thanks|thanks|thank you|thx|cheers|"
    r"all the best|sincerely|br|talk soon|speak soon)[,.!]?\s*$",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^\s*\*?(From|To|Cc|Date|Sent|Subject):\*?\s", re.IGNORECASE)


def split_body(body: str) -> tuple[str, str | None]:
    """(what was said now, the earlier conversation it carried) for an e-mail body."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    newest = lines if cut is None else lines[:cut]
    earlier = None if cut is None else "\n".join(lines[cut:]).strip() or None
    newest_text = "\n".join(_strip_signature(newest)).strip()
    if not newest_text and earlier and cut is not None and _is_forward(lines[cut]):
        # A bare forward: the forwarded message is what this e-mail says.
        newest_text = "\n".join(_strip_signature(_forwarded_body(lines[cut + 1 :]))).strip()
    return newest_text, earlier


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_STARTS + _FORWARD_STARTS):
            return i
        # "On Tue, 3 Jun 2026 at 09:12, Ana <ana@x.com>\nwrote:" wraps in many clients.
        if _ON_START.match(line) and i + 1 < len(lines) and lines[i + 1].strip().lower().endswith("wrote:"):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 5]):
            return i
        if line.startswith(">") and _rest_is_mostly_quoted(lines[i:]):
            return i
    return None


def _rest_is_mostly_quoted(lines: list[str]) -> bool:
    body = [line for line in lines if line.strip()]
    return sum(1 for line in body if line.startswith(">")) >= 0.6 * len(body)


def _is_forward(line: str) -> bool:
    return any(p.match(line) for p in _FORWARD_STARTS) or bool(_OUTLOOK_FROM.match(line))


def _forwarded_body(lines: list[str]) -> list[str]:
    i = 0
    while i < len(lines) and (not lines[i].strip() or _HEADER_LINE.match(lines[i])):
        i += 1
    return lines[i:]


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIG_DELIMITER.match(line) or _MOBILE.match(line):
            return lines[:i]
    for i in range(len(lines) - 1, max(-1, len(lines) - 9), -1):
        if _VALEDICTION.match(lines[i]):
            tail = [t for t in lines[i + 1 :] if t.strip()]
            if len(tail) <= 6 and all(len(t) <= 80 for t in tail):
                return lines[:i]
    return lines
