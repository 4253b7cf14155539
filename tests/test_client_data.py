import numpy as np
import pytest

from simulators.client_data import empirical_target, sample_clients
from theory.objectives import cl_alignment_matrix, mim_alignment_matrix, paper_mim_expectation
from theory.paper_model import PaperModel


@pytest.mark.parametrize("kind", ["mim-eq17", "mim-surrogate", "cl-similar", "cl-dissimilar",
                                  "second-moment"])
def test_empirical_targets_converge_to_their_expectations(kind):
    model = PaperModel(8, 3, rare_fraction=0.2)
    H = np.diag(np.linspace(0.5, 1.5, 8))
    x, _ = sample_clients(model, 100_000, rng=0)
    got = empirical_target(x, kind, p=0.6, H=H, rng=1)
    S = model.second_moments()
    expected = {"mim-eq17": paper_mim_expectation(S, 0.6), "mim-surrogate": mim_alignment_matrix(S, 0.6),
                "cl-similar": cl_alignment_matrix(S), "cl-dissimilar": cl_alignment_matrix(S, H),
                "second-moment": S}[kind]
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(got - expected)) < 0.03 * scale


def test_vectorised_equals_per_client():
    x = np.random.default_rng(0).standard_normal((3, 50, 4))
    full = empirical_target(x, "mim-surrogate", p=0.5)
    for i in range(3):
        np.testing.assert_allclose(full[i], empirical_target(x[i:i + 1], "mim-surrogate", p=0.5)[0])


def test_bad_input():
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="kind must be one of"):
        empirical_target(x, "mae")
    with pytest.raises(ValueError, match="needs the mask ratio"):
        empirical_target(x, "mim-eq17")
    with pytest.raises(ValueError, match="needs H"):
        empirical_target(x, "cl-dissimilar")


# --- exact-in-distribution client second moments (|D_i| = d^beta without the samples) --------
def test_sampled_second_moments_have_the_law_of_sample_second_moments():
    """Two independent routes, 2000 draws each, at d = 8, N = 3, n = 40: every upper-triangular
    entry's mean and variance agree (z-tests, Bonferroni over entries at 0.001), and the top
    eigenvalue of client 0 has the same law (two-sample KS, p > 0.001)."""
    from scipy import stats

    from proofs_check.claims.settings import DEFAULT
    from simulators.client_data import sample_clients, sampled_second_moments

    model, n, reps = DEFAULT.model(8), 40, 2000
    rng = np.random.default_rng(5)
    a = np.stack([sampled_second_moments(model, n, rng) for _ in range(reps)])
    b = []
    for _ in range(reps):
        x, _ = sample_clients(model, n, rng)
        b.append(np.einsum("nia,nib->nab", x, x) / n)
    b = np.stack(b)
    iu = np.triu_indices(8)
    A, B = a[:, :, iu[0], iu[1]], b[:, :, iu[0], iu[1]]
    k = A.shape[1] * A.shape[2]
    crit = stats.norm.isf(0.001 / (2 * k))
    z_mean = (A.mean(0) - B.mean(0)) / np.sqrt(A.var(0) / reps + B.var(0) / reps)
    assert np.abs(z_mean).max() < crit
    # variance: compare through the squared deviations (their means are the variances)
    da, db = (A - A.mean(0)) ** 2, (B - B.mean(0)) ** 2
    z_var = (da.mean(0) - db.mean(0)) / np.sqrt(da.var(0) / reps + db.var(0) / reps)
    assert np.abs(z_var).max() < crit
    top_a = np.linalg.eigvalsh(a[:, 0])[:, -1]
    top_b = np.linalg.eigvalsh(b[:, 0])[:, -1]
    assert stats.ks_2samp(top_a, top_b).pvalue > 1e-3
    # and the mean is the exact population second moment
    exact = model.second_moments()
    assert np.abs((a.mean(0) - exact) / np.sqrt(a.var(0) / reps + 1e-300)).max() < crit


def test_sampled_second_moments_scale_to_huge_samples_and_refuse_too_few():
    import pytest

    from proofs_check.claims.settings import DEFAULT
    from simulators.client_data import sampled_second_moments

    model = DEFAULT.model(60)
    S = sampled_second_moments(model, 10**12, 3)      # d^beta with beta ~ 6.7, no samples drawn
    assert np.abs(S - model.second_moments()).max() < 1e-4     # LLN at n = 1e12
    assert np.allclose(S, np.swapaxes(S, 1, 2))
    with pytest.raises(ValueError, match="too few"):
        sampled_second_moments(model, 10, 3)
    a, b = sampled_second_moments(model, 500, 9), sampled_second_moments(model, 500, 9)
    assert np.array_equal(a, b)                                 # same seed, same bits


