"""Benchmark of the foundation: structured vs dense moments, and fastest-mixing solve times.

Run: ``python benchmarks/bench_foundation.py``. Prints a table; ratios are against the dense
route run in the same process. No assertion on time (speed is measured, not tested).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from theory import topology
from theory.paper_model import PaperModel


def timed(fn, repeat: int = 3):
    """Best wall time over ``repeat`` runs, and peak traced memory of one run (bytes)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, best, peak


def moments_table(d: int = 2000, n_clients: int = 8) -> None:
    model = PaperModel(d, n_clients, rare_fraction=0.05)
    rng = np.random.default_rng(0)
    v = rng.standard_normal(d)

    def dense_route():
        S = model.second_moments()
        return S, S @ v, np.linalg.eigvalsh(S[0])

    def structured_route():
        S = model.structured_second_moments()
        return S, S.matvec(v), S[0].eigvalsh()

    (Sd, mvd, evd), td, md = timed(dense_route, repeat=2)
    (Ss, mvs, evs), ts, ms = timed(structured_route)
    err = max(np.max(np.abs(Ss.to_dense() - Sd)), np.max(np.abs(mvs - mvd)), np.max(np.abs(evs - evd)))
    print(f"moments, {n_clients} clients, d = {d}: build all S_i, one matvec each, spectrum of S_0")
    print(f"  {'route':<12}{'time (s)':>12}{'peak mem (MB)':>16}")
    print(f"  {'dense':<12}{td:>12.4f}{md / 2**20:>16.1f}")
    print(f"  {'structured':<12}{ts:>12.6f}{ms / 2**20:>16.3f}")
    print(f"  speed-up x{td / ts:,.0f}, memory ratio x{md / max(ms, 1):,.0f}, "
          f"max |difference| = {err:.2e} ({'OK' if err <= 1e-10 else 'EXCEEDS'} 1e-10)")

    big = PaperModel(10**6, n_clients, rare_fraction=0.05)
    w = rng.standard_normal(10**6)
    (_, _, _), tb, mb = timed(lambda: (lambda S: (S, S.matvec(w), S[0].eigvalsh()))(
        big.structured_second_moments()))
    print(f"  structured at d = 10^6: {tb:.3f} s, peak {mb / 2**20:.0f} MB "
          f"(dense would need {n_clients * 8e12 / 2**40:.0f} TiB)")


def fmmc_table(sizes=(20, 50)) -> None:
    print("fastest mixing chain (Clarabel), paper 'general' graphs with |A_bar| = 5")
    print(f"  {'N':>4}{'solve (s)':>12}{'SLEM fmmc':>12}{'SLEM metropolis':>18}")
    for n in sizes:
        G = topology.paper_graph(n, 5.0, "general", rng=0)
        (W, info), t, _ = timed(lambda: topology.fastest_mixing_matrix(G), repeat=1)
        m = topology.slem(topology.mixing_matrix(G, "metropolis"))
        print(f"  {n:>4}{t:>12.2f}{info['slem']:>12.4f}{m:>18.4f}")


if __name__ == "__main__":
    moments_table()
    print()
    fmmc_table()
