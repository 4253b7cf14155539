import numpy as np
import pytest

from proofs_check.claims import paper_checks  # noqa: F401  (registers the checks)
from proofs_check.claims.paper_checks import _ratio_bound
from proofs_check.engine.registry import (REGISTRY, CheckContext, Evidence, conditional_rule, run_claim)

CHECKED = ["paper.eq16.stationary", "paper.eckart-young", "paper.eq17.mim-matrix",
           "paper.eq24.ratio-bound", "paper.eq28-30.degree-averaging", "paper.eq88.full-connectivity"]


@pytest.mark.parametrize("claim_id", CHECKED)
def test_each_check_runs_and_gives_a_computed_verdict(claim_id):
    res = run_claim(REGISTRY.get(claim_id), CheckContext())
    assert res.evidence, claim_id
    assert not any("raised" in e.summary for e in res.evidence), [e.summary for e in res.evidence]
    if res.verdict.status == "fails":
        assert res.verdict.counterexample


def test_same_seed_same_verdicts_and_numbers():
    a = run_claim(REGISTRY.get("paper.eq17.mim-matrix"), CheckContext(seed=4))
    b = run_claim(REGISTRY.get("paper.eq17.mim-matrix"), CheckContext(seed=4))
    assert a.verdict == b.verdict and a.evidence[0].numbers == b.evidence[0].numbers


def test_ratio_bound_holds_when_X_lives_in_its_top_c_eigenspace():
    # the bound r_k >= X_kk / lambda_1 is true for PSD X of rank <= c (a planted true case)
    rng = np.random.default_rng(0)
    B = rng.standard_normal((3, 7))
    k, r, b = _ratio_bound(B.T @ B, 3)
    assert r >= b - 1e-12
    # and false for a full-rank diagonal X with c = 1 (a planted false case)
    k, r, b = _ratio_bound(np.diag([2.0, 1.0]), 1)
    assert (k, r, b) == (1, 0.0, 0.5)


def test_conditional_rule():
    rule = conditional_rule("X is regular")
    general_fail = Evidence("numerical", "general", False, params={"x": 1})
    cond_pass = Evidence("numerical", "cond", True, params={"case": "condition"})
    cond_fail = Evidence("numerical", "cond", False, params={"case": "condition"})
    v = rule([general_fail, cond_pass])
    assert v.status == "fails" and v.holds_if == "X is regular"
    assert rule([general_fail, cond_fail]).holds_if is None
    assert rule([cond_pass]).status == "holds"
    assert rule([]).status == "inconclusive"
