"""Rate claims: fit the exponent of a quantity over a grid of d, with an interval, and decide.

The paper's ``O(.)``/``Theta(.)`` terms carry no constants, so they are checked as *rates*
(docs/theory.md §5): ``log |q(d)| = a + b log d`` by least squares over the upper half of the grid
(the asymptotic end), with a 95% t-interval for ``b``; the constant is ``exp(a)``.

Decision, with an exponent margin ``delta`` (default 0.05; every function takes it as an
argument) for curvature of finite-d curves. The margin is part of the claim: a rate that differs
from the claimed one by less than ``delta`` cannot be refuted, so a claim that must be told from a
rival exponent needs a margin below their distance.

* ``"upper"`` (a claim ``q = O(d^g)``): holds if the interval lies at or below ``g + delta``
  and does not lie wholly above ``g``; fails if it lies above ``g + delta``; inconclusive
  otherwise. A quantity that is exactly 0 on the grid holds.
* ``"exact"`` (a claim ``q ~ d^g``): holds if the interval lies within ``g +- delta`` and
  contains ``g``; fails if it misses that band; inconclusive otherwise.

So a claim never passes through its margin alone: an interval that excludes the claimed exponent
(above it, for an upper bound) leaves the claim undecided until a longer grid brings the interval
onto it (round-off of ``ROUNDOFF`` in the exponent is allowed for exact power laws). ``competitor``
names the nearest rival exponent the derivation gives (e.g. a competing term's); the margin must
be smaller than the distance to it (else ``ValueError``), so a pass also separates the two, and the
evidence says whether the interval excludes the rival.

A grid with NaN or infinite values is never decided: the points are named and the evidence is
undecided (the fit would run on fewer points than asked). When undecided, the evidence says
what blocks the decision: the margin (the fitted exponent sits within ``delta/2`` of an edge of
the band; it then gives the margins that would decide on this grid), or the grid (with the
``d`` a longer grid needs, never printed while the local slope drifts significantly, by more
than the fit's distance from the band's edge, between the halves of the fitted range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .registry import Evidence

DELTA = 0.05
ROUNDOFF = 1e-9       # an exponent interval "contains" the claimed exponent within this


def _decide(fit: "RateFit", claimed: float, kind: str, delta: float) -> bool | None:
    """The decision of the module docstring for a fitted exponent interval."""
    if kind == "upper":
        if fit.low > claimed + delta:
            return False
        return True if fit.high <= claimed + delta and fit.low <= claimed + ROUNDOFF else None
    if fit.high < claimed - delta or fit.low > claimed + delta:
        return False
    inside = claimed - delta <= fit.low and fit.high <= claimed + delta
    return True if inside and fit.low - ROUNDOFF <= claimed <= fit.high + ROUNDOFF else None


def check_competitor(claimed: float, competitor, delta: float) -> float | None:
    """Validate a named rival exponent: finite, distinct from ``claimed`` and farther from it than
    the margin ``delta`` (a margin that reaches the rival would let the rival pass). Returns it."""
    if competitor is None:
        return None
    if isinstance(competitor, bool) or not isinstance(competitor, (int, float)) or not np.isfinite(competitor):
        raise ValueError(f"competitor (the nearest rival exponent) must be a finite number, got {competitor!r}")
    dist = abs(float(competitor) - float(claimed))
    if not delta < dist:
        raise ValueError(f"delta = {delta:g} must be smaller than the distance {dist:.3g} from the claimed exponent "
                         f"{claimed:g} to its competitor {competitor:g}, or the competitor would pass too")
    return float(competitor)


def _competitor_text(fit: "RateFit", claimed: float, competitor: float | None) -> tuple[str, dict]:
    if competitor is None:
        return "", {}
    excluded = not fit.low <= competitor <= fit.high
    return (f"; nearest competing exponent {competitor:.3g} (distance {abs(competitor - claimed):.3g}): "
            f"the interval {'excludes' if excluded else 'does not exclude'} it",
            {"competitor": competitor, "competitor_excluded": excluded})


@dataclass(frozen=True)
class RateFit:
    exponent: float
    low: float
    high: float
    constant: float
    n_points: int


def _check_corrections(corrections) -> tuple[float, ...]:
    out = tuple(corrections)
    if any(isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 < g < np.inf for g in out):
        raise ValueError(f"corrections must be positive finite exponents gamma (terms d^-gamma), got {corrections!r}")
    return out


def fit_rate(d, values, *, tail: float = 0.5, level: float = 0.95, corrections=()) -> RateFit:
    """Least-squares exponent of ``|values|`` against ``d`` on the last ``tail`` of the grid.

    ``corrections``: exponents ``gamma`` of relative finite-d corrections the derivation names
    (``q = C d^b (1 + c d^-gamma + ...)``): each adds the regressor ``d^-gamma``, so the slope's
    interval covers the transition instead of being biased by it."""
    gammas = _check_corrections(corrections)
    d = np.asarray(d, dtype=float)
    v = np.abs(np.asarray(values, dtype=float))
    if d.shape != v.shape or d.ndim != 1:
        raise ValueError(f"d and values must be 1-D of the same length, got {d.shape}, {v.shape}")
    keep = np.arange(d.size) >= int(np.floor(d.size * (1 - tail)))
    keep &= v > 0
    x, y = np.log(d[keep]), np.log(v[keep])
    n = x.size
    p = 2 + len(gammas)
    if n < p + 1:
        raise ValueError(f"need at least {p + 1} nonzero points in the fitted range, got {n}")
    A = np.column_stack([np.ones(n), x] + [np.exp(-g * x) for g in gammas])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    cov = float(resid @ resid) / (n - p) * np.linalg.pinv(A.T @ A)
    slope, stderr = float(coef[1]), float(np.sqrt(max(cov[1, 1], 0.0)))
    t = stats.t.ppf(0.5 + level / 2, n - p)
    return RateFit(slope, slope - t * stderr, slope + t * stderr, float(np.exp(coef[0])), n)


def deciding_d(d, values, claimed: float, *, kind: str = "upper", delta: float = DELTA,
               tail: float = 0.5, level: float = 0.95, max_decades: float = 20.0) -> float | None:
    """Roughly the largest d a grid would need for the fit to decide, if the fitted slope and
    the residual scatter stay as they are: the grid is extended at its own log-spacing until the
    ``level`` interval of the slope excludes the boundary ``claimed +- delta`` nearest the fit.
    ``None`` when the fit sits on that boundary or more than ``max_decades`` would be needed."""
    d = np.asarray(d, dtype=float)
    v = np.abs(np.asarray(values, dtype=float))
    keep = (np.arange(d.size) >= int(np.floor(d.size * (1 - tail)))) & (v > 0)
    x, y = np.log(d[keep]), np.log(v[keep])
    if x.size < 3:
        return None
    fit = fit_rate(d, values, tail=tail, level=level)
    resid = y - (np.log(fit.constant) + fit.exponent * x)
    sigma = float(np.sqrt(np.sum(resid**2) / (x.size - 2)))
    edges = [claimed + delta] if kind == "upper" else [claimed - delta, claimed + delta]
    gap = min(abs(fit.exponent - e) for e in edges)
    if gap < 1e-9 or sigma == 0:      # on the boundary (to round-off), or an exact fit
        return None
    step = float(np.mean(np.diff(x))) if x.size > 1 else np.log(10)
    xs = list(x)
    while xs[-1] - x[0] <= max_decades * np.log(10):
        xs.append(xs[-1] + step)
        arr = np.asarray(xs)
        se = sigma / np.sqrt(np.sum((arr - arr.mean()) ** 2))
        if stats.t.ppf(0.5 + level / 2, arr.size - 2) * se < gap:
            return float(np.exp(xs[-1]))
    return None


def rate_evidence(label: str, d, values, claimed: float, *, kind: str = "upper",
                  params: dict | None = None, delta: float = DELTA,
                  ylabel: str = "quantity", floor: float = 0.0, tail: float = 0.5,
                  variable: str = "d", competitor: float | None = None, corrections=()) -> Evidence:
    """Evidence that ``values(d)`` is ``O(d^claimed)`` (``kind="upper"``) or ``~ d^claimed``.

    ``floor``: values with ``|v| <= floor`` are round-off and count as exact zeros (state it:
    e.g. ``1e-12`` for quantities computed from float64 eigenvectors). ``tail``: the fraction of
    the grid fitted (the largest values of ``d``); ``variable`` names the grid in the summary;
    ``competitor``: the nearest rival exponent (module docstring); ``corrections``: derived
    finite-d correction exponents (:func:`fit_rate`).
    """
    if kind not in ("upper", "exact"):
        raise ValueError(f"kind must be 'upper' or 'exact', got {kind!r}")
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta < np.inf:
        raise ValueError(f"delta (the exponent margin) must be a positive number, got {delta!r}")
    competitor = check_competitor(claimed, competitor, delta)
    d = np.asarray(d, dtype=float)
    v = np.asarray(values, dtype=float)
    if d.shape != v.shape or d.ndim != 1:
        raise ValueError(f"d and values must be 1-D of the same length, got {d.shape}, {v.shape}")
    params = dict(params or {})
    bad = ~np.isfinite(v) | ~np.isfinite(d)
    if bad.any():
        finite = np.where(bad, 0.0, v)
        return Evidence("numerical", f"{label}: undecided: {int(bad.sum())} of {v.size} values are "
                        f"NaN or infinite (at {variable} = "
                        f"{', '.join(f'{x:.3g}' for x in d[bad])}); a fit on the "
                        f"{int((~bad).sum())} others would run on fewer points than asked",
                        passed=None, params=params,
                        numbers={"nonfinite_at": d[bad].tolist(), "points_asked": int(v.size),
                                 "max_abs_finite": float(np.max(np.abs(finite))) if (~bad).any()
                                 else None})
    v = np.where(np.abs(v) <= floor, 0.0, v)
    series = {"x": d.tolist(), "y": {label: np.abs(v).tolist()}, "xlabel": "d",
              "ylabel": ylabel, "claimed_exponent": claimed}
    if np.all(v == 0):
        # O(d^g) holds for an identically zero quantity; ~ d^g (a rate) does not
        zero = "exactly 0" if floor == 0 else f"0 to round-off (|value| <= {floor:g})"
        return Evidence("numerical", f"{label}: {zero} on the whole grid (d = {d[0]:.0e}..{d[-1]:.0e})"
                        + ("" if kind == "upper" else f", so not ~ d^{{{claimed:.3g}}}"),
                        passed=kind == "upper", numbers={"max_abs": 0.0}, params=params,
                        series=series,
                        counterexample=None if kind == "upper" else {"params": params, "value": 0.0})
    corrections = _check_corrections(corrections)
    try:
        fit = fit_rate(d, v, tail=tail, corrections=corrections)
    except ValueError as exc:
        upper_half = v[int(np.floor(v.size / 2)):]
        if kind == "upper" and upper_half[-1] == 0:
            nz = int(np.count_nonzero(upper_half))
            return Evidence("numerical", f"{label}: 0{'' if floor == 0 else ' to round-off'} at the "
                            f"largest d and at {upper_half.size - nz} of the {upper_half.size} largest "
                            f"d values; consistent with O(d^{{{claimed:.3g}}})", passed=True,
                            numbers={"nonzero_in_upper_half": nz, "max_abs": float(np.max(np.abs(v)))},
                            params=params, series=series)
        return Evidence("numerical", f"{label}: no rate could be fitted ({exc})", passed=None,
                        params=params, series=series)
    nums = {"exponent": fit.exponent, "ci_low": fit.low, "ci_high": fit.high,
            "constant": fit.constant, "claimed_exponent": claimed, "margin": delta,
            "d_min": float(d[0]), "d_max": float(d[-1]), "points_fitted": fit.n_points}
    passed = _decide(fit, claimed, kind, delta)
    rel = ("O(%s^{%.3g})" if kind == "upper" else "~ %s^{%.3g}") % (variable, claimed)
    verdict = {True: "consistent with", False: "contradicts", None: "cannot decide"}[passed]
    summary = (f"{label}: fitted exponent {fit.exponent:.3f} [95% CI {fit.low:.3f}, {fit.high:.3f}], "
               f"constant {fit.constant:.3g}, over {variable} = {d[0]:.0e}..{d[-1]:.0e} "
               f"({'upper half' if tail == 0.5 else f'last {tail:.0%}'}); "
               f"{verdict} the claimed {rel} (margin {delta})")
    if corrections:
        summary += f" (fitted with the derived finite-d corrections d^-{', d^-'.join(f'{g:g}' for g in corrections)})"
    ctext, cnums = _competitor_text(fit, claimed, competitor)
    summary += ctext
    nums.update(cnums)
    if passed is None:
        blocker, text, extra = _undecided(d, v, fit, claimed, kind=kind, delta=delta, tail=tail,
                                          variable=variable)
        nums.update(extra)
        nums["blocked_by"] = blocker
        summary += text
    cex = None
    if passed is False:
        i = int(np.argmax(d))
        cex = {"params": params, "d": float(d[i]), "value": float(v[i]),
               "claimed_rate": rel, "fitted_exponent": fit.exponent}
    return Evidence("numerical", summary, passed=passed, numbers=nums, params=params,
                    counterexample=cex, series=series)


def _undecided(d, v, fit: RateFit, claimed: float, *, kind: str, delta: float, tail: float,
               variable: str) -> tuple[str, str, dict]:
    """What blocks an undecided rate: ``("margin", text, numbers)`` when the fitted exponent sits
    within ``delta/2`` of an edge of the band (with the margins that would decide on this grid),
    else ``("grid", ...)`` with the ``d`` a longer grid needs, withheld when the local slopes of
    the two halves of the fitted range differ significantly (beyond twice their standard error)
    and by more than the fit's distance from the edge."""
    edges = [claimed + delta] if kind == "upper" else [claimed - delta, claimed + delta]
    edge = min(edges, key=lambda e: abs(fit.exponent - e))
    gap = abs(fit.exponent - edge)
    inside = fit.high <= claimed + delta and (kind == "upper" or fit.low >= claimed - delta)
    if inside:                     # within the band but the interval excludes the claimed exponent
        side = fit.low - claimed if fit.low > claimed else claimed - fit.high
        return "excluded", (f"; the interval lies within the margin but excludes the claimed exponent by "
                            f"{side:.3g}, so the margin alone would pass it: a grid reaching larger d "
                            f"(structured or rotated routes) must bring the interval onto {claimed:.3g}"), \
            {"excluded_by": side}
    if gap < delta / 2:
        if kind == "upper":
            refute = fit.low - claimed if fit.low > claimed else None
            accept = fit.high - claimed
        else:
            refute = (fit.low - claimed if fit.low > claimed else claimed - fit.high
                      if fit.high < claimed else None)
            accept = max(abs(fit.low - claimed), abs(fit.high - claimed))
        text = (f"; the margin, not the grid, blocks a decision: the fitted exponent lies within "
                f"{gap:.3f} of the band edge {edge:.3g} (claimed {claimed:.3g} +- margin {delta:g}), "
                f"so a longer grid would only close in on the edge")
        if refute is not None and refute > 0:
            text += f"; a margin below {refute:.3g} refutes it on this grid"
        text += f"; a margin of {accept:.3g} or more accepts it"
        return "margin", text, {"deciding_margin_refute": refute, "deciding_margin_accept": accept}
    dd = np.asarray(d, dtype=float)
    vv = np.abs(np.asarray(v, dtype=float))
    keep = (np.arange(dd.size) >= int(np.floor(dd.size * (1 - tail)))) & (vv > 0)
    x, y = np.log(dd[keep]), np.log(vv[keep])
    drift = drift_se = None
    if x.size >= 6:                  # local slopes of the two halves of the fitted range
        h = x.size // 2
        a, b = stats.linregress(x[:h], y[:h]), stats.linregress(x[h:], y[h:])
        drift, drift_se = float(b.slope - a.slope), float(np.hypot(a.stderr, b.stderr))
    need = deciding_d(d, v, claimed, kind=kind, delta=delta, tail=tail)
    nums = {"deciding_d": None, "slope_drift": drift, "slope_drift_se": drift_se}
    if drift is not None and abs(drift) > 2 * drift_se and abs(drift) >= gap:
        return "grid", (f"; the local slope still drifts ({drift:+.3f} +- {drift_se:.3f} between "
                        f"the halves of the fitted range, more than its distance {gap:.3f} from "
                        f"the band edge), so no grid length can be promised"), nums
    if need is None:
        return "grid", "; no grid of reasonable size would decide at this slope and scatter", nums
    nums["deciding_d"] = need
    steady = ("too few points to test that the local slope is steady" if drift is None else
              f"the local slope shows no significant drift: {drift:+.3f} +- {drift_se:.3f}")
    return "grid", (f"; a grid up to about {variable} = {need:.1e} would decide if the slope and "
                    f"scatter stay as fitted ({steady})"), nums


