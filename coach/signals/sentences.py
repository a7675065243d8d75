"""Learned sentence classifiers of the offline engine: what kind of statement each sentence is.

One small model per question ("head"): is this a problem, complaint, request or question the customer raised;
is it our side fixing, planning, answering or only vaguely acknowledging something; a strategic topic (which);
a decision (taken or deferred); a commitment (firm: an owner and a date, or loose); a vague next step; a
firefight; a report read out; business pending; the renewal taken for granted. Each head is a multinomial
logistic regression over the same features of a sentence:

- its meaning: the embedded model's vector (all-MiniLM-L6-v2, the one the engine already runs);
- its structure: who is speaking or acting (customer, ours, unknown) and who wrote the message, whether it sits
  in a quoted or forwarded part, a speaker label, a question mark, a first-person opening, its length, the kind
  of interaction;
- the cue lexicons (``coach.signals.lexicon``) as evidence, not as decisions, the request detector's
  probability, and the cues of the sentences before and after it.

The heads are trained by ``python -m coach.distil train`` on sentences labelled by a strong model's readings
(the LLM chain's recorded answers: distillation) and shipped as ``sentence_model.json`` next to this file: no
vocabulary, only weights over these features, so nothing of the training text is in the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import numpy as np

from coach.signals import lexicon as lx
from coach.signals.facts import ProblemKind, ResponseKind, Side, StrategicKind
from coach.signals.text import Sentence, dictated

MODEL_FILE = Path(__file__).with_name("sentence_model.json")
C = 0.02  # inverse regularisation: strong, the labelled sentences are few
# The embedding enters the heads through its main directions over general business text, not all 384: with a
# few thousand labelled sentences, every dimension would learn the training sets' own subjects.
DIRECTIONS = 32
NONE = "none"
HEADS: dict[str, tuple[str, ...]] = {
    # The facts' own kinds, in their declared order (the shipped model's rows follow it).
    "item": (NONE, *get_args(ProblemKind)),
    "response": (NONE, *(k for k in get_args(ResponseKind) if k != NONE)),
    "strategic": (NONE, *get_args(StrategicKind)),
    "decision": (NONE, "taken", "deferred"),
    "commitment": (NONE, "firm", "loose"),
    "next_step": (NONE, "vague"),
    "firefighting": (NONE, "yes"),
    "report": (NONE, "yes"),
    "pending": (NONE, "yes"),
    "renewal": (NONE, "assumed"),
}
# Questions about a whole interaction, answered from its sentences' features pooled.
INTERACTION_HEADS: dict[str, tuple[str, ...]] = {"engagement": ("tactical", "strategic")}
DIMENSIONS = 384  # the embedded model's vector comes first in a row
KINDS = ("email", "meeting", "call", "note")
SIDES: tuple[str, ...] = get_args(Side)
_CUES: tuple[re.Pattern[str], ...] = (
    lx.COMPLAINT,
    lx.REQUEST,
    lx.NOT_A_PROBLEM,
    lx.RECALLED,
    lx.FIXED,
    lx.ANSWERED,
    lx.VAGUE,
    lx.OWNER_MARK,
    lx.DATE_MARK,
    lx.DECISION,
    lx.ACTION,
    lx.DEFERRED,
    lx.NO_OUTCOME,
    lx.READOUT,
    lx.VAGUE_NEXT_STEP,
    lx.RENEWAL_ASSUMED,
    lx.TENURE,
    lx.DATA_REPORT,
    lx.FIREFIGHTING,
    lx.PENDING,
    lx.COMPETITIVE_CONTEXT,
    lx.HYPOTHETICAL,
    lx.RECAP,
    *(pattern for pattern, _ in lx.STRATEGIC.values()),
    *lx.TACTICAL.values(),
)
# Cues of the neighbouring sentences: a problem followed by "we'll look into it", a fix right after a complaint.
_NEIGHBOUR_CUES: tuple[re.Pattern[str], ...] = (
    lx.COMPLAINT,
    lx.REQUEST,
    lx.FIXED,
    lx.ANSWERED,
    lx.VAGUE,
    lx.OWNER_MARK,
    lx.DATE_MARK,
)
# What our side says after a sentence: a fix, an answer, a plan, or only "we'll look into it".
_ANSWER_CUES: tuple[re.Pattern[str], ...] = (
    lx.FIXED,
    lx.ANSWERED,
    lx.VAGUE,
    lx.DECISION,
    lx.ACTION,
    lx.DATE_MARK,
)
_FIRST_PERSON = re.compile(r"^(?:i|we|i'll|i'd|we'll|we'd|i've|we've|i'm|we're|our|my|us)\b", re.IGNORECASE)
_THIRD_PERSON = re.compile(r"^(?:he|she|they|his|her|their|them)\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class SentenceInContext:
    """One sentence as the heads see it: its words, who says it, where it sits."""

    text: str
    kind: str
    actor_side: str
    author_side: str
    quoted: bool
    labelled: bool
    inherited: bool
    spoke: bool
    position: float
    previous: str = ""
    following: str = ""
    previous_side: str = "unknown"
    following_side: str = "unknown"
    answers: tuple[str, ...] = ()  # what our side says where an answer to this sentence would be
    replied: bool = False  # an e-mail from our side follows


def window(sentences: Sequence[Sentence], i: int, kind: str) -> list[int]:
    """Where an answer to sentence ``i`` would be: the rest of its block, then the next block; in an e-mail
    thread, also every later message from our side."""
    s = sentences[i]
    rest = range(i + 1, len(sentences))
    same = [j for j in rest if sentences[j].block == s.block]
    later = [j for j in rest if sentences[j].block != s.block]
    if not later:
        return same
    following = [j for j in later if sentences[j].block == sentences[later[0]].block]
    if kind == "email":
        replies = [
            j for j in later if sentences[j].message > s.message and sentences[j].author_side != "customer"
        ]
        return same + list(dict.fromkeys(following + replies))
    return same + following


def in_context(sentences: Sequence[Sentence], kind: str) -> list[SentenceInContext]:
    """The sentences of one interaction (in reading order) with what the heads need of their surroundings."""
    newest = max((s.message for s in sentences), default=0)
    out = []
    for i, s in enumerate(sentences):
        answers = tuple(
            sentences[j].text for j in window(sentences, i, kind)[:8] if sentences[j].actor_side != "customer"
        )
        before = sentences[i - 1] if i > 0 else None
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        out.append(
            SentenceInContext(
                text=s.text,
                kind=kind if kind in KINDS else "note",
                actor_side=s.actor_side,
                author_side=s.author_side,
                quoted=s.message < newest,
                labelled=bool(s.label) or s.spoke,
                inherited=s.inherited,
                spoke=s.spoke,
                position=i / max(len(sentences) - 1, 1),
                previous=before.text if before else "",
                following=after.text if after else "",
                previous_side=before.actor_side if before else "unknown",
                following_side=after.actor_side if after else "unknown",
                answers=answers,
                replied=any(
                    t.message > s.message and t.author_side == "internal" for t in sentences[i + 1 :]
                ),
            )
        )
    return out


def structure(s: SentenceInContext) -> list[float]:
    text = s.text.strip()
    words = len(text.split())
    return [
        *(float(s.actor_side == side) for side in SIDES),
        *(float(s.author_side == side) for side in SIDES),
        *(float(s.kind == kind) for kind in KINDS),
        float(s.quoted),
        float(s.labelled),
        float(s.inherited),
        float(s.spoke),
        float(text.endswith("?")),
        float("?" in text[:-1]),
        float(bool(_FIRST_PERSON.match(text))),
        float(bool(_THIRD_PERSON.match(text))),
        float(bool(_YOU.search(text))),
        float(bool(_NUMBER.search(text))),
        float(text[:1].islower()),
        float(dictated(text)),
        min(words, 60) / 20.0,
        float(words <= 3),
        s.position,
        float(s.previous_side == "customer"),
        float(s.following_side == "customer"),
        float(s.previous_side == "internal"),
        float(s.following_side == "internal"),
    ]


def cues(s: SentenceInContext) -> list[float]:
    own = [float(bool(p.search(s.text))) for p in _CUES]
    around = [float(bool(p.search(t))) for t in (s.previous, s.following) for p in _NEIGHBOUR_CUES]
    answered = [float(any(p.search(t) for t in s.answers)) for p in _ANSWER_CUES]
    dated = float(any(lx.OWNER_MARK.search(t) and lx.DATE_MARK.search(t) for t in s.answers))
    return [*own, *around, *answered, dated, min(len(s.answers), 8) / 8.0, float(s.replied)]


def features(
    sentences: Sequence[SentenceInContext], embeddings: np.ndarray, requests: np.ndarray
) -> np.ndarray:
    """The design matrix: embedding, structure, cues and the request detector's probability per sentence."""
    if not sentences:
        return np.zeros((0, 0), dtype=np.float32)
    rows = [structure(s) + cues(s) for s in sentences]
    return np.hstack(
        [
            np.asarray(embeddings, dtype=np.float32),
            np.asarray(rows, dtype=np.float32),
            np.asarray(requests, dtype=np.float32).reshape(-1, 1),
        ]
    )


