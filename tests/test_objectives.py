import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize

from proofs_check.engine.gradients import taylor_remainder_slope
from proofs_check.engine.monte_carlo import zscores
from proofs_check.engine.strategies import spd_matrices
from theory.objectives import (alignment_loss, alignment_loss_grad, cl_alignment_matrix,
                               family_optimum, mim_alignment_matrix, paper_mim_matrix)
from theory.paper_model import PaperModel
from theory.representations import Subspace, projector_distance
from theory.structured import IdentityPlusBlock


def sym(rng, d):
    a = rng.standard_normal((d, d))
    return (a + a.T) / 2


def lbfgs_family(X, c, rng, starts=4):
    d = X.shape[0]
    fun = lambda w: (alignment_loss(w.reshape(c, d), X), alignment_loss_grad(w.reshape(c, d), X).ravel())
    return min((minimize(fun, rng.standard_normal(c * d), jac=True, method="L-BFGS-B",
                         options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
                for _ in range(starts)), key=lambda r: r.fun)


@given(st.integers(0, 10**6))
def test_gradient_taylor_slope(seed):
    rng = np.random.default_rng(seed)
    X, W = sym(rng, 5), rng.standard_normal((3, 5))
    slope = taylor_remainder_slope(lambda w: alignment_loss(w, X), lambda w: alignment_loss_grad(w, X), W, rng=seed)
    assert 1.9 < slope < 2.1
    wrong = taylor_remainder_slope(lambda w: alignment_loss(w, X),
                                   lambda w: alignment_loss_grad(w, X) + w, W, direction=W)
    assert wrong < 1.5    # the test has power against a wrong gradient


@given(st.integers(0, 10**6))
def test_loss_is_half_distance_to_X_up_to_a_constant(seed):
    rng = np.random.default_rng(seed)
    X, W = sym(rng, 6), rng.standard_normal((2, 6))
    P = W.T @ W
    assert alignment_loss(W, X) == pytest.approx(0.5 * np.sum((X - P) ** 2) - 0.5 * np.sum(X**2), rel=1e-12, abs=1e-12)


@settings(max_examples=15)
@given(st.integers(0, 10**6), st.integers(1, 4))
def test_optimum_matches_lbfgs_on_the_factorised_loss(seed, c):
    rng = np.random.default_rng(seed)
    X = sym(rng, 6)
    opt = family_optimum(X, c)
    best = lbfgs_family(X, c, rng)
    assert best.fun >= opt.loss - 1e-9 * max(1, abs(opt.loss))
    assert best.fun == pytest.approx(opt.loss, rel=1e-7, abs=1e-9)
    assert alignment_loss(opt.factor(), X) == pytest.approx(opt.loss, rel=1e-12, abs=1e-12)
    if not opt.rank_deficient and opt.eigengap > 1e-3:
        W = best.x.reshape(c, 6)
        got = Subspace.from_basis(np.linalg.svd(W, full_matrices=False)[2].T)
        assert projector_distance(got, opt.subspace) < 1e-5


@settings(max_examples=10)
@given(spd_matrices(6), st.integers(1, 4))
def test_eigenspace_matches_the_fantope_relaxation(X, c):
    P = cp.Variable((6, 6), symmetric=True)
    cp.Problem(cp.Maximize(cp.trace(X @ P)),
               [P >> 0, np.eye(6) - P >> 0, cp.trace(P) == c]).solve(solver="CLARABEL")
    opt = family_optimum(X, c)
    if opt.eigengap > 1e-2:
        assert np.max(np.abs(P.value - opt.subspace.projector())) < 1e-5


def test_rank_deficiency_and_ties_are_reported():
    X = np.diag([2.0, -1.0, -3.0, -0.5])
    opt = family_optimum(X, 3)
    assert opt.rank == 1 and opt.rank_deficient and opt.subspace.dim == 1
    assert opt.loss == pytest.approx(-2.0)
    tied = family_optimum(np.diag([3.0, 2.0, 2.0, 1.0]), 2)
    assert tied.tied and not tied.rank_deficient
    assert not family_optimum(np.diag([3.0, 2.5, 2.0, 1.0]), 2).tied


def test_mim_alignment_matrix_matches_monte_carlo_over_masks_and_samples():
    rng = np.random.default_rng(0)
    d, p, n = 5, 0.3, 200_000
    L = rng.standard_normal((d, d)) / np.sqrt(d)
    S = L @ L.T + np.outer(np.ones(d), np.ones(d)) * 0.3
    x = rng.standard_normal((n, d)) @ np.linalg.cholesky(S).T
    m = (rng.random((n, d)) >= p).astype(float)          # m_j = 0 (masked) with probability p
    a, b = x * m, x * (1 - m)
    per_sample = 0.5 * (b[:, :, None] * a[:, None, :] + a[:, :, None] * b[:, None, :])
    z = zscores(per_sample, mim_alignment_matrix(S, p))
    assert z.max() < 6
    assert np.all(np.diag(mim_alignment_matrix(S, p)) == 0.0)


def test_cl_alignment_matrices_match_monte_carlo():
    rng = np.random.default_rng(1)
    d, n = 4, 200_000
    S = np.diag([2.0, 1.0, 0.5, 0.25]) + 0.2
    H = rng.standard_normal((d, d))
    x = rng.standard_normal((n, d)) @ np.linalg.cholesky(S).T
    xi, xi2 = rng.standard_normal((2, n, d)) * 0.7
    for a, b, X in [(x + xi, x + xi2, cl_alignment_matrix(S, noise=0.49)),
                    (x + xi, x @ H.T, cl_alignment_matrix(S, H))]:
        per = 0.5 * (b[:, :, None] * a[:, None, :] + a[:, :, None] * b[:, None, :])
        assert zscores(per, X).max() < 6


def test_paper_eq17_is_the_printed_formula():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    expected = 2 * 0.25 * 0.75 * np.diag([(1 + 9) / 2, (4 + 1) / 2])
    np.testing.assert_allclose(paper_mim_matrix(x, 0.25), expected)


def test_structured_and_dense_routes_agree():
    model = PaperModel(50, 4, tau=2.0, rare_fraction=0.1)
    S = model.structured_second_moments()
    H = IdentityPlusBlock(50, 0.7, np.diag(np.arange(8.0)) / 10)
    for Xs, Xd in [(cl_alignment_matrix(S), cl_alignment_matrix(S.to_dense())),
                   (cl_alignment_matrix(S, H), cl_alignment_matrix(S.to_dense(), H.to_dense())),
                   (mim_alignment_matrix(S, 0.6), mim_alignment_matrix(S.to_dense(), 0.6))]:
        np.testing.assert_allclose(Xs.to_dense(), Xd, atol=1e-12)
        for i in range(4):
            a, b = family_optimum(Xs[i], 3), family_optimum(Xd[i], 3)
            np.testing.assert_allclose(a.eigenvalues, b.eigenvalues, atol=1e-10)
            assert (a.rank, a.tied) == (b.rank, b.tied)
            if not a.tied:
                assert projector_distance(a.subspace, b.subspace) < 1e-10


def test_structured_optimum_at_a_million_dimensions():
    S = PaperModel(10**6, 4).structured_second_moments()
    opt = family_optimum(cl_alignment_matrix(S)[0], 3)
    r = opt.subspace.representability()
    assert r.shape == (10**6,) and r.sum() == pytest.approx(opt.subspace.dim)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: mim_alignment_matrix(np.eye(3), 1.0), ValueError, "open interval"),
        (lambda: mim_alignment_matrix(np.eye(3), 0.0), ValueError, "open interval"),
        (lambda: cl_alignment_matrix(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, "symmetric"),
        (lambda: cl_alignment_matrix(-np.eye(2)), ValueError, "positive semidefinite"),
        (lambda: cl_alignment_matrix(np.array([[np.nan, 0], [0, 1.0]])), ValueError, "finite"),
        (lambda: cl_alignment_matrix(np.eye(2), noise=0.0), ValueError, "noise must be > 0"),
        (lambda: cl_alignment_matrix(np.eye(2), np.eye(3)), ValueError, "shape"),
        (lambda: family_optimum(np.eye(3), 4), ValueError, "c must be <= 3"),
        (lambda: family_optimum(np.eye(3), 0), ValueError, "c must be >= 1"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_structured_gram_when_the_bulk_outranks_a_block_eigenvalue():
    # block eigenvalues 5 and 0.5, bulk eigenvalue 1: the top-3 mixes block and bulk
    X = IdentityPlusBlock(6, 1.0, np.diag([4.0, -0.5]))
    opt = family_optimum(X, 3)
    dense = family_optimum(X.to_dense(), 3)
    np.testing.assert_allclose(opt.eigenvalues, [5.0, 1.0, 1.0])
    assert opt.tied
    np.testing.assert_allclose(np.sort(opt.basis_eigenvalues), np.sort(dense.basis_eigenvalues))
    P = opt.gram()
    np.testing.assert_allclose(P @ opt.subspace.basis(), opt.subspace.basis() * opt.basis_eigenvalues, atol=1e-12)
    assert alignment_loss(opt.factor(), X.to_dense()) == pytest.approx(opt.loss, rel=1e-12)


def test_tie_weight_says_which_coordinates_a_tie_can_move():
    X = np.diag([5.0, 4.0, 1.0, 1.0, 1.0])      # c = 3: tie among coordinates 2, 3, 4
    opt = family_optimum(X, 3)
    assert opt.tied
    np.testing.assert_allclose(opt.tie_weight(5), [0, 0, 1, 1, 1], atol=1e-12)
    assert not family_optimum(X, 2).tied and family_optimum(X, 2).tie_weight(5).max() == 0
    S = IdentityPlusBlock(40, 1.0, np.diag([4.0, 3.0, 0.0]))   # tie of block coord 2 with the bulk
    np.testing.assert_allclose(family_optimum(S, 3).tie_weight(3), [0, 0, 1], atol=1e-12)
