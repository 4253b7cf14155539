"""Benchmark: ||S_hat - S||_2 for one client of the paper model with |D_i| = d^beta samples,
drawn exactly in law two ways: the dense route (:func:`sampled_second_moments`, a (d, d)
Bartlett Wishart and a dense norm) and the rotated route (:class:`RotatedSecondMoment`: the
Wishart enters through its spectrum, Lanczos on a structured operator). Same process, ratios
printed; then the rotated route alone at d = 10^4 (the full profile's largest d). Last, the dense
route's two kernels against what they replaced: :func:`bartlett_wishart` against
``scipy.stats.wishart(df, I).rvs`` (the same bits), and the client second moments of
:func:`empirical_target` (BLAS) against ``np.einsum("nia,nib->nab")``.

Run: ``python benchmarks/bench_concentration.py [--beta 2]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_of

from proofs_check.claims.settings import DEFAULT
from simulators.client_data import (RotatedSecondMoment, bartlett_wishart, empirical_target,
                                    sampled_second_moments)


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
    kernels()


def kernels() -> None:
    """The dense route's Wishart draw and the sample second moments against the calls they
    replaced, same inputs, best of 3."""
    from scipy import stats

    print("dense-route kernels (best of 3)")
    for d in (300, 900):
        df = d * d
        t_new, w_new = best_of(lambda: bartlett_wishart(df, d, np.random.default_rng(0)))
        t_old, w_old = best_of(lambda: stats.wishart(df=df, scale=np.eye(d)).rvs(random_state=np.random.default_rng(0)))
        print(f"  W_d(d^2, I), d = {d}: scipy.stats.wishart {t_old * 1e3:6.1f} ms, bartlett_wishart "
              f"{t_new * 1e3:6.1f} ms, x{t_old / t_new:.1f}, same bits: {np.array_equal(w_new, w_old)}")
    for d in (100, 300):
        x = np.random.default_rng(1).standard_normal((8, d, d))      # 8 clients, |D_i| = d
        t_new, s_new = best_of(lambda: empirical_target(x, "second-moment"))
        t_old, s_old = best_of(lambda: np.einsum("nia,nib->nab", x, x) / d)
        err = np.max(np.abs(s_new - s_old)) / np.max(np.abs(s_old))
        print(f"  8 client second moments, n = d = {d}: einsum {t_old * 1e3:6.1f} ms, BLAS {t_new * 1e3:6.1f} ms, "
              f"x{t_old / t_new:.1f}, max relative difference {err:.1e}")


if __name__ == "__main__":
    main()
