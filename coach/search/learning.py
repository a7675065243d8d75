"""Learning the fusion's weights from queries whose answering chunks are known (``bench/retrieval.py --train``).

The loss is listwise: for each query, minus the log of the probability that a softmax over its candidates' scores
gives to the chunks that answer it, so a weight is rewarded for putting one right chunk first, not for ordering
the wrong ones among themselves. ``specific`` enters with its fixed weight, as when searching. An L2 penalty keeps
the weights near zero where the training queries do not insist (they are a few hundred, from one kind of meeting).
Deterministic: the same queries give the same weights (L-BFGS from zero, rounded to four places).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

from coach.search.fusion import Candidate, features

L2 = 10.0  # chosen from 1, 3, 10 and 30 (README)


def train(
    queries: Sequence[tuple[Sequence[Candidate], Sequence[bool]]],
    specific_weight: float,
    l2: float = L2,
    matrices: Sequence[np.ndarray] | None = None,
) -> tuple[float, ...]:
    """Weights for ``FEATURES`` from each query's candidates (signals filled) and which of them answer it; a query
    with no right or no wrong candidate teaches nothing and is left out. ``matrices``, one per query, replace
    ``features(candidates)`` (a bench trying other features: one weight per column)."""
    if matrices is not None and len(matrices) != len(queries):
        raise ValueError(f"{len(matrices)} matrices for {len(queries)} queries")
    used = [
        (list(c), np.asarray(r, dtype=bool), matrices[q] if matrices is not None else features(c))
        for q, (c, r) in enumerate(queries)
        if any(r) and not all(r)
    ]
    if not used:
        raise ValueError("no query has both a right and a wrong candidate")
    width = max(len(c) for c, _, _ in used)
    columns = used[0][2].shape[1]
    x = np.zeros((len(used), width, columns))
    offset = np.zeros((len(used), width))
    right = np.zeros((len(used), width), dtype=bool)
    present = np.zeros((len(used), width), dtype=bool)
    for q, (candidates, labels, matrix) in enumerate(used):
        n = len(candidates)
        x[q, :n] = matrix
        offset[q, :n] = specific_weight * np.asarray([c.specific for c in candidates])
        right[q, :n], present[q, :n] = labels, True
    n_queries = len(used)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w + offset
        every, p_every = _log_softmax_mass(s, present)
        answers, p_answers = _log_softmax_mass(s, right)
        gradient = np.einsum("qnf,qn->f", x, p_every - p_answers)
        value = float((every - answers).sum() + l2 * w @ w)
        return value / n_queries, (gradient + 2 * l2 * w) / n_queries

    found = minimize(loss, np.zeros(columns), jac=True, method="L-BFGS-B")
    return tuple(round(float(w), 4) for w in found.x)


def _log_softmax_mass(s: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per query, log of the summed exp(score) over the masked candidates, and each one's share of it."""
    masked = np.where(mask, s, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    e = np.exp(masked - top)
    total = e.sum(axis=1, keepdims=True)
    return top[:, 0] + np.log(total[:, 0]), e / total
