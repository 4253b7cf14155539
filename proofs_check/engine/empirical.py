"""Verdicts from repeated (seeded) runs, with error rates that are known and tested.

An empirical claim says that a paired per-seed difference ``x`` (both arms share the seed: the
same split, initialisation and minibatch order) is positive, oriented so that positive is the
claimed direction. Each claim declares a **margin** ``delta > 0``: the smallest effect that
would count as the claim being true, with its source (:class:`Margin`).

**One cell**, ``n`` seeds, level ``a`` (two one-sided one-sample t-tests,
:func:`one_sided_pvalues`):

- *holds* when ``H0: E x <= 0`` is rejected (``alternative="greater"``);
- *fails* when ``H0: E x >= delta`` is rejected (``alternative="less"``): the effect is shown
  to be smaller than the margin. This is the upper test of the equivalence pair (TOST) and it
  covers an effect significantly in the opposite direction (that is below ``delta`` too);
- otherwise *open*: the evidence gives the interval of effects still compatible and about how
  many seeds would decide at the observed spread.

So ``P(holds | E x <= 0) <= a`` and ``P(fails | E x >= delta) <= a``.

**Several cells** (:data:`COMBINE`):

- ``"every"`` (the claim says "in every setting"): the claim holds when every cell holds,
  each tested at level ``a`` (an intersection-union test, which needs no adjustment: if any
  cell has no effect, that cell alone stops a false ``holds``); it fails when some cell fails
  after Holm's correction over the ``m`` cells (:func:`holm`), so a true claim is refuted
  with probability at most ``a`` whatever ``m``;
- ``"average"`` (the claim is about the mean over settings): the per-seed mean over cells is
  one cell, tested as above.

**Sequential seeds** (:class:`Design`): seeds are added in batches (looks at ``n_1 < ... <
n_K`` seeds) until the claim is decided or the cap ``n_K`` is reached. The level is spent
across looks by a Lan-DeMets spending function (O'Brien-Fleming-type by default):
look ``k`` gets ``a_k = A(t_k) - A(t_{k-1})`` with ``t_k = n_k / n_K`` and ``A(1) = a``;
by the union bound every error rate stays ``<= a`` however many looks are taken. A cell's
decision is kept once made.

**Validity gate** (:func:`gate`): a cell may carry, per run that enters it, the per-seed
"learned minus baseline" accuracy (the SSL encoder against the same architecture at its random
initialisation). A cell where some run does not beat its baseline by a one-sided t bound at
:data:`GATE_LEVEL` is *invalid* at that look: it is neither tested nor counted in Holm's
family, so it can make a claim neither hold nor fail, and an ``"every"`` claim with an
invalid cell cannot hold.

``tests/test_empirical.py`` checks these rates by simulation through :func:`decide`, the
function every empirical claim calls, and shows that rules ignoring multiplicity or the looks
are caught.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from .registry import Evidence

MIN_SEEDS = 5
COMBINE = ("every", "average")
SPENDING = ("obrien-fleming", "pocock", "bonferroni")


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the Student-t interval of the mean of ``values`` (``n >= 2``)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"values must be a 1-D array of at least 2 numbers, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    mean = float(v.mean())
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class Margin:
    """The smallest effect (in the units of the differences, claimed direction positive) that
    would count as the claim being true, and where that number comes from."""

    value: float
    source: str
    scale: float = 1.0        # for display: e.g. 100 to show fractions as points
    unit: str = ""

    def __post_init__(self) -> None:
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"Margin.value must be a finite number > 0, got {self.value!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("Margin.source must say where the margin comes from")

    def fmt(self, v: float) -> str:
        return f"{self.scale * v:+.3g}{self.unit}"


@dataclass(frozen=True)
class Design:
    """Looks (cumulative seed counts) and the level spent across them.

    ``max_looks`` stops after that many looks while the level of every look stays the one the
    whole design spends (the spending function runs to the last look). A profile that takes the
    first looks of another profile's design this way reaches, whenever it decides, exactly the
    decision the longer design reaches at those looks, and decisions are kept once made: the two
    can never contradict each other.
    """

    looks: tuple[int, ...]
    alpha: float = 0.05
    spending: str = "obrien-fleming"
    max_looks: int | None = None

    def __post_init__(self) -> None:
        looks = tuple(self.looks)
        if not looks or any(not isinstance(n, int) or isinstance(n, bool) for n in looks):
            raise ValueError(f"Design.looks must be a non-empty tuple of ints, got {self.looks!r}")
        if looks[0] < MIN_SEEDS or any(b <= a for a, b in zip(looks, looks[1:])):
            raise ValueError(f"Design.looks must increase from at least {MIN_SEEDS}, got {looks}")
        if not 0 < self.alpha < 0.5:
            raise ValueError(f"Design.alpha must lie in (0, 0.5), got {self.alpha}")
        if self.spending not in SPENDING:
            raise ValueError(f"Design.spending must be one of {SPENDING}, got {self.spending!r}")
        if self.max_looks is not None and (not isinstance(self.max_looks, int) or isinstance(self.max_looks, bool)
                                           or not 1 <= self.max_looks <= len(looks)):
            raise ValueError(f"Design.max_looks must be an int in [1, {len(looks)}] or None, got {self.max_looks!r}")

    @property
    def taken(self) -> tuple[int, ...]:
        """The looks this design actually takes (the first ``max_looks``)."""
        return self.looks[:self.max_looks] if self.max_looks else self.looks

    @property
    def cap(self) -> int:
        """The most seeds this design runs."""
        return self.taken[-1]

    def alphas(self) -> np.ndarray:
        """The level of each look, ``a_k = A(t_k) - A(t_{k-1})``; they sum to ``alpha``.

        .. math:: A_{OF}(t) = 2\\,(1 - \\Phi(z_{1-\\alpha/2} / \\sqrt{t})),\\quad
                  A_{P}(t) = \\alpha \\ln(1 + (e - 1) t)

        (Lan and DeMets 1983); ``bonferroni`` splits ``alpha`` equally.
        """
        t = np.asarray(self.looks, dtype=np.float64) / self.looks[-1]
        if self.spending == "bonferroni":
            cum = self.alpha * np.arange(1, len(t) + 1) / len(t)
        elif self.spending == "pocock":
            cum = self.alpha * np.log1p((math.e - 1) * t)
        else:
            z = stats.norm.isf(self.alpha / 2)
            cum = 2 * stats.norm.sf(z / np.sqrt(t))
        cum[-1] = self.alpha
        return np.diff(np.concatenate([[0.0], cum]))

    def describe(self) -> str:
        levels = ", ".join(f"{a:.2g}" for a in self.alphas())
        text = (f"looks at {', '.join(map(str, self.looks))} seeds, overall level {self.alpha}, "
                f"{self.spending} spending (per look {levels})")
        if self.max_looks and self.max_looks < len(self.looks):
            text += f"; this profile takes the first {self.max_looks} look(s) only"
        return text


@dataclass
class Cell:
    """One comparison of a claim: the per-seed differences, oriented so that the claim says
    positive, for the first ``n`` seeds of the design."""

    name: str
    diffs: np.ndarray
    margin: Margin
    params: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    extra: str = ""
    series: dict | None = None      # optional plot data for the report (see Evidence.series)
    # Validity gate: name -> per-seed "learned minus baseline" (e.g. probe accuracy of the SSL
    # encoder minus that of the same encoder at its random initialisation) of each run that
    # enters the cell. A cell is valid only if every one of them is positive by its one-sided
    # t bound at GATE_LEVEL; an invalid cell is never decided (see :func:`gate`).
    gate: dict = field(default_factory=dict)


GATE_LEVEL = 0.05


def gate(cell: Cell, level: float = GATE_LEVEL) -> tuple[bool, str]:
    """``(valid, text)``: whether every gate array of ``cell`` has a positive mean by the
    one-sided Student-t bound at ``level`` (``ttest_1samp(..., alternative="greater")``), and one
    line naming the arms that do not. No gate arrays: valid."""
    bad = []
    for name, values in cell.gate.items():
        v = np.asarray(values, dtype=np.float64)
        p = one_sided_pvalues(v, 1.0)[0]
        if not p <= level:
            bad.append(f"{name} {cell.margin.scale * v.mean():+.3g}{cell.margin.unit} (p = {p:.2g})")
    if not bad:
        return True, ""
    return False, ("invalid: the learned encoder does not beat its random initialisation by the "
                   f"required gain (one-sided level {level}) for " + ", ".join(bad)
                   + "; this cell gives no evidence for or against the claim")


def one_sided_pvalues(x: np.ndarray, margin: float) -> tuple[float, float]:
    """``(p_holds, p_fails)``: one-sample t-tests of ``E x <= 0`` against ``> 0`` and of
    ``E x >= margin`` against ``< margin``. Zero spread decides by the sign of the difference.

    The p-values are ``scipy.stats.ttest_1samp``'s (``alternative="greater"`` / ``"less"``;
    the tests check equality), computed through the Student-t CDF ``scipy.special.stdtr``
    directly: the calibration simulations call this hundreds of thousands of times.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"differences must be a finite 1-D array of >= 2 values, got {x!r}")
    if np.ptp(x) == 0:
        return (0.0 if x[0] > 0 else 1.0), (0.0 if x[0] < margin else 1.0)
    n = x.size
    mean, se = x.mean(), x.std(ddof=1) / math.sqrt(n)
    p_holds = float(special.stdtr(n - 1, -mean / se))
    p_fails = float(special.stdtr(n - 1, (mean - margin) / se))
    return p_holds, p_fails


