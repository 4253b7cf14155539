"""Symbolic checks: true steps pass, the paper's wrong steps fail with exact counterexamples,
and planted algebra errors are caught."""

import sympy as sp

from proofs_check.claims import symbolic as S
from proofs_check.engine.registry import default_rule


def test_gradient_check_and_a_planted_error():
    assert S.check_gradient().passed is True
    assert S.check_gradient(lambda W, X: W * (W.T * W - X)).passed is False          # factor 2 dropped
    assert S.check_gradient(lambda W, X: 2 * W * (W.T * W + X)).passed is False      # sign flipped


def test_stationary_point_counterexample_is_exact():
    ev = S.check_stationary()
    cex = next(e for e in ev if e.passed is False).counterexample
    X, W = sp.Matrix(cex["X"]), sp.Matrix(cex["W"])
    assert S._is_zero(2 * W * (W.T * W - X)) and W.rank() == 1
    assert not S._is_zero(W.T * W - X)


def test_loss_identity_and_a_planted_error():
    assert S.check_loss_identity().passed is True
    planted = lambda W, X: S.frob2(X - W.T * W) - S.HALF * S.frob2(X)                # 1/2 dropped
    assert S.check_loss_identity(planted).passed is False


def test_eckart_young_counterexample():
    ev = S.check_eckart_young()
    assert ev[0].passed is True and ev[1].passed is False
    assert "identity verified" in ev[1].summary


def test_mask_enumeration_refutes_eq17_and_accepts_the_derived_formula():
    ev = S.check_eq17()[0]
    assert ev.passed is False and ev.counterexample["d"] == 2
    derived = lambda x, p: p * (1 - p) * (sp.Matrix(x) * sp.Matrix(x).T - sp.diag(*[v**2 for v in x]))
    assert S.check_eq17(derived)[0].passed is True


def test_model_moments_by_enumeration_and_a_planted_error():
    assert all(e.passed for e in S.check_model_moments())
    tau, mu, r = sp.symbols("tau mu r", positive=True)
    E = S.symbolic_second_moment(3, 0, 4, tau, mu, r, (0, 1), S.HALF)
    right = S.closed_form_second_moment(3, 0, 4, tau, mu, r, S.HALF, S.HALF)
    wrong = S.closed_form_second_moment(3, 0, 4, tau, mu, r, 0, S.HALF)              # m1 u u^T dropped
    assert S._is_zero(E - right) and not S._is_zero(E - wrong)


def test_expectation_limits_depend_on_the_model():
    from proofs_check.claims.settings import DEFAULT
    assert default_rule(S._expectation_claim(DEFAULT, "eq44")).status == "fails"
    sym = DEFAULT.with_(q_values=(-1.0, 1.0), rare_exponent=-0.9)
    assert default_rule(S._expectation_claim(sym, "eq44")).status == "holds"


def test_degree_averaging_and_a_planted_identity():
    ev = S.check_degree_averaging()
    assert ev[0].passed is False and ev[1].passed is True
    same = lambda A: sp.Add(*[1 / a for a in A]) / len(A) - sp.Add(*[1 / a for a in A]) / len(A)
    assert S.check_degree_averaging(same)[0].passed is True


def test_limits_and_identities():
    e80 = S.check_eq80()
    assert e80[0].passed is True and e80[1].passed is False
    assert all(e.passed for e in S.check_width_limits())
    assert S.check_full_connectivity().passed is True
    assert all(e.passed for e in S.check_spectral_fl_gap())
    assert all(e.passed for e in S.check_mim_fl_pooled())
    assert S.check_eq24()[0].passed is False
