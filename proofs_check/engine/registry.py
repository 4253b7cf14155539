"""The claim registry: claims, the checks that produce evidence, and computed verdicts.

A :class:`Claim` has a fixed ID (docs/theory.md §2 for ``paper.*``, ``ext.*`` for the
toolkit's own theory), its source, a statement, and a list of *checks*. A check is a function
``check(ctx: CheckContext) -> Evidence | list[Evidence]`` that computes something from the
definitions. A *verdict rule* turns the evidence into a :class:`Verdict`; the default rule is
:func:`default_rule`. No verdict is ever written down: it is always computed from evidence.

Users register their own claims the same way, in a module that ``dssl check --claims`` loads
(:mod:`proofs_check.engine.plugins`)::

    from proofs_check import REGISTRY, Evidence

    @REGISTRY.claim("my.gap-positive", source="my paper, Lemma 2",
                    statement="Metropolis weights on a ring have a positive spectral gap")
    def _(ctx):
        from theory.topology import mixing_matrix, ring_graph, spectral_gap
        gap = spectral_gap(mixing_matrix(ring_graph(10), "metropolis"))
        return Evidence("numerical", f"gap = {gap:.4g}", passed=gap > 0,
                        numbers={"gap": gap}, params={"n": 10})
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

VERDICTS = ("holds", "fails", "inconclusive")
EVIDENCE_KINDS = ("numerical", "symbolic", "empirical")
PROFILES = ("quick", "full", "smoke")   # smoke: tiny grids, for the test suite
TOOLKIT_PACKAGES = ("theory", "simulators", "proofs_check")
# a claim ID names files under --out, so it may not climb out of it or hide
CLAIM_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_+-]|\.(?!\.))*(?<!\.)")


@dataclass
class Evidence:
    """One piece of evidence about a claim.

    ``passed`` is ``True`` (supports the claim), ``False`` (refutes it; then
    ``counterexample`` should let anyone re-run it: parameters, seed, the numbers compared) or
    ``None`` (indeterminate: say why in ``summary``).

    Two optional keys of ``params`` are read by the engine:

    - ``params["quantifiers"]``: a dict saying what exactly was tested, printed with the
      evidence in the report: ``index_set``, ``framework``, ``regime``, ``inequality``,
      ``tolerance`` (see :func:`quantifiers`);
    - ``params["role"] == "extra"``: labelled extra evidence (another framework, an index the
      claim excludes) that the report shows but the verdict rules never count.
    """

    kind: str
    summary: str
    passed: bool | None
    numbers: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    counterexample: dict | None = None
    series: dict | None = None   # optional plot data: {"x", "y": {label: values}, "xlabel", ...}

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"Evidence.kind must be one of {EVIDENCE_KINDS}, got {self.kind!r}")
        if self.passed is not None and not isinstance(self.passed, (bool, np.bool_)):
            raise TypeError(f"Evidence.passed must be True, False or None, got {self.passed!r}")
        if self.passed is not None:
            self.passed = bool(self.passed)
        if not isinstance(self.summary, str):
            raise TypeError(f"Evidence.summary must be a string, got {type(self.summary).__name__}")
        # checked here, so a malformed piece is its claim's crash and never the report's
        for name in ("numbers", "params", "counterexample"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"Evidence.{name} must be a dict, got {type(value).__name__}")
            _check_json_keys(value, f"Evidence.{name}")
        if self.series is not None:
            _check_series(self.series)


_JSON_KEYS = (str, int, float, bool, np.integer, np.floating, np.bool_, type(None))


def _check_json_keys(value, where: str, depth: int = 0) -> None:
    """Every mapping inside ``value`` has keys JSON can write (strings, numbers, booleans, None)."""
    if depth > 50:
        raise ValueError(f"{where} is nested more than 50 levels deep (a cycle?)")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, _JSON_KEYS):
                raise TypeError(f"{where} has a key {k!r} of type {type(k).__name__}; JSON keys must be "
                                "strings or numbers")
            _check_json_keys(v, f"{where}[{k!r}]", depth + 1)
    elif isinstance(value, (list, tuple)):
        for j, v in enumerate(value):
            _check_json_keys(v, f"{where}[{j}]", depth + 1)


def _check_series(series) -> None:
    """Plot data: ``{"x": values, "y": {label: values of the same length}, ...}``."""
    if not isinstance(series, dict) or "x" not in series or not isinstance(series.get("y"), dict):
        raise ValueError("Evidence.series must be a dict with 'x' (values) and 'y' ({label: values})")
    try:
        n = len(series["x"])
    except TypeError:
        raise ValueError("Evidence.series['x'] must be a sequence of values") from None
    for label, ys in series["y"].items():
        if not isinstance(label, str):
            raise TypeError(f"Evidence.series['y'] labels must be strings, got {label!r}")
        try:
            m = len(ys)
        except TypeError:
            raise ValueError(f"Evidence.series['y'][{label!r}] must be a sequence of values") from None
        if m != n:
            raise ValueError(f"Evidence.series['y'][{label!r}] has {m} values for {n} x values")
    _check_json_keys(series, "Evidence.series")


def quantifiers(*, index_set: str, framework: str, regime: str, inequality: str,
                tolerance: str) -> dict:
    """What a check evaluates, as the claim states it: the index set (e.g. ``k in [N] \\ {i}``),
    the framework (e.g. ``DecL, the Eq. 1 objective``), the regime (``population`` or
    ``finite samples, |D_i| = d^beta``), the inequality and the tolerance it is decided with."""
    return {"index_set": index_set, "framework": framework, "regime": regime,
            "inequality": inequality, "tolerance": tolerance}


def counted(evidence: list[Evidence]) -> list[Evidence]:
    """The evidence a verdict rule counts: everything not labelled ``params["role"] == "extra"``."""
    return [e for e in evidence if e.params.get("role") != "extra"]


@dataclass
class Verdict:
    status: str
    reason: str
    counterexample: dict | None = None
    holds_if: str | None = None

    def __post_init__(self) -> None:
        if self.status not in VERDICTS:
            raise ValueError(f"Verdict.status must be one of {VERDICTS}, got {self.status!r}")


def default_rule(evidence: list[Evidence]) -> Verdict:
    """Refuted by any failing evidence; holds when every piece passes; else inconclusive.
    Evidence labelled extra (:func:`counted`) is ignored."""
    evidence = counted(evidence)
    if not evidence:
        return Verdict("inconclusive", "no check has produced evidence for this claim yet")
    failed = [e for e in evidence if e.passed is False]
    if failed:
        return Verdict("fails", failed[0].summary, counterexample=failed[0].counterexample
                       or {"params": failed[0].params, "numbers": failed[0].numbers})
    open_ = [e for e in evidence if e.passed is None]
    if open_:
        return Verdict("inconclusive", "; ".join(e.summary for e in open_))
    kinds = sorted({e.kind for e in evidence})
    return Verdict("holds", f"all {len(evidence)} checks passed ({', '.join(kinds)})"
                   + tightness(evidence))


def tightness(evidence: list[Evidence]) -> str:
    """How close a search came to violating a bound that holds: the largest ``worst_ratio``
    (``lhs / rhs``) among the pieces that carry one (:mod:`.inequalities`), else ``""``."""
    tight = [e for e in evidence if isinstance(e.numbers.get("worst_ratio"), float)
             and np.isfinite(e.numbers["worst_ratio"])]
    if not tight:
        return ""
    relation = tight[0].params.get("relation", "<=")
    pick = (min if relation in (">=", ">") else max)(tight, key=lambda e: e.numbers["worst_ratio"])
    n = sum(int(e.numbers.get("evaluations", 0)) for e in tight)
    return (f"; closest approach lhs/rhs = {pick.numbers['worst_ratio']:.6g} "
            f"({pick.params.get('strategy', 'search')}; {n} values searched)")


def conditional_rule(condition: str) -> Callable[[list[Evidence]], Verdict]:
    """A rule for claims that may hold only under a condition.

    Evidence whose ``params["case"] == "condition"`` tests the claim where ``condition`` is
    met. If the general evidence refutes the claim while every condition-case piece supports
    it, the verdict is ``fails`` with ``holds_if=condition``; otherwise :func:`default_rule`.
    """
    def rule(evidence: list[Evidence]) -> Verdict:
        evidence = counted(evidence)
        verdict = default_rule(evidence)
        cond = [e for e in evidence if e.params.get("case") == "condition"]
        general = [e for e in evidence if e.params.get("case") != "condition"]
        if (verdict.status == "fails" and cond and all(e.passed is True for e in cond)
                and any(e.passed is False for e in general)):
            failed = next(e for e in general if e.passed is False)
            return Verdict("fails", failed.summary, counterexample=failed.counterexample
                           or {"params": failed.params, "numbers": failed.numbers},
                           holds_if=condition)
        return verdict
    return rule


def threshold_rule(param: str, fallback: Callable[[list[Evidence]], Verdict] | None = None,
                   *, name: str | None = None, series: str = "series"
                   ) -> Callable[[list[Evidence]], Verdict]:
    """A rule for claims that hold only above a threshold of a model parameter (e.g. the
    sample-size exponent beta of ``|D_i| = d^beta``).

    Evidence carrying ``params[param]`` is grouped by its value. When ``fallback`` (default
    :func:`default_rule`) says ``fails``, the rule looks for the smallest grid value ``t*`` such
    that every counted piece at ``param >= t*`` passes and every piece without the parameter
    passes too, while some piece below ``t*`` fails. If one exists the verdict stays ``fails``
    (as stated, the claim does not hold for every allowed value) with ``holds_if`` giving the
    threshold and its uncertainty (the grid interval it lies in). The threshold is located from
    the evidence; it is never written down. Pieces may name the quantity they measure in
    ``params[series]``: a series that is not passing somewhere below ``t*`` must have evidence
    at every grid value from ``t*`` up, or no threshold is claimed for it.
    """
    fallback = fallback or default_rule
    label = name or param

    def rule(evidence: list[Evidence]) -> Verdict:
        verdict = _rule(evidence)
        if verdict.status != "fails":
            return verdict
        per = series_thresholds(counted(evidence), param, series)
        if len(per) < 2 or all(v == "holds at every value" for v in per.values()):
            return verdict
        text = "; ".join(f"{k}: {v}" for k, v in per.items())
        return Verdict(verdict.status, f"{verdict.reason} [per series, {label}: {text}]", verdict.counterexample,
                       holds_if=verdict.holds_if)

    def _rule(evidence: list[Evidence]) -> Verdict:
        verdict = fallback(evidence)
        ev = counted(evidence)
        if verdict.status != "fails":
            return verdict
        free = [e for e in ev if param not in e.params]
        if any(e.passed is not True for e in free):
            return verdict
        values = sorted({float(e.params[param]) for e in ev if param in e.params})
        ok = {v: all(e.passed is True for e in ev if param in e.params and float(e.params[param]) == v)
              for v in values}
        first = next((k for k in range(len(values)) if all(ok[w] for w in values[k:])), None)
        if not first:                       # None: fails at the top of the grid; 0: never fails
            return verdict
        v, below = values[first], values[first - 1]
        if not any(e.passed is False for e in ev
                   if param in e.params and float(e.params[param]) == below):
            return verdict                  # undecided just below: no threshold located
        at = {}
        for e in ev:
            if param in e.params:
                at.setdefault(e.params.get(series), set()).add(float(e.params[param]))
        weak = {e.params.get(series) for e in ev if param in e.params
                and float(e.params[param]) < v and e.passed is not True}
        if any(not set(values[first:]) <= at[s_] for s_ in weak):
            return verdict                  # a failing series is not followed above t*
        cond = (f"{label} >= {v:g} (found on the grid {', '.join(f'{w:g}' for w in values)}: "
                f"it fails at {below:g} and holds from {v:g} on, so the threshold lies in "
                f"({below:g}, {v:g}])")
        if verdict.holds_if:
            cond += f"; or {verdict.holds_if}"
        return Verdict("fails", verdict.reason, verdict.counterexample, holds_if=cond)
    return rule


def series_thresholds(evidence: list[Evidence], param: str, series: str = "series") -> dict:
    """Per series (``params[series]``) of the pieces carrying ``params[param]``: where it holds on
    the grid, as :func:`threshold_rule` locates a threshold for the whole claim (it fails at the
    grid value below and holds from ``t*`` on): ``"(below, t*]"``, ``"holds at every value"``,
    ``"fails at the top of the grid"`` or ``"no threshold (undecided or not monotone)"``."""
    groups: dict = {}
    for e in evidence:
        if param in e.params:
            groups.setdefault(str(e.params.get(series)), {}).setdefault(float(e.params[param]), []).append(e.passed)
    out = {}
    for name, by in groups.items():
        values = sorted(by)
        ok = {v: all(p is True for p in by[v]) for v in values}
        first = next((k for k in range(len(values)) if all(ok[w] for w in values[k:])), None)
        if first is None:
            out[name] = "fails at the top of the grid"
        elif first == 0:
            out[name] = "holds at every value"
        elif any(p is False for p in by[values[first - 1]]):
            out[name] = f"threshold in ({values[first - 1]:g}, {values[first]:g}]"
        else:
            out[name] = "no threshold (undecided just below)"
    return out


@dataclass
class CheckContext:
    """What a check may depend on: the profile and the base seed (plus where to cache runs
    and how many workers to use, which never change a result).

    ``quick`` (the default of ``dssl check``), ``full`` (larger grids, more draws) or ``smoke``
    (tiny grids so the test suite can run every check; not for conclusions).
    """

    profile: str = "quick"
    seed: int = 0
    work_dir: str | None = None   # where checks may cache expensive runs (not part of any key)
    jobs: int = 1                 # workers a check may use for its own runs

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")

    def rng(self, *salt: int) -> np.random.Generator:
        """A generator seeded by ``(seed, *salt)``: independent streams per check."""
        return np.random.default_rng([self.seed, *salt])


Check = Callable[[CheckContext], "Evidence | list[Evidence]"]


_CODE_FINGERPRINTS: dict = {}


# modules that only present results (plots, the CLI); editing them never changes a verdict
PRESENTATION_MODULES = ("proofs_check/cli.py", "proofs_check/engine/figures.py",
                        "proofs_check/gallery.py")


def _local_imports(path, root) -> list:
    """``path`` and the ``.py`` files under its folder that it imports, transitively (found by
    reading the import statements, so the result never depends on what else is loaded)."""
    import ast
    from pathlib import Path

    base = Path(path).resolve().parent
    seen, todo = set(), [Path(path).resolve()]
    while todo:
        f = todo.pop()
        if f in seen or not f.is_file():
            continue
        seen.add(f)
        try:
            tree = ast.parse(f.read_bytes())
        except (SyntaxError, ValueError):
            continue
        names = []                       # (folder, dotted parts) of every imported name
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [(base, a.name.split(".")) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                here = f.parents[node.level - 1] if node.level else base
                mod = node.module.split(".") if node.module else []
                names += [(here, mod)] + [(here, mod + [a.name]) for a in node.names]
        for here, parts in names:
            for k in range(len(parts), 0, -1):
                stem = here.joinpath(*parts[:k])
                for cand in (stem.with_suffix(".py"), stem / "__init__.py"):
                    if cand.is_file() and root not in cand.parents:
                        todo.append(cand.resolve())
    return sorted(seen)


def module_fingerprint(module_name: str) -> str:
    """SHA-256 of a claim module that lives outside the toolkit, with the local modules it
    imports (:func:`_local_imports`); ``""`` for the toolkit's own modules (keyed by
    :func:`code_fingerprint`) and for modules without a file."""
    import sys
    from pathlib import Path

    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    root = Path(__file__).resolve().parents[2]
    if not path or root in Path(path).resolve().parents:
        return ""
    h = hashlib.sha256()
    for f in _local_imports(path, root):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def code_fingerprint(packages: tuple[str, ...] = TOOLKIT_PACKAGES) -> str:
    """SHA-256 of every ``.py`` file under ``packages`` (default: the whole toolkit), except the
    :data:`PRESENTATION_MODULES`. An entry is a folder (every ``.py`` file below it) or one file,
    relative to the repository root (``"theory/topology.py"``).

    A narrower set keys caches whose results depend only on those packages (the neural runs
    depend on ``theory`` and ``simulators`` alone, so a change in ``proofs_check`` keeps them).
    """
    if packages not in _CODE_FINGERPRINTS:
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        h = hashlib.sha256()
        for pkg in packages:
            base = root / pkg
            for path in ([base] if base.is_file() else sorted(base.rglob("*.py"))):
                if path.relative_to(root).as_posix() in PRESENTATION_MODULES:
                    continue
                h.update(path.relative_to(root).as_posix().encode())
                h.update(path.read_bytes())
        _CODE_FINGERPRINTS[packages] = h.hexdigest()
    return _CODE_FINGERPRINTS[packages]


@dataclass
class Claim:
    id: str
    source: str
    statement: str
    latex: str = ""
    checks: list = field(default_factory=list)
    rule: Callable[[list[Evidence]], Verdict] = default_rule
    uses_jobs: bool = False     # its checks parallelise their own runs over ``ctx.jobs`` workers
    origin: str = ""            # the claim module (or package) that registered it
    where: str = ""             # file:line of its first registration

    def fingerprint(self, ctx: CheckContext) -> str:
        """Cache key for resuming: the claim, the context, the source of its checks and of the
        whole toolkit (any code change invalidates cached results)."""
        import importlib.util

        torch = importlib.util.find_spec("torch") is not None   # optional extra: changes results
        h = hashlib.sha256(f"{self.id}|{ctx.profile}|{ctx.seed}|{code_fingerprint()}|torch={torch}"
                           .encode())
        modules = set()
        for check in self.checks:
            try:
                h.update(inspect.getsource(check).encode())
            except (OSError, TypeError):
                h.update(repr(check).encode())
            modules.add(getattr(check, "__module__", None) or "")
        for name in sorted(modules):             # users' modules: the whole file and its imports
            h.update(module_fingerprint(name).encode())
        return h.hexdigest()[:16]


@dataclass
class ClaimResult:
    id: str
    source: str
    statement: str
    latex: str
    verdict: Verdict
    evidence: list
    seconds: float
    fingerprint: str
    crashed: bool = False
    figure: str | None = None
    warm_tasks: list = field(default_factory=list)   # labels of the warm-up tasks it read

    def to_dict(self) -> dict:
        """The report schema: verdict as a string, evidence data under ``data``."""
        return {
            "id": self.id, "source": self.source, "statement": self.statement, "latex": self.latex,
            "verdict": self.verdict.status, "reason": self.verdict.reason,
            "holds_if": self.verdict.holds_if, "counterexample": self.verdict.counterexample,
            "evidence": [{"kind": e.kind, "summary": e.summary, "passed": e.passed,
                          "data": {"numbers": e.numbers, "params": e.params,
                                   "counterexample": e.counterexample, "series": e.series}}
                         for e in self.evidence],
            "seconds": self.seconds, "fingerprint": self.fingerprint, "crashed": self.crashed,
            "figure": self.figure, "warm_tasks": list(self.warm_tasks),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ClaimResult":
        ev = [Evidence(e["kind"], e["summary"], e["passed"], e["data"]["numbers"],
                       e["data"]["params"], e["data"]["counterexample"], e["data"]["series"])
              for e in data["evidence"]]
        verdict = Verdict(data["verdict"], data["reason"], data["counterexample"], data["holds_if"])
        return cls(data["id"], data["source"], data["statement"], data["latex"], verdict, ev,
                   data["seconds"], data["fingerprint"], data.get("crashed", False),
                   data.get("figure"), list(data.get("warm_tasks", [])))


# ------------------------------------------------------------------ shared caches, warm-ups
_SHARED: dict[str, dict] = {}       # name of each shared_cache function -> its memo
_READS: set | None = None           # what the running claim read (None: not recording)
_OWNERS: dict = {}                  # what a warm-up task computed -> that task's label


def note_read(key) -> None:
    """Record that the running claim read ``key`` (a shared-memo entry ``(name, args)``, or
    anything a :class:`WarmTask` ``provides``), so its share of the warm-up can be counted."""
    if _READS is not None:
        _READS.add(key)


def set_warm_owners(owners: dict) -> None:
    """Which warm-up task computed each key (from :func:`proofs_check.engine.report.warm_up`);
    the claim workers forked afterwards inherit it."""
    _OWNERS.clear()
    _OWNERS.update(owners)


def shared_cache(fn: Callable) -> Callable:
    """Memoise ``fn`` on its positional (hashable, picklable) arguments in a cache that warm-up
    workers fill: a :class:`WarmTask` that calls it in a worker process ships the new entries
    back to the parent (:func:`warm_memos`), like ``functools.cache`` across processes."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    memo = _SHARED.setdefault(name, {})

    @functools.wraps(fn)
    def cached(*args):
        note_read((name, args))
        if args not in memo:
            memo[args] = fn(*args)
        return memo[args]

    cached.cache_clear = memo.clear
    return cached


