# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Checking a bound from another paper, from your own module
#
# Decentralised-optimisation rates depend on the spectral gap of the mixing matrix, and many
# papers lean on a worst-case bound for it. One widely used bound is for the *lazy Metropolis*
# matrix of a connected graph with n nodes (Olshevsky, *Linear time average consensus on fixed
# graphs*, 2014; restated in Nedić, Olshevsky and Rabbat, *Network topology and
# communication-computation tradeoffs in decentralized optimization*, Proc. IEEE 2018). We
# transcribe it as we read it; the point of the notebook is that a transcription error would
# show up as a failing claim:
#
# $$ W_{ij} = \frac{1}{2\max(d_i, d_j)} \text{ on edges},\quad W_{ii} = 1 - \sum_{j\ne i} W_{ij},
# \qquad 1 - \lambda_2(W) \ge \frac{1}{71\, n^2}. $$
#
# We write the bound as a claim in a module of our own, together with a tempting sharpening
# (constant 3 instead of 1/71), and let `dssl check --claims` decide both. Nothing in
# `dssl-verify` is edited. Each bound takes one call of the shorthand `bound` (lhs, rhs, the
# strategies to search); the search is steered towards the smallest slack, and a bound that
# holds reports how close the search came (docs/own-claims.md).

# %%
from pathlib import Path

MODULE = Path("lazy_metropolis_claims.py")
MODULE.write_text('''
"""Claims about the lazy Metropolis matrix (Olshevsky 2014; Nedic, Olshevsky, Rabbat 2018)."""
import networkx as nx
import numpy as np
from hypothesis import strategies as st

from proofs_check import bound
from proofs_check.engine import strategies as S


def lazy_metropolis(G):
    """W_ij = 1 / (2 max(d_i, d_j)) on edges, the rest of each row on the diagonal."""
    A = nx.to_numpy_array(G)
    deg = A.sum(axis=1)
    W = A / (2 * np.maximum(deg[:, None], deg[None, :]))
    return W + np.diag(1.0 - W.sum(axis=1))


def gap(G):
    return 1.0 - np.sort(np.linalg.eigvalsh(lazy_metropolis(G)))[-2]


LARGE = st.sampled_from([make(n) for n in (16, 32, 64) for make in (
    nx.path_graph, nx.cycle_graph, lambda n: nx.lollipop_graph(n // 2, n - n // 2),
    lambda n: nx.barbell_graph(n // 2, 0))])
OVER = {"connected graphs, n <= 14": S.connected_graphs(3, 14), "large families, n <= 64": LARGE}

bound("olshevsky.lazy-metropolis-gap", source="Olshevsky (2014); Nedic, Olshevsky, Rabbat (2018)",
      statement="1 - lambda_2 >= 1/(71 n^2) for the lazy Metropolis matrix of a connected graph",
      lhs=lambda G: 1 / (71 * G.number_of_nodes() ** 2), rhs=gap, over=OVER)
bound("olshevsky.sharper-constant", source="a tempting sharpening (not from the paper)",
      statement="1 - lambda_2 >= 3/n^2 for the lazy Metropolis matrix of a connected graph",
      lhs=lambda G: 3 / G.number_of_nodes() ** 2, rhs=gap, over=OVER)
''')
print(f"wrote {MODULE}")

# %% [markdown]
# ## Run it through the command line
# This is exactly `dssl check --claims lazy_metropolis_claims.py --only 'olshevsky.*'`; calling
# `main` keeps it inside the notebook.

# %%
import json

from proofs_check.cli import main

code = main(["check", "--claims", str(MODULE), "--only", "olshevsky.*", "--out", "report",
             "--profile", "smoke", "--quiet"])
print("exit code", code)

# %% [markdown]
# ## What the report says
# The published bound holds everywhere we looked, with a lot of room: the reason gives the
# closest approach `lhs/rhs`, far below 1. The sharper constant fails, and the report names
# the graph that breaks it, with a minimal counterexample.

# %%
report = json.loads(Path("report/report-partial.json").read_text())
for c in report["claims"]:
    print(f"{c['id']:<32} {c['verdict']:<8} {c['reason'][:110]}")
    if c["counterexample"]:
        print("   counterexample:", c["counterexample"])
assert {c["id"]: c["verdict"] for c in report["claims"]} == {
    "olshevsky.lazy-metropolis-gap": "holds", "olshevsky.sharper-constant": "fails"}

# %%
print(Path("report/report-partial.md").read_text()[:1500])
