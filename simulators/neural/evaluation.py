"""Evaluation of trained encoders: linear probes, weight distances, representability.

The runs' probe (``probe`` key) is :func:`probe_accuracy`, multinomial logistic regression on
standardised features (the default since issue 26: least squares understates accuracy more the
better the features are, ESL §4.2 "masking", which distorts differences of drops), or the
closed-form least-squares probe :func:`ridge_probe` (exact, batched over seeds)."""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call

from .models import encoder_params


def features(model, params: dict, x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Frozen encoder features ``(n, rep_dim)`` of inputs ``x`` (float64)."""
    enc = encoder_params(params)
    with torch.no_grad():
        out = [functional_call(model.encoder, enc, (torch.as_tensor(x[i:i + batch]),))
               for i in range(0, len(x), batch)]
    return torch.cat(out).double().numpy()


def probe_accuracy(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray, y_test: np.ndarray,
                   *, C: float = 1.0) -> float:
    """Test accuracy of a multinomial logistic regression (L-BFGS, inverse regularisation ``C``)
    fitted on standardised features ``(n, k)`` (any input flattened: raw signals too)."""
    from sklearn.linear_model import LogisticRegression

    ftr = np.asarray(f_train, dtype=np.float64).reshape(len(f_train), -1)
    fte = np.asarray(f_test, dtype=np.float64).reshape(len(f_test), -1)
    mu, sd = ftr.mean(0), ftr.std(0)
    sd[sd < 1e-12] = 1.0
    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit((ftr - mu) / sd, y_train)
    return float(clf.score((fte - mu) / sd, y_test))


RIDGE = 1e-3      # the least-squares probe's ridge per training sample


def ridge_probe(f_train, y_train, f_test, y_test, *, ridge: float = RIDGE) -> np.ndarray:
    """Test accuracies ``(G,)`` of ``G`` least-squares linear probes at once (float64, closed form):
    features ``(G, n, k)`` / ``(G, m, k)``, labels ``(n,)`` / ``(m,)`` (shared) or ``(G, n)`` /
    ``(G, m)``.

    Each group standardises its features by their training mean and s.d. (``A``), regresses
    the one-hot labels ``Y`` with an unpenalised intercept and ridge ``ridge * n``,
    ``B = (A^T A + ridge n I)^{-1} A^T Y``, and predicts ``argmax(A_test B + mean(Y))``: the
    predictions of scikit-learn's ``RidgeClassifier(alpha=ridge * n)`` on the standardised
    features (its +-1 targets are an affine map of ``Y``; a test checks equality). Exact and
    batched, so the probe of a seed block costs one solve, where a logistic regression per
    seed costs a fraction of a second to seconds (:func:`probe_accuracy`).
    """
    ftr = np.asarray(f_train, dtype=np.float64)
    fte = np.asarray(f_test, dtype=np.float64)
    if ftr.ndim != 3 or fte.ndim != 3 or ftr.shape[0] != fte.shape[0] or ftr.shape[2] != fte.shape[2]:
        raise ValueError(f"features must be (G, n, k) and (G, m, k), got {ftr.shape} and {fte.shape}")
    G, n, k = ftr.shape
    ytr = np.broadcast_to(np.asarray(y_train), (G, n))
    yte = np.broadcast_to(np.asarray(y_test), (G, fte.shape[1]))
    n_cls = int(max(ytr.max(), yte.max())) + 1
    mu, sd = ftr.mean(1, keepdims=True), ftr.std(1, keepdims=True)
    sd = np.where(sd < 1e-12, 1.0, sd)
    A, At = (ftr - mu) / sd, (fte - mu) / sd
    Y = np.eye(n_cls)[ytr]                                          # (G, n, K)
    gram = np.einsum("gni,gnj->gij", A, A) + ridge * n * np.eye(k)
    B = np.linalg.solve(gram, np.einsum("gni,gnc->gic", A, Y))
    scores = At @ B + Y.mean(1, keepdims=True)
    return (scores.argmax(-1) == yte).mean(1)


def _flat(params: dict, stacked: bool) -> torch.Tensor:
    enc = encoder_params(params)
    if stacked:
        return torch.cat([v.reshape(v.shape[0], -1) for v in enc.values()], dim=1).double()
    return torch.cat([v.reshape(-1) for v in enc.values()]).double()


def weight_distances(client_params: dict, global_params: dict, sizes, init_params: dict | None = None) -> dict:
    """Encoder weight distances relative to the global encoder's norm (paper Table 5):

    ``local_global`` = mean over clients with data of ``||theta_i - theta_g|| / ||theta_g||``;
    ``local_local`` = mean over pairs of such clients of ``||theta_i - theta_j|| / ||theta_g||``.
    With ``init_params`` (the encoder at initialisation) also the method's own travel
    ``travel = ||theta_g - theta_0|| / ||theta_g||`` and both distances divided by it,
    ``local_global_travel`` and ``local_local_travel`` (``||theta_i - theta_g|| /
    ||theta_g - theta_0||``: free of each loss's gradient scale, NEURAL-REVIEW §10).
    """
    keys = ("local_global", "local_local") + (("travel", "local_global_travel", "local_local_travel")
                                               if init_params is not None else ())
    keep = torch.as_tensor(np.asarray(sizes) > 0)
    if not bool(keep.any()):
        return dict.fromkeys(keys, float("nan"))
    loc = _flat(client_params, True)[keep]
    g = _flat(global_params, False)
    norm = float(g.norm())
    lg = float((loc - g).norm(dim=1).mean()) / norm
    if loc.shape[0] > 1:
        d = torch.cdist(loc, loc)
        iu = torch.triu_indices(len(loc), len(loc), 1)
        ll = float(d[iu[0], iu[1]].mean()) / norm
    else:
        ll = 0.0
    out = {"local_global": lg, "local_local": ll}
    if init_params is not None:
        travel = float((g - _flat(init_params, False)).norm()) / norm
        out["travel"] = travel
        out["local_global_travel"] = lg / travel if travel > 0 else float("nan")
        out["local_local_travel"] = ll / travel if travel > 0 else float("nan")
    return out


def row_space_projector(params: dict) -> np.ndarray:
    """Projector ``(D, D)`` on the row space of a linear encoder's weight ``(rep_dim, D)``."""
    enc = encoder_params(params)
    if len(enc) != 1:
        raise ValueError("row_space_projector needs a linear (one-layer, bias-free) encoder")
    w = next(iter(enc.values())).double().numpy()
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    r = int((s > s[0] * 1e-8).sum()) if s.size and s[0] > 0 else 0
    return vt[:r].T @ vt[:r]