def memo_keys() -> dict[str, set]:
    """The keys of every shared memo now (taken before warm-up workers fork)."""
    return {name: set(memo) for name, memo in _SHARED.items()}


def warm_memos(before: dict[str, set]) -> dict[str, dict]:
    """The shared-memo entries added since ``before`` (:func:`memo_keys`): what a warm-up
    worker sends back."""
    return {name: {k: v for k, v in memo.items() if k not in before.get(name, ())}
            for name, memo in _SHARED.items() if len(memo) > len(before.get(name, ()))}


def merge_memos(entries: dict[str, dict]) -> None:
    """Install entries from :func:`warm_memos` into this process's shared memos."""
    for name, items in entries.items():
        _SHARED.setdefault(name, {}).update(items)


def uses_module(claims: Iterable["Claim"], *modules: str) -> bool:
    """Whether a check of one of ``claims`` is defined in one of ``modules`` (a warm-up's test
    of whether it is needed)."""
    return any(getattr(check, "__module__", None) in modules for c in claims for check in c.checks)


@dataclass
class WarmTask:
    """One unit of warm-up work: ``fn()`` (its return value is ignored), with ``cost`` a rough
    estimate in seconds used only to start the longest tasks first (replaced by the task's
    measured seconds once a run has timed it), and a ``label``. Shared-memo entries the task
    adds are attributed to it automatically; ``provides`` names other keys it computes (e.g.
    cached runs on disk), which the claims that read them report with :func:`note_read`."""
    fn: Callable[[], object]
    cost: float = 1.0
    label: str = ""
    provides: tuple = ()


