"""The request detector: does a sentence ask the reader for an action or a reply?

A logistic regression over three views of a sentence: TF-IDF of its words and
word pairs, the embedded model's vector, and a handful of cues (a question mark,
an imperative opening, "please", "can you", "let me know", a day or a meeting).
It is trained on the Enron intent sentences (MIT licence, in ../shared/data) by
``python -m coach.signals.requests train``, which writes ``request_model.json``
next to this file; bench/quality.py measures it with 5-fold cross-validation.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("request_model.json")
_IMPERATIVE = re.compile(
    r"^(please|kindly|let me know|call|send|give|make|get|take|review|check|forward|confirm|contact|fax|email|e-mail|"
    r"print|sign|fill|complete|see|read|look|attend|join|bring|remember|don't forget|plan|schedule|come|share|tell)\b"
)
_CUES = [
    re.compile(r"\?\s*$"),
    _IMPERATIVE,
    re.compile(r"\bplease\b"),
    re.compile(r"\b(can|could|would|will) you\b"),
    re.compile(r"\blet (me|us) know\b"),
    re.compile(r"\b(i|we) (need|want|would like) (you|to)\b"),
    re.compile(r"\b(meet|meeting|call|lunch|dinner)\b"),
    re.compile(r"\b(tomorrow|monday|tuesday|wednesday|thursday|friday|next week|today|tonight)\b"),
    re.compile(r"\b(should we|shall we|do you|are you|have you|did you|is there)\b"),
    re.compile(r"\$link|click|unsubscribe|offer|free|%"),
    re.compile(r"\b(thank|thanks)\b"),
]
TFIDF = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True}


def cue_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        lower = text.strip().lower()
        rows.append([2.0 * bool(c.search(lower)) for c in _CUES] + [len(lower.split()) / 15.0])
    return np.asarray(rows, dtype=np.float32)


def design(texts: Sequence[str], vectorizer, embeddings: np.ndarray):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix, hstack

    return hstack(
        [vectorizer.transform(texts), csr_matrix(embeddings), csr_matrix(cue_features(texts))]
    ).tocsr()


def fit(texts: Sequence[str], labels: Sequence[int], embeddings: np.ndarray):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(**TFIDF).fit(texts)
    model = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced")
    model.fit(design(texts, vectorizer, embeddings), np.asarray(labels))
    return vectorizer, model


class RequestDetector:
    """Loads the shipped model; ``probability`` needs the embedded model's vectors of the same sentences."""

    def __init__(self, path: Path = MODEL_FILE) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        data = json.loads(path.read_text())
        self._vectorizer = TfidfVectorizer(
            vocabulary=data["vocabulary"], ngram_range=(1, 2), sublinear_tf=True
        )
        self._vectorizer.idf_ = np.asarray(data["idf"])
        self._coef = np.asarray(data["coef"], dtype=np.float64)
        self._intercept = float(data["intercept"])
        self.threshold = float(data.get("threshold", 0.5))

    def probability(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        if not len(texts):
            return np.zeros(0)
        scores = np.asarray(design(texts, self._vectorizer, embeddings) @ self._coef + self._intercept)
        return np.asarray(1.0 / (1.0 + np.exp(-scores)), dtype=np.float64)


@lru_cache(maxsize=1)
def detector() -> RequestDetector | None:
    return RequestDetector() if MODEL_FILE.exists() else None


def load_enron(folder: Path) -> tuple[list[str], list[int]]:
    pos = [
        line.strip()
        for line in (folder / "intent_pos").read_text(errors="replace").splitlines()
        if line.strip()
    ]
    neg = [
        line.strip()
        for line in (folder / "intent_neg").read_text(errors="replace").splitlines()
        if line.strip()
    ]
    return pos + neg, [1] * len(pos) + [0] * len(neg)


def train(folder: Path, out: Path = MODEL_FILE) -> None:
    from coach.embedding import default_embedder

    texts, labels = load_enron(folder)
    vectorizer, model = fit(texts, labels, default_embedder().embed(texts))
    out.write_text(
        json.dumps(
            {
                "trained_on": "Enron intent sentences (vseledkin/enron_intent_dataset_verified, MIT), all 3,655",
                "vocabulary": {k: int(v) for k, v in vectorizer.vocabulary_.items()},
                "idf": [round(float(x), 5) for x in vectorizer.idf_],
                "coef": [round(float(x), 5) for x in model.coef_[0]],
                "intercept": float(model.intercept_[0]),
                "threshold": 0.5,
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "train":
        sys.exit("usage: python -m coach.signals.requests train PATH/TO/enron-intent")
    train(Path(sys.argv[2]))
    print(f"wrote {MODEL_FILE}")