def test_wishart_eigenvalues_have_the_law_of_wishart_spectra():
    """Dumitriu-Edelman bidiagonal route against scipy's Wishart (Bartlett), p = 5, df = 9:
    each ordered eigenvalue has the same law (two-sample KS, 3000 draws, p > 0.001)."""
    from scipy import stats

    from simulators.client_data import wishart_eigenvalues

    rng = np.random.default_rng(2)
    a = np.stack([wishart_eigenvalues(5, 9, rng) for _ in range(3000)])
    b = np.stack([np.linalg.eigvalsh(stats.wishart(df=9, scale=np.eye(5)).rvs(random_state=rng))
                  for _ in range(3000)])
    assert min(stats.ks_2samp(a[:, k], b[:, k]).pvalue for k in range(5)) > 1e-3 / 5
    shifted = wishart_eigenvalues(5, 9, 7, shift=9.0)
    assert np.allclose(shifted + 9.0, wishart_eigenvalues(5, 9, 7))



@pytest.mark.parametrize("d, df", [(1, 1), (1, 6), (2, 2), (5, 9), (16, 40), (37, 37), (300, 90000)])
def test_bartlett_wishart_is_scipys_draw_bit_for_bit(d, df):
    """The same matrix, bit for bit, and the same generator state afterwards as
    ``scipy.stats.wishart(df, I).rvs`` from the same generator (the committed numbers stand)."""
    from scipy import stats

    from simulators.client_data import bartlett_wishart

    for seed in range(3):
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        ref = np.atleast_2d(stats.wishart(df=df, scale=np.eye(d)).rvs(random_state=r1))
        assert np.array_equal(bartlett_wishart(df, d, r2), ref)
        assert r1.random() == r2.random()
    with pytest.raises(ValueError, match="df must be at least d"):
        bartlett_wishart(3, 4, np.random.default_rng(0))

def test_rotated_second_moment_and_diagonal_have_the_dense_law():
    """The rotated route (noise coordinates rotated, Wishart by its spectrum) gives
    ||S_hat - S||_2 with the law of the dense draw, and :func:`sampled_diagonal` the law of the
    dense diagonal's largest deviation (KS, 600 draws each, d = 30, N = 3, n = 45); same seed,
    same bits; bad input is refused."""
    import pytest
    from scipy import stats

    from proofs_check.claims.settings import DEFAULT
    from simulators.client_data import RotatedSecondMoment, sampled_diagonal, sampled_second_moments

    model, n, reps = DEFAULT.model(30), 45, 600
    S = model.second_moment(0)
    rng = np.random.default_rng(11)
    rot = [RotatedSecondMoment(model, n, rng).deviation_norm(S[:6, :6]) for _ in range(reps)]
    dense = [np.linalg.norm(sampled_second_moments(model, n, rng, clients=[0])[0] - S, 2)
             for _ in range(reps)]
    assert stats.ks_2samp(rot, dense).pvalue > 1e-3
    dg = [np.max(np.abs(sampled_diagonal(model, n, rng) - np.diag(S))) for _ in range(reps)]
    dd = [np.max(np.abs(np.diag(sampled_second_moments(model, n, rng, clients=[0])[0] - S)))
          for _ in range(reps)]
    assert stats.ks_2samp(dg, dd).pvalue > 1e-3
    # the Lanczos route (d > 200) equals the dense norm of the same structured matrix
    big = RotatedSecondMoment(DEFAULT.model(300), 300**2, 4)
    Sb = DEFAULT.model(300).second_moment(0)[:6, :6]
    M = np.block([[big.A - Sb, big.cross], [big.cross.T, big.Y.T @ big.Y + np.diag(big.noise_deviation)]])
    assert abs(big.deviation_norm(Sb) - np.linalg.norm(M, 2)) < 1e-9 * np.linalg.norm(M, 2)
    assert RotatedSecondMoment(model, n, 3).deviation_norm(S[:6, :6]) == \
        RotatedSecondMoment(model, n, 3).deviation_norm(S[:6, :6])
    with pytest.raises(ValueError, match="client"):
        RotatedSecondMoment(model, n, 3, clients=5)
    with pytest.raises(ValueError, match="too few"):
        RotatedSecondMoment(model, 8, 3)
    with pytest.raises(ValueError, match="clients"):
        sampled_second_moments(model, n, 3, clients=[3])


def test_targets_from_second_moments_match_the_sample_route():
    from proofs_check.claims.settings import DEFAULT
    from simulators.client_data import empirical_target, sample_clients, targets_from_second_moments

    x, _ = sample_clients(DEFAULT.model(10), 30, 1)
    S = empirical_target(x, "second-moment")
    for kind in ("mim-eq17", "mim-surrogate"):
        np.testing.assert_allclose(targets_from_second_moments(S, kind, p=0.75),
                                   empirical_target(x, kind, p=0.75), rtol=1e-12, atol=1e-14)
    assert targets_from_second_moments(S, "cl-exact-views") is not None


