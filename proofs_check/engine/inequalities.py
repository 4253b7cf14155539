"""Bounds as claims in a few lines: :func:`bound` registers ``lhs <relation> rhs`` over one or
more strategies and decides it by the worst-case search (:func:`.search.worst_case`).

Example (a user's module, checked with ``dssl check --claims my_bounds.py``)::

    import numpy as np
    from proofs_check import bound
    from proofs_check.engine import strategies as S

    bound("my.weyl", source="Weyl (1912)",
          statement="|lambda_k(X + E) - lambda_k(X)| <= ||E||_2 for symmetric X, E",
          lhs=lambda X, E: np.max(np.abs(np.linalg.eigvalsh(X + E) - np.linalg.eigvalsh(X))),
          rhs=lambda X, E: np.linalg.norm(E, 2),
          over=S.perturbed_spectra(4))

How a relation is decided (``tol`` absolute, ``rtol`` relative to ``|rhs|``; ``tau = tol + rtol |rhs|``):

- ``<=``: violated where ``lhs > rhs + tau``; ``>=`` likewise with the sides swapped;
- ``<`` (strict): violated where ``lhs >= rhs - tau``, so a strict inequality never passes on
  round-off: it must hold by more than the tolerance; ``>`` likewise;
- ``==``: violated where ``|lhs - rhs| > tau``.

The search is steered by a scale-free slack with the tolerance built in (:func:`_slack`),
negative exactly where the relation is violated. A bound that holds says how close the search
came: the evidence carries the ratio ``lhs / rhs`` at the worst instance and that instance.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from .registry import REGISTRY, CheckContext, Evidence, Registry
from .search import SEARCH_MODES, reproducible_repr, search_space, worst_case

RELATIONS = ("<=", "<", "==", ">=", ">")
_TINY = 5e-324          # the smallest positive float: a violated slack is never -0.0

# search effort per profile: hypothesis examples, refined starts, evaluations per refinement
BUDGETS = {"smoke": {"max_examples": 60, "refine": 2, "maxfev": 150},
           "quick": {"max_examples": 250, "refine": 4, "maxfev": 500},
           "full": {"max_examples": 1000, "refine": 8, "maxfev": 2000}}


def _call(fn: Callable, value: Any) -> float:
    out = fn(*value) if isinstance(value, tuple) else fn(value)
    return float(out)


def _sides(relation: str, lhs: float, rhs: float) -> tuple[float, float]:
    """``(small, large)``: the side claimed smaller first (``>=``/``>`` swap them)."""
    return (rhs, lhs) if relation in (">=", ">") else (lhs, rhs)


def _tau(rhs: float, tol: float, rtol: float) -> float:
    """The tolerance ``tol + rtol |rhs|`` (``tol`` alone when ``rtol = 0``, even at ``rhs = inf``)."""
    return tol + rtol * abs(rhs) if rtol else tol


def _violated(relation: str, lhs: float, rhs: float, tol: float, rtol: float) -> bool:
    small, large = _sides(relation, lhs, rhs)
    tau = _tau(rhs, tol, rtol)
    if relation == "==":
        return abs(lhs - rhs) > tau
    if relation in ("<", ">"):
        return small >= large - tau
    return small > large + tau


def _slack(relation: str, lhs: float, rhs: float, tol: float, rtol: float) -> float:
    """The slack in units of the sides' size, with the tolerance ``tau`` built in:
    ``(large - small + tau) / (|lhs| + |rhs| + tau)`` for ``<=``/``>=``, ``- tau`` in place of
    ``+ tau`` for ``<``/``>``, ``(tau - |lhs - rhs|) / (...)`` for ``==``. Its sign is set by
    :func:`_violated` (negative exactly where the relation is violated, whatever the round-off
    of the division), so :func:`.search.worst_case` decides with ``slack < 0``. Round-off at
    zero scale never looks tight. NaN where a side is NaN."""
    if math.isnan(lhs) or math.isnan(rhs):
        return math.nan
    bad = _violated(relation, lhs, rhs, tol, rtol)
    small, large = _sides(relation, lhs, rhs)
    tau = _tau(rhs, tol, rtol)
    scale = abs(lhs) + abs(rhs) + tau
    if math.isinf(scale):                  # an infinite side: violated, equal, or far from it
        return -1.0 if bad else 0.0 if lhs == rhs else 1.0
    if scale == 0:
        s = 0.0
    elif relation == "==":
        s = (tau - abs(lhs - rhs)) / scale
    else:
        s = (large - small + (-tau if relation in ("<", ">") else tau)) / scale
    return min(s, -_TINY) if bad else max(s, 0.0)


def _check_args(lhs, rhs, relation: str, tol, rtol, mode: str) -> None:
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    for name, f in (("lhs", lhs), ("rhs", rhs)):
        if not callable(f):
            raise TypeError(f"{name} must be callable, got {type(f).__name__}")
    for name, v in (("tol", tol), ("rtol", rtol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0 or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")


def _strategies(over) -> list[tuple[str, Any]]:
    """``over`` as ``[(label, strategy), ...]``: one strategy, a list, or a dict label -> strategy."""
    from hypothesis.strategies import SearchStrategy

    items = list(over.items()) if isinstance(over, dict) else (
        [(None, s) for s in over] if isinstance(over, (list, tuple)) else [(None, over)])
    if not items:
        raise ValueError("over must name at least one strategy")
    out = []
    for k, (label, s) in enumerate(items):
        space = search_space(s)
        if space is None and not isinstance(s, SearchStrategy):
            raise TypeError(f"over: item {k} must be a hypothesis strategy, got {type(s).__name__}")
        out.append((label or (space.name if space else repr(s)[:60]), s))
    return out


def bound_evidence(lhs: Callable, rhs: Callable, over, *, relation: str = "<=",
                   tol: float = 1e-9, rtol: float = 0.0, profile: str = "quick", seed: int = 0,
                   mode: str = "guided", budget: dict | None = None) -> list[Evidence]:
    """One piece of evidence per strategy in ``over`` for ``lhs(value) <relation> rhs(value)``
    (tuple values are unpacked into the arguments), from :func:`.search.worst_case`."""
    _check_args(lhs, rhs, relation, tol, rtol, mode)
    opts = dict(BUDGETS[profile])
    if budget:
        unknown = set(budget) - set(opts)
        if unknown:
            raise ValueError(f"budget: unknown keys {sorted(unknown)}; allowed: {sorted(opts)}")
        opts.update(budget)
    ineq = f"lhs {relation} rhs"
    out = []
    for label, strategy in _strategies(over):
        def slack(value):
            return _slack(relation, _call(lhs, value), _call(rhs, value), tol, rtol)

        res = worst_case(slack, strategy, mode=mode, seed=seed, **opts)
        a, b = _call(lhs, res.value), _call(rhs, res.value)
        ratio = a / b if b != 0 and math.isfinite(a) and math.isfinite(b) else None
        nums = {"lhs": a, "rhs": b, "worst_ratio": ratio, "worst_scaled_slack": res.slack,
                "evaluations": res.n_evaluations, "nonfinite": res.nonfinite,
                **{f"evaluations_{k}": v for k, v in res.evaluations.items()}}
        params = {"strategy": label, "relation": relation, "tol": tol, "rtol": rtol,
                  "search": mode, "seed": seed, "budget": opts,
                  "quantifiers": {"index_set": f"values of {label}", "framework": "-",
                                  "regime": f"{mode} worst-case search ({res.n_evaluations} values)",
                                  "inequality": ineq,
                                  "tolerance": f"tol {tol:g}" + (f", rtol {rtol:g}" if rtol else "")}}
        where = reproducible_repr(res.value)
        rat = f"lhs/rhs = {ratio:.6g}" if ratio is not None else f"lhs = {a:.6g}, rhs = {b:.6g}"
        stages = ", ".join(f"{v} {k}" for k, v in res.evaluations.items() if v)
        if res.violated:
            minimal = res.minimal if res.minimal is not None else res.value
            ma, mb = _call(lhs, minimal), _call(rhs, minimal)
            cex = {"strategy": label, "value": where, "lhs": a, "rhs": b, "ratio": ratio,
                   "found_by": res.origin, "minimal": reproducible_repr(minimal),
                   "minimal_lhs": ma, "minimal_rhs": mb,
                   "minimal_by": res.minimal_origin or "the worst instance itself",
                   "relation": relation, "tol": tol, "rtol": rtol}
            out.append(Evidence("numerical", f"{label}: violated, {rat} (lhs = {a:.6g}, rhs = "
                                f"{b:.6g}) at {where[:160]}; found by {res.origin}; minimal "
                                f"counterexample {reproducible_repr(minimal)[:160]} "
                                f"(lhs = {ma:.6g}, rhs = {mb:.6g})", passed=False, numbers=nums,
                                params=params, counterexample=cex))
        elif res.nonfinite:
            out.append(Evidence("numerical", f"{label}: no violation, but lhs or rhs is NaN at "
                                f"{res.nonfinite} values (e.g. "
                                f"{reproducible_repr(res.nonfinite_value)[:160]}): undecided there",
                                passed=None, numbers=nums, params=params))
        else:
            out.append(Evidence("numerical", f"{label}: no violation in {res.n_evaluations} values "
                                f"({stages}); closest approach {rat} at {where[:120]} "
                                f"({res.origin})", passed=True, numbers=nums, params=params))
    return out


def bound(claim_id: str, *, lhs: Callable, rhs: Callable, over, relation: str = "<=",
          tol: float = 1e-9, rtol: float = 0.0, source: str = "", statement: str = "",
          latex: str = "", budget: dict | None = None, mode: str = "guided",
          registry: Registry | None = None):
    """Register the claim ``lhs(value) <relation> rhs(value)`` for every value of ``over``.

    ``over`` is a strategy, a list of strategies or a dict ``label -> strategy`` (parametrised
    strategies from :mod:`.strategies` get named instances and refinement). Tuple values are
    unpacked: ``lhs=lambda X, E: ...``. The check runs :func:`bound_evidence` at the context's
    profile and seed (``budget`` overrides the profile's search effort; ``mode="random"`` is the
    unguided baseline). Returns the check function (registered in ``registry``, default the
    process-wide one).
    """
    _check_args(lhs, rhs, relation, tol, rtol, mode)
    _strategies(over)
    registry = REGISTRY if registry is None else registry
    caller = sys._getframe(1)

    def check(ctx: CheckContext) -> list[Evidence]:
        return bound_evidence(lhs, rhs, over, relation=relation, tol=tol, rtol=rtol,
                              profile=ctx.profile, seed=ctx.seed, mode=mode, budget=budget)

    check.__name__ = f"bound_{claim_id}"
    check.__module__ = caller.f_globals.get("__name__", check.__module__)
    check.dssl_source = (caller.f_code.co_filename, caller.f_lineno)
    check.dssl_bound = {"lhs": lhs, "rhs": rhs, "over": over, "relation": relation, "tol": tol,
                        "rtol": rtol}      # what bound_evidence needs to re-run it (benchmarks)
    return registry.claim(claim_id, source=source,
                          statement=statement or f"lhs {relation} rhs", latex=latex)(check)
