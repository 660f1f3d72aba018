"""Charts as PNG bytes, drawn with matplotlib's Agg backend (imported on first use, never at import time)."""

from __future__ import annotations

import io
import logging
import warnings
from datetime import timedelta

from index.search.timeline import Timeline, next_period

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

WIDTH, HEIGHT, DPI = 8.0, 3.0, 100  # 800 x 300 pixels: readable in a Discord embed, a few tens of kB
BAR = "#2f6fba"  # the embeds' colour
PEAK = "#d9822b"


def draw_timeline(line: Timeline, title: str) -> bytes:
    """The timeline as a bar chart (one bar per period, peaks marked), PNG bytes.

    Uses matplotlib's object API with the Agg canvas only (no pyplot, no global state), so charts can be drawn
    from several threads or processes at once.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    # A title in a script the font lacks is drawn as boxes (the summary and alt text carry the words): no warning.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    starts, counts = line.starts, line.counts
    if starts:
        widths = [(next_period(s, line.unit) - s) * 0.85 for s in starts]
        peaks = {p.start for p in line.peaks}
        colours = [PEAK if s in peaks else BAR for s in starts]
        ax.bar(starts, counts, width=widths, align="edge", color=colours, linewidth=0)
        if len(starts) == 1:  # one bar: give it room on both sides
            ax.set_xlim(starts[0] - timedelta(days=3), starts[0] + timedelta(days=4))
        locator = AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        ax.text(0.5, 0.5, "no matching articles", ha="center", va="center", transform=ax.transAxes, color="grey")
        ax.set_xticks([])
    ax.set_ylabel(f"articles per {line.unit}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title[:90], fontsize=11, loc="left", parse_math=False)  # a "$" typed is a dollar, not maths
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
