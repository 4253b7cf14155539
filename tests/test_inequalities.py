"""The bound shorthand: relations, tolerances, tightness in the verdict, registration."""

import math

import numpy as np
import pytest

from proofs_check.engine import strategies as S
from proofs_check.engine.inequalities import bound, bound_evidence
from proofs_check.engine.registry import CheckContext, Registry, default_rule, run_claim

V = S.vectors(3)
SMALL = {"max_examples": 30, "refine": 1, "maxfev": 60}


def _verdict(lhs, rhs, relation="<=", **kw):
    return default_rule(bound_evidence(lhs, rhs, V, relation=relation, profile="smoke",
                                       budget=SMALL, **kw))


def test_non_strict_holds_with_its_tightness_and_strict_fails_on_equality():
    # ||x||_inf <= ||x||_2, with equality at e_1
    v = _verdict(lambda x: np.max(np.abs(x)), lambda x: np.linalg.norm(x))
    assert v.status == "holds" and "closest approach lhs/rhs = 1" in v.reason
    strict = _verdict(lambda x: np.max(np.abs(x)) + 1.0, lambda x: np.linalg.norm(x) + 1.0, "<")
    assert strict.status == "fails"                 # equality at e_1: a strict bound fails
    # a strict inequality must hold by more than the tolerance: 1 < 1 + 1e-12 fails at tol 1e-9
    assert _verdict(lambda x: 1.0, lambda x: 1.0 + 1e-12, "<").status == "fails"
    assert _verdict(lambda x: 1.0, lambda x: 1.0 + 1e-6, "<").status == "holds"


def test_equality_and_reversed_relations():
    assert _verdict(lambda x: np.sum(x) ** 2, lambda x: np.sum(x) * np.sum(x), "==").status == "holds"
    assert _verdict(lambda x: np.sum(x ** 2), lambda x: np.sum(x) ** 2, "==").status == "fails"
    assert _verdict(lambda x: np.linalg.norm(x), lambda x: np.max(np.abs(x)), ">=").status == "holds"
    assert _verdict(lambda x: np.linalg.norm(x), lambda x: 1.01 * np.max(np.abs(x)), ">").status == "fails"


def test_tolerances_absolute_and_relative():
    assert _verdict(lambda x: 1.0 + 1e-10, lambda x: 1.0).status == "holds"        # tol 1e-9
    assert _verdict(lambda x: 1.0 + 1e-10, lambda x: 1.0, tol=0.0).status == "fails"
    assert _verdict(lambda x: 1.01, lambda x: 1.0, tol=0.0, rtol=0.02).status == "holds"


def test_nan_sides_leave_the_claim_undecided():
    v = _verdict(lambda x: math.nan if x[0] > 0.5 else 0.0, lambda x: 1.0)
    assert v.status == "inconclusive" and "NaN" in v.reason


def test_a_bound_in_a_few_lines_registers_and_runs():
    reg = Registry()
    bound("mine.inf-norm", lhs=lambda x: np.max(np.abs(x)), rhs=lambda x: 0.9 * np.linalg.norm(x),
          over={"vectors": V, "weighted": S.vectors(5)}, statement="||x||_inf <= 0.9 ||x||_2",
          registry=reg, budget=SMALL)
    res = run_claim(reg.get("mine.inf-norm"), CheckContext("smoke"))
    assert res.verdict.status == "fails"
    cex = res.verdict.counterexample
    assert cex["strategy"] == "vectors" and cex["lhs"] > 0.9 * 0 and cex["ratio"] > 1
    x = eval(cex["minimal"], {"np": np})
    assert np.max(np.abs(x)) > 0.9 * np.linalg.norm(x)
    assert [e.params["strategy"] for e in res.evidence] == ["vectors", "weighted"]


def test_bad_bounds_are_refused_at_registration():
    reg = Registry()
    with pytest.raises(ValueError, match="relation"):
        bound("a.b", lhs=abs, rhs=abs, over=V, relation="<<", registry=reg, statement="s")
    with pytest.raises(TypeError, match="lhs must be callable"):
        bound("a.b", lhs=1, rhs=abs, over=V, registry=reg, statement="s")
    with pytest.raises(TypeError, match="over"):
        bound("a.b", lhs=abs, rhs=abs, over=[1], registry=reg, statement="s")
    with pytest.raises(ValueError, match="tol"):
        bound_evidence(abs, abs, V, tol=-1)
    with pytest.raises(ValueError, match="budget"):
        bound_evidence(abs, abs, V, budget={"examples": 3})


def test_infinite_sides_are_decided_not_nan():
    assert _verdict(lambda x: 1.0, lambda x: math.inf).status == "holds"
    assert _verdict(lambda x: 1.0, lambda x: math.inf, ">=").status == "fails"
    assert _verdict(lambda x: math.inf, lambda x: 1.0).status == "fails"
