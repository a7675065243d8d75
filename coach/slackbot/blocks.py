"""Block Kit for the bot's answers: flags with their quotes, a brief in sections, search hits, errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

LIMIT = 2900  # a section's text may hold 3,000 characters


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:LIMIT] or " "}}


def _quote(evidence: list[dict[str, Any]]) -> str:
    return "\n".join(f">“{_esc(e['quote'])}” _({e['interaction']})_" for e in evidence[:2])


def flags(report: dict[str, Any], app_url: str) -> list[dict[str, Any]]:
    account = report["accounts"][0]
    e = account["engagement"]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{account['account']}"[:150]}},
        _section(f"*Engagement: {e['label']}* ({_esc(e['why'])})"),
    ]
    for p in account["unaddressed_problems"][:5]:
        blocks.append(
            _section(
                f"*Problem nobody owned* ({p['days_open']} days): {_esc(p['summary'])}\n{_quote(p['evidence'])}"
            )
        )
    for r in account["risks"][:5]:
        blocks.append(
            _section(
                f"*{r['code'].replace('_', ' ')}* ({r['severity']}): {_esc(r['why'])}\n{_quote(r['evidence'])}"
            )
        )
    for m in account["meetings"]:
        if m["verdict"] != "keep":
            blocks.append(_section(f"*{_esc(m['series'])}*: {m['verdict']}. {_esc(m['why'])}"))
    if len(blocks) == 2:
        blocks.append(_section("No open problems, risks or meetings to fix."))
    blocks.append(_link(app_url, "Open in coach"))
    return blocks


def brief(data: dict[str, Any], app_url: str) -> list[dict[str, Any]]:
    title = f"Prep brief: {data['account']}" + (f", {data['meeting']}" if data.get("meeting") else "")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    blocks += [_section(f"_{_esc(n)}_") for n in data.get("notes", [])[:2]]
    blocks.append(_section(f"*Purpose*\n{_esc(data['purpose']['text'])}"))
    if data.get("agenda"):
        blocks.append(
            _section(
                "*Agenda*\n" + "\n".join(f"{i}. {_esc(a['text'])}" for i, a in enumerate(data["agenda"], 1))
            )
        )
    if data.get("questions"):
        blocks.append(
            _section(
                "*Questions to raise*\n"
                + "\n".join(
                    f"{i}. *{_esc(q['question'])}*\n    {_esc(q['why'])[:300]}"
                    for i, q in enumerate(data["questions"], 1)
                )
            )
        )
    if data.get("open_problems"):
        blocks.append(
            _section(
                "*Open customer problems*\n"
                + "\n".join(
                    f"• {p['days_open']} days: {_esc(p['summary'])}" for p in data["open_problems"][:5]
                )
            )
        )
    if data.get("commitments"):
        blocks.append(
            _section(
                "*Open commitments*\n"
                + "\n".join(
                    f"• {c['side']}: “{_esc(c['text'])}”{' *overdue*' if c.get('overdue') else ''}"
                    for c in data["commitments"][:5]
                )
            )
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"engine: {_esc(data['engine'])}"}]}
    )
    blocks.append(_link(app_url, "Open in coach"))
    return blocks[:50]


def hits(query: str, found: list[dict[str, Any]], app_url: str) -> list[dict[str, Any]]:
    if not found:
        return [_section(f"Nothing in your accounts matches “{_esc(query)}”.")]
    lines = [
        f"*{_esc(h['account'])}* · {h['date'][:10]} · <{_passage_link(app_url, h)}|{h['interaction']}>\n"
        f">{_passage(h)}"
        for h in found
    ]
    return [_section(f"Search: “{_esc(query)}”"), *[_section(line) for line in lines]]


def _passage(hit: dict[str, Any]) -> str:
    """The passage that matched, its matched words in bold (the whole chunk from an older API)."""
    passage = hit.get("passage")
    if not passage:
        return _esc(" ".join(hit["excerpt"][:300].split()))
    text, start, pieces, at = passage["text"], passage["start"], [], 0
    for mark in passage["marks"]:
        a, b = mark["start"] - start, mark["end"] - start
        pieces += [_esc(text[at:a]), f"*{_esc(text[a:b])}*"]
        at = b
    pieces.append(_esc(text[at:]))
    return " ".join("".join(pieces).split())


def _passage_link(app_url: str, hit: dict[str, Any]) -> str:
    link = f"{app_url}/interactions/{quote(hit['interaction'])}"
    passage = hit.get("passage")
    return f"{link}?span={passage['start']}-{passage['end']}#quote" if passage else link


def message(text: str) -> list[dict[str, Any]]:
    return [_section(text)]


def _link(app_url: str, label: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "url": f"{app_url.rstrip('/')}/",
                "action_id": "open_coach",
            }
        ],
    }


HELP = (
    "*coach* in Slack:\n"
    "• `/coach log <account> | <note>`: log a note (or `/coach log` alone for a form)\n"
    "• `/coach brief <account> [| meeting]`: a prep brief\n"
    "• `/coach flags <account>`: problems nobody owned, risks, meetings to fix\n"
    "• `/coach search <words>`: search your accounts by meaning\n"
    "• Message menu › *Log to coach*: log any message (and its thread) to an account\n"
    "• `/coach link`: link this Slack account to your coach user (you confirm it in coach); `/coach unlink`\n"
    "Mention @coach with the same words anywhere."
)
