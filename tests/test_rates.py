"""The verdict machinery on planted rate claims."""

import numpy as np
import pytest

from proofs_check.engine.rates import fit_rate, pooled_rate_evidence, rate_evidence
from proofs_check.engine.registry import default_rule

D = np.logspace(2, 10, 17)


def verdict(values, claimed, kind="upper", **kw):
    return default_rule([rate_evidence("planted", D, values, claimed, kind=kind, **kw)])


def test_fit_recovers_exponent_and_constant():
    fit = fit_rate(D, 3.0 * D**-0.4)
    assert fit.exponent == pytest.approx(-0.4, abs=1e-12)
    assert fit.constant == pytest.approx(3.0, rel=1e-10)


def test_true_rate_holds():
    assert verdict(2 * D**-0.4 + D**-0.6, -0.4).status == "holds"
    assert verdict(D**-0.8, -0.8, kind="exact").status == "holds"


def test_wrong_exponent_fails_with_a_counterexample():
    v = verdict(D**-0.2, -0.4)
    assert v.status == "fails" and v.counterexample["fitted_exponent"] == pytest.approx(-0.2, abs=1e-6)
    assert verdict(D**-0.6, -0.8, kind="exact").status == "fails"


def test_wrong_constant_in_a_leading_term_fails():
    # truth: entry = 0.5 d^{2/5} + d^{-2/5}; claim: entry = d^{2/5} + O(d^{-2/5})
    entry = 0.5 * D**0.4 + D**-0.4
    assert verdict(entry - D**0.4, -0.4).status == "fails"


def test_dropped_term_fails():
    # truth d^{-0.4} + d^{-0.1}; a derivation that dropped d^{-0.1} claims O(d^{-0.4})
    assert verdict(D**-0.4 + D**-0.1, -0.4).status == "fails"


def test_underpowered_check_is_inconclusive():
    rng = np.random.default_rng(0)
    d = np.logspace(1, 2, 6)
    noisy = d**-0.4 * np.exp(rng.normal(0, 0.8, d.size))
    ev = rate_evidence("noisy", d, noisy, -0.4)
    assert ev.passed is None and default_rule([ev]).status == "inconclusive"


def test_zero_and_round_off():
    assert verdict(np.zeros(D.size), -0.4).status == "holds"
    assert verdict(np.zeros(D.size), -0.4, kind="exact").status == "fails"
    assert verdict(np.full(D.size, 1e-15), -0.4, floor=1e-12).status == "holds"


def test_mostly_zero_upper_bound_is_consistent():
    v = np.zeros(D.size)
    v[9] = 1e-3                   # one nonzero point in the upper half, zero at the end
    ev = rate_evidence("sparse", D, v, -0.8)
    assert ev.passed is True and "0 at the largest d" in ev.summary
    v[-1] = 1e-3                  # nonzero at the largest d: no decision
    assert rate_evidence("sparse", D, v, -0.8).passed is None


def test_undecided_rates_say_which_d_would_decide():
    import numpy as np

    from proofs_check.engine.rates import deciding_d, rate_evidence

    rng = np.random.default_rng(4)
    d = np.logspace(1, 3, 9)
    v = d ** -0.45 * np.exp(0.3 * rng.standard_normal(d.size))   # slope -0.45 vs claimed -0.6
    ev = rate_evidence("q", d, v, -0.6, kind="upper")
    assert ev.passed is None and "would decide" in ev.summary
    need = ev.numbers["deciding_d"]
    assert need > d[-1]
    # more data up to that d, with the same slope and scatter, does decide
    d2 = np.logspace(1, np.log10(need) + 0.5, 40)
    v2 = d2 ** -0.45 * np.exp(0.3 * rng.standard_normal(d2.size))
    assert rate_evidence("q", d2, v2, -0.6, kind="upper").passed is False
    # a fit exactly on the boundary gives no finite answer
    assert deciding_d(d, d ** -0.55, -0.6, kind="upper") is None


def test_pooled_rate_matches_statsmodels_and_decides():
    """The pooled exponent and its interval equal statsmodels' OLS with one intercept per group
    (the oracle); a pooled fit of d^{1/5 - beta} data recovers 1/5 and refutes 0."""
    import statsmodels.api as sm

    from proofs_check.engine.rates import fit_pooled_rate, pooled_rate_evidence

    rng = np.random.default_rng(3)
    d = np.logspace(1, 4, 12)
    betas = (1.0, 2.0, 3.0)
    groups = {b: 2.0 * d ** (0.2 - b) * np.exp(0.1 * rng.standard_normal(d.size)) for b in betas}
    offsets = {b: -b for b in betas}
    fit = fit_pooled_rate(d, groups, offsets)
    keep = np.arange(d.size) >= 6
    x = np.concatenate([np.log(d[keep])] * 3)
    y = np.concatenate([np.log(groups[b][keep]) + b * np.log(d[keep]) for b in betas])
    dummies = np.kron(np.eye(3), np.ones((keep.sum(), 1)))
    res = sm.OLS(y, np.column_stack([x, dummies])).fit()
    lo, hi = res.conf_int(0.05)[0]
    assert abs(fit.exponent - res.params[0]) < 1e-10 and abs(fit.low - lo) < 1e-10 and abs(fit.high - hi) < 1e-10
    assert pooled_rate_evidence("p", d, groups, offsets, 0.2, delta=0.1).passed is True
    assert pooled_rate_evidence("p", d, groups, offsets, 0.0, delta=0.1).passed is False
    with pytest.raises(ValueError):
        fit_pooled_rate(d, groups, {1.0: -1.0})


