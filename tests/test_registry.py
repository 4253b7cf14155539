import json
import os

import numpy as np
import pytest

from proofs_check.engine.registry import (CheckContext, Claim, Evidence, Registry, Verdict, default_rule,
                                   run_claim, shared_cache)
from proofs_check.engine.report import run_claims, write_atomic, write_report


def ev(passed, **kw):
    return Evidence("numerical", f"passed={passed}", passed, **kw)


def test_default_rule_is_computed_from_evidence():
    assert default_rule([]).status == "inconclusive"
    assert default_rule([ev(True), ev(True)]).status == "holds"
    assert default_rule([ev(True), ev(None)]).status == "inconclusive"
    v = default_rule([ev(True), ev(False, params={"d": 7}, numbers={"a": 1.0, "b": 2.0})])
    assert v.status == "fails"
    assert v.counterexample == {"params": {"d": 7}, "numbers": {"a": 1.0, "b": 2.0}}


def test_decorator_registers_and_a_broken_check_is_inconclusive():
    reg = Registry()

    @reg.claim("user.positive", source="me", statement="x > 0")
    def check(ctx):
        x = ctx.rng(1).random()
        return ev(x > 0, numbers={"x": x})

    @reg.claim("user.broken", source="me", statement="raises")
    def broken(ctx):
        raise RuntimeError("boom")

    assert len(reg) == 2 and "user.positive" in reg
    assert run_claim(reg.get("user.positive"), CheckContext()).verdict.status == "holds"
    res = run_claim(reg.get("user.broken"), CheckContext())
    assert res.verdict.status == "inconclusive" and "boom" in res.verdict.reason
    with pytest.raises(ValueError, match="already registered"):
        reg.add(Claim("user.positive", "", "dup"))
    with pytest.raises(ValueError, match="needs a statement"):
        reg.claim("user.new")(lambda ctx: None)
    with pytest.raises(KeyError, match="no claim matches 'nope'; see `dssl list`"):
        reg.select(["nope"])
    with pytest.raises(KeyError, match="closest: user.positive"):
        reg.select(["user.positiv"])
    assert [c.id for c in reg.select(["user.*"])] == ["user.positive", "user.broken"]
    # globs anywhere in the ID; registration order, no duplicates
    assert [c.id for c in reg.select(["*.broken", "user.*"])] == ["user.positive", "user.broken"]
    assert [c.id for c in reg.select(["user.?roken"])] == ["user.broken"]


def test_a_check_that_returns_no_evidence_is_that_claims_crash():
    reg = Registry()
    for value, name in ((None, "none"), (True, "true"), ([], "empty")):
        reg.claim(f"user.{name}", statement="returns junk")(lambda ctx, v=value: v)
        res = run_claim(reg.get(f"user.{name}"), CheckContext())
        assert res.crashed and res.verdict.status == "inconclusive"
        assert "not Evidence" in res.verdict.reason


def test_validation_of_evidence_and_verdicts():
    with pytest.raises(ValueError, match="kind must be one of"):
        Evidence("guess", "", True)
    with pytest.raises(TypeError, match="passed must be"):
        Evidence("numerical", "", "yes")
    with pytest.raises(ValueError, match="status must be one of"):
        Verdict("probably", "")
    with pytest.raises(ValueError, match="profile must be one of"):
        CheckContext(profile="huge")


def test_same_seed_same_rng_stream():
    a, b = CheckContext(seed=3).rng(1, 2), CheckContext(seed=3).rng(1, 2)
    np.testing.assert_array_equal(a.random(5), b.random(5))