def pooled(x: np.ndarray, meaning: int) -> np.ndarray:
    """One interaction's row from its sentences' rows (the first ``meaning`` columns their meaning): the mean
    meaning, and the mean and most of every cue."""
    rest = x[:, meaning:]
    return np.concatenate(
        [x[:, :meaning].mean(axis=0), rest.mean(axis=0), rest.max(axis=0), [min(len(x), 60) / 20]]
    )


@dataclass(frozen=True, slots=True)
class Head:
    """One question about a sentence: its classes (the first is 'none'), weights and decision threshold."""

    classes: tuple[str, ...]
    coef: np.ndarray  # classes x features
    intercept: np.ndarray
    threshold: float  # a sentence is positive when 1 - P(none) reaches it

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        scores = x @ self.coef.T + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)

    def decide(self, x: np.ndarray) -> list[tuple[str, float, str]]:
        """Per sentence: the positive class, or 'none' below the threshold; the confidence that it is positive
        (1 - P(none)); and the likeliest positive class whatever the confidence."""
        p = self.probabilities(x)
        out = []
        for row in p:
            positive = 1.0 - float(row[0])
            best = self.classes[1 + int(np.argmax(row[1:]))]
            out.append((best if positive >= self.threshold else NONE, positive, best))
        return out


class SentenceModel:
    """The shipped heads, with the feature scaling they were trained with."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]
        self.trained_on: list[str] = list(data.get("trained_on", []))
        self.mean, self.scale, self.heads = _heads(data)
        self.pooled_mean, self.pooled_scale, self.interaction_heads = _heads(data.get("interaction", {}))
        self.closing: dict[str, Any] = dict(
            data.get("closing", {})
        )  # the closing scorer (coach.analysis.closing)
        projection = data.get("projection", {})
        self.centre = np.asarray(projection.get("centre", np.zeros(DIMENSIONS)), dtype=np.float32)
        self.directions = np.asarray(projection.get("directions", np.eye(DIMENSIONS)), dtype=np.float32)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> SentenceModel:
        return cls(json.loads(path.read_text()))

    def project(self, x: np.ndarray) -> np.ndarray:
        """The design matrix with its embedding reduced to the main directions."""
        reduced = (x[:, :DIMENSIONS] - self.centre) @ self.directions.T
        return np.hstack([reduced, x[:, DIMENSIONS:]]).astype(np.float32)

    def decide(self, x: np.ndarray) -> dict[str, list[tuple[str, float, str]]]:
        """Every sentence head's decision for every row of the (unscaled) design matrix."""
        if not len(x) or not self.heads:
            return {name: [] for name in self.heads}
        z = (self.project(x) - self.mean) / self.scale
        return {name: head.decide(z) for name, head in self.heads.items()}

    def interaction(self, x: np.ndarray) -> dict[str, tuple[str, float, str]]:
        """Every interaction head's decision and confidence, from the interaction's sentences' rows."""
        if not len(x) or not self.interaction_heads:
            return {}
        z = ((pooled(self.project(x), len(self.directions)) - self.pooled_mean) / self.pooled_scale).reshape(
            1, -1
        )
        return {name: head.decide(z)[0] for name, head in self.interaction_heads.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "trained_on": self.trained_on,
            "features": f"MiniLM embedding ({len(self.directions)} main directions) + structure + cues + request",
            "projection": {
                "centre": [round(float(v), 6) for v in self.centre],
                "directions": [[round(float(v), 6) for v in row] for row in self.directions],
            },
            **_heads_json(self.mean, self.scale, self.heads),
            "interaction": _heads_json(self.pooled_mean, self.pooled_scale, self.interaction_heads),
            "closing": self.closing,
        }