def holm(pvalues, level: float) -> np.ndarray:
    """Holm's step-down rejections at family-wise ``level``: sort the p-values, reject the
    ``k``-th smallest while ``p_(k) <= level / (m - k + 1)``, stop at the first that is not.

    Equal to statsmodels' ``multipletests(p, level, method="holm")[0]`` (a test checks it on
    random p-vectors); that routine runs ``gc.collect()`` on every call (about 40 ms), too slow
    for the calibration simulations.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    ok = p[order] <= level / (m - np.arange(m))
    n_reject = m if ok.all() else int(np.argmin(ok))
    reject = np.zeros(m, dtype=bool)
    reject[order[:n_reject]] = True
    return reject


def seeds_to_decide(sd: float, margin: float, level: float, n_now: int) -> int | None:
    """Roughly how many seeds make the two one-sided bounds at ``level`` narrower than the
    margin at spread ``sd`` (then one of the tests must decide): the least ``n`` with
    ``2 t_{1-level, n-1} sd / sqrt(n) < margin``; ``None`` above 10 000."""
    if sd == 0:
        return n_now
    for n in range(max(n_now, 2), 10_001):
        if 2 * stats.t.isf(level, n - 1) * sd / math.sqrt(n) < margin:
            return n
    return None


@dataclass
class Decision:
    """The outcome of :func:`decide`: the claim's status, per-cell states and the record."""

    status: str                     # "holds", "fails" or "open"
    cells: list[Cell]               # at the last look taken
    states: list[str]               # per cell: "holds", "fails", "open" or "invalid" (gate failed)
    n_seeds: int
    look: int                       # 1-based index of the last look taken
    stop_reason: str
    design: Design
    combine: str
    level: float                    # the level of the last look taken
    history: list[dict] = field(default_factory=list)   # per look: seeds, level, p-values, states


