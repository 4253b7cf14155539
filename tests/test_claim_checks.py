"""Every paper claim's checks run at a small size; a different model changes a verdict."""

import numpy as np
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


def test_theorem_checks_print_their_quantifiers(smoke_report):
    import json

    data = json.loads((smoke_report / "report.json").read_text())
    theorem = [c for c in data["claims"] if c["id"].startswith(
        ("paper.thm4.", "paper.cor4.5", "paper.rates"))]
    assert len(theorem) == 10
    for c in theorem:
        for e in c["evidence"]:
            q = e["data"]["params"].get("quantifiers")
            assert q and set(q) == {"index_set", "framework", "regime", "inequality", "tolerance"}, c["id"]
    md = (smoke_report / "report.md").read_text()
    assert "tested as: index set: k in [N] \\ {i}" in md and "extra: not counted" in md
    # local bounds are decided on the theorem's index set; DecL is Eq. 1
    local = next(c for c in theorem if c["id"] == "paper.thm4.3.local")
    counted = [e for e in local["evidence"] if e["data"]["params"].get("role") != "extra"]
    assert all("[N] \\ {i}" in e["data"]["params"]["quantifiers"]["index_set"] for e in counted)
    decl = next(c for c in theorem if c["id"] == "paper.thm4.2.decl")
    assert all("Eq. 1" in e["data"]["params"]["quantifiers"]["framework"]
               for e in decl["evidence"] if e["data"]["params"].get("role") != "extra")


def test_strict_inequalities_never_pass_on_round_off():
    from proofs_check.claims.robustness_checks import _compare
    from proofs_check.claims.settings import DEFAULT

    d = np.array([1e8, 1e9, 1e10])
    s = np.array([0.3, 0.2, 0.1])
    roundoff = _compare("t", "fl", d, s + 4e-16, s, "cl", "mim", DEFAULT, "general", "population")
    assert roundoff.passed is False and "equal within the tolerance" in roundoff.summary
    real = _compare("t", "fl", d, s + 1e-6, s, "cl", "mim", DEFAULT, "general", "population")
    assert real.passed is True
    zeros = _compare("t", "fl", d, 0 * s, 0 * s, "cl", "mim", DEFAULT, "general", "population")
    assert zeros.passed is False          # both sensitivities exactly 0: s^C > s^M is false
