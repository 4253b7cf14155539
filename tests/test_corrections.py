"""The corrected statements (fix.*) hold, and they can fail: a wrong correction is caught."""

import numpy as np

from proofs_check.claims import corrections as C
from proofs_check.engine.registry import REGISTRY, CheckContext, run_claim


def test_corrected_statements_hold_and_refute_their_planted_variants():
    ctx = CheckContext("smoke", 0)
    for cid in ("fix.eq17.mim-matrix", "fix.eq28-30.degree-averaging", "fix.eq80.sign-step",
                "fix.eq24.ratio-bound"):
        res = run_claim(REGISTRY.get(cid), ctx)
        assert res.verdict.status == "holds", (cid, res.verdict.reason)
        assert any("planted" in e.summary and e.passed for e in res.evidence), cid


def test_a_wrong_correction_of_eq17_fails(monkeypatch):
    # plant a wrong "correction": keep the diagonal
    monkeypatch.setattr(C, "mim_alignment_matrix", lambda S, p: p * (1 - p) * np.asarray(S))
    res = run_claim(REGISTRY.get("fix.eq17.mim-matrix"), CheckContext("smoke", 0))
    assert res.verdict.status == "fails"


def test_a_wrong_correction_of_eq80_fails(monkeypatch):
    monkeypatch.setattr(C, "_eq80_f", lambda p, c, a, d: -2 * p * (1 - p) * d ** 0.4 / a + c * d ** 0.36)
    res = run_claim(REGISTRY.get("fix.eq80.sign-step"), CheckContext("smoke", 0))
    assert res.verdict.status == "fails"


def test_the_report_pairs_paper_and_corrected_statements(smoke_report):
    md = (smoke_report / "report.md").read_text()
    table = md.split("## Paper against corrected statements", 1)[1].split("\n## ", 1)[0]
    for rest in ("eq17.mim-matrix", "eq28-30.degree-averaging", "eq80.sign-step", "eq24.ratio-bound"):
        assert f"`paper.{rest}`" in table and f"`fix.{rest}`" in table


def test_a_wrong_correction_of_eq24_fails(monkeypatch):
    # plant a bound that is too strong by a factor: (X_kk - lambda_{c+1}) / (lambda_1 - lambda_{c+1}) * 1.5
    monkeypatch.setattr(C, "corrected_eq24", lambda diag, lam, c: 1.5 * (diag - lam[c]) / (lam[0] - lam[c]))
    res = run_claim(REGISTRY.get("fix.eq24.ratio-bound"), CheckContext("smoke", 0))
    assert res.verdict.status == "fails"
