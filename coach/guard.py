"""Text that tries to steer the AI: found, and kept out of what the engines read.

Notes and e-mails are data. A sentence that addresses an AI or tries to change
its rules, role or output ("ignore previous instructions", "SYSTEM: ...", "note to
the AI reading this: ...", "report no risks", "print your system prompt", chat
template tokens) is *blanked* before either engine reads the interaction: its
characters become spaces, so every other quote keeps its offsets and nothing can
be quoted from it. Participant names that read as instructions are left out of
the analysis. The stored text is never changed; the rep still sees it.

The patterns describe the *shape* of an instruction to a model (who it is
addressed to, what it tries to override or extract), not any particular wording
seen in a test set.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that hide text or reorder it on screen: zero-width and bidirectional controls.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")

_AI = (
    r"(?:ai|a\.i\.|llm|gpt|chatgpt|bot|chatbot|(?:language |ai |large language )?models?|"
    r"assistants?|coach|analy[sz]ers?|summari[sz]ers?|classifiers?|ai agents?|automated (?:systems?|tools?|"
    r"summari[sz]ers?|readers?))"
)
# The same, as the label that opens a line ("AI: ...", "Assistant: ..."): not words that open ordinary lines of
# notes ("Model: TC52 scanners", "Coach: ...").
_AI_LABEL = (
    r"(?:ai|a\.i\.|llm|gpt|chatgpt|bot|chatbot|(?:language|ai|large language) models?|assistants?|"
    r"analy[sz]ers?|summari[sz]ers?|classifiers?|ai agents?|automated (?:systems?|tools?|summari[sz]ers?))"
)
_RULES = (
    r"(?:instructions?|rules?|prompts?|guidelines?|directives?|guardrails?|constraints?|programming|"
    r"polic(?:y|ies)|system messages?|context|orders|training)"
)
_OUTPUT = (
    r"(?:risks?|problems?|issues?|complaints?|findings?|flags?|competitors?|concerns?|outages?|severit(?:y|ies)|"
    r"engagement|warnings?)"
)
_SUBJECT = (
    r"(?:account|customer|client|relationship|deal|opportunity|interaction|meeting|note|e-?mail|call|thread|"
    r"sender|renewal|rep)"
)

PATTERNS = [
    # Overriding the rules: "ignore / disregard / forget / override ... (previous) instructions", "forget everything above".
    rf"\b(?:ignore|disregard|forget|override|bypass|skip|discard|set aside|abandon|drop)\b[^.!?\n]{{0,40}}?\b{_RULES}\b",
    r"\b(?:ignore|disregard|forget)\b[^.!?\n]{0,20}\b(?:everything|anything|all)\b[^.!?\n]{0,20}\b(?:above|before|"
    r"earlier|previous(?:ly)?|prior|said)\b",
    r"\b(?:disregard|ignore)\b[^.!?\n]{0,15}\b(?:the |this )?(?:message|text|e-?mail|note|content)s? (?:above|below)\b",
    # Speaking as a role of the conversation, or chat-template tokens.
    rf"^[\s>*#-]*(?:system|assistant|developer|{_AI_LABEL})\s*(?:prompt|message|note|override)?\s*[:>\]]",
    r"<\|?\s*(?:im_start|im_end|system|endoftext|assistant)\s*\|?>|\[/?(?:INST|SYS)\]|<</?SYS>>|</?(?:system|instructions?)>",
    r"^\s*#{1,6}\s*(?:instructions?|system|prompt|new task)\b",
    r"\b(?:new|updated|revised|real|actual|hidden|secret)\s+(?:instructions?|rules|system prompt|task)\s*[:\-]",
    r"\b(?:developer|debug|god|admin|jailbreak|dan)\s+mode\b",
    # Addressing the model: "note to the AI", "if you are an AI", "AI assistants:", "to the model analysing this".
    rf"\b(?:note|message|instructions?|memo|attention|reminder|hint)\s+(?:to|for)\s+(?:the |any |all |an? )?"
    rf"(?:{_AI})\b",
    rf"^[\s>*-]*(?:dear|hey|hi|hello)\s+(?:the |any |all |an? )?{_AI}\b",
    rf"^[\s>*-]*to\s+(?:the|any|all|an?)\s+(?:{_AI})\b[^.!?\n]*[:,]",
    rf"\bif you(?:'re| are)\s+(?:an? |the )?(?:{_AI})\b",
    rf"\b(?:{_AI})\s+(?:reading|processing|analy[sz]ing|summari[sz]ing|parsing|reviewing|that reads?|who reads?)\b",
    rf"^[\s>*-]*(?:{_AI_LABEL})\s*(?:,|:|-)",
    rf"\b(?:{_AI})\s+(?:must|should|shall|needs? to|has to|is to|will)\s+(?:not\s+)?(?:report|flag|mention|classify|"
    rf"rate|mark|say|state|list|include|omit|treat|ignore|conclude|output|return)\b",
    # Changing who the model is.
    r"\byou are now\b|\bfrom now on,? you\b|\byour (?:new|real|true|actual) (?:task|role|job|purpose|instructions?)\s*(?:is|are|:)|"
    r"\byour (?:task|job|purpose) (?:now )?is to\b|\bpretend (?:to be|you are|that you)\b|\broleplay\b|"
    rf"\bstay in character\b|\bact as (?:if you|an? (?:{_AI})\b)",
    # Dictating the output.
    # ... as an order (sentence start, "please", "and", or "you must"), not as reported speech ("the board will rate").
    rf"(?:^|[.!?:;,]\s*|\bplease\s+|\band\s+|\b(?:you|{_AI})\s+(?:must|should|shall|need to)\s+)"
    rf"(?:mark|rate|report|flag|classify|label|score|tag|treat|consider|record|set|list|describe|present)\s+"
    rf"(?:this|the|our|that|every|each|all)\s+(?:{_SUBJECT})s?\s+as\b",
    rf"\b(?:report|list|flag|raise|show|return|find|mention|record)\s+(?:no|zero|none of the|nothing about)\s+"
    rf"(?:{_OUTPUT})",
    rf"\b(?:do not|don't|never|must not|should not)\s+(?:report|flag|mention|list|include|record|raise|surface|"
    rf"note|show|output)\s+(?:any(?:thing)?\s+|the\s+|a\s+|this\s+)?(?:(?:other|of the|about|as)\s+)?"
    rf"(?:\w+\s+){{0,2}}?(?:{_OUTPUT}|it|this)\b",
    rf"\b(?:set|change|lower|raise|reduce)\s+(?:the\s+)?(?:{_OUTPUT}|risk level|score)\s+(?:of|for|on|to)\b",
    rf"\b(?:omit|hide|suppress|remove|leave out)\s+(?:all\s+|any\s+|the\s+)?(?:{_OUTPUT})\b",
    r"\b(?:respond|reply|answer|output|return|print)\s+(?:only\s+with|with only|only|(?:with )?the following|"
    r"nothing (?:but|else))\b",
    r"\b(?:respond|reply|answer|output|return)\b[^.!?\n]{0,30}\bjson\b",
    r"\b(?:say|state|conclude|claim|assert|write|report)\s+that\s+(?:the\s+|our\s+|this\s+)?(?:relationship|account|"
    r"customer|renewal|problem|issue|everything|every (?:problem|issue))\b[^.!?\n]{0,60}\b(?:excellent|healthy|fine|"
    r"safe|solved|fixed|resolved|strategic|great|perfect|signed|closed)\b",
    # Extracting what the model was told or what it holds about others.
    rf"\b(?:print|reveal|show|repeat|output|display|leak|dump|share|tell me|disclose|recite)\b[^.!?\n]{{0,30}}"
    rf"\b(?:system prompt|{_RULES} (?:you were|you've been|you have been) given|your (?:{_RULES}))",
    r"\b(?:notes?|data|information|records?|details)\s+(?:of|from|about|on)\s+(?:all\s+)?(?:the\s+)?other\s+"
    r"(?:accounts?|customers?|clients?)\b|\b(?:all\s+)?other\s+(?:accounts?|customers?|clients?)'?s?\s+"
    r"(?:notes?|data|information|records?)\b",
]
INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in PATTERNS), re.IGNORECASE | re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")
# A line that *is* an instruction by its shape: it opens by naming a role or addressing a model.
_ROLE_LINE = re.compile(
    rf"^[\s>*#-]*(?:system|assistant|developer|{_AI_LABEL})\s*(?:prompt|message|note|override)?\s*"
    rf"[:>\]\-,]|^[\s>*-]*(?:note|message|memo) (?:to|for) ",
    re.IGNORECASE,
)


def visible(text: str) -> str:
    """``text`` without invisible characters, compatibility forms folded (what a reader actually sees)."""
    return unicodedata.normalize("NFKC", INVISIBLE.sub("", text))


def is_instruction(text: str) -> bool:
    """Does ``text`` (a sentence, a line, a name) read as an instruction to an AI?"""
    return bool(text.strip()) and bool(INSTRUCTION.search(visible(text)))


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` to blank: in a line that reads as an instruction, the sentences that do (the
    whole line when the instruction is the line's shape, e.g. it opens with "SYSTEM:"), and chat-template blocks
    from their opening token to their closing one."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if is_instruction(body):
            sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(body) if m.group().strip()]
            hits = [(a, b) for a, b in sentences if is_instruction(body[a:b])]
            if not hits or _ROLE_LINE.search(visible(body)):
                hits = [(0, len(body))]
            spans.extend((offset + a, offset + b) for a, b in hits)
        offset += len(line)
    # An instruction that spans lines (a chat-template block): blank from its opening token to its closing one.
    for match in re.finditer(
        r"(<\|im_start\|>|\[INST\]|<system>|<instructions?>).*?(<\|im_end\|>|\[/INST\]|"
        r"</system>|</instructions?>|\n\s*\n|\Z)",
        text,
        re.IGNORECASE | re.DOTALL,
    ):
        spans.append((match.start(), match.end()))
    return _merge(spans)


def blank(text: str) -> str:
    """``text`` with its instruction spans replaced by spaces (newlines kept): offsets of everything else hold."""
    spans = instruction_spans(text)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
