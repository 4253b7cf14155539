"""Finite-sample client data and the empirical alignment matrices the frameworks train on.

Each client ``i`` holds ``n`` i.i.d. samples; the matrices below are what a client's linear
model sees (Eqs. 2-4 with the expectation over data replaced by the client's sample mean),
stacked ``(N, d, d)`` and computed for all clients in one ``einsum``:

* ``mim-eq17``: the paper's Eq. 17, ``2p(1-p) diag(mean_j x_j^2)``;
* ``mim-surrogate``: Eq. 4 with the mask expectation exact, ``p(1-p)(S_hat - Diag S_hat)``;
* ``cl-similar``: ``1/2 mean_j (b_j a_j^T + a_j b_j^T)`` with sampled views ``a = x + xi``,
  ``b = x + xi'`` (noise variance ``noise``);
* ``cl-dissimilar``: the same with ``b = H x``;
* ``second-moment``: ``S_hat`` (the input of the exact MIM reconstruction optimum).
"""

from __future__ import annotations

import numpy as np

from theory.paper_model import PaperModel
from theory.validation import as_array, as_float, as_int

EMPIRICAL_TARGETS = ("mim-eq17", "mim-surrogate", "cl-similar", "cl-dissimilar", "second-moment")


def sample_clients(model: PaperModel, n: int, rng: np.random.Generator | int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples for every client: ``x`` ``(N, n, d)``, labels ``(N, n)``."""
    return model.sample_all(as_int("n", n, minimum=1), rng)


def empirical_target(x, kind: str, *, p: float | None = None, H=None, noise: float = 1.0,
                     rng: np.random.Generator | int | None = None) -> np.ndarray:
    """The empirical matrix of ``kind`` (module docstring) for client samples ``x`` ``(N, n, d)``."""
    x = as_array("x", x, ndim=3)
    if kind not in EMPIRICAL_TARGETS:
        raise ValueError(f"kind must be one of {EMPIRICAL_TARGETS}, got {kind!r}")
    n = x.shape[1]
    if kind in ("mim-eq17", "mim-surrogate"):
        if p is None:
            raise ValueError(f"kind {kind!r} needs the mask ratio p")
        p = as_float("p", p, open_unit_interval=True)
    if kind == "mim-eq17":
        diag = 2 * p * (1 - p) * np.mean(x**2, axis=1)              # (N, d)
        out = np.zeros(x.shape[:1] + (x.shape[2], x.shape[2]))
        idx = np.arange(x.shape[2])
        out[:, idx, idx] = diag
        return out
    if kind in ("mim-surrogate", "second-moment"):
        S = np.einsum("nia,nib->nab", x, x) / n
        if kind == "second-moment":
            return S
        idx = np.arange(x.shape[2])
        S[:, idx, idx] = 0.0
        return p * (1 - p) * S
    rng = np.random.default_rng(rng)
    sd = np.sqrt(as_float("noise", noise, positive=True))
    a = x + sd * rng.standard_normal(x.shape)
    if kind == "cl-similar":
        b = x + sd * rng.standard_normal(x.shape)
    else:
        if H is None:
            raise ValueError("kind 'cl-dissimilar' needs H (d, d)")
        H = as_array("H", H, shape=(x.shape[2], x.shape[2]))
        b = x @ H.T
    ba = np.einsum("nia,nib->nab", b, a) / n
    return (ba + np.swapaxes(ba, 1, 2)) / 2


def minibatch_sampler(model: PaperModel, batch_size: int, kind: str, *, p: float | None = None,
                      H=None, noise: float = 1.0):
    """A callable ``rng -> (N, d, d)`` drawing a fresh minibatch per client and returning its
    empirical target: the stochastic gradients of D-PSGD
    (:func:`simulators.dynamics.dpsgd_family`, argument ``minibatch``)."""
    b = as_int("batch_size", batch_size, minimum=1)
    if kind not in EMPIRICAL_TARGETS:
        raise ValueError(f"kind must be one of {EMPIRICAL_TARGETS}, got {kind!r}")

    def draw(rng: np.random.Generator) -> np.ndarray:
        x, _ = model.sample_all(b, rng)
        return empirical_target(x, kind, p=p, H=H, noise=noise, rng=rng)

    return draw
