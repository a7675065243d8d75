"""Charts for a digest: interactions per week over twelve weeks, stacked strategic and tactical, with the counts.

A share per week jumps between 0 and 100% when most weeks hold one interaction or none; counts stacked by
engagement show both how much happened and how much of it mattered, and the caption gives the strategic share
over rolling four-week windows with how many interactions it rests on. Every chart comes with words that say the
same (its alt text). PNG, not SVG: mail clients strip SVG. matplotlib with the Agg backend (no display).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure
from PIL import Image

from coach.digest import words
from coach.digest.model import Chart, WeekCount

STRATEGIC = "#2f7d4f"
TACTICAL = "#c5cad4"
INK = "#374052"
WIDTH_PX = 596  # the e-mail's column: 640 less its padding


def week_chart(weeks: list[WeekCount], who: str, height_px: int = 150) -> Chart | None:
    """``who``'s interactions per week (None when there were none in the twelve weeks: nothing to draw)."""
    if not any(w.total for w in weeks):
        return None
    return Chart(png=_draw(weeks, height_px), alt=_alt(weeks, who), caption=caption(weeks))


def caption(weeks: list[WeekCount]) -> str:
    """The strategic share of the last four weeks against the four before, with how many interactions each."""
    recent, before = weeks[-4:], weeks[-8:-4]
    r_s, r_n = sum(w.strategic for w in recent), sum(w.total for w in recent)
    b_s, b_n = sum(w.strategic for w in before), sum(w.total for w in before)
    before_words = f"the four before, {words.share(b_s, b_n)}" if b_n else "nothing logged in the four before"
    if not r_n:
        return f"Strategic: nothing logged in the last four weeks; {before_words}."
    return f"Strategic in the last four weeks: {words.share(r_s, r_n, 'interaction')}; {before_words}."


def _alt(weeks: list[WeekCount], who: str) -> str:
    total = sum(w.total for w in weeks)
    strategic = sum(w.strategic for w in weeks)
    busiest = max(weeks, key=lambda w: (w.total, w.end))
    return (
        f"Bar chart of {who}'s interactions per week, strategic and tactical, in the twelve weeks to "
        f"{words.day(weeks[-1].end)}: {words.plural(total, 'interaction')}, {strategic} strategic; the busiest "
        f"week, to {words.day(busiest.end, year=False)}, had {busiest.total}. {caption(weeks)}"
    )


def _draw(weeks: list[WeekCount], height_px: int) -> bytes:
    dpi = 100
    fig = Figure(figsize=(WIDTH_PX / dpi, height_px / dpi), dpi=dpi)
    ax = fig.add_subplot()
    xs = range(len(weeks))
    strategic = [w.strategic for w in weeks]
    tactical = [w.tactical for w in weeks]
    ax.bar(xs, strategic, color=STRATEGIC, width=0.68, label="strategic")
    ax.bar(xs, tactical, bottom=strategic, color=TACTICAL, width=0.68, label="tactical")
    top = max(w.total for w in weeks)
    for x, w in zip(xs, weeks, strict=True):
        ax.text(x, w.total + top * 0.04, str(w.total), ha="center", va="bottom", fontsize=10, color=INK)
        if w.strategic and w.strategic >= top * 0.25:
            ax.text(x, w.strategic / 2, str(w.strategic), ha="center", va="center", fontsize=9, color="white")
    ax.set_ylim(0, top * 1.22)
    ax.set_yticks([])
    labelled = range(len(weeks) - 1, -1, -2)  # every other week, ending with this one
    ax.set_xticks(
        list(labelled), [f"{weeks[i].end.day} {weeks[i].end:%b}" for i in labelled], fontsize=9, color=INK
    )
    ax.tick_params(axis="x", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(TACTICAL)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        fontsize=9,
        frameon=False,
        ncols=2,
        handlelength=1,
        borderaxespad=0,
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=34 / height_px, top=1 - 26 / height_px)
    drawn = io.BytesIO()
    fig.savefig(
        drawn, format="png", dpi=dpi * 2
    )  # twice the pixels: sharp on phones and high-density screens
    return _small(drawn)


def _small(drawn: io.BytesIO) -> bytes:
    """The same picture in a 32-colour palette: about a third of the bytes, and an e-mail carries several."""
    drawn.seek(0)
    with Image.open(drawn) as image:
        paletted = image.convert("RGB").quantize(colors=32, method=Image.Quantize.FASTOCTREE)
    palette = paletted.getpalette() or []
    for i in range(0, len(palette), 3):  # the background stays the white of the e-mail around it
        if min(palette[i : i + 3]) >= 250:
            palette[i : i + 3] = [255, 255, 255]
    paletted.putpalette(palette)
    out = io.BytesIO()
    paletted.save(out, format="PNG")
    return out.getvalue()