def _heads(data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, dict[str, Head]]:
    heads = {
        name: Head(
            tuple(h["classes"]),
            np.asarray(h["coef"], dtype=np.float32),
            np.asarray(h["intercept"], dtype=np.float32),
            float(h["threshold"]),
        )
        for name, h in data.get("heads", {}).items()
    }
    mean = np.asarray(data.get("mean", []), dtype=np.float32)
    scale = np.asarray(data.get("scale", []), dtype=np.float32)
    return mean, scale, heads


def _heads_json(mean: np.ndarray, scale: np.ndarray, heads: dict[str, Head]) -> dict[str, Any]:
    return {
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "heads": {
            name: {
                "classes": list(h.classes),
                "coef": [[round(float(v), 5) for v in row] for row in h.coef],
                "intercept": [round(float(v), 5) for v in h.intercept],
                "threshold": round(h.threshold, 4),
            }
            for name, h in heads.items()
        },
    }


@lru_cache(maxsize=1)
def shipped() -> SentenceModel | None:
    return SentenceModel.load() if MODEL_FILE.exists() else None


# --- training -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Labelled:
    """A training sentence: its features' row and, per head, its class; ``group`` names its interaction (which
    keeps one interaction's sentences together when thresholds are chosen by cross-validation), and
    ``interaction`` holds that interaction's labels for the interaction heads."""

    row: np.ndarray
    labels: dict[str, str]
    group: str
    interaction: dict[str, str] = field(default_factory=dict)


