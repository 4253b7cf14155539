import numpy as np
from hypothesis import strategies as st

from proofs_check.engine.search import find_counterexample
from proofs_check.engine.strategies import spd_matrices


def test_finds_and_shrinks_a_counterexample_to_the_ratio_bound():
    # Eq. 24's bound r_k >= X_kk / lambda_1 on 2x2 diagonal matrices with c = 1
    def holds(ab):
        a, b = ab
        X = np.diag([float(a), float(b)])
        lam, vecs = np.linalg.eigh(X)
        r = vecs[:, -1] ** 2
        return bool(np.all(r >= np.diag(X) / lam[-1] - 1e-12))

    cex = find_counterexample(holds, st.tuples(st.integers(1, 50), st.integers(1, 50)))
    assert cex is not None and not holds(cex)
    assert sum(cex) <= 3          # shrunk to a minimal example such as (1, 1) or (2, 1)


def test_returns_none_for_a_true_bound():
    # Weyl: the top eigenvalue of an SPD matrix is at least its largest diagonal entry
    holds = lambda X: np.linalg.eigvalsh(X)[-1] >= X.diagonal().max() - 1e-9
    assert find_counterexample(holds, spd_matrices(4), max_examples=50) is None