def decide(cells_at: Callable[[int], list[Cell]], design: Design, combine: str = "every") -> Decision:
    """Run the sequential, multiplicity-corrected rule of this module.

    ``cells_at(n)`` returns the claim's cells computed from its first ``n`` seeds (a check
    computes and caches runs lazily, so later looks only add seeds). ``combine`` is ``"every"``
    or ``"average"`` (see the module docstring).
    """
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}, got {combine!r}")
    alphas = design.alphas()
    states: list[str] | None = None
    history = []
    last = len(design.taken)
    for k, (n, a_k) in enumerate(zip(design.taken, alphas), start=1):
        cells = cells_at(n)
        if not cells:
            raise ValueError("cells_at returned no cells")
        if combine == "average" and len(cells) > 1:
            cells = [_average(cells)]
        if any(len(c.diffs) != n for c in cells):
            raise ValueError(f"every cell must have {n} differences at this look")
        if states is None:
            states = ["open"] * len(cells)
        valid = [gate(c)[0] for c in cells]
        pv = [one_sided_pvalues(c.diffs, c.margin.value) if ok else (1.0, 1.0)
              for c, ok in zip(cells, valid)]
        p_h = [p for p, _ in pv]
        fail_now = holm([p for _, p in pv], a_k)
        for i, (ph, fails) in enumerate(zip(p_h, fail_now)):
            if not valid[i]:
                states[i] = "invalid" if states[i] in ("open", "invalid") else states[i]
            elif states[i] in ("open", "invalid"):
                if fails:
                    states[i] = "fails"
                elif ph <= a_k:
                    states[i] = "holds"
        history.append({"look": k, "n_seeds": n, "level": float(a_k), "states": list(states),
                        "valid": valid,
                        "p_holds": p_h, "p_fails": [p for _, p in pv]})
        if "fails" in states:
            status, why = "fails", f"decided at look {k} of {len(design.looks)} ({n} seeds): a cell is below its margin"
        elif all(s == "holds" for s in states):
            status, why = "holds", f"decided at look {k} of {len(design.looks)} ({n} seeds): every cell holds"
        else:
            status, why = "open", (f"seed cap reached ({n} seeds, {len(design.looks)} looks), undecided"
                                   if last == len(design.looks) else
                                   f"this profile's last look reached ({n} seeds, look {k} of the "
                                   f"{len(design.looks)} of its design), undecided")
            if "invalid" in states:
                why += (f"; {states.count('invalid')} of {len(states)} cells fail the validity gate "
                        "(SSL does not beat a random encoder there)")
            if k < last:
                continue
        return Decision(status, cells, states, n, k, why, design, combine, float(a_k), history)
    raise AssertionError("unreachable")


