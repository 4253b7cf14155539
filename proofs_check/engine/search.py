"""Search for counterexamples to a bound: where the slack is smallest, not where draws land.

Two entry points:

- :func:`worst_case` takes the *slack* of an inequality (a function of the drawn value that is
  negative where the bound is violated, e.g. ``rhs - lhs``) and maximises the violation. It

  1. evaluates the strategy's *named instances* (paths, barbells, diagonal matrices at an
     eigenvalue crossing, ...: :class:`SearchSpace.named`);
  2. runs hypothesis with :func:`hypothesis.target` steering generation towards small slack;
  3. refines the worst instances with :func:`scipy.optimize.minimize` (Nelder-Mead) over the
     continuous parametrisation the strategy exposes (:class:`SearchSpace`: eigenvalues and a
     rotation, edge weights, mixture weights, matrix entries);
  4. when a violation was found, returns a *minimal* counterexample: hypothesis's shrink when
     hypothesis itself reaches a violation, else the refined instance with its parameters
     rounded to as few digits as keep it violating.

- :func:`find_counterexample` keeps the boolean form ``holds(value) -> bool`` and asks
  hypothesis for a minimal value where it is False (with named instances tried first and a
  larger default search than hypothesis's).

Both are deterministic: the same call gives the same result, whatever hypothesis profile or
other modules are loaded (the settings derive from hypothesis's built-in ``default`` profile,
never from the one loaded). Nothing found is evidence, not proof: :class:`WorstCase` says how
close the search came (the smallest slack reached).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, Phase, find, given, seed as hseed, settings, target
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

SEARCH_MODES = ("guided", "random")
_BIG = 1e300


# ------------------------------------------------------------------ parametrised strategies
@dataclass(frozen=True)
class SearchSpace:
    """A continuous parametrisation of a strategy's values: ``value = build(structure, theta)``.

    ``points`` draws ``(structure, theta)``: ``structure`` is the discrete part (a graph's edge
    list, a dimension, a set of permutations), hashable; ``theta`` a tuple of floats. ``build``
    must accept *any* real ``theta`` of that length (it squashes internally), so an optimiser
    may move freely. ``named`` holds ``(label, structure, theta)`` instances that are tried
    before any draw: the families where bounds of this kind are known to be tight or to break.
    """

    name: str
    points: SearchStrategy
    build: Callable[[Any, np.ndarray], Any]
    named: tuple = ()
    covers: str = ""

    def value(self, point) -> Any:
        structure, theta = point
        return self.build(structure, np.asarray(theta, dtype=float))

    def strategy(self) -> SearchStrategy:
        """The plain hypothesis strategy of values, carrying this space (:func:`search_space`)."""
        strat = self.points.map(self.value)
        strat.dssl_space = self
        return strat


def search_space(strategy) -> SearchSpace | None:
    """The :class:`SearchSpace` a strategy from :mod:`.strategies` carries, or ``None``."""
    if isinstance(strategy, SearchSpace):
        return strategy
    return getattr(strategy, "dssl_space", None)


def joint(*strategies) -> SearchStrategy:
    """Tuples ``(v_1, ..., v_k)`` of independent values from parametrised strategies, as one
    parametrised strategy (the refinement moves all parameters together)."""
    spaces = [search_space(s) for s in strategies]
    if not spaces or any(s is None for s in spaces):
        raise TypeError("joint needs one or more parametrised strategies from "
                        "proofs_check.engine.strategies (each carries a SearchSpace)")
    from hypothesis import strategies as st

    def combine(points):
        structure = tuple((p[0], len(p[1])) for p in points)
        return structure, tuple(itertools.chain.from_iterable(p[1] for p in points))

    def build(structure, theta):
        out, start = [], 0
        for space, (s, k) in zip(spaces, structure):
            out.append(space.build(s, theta[start:start + k]))
            start += k
        return tuple(out)

    named = []
    for combo in itertools.product(*[s.named[:6] or [None] for s in spaces]):
        if any(c is None for c in combo):
            continue
        named.append((" & ".join(c[0] for c in combo),
                      tuple((c[1], len(c[2])) for c in combo),
                      tuple(itertools.chain.from_iterable(c[2] for c in combo))))
    return SearchSpace("joint(" + ", ".join(s.name for s in spaces) + ")",
                       st.tuples(*[s.points for s in spaces]).map(combine), build,
                       tuple(named[:24]), "; ".join(s.covers for s in spaces)).strategy()


# ------------------------------------------------------------------ printing values
def reproducible_repr(value: Any) -> str:
    """Python text that rebuilds ``value`` (arrays in full precision, graphs with weights)."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    if isinstance(value, tuple):
        inner = ", ".join(reproducible_repr(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(reproducible_repr(v) for v in value) + "]"
    if isinstance(value, nx.Graph) and type(value).__repr__ is nx.Graph.__repr__:
        return repr(sorted(value.edges(data="weight", default=1.0)))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value)


# ------------------------------------------------------------------ the worst-case search
@dataclass
class WorstCase:
    """The result of :func:`worst_case`.

    ``slack`` is the smallest slack found (negative: violated), at ``value``; ``violated`` is
    ``slack < -tol``. ``minimal`` is a small counterexample when one was found (with its slack
    and how it was obtained), ``point`` the ``(structure, theta)`` that rebuilds ``value``
    through the strategy's :class:`SearchSpace`. ``evaluations`` counts slack evaluations by
    stage; ``nonfinite`` the values where the slack was NaN (the bound undefined there), with
    the first of them in ``nonfinite_value``.
    """

    value: Any
    slack: float
    violated: bool
    tol: float
    origin: str
    mode: str
    point: tuple | None = None
    minimal: Any = None
    minimal_slack: float | None = None
    minimal_origin: str | None = None
    evaluations: dict = field(default_factory=dict)
    nonfinite: int = 0
    nonfinite_value: Any = None

    @property
    def n_evaluations(self) -> int:
        return int(sum(self.evaluations.values()))


class _Tracker:
    """Evaluates the slack and keeps the worst values seen (one per distinct point)."""

    def __init__(self, slack: Callable, keep: int):
        self.slack, self.keep = slack, keep
        self.best: list = []          # (slack, order, origin, point, value), smallest slack first
        self.order = itertools.count()
        self.counts: dict[str, int] = {}
        self.nonfinite, self.nonfinite_value = 0, None
        self._seen: set = set()

    def evaluate(self, value, stage: str, origin: str, point=None) -> float:
        """The slack at ``value`` (``inf`` where it is NaN); records the value among the worst."""
        self.counts[stage] = self.counts.get(stage, 0) + 1
        s = self.slack(value)
        try:
            s = float(s)
        except (TypeError, ValueError):
            raise TypeError(f"the slack must return a real number, got {s!r} "
                            f"for {reproducible_repr(value)[:200]}") from None
        if math.isnan(s):
            self.nonfinite += 1
            if self.nonfinite_value is None:
                self.nonfinite_value = value
            return math.inf
        key = repr(point) if point is not None else reproducible_repr(value)
        if key not in self._seen:
            self._seen.add(key)
            self.best.append((s, next(self.order), origin, point, value))
            self.best.sort(key=lambda t: t[:2])
            del self.best[self.keep:]
        return s


def _without_local_constants(fn: Callable) -> Callable:
    """Run ``fn`` with hypothesis's pool of "local constants" empty. Hypothesis (6.13x and
    later) mixes into its draws the literals of every loaded module outside the standard
    library and site-packages, so the same seed would draw different values depending on which
    modules happen to be imported, and on whether the toolkit is installed editable; the
    searches pin the pool so the same seed gives the same search. A hypothesis without that
    machinery runs ``fn`` as it is."""
    try:
        from hypothesis.internal.conjecture import providers
        providers._get_local_constants, providers.CONSTANTS_CACHE.cache, providers.Constants
    except (ImportError, AttributeError):
        return fn

    @functools.wraps(fn)
    def pinned(*args, **kwargs):
        real = providers._get_local_constants
        providers._get_local_constants = providers.Constants
        providers.CONSTANTS_CACHE.cache.clear()
        try:
            return fn(*args, **kwargs)
        finally:
            providers._get_local_constants = real
            providers.CONSTANTS_CACHE.cache.clear()

    return pinned


def _base_settings(**kw) -> settings:
    """Settings built on hypothesis's own ``default`` profile, so a profile a user or a test
    suite has loaded cannot change the search."""
    return settings(settings.get_profile("default"), database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), **kw)


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _simplify(space: SearchSpace, structure, theta: np.ndarray, tol: float,
              slack: Callable, budget: int = 400) -> tuple[np.ndarray, float, int]:
    """Round ``theta`` coordinate by coordinate to as few significant digits (0 included) as
    keep the value violating; returns the rounded parameters, their slack and the evaluations."""
    theta = theta.copy()
    s = float(slack(space.build(structure, theta)))
    used = 0
    for digits in (0, 1, 2, 3, 6):
        for j in range(theta.size):
            if used >= budget:
                return theta, s, used
            trial = theta.copy()
            trial[j] = 0.0 if digits == 0 else _round_sig(theta[j], digits)
            if trial[j] == theta[j]:
                continue
            used += 1
            t = float(slack(space.build(structure, trial)))
            if t < -tol:
                theta, s = trial, t
    return theta, s, used