def test_rotated_targets_give_the_representability_law_of_the_dense_route():
    """1 - min r over the theorem's index sets, local (client 0's k in [N] \\ {0}) and FL (k in
    [N]), CL with similar and with dissimilar views: the rotated Lanczos route (d = 220 > 200)
    against dense draws through proofs_check's rv_of (KS, 80 draws each, p > 0.001); Lanczos
    equals a dense eigensolve of the same structured matrix; bad input is refused."""
    import pytest
    from scipy import stats

    from proofs_check.claims.robustness_checks import dissimilar_H, rv_of
    from proofs_check.claims.settings import DEFAULT
    from simulators.client_data import RotatedSecondMoment, sampled_second_moments

    st, d, n, c = DEFAULT.at_beta(1.0), 220, DEFAULT.n_clients, DEFAULT.c
    model = st.model(d)
    h = 1 + 0.5 * (-1.0) ** np.arange(2 * n)
    H = dissimilar_H(d, 2 * n).to_dense()
    rng = np.random.default_rng(4)
    rot, dense = {k: [] for k in range(3)}, {k: [] for k in range(3)}
    for _ in range(80):
        rot[0].append(1 - RotatedSecondMoment(model, d, rng).representability(c)[1:n].min())
        rot[1].append(1 - RotatedSecondMoment(model, d, rng, clients="fl").representability(c)[:n].min())
        rot[2].append(1 - RotatedSecondMoment(model, d, rng, clients="fl").representability(c, h)[:n].min())
        S = sampled_second_moments(model, d, rng)
        dense[0].append(1 - np.asarray(rv_of(st, S, "cl-similar", "local")["r"])[0, 1:n].min())
        dense[1].append(1 - np.asarray(rv_of(st, S, "cl-similar", "fl")["r"])[0, :n].min())
        X = (H @ S + S @ np.swapaxes(H, 0, 1)) / 2
        dense[2].append(1 - np.asarray(rv_of(st, X, "cl-dissimilar", "fl")["r"])[0, :n].min())
    for k in range(3):
        assert stats.ks_2samp(rot[k], dense[k]).pvalue > 1e-3, k
    T = RotatedSecondMoment(model, d, 7, clients="fl")
    M = np.block([[T.A, T.cross], [T.cross.T, T.Y.T @ T.Y + np.diag(T.noise_deviation + T.mu**2)]])
    vecs = np.linalg.eigh(M)[1][:, ::-1][:, :c]
    assert np.allclose(T.representability(c), np.sum(vecs[:c] ** 2, axis=1), atol=1e-10)
    with pytest.raises(ValueError, match="clients"):
        RotatedSecondMoment(model, d, 1, clients="dl")
    with pytest.raises(ValueError, match="H_A"):
        T.representability(c, np.ones(3))


def test_sampled_view_targets_have_the_law_of_drawn_views():
    """The exact-in-law sampled-view CL targets against views drawn on drawn samples: two-sample
    KS tests on scalar statistics over many draws (similar views with 1 and 3 pairs; dissimilar)."""
    from scipy import stats

    from simulators.client_data import empirical_target, sample_clients, sampled_view_targets

    model = PaperModel(9, 3, tau=2.0, mu=0.5, rare_fraction=0.2, rare_classes=[2, 4, 0])
    n, reps = 40, 600
    h = np.array([1.5, 0.5, 1.5, 0.5, 1.5, 0.5])
    H = np.diag(np.concatenate([h, np.ones(3)]))
    rng = np.random.default_rng(5)

    def stats_of(X):
        return np.array([X[0, 0, 0], X[0, 1, 2], X[0, 0, 8], X[0, 8, 8], np.trace(X[0]),
                         np.linalg.eigvalsh(X[0])[-1], np.linalg.eigvalsh(X[0])[0]])

    for label, kwargs in (("similar, 1 pair", {}), ("similar, 3 pairs", {"pairs": 3}),
                          ("dissimilar", {"H_diag": h})):
        exact, drawn = [], []
        for _ in range(reps):
            exact.append(stats_of(sampled_view_targets(model, n, rng, clients=[0], **kwargs)))
            x, _ = sample_clients(model, n, rng)
            k = kwargs.get("pairs", 1)
            if "H_diag" in kwargs:
                X = empirical_target(x, "cl-dissimilar", H=H, rng=rng)
            else:
                X = np.mean([empirical_target(x, "cl-similar", rng=rng) for _ in range(k)], axis=0)
            drawn.append(stats_of(X))
        exact, drawn = np.array(exact), np.array(drawn)
        p = [stats.ks_2samp(exact[:, j], drawn[:, j]).pvalue for j in range(exact.shape[1])]
        assert min(p) > 1e-3 / len(p), (label, p)


def test_sampled_view_targets_reject_bad_input():
    from simulators.client_data import sampled_view_targets

    model = PaperModel(9, 3, tau=2.0, mu=0.5, rare_fraction=0.2, rare_classes=[2, 4, 0])
    with pytest.raises(ValueError, match="pairs"):
        sampled_view_targets(model, 40, 0, pairs=0)
    with pytest.raises(ValueError, match="at least d"):
        sampled_view_targets(model, 5, 0)
    with pytest.raises(ValueError, match="H_diag"):
        sampled_view_targets(model, 40, 0, H_diag=np.ones(12))
