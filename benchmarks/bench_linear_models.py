"""Benchmark: exact local / FL / DecL optima on the paper's model, structured vs dense.

Run: ``python benchmarks/bench_linear_models.py``. For CL (similar views), the MIM surrogate and
MIM reconstruction, computes every client's local optimum, the FL optimum and the DecL-global
optimum, and their representability vectors, by the dense route (``d x d`` matrices) and the
structured route (identity plus ``2N x 2N`` block), checks agreement to 1e-10, prints the times
and the ratio, then the structured time at d = 10^6.
"""

from __future__ import annotations

import time

import numpy as np

from theory import topology
from theory.frameworks import decl_global_target, fl_target
from theory.mim import mim_reconstruction_optimum
from theory.objectives import cl_alignment_matrix, family_optimum, mim_alignment_matrix
from theory.paper_model import PaperModel

N, C, P = 8, 8, 0.75


def pipeline(S, W):
    """All RVs for the three objectives; returns a list of (d,) arrays."""
    out = []
    for X in (cl_alignment_matrix(S), mim_alignment_matrix(S, P)):
        for i in range(N):
            out.append(family_optimum(X[i], C).subspace.representability())
        out.append(family_optimum(fl_target(X), C).subspace.representability())
        out.append(family_optimum(decl_global_target(X, W), C).subspace.representability())
    for i in range(N):
        out.append(mim_reconstruction_optimum(S[i], P, C).subspace.representability())
    return out


def main(d: int = 2000) -> None:
    model = PaperModel(d, N, rare_fraction=0.05, rare_classes=[2 * ((i + 3) % N) + 1 for i in range(N)])
    W = topology.mixing_matrix(topology.paper_graph(N, 4.0, rng=0), "uniform")
    t = time.perf_counter(); S_dense = model.second_moments(); dense = pipeline(S_dense, W)
    td = time.perf_counter() - t
    t = time.perf_counter(); structured = pipeline(model.structured_second_moments(), W)
    ts = time.perf_counter() - t
    err = max(np.max(np.abs(a - b)) for a, b in zip(dense, structured))
    print(f"exact optima (local x{N}, FL, DecL) for CL, MIM surrogate, MIM reconstruction; "
          f"N = {N}, c = {C}, d = {d}")
    print(f"  dense      {td:9.3f} s")
    print(f"  structured {ts:9.4f} s   speed-up x{td / ts:,.0f}")
    print(f"  max |RV dense - RV structured| = {err:.2e} ({'OK' if err <= 1e-10 else 'EXCEEDS'} 1e-10)")
    big = PaperModel(10**6, N, rare_fraction=0.05, rare_classes=[2 * ((i + 3) % N) + 1 for i in range(N)])
    t = time.perf_counter(); pipeline(big.structured_second_moments(), W)
    print(f"  structured at d = 10^6: {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
