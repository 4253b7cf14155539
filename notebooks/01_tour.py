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
# # A tour of dssl-verify
#
# The toolkit checks the theory of distributed self-supervised learning under non-IID data.
# This tour walks the layers in the order data flows: `theory` (closed forms, exact moments,
# topology, bounds), `simulators` (sampling and training dynamics) and `proofs_check` (claims
# and verdicts). It runs in well under a minute on a laptop CPU.

# %%
import numpy as np

from theory import topology
from theory.frameworks import decl_targets, fl_target
from theory.objectives import cl_alignment_matrix, family_optimum
from theory.paper_model import PaperModel

# %% [markdown]
# ## 1. The paper's data model and its exact moments
# `PaperModel` is the label-skew model of the paper (Section 1.2 of `docs/theory.md`); its client
# second moments are exact closed forms, never estimated.

# %%
model = PaperModel(d=40, n_clients=4)
S = model.second_moments()          # (N, d, d), exact
print(model)
print("client second moments:", S.shape, "trace of client 0:", round(float(np.trace(S[0])), 3))

# %% [markdown]
# ## 2. A network, its mixing matrix and spectral gap

# %%
G = topology.paper_graph(4, 2.5, "general", rng=0)
W = topology.mixing_matrix(G, "metropolis")
print("degrees |A_i|:", topology.connectivities(G), " |A_bar| =", topology.average_connectivity(G))
print("SLEM rho =", round(topology.slem(W), 4), " spectral gap =", round(topology.spectral_gap(W), 4))

# %% [markdown]
# ## 3. Closed-form representations: local, DecL (t gossip rounds) and FL
# For the contrastive objective with similar views the alignment matrix is the second moment;
# the optimum's row space is the top-c eigenspace, and its representability vector
# `r_k = ||P e_k||^2` says how well coordinate k is represented.

# %%
c = 2 * model.n_clients
X = cl_alignment_matrix(S)
local = [family_optimum(X[i], c).subspace.representability() for i in range(4)]
fl = family_optimum(fl_target(X), c).subspace.representability()
decl = family_optimum(decl_targets(X, W, t=1)[0], c).subspace.representability()
print("first 2N coordinates, r_k of client 0 (local):", np.round(local[0][:c], 3))
print("                        r_k of client 0 (DecL):", np.round(decl[:c], 3))
print("                                  r_k (FL)    :", np.round(fl[:c], 3))

# %% [markdown]
# ## 4. A claim, checked from the definitions
# Every claim of the paper has a fixed ID; its verdict is computed from evidence, never written
# down. The smoke profile is tiny and only shows the mechanics.

# %%
from proofs_check.claims import paper_checks  # noqa: F401  (registers the checks)
from proofs_check.engine.registry import REGISTRY, CheckContext, run_claim

res = run_claim(REGISTRY.get("paper.eq28-30.degree-averaging"), CheckContext("smoke"))
print(res.id, "->", res.verdict.status)
print(res.verdict.reason[:300])
