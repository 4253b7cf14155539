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
# # Checking your own bound with the hypothesis strategies
#
# Suppose a paper states a bound. Before building on it, property-test it: draw valid inputs
# (connected graphs, mixing matrices, SPD matrices, Gaussian mixtures, Dirichlet splits) from
# `proofs_check.engine.strategies`, and let hypothesis search for and shrink a counterexample.

# %%
import numpy as np

from proofs_check.engine import strategies as S
from proofs_check.engine.search import find_counterexample
from theory import topology

# %% [markdown]
# ## A true bound: consensus contraction
# For a symmetric doubly stochastic `W`, `||W^t - 11^T/N||_2 = rho^t` exactly. The search finds
# no violation of `<=`.

# %%
def contraction_holds(pair):
    G, rule = pair
    W = topology.mixing_matrix(G, rule)
    rho = topology.slem(W)
    n = W.shape[0]
    return np.linalg.norm(np.linalg.matrix_power(W, 5) - np.ones((n, n)) / n, 2) <= rho ** 5 + 1e-12


from hypothesis import strategies as st  # noqa: E402

pairs = st.tuples(S.connected_graphs(max_nodes=9), st.sampled_from(["metropolis", "max-degree"]))
print("counterexample:", find_counterexample(contraction_holds, pairs, max_examples=60))

# %% [markdown]
# ## A plausible but false bound
# "The spectral gap of the Metropolis weights is at least 1/N" sounds reasonable. Hypothesis
# finds a graph where it fails and shrinks it to a small one.

# %%
def gap_at_least_one_over_n(G):
    W = topology.mixing_matrix(G, "metropolis")
    return topology.spectral_gap(W) >= 1.0 / G.number_of_nodes() - 1e-12   # 1e-12: round-off


cex = find_counterexample(gap_at_least_one_over_n, S.connected_graphs(max_nodes=12), max_examples=200)
if cex is None:
    print("no counterexample in 200 draws")
else:
    W = topology.mixing_matrix(cex, "metropolis")
    print(f"counterexample: {cex.number_of_nodes()} nodes, edges {sorted(cex.edges())}; "
          f"gap {topology.spectral_gap(W):.4f} < 1/N = {1 / cex.number_of_nodes():.4f}")

# %% [markdown]
# ## Register it as a claim
# A registered claim appears in `dssl check` with a computed verdict; the evidence carries the
# counterexample so anyone can re-run it.

# %%
from proofs_check.engine.registry import Evidence, Registry, CheckContext, run_claim  # noqa: E402

mine = Registry()


@mine.claim("my.metropolis-gap", source="my notes", statement="Metropolis gap >= 1/N on connected graphs")
def _(ctx):
    c = find_counterexample(gap_at_least_one_over_n, S.connected_graphs(max_nodes=12), max_examples=200)
    return Evidence("numerical", "hypothesis search over connected graphs up to 12 nodes",
                    passed=c is None,
                    counterexample=None if c is None else {"edges": sorted(c.edges())})


result = run_claim(mine.get("my.metropolis-gap"), CheckContext("quick"))
print(result.verdict.status, result.verdict.counterexample)
