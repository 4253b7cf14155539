import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize

from proofs_check.engine.gradients import taylor_remainder_slope
from theory.paper_model import PaperModel
from theory.representations import Subspace, projector_distance
from theory.spectral_contrastive import (fl_minus_pooled, fl_spectral_loss, fl_spectral_optimum,
                                         spectral_contrastive_grad, spectral_contrastive_loss,
                                         spectral_contrastive_optimum)
from theory.structured import IdentityPlusBlock


def pair(seed, d=5):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, d, d))
    return a @ a.T / d + 0.2 * np.eye(d), b @ b.T / d


def test_gradient_taylor_slope():
    S, M = pair(0)
    W = np.random.default_rng(1).standard_normal((2, 5))
    f, g = (lambda w: spectral_contrastive_loss(w, S, M)), (lambda w: spectral_contrastive_grad(w, S, M))
    assert 1.9 < taylor_remainder_slope(f, g, W) < 2.1


@settings(max_examples=12)
@given(st.integers(0, 10**6), st.integers(1, 3))
def test_closed_form_matches_lbfgs(seed, c):
    S, M = pair(seed)
    opt = spectral_contrastive_optimum(S, M, c)
    P = opt.gram()
    assert -2 * np.trace(P @ M) + np.trace(P @ S @ P @ S) == pytest.approx(opt.loss, rel=1e-10)
    fun = lambda w: (spectral_contrastive_loss(w.reshape(c, 5), S, M),
                     spectral_contrastive_grad(w.reshape(c, 5), S, M).ravel())
    rng = np.random.default_rng(seed)
    best = min((minimize(fun, rng.standard_normal(5 * c), jac=True, method="L-BFGS-B",
                         options={"ftol": 1e-15, "gtol": 1e-12}) for _ in range(3)), key=lambda r: r.fun)
    assert best.fun >= opt.loss - 1e-9
    assert best.fun == pytest.approx(opt.loss, rel=1e-6)
    if not opt.rank_deficient:
        W = best.x.reshape(c, 5)
        gap = opt.eigenvalues[-1] - np.sort(np.linalg.eigvalsh(
            np.linalg.inv(np.linalg.cholesky(S)) @ M @ np.linalg.inv(np.linalg.cholesky(S)).T))[::-1][c] \
            if c < 5 else 1.0
        if gap > 1e-2:
            assert projector_distance(Subspace.from_basis(W.T), opt.subspace) < 1e-4


@settings(max_examples=20)
@given(st.integers(0, 10**6))
def test_fl_gap_formula_and_sign(seed):
    rng = np.random.default_rng(seed)
    Ss = np.stack([pair(seed + k)[0] for k in range(3)])
    Ms = np.stack([pair(seed + 10 + k)[1] for k in range(3)])
    sizes = rng.random(3) + 0.1
    W = rng.standard_normal((2, 5))
    P = W.T @ W
    s = sizes / sizes.sum()
    pooled = spectral_contrastive_loss(W, np.einsum("n,nab->ab", s, Ss), np.einsum("n,nab->ab", s, Ms))
    gap = fl_minus_pooled(P, Ss, sizes)
    assert fl_spectral_loss(W, Ss, Ms, sizes) - pooled == pytest.approx(gap, rel=1e-9, abs=1e-12)
    assert gap >= 0


def test_fl_relaxation_bounds_the_factorised_solution():
    Ss = np.stack([pair(k)[0] for k in range(3)])
    Ms = np.stack([pair(10 + k)[1] for k in range(3)])
    res = fl_spectral_optimum(Ss, Ms, 2)
    assert res.relaxation_loss <= res.factor_loss + 1e-6
    assert fl_spectral_loss(res.factor, Ss, Ms) == pytest.approx(res.factor_loss, rel=1e-9)


def test_identical_clients_fl_equals_pooled_closed_form():
    S, M = pair(3)
    res = fl_spectral_optimum(np.stack([S] * 3), np.stack([M] * 3), 2)
    opt = spectral_contrastive_optimum(S, M, 2)
    assert res.factor_loss == pytest.approx(opt.loss, rel=1e-7)
    assert fl_minus_pooled(opt.gram(), np.stack([S] * 3)) == pytest.approx(0.0, abs=1e-12)


def test_structured_matches_dense():
    S = PaperModel(30, 3, rare_fraction=0.1).structured_second_moments()[1]
    M = IdentityPlusBlock(30, 0.0, S.block)
    a = spectral_contrastive_optimum(S, M, 2)
    b = spectral_contrastive_optimum(S.to_dense(), M.to_dense(), 2)
    assert a.loss == pytest.approx(b.loss, rel=1e-10)
    assert projector_distance(a.subspace, b.subspace) < 1e-9


def test_bad_input():
    with pytest.raises(ValueError, match="positive definite"):
        spectral_contrastive_optimum(np.diag([1.0, 0.0]), np.eye(2), 1)
    with pytest.raises(ValueError, match="symmetric"):
        spectral_contrastive_optimum(np.eye(2), np.array([[1.0, 1.0], [0.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="same shape"):
        spectral_contrastive_optimum(np.eye(2), np.eye(3), 1)