class Registry:
    """An ordered collection of claims."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._prepare: list = []
        self.loading: str | None = None   # the claim module being imported (set by the loader)

    def _origin(self, module: str | None) -> str:
        """Who registers: the claim module being loaded, else the top-level package of the
        module that defines the check."""
        top = (module or "").split(".")[0]
        return top if top in TOOLKIT_PACKAGES else (self.loading or top)

    def checkpoint(self) -> tuple:
        """The registry's state, for :meth:`rollback` (a claim module that fails to import
        leaves nothing behind)."""
        return dict(self._claims), {k: len(c.checks) for k, c in self._claims.items()}, len(self._prepare)

    def rollback(self, state: tuple) -> None:
        claims, lengths, prepare = state
        self._claims = dict(claims)
        for k, c in self._claims.items():
            del c.checks[lengths[k]:]
        del self._prepare[prepare:]

    def prepare(self, fn: Callable[[CheckContext, list], object]) -> Callable:
        """Register a warm-up ``fn(ctx, claims)`` (``claims``: those about to run) for work shared
        by several claims. It returns :class:`WarmTask` s, which ``dssl check --jobs N`` runs in
        worker processes before the claim workers fork: results memoised by
        :func:`shared_cache` come back to the parent (:func:`warm_memos`), so every claim worker
        inherits them; files they write (cached runs) are read back by the claims. A warm-up
        may instead do its work itself and return ``None``."""
        self._prepare.append(fn)
        return fn

    def warm_tasks(self, ctx: CheckContext, claims: list) -> list["WarmTask"]:
        """The tasks of every warm-up for ``claims``, longest (by estimated cost) first."""
        tasks = []
        for fn in self._prepare:
            tasks.extend(fn(ctx, claims) or ())
        return sorted(tasks, key=lambda t: -t.cost)

    def __contains__(self, claim_id: str) -> bool:
        return claim_id in self._claims

    def __iter__(self):
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def get(self, claim_id: str) -> Claim:
        try:
            return self._claims[claim_id]
        except KeyError:
            raise KeyError(f"unknown claim ID {claim_id!r}; known: {sorted(self._claims)}") from None

    def add(self, claim: Claim) -> Claim:
        if not isinstance(claim.id, str) or not CLAIM_ID.fullmatch(claim.id):
            raise ValueError(f"claim ID must be letters, digits and '_', '+', '-', '.' (no '..', no leading or "
                             f"trailing '.', no '/' or spaces: it names files in the output folder), got "
                             f"{claim.id!r}")
        if not claim.where:                     # called directly: the caller outside this file
            frame = sys._getframe(1)
            while frame.f_code.co_filename == __file__:
                frame = frame.f_back
            claim.where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            claim.origin = claim.origin or self._origin(frame.f_globals.get("__name__"))
        if claim.id in self._claims:
            first = self._claims[claim.id]
            raise ValueError(f"claim {claim.id!r} is already registered by {first.origin} "
                             f"({first.where}); {claim.where} registers it again: choose "
                             f"another ID")
        self._claims[claim.id] = claim
        return claim

    def claim(self, claim_id: str, *, source: str = "", statement: str = "", latex: str = "",
              rule: Callable[[list[Evidence]], Verdict] | None = None) -> Callable[[Check], Check]:
        """Decorator: register ``claim_id`` (if new) and add the decorated function as a check.

        ``rule`` sets the claim's verdict rule (also for a claim declared earlier, e.g. the
        paper's claims in :mod:`proofs_check.claims.paper`).
        """
        def decorate(fn: Check) -> Check:
            origin = self._origin(getattr(fn, "__module__", None))
            where = _where(fn)
            if claim_id not in self._claims:
                if not statement:
                    raise ValueError(f"new claim {claim_id!r} needs a statement")
                self.add(Claim(claim_id, source, statement, latex,
                               rule=rule or default_rule, origin=origin, where=where))
            claim = self._claims[claim_id]
            if claim.origin != origin:
                raise ValueError(f"claim {claim_id!r} is already registered by {claim.origin} "
                                 f"({claim.where}); {where} ({origin}) registers it again: "
                                 f"choose another ID")
            if rule is not None:
                if claim.rule is not default_rule and claim.rule is not rule:
                    raise ValueError(f"claim {claim_id!r} already has a different verdict rule")
                claim.rule = rule
            claim.checks.append(fn)
            return fn
        return decorate

    def select(self, only: Iterable[str] | None = None) -> list[Claim]:
        """Claims matching any of ``only`` (all if ``None``/empty), in registration order.

        A pattern with ``*``, ``?`` or ``[`` is a shell-style glob (``'paper.thm4.*'``,
        ``'*.local'``); any other string must be a claim ID. A pattern that matches nothing
        raises ``KeyError`` with a one-line message naming the closest IDs.
        """
        if not only:
            return list(self._claims.values())
        import difflib
        import fnmatch

        chosen: set[str] = set()
        for pattern in only:
            if not isinstance(pattern, str) or not pattern:
                raise KeyError(f"a claim pattern must be a non-empty string, got {pattern!r}")
            if any(ch in pattern for ch in "*?["):
                hits = [cid for cid in self._claims if fnmatch.fnmatchcase(cid, pattern)]
            else:
                hits = [pattern] if pattern in self._claims else []
            if not hits:
                close = difflib.get_close_matches(pattern.rstrip("*?"), list(self._claims), n=3,
                                                  cutoff=0.5)
                hint = f"; closest: {', '.join(close)}" if close else "; see `dssl list`"
                raise KeyError(f"no claim matches {pattern!r}{hint}")
            chosen.update(hits)
        return [c for c in self._claims.values() if c.id in chosen]


def _where(fn) -> str:
    """``file:line`` where a check was defined (or where :func:`.inequalities.bound` was called)."""
    if hasattr(fn, "dssl_source"):
        return "%s:%d" % fn.dssl_source
    try:
        return f"{inspect.getsourcefile(fn)}:{fn.__code__.co_firstlineno}"
    except (TypeError, AttributeError):
        return repr(fn)


class ClaimTimeout(BaseException):
    """A claim ran past its time limit (a ``BaseException``, so a check's own ``except
    Exception`` cannot swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`ClaimTimeout` in this (main) thread after ``seconds`` (``SIGALRM``); no
    limit off the main thread or when ``seconds`` is ``None``. Python-level code only: a call
    stuck inside C code is interrupted when it returns."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ClaimTimeout

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _run_check(check, name: str, ctx: CheckContext) -> tuple[object, bool]:
    """``(output, crashed)`` of one check: any exception, ``SystemExit`` and a
    ``KeyboardInterrupt`` the check raised itself (not the user's Ctrl-C) become indeterminate
    evidence naming it."""
    from .workers import interrupt_requested

    try:
        return check(ctx), False
    except KeyboardInterrupt:
        if interrupt_requested():
            raise
        what = "raised KeyboardInterrupt"
    except SystemExit as exc:
        what = f"called sys.exit({exc.code!r})"
    except Exception as exc:  # a broken check must not take the report down
        what = f"raised {type(exc).__name__}: {exc}"
    return Evidence("numerical", f"check {name} {what}", passed=None), True


def run_claim(claim: Claim, ctx: CheckContext, *, timeout: float | None = None) -> ClaimResult:
    """Run every check of ``claim``; an exception, ``sys.exit`` or a ``KeyboardInterrupt`` raised
    by a check, and running past ``timeout`` seconds (all checks together), become indeterminate
    evidence and mark the claim crashed, never a crash of the run."""
    import time

    global _READS
    start = time.perf_counter()
    evidence: list[Evidence] = []
    crashed = False
    _READS = set()
    try:
        with _time_limit(timeout):
            for check in claim.checks:
                name = getattr(check, "__name__", repr(check))
                out, failed = _run_check(check, name, ctx)
                crashed |= failed
                pieces = out if isinstance(out, list) else [out]
                bad = [p for p in pieces if not isinstance(p, Evidence)]
                if bad or not pieces:
                    crashed = True
                    got = repr(bad[0])[:80] if bad else "an empty list"
                    pieces = [p for p in pieces if isinstance(p, Evidence)] + [Evidence(
                        "numerical", f"check {name} returned {got}, not Evidence or a list of Evidence",
                        passed=None)]
                evidence.extend(pieces)
    except ClaimTimeout:
        crashed = True
        evidence.append(Evidence("numerical", f"timed out: the claim ran past its limit of {timeout:g} s "
                                 f"(after {time.perf_counter() - start:.1f} s; --claim-timeout)",
                                 passed=None))
    finally:
        reads, _READS = _READS, None
    verdict = claim.rule(evidence)
    used = sorted({_OWNERS[k] for k in reads if k in _OWNERS}) if _OWNERS else []
    return ClaimResult(claim.id, claim.source, claim.statement, claim.latex, verdict, evidence,
                       time.perf_counter() - start, claim.fingerprint(ctx), crashed,
                       warm_tasks=used)


def crashed_result(claim: Claim, ctx: CheckContext, why: str, seconds: float = 0.0) -> ClaimResult:
    """The result of a claim that could not run to its end (``why``: e.g. its worker died)."""
    evidence = [Evidence("numerical", why, passed=None)]
    return ClaimResult(claim.id, claim.source, claim.statement, claim.latex, claim.rule(evidence),
                       evidence, seconds, claim.fingerprint(ctx), True)


REGISTRY = Registry()
