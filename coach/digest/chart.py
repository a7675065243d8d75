"""A small chart per rep: strategic share per week over twelve weeks, one line per account, as a PNG.

PNG, not SVG: mail clients strip SVG. matplotlib with the Agg backend (no display).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.figure import Figure


def rep_chart(trends: list[list[float | None]], end: date, weeks: int) -> bytes:
    """Mean strategic share per week across the rep's accounts (bars) with the number of accounts active."""
    shares: list[float] = []
    active: list[int] = []
    for i in range(weeks):
        values = [v for t in trends if i < len(t) and (v := t[i]) is not None]
        shares.append(sum(values) / len(values) if values else 0.0)
        active.append(len(values))
    labels = [(end - timedelta(days=7 * (weeks - 1 - i))).strftime("%d %b") for i in range(weeks)]
    fig = Figure(figsize=(5.2, 1.6), dpi=100)
    ax = fig.add_subplot()
    colours = [
        "#3aa565" if s >= 0.5 else "#e0a3a0" if a else "#e9ecf1" for s, a in zip(shares, active, strict=True)
    ]
    ax.bar(
        range(weeks),
        [s if a else 0.02 for s, a in zip(shares, active, strict=True)],
        color=colours,
        width=0.7,
    )
    ax.axhline(0.5, color="#8a93a5", linewidth=0.7, linestyle="--")
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1], ["0", "50%", "100%"], fontsize=7)
    ax.set_xticks(range(0, weeks, 2), labels[::2], fontsize=7)
    ax.set_title("strategic share of interactions per week", fontsize=8, loc="left", color="#374052")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout(pad=0.4)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close("all")
    return buffer.getvalue()
