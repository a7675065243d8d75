"""Reading an interaction's text: messages, sentences with spans, and who each sentence is about.

An e-mail thread is split into its messages (newest first in the text, so they are
renumbered oldest first) and each message's author is worked out from headers,
sign-offs, greetings and, failing those, the to-and-fro of a thread. A note or
transcript is one message written by our rep; its sentences report what people
said, and the person a sentence is about (its actor) is read from "Name:" speaker
labels, "Name asked/raised/wants ..." and pronouns that refer back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from coach.people import email_domain, is_internal_domain

Side = Literal["customer", "internal", "unknown"]

_HEADER = re.compile(r"^\s*\*?(From|To|Cc|Bcc|Sent|Date|Subject):\*?\s*(.*)$", re.IGNORECASE)
_ON_WROTE = re.compile(
    r"^\s*On\b(?P<when>.{0,120}?)[, ]\s*(?P<who>[^,<]*?)\s*(?:<(?P<email>[^>]+)>)?\s*wrote:\s*$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Forwarded message)\s*-{2,}|Begin forwarded message:|_{10,})\s*$",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(Sent from my \w+.*|Sent from (Outlook|Mail).*|Get Outlook for .*)$", re.IGNORECASE
)
_SIG_DETAIL = re.compile(r"(\|| \+?\d[\d ()-]{7,}|@\w+\.\w+|www\.)")
_NAME_LINE = re.compile(r"^\s*[-–/]?\s*(?P<name>[A-ZÀ-Þ][\w'’À-ÿ.-]*(?: [A-ZÀ-Þ][\w'’À-ÿ.-]*){0,2})\.?\s*$")
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|thanks|thank you|thx|kiitos|tack|hej|hei|morning)?[,!]?\s*(?P<name>[A-ZÀ-Þ][\w'’À-ÿ-]+)"
    r"(?:,\s*(?P<name2>[A-ZÀ-Þ][\w'’À-ÿ-]+))?\s*[,–—:-]",
)
# A message's opening salutation on its own ("Danielle –", "Hi Viktor,"): whom it is addressed to, not a statement.
_SALUTATION = re.compile(
    r"(?:(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|morning)[,!]?\s+)?"
    r"(?P<name>[A-ZÀ-Þ][\w'’À-ÿ-]+(?: [A-ZÀ-Þ][\w'’À-ÿ-]+)?)\s*[,!–—:-]?",
)
_GREETING_WORD = re.compile(
    r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|morning)\b", re.IGNORECASE
)
_ADDRESSED = re.compile(r"\b(?:here|thanks|thx|hi|hello|kiitos|tack)\s+(?P<name>[A-ZÀ-Þ][\w'’À-ÿ-]+)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“(]?[A-ZÀ-Þ0-9(\"'])|(?<=[;])\s+")
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
# A transcript's time stamp before (or after) a speaker: "[00:02:10] Name:", "00:02 Name:", "Name (00:02:10):".
_STAMP = r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*)"
_LABEL = re.compile(
    rf"^\s*(?P<stamp>{_STAMP})?(?P<label>[A-ZÀ-Þ][\w /&'’.-]{{1,30}}?)\s*(?:\([^)]{{0,40}}\))?\s*{_STAMP}?\s*:\s+"
)
# Legal footers of e-mails: not anybody's words about the account.
_DISCLAIMER = re.compile(
    r"\b(confidential(ity)? (notice|information)|intended (solely )?(only )?for the (use|addressee)|intended recipient"
    r"|if you (are not|have received this)|legally privileged|privileged and confidential|disclaimer"
    r"|(this|the) (e-?mail|message|communication)( and any attachments?)? (is|are|may (contain|be))"
    r"|unsubscribe|scanned for viruses|please consider the environment|public records?( notice| law)?"
    r"|may be (a )?public record)\b",
    re.IGNORECASE,
)
# The closing of a message ("Best,", "Thanks!", "Kind regards"): a sign-off, not a statement.
_CLOSING = re.compile(
    r"^\s*(?:many |kind |best |warm )?(?:thanks|thank you|thx|cheers|regards|best|br|rgds|sincerely|all the best"
    r"|talk soon|speak soon|greetings)(?: again| so much| a lot)?\s*[,.!]?\s*$",
    re.IGNORECASE,
)
# Dictated text carries its punctuation as words, when it carries any.
_SPOKEN_BREAK = re.compile(
    r"\s*\b(?:new paragraph|new line|full stop|next point|next item)\b[.,]?\s*", re.IGNORECASE
)
_LOWER_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[a-z])")
_REPORT_VERB = (
    r"(?:raised|asked|asks|said|says|wants|wanted|needs|needed|mentioned|complained|noted|flagged|told|pushed|"
    r"explained|thinks|thought|worried|confirmed|agreed|requested|would like|was blunt|opened|walked|set|"
    r"reported|shared|wrote|called|emailed|replied|insisted|warned|stressed|admitted|added|suggested|"
    r"proposed|offered|pitched|prefers|declined|joined|dropped|had|is|was|will|can't|cannot|won't|doesn't)"
)
_ACTOR_START = re.compile(
    rf"^(?P<name>[A-ZÀ-Þ][\w'’À-ÿ.-]+(?: [A-ZÀ-Þ][\w'’À-ÿ.-]+)?)(?:\s*\([^)]{{0,60}}\))?\s+(?:also\s+|then\s+|again\s+)?{_REPORT_VERB}\b"
)
_SPEAKING = re.compile(
    r"^[A-ZÀ-Þ][\w'’À-ÿ.-]+(?: [A-ZÀ-Þ][\w'’À-ÿ.-]+)?(?:\s*\([^)]{0,60}\))?\s+(?:also\s+|then\s+|again\s+)?"
    r"(?:raised|asked|asks|said|says|wants|wanted|needs|mentioned|complained|told|pushed|explained|confirmed|agreed|"
    r"requested|would like|was blunt|opened|walked|shared|wrote|called|emailed|replied|insisted|warned|stressed|"
    r"suggested|proposed|joined|set|reported|flagged|noted|prefers|thinks)\b"
)
_PRONOUN_START = re.compile(r"^(?:she|he|they)\b", re.IGNORECASE)
_SUBJECTLESS = re.compile(
    r"^(?:wants|wanted|asked|asks|says|said|needs|needed|thinks|complained|mentioned)\b"
)
_WE_START = re.compile(
    r"^(?:i|we|i'll|i'd|we'll|we'd|i've|we've|told|said i|said we|answered|offered|sent|booked|will)\b",
    re.IGNORECASE,
)
NOT_NAMES = frozenset(
    [
        "decision",
        "decisions",
        "action",
        "actions",
        "next",
        "agenda",
        "context",
        "budget",
        "tickets",
        "ticket",
        "owner",
        "owners",
        "notes",
        "note",
        "attendees",
        "uptime",
        "users",
        "update",
        "status",
        "roadmap",
        "phase",
        "call",
        "meeting",
        "email",
        "mail",
        "subject",
        "re",
        "fw",
        "fwd",
        "dear",
        "hi",
        "hello",
        "thanks",
        "kiitos",
        "hej",
        "hei",
        "team",
        "renewal",
        "steering",
        "council",
        "sync",
        "review",
        "stand-up",
        "standup",
        "weekly",
        "monthly",
        "quarterly",
        "agreed",
        "answered",
        "value",
        "goal",
        "goals",
        "today",
        "tomorrow",
        "yesterday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "q1",
        "q2",
        "q3",
        "q4",
        "h1",
        "h2",
        "also",
        "the",
        "this",
        "that",
        "these",
        "those",
        "our",
        "their",
        "his",
        "her",
        "its",
        "we",
        "they",
        "she",
        "he",
        "it",
        "and",
        "but",
        "so",
        "if",
        "when",
        "who",
        "what",
        "why",
        "how",
        "where",
        "rest",
        "most",
        "all",
        "some",
        "everyone",
        "nobody",
        "none",
        "nothing",
        "data",
        "deck",
        "slides",
        "context",
        "question",
        "answer",
        "upsell",
        "users",
        "tickets",
        "note",
        "internal",
        "external",
        "board",
        "ceo",
        "cfo",
        "coo",
        "cto",
        "cio",
        "vp",
        "ps",
        "p.s",
        "eta",
        "po",
        "sow",
        "finance",
        "procurement",
        "legal",
        "support",
        "engineering",
        "product",
        "sales",
        "marketing",
        "ops",
        "operations",
        "hr",
        "security",
        "compliance",
        "accounting",
        "purchasing",
        "management",
        "leadership",
    ]
)


@dataclass(slots=True)
class Person:
    name: str
    side: Side = "unknown"
    title: str | None = None
    email: str | None = None


@dataclass(slots=True)
class Directory:
    """The people an account's records name, found by full name, first name or e-mail."""

    people: list[Person] = field(default_factory=list)
    internal_domains: set[str] = field(default_factory=set)
    account: str = ""
    # Indexes (the directory of a large team holds hundreds of people; lookups were linear, adding was quadratic).
    _by_email: dict[str, Person] = field(default_factory=dict, repr=False)
    _by_full: dict[str, Person] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Person] = field(default_factory=dict, repr=False)
    _by_first: dict[str, list[Person]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        people, self.people = self.people, []
        for person in people:
            self.add(person)

    def add(self, person: Person) -> None:
        existing = self.find(person.email) if person.email else None
        existing = existing or self._by_full.get(_fold(person.name))
        if existing:
            if existing.side == "unknown":
                existing.side = person.side
            existing.title = existing.title or person.title
            if not existing.email and person.email:
                existing.email = person.email
                self._by_email.setdefault(_fold(person.email), existing)
        else:
            self.people.append(person)
            if person.email:
                self._by_email.setdefault(_fold(person.email), person)
            self._by_full.setdefault(_fold(person.name), person)
            self._by_name.setdefault(_fold(person.name), person)
            self._by_name.setdefault(_fold(_strip_title(person.name)), person)
            self._by_first.setdefault(_first(person.name), []).append(person)

    def find(self, key: str | None) -> Person | None:
        if not key:
            return None
        folded = _fold(key.strip().strip("\"'"))
        if "@" in folded:
            return self._by_email.get(folded)
        folded = re.sub(r"^(dr|mr|ms|mrs)\.?\s+", "", folded)
        exact = self._by_name.get(folded)
        if exact is not None:
            return exact
        first = self._by_first.get(folded.split(" ")[0], [])
        return (
            first[0] if len(first) == 1 or (first and all(f.side == first[0].side for f in first)) else None
        )

    def side_of(self, name: str | None, email: str | None = None) -> Side:
        if email:
            domain = email_domain(email)
            if domain and is_internal_domain(domain, self.internal_domains):
                return "internal"
            person = self.find(email)
            if person and person.side != "unknown":
                return person.side
            if domain and self.internal_domains:
                return "customer"
        person = self.find(name)
        return person.side if person else "unknown"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def _strip_title(name: str) -> str:
    return re.sub(r"^(Dr|Mr|Ms|Mrs)\.?\s+", "", name)


def _first(name: str) -> str:
    return _fold(_strip_title(name)).split(" ")[0]


@dataclass(slots=True)
class Message:
    index: int  # 0 = oldest
    start: int
    end: int
    author: str | None = None
    author_side: Side = "unknown"
    quoted: bool = False


@dataclass(slots=True)
class Sentence:
    start: int
    end: int
    text: str
    line: int
    block: int
    message: int
    author_side: Side
    actor: str | None = None
    actor_side: Side = "unknown"
    label: str | None = None
    signature: bool = False
    salutation: bool = (
        False  # a message's opening greeting alone ("Hi Viktor,"): addressed to someone, no answer
    )
    inherited: bool = False
    spoke: bool = False  # the actor is reported speaking (asked, said, raised...) or labelled as speaker
    continues: bool = False  # goes on after a dash from the sentence before it, in the same line


@dataclass(slots=True)
class _Line:
    start: int
    end: int
    depth: int
    kind: str  # "text" | "header" | "separator" | "blank" | "signature"
    header_name: str | None = None
    header_value: str | None = None


def as_side(value: str | None) -> Side:
    """A stored side ('customer', 'internal') as a side, anything else as unknown."""
    return "customer" if value == "customer" else "internal" if value == "internal" else "unknown"


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    for match in re.finditer(r"[^\n]*", text):
        if match.start() > 0 and text[match.start() - 1] != "\n":
            continue
        raw = match.group()
        depth = 0
        offset = 0
        stripped = raw
        while True:
            m = re.match(r"\s*>\s?", stripped)
            if not m:
                break
            depth += 1
            offset += m.end()
            stripped = stripped[m.end() :]
        body = stripped.rstrip()
        lead = len(stripped) - len(stripped.lstrip())
        start = match.start() + offset + lead
        end = match.start() + offset + len(body)
        content = body.strip()
        header = _HEADER.match(content)
        if (
            header
            and header.group(1).lower() in ("date", "subject")
            and not (out and out[-1].kind == "header")
        ):
            header = (
                None  # "Date:" or "Subject:" alone is a note's label; inside a header block it is a header
            )
        if not content:
            out.append(_Line(start, start, depth, "blank"))
        elif header:
            out.append(_Line(start, end, depth, "header", header.group(1).lower(), header.group(2)))
        elif _SEPARATORS.match(content) or _ON_WROTE.match(content):
            out.append(_Line(start, end, depth, "separator", header_value=content))
        elif _MOBILE.match(content):
            out.append(_Line(start, end, depth, "signature"))
        else:
            out.append(_Line(start, end, depth, "text"))
    return out


class Reader:
    """Splits one interaction's text into messages and sentences, given the account's directory."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._kind = "note"

    def read(self, text: str, kind: str, rep: str | None) -> tuple[list[Message], list[Sentence]]:
        self._kind = kind
        lines = _lines(text)
        groups = self._message_groups(lines, kind)
        messages: list[Message] = []
        sentences: list[Sentence] = []
        count = len(groups)
        for position, (group, author, author_email) in enumerate(groups):
            index = count - 1 - position  # text order is newest first
            body = [ln for ln in group if ln.kind == "text"]
            message = Message(
                index, group[0].start if group else 0, group[-1].end if group else 0, quoted=position > 0
            )
            if kind == "email":
                message.author, message.author_side = self._email_author(
                    body, text, author, author_email, rep
                )
            else:
                message.author, message.author_side = rep, "internal"
            messages.append(message)
            sentences.extend(self._sentences(text, group, message))
        self._alternate(messages)
        by_index = {m.index: m for m in messages}
        for s in sentences:
            s.author_side = by_index[s.message].author_side
        self._actors(sentences, by_index)
        sentences.sort(key=lambda s: (s.message, s.start))
        messages.sort(key=lambda m: m.index)
        return messages, sentences

    # --- messages --------------------------------------------------------------------------
    def _message_groups(
        self, lines: list[_Line], kind: str
    ) -> list[tuple[list[_Line], str | None, str | None]]:
        if kind != "email":
            return [(lines, None, None)]
        groups: list[tuple[list[_Line], str | None, str | None]] = []
        current: list[_Line] = []
        author = email = None
        depth = 0
        i = 0
        while i < len(lines):
            line = lines[i]
            starts_new = False
            new_author = new_email = None
            if line.kind == "separator":
                starts_new = True
                m = _ON_WROTE.match(_line_text(line))
                if m:
                    who = re.findall(
                        r"[A-ZÀ-Þ][\w'’À-ÿ.-]+(?: [A-ZÀ-Þ][\w'’À-ÿ.-]+){0,2}\s*$", m.group("who") or ""
                    )
                    new_author, new_email = (who[0].strip() if who else None), m.group("email")
            elif line.kind == "header" and line.header_name == "from":
                starts_new = bool(current) and any(ln.kind == "text" for ln in current)
                new_author, new_email = _parse_address(line.header_value or "")
            elif line.kind == "text" and line.depth > depth and any(ln.kind == "text" for ln in current):
                starts_new = True
            if starts_new:
                groups.append((current, author, email))
                current, author, email = [], new_author, new_email
            elif line.kind == "header" and line.header_name == "from":
                author, email = _parse_address(line.header_value or "")
            if line.kind != "blank":
                depth = line.depth
            current.append(line)
            i += 1
        groups.append((current, author, email))
        return [g for g in groups if any(ln.kind == "text" for ln in g[0])] or [(lines, None, None)]

    def _email_author(
        self, body: list[_Line], text: str, author: str | None, email: str | None, rep: str | None
    ) -> tuple[str | None, Side]:
        if author or email:
            side = self.directory.side_of(author, email)
            if side == "unknown" and rep and author and _first(author) == _first(rep):
                side = "internal"
            return (author or email), side
        # Sign-off: the last short line that names someone.
        for line in reversed(body[-4:]):
            m = _NAME_LINE.match(_line_text_of(text, line))
            if m and _fold(m.group("name")) not in NOT_NAMES:
                name = m.group("name")
                side = self.directory.side_of(name)
                if side == "unknown" and rep and _first(name) == _first(rep):
                    side = "internal"
                if side == "unknown" and len(name) <= 3 and rep and _fold(name)[0] == _first(rep)[0]:
                    side = "internal"
                if side != "unknown":
                    return name, side
        # Signature details naming the company.
        for line in body[-4:]:
            words = _fold(_line_text_of(text, line))
            if (
                self.directory.account
                and _fold(self.directory.account).split(" ")[0] in words
                and "|" in words
            ):
                return None, "customer"
        # Greeting: whoever is greeted is not the author.
        if body:
            first = _line_text_of(text, body[0])
            m = _GREETING.match(first) or _ADDRESSED.search(first)
            if m:
                greeted = self.directory.side_of(m.group("name"))
                if greeted == "unknown" and rep and _first(m.group("name")) == _first(rep):
                    greeted = "internal"
                if greeted in ("customer", "internal"):
                    return None, "internal" if greeted == "customer" else "customer"
        return None, "unknown"

    @staticmethod
    def _alternate(messages: list[Message]) -> None:
        """A message whose author is unknown is taken to answer the one before it (or be answered)."""
        ordered = sorted(messages, key=lambda m: m.index)
        for _ in range(2):
            for i, message in enumerate(ordered):
                if message.author_side != "unknown":
                    continue
                neighbours = [ordered[j].author_side for j in (i - 1, i + 1) if 0 <= j < len(ordered)]
                known = [n for n in neighbours if n != "unknown"]
                if known:
                    message.author_side = "internal" if known[0] == "customer" else "customer"

    # --- sentences -------------------------------------------------------------------------
    def _sentences(self, text: str, group: list[_Line], message: Message) -> list[Sentence]:
        out: list[Sentence] = []
        block = 0
        previous_blank = True
        footer = False  # inside a legal disclaimer, which runs to the end of its paragraph
        sign_off = self._sign_off(text, group) if self._kind == "email" else set()
        for _number, line in enumerate(group):
            if line.kind == "blank":
                previous_blank = True
                footer = False
                continue
            if line.kind != "text":
                continue
            raw = text[line.start : line.end]
            bullet = _BULLET.match(raw)
            if previous_blank or bullet:
                block += 1
            previous_blank = False
            offset = bullet.end() if bullet else 0
            footer = footer or bool(_DISCLAIMER.search(raw))
            signature = (bool(_SIG_DETAIL.search(raw)) and len(raw) < 120) or footer or line.start in sign_off
            for s, e, continues in _clauses(raw[offset:]):
                piece = raw[offset + s : offset + e].strip()
                if not piece:
                    continue
                opening = not out and self._kind == "email"
                salutation = opening and self._salutation(piece)
                start = (
                    line.start
                    + offset
                    + s
                    + (len(raw[offset + s : offset + e]) - len(raw[offset + s : offset + e].lstrip()))
                )
                out.append(
                    Sentence(
                        start,
                        start + len(piece),
                        piece,
                        line=line.start,
                        block=block * 1000 + message.index,
                        message=message.index,
                        author_side=message.author_side,
                        signature=signature,
                        salutation=salutation,
                        continues=continues,
                    )
                )
        return out

    def _salutation(self, piece: str) -> bool:
        """A message's first clause that only greets someone ("Hi Viktor,", "Danielle –"): a greeting word, or the
        name of someone the account's records know."""
        m = _SALUTATION.fullmatch(piece)
        return m is not None and (
            bool(_GREETING_WORD.match(piece)) or self.directory.find(m.group("name")) is not None
        )

    def _sign_off(self, text: str, group: list[_Line]) -> set[int]:
        """Starts of the lines that close a message: "Best," and the name under it (someone we know, or
        initials), at its end."""
        body = [ln for ln in group if ln.kind == "text"]
        found: set[int] = set()
        for line in reversed(body[-3:]):
            words = text[line.start : line.end].strip()
            name = _NAME_LINE.match(words)
            known = name is not None and (
                self.directory.find(name.group("name")) is not None
                or re.fullmatch(r"[A-Z]{1,3}\.?|[A-Z]\.\s?[A-Z]\.?", words) is not None
            )
            if _CLOSING.match(words) or known:
                found.add(line.start)
            elif not _SIG_DETAIL.search(words):
                break
        return found

    def _actors(self, sentences: list[Sentence], messages: dict[int, Message]) -> None:
        last: tuple[str | None, Side] = (None, "unknown")
        last_block = None
        turn: tuple[int, str | None, Side] = (-1, None, "unknown")  # the line a speaker label opened, and who
        previous: Sentence | None = None
        for s in sorted(sentences, key=lambda x: (x.message, x.start)):
            before, previous = previous, s
            message = messages[s.message]
            if last_block is not None and s.message != last_block:
                last = (None, "unknown")
            last_block = s.message
            speaker = self._speaker(s.text)
            if speaker is not None:
                turn = (s.line, *speaker)
            elif turn[0] == s.line:
                # The rest of a speaker's turn is the speaker's, whoever it names ("Dolores says ...").
                s.actor, s.actor_side = turn[1], turn[2]
                last = (turn[1], turn[2])
                continue
            actor, side = speaker or self._actor_of(s.text, message)
            if (  # "Noor asked for a reference – another customer running it that her CFO can call."
                actor is None
                and side == "unknown"
                and s.continues
                and before is not None
                and before.line == s.line
                and before.actor_side != "unknown"
            ):
                actor, side = before.actor, before.actor_side
                s.inherited = True
            s.spoke = actor is not None and bool(
                speaker or _LABEL.match(s.text) or _SPEAKING.match(s.text) or _lower_speaking(s.text)
            )
            if (
                actor is None
                and side == "unknown"
                and (_PRONOUN_START.match(s.text) or _SUBJECTLESS.match(s.text))
            ):
                actor, side = last
            if actor is not None or side != "unknown":
                s.actor, s.actor_side = actor, side
                if side != "unknown":
                    last = (actor, side)
            label = _LABEL.match(s.text)
            if label and speaker is None and self.directory.find(label.group("label")) is None:
                s.label = label.group("label").casefold()

    def _speaker(self, sentence: str) -> tuple[str, Side] | None:
        """The person a speaker label names ("Name: ...", "[00:02:10] Name: ..."): someone we know, or in a
        transcript (a time stamp, or a full name) someone who reads as a name. Our own people are in the
        directory, so a speaker we do not know is the customer's, except in e-mail, where labels are rarer."""
        m = _LABEL.match(sentence)
        if not m:
            return None
        name = m.group("label").strip()
        person = self.directory.find(name)
        if person:
            return person.name, person.side
        words = name.split()
        if not _looks_like_name(name) or any(_fold(w) in NOT_NAMES for w in words):
            return None
        if m.group("stamp") or (len(words) >= 2 and all(w[:1].isupper() for w in words)):
            return name, "customer" if self._kind != "email" else "unknown"
        return None

    def _actor_of(self, sentence: str, message: Message) -> tuple[str | None, Side]:
        m = _LABEL.match(sentence)
        if m:
            name = m.group("label").strip()
            person = self.directory.find(name)
            if person:
                return person.name, person.side
        m = _ACTOR_START.match(sentence)
        if m:
            name = m.group("name")
            if _fold(name.split(" ")[0]) not in NOT_NAMES:
                person = self.directory.find(name)
                if person:
                    return person.name, person.side
                if _looks_like_name(name):
                    # Our own people are in the directory; a named person reported speaking in a note is the
                    # customer's. In a message we wrote, an unknown name is as likely one of ours.
                    reported = self._kind != "email" or message.author_side == "customer"
                    return name, "customer" if reported and _SPEAKING.match(sentence) else "unknown"
        if _WE_START.match(sentence):
            return message.author, message.author_side
        m = _LOWER_ACTOR.match(sentence)
        if m:  # dictation, all in lower case: "samuel asked whether ..."
            person = self.directory.find(m.group("name"))
            if person:
                return person.name, person.side
        return None, "unknown"


_LOWER_ACTOR = re.compile(
    rf"^(?P<name>[a-zà-ÿ][\w'’-]+(?: [a-zà-ÿ][\w'’-]+)?)\s+(?:also\s+|then\s+|again\s+)?{_REPORT_VERB}\b"
)


def _lower_speaking(text: str) -> bool:
    return bool(_LOWER_ACTOR.match(text)) and text[:1].islower()


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 3 and all(w[:1].isupper() for w in words) and _fold(words[0]) not in NOT_NAMES


def dictated(text: str) -> bool:
    """A long line with (almost) no capitals: dictation or a hurried note, sentences not marked by case."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 120 and sum(c.isupper() for c in letters) < 0.02 * len(letters)


def _split_sentences(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e, _ in _clauses(text)]


def _clauses(text: str) -> list[tuple[int, int, bool]]:
    """Sentence spans of ``text``, each with whether it goes on after a dash ("X asked for Y – the one we ...")."""
    spans, pos = [], 0
    ends = list(_SENTENCE_END.finditer(text))
    if dictated(text):
        ends = sorted(
            [*ends, *_LOWER_SENTENCE_END.finditer(text), *_SPOKEN_BREAK.finditer(text)],
            key=lambda m: m.start(),
        )
    for m in ends:
        if m.start() < pos:
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    # Split long dash-joined clauses too: "X – Y will do Z" reads as two statements; an arrow marks what followed.
    out: list[tuple[int, int, bool]] = []
    for s, e in spans:
        piece = text[s:e]
        cuts = [
            (m.start(), m.end(), "->" not in m.group() and "=>" not in m.group() and "→" not in m.group())
            for m in re.finditer(r"\s[–—]\s|\s-\s(?=[A-ZÀ-Þ])|\s(?:->|=>|→)\s", piece)
        ]
        prev, dash = 0, False
        for c, after, is_dash in cuts:
            out.append((s + prev, s + c, dash))
            prev, dash = after, is_dash
        out.append((s + prev, e, dash))
    return [(s, e, d) for s, e, d in out if e > s]


def _line_text(line: _Line) -> str:
    return line.header_value or ""


def _line_text_of(text: str, line: _Line) -> str:
    return text[line.start : line.end]


def _parse_address(value: str) -> tuple[str | None, str | None]:
    from email.utils import parseaddr

    name, address = parseaddr(value)
    if not address or "@" not in address:
        return (value.strip() or None), None
    return (name or None), address


def directory_from(
    people: Iterable[tuple[str, str | None, str | None, str | None]],
    internal_domains: Iterable[str],
    account: str,
) -> Directory:
    """A directory from (name, side, title, email) tuples."""
    directory = Directory(internal_domains=set(internal_domains), account=account)
    for name, side, title, email in dict.fromkeys(people):
        directory.add(Person(name=name, side=as_side(side), title=title, email=email))
    return directory