def fit_pooled_rate(d, groups: dict, offsets: dict, *, tail: float = 0.5,
                    level: float = 0.95, corrections=()) -> RateFit:
    """Common exponent ``e`` of ``v_g(d) ~ C_g d^{e + offset_g}`` over several groups ``g``
    (e.g. the sample-size exponents beta of a claim ``~ d^{1/5 - beta}``: ``offset = -beta``).

    Least squares of ``log|v_g| - offset_g log d`` on ``log d`` with one intercept per group,
    each group on the last ``tail`` of the grid ``d``; the interval uses the pooled residual
    variance (t with ``n - groups - 1`` degrees of freedom). ``constant`` is the geometric mean
    of the ``C_g``. ``corrections`` (:func:`fit_rate`) add one ``d^-gamma`` regressor per group
    (the correction's amplitude may differ between groups)."""
    gammas = _check_corrections(corrections)
    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or not groups or set(groups) != set(offsets):
        raise ValueError("d must be 1-D and groups and offsets must have the same non-empty keys")
    keep = np.arange(d.size) >= int(np.floor(d.size * (1 - tail)))
    xs, ys, cols = [], [], []
    keys = list(groups)
    for j, g in enumerate(keys):
        v = np.abs(np.asarray(groups[g], dtype=float))
        if v.shape != d.shape:
            raise ValueError(f"group {g!r}: values of shape {v.shape}, expected {d.shape}")
        k = keep & (v > 0)
        xs.append(np.log(d[k]))
        ys.append(np.log(v[k]) - float(offsets[g]) * np.log(d[k]))
        cols.append(np.full(int(k.sum()), j))
    x, y, grp = np.concatenate(xs), np.concatenate(ys), np.concatenate(cols)
    used = np.unique(grp)
    cols_ = [x] + [(grp == j).astype(float) for j in used]
    cols_ += [(grp == j) * np.exp(-g * x) for g in gammas for j in used]
    n, p = x.size, len(cols_)
    if n - p < 1:
        raise ValueError(f"need more points than parameters, got {n} points for {p}")
    A = np.column_stack(cols_)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    s2 = float(resid @ resid) / (n - p)
    cov = s2 * np.linalg.pinv(A.T @ A)
    se = float(np.sqrt(cov[0, 0]))
    t = stats.t.ppf(0.5 + level / 2, n - p)
    slope = float(coef[0])
    return RateFit(slope, slope - t * se, slope + t * se, float(np.exp(np.mean(coef[1:1 + used.size]))), n)


