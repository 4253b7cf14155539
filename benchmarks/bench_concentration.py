"""Benchmark: ||S_hat - S||_2 for one client of the paper model with |D_i| = d^beta samples,
drawn exactly in law two ways: the dense route (:func:`sampled_second_moments`, a (d, d)
Bartlett Wishart and a dense norm) and the rotated route (:class:`RotatedSecondMoment`: the
Wishart enters through its spectrum, Lanczos on a structured operator). Same process, ratios
printed; then the rotated route alone at d = 10^4 (the full profile's largest d).

Run: ``python benchmarks/bench_concentration.py [--beta 2]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_of

from proofs_check.claims.settings import DEFAULT
from simulators.client_data import RotatedSecondMoment, sampled_second_moments


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--beta", type=float, default=2.0)
    args = ap.parse_args()
    st = DEFAULT.at_beta(args.beta)
    m = 2 * st.n_clients
    print(f"one client, N = {st.n_clients}, |D_i| = d^{args.beta:g}; ||S_hat - S||_2 per draw (best of 3)")
    for d in (200, 500, 1000, 2000):
        model = st.model(d)
        S = model.second_moment(0)
        n = int(round(d**args.beta))
        t_dense, v_dense = best_of(lambda: np.linalg.norm(
            sampled_second_moments(model, n, 1, clients=[0])[0] - S, 2))
        t_rot, v_rot = best_of(lambda: RotatedSecondMoment(model, n, 1).deviation_norm(S[:m, :m]))
        print(f"  d = {d:5d}: dense {t_dense * 1e3:8.1f} ms, rotated {t_rot * 1e3:7.1f} ms, "
              f"x{t_dense / t_rot:6.1f}  (norms {v_dense:.3g}, {v_rot:.3g}: same seed, noise block drawn differently)")
    model = st.model(10_000)
    Ss = model.structured_second_moments()
    S_A = Ss.block[0] + Ss.scale[0] * np.eye(m)
    t_big, v_big = best_of(lambda: RotatedSecondMoment(model, int(round(1e4**args.beta)), 1).deviation_norm(S_A),
                         repeat=1)
    print(f"  d = 10000: rotated {t_big:.2f} s (dense would need an 800 MB Wishart per draw); norm {v_big:.3g}")


if __name__ == "__main__":
    main()
