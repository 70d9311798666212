"""Static SVG charts drawn with matplotlib (Agg backend, no display, no pyplot state)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Text stays text (smaller files, selectable labels); fixed hash salt and no date keep the
# SVG of the same data byte-identical between writes.
_RC = {"svg.fonttype": "none", "svg.hashsalt": "storydedup", "font.size": 9,
       "axes.spines.top": False, "axes.spines.right": False}
COLOURS = ["#3b6ea8", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#757575"]


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def _figure(width: float = 6.4, height: float = 3.0) -> Figure:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
        fig.add_subplot()
    return fig


def bars(labels: list[str], series: dict[str, list[float]], title: str, xlabel: str, counts: bool = True) -> str:
    """Horizontal bars, one group per label, one bar per series (``counts``: integer ticks)."""
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, max(1.6, 0.28 * len(labels) * max(1, len(series)) + 0.9))
        ax = fig.axes[0]
        height = 0.8 / max(1, len(series))
        for k, (name, values) in enumerate(series.items()):
            ys = [i + k * height for i in range(len(labels))]
            ax.barh(ys, values, height=height, label=name, color=COLOURS[k % len(COLOURS)])
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(labels))], labels=labels)
        ax.invert_yaxis()
        if counts:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        if len(series) > 1:
            ax.legend(loc="lower right")
        return _svg(fig)


def histogram(edges: list[float], series: dict[str, list[int]], title: str, xlabel: str,
              log: bool = False) -> str:
    """Pre-binned counts (``edges`` has one more entry than each series)."""
    with matplotlib.rc_context(_RC):
        fig = _figure()
        ax = fig.axes[0]
        widths = [b - a for a, b in zip(edges[:-1], edges[1:])]
        for k, (name, counts) in enumerate(series.items()):
            ax.bar(edges[:-1], counts, width=widths, align="edge", alpha=0.75 if len(series) > 1 else 1,
                   label=name, color=COLOURS[k % len(COLOURS)], edgecolor="white", linewidth=0.4)
        if log:
            ax.set_yscale("symlog")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("count")
        if len(series) > 1:
            ax.legend()
        return _svg(fig)


def lines(x: list[str], series: dict[str, list[float]], title: str, ylabel: str, counts: bool = False) -> str:
    """One line per series over categorical x values (days) (``counts``: integer ticks)."""
    with matplotlib.rc_context(_RC):
        fig = _figure()
        ax = fig.axes[0]
        for k, (name, values) in enumerate(series.items()):
            ax.plot(range(len(x)), values, marker="o", markersize=3, label=name, color=COLOURS[k % len(COLOURS)])
        step = max(1, len(x) // 12)
        ax.set_xticks(range(0, len(x), step), labels=x[::step], rotation=30, ha="right")
        if counts:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.legend()
        return _svg(fig)
