import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize

from proofs_check.engine.gradients import taylor_remainder_slope
from proofs_check.engine.monte_carlo import zscores
from theory.mim import (_masked_grad_A, mask_moments, mim_reconstruction_loss,
                        mim_reconstruction_optimum)
from theory.paper_model import PaperModel


def random_S(seed, d):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d) + 0.3 * np.ones((d, d))


@pytest.mark.parametrize("loss", ["all", "masked"])
def test_exact_loss_matches_monte_carlo(loss):
    rng = np.random.default_rng(0)
    d, p, n = 5, 0.4, 200_000
    S = random_S(1, d)
    A = rng.standard_normal((d, d)) * 0.3
    x = rng.standard_normal((n, d)) @ np.linalg.cholesky(S).T
    m = (rng.random((n, d)) >= p).astype(float)
    res = (x * m) @ A.T - x * (1 - m)
    if loss == "masked":
        res = res * (1 - m)
    per_sample = np.sum(res**2, axis=1)
    assert zscores(per_sample[:, None], np.array([mim_reconstruction_loss(A, S, p, loss)]))[0] < 6


def test_mask_moments_match_monte_carlo():
    rng = np.random.default_rng(2)
    d, p, n = 4, 0.6, 200_000
    S = random_S(3, d)
    x = rng.standard_normal((n, d)) @ np.linalg.cholesky(S).T
    m = (rng.random((n, d)) >= p).astype(float)
    C, R = mask_moments(S, p)
    vis, hid = x * m, x * (1 - m)
    assert zscores(vis[:, :, None] * vis[:, None, :], C).max() < 6
    assert zscores(hid[:, :, None] * vis[:, None, :], R).max() < 6


@settings(max_examples=10)
@given(st.integers(0, 10**6), st.integers(1, 3), st.floats(0.1, 0.9))
def test_closed_form_matches_lbfgs_on_factors(seed, c, p):
    d = 5
    S = random_S(seed, d)
    opt = mim_reconstruction_optimum(S, p, c, "all")
    assert mim_reconstruction_loss(opt.decoder @ opt.encoder, S, p) == pytest.approx(opt.loss, rel=1e-10)
    C, R = mask_moments(S, p)

    def fun(w):
        We, Wd = w[: c * d].reshape(c, d), w[c * d:].reshape(d, c)
        A = Wd @ We
        G = 2 * A @ C - 2 * R
        return mim_reconstruction_loss(A, S, p), np.concatenate([(Wd.T @ G).ravel(), (G @ We.T).ravel()])

    rng = np.random.default_rng(seed)
    best = min((minimize(fun, rng.standard_normal(2 * c * d) * 0.3, jac=True, method="L-BFGS-B",
                         options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 20_000}) for _ in range(3)),
               key=lambda r: r.fun)
    assert best.fun >= opt.loss - 1e-9
    assert best.fun == pytest.approx(opt.loss, rel=1e-6)


def test_masked_gradient_and_optimum():
    d, p, c = 6, 0.5, 2
    S = random_S(7, d)
    C, R = mask_moments(S, p)
    f = lambda A: mim_reconstruction_loss(A, S, p, "masked")
    A0 = np.random.default_rng(0).standard_normal((d, d))
    assert 1.9 < taylor_remainder_slope(f, lambda A: _masked_grad_A(A, C, R, p), A0) < 2.1
    opt = mim_reconstruction_optimum(S, p, c, "masked")
    assert opt.converged and opt.tied is None and "iterative" in opt.method
    assert f(opt.decoder @ opt.encoder) == pytest.approx(opt.loss, rel=1e-12)
    # never worse than the closed-form "all" solution scored on the masked loss, nor than
    # independent random-start L-BFGS runs on the factors
    allopt = mim_reconstruction_optimum(S, p, c, "all")
    assert opt.loss <= f(allopt.decoder @ allopt.encoder) + 1e-12

    def fun(w):
        We, Wd = w[: c * d].reshape(c, d), w[c * d:].reshape(d, c)
        A = Wd @ We
        G = _masked_grad_A(A, C, R, p)
        return f(A), np.concatenate([(Wd.T @ G).ravel(), (G @ We.T).ravel()])

    rng = np.random.default_rng(5)
    for _ in range(3):
        r = minimize(fun, rng.standard_normal(2 * c * d) * 0.3, jac=True, method="L-BFGS-B",
                     options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 20_000})
        assert opt.loss <= r.fun + 1e-7


@pytest.mark.parametrize("loss", ["all", "masked"])
def test_structured_matches_dense(loss):
    model = PaperModel(30, 3, rare_fraction=0.1)
    S = model.structured_second_moments()
    for i in range(3):
        a = mim_reconstruction_optimum(S[i], 0.75, 2, loss)
        b = mim_reconstruction_optimum(S[i].to_dense(), 0.75, 2, loss)
        assert a.loss == pytest.approx(b.loss, rel=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="loss must be one of"):
        mim_reconstruction_optimum(np.eye(3), 0.5, 1, "visible")
    with pytest.raises(ValueError, match="open interval"):
        mim_reconstruction_optimum(np.eye(3), 1.5, 1)
    with pytest.raises(ValueError, match="c must be <= 3"):
        mim_reconstruction_optimum(np.eye(3), 0.5, 4)
    with pytest.raises(ValueError, match="positive definite"):
        mim_reconstruction_optimum(np.diag([1.0, 0.0, 1.0]), 0.5, 1)