@_without_local_constants
def worst_case(slack: Callable[[Any], float], strategy, *, tol: float = 0.0,
               max_examples: int = 300, refine: int = 4, maxfev: int = 400,
               mode: str = "guided", seed: int = 0, shrink: bool = True,
               unpack: bool = False) -> WorstCase:
    """Search ``strategy`` for the value where ``slack`` is smallest (most violated).

    Parameters
    ----------
    slack : callable
        ``slack(value) -> float``, negative where the bound is violated (``rhs - lhs`` for
        ``lhs <= rhs``; a scale-free slack such as ``1 - lhs/rhs`` steers better). NaN marks a
        value where the bound is undefined: counted in ``WorstCase.nonfinite``, never a violation.
    strategy : hypothesis strategy or SearchSpace
        A parametrised strategy from :mod:`proofs_check.engine.strategies` gets named instances
        and local refinement; a plain hypothesis strategy gets the targeted search alone.
    tol : float
        A slack below ``-tol`` is a violation (``tol >= 0``).
    max_examples : int
        Hypothesis examples (generation plus targeting).
    refine, maxfev : int
        How many of the worst distinct instances are refined, and the slack evaluations each
        refinement may use (Nelder-Mead over the strategy's parameters).
    mode : ``"guided"`` or ``"random"``
        ``"random"`` turns off targeting, named instances and refinement: plain random draws,
        the baseline a guided search is measured against.
    seed : int
        Seeds hypothesis's generation (same seed, same search).
    shrink : bool
        Look for a minimal counterexample once a violation is found.
    unpack : bool
        Call ``slack(*value)`` for tuple values.
    """
    if not callable(slack):
        raise TypeError(f"slack must be callable, got {type(slack).__name__}")
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
    space = search_space(strategy)
    if space is None and not isinstance(strategy, SearchStrategy):
        raise TypeError(f"strategy must be a hypothesis strategy or a SearchSpace, "
                        f"got {type(strategy).__name__}")
    for name, v, lo in (("max_examples", max_examples, 1), ("refine", refine, 0),
                        ("maxfev", maxfev, 1), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0 or not math.isfinite(tol):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    fn = (lambda v: slack(*v)) if unpack else slack
    guided = mode == "guided"
    tracker = _Tracker(fn, keep=max(refine, 1) * 4)

    # 1. named instances
    if guided and space is not None:
        for label, structure, theta in space.named:
            point = (structure, tuple(theta))
            tracker.evaluate(space.value(point), "named", f"named instance {label}", point)

    # 2. hypothesis, steered by target() in guided mode
    draws = space.points if space is not None else strategy

    @_base_settings(max_examples=max_examples, derandomize=False,
                    phases=(Phase.generate, Phase.target) if guided else (Phase.generate,))
    @hseed(seed)
    @given(draws)
    def _search(drawn):
        value = space.value(drawn) if space is not None else drawn
        s = tracker.evaluate(value, "drawn", "hypothesis draw", drawn if space else None)
        if guided:
            target(float(np.clip(-s, -_BIG, _BIG)), label="violation")

    _search()

    # 3. local refinement over the continuous parameters
    if guided and space is not None and refine:
        starts, structures = [], set()
        for entry in list(tracker.best):          # distinct structures first, then the rest
            if entry[3] is not None and repr(entry[3][0]) not in structures:
                structures.add(repr(entry[3][0]))
                starts.append(entry)
        starts += [e for e in tracker.best if e[3] is not None and not any(e is x for x in starts)]
        from scipy.optimize import minimize

        for _, _, origin, (structure, theta0), _ in starts[:refine]:
            if not len(theta0):
                continue

            def objective(theta, structure=structure, origin=origin):
                point = (structure, tuple(float(t) for t in theta))
                s = tracker.evaluate(space.value(point), "refined",
                                     f"refined from {origin}", point)
                return s if math.isfinite(s) else _BIG

            minimize(objective, np.asarray(theta0, dtype=float), method="Nelder-Mead",
                     options={"maxfev": maxfev, "adaptive": len(theta0) > 6,
                              "xatol": 1e-10, "fatol": 1e-14})

    if not tracker.best:
        raise ValueError("the search evaluated no finite slack: the bound is undefined (NaN) on "
                         f"every value tried, e.g. {reproducible_repr(tracker.nonfinite_value)[:300]}")
    s, _, origin, point, value = tracker.best[0]
    result = WorstCase(value, s, s < -tol, float(tol), origin, mode, point,
                       evaluations=tracker.counts, nonfinite=tracker.nonfinite,
                       nonfinite_value=tracker.nonfinite_value)

    # 4. a minimal counterexample
    if result.violated and shrink:
        try:
            def violating(drawn):
                v = space.value(drawn) if space is not None else drawn
                t = float(fn(v))
                if guided:
                    target(float(np.clip(-t, -_BIG, _BIG)) if not math.isnan(t) else -_BIG,
                           label="violation")
                return t < -tol                # False for NaN

            drawn = find(draws, violating, settings=_base_settings(
                max_examples=max_examples, derandomize=True,
                phases=(Phase.generate, Phase.target, Phase.shrink) if guided
                else (Phase.generate, Phase.shrink)))
            small = space.value(drawn) if space is not None else drawn
            result.minimal, result.minimal_slack = small, float(fn(small))
            result.minimal_origin = "hypothesis shrink"
        except NoSuchExample:
            if space is not None and point is not None:
                theta, t, used = _simplify(space, point[0], np.asarray(point[1], dtype=float),
                                           tol, fn)
                tracker.counts["simplify"] = used
                result.minimal = space.build(point[0], theta)
                result.minimal_slack = t
                result.minimal_origin = "refined instance, parameters rounded while it stays violated"
    return result


# ------------------------------------------------------------------ the boolean form
@_without_local_constants
def find_counterexample(holds: Callable[[Any], bool], strategy: SearchStrategy, *,
                        max_examples: int = 500, derandomize: bool = True) -> Any | None:
    """Return a minimal value drawn from ``strategy`` for which ``holds(value)`` is False, or
    ``None`` when none was found (which is evidence, not proof).

    The strategy's named instances (:class:`SearchSpace`) are tried first; then hypothesis
    draws up to ``max_examples`` values and shrinks the first failure. For a bound with a
    numeric slack, :func:`worst_case` searches far harder: it steers to small slack and refines.
    """
    if not callable(holds):
        raise TypeError(f"holds must be callable, got {type(holds).__name__}")
    space = search_space(strategy)
    if space is None and not isinstance(strategy, SearchStrategy):
        raise TypeError(f"strategy must be a hypothesis strategy, got {type(strategy).__name__}")
    if space is not None:
        for _, structure, theta in space.named:
            value = space.value((structure, tuple(theta)))
            if not holds(value):
                return value
    strategy = strategy if isinstance(strategy, SearchStrategy) else space.strategy()
    try:
        return find(strategy, lambda v: not holds(v),
                    settings=_base_settings(max_examples=max_examples, derandomize=derandomize))
    except NoSuchExample:
        return None