def test_planted_rate_evidence_is_three_valued():
    """Refuted by every fit: passes; consistent with one fit: fails; otherwise undecided."""
    from proofs_check.engine.rates import planted_rate_evidence

    d = np.logspace(1, 4, 12)
    fast, slow = rate_evidence("a", d, d**-1.0, -1.0, kind="upper"), rate_evidence("b", d, d**0.0, -1.0, kind="upper")
    assert planted_rate_evidence("x", [slow]).passed is True
    assert planted_rate_evidence("x", [slow, fast]).passed is False
    noisy = rate_evidence("c", d[:4], np.array([1.0, 0.1, 1.0, 0.1]), -1.0, kind="upper")
    assert noisy.passed is None and planted_rate_evidence("x", [slow, noisy]).passed is None
    with pytest.raises(ValueError):
        planted_rate_evidence("x", [])


# --- rates that can be decided (issue 24) -----------------------------------------------
def test_nan_or_inf_values_are_named_and_never_decided():
    v = D**-0.5
    for bad in (np.nan, np.inf):
        w = v.copy()
        w[-1] = bad
        e = rate_evidence("planted", D, w, -0.5, kind="exact")
        assert e.passed is None and "1e+10" in e.summary and e.numbers["nonfinite_at"] == [1e10]


def test_the_margin_not_the_grid_is_named_when_it_blocks():
    # truth n^-0.5 (with noise), claimed n^-0.45 +- 0.05: the truth sits on the band's edge
    rng = np.random.default_rng(0)
    v = D**-0.5 * np.exp(0.05 * rng.standard_normal(D.size))
    e = rate_evidence("planted", D, v, -0.45, kind="exact", delta=0.05)
    assert e.passed is None and e.numbers["blocked_by"] == "margin"
    assert "the margin, not the grid" in e.summary and "would decide" not in e.summary
    refute = e.numbers["deciding_margin_refute"]
    assert refute is not None and rate_evidence("planted", D, v, -0.45, kind="exact",
                                                delta=0.9 * refute).passed is False


def test_a_longer_grid_is_promised_only_when_the_slope_is_steady():
    rng = np.random.default_rng(1)
    noisy = D**-0.3 * np.exp(0.3 * rng.standard_normal(D.size))       # steady slope, noisy
    e = rate_evidence("planted", D, noisy, -0.4, kind="upper", delta=0.05)
    if e.passed is None and e.numbers["blocked_by"] == "grid" and e.numbers["deciding_d"]:
        assert "would decide" in e.summary
    # log q = -0.4 log d + 0.015 (log d - log 1e8)^2: the local slope drifts by +0.28 over the grid
    x = np.log(D)
    curved = np.exp(-0.4 * x + 0.015 * (x - np.log(1e8)) ** 2)
    c = rate_evidence("planted", D, curved, -0.48, kind="upper", delta=0.05)
    assert c.passed is None and c.numbers["blocked_by"] == "grid"
    assert "still drifts" in c.summary and "would decide" not in c.summary


def test_margin_must_be_positive():
    with pytest.raises(ValueError, match="delta"):
        rate_evidence("planted", D, D**-0.5, -0.5, delta=0)


def test_a_rate_never_passes_through_its_margin_alone():
    """An exact power law d^-0.45 is within the margin 0.1 of a claimed -0.5 but its interval
    excludes -0.5: undecided (it used to pass), and the evidence says why."""
    d = np.logspace(2, 6, 9)
    ev = rate_evidence("q", d, 3 * d**-0.45, -0.5, kind="exact", delta=0.1)
    assert ev.passed is None and ev.numbers["blocked_by"] == "excluded"
    assert rate_evidence("q", d, 3 * d**-0.5, -0.5, kind="exact", delta=0.1).passed is True
    # an upper bound whose interval lies wholly above the claimed exponent, within the margin
    assert rate_evidence("q", d, d**-0.46, -0.5, kind="upper", delta=0.1).passed is None
    assert rate_evidence("q", d, d**-0.7, -0.5, kind="upper", delta=0.1).passed is True


def test_a_competitor_must_lie_beyond_the_margin():
    d = np.logspace(2, 6, 9)
    with pytest.raises(ValueError, match="competitor"):
        rate_evidence("q", d, d**-0.5, -0.5, delta=0.1, competitor=-0.45)
    with pytest.raises(ValueError, match="competitor"):
        pooled_rate_evidence("q", d, {1.0: d**-0.5}, {1.0: 0.0}, -0.5, delta=0.1, competitor=float("nan"))
    ev = rate_evidence("q", d, d**-0.5, -0.5, kind="exact", delta=0.05, competitor=-0.4)
    assert ev.passed is True and ev.numbers["competitor_excluded"] is True
    assert "nearest competing exponent" in ev.summary


def test_a_neighbour_at_the_margin_is_refuted_by_a_separating_fit():
    """Planted: a rate that differs from the truth by exactly the distance to its competitor."""
    rng = np.random.default_rng(1)
    d = np.logspace(1.5, 4, 12)
    groups = {b: d ** (0.5 - b / 2) * np.exp(0.02 * rng.standard_normal(d.size)) for b in (1.0, 2.0, 3.0)}
    offsets = {b: -b / 2 for b in groups}
    true = pooled_rate_evidence("cross", d, groups, offsets, 0.5, delta=0.05, competitor=0.4)
    planted = pooled_rate_evidence("cross", d, groups, offsets, 0.4, delta=0.05, competitor=0.5)
    assert true.passed is True and planted.passed is False
