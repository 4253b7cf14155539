"""Every paper claim's checks run at a small size; a different model changes a verdict."""

import pytest

from proofs_check.claims import (expectation_checks, paper_checks, robustness_checks,  # noqa: F401
                          symbolic)
from proofs_check.claims.expectation_checks import check_eq44
from proofs_check.claims.paper import PAPER_CLAIMS
from proofs_check.engine.registry import REGISTRY, CheckContext, default_rule, run_claim
from proofs_check.claims.settings import DEFAULT

SMOKE = CheckContext(profile="smoke")
THEORY_CLAIMS = [cid for cid, _, _ in PAPER_CLAIMS if not cid.startswith(("paper.table", "paper.fig"))]


@pytest.mark.parametrize("claim_id", THEORY_CLAIMS)
def test_every_theory_claim_has_checks_that_run(claim_id):
    claim = REGISTRY.get(claim_id)
    assert claim.checks, f"{claim_id} has no check"
    res = run_claim(claim, SMOKE)
    assert not res.crashed, [e.summary for e in res.evidence if "raised" in e.summary]
    assert res.evidence
    assert res.verdict.status in ("holds", "fails", "inconclusive")
    if res.verdict.status == "fails":
        assert res.verdict.counterexample


def test_a_different_model_gives_a_different_verdict():
    # Bernoulli q: E q^2 = 1/2 halves the claimed d^{2/5} diagonal and E q != 0 couples [N]
    assert default_rule(check_eq44(SMOKE, DEFAULT)).status == "fails"
    # Rademacher q (E q = 0, E q^2 = 1) and fewer rare samples (d^{-0.9}): the claim holds
    symmetric = DEFAULT.with_(q_values=(-1.0, 1.0), rare_exponent=-0.9)
    assert default_rule(check_eq44(SMOKE, symmetric)).status == "holds"