def test_run_claims_caches_and_resumes(tmp_path):
    reg = Registry()
    calls = []

    @reg.claim("user.counted", statement="counted")
    def counted(ctx):
        calls.append(1)
        return ev(True)

    ctx = CheckContext()
    first = run_claims(list(reg), ctx, tmp_path, progress=False)
    again = run_claims(list(reg), ctx, tmp_path, progress=False)
    assert len(calls) == 1 and again[0].verdict == first[0].verdict
    run_claims(list(reg), CheckContext(seed=1), tmp_path, progress=False)   # new fingerprint
    assert len(calls) == 2
    run_claims(list(reg), CheckContext(seed=1), tmp_path, fresh=True, progress=False)
    assert len(calls) == 3
    js, md = write_report(first, ctx, tmp_path)
    data = json.loads(js.read_text())
    assert data["claims"][0]["verdict"] == "holds"
    assert "`user.counted`" in md.read_text()


def test_write_atomic_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "one")


    with pytest.raises(TypeError):
        write_atomic(target, 123)   # not text: the old file stays, no temp file is left
    assert target.read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_parallel_jobs_give_the_same_results(tmp_path):
    from proofs_check.claims import paper_checks, symbolic  # noqa: F401  (register the claims)
    from proofs_check.engine.registry import REGISTRY

    claims = REGISTRY.select(["paper.eq88.full-connectivity", "ext.model.structured-moments",
                              "paper.eq24.ratio-bound"])
    ctx = CheckContext(profile="smoke")
    seq = run_claims(claims, ctx, tmp_path / "seq", progress=False)
    par = run_claims(claims, ctx, tmp_path / "par", progress=False, jobs=2)
    assert [r.id for r in par] == [r.id for r in seq]
    for a, b in zip(seq, par):
        assert a.verdict == b.verdict
        assert [e.summary for e in a.evidence] == [e.summary for e in b.evidence]


def test_threshold_rule_locates_a_threshold_from_the_evidence():
    from proofs_check.engine.registry import threshold_rule

    def piece(beta, passed, series="a"):
        return Evidence("numerical", f"beta={beta}", passed, params={"beta": beta, "series": series})

    rule = threshold_rule("beta", name="beta")
    grid = [piece(1.0, False), piece(1.5, False), piece(2.0, True), piece(3.0, True),
            Evidence("numerical", "population", True)]
    v = rule(grid)
    assert v.status == "fails" and v.holds_if.startswith("beta >= 2 ")
    assert "(1.5, 2]" in v.holds_if
    # moving the failure moves the threshold: nothing is written down
    v = rule([piece(1.0, False), piece(1.5, True), piece(2.0, True), piece(3.0, True)])
    assert "beta >= 1.5" in v.holds_if
    # a failure at the top of the grid, or a failing population piece: no threshold
    assert rule([piece(1.0, False), piece(3.0, False)]).holds_if is None
    assert rule([piece(1.0, False), piece(3.0, True),
                 Evidence("numerical", "population", False)]).holds_if is None
    # a series that fails below but is not followed above gets no threshold
    assert rule([piece(1.0, False, "b"), piece(1.0, True), piece(2.0, True)]).holds_if is None
    # undecided just below the threshold: not located
    assert rule([piece(1.0, False), piece(1.5, None), piece(2.0, True)]).holds_if is None
    # extra evidence never counts
    extra = Evidence("numerical", "extra", False, params={"role": "extra"})
    assert rule([piece(1.0, True), extra]).status == "holds"


@shared_cache
def _square_here(x: int) -> tuple[int, int]:
    """A shared-cache function for the warm-up test: the square and the process that made it."""
    if x < 0:
        raise ValueError("negative")
    return x * x, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_warm_up_ships_shared_cache_entries_back_to_the_parent(jobs):
    from proofs_check.engine.registry import WarmTask
    from proofs_check.engine.report import warm_up

    reg = Registry()
    seen = []

    @reg.prepare
    def _(ctx, claims):
        seen.append(list(claims))
        return [WarmTask(lambda x=x: _square_here(x), cost=x) for x in (3, 5, -1, 4)]

    _square_here.cache_clear()
    ticks = []
    assert warm_up(CheckContext("smoke"), [], jobs, registry=reg, done=lambda k, n: ticks.append((k, n))) == 4
    assert seen == [[]] and ticks == [(k, 4) for k in range(1, 5)]     # the failing task is skipped
    for x in (3, 4, 5):
        value, pid = _square_here(x)                 # no recomputation: the warm-up's result
        assert value == x * x
        assert (pid != os.getpid()) == (jobs > 1)
    assert reg.warm_tasks(CheckContext("smoke"), [])[0].cost == 5          # longest first
    _square_here.cache_clear()


