"""Benchmark: the structured route of theory.mixture_gossip (identity plus a leading block,
compressed to m + 1 dimensions) against the dense route on the same isotropic mixture, for the
four t-round bounds (CL, MIM surrogate, spectral contrastive, MIM reconstruction); then the
structured route alone at d = 10^6. Same process, ratios printed.

Run: ``python benchmarks/bench_mixture_gossip.py [--clients 12] [--rounds 5]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_of

from theory import topology
from theory.mixture_gossip import (alignment_bound, mim_reconstruction_bound, spectral_bound,
                                   structured_client_moments)
from theory.splits import split_clients


def all_bounds(S, M, W, t, c):
    return (alignment_bound(S, W, t, c), alignment_bound(S, W, t, c, "mim-surrogate"),
            spectral_bound(S, M, W, t, c), mim_reconstruction_bound(S, W, t, c))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    K, m, c = 6, 8, 3
    means = 3.0 * rng.standard_normal((K, m)) / np.sqrt(m)
    split = split_clients(np.repeat(np.arange(K), 100), args.clients, "dirichlet-class", alpha=0.3, rng=rng)
    W = topology.mixing_matrix(topology.random_regular_graph(args.clients, 4, 1), "metropolis")
    print(f"{args.clients} clients, K = {K} components on m = {m} coordinates, c = {c}, t = {args.rounds}; "
          "four bounds per call (best of 3)")
    for d in (50, 200, 500):
        S, M = structured_client_moments(means, split.weights, d)
        t_dense, dense = best_of(lambda: all_bounds(S.to_dense(), M.to_dense(), W, args.rounds, c))
        t_small, small = best_of(lambda: all_bounds(S, M, W, args.rounds, c))
        diff = max(float(np.max(np.abs(a["observed"] - b["observed"]))) for a, b in zip(small, dense))
        print(f"d = {d:>7}: dense {1e3 * t_dense:9.1f} ms, structured {1e3 * t_small:6.2f} ms, "
              f"ratio x{t_dense / t_small:8.1f}, max |difference| {diff:.1e}")
    for d in (10**6, 10**9):
        S, M = structured_client_moments(means, split.weights, d)
        t_small, _ = best_of(lambda: all_bounds(S, M, W, args.rounds, c))
        print(f"d = {d:>7.0e}: structured {1e3 * t_small:6.2f} ms (dense would need {8 * args.clients * d * d / 2**30:.2g} GiB per moment stack)")


if __name__ == "__main__":
    main()