def pooled_rate_evidence(label: str, d, groups: dict, offsets: dict, claimed: float, *,
                         kind: str = "exact", delta: float = DELTA, params: dict | None = None,
                         floor: float = 0.0, tail: float = 0.5, group_name: str = "group",
                         competitor: float | None = None, corrections=()) -> Evidence:
    """Evidence that ``v_g(d) ~ d^{claimed + offset_g}`` (``kind="exact"``) or
    ``O(d^{claimed + offset_g})`` (``"upper"``) for every group, from the pooled fit
    (:func:`fit_pooled_rate`); decided like :func:`rate_evidence` with margin ``delta``. Pool only
    groups whose derived scaling has the same form (the same offsets): the common exponent is
    otherwise the exponent of nothing. ``competitor``: the nearest rival exponent (in the same
    offset family)."""
    if kind not in ("upper", "exact"):
        raise ValueError(f"kind must be 'upper' or 'exact', got {kind!r}")
    competitor = check_competitor(claimed, competitor, delta)
    params = dict(params or {})
    nonfinite = {g: int(np.sum(~np.isfinite(np.asarray(v, dtype=float)))) for g, v in groups.items()}
    if any(nonfinite.values()):
        where = ", ".join(f"{g}: {k}" for g, k in nonfinite.items() if k)
        return Evidence("numerical", f"{label}: undecided: NaN or infinite values ({where}); a pooled "
                        f"fit would run on fewer points than asked", passed=None, params=params,
                        numbers={"nonfinite": {str(g): k for g, k in nonfinite.items()}})
    groups = {g: np.where(np.abs(np.asarray(v, dtype=float)) <= floor, 0.0, np.asarray(v, dtype=float))
              for g, v in groups.items()}
    try:
        fit = fit_pooled_rate(d, groups, offsets, tail=tail, corrections=corrections)
    except ValueError as exc:
        return Evidence("numerical", f"{label}: no pooled rate could be fitted ({exc})", passed=None,
                        params=params)
    passed = _decide(fit, claimed, kind, delta)
    verdict = {True: "consistent with", False: "contradicts", None: "cannot decide"}[passed]
    d = np.asarray(d, dtype=float)
    summary = (f"{label}: pooled over {group_name} = {', '.join(f'{g:g}' if isinstance(g, float) else str(g) for g in groups)}, "
               f"common exponent {fit.exponent:.3f} [95% CI {fit.low:.3f}, {fit.high:.3f}] "
               f"({fit.n_points} points, d = {d[0]:.0e}..{d[-1]:.0e}, upper half of each); {verdict} the "
               f"claimed {'O' if kind == 'upper' else '~'}(d^{{{claimed:.3g} + offset}}) (margin {delta})")
    if corrections:
        summary += (f" (fitted with the derived finite-d corrections d^-{', d^-'.join(f'{g:g}' for g in corrections)}"
                    f", one amplitude per {group_name})")
    ctext, cnums = _competitor_text(fit, claimed, competitor)
    summary += ctext
    if passed is None and fit.high <= claimed + delta and (kind == "upper" or fit.low >= claimed - delta):
        summary += ("; the interval lies within the margin but excludes the claimed exponent, so only a "
                    "grid reaching larger d can decide")
    return Evidence("numerical", summary, passed=passed,
                    numbers={"exponent": fit.exponent, "ci_low": fit.low, "ci_high": fit.high,
                             "claimed_exponent": claimed, "margin": delta, "points_fitted": fit.n_points,
                             **cnums},
                    params=params,
                    counterexample=None if passed is not False else
                    {"params": params, "fitted_exponent": fit.exponent, "claimed_exponent": claimed})


def planted_rate_evidence(description: str, pieces: list[Evidence], *, params: dict | None = None) -> Evidence:
    """Evidence that a planted over-strong rate (``description``) is refuted by ``pieces``, the
    rate evidence of that variant on the same data: it passes when every piece refutes the
    variant, fails when some piece is consistent with it (the data cannot tell the corrected
    statement from the over-strong one), and is undecided otherwise."""
    if not pieces:
        raise ValueError("pieces must hold at least one rate evidence of the planted variant")
    refuted = sum(e.passed is False for e in pieces)
    kept = sum(e.passed is True for e in pieces)
    fitted = ", ".join(f"{e.numbers['exponent']:.3f} [{e.numbers['ci_low']:.3f}, {e.numbers['ci_high']:.3f}]"
                       for e in pieces if "exponent" in e.numbers)
    return Evidence("numerical", f"planted over-strong variant ({description}): refuted by {refuted} of "
                    f"{len(pieces)} fits" + (f", consistent with {kept}" if kept else "")
                    + (f" (fitted {fitted})" if fitted else ""),
                    passed=False if kept else True if refuted == len(pieces) else None,
                    numbers={"refuted": refuted, "consistent": kept, "fits": len(pieces)},
                    params={**(params or {}), "planted": description})
