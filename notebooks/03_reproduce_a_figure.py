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
# # Reproducing one figure step by step: robustness gaps against Dirichlet alpha
#
# `dssl figures` draws `figures/gap-vs-alpha.png` from the `ext.gmm.gap-vs-alpha` evidence. Here
# the same curves are rebuilt by hand from exact moments, so every number can be traced: a
# Gaussian mixture, Dirichlet label splits at several alpha, the exact local optimum of each
# client, and its distance to the IID optimum.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from proofs_check.gallery import MARKERS, STYLE, _colour  # noqa: E402
from theory.mixture_robustness import evaluate  # noqa: E402
from theory.mixtures import GaussianMixture  # noqa: E402
from theory.splits import split_clients  # noqa: E402

# %% [markdown]
# ## Step 1: the mixture and the splits

# %%
rng = np.random.default_rng(0)
gm = GaussianMixture.random(6, 10, separation=3.0, rng=rng)
labels = np.repeat(np.arange(6), 100)
alphas = [0.05, 0.2, 1.0, 5.0, 50.0]
splits = {a: split_clients(labels, 8, "dirichlet-class", alpha=a, rng=np.random.default_rng(1)) for a in alphas}
print({a: np.round(s.weights[0], 2).tolist() for a, s in list(splits.items())[:2]})

# %% [markdown]
# ## Step 2: exact local optima and their distance to the IID optimum

# %%
gaps = {}
for obj in ("mim-reconstruction", "cl-similar", "mim-surrogate"):
    gaps[obj] = [evaluate(gm, splits[a].weights, splits[a].sizes, obj, "local", c=3, probe=False)["distance"]
                 for a in alphas]
    print(obj, np.round(gaps[obj], 4))

# %% [markdown]
# ## Step 3: the figure, in the shared style

# %%
with plt.rc_context(STYLE):
    fig, ax = plt.subplots(figsize=(3.4, 2.4))
    for obj, g in gaps.items():
        ax.loglog(alphas, np.maximum(g, 1e-15), marker=MARKERS[obj], color=_colour(obj), label=obj)
    ax.set(xlabel="Dirichlet alpha", ylabel="distance to the IID representation", title="local, exact moments")
    ax.legend()
    fig.tight_layout()
    fig.savefig("gap-vs-alpha-by-hand.png")
print("saved gap-vs-alpha-by-hand.png")