def _average(cells: list[Cell]) -> Cell:
    margins = {c.margin for c in cells}
    if len(margins) != 1:
        raise ValueError("an 'average' claim needs one margin for all its cells")
    diffs = np.mean([c.diffs for c in cells], axis=0)
    return Cell(f"mean over {len(cells)} cells ({'; '.join(c.name for c in cells)})", diffs,
                cells[0].margin, params={"cells": [c.params for c in cells]},
                gate={f"{c.name}: {k}": v for c in cells for k, v in c.gate.items()})


def decision_evidence(dec: Decision, *, what: str) -> list[Evidence]:
    """Evidence for a :class:`Decision`: one summary (margin, correction, seeds, stopping
    reason, the claim-level outcome) and one piece per cell. ``passed`` follows the decision,
    so :func:`proofs_check.engine.registry.default_rule` reproduces it: all cells True gives
    ``holds``, a False cell gives ``fails``, anything open gives ``inconclusive``."""
    m = len(dec.cells)
    a_last = dec.level
    correction = (f"{dec.combine}: 'holds' needs every one of the {m} cells to hold at its look's "
                  f"level (intersection-union, no adjustment needed); 'fails' uses Holm over {m} "
                  f"comparisons" if dec.combine == "every" and m > 1 else
                  f"{dec.combine}: one comparison" + (" (the per-seed mean over cells)"
                                                     if dec.combine == "average" else ""))
    margins = sorted({(c.margin.fmt(c.margin.value), c.margin.source) for c in dec.cells})
    margin_text = "; ".join(f"{v} ({src})" for v, src in margins)
    outcome = {"holds": True, "fails": False, "open": None}[dec.status]
    summary = Evidence(
        "empirical",
        f"{what}: {dec.status if dec.status != 'open' else 'undecided'}; {dec.stop_reason}. "
        f"Margin {margin_text}. Correction: {correction}. Design: {dec.design.describe()}.",
        passed=outcome,
        numbers={"n_seeds": dec.n_seeds, "looks_taken": dec.look, "history": dec.history,
                 "alpha": dec.design.alpha, "level_last_look": a_last},
        params={"combine": dec.combine, "cells": m, "looks": list(dec.design.looks),
                "spending": dec.design.spending, "role": "decision"})
    out = [summary]
    for cell, state in zip(dec.cells, dec.states):
        x = np.asarray(cell.diffs, dtype=np.float64)
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        q = stats.t.isf(a_last, x.size - 1) * sd / math.sqrt(x.size)
        lo, hi = mean - q, mean + q
        mg = cell.margin
        if state == "invalid":
            tag = gate(cell)[1]
        elif state == "holds":
            tag = f"effect > 0 (one-sided bound {mg.fmt(lo)})"
        elif state == "fails":
            tag = (f"effect below the margin {mg.fmt(mg.value)}"
                   + (", in the OPPOSITE direction" if hi < 0 else ""))
        else:
            need = seeds_to_decide(sd, mg.value, a_last, x.size)
            tag = (f"open: effects in [{mg.fmt(lo)}, {mg.fmt(hi)}] are still compatible; about "
                   f"{need if need else '> 10000'} seeds would decide at this spread")
        summary_text = (f"{cell.name}: mean {mg.fmt(mean)} over {x.size} seeds, bounds at level "
                        f"{a_last:.2g} [{mg.fmt(lo)}, {mg.fmt(hi)}], margin {mg.fmt(mg.value)}: {tag}"
                        + (f"; {cell.extra}" if cell.extra else ""))
        nums = {"mean": mean, "sd": sd, "low": lo, "high": hi, "margin": mg.value,
                "n_seeds": int(x.size), "diffs": x.tolist(), "valid": state != "invalid",
                **({"gate": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in cell.gate.items()}}
                   if cell.gate else {}), **cell.numbers}
        passed = {"holds": True, "fails": False, "open": None, "invalid": None}[state]
        out.append(Evidence("empirical", summary_text, passed=passed, numbers=nums,
                            params={**cell.params, "margin_source": mg.source}, series=cell.series,
                            counterexample=None if passed is not False else
                            {"params": cell.params, "numbers": {k: nums[k] for k in
                                                                ("mean", "low", "high", "margin", "n_seeds")}}))
    failed = [e for e in out[1:] if e.passed is False]
    if failed:
        summary.counterexample = failed[0].counterexample
    return out
