"""Benchmark: fastest-mixing weights by the structure-exploiting interior-point method
(``theory.fmmc``) against the generic SDP through cvxpy + Clarabel (issue 28), on random
geometric graphs (radius 1.5x the connectivity threshold), Erdős–Rényi graphs (mean degree
2 ln N) and square 2-D grids, same process, ratios printed, with each IPM solution's certified
duality gap and its SLEM's distance from the oracle's.

The oracle runs up to ``--sdp-max`` nodes (it takes minutes at N = 100). Each graph is drawn
connected with exactly N nodes (grids: the nearest square). One solve per cell (the IPM is
deterministic; the timing covers the whole :func:`theory.topology.fastest_mixing_matrix` call).

Run: ``python benchmarks/bench_fmmc.py [--sizes 50 100 200 500 1000] [--families rgg er grid]
[--sdp-max 100] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import networkx as nx
import numpy as np

from theory import topology


def draw(family: str, n: int, seed: int = 0) -> nx.Graph:
    if family == "grid":
        k = max(2, round(math.sqrt(n)))
        return nx.convert_node_labels_to_integers(nx.grid_2d_graph(k, k))
    if family == "er":
        return topology.erdos_renyi_graph(n, 1 + 2 * math.log(n), seed)
    r = 1.5 * math.sqrt(math.log(n) / (math.pi * n))
    for s in range(seed, seed + 1000):
        G = nx.random_geometric_graph(n, r, seed=s)
        if nx.is_connected(G):
            return nx.convert_node_labels_to_integers(G)
    raise RuntimeError(f"no connected random geometric graph on {n} nodes in 1000 draws")


def solve(G, method):
    topology._FMMC_CACHE.clear()
    t = time.perf_counter()
    # the oracle with Clarabel's own thread count (the toolkit's default is one; the IPM ignores it)
    _, info = topology.fastest_mixing_matrix(G, method=method, solver_threads=0)
    return time.perf_counter() - t, info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 500, 1000])
    ap.add_argument("--families", nargs="+", default=["rgg", "er", "grid"], choices=["rgg", "er", "grid"])
    ap.add_argument("--sdp-max", type=int, default=100, help="largest N the cvxpy oracle runs at")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'graph':>5} {'N':>5} {'|E|':>6} {'IPM s':>8} {'iters':>5} {'gap':>8} {'SLEM':>12} "
          f"{'SDP s':>8} {'|dSLEM|':>8} {'ratio':>7}", flush=True)
    for n in args.sizes:
        for fam in args.families:
            G = draw(fam, n)
            t_ipm, ipm = solve(G, "ipm")
            row = {"family": fam, "n": G.number_of_nodes(), "edges": G.number_of_edges(),
                   "ipm_seconds": t_ipm, "iterations": ipm.get("iterations"), "gap": ipm["gap"],
                   "status": ipm["status"], "slem": ipm["slem"]}
            sdp_txt = f"{'-':>8} {'-':>8} {'-':>7}"
            if G.number_of_nodes() <= args.sdp_max:
                t_sdp, sdp = solve(G, "sdp")
                row.update(sdp_seconds=t_sdp, slem_sdp=sdp["slem"], ratio=t_sdp / t_ipm,
                           slem_diff=abs(sdp["slem"] - ipm["slem"]))
                sdp_txt = f"{t_sdp:8.2f} {row['slem_diff']:8.1e} {row['ratio']:7.1f}"
            rows.append(row)
            print(f"{fam:>5} {row['n']:5d} {row['edges']:6d} {t_ipm:8.2f} {row['iterations']:5d} "
                  f"{row['gap']:8.1e} {row['slem']:12.9f} {sdp_txt}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
