"""Benchmark: one mixing step against a bare BLAS matmul, the sparse route, and the vectorised
D-PSGD step against a per-client Python loop (same process, ratios printed).

Run: ``python benchmarks/bench_dynamics.py``.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sps

from simulators.dynamics import _mix, family_gradients
from theory import topology
from theory.objectives import alignment_loss_grad


def best(fn, repeat=7):
    t = np.inf
    for _ in range(repeat):
        s = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - s)
    return t


def mixing(n=64, params=(16, 256)):
    rng = np.random.default_rng(0)
    W = topology.mixing_matrix(topology.paper_graph(n, 6.0, rng=1), "metropolis")
    X = rng.standard_normal((n,) + params)
    flat = X.reshape(n, -1)
    t_mix = best(lambda: _mix(W, X))
    t_blas = best(lambda: W @ flat)
    print(f"mixing step, N = {n} clients x {np.prod(params)} parameters: {t_mix * 1e3:.3f} ms; "
          f"bare matmul {t_blas * 1e3:.3f} ms; ratio {t_mix / t_blas:.2f}")


def sparse(n=1000, params=(8, 64)):
    rng = np.random.default_rng(2)
    G = topology.paper_graph(n, 6.0, rng=3)
    W = topology.mixing_matrix(G, "metropolis")
    Ws = sps.csr_matrix(W)
    X = rng.standard_normal((n,) + params)
    t_dense, t_sparse = best(lambda: _mix(W, X), 3), best(lambda: _mix(Ws, X), 3)
    print(f"N = {n} (|A_bar| = 6): dense mixing {t_dense * 1e3:.2f} ms, sparse {t_sparse * 1e3:.2f} ms "
          f"(x{t_dense / t_sparse:.1f}), nnz {Ws.nnz}")


def vectorised_vs_loop(n=20, c=8, d=64):
    rng = np.random.default_rng(4)
    Wc = rng.standard_normal((n, c, d))
    a = rng.standard_normal((n, d, d))
    X = a + np.swapaxes(a, 1, 2)
    W = topology.mixing_matrix(topology.paper_graph(n, 4.0, rng=5), "metropolis")

    def vec():
        return _mix(W, Wc - 0.01 * family_gradients(Wc, X))

    def loop():
        G = [Wc[i] - 0.01 * alignment_loss_grad(Wc[i], X[i]) for i in range(n)]
        return [sum(W[i, j] * G[j] for j in range(n)) for i in range(n)]

    np.testing.assert_allclose(vec(), np.stack(loop()), atol=1e-10)
    tv, tl = best(vec), best(loop, 3)
    print(f"D-PSGD step, N = {n}, c = {c}, d = {d}: vectorised {tv * 1e3:.3f} ms, per-client loop "
          f"{tl * 1e3:.2f} ms, speed-up x{tl / tv:.1f}")


if __name__ == "__main__":
    mixing()
    sparse()
    vectorised_vs_loop()