def fit(
    examples: Sequence[Labelled], trained_on: Sequence[str], general: np.ndarray, c: float = C
) -> SentenceModel:
    """Every head fitted on ``examples``; ``general`` holds the embeddings of general text whose main directions
    the embedding is reduced to. A sentence head's threshold is the one that maximised its F1 (positive against
    none) in 5-fold cross-validation grouped by interaction; interaction heads weigh their classes equally and
    decide at 0.5."""
    from sklearn.decomposition import PCA

    pca = PCA(DIRECTIONS, random_state=0).fit(general)
    model = SentenceModel(
        {
            "trained_on": list(trained_on),
            "projection": {"centre": pca.mean_.tolist(), "directions": pca.components_.tolist()},
        }
    )
    x = model.project(np.stack([e.row for e in examples]).astype(np.float32))
    groups = [e.group for e in examples]
    mean, scale, z = _standardised(x)
    heads: dict[str, Any] = {}
    for name, classes in HEADS.items():
        y = np.asarray([classes.index(e.labels.get(name, NONE)) for e in examples])
        coef, intercept = _logistic(z, y, len(classes), c)
        heads[name] = Head(classes, coef, intercept, _threshold(z, y, groups, len(classes), c))
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    rows = np.stack([pooled(x[idx], DIRECTIONS) for idx in by_group.values()])
    firsts = [examples[idx[0]].interaction for idx in by_group.values()]
    pooled_mean, pooled_scale, pz = _standardised(rows)
    documents: dict[str, Head] = {}
    for name, classes in INTERACTION_HEADS.items():
        y = np.asarray([classes.index(f.get(name, classes[0])) for f in firsts])
        coef, intercept = _logistic(pz, y, len(classes), c, balanced=True)
        documents[name] = Head(classes, coef, intercept, 0.5)
    model.mean, model.scale, model.heads = mean, scale, heads
    model.pooled_mean, model.pooled_scale, model.interaction_heads = pooled_mean, pooled_scale, documents
    model.digest = hashlib.sha256(json.dumps(model.to_json(), sort_keys=True).encode()).hexdigest()[:12]
    return model


def _standardised(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32), ((x - mean) / scale).astype(np.float32)


def _logistic(
    z: np.ndarray, y: np.ndarray, n_classes: int, c: float, balanced: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic regression; every class keeps a row, even one absent from ``y``."""
    from sklearn.linear_model import LogisticRegression

    present = sorted(set(y.tolist()))
    coef = np.zeros((n_classes, z.shape[1]), dtype=np.float64)
    intercept = np.full(n_classes, -30.0)
    if len(present) < 2:
        intercept[present[0]] = 0.0
        return coef, intercept
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
    model.fit(z, y)
    rows = model.coef_ if len(present) > 2 else np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
    bias = (
        model.intercept_
        if len(present) > 2
        else np.asarray([-model.intercept_[0] / 2, model.intercept_[0] / 2])
    )
    for k, cls in enumerate(present):
        coef[cls], intercept[cls] = rows[k], bias[k]
    return coef, intercept


def _threshold(z: np.ndarray, y: np.ndarray, groups: Sequence[str], n_classes: int, c: float) -> float:
    from sklearn.model_selection import GroupKFold

    positive = np.zeros(len(y))
    folds = GroupKFold(n_splits=5)
    for train, test in folds.split(z, y, groups):
        coef, intercept = _logistic(z[train], y[train], n_classes, c)
        head = Head(tuple(str(i) for i in range(n_classes)), coef, intercept, 0.5)
        positive[test] = 1.0 - head.probabilities(z[test])[:, 0]
    truth = y > 0
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.1, 0.91, 0.025):
        predicted = positive >= t
        tp = float((predicted & truth).sum())
        f1 = 2 * tp / max(float(predicted.sum() + truth.sum()), 1.0)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best
