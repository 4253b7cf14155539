"""Figures the evidence refers to: one per claim whose evidence carries plot ``series``.

Checks never plot; they attach data (:attr:`proofs_check.engine.registry.Evidence.series`). This module
draws it with one shared style (colour-blind-safe palette, labelled axes, legend) and writes PNG
and PDF atomically.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator  # noqa: E402

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def decade_label(value: float, _pos=None) -> str:
    """``10`` with a Unicode superscript exponent at powers of ten, ``""`` elsewhere: the labels
    of matplotlib's log formatter, as plain text (its mathtext is a third of a figure's drawing
    time here)."""
    if not value > 0:
        return ""
    e = round(math.log10(value))
    return f"10{str(e).translate(_SUPERSCRIPT)}" if math.isclose(value, 10.0 ** e, rel_tol=1e-9) else ""


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=150)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def claim_figure(result, out_dir: Path, max_panels: int = 6) -> str | None:
    """Draw the evidence series of one claim result; return the PNG path relative to ``out_dir``."""
    series = [e for e in result.evidence if e.series]
    if not series:
        return None
    series = series[:max_panels]
    cols = min(3, len(series))
    rows = (len(series) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.4 * rows), squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16 / rows, top=1 - 0.17 / rows,
                        wspace=0.32, hspace=0.55)       # fixed spacing: no layout solver per save
    for ax, ev in zip(axes.flat, series):
        s = ev.series
        x = s["x"]
        if s.get("loglog", True) and not any(b and b > 0 for y in s["y"].values() for b in y):
            ax.text(0.5, 0.5, "identically 0 on the grid\n(to round-off)", ha="center",
                    va="center", transform=ax.transAxes)
            ax.set_xlabel(s.get("xlabel", "d"))
            ax.set_ylabel(s.get("ylabel", "value"))
            ax.set_title(ev.summary.split(":")[0][:60], fontsize=7)
            continue
        for k, (label, y) in enumerate(s["y"].items()):
            pts = [(a, b) for a, b in zip(x, y) if b is not None and (not s.get("loglog", True) or b > 0)]
            if pts:
                ax.plot(*zip(*pts), "o-", ms=3, color=PALETTE[k % len(PALETTE)], label=label)
        if s.get("claimed_exponent") is not None and s["y"]:
            y0 = [b for b in next(iter(s["y"].values())) if b and b > 0]
            if y0:
                g = s["claimed_exponent"]
                ax.plot([x[0], x[-1]], [y0[0], y0[0] * (x[-1] / x[0]) ** g], "--", color="0.5",
                        label=f"claimed slope {g:g}")
        if s.get("loglog", True):
            ax.set_xscale("log")
            ax.set_yscale("log")
            for axis in (ax.xaxis, ax.yaxis):       # few ticks: wide log ranges are slow to draw
                axis.set_major_locator(LogLocator(numticks=6))
                axis.set_minor_locator(NullLocator())
                axis.set_major_formatter(FuncFormatter(decade_label))
        ax.set_xlabel(s.get("xlabel", "d"))
        ax.set_ylabel(s.get("ylabel", "value"))
        mark = {True: "pass", False: "FAIL", None: "open"}[ev.passed]
        ax.set_title(f"[{mark}] " + ev.summary.split(":")[0][:60], fontsize=7)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(series):]:
        ax.axis("off")
    fig.suptitle(result.id, fontsize=9)
    folder = Path(out_dir) / "figures"
    _save(fig, folder / f"{result.id}.png")      # IDs contain dots: no with_suffix
    _save(fig, folder / f"{result.id}.pdf")
    plt.close(fig)
    return f"figures/{result.id}.png"