def test_figures_drawn_in_parallel_match_the_serial_report(tmp_path):
    reg = Registry()
    for k in range(3):
        @reg.claim(f"user.fig{k}", statement="a rate")
        def _(ctx, k=k):
            e = ev(True)
            e.series = {"x": [10, 100, 1000], "y": {"value": [1.0, 0.1 * (k + 1), 0.01]}}
            return e
    ctx = CheckContext()
    results = run_claims(list(reg), ctx, tmp_path / "runs", progress=False)
    _, md1 = write_report(results, ctx, tmp_path / "one", jobs=1)
    _, md2 = write_report(results, ctx, tmp_path / "two", jobs=2)
    assert md1.read_text() == md2.read_text()
    for k in range(3):
        assert results[k].figure and (tmp_path / "two" / results[k].figure).stat().st_size > 0


def test_log_axes_are_labelled_at_decades_as_matplotlibs_formatter_does():
    import re

    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator

    from proofs_check.engine.figures import decade_label

    assert [decade_label(v) for v in (1e-3, 1.0, 10.0, 1e12)] == ["10⁻³", "10⁰", "10¹", "10¹²"]
    assert [decade_label(v) for v in (2.0, 0.0, -10.0, 5e-7, float("nan"))] == [""] * 5
    fig, ax = plt.subplots()
    ax.set_yscale("log")
    ax.set_ylim(2e-4, 3e3)
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    fig.canvas.draw()                         # matplotlib's own (mathtext) labels of the decades
    theirs = [re.sub(r"[^0-9\-]", "", t.get_text().replace("\u2212", "-")) for t in ax.get_yticklabels()]
    plt.close(fig)
    ours = [decade_label(v) for v in ax.get_yticks()]
    digits = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    assert len(ours) >= 4 and [o.translate(digits) for o in ours] == theirs


def test_claim_ids_that_name_files_outside_the_output_folder_are_refused():
    """An ID names files under --out: '..', '/', leading or trailing dots and spaces are refused at
    registration, with the rule in the message; the built-in IDs all pass."""
    import proofs_check.claims  # noqa: F401  (the built-in claims)
    from proofs_check.engine.registry import CLAIM_ID, REGISTRY

    reg = Registry()
    for bad in ("../escape", "a..b", "a.", ".a", "a/b", "a b", "", "a\\b"):
        with pytest.raises(ValueError, match="claim ID must be"):
            reg.add(Claim(bad, "", "s"))
    assert all(CLAIM_ID.fullmatch(c.id) for c in REGISTRY)


