"""Checks of mixing-matrix facts (claims ``ext.topology.*``)."""

from __future__ import annotations

import numpy as np

from theory import topology

from ..engine.registry import REGISTRY, CheckContext, Evidence


def _graphs(ctx: CheckContext):
    rng = ctx.rng(10)
    sizes = {"smoke": (8,), "quick": (8, 12, 16), "full": (8, 12, 16, 24, 32)}[ctx.profile]
    for n in sizes:
        for kind, c in (("general", 3.5), ("uniform", 4)):
            seed = int(rng.integers(2**31))
            yield {"n": n, "kind": kind, "connectivity": c, "seed": seed}, \
                topology.paper_graph(n, c, kind, seed)


@REGISTRY.claim(
    "ext.topology.fmmc-fastest", source="Boyd, Diaconis, Xiao (2004)",
    statement="The fastest-mixing weights (SDP, cvxpy) have SLEM no larger than the Metropolis "
              "and max-degree weights on the same graph",
)
def _fmmc(ctx: CheckContext) -> list[Evidence]:
    out = []
    for params, G in _graphs(ctx):
        W, info = topology.fastest_mixing_matrix(G)
        m = topology.slem(topology.mixing_matrix(G, "metropolis"))
        x = topology.slem(topology.mixing_matrix(G, "max-degree"))
        ok = info["slem"] <= min(m, x) + 1e-6
        out.append(Evidence(
            "numerical", f"{params['kind']} n={params['n']}: SLEM fmmc {info['slem']:.4f}, "
            f"metropolis {m:.4f}, max-degree {x:.4f}", passed=ok,
            numbers={"slem_fmmc": info["slem"], "slem_fmmc_solver": info["slem_solver"],
                     "slem_metropolis": m, "slem_max_degree": x}, params=params))
    return out


@REGISTRY.claim(
    "ext.topology.uniform-stationary", source="docs/theory.md §4 (mixing matrices)",
    statement="The paper's uniform rule W_ij = 1/|A_i| has stationary law pi_i = |A_i| / sum_j |A_j| "
              "(not uniform unless the graph is regular)",
    latex=r"\pi^\top W = \pi^\top,\ \pi_i = |A_i| / \textstyle\sum_j |A_j|",
)
def _stationary(ctx: CheckContext) -> list[Evidence]:
    out = []
    for params, G in _graphs(ctx):
        pi = topology.stationary_distribution(topology.mixing_matrix(G, "uniform"))
        a = topology.connectivities(G)
        err = float(np.max(np.abs(pi - a / a.sum())))
        out.append(Evidence("numerical", f"{params['kind']} n={params['n']}: max |pi - A/sum A| "
                            f"= {err:.1e}", passed=err < 1e-10, numbers={"max_abs_error": err},
                            params=params))
    return out