def test_a_module_with_an_unsafe_id_exits_2_naming_the_module(tmp_path):
    import subprocess
    import sys

    mod = tmp_path / "unsafe_ids.py"
    mod.write_text("from proofs_check.engine.registry import REGISTRY, Evidence\n"
                   "@REGISTRY.claim('../escape', statement='x')\n"
                   "def c(ctx):\n    return Evidence('numerical', 'x', passed=True)\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "proofs_check.cli", "check", "--profile", "smoke", "--claims",
                           str(mod), "--only", "../escape", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and "unsafe_ids.py" in proc.stderr and "claim ID must be" in proc.stderr
    assert not (tmp_path / "escape.md").exists() and not any(tmp_path.glob("escape*"))


def test_malformed_evidence_is_refused_when_created_and_crashes_only_its_claim():
    """Tuple keys, malformed plot series and non-dict numbers are refused by Evidence itself, so a
    check that builds one crashes its own claim and the rest of the report is written."""
    for kwargs, match in (({"numbers": {(1, 2): 3.0}}, "key"), ({"params": {"a": [{("x",): 1}]}}, "key"),
                          ({"numbers": [1, 2]}, "dict"), ({"series": {"x": [1, 2], "y": {"a": [1]}}}, "2 x values"),
                          ({"series": {"x": [1, 2]}}, "'y'"), ({"series": {"x": 3, "y": {}}}, "sequence")):
        with pytest.raises((TypeError, ValueError), match=match):
            Evidence("numerical", "s", passed=True, **kwargs)
    Evidence("numerical", "s", passed=True, numbers={1: 2.0, "a": {"b": [1, 2]}},
             series={"x": [1, 2], "y": {"a": [3, 4]}, "xlabel": "d"})

    reg = Registry()
    reg.claim("user.malformed", statement="s")(
        lambda ctx: Evidence("numerical", "s", passed=True, numbers={(1, 2): 3.0}))
    reg.claim("user.fine", statement="s")(lambda ctx: Evidence("numerical", "s", passed=True))
    results = {c.id: run_claim(c, CheckContext("smoke", 0)) for c in reg.select(None)}
    assert results["user.malformed"].crashed and not results["user.fine"].crashed


def test_warm_up_shares_and_learned_costs(tmp_path):
    """Issue 28, item 4: each claim reports the warm-up tasks it read, the report splits each
    task's measured seconds among its readers, and the next run orders the tasks by their
    measured seconds instead of the declared guesses."""
    import time as _time

    from proofs_check.engine.registry import WarmTask, run_claim
    from proofs_check.engine.report import claim_shares, warm_up

    reg = Registry()

    def slow_square(x):
        _time.sleep(0.05 * x)
        return _square_here(x)

    @reg.prepare
    def _(ctx, claims):                 # declared costs that the measurements contradict
        return [WarmTask(lambda: slow_square(1), cost=50, label="one"),
                WarmTask(lambda: slow_square(4), cost=1, label="four"),
                WarmTask(lambda: None, cost=2, label="unread")]

    @reg.claim("user.reads-one-and-four", statement="s")
    def _(ctx):
        return ev(_square_here(1)[0] + _square_here(4)[0] == 17)

    @reg.claim("user.reads-four", statement="s")
    def _(ctx):
        return ev(_square_here(4)[0] == 16)

    _square_here.cache_clear()
    costs, measured = tmp_path / "costs.json", []
    warm_up(CheckContext("smoke"), list(reg), 2, registry=reg, measured=measured, costs=costs)
    assert {t["label"]: t["source"] for t in measured} == {"one": "declared", "four": "declared",
                                                         "unread": "declared"}
    results = [run_claim(c, CheckContext("smoke")) for c in reg]
    assert [r.warm_tasks for r in results] == [["four", "one"], ["four"]]
    shares = claim_shares(results, measured, [r.id for r in results])
    sec = {t["label"]: t["seconds"] for t in measured}
    assert shares["claims"]["user.reads-four"]["warm_up_share"] == pytest.approx(sec["four"] / 2)
    assert shares["claims"]["user.reads-one-and-four"]["warm_up_share"] == pytest.approx(
        sec["four"] / 2 + sec["one"])
    assert shares["warm_up_unattributed"] == pytest.approx(sec["unread"])
    # the next run: estimates are last run's seconds, so "four" (0.2 s) starts before "one"
    _square_here.cache_clear()
    measured2 = []
    warm_up(CheckContext("smoke"), list(reg), 1, registry=reg, measured=measured2, costs=costs)
    assert [t["label"] for t in measured2] == ["four", "one", "unread"]
    assert all(t["source"] == "measured" for t in measured2)
    assert measured2[0]["estimate"] == pytest.approx(sec["four"], abs=1e-3)
    _square_here.cache_clear()
