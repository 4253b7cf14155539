"""Training dynamics, vectorised across clients: gossip, DGD/D-PSGD and FedAvg.

All client states live in one array ``(N, ...)``; one mixing step is one matrix product
``W @ X.reshape(N, -1)`` (dense or ``scipy.sparse`` ``W``), never a loop over clients.

* :func:`gossip` — ``t`` rounds of pure averaging.
* :func:`dgd_quadratic` / :func:`fedavg_quadratic` — quadratic client losses
  ``1/2 x^T Q_i x - b_i^T x`` (e.g. the linear MIM reconstruction with an unconstrained ``A``,
  row by row), whose exact fixed points are in :mod:`theory.bounds`.
* :func:`fedavg_family` — FedAvg on the SSL losses (local steps, client sampling, size
  weights).
* :func:`dpsgd_family` — decentralised gradient descent on the SSL loss family
  ``-<W^T W, X_i> + 1/2 ||W^T W||^2`` (CL, MIM surrogate), population or minibatch gradients,
  recording consensus (through Gram matrices, rotation-invariant), the distance of the averaged
  model to a reference subspace, and the averaged model's RV. Seeded, resumable from an NPZ
  checkpoint (written atomically), with a progress bar.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sps
from tqdm import tqdm

from theory.representations import Subspace, projector_distance
from theory.validation import as_array, as_float, as_int


def _mix(W, X: np.ndarray) -> np.ndarray:
    """``(W X)_i = sum_j W_ij X_j`` for ``X`` of shape ``(N, ...)``: one (sparse) matmul."""
    flat = X.reshape(X.shape[0], -1)
    return np.asarray(W @ flat).reshape(X.shape)


def _check_W(W, n: int):
    if sps.issparse(W):
        if W.shape != (n, n):
            raise ValueError(f"W must be ({n}, {n}), got {W.shape}")
        return W.tocsr()
    W = as_array("W", W, shape=(n, n))
    if np.min(W) < -1e-12 or np.max(np.abs(W.sum(axis=1) - 1)) > 1e-9:
        raise ValueError("W must be nonnegative and row-stochastic")
    return W


def gossip(X, W, t: int) -> np.ndarray:
    """``W^t X`` by ``t`` mixing steps (``X`` ``(N, ...)``)."""
    X = as_array("X", X)
    W = _check_W(W, X.shape[0])
    for _ in range(as_int("t", t, minimum=0)):
        X = _mix(W, X)
    return X


@dataclass
class Trajectory:
    """Recorded metrics at the steps in ``steps``; ``state`` is the final client array."""

    steps: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    state: np.ndarray | None = None

    def record(self, step: int, **values) -> None:
        self.steps.append(step)
        for k, v in values.items():
            self.metrics.setdefault(k, []).append(float(v))


def _consensus(X: np.ndarray) -> float:
    return float(np.linalg.norm(X - X.mean(axis=0, keepdims=True)))


def dgd_quadratic(Q, B, W, eta: float, steps: int, X0=None, record_every: int = 1) -> Trajectory:
    """``X <- W X - eta (Q X - B)`` for ``steps`` steps; records the consensus distance."""
    Q, B = as_array("Q", Q, ndim=3), as_array("B", B, ndim=3)
    W = _check_W(W, Q.shape[0])
    eta = as_float("eta", eta, positive=True)
    X = np.zeros_like(B) if X0 is None else as_array("X0", X0, shape=B.shape).copy()
    traj = Trajectory()
    for k in range(as_int("steps", steps, minimum=0)):
        X = _mix(W, X) - eta * (np.einsum("nab,nbk->nak", Q, X) - B)
        if (k + 1) % record_every == 0:
            traj.record(k + 1, consensus=_consensus(X))
    traj.state = X
    return traj


def _fedavg_args(n: int, eta, local_steps, participation, weights):
    """Validated ``(eta, E, clients per round, weights)`` shared by the FedAvg simulators."""
    eta = as_float("eta", eta, positive=True)
    E = as_int("local_steps", local_steps, minimum=1)
    frac = as_float("participation", participation)
    if not 0 < frac <= 1:
        raise ValueError(f"participation must lie in (0, 1], got {frac}")
    s = np.full(n, 1.0 / n) if weights is None else as_array("weights", weights, shape=(n,))
    if np.any(s < 0) or s.sum() <= 0:
        raise ValueError("weights must be nonnegative with a positive sum")
    return eta, E, max(1, int(round(frac * n))), s


def fedavg_quadratic(Q, B, eta: float, local_steps: int, rounds: int, weights=None,
                     participation: float = 1.0, rng: np.random.Generator | int | None = None,
                     x0=None) -> Trajectory:
    """FedAvg on quadratics: each round the sampled clients take ``local_steps`` gradient steps
    from the server model (all clients at once), then the server averages them with ``weights``
    (client sizes; uniform by default) renormalised over the sampled clients."""
    Q, B = as_array("Q", Q, ndim=3), as_array("B", B, ndim=3)
    n = Q.shape[0]
    eta, E, m, s = _fedavg_args(n, eta, local_steps, participation, weights)
    rng = np.random.default_rng(rng)
    x = np.zeros(B.shape[1:]) if x0 is None else as_array("x0", x0, shape=B.shape[1:]).copy()
    traj = Trajectory()
    for r in range(as_int("rounds", rounds, minimum=0)):
        chosen = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        Xl = np.broadcast_to(x, (m,) + x.shape).copy()
        for _ in range(E):
            Xl -= eta * (np.einsum("nab,nbk->nak", Q[chosen], Xl) - B[chosen])
        w = s[chosen] / s[chosen].sum()
        x = np.einsum("n,nak->ak", w, Xl)
        traj.record(r + 1, drift_proxy=float(np.linalg.norm(Xl - x[None])))
    traj.state = x
    return traj


# ------------------------------------------------------------- SSL family
def family_gradients(Wc: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``2 W_i (W_i^T W_i - X_i)`` for all clients: ``Wc`` ``(N, c, d)``, ``X`` ``(N, d, d)``."""
    G = np.einsum("ncd,ned->nce", Wc, Wc)                        # W_i W_i^T
    return 2 * np.einsum("nce,ned->ncd", G, Wc) - 2 * np.einsum("ncd,nde->nce", Wc, X)


def spectral_gradients(Wc: np.ndarray, S: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Spectral contrastive gradients ``-4 W_i M_i + 4 (W_i S_i W_i^T) W_i S_i`` for all clients."""
    F = np.einsum("ncd,nde,nfe->ncf", Wc, S, Wc)                # W_i S_i W_i^T
    return -4 * np.einsum("ncd,nde->nce", Wc, M) + 4 * np.einsum("ncf,nfd,nde->nce", F, Wc, S)


def fedavg_family(X, c: int, eta: float, local_steps: int, rounds: int, *, weights=None,
                  participation: float = 1.0, rng: np.random.Generator | int | None = 0,
                  reference: Subspace | None = None, gradient: Callable | None = None,
                  init_scale: float = 0.1, progress: bool = False) -> Trajectory:
    """FedAvg on the SSL losses: each round a random ``participation`` fraction of clients starts
    from the server model, takes ``local_steps`` gradient steps (all sampled clients at once),
    and the server averages their factors with size ``weights`` renormalised over the sample
    (factors are comparable: every client starts the round from the same model).

    ``gradient(Wc, X_sampled)`` defaults to :func:`family_gradients`; pass e.g.
    ``lambda Wc, idx: spectral_gradients(Wc, S[idx], M[idx])`` style closures via ``X``.
    Records ``distance`` (server subspace to ``reference``) and ``sensitivity`` per round.
    """
    X = as_array("X", X, ndim=3)
    n, d, _ = X.shape
    c = as_int("c", c, minimum=1, maximum=d)
    eta, E, m, s = _fedavg_args(n, eta, local_steps, participation, weights)
    grad = family_gradients if gradient is None else gradient
    rng = np.random.default_rng(rng)
    server = rng.standard_normal((c, d)) * init_scale
    traj = Trajectory()
    for r in tqdm(range(as_int("rounds", rounds, minimum=0)), desc="fedavg", disable=not progress):
        idx = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
        Wl = np.broadcast_to(server, (m, c, d)).copy()
        for _ in range(E):
            Wl -= eta * grad(Wl, X[idx])
        w = s[idx] / s[idx].sum()
        server = np.einsum("n,ncd->cd", w, Wl)
        sub = _top_subspace(server.T @ server, c)
        rv = sub.representability(upto=c)
        vals = {"sensitivity": float(rv.max() - rv.min()),
                "client_spread": float(np.sqrt(np.mean(np.sum((Wl - server[None]) ** 2, axis=(1, 2)))))}
        if reference is not None and reference.dim == sub.dim:
            vals["distance"] = projector_distance(sub, reference)
        traj.record(r + 1, **vals)
    traj.state = server
    return traj


def _top_subspace(P: np.ndarray, c: int) -> Subspace:
    vals, vecs = np.linalg.eigh(P)
    keep = vals[::-1][:c] > 1e-12 * max(1.0, vals[-1])
    return Subspace(P.shape[0], vecs[:, ::-1][:, :c][:, keep])


def _write_npz_atomic(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def dpsgd_family(X, W, c: int, eta: float, steps: int, *,
                 rng: np.random.Generator | int | None = 0,
                 minibatch: Callable[[np.random.Generator], np.ndarray] | None = None,
                 reference: Subspace | None = None, record_every: int = 10,
                 checkpoint: str | Path | None = None, checkpoint_every: int = 100,
                 progress: bool = False, init_scale: float = 0.1,
                 gradient: Callable | None = None) -> Trajectory:
    """D-PSGD on the SSL loss family: local gradient step, then mixing with ``W``.

    ``gradient(Wc, target)`` defaults to :func:`family_gradients`; for the spectral contrastive
    loss pass ``lambda Wc, X: spectral_gradients(Wc, S, M)``.

    Parameters
    ----------
    X : array ``(N, d, d)``
        Client targets (population gradients) — ignored for the gradient when ``minibatch`` is
        given, which must return a fresh ``(N, d, d)`` stochastic target per step.
    W : mixing matrix ``(N, N)`` (dense or sparse).
    c, eta, steps : rank, step size, number of steps.
    reference : Subspace, optional
        E.g. the centralised optimum; records the projector distance of the averaged model.
    checkpoint : path, optional
        NPZ file; the run resumes from it when its configuration matches (same ``X``, ``W``,
        ``c``, ``eta``, seed).

    Records ``consensus`` (``sqrt((1/N) sum_i ||P_i - P_bar||_F^2)``, ``P_i = W_i^T W_i``),
    ``distance`` (to ``reference``), and ``sensitivity`` of the averaged model's RV on ``[c]``.
    All clients start from the same random ``W_0`` (scale ``init_scale``).
    """
    X = as_array("X", X, ndim=3)
    n, d, _ = X.shape
    W = _check_W(W, n)
    c = as_int("c", c, minimum=1, maximum=d)
    eta = as_float("eta", eta, positive=True)
    steps = as_int("steps", steps, minimum=0)
    seed_rng = np.random.default_rng(rng)
    h = hashlib.sha256(X.tobytes())
    h.update(np.asarray(W.todense() if sps.issparse(W) else W).tobytes())
    h.update(json.dumps([c, eta, init_scale, seed_rng.bit_generator.state], default=str).encode())
    key = h.hexdigest()
    Wc = np.broadcast_to(seed_rng.standard_normal((c, d)) * init_scale, (n, c, d)).copy()
    traj, start = Trajectory(), 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        with np.load(ckpt, allow_pickle=False) as z:
            if str(z["key"]) == key:
                Wc, start = z["state"], int(z["step"])
                seed_rng.bit_generator.state = json.loads(str(z["rng"]))
                traj = Trajectory(list(z["steps"].astype(int)),
                                  json.loads(str(z["metrics"])))
    bar = tqdm(total=steps, initial=start, desc="d-psgd", unit="step", disable=not progress)
    for k in range(start, steps):
        target = X if minibatch is None else minibatch(seed_rng)
        Wc = _mix(W, Wc - eta * (family_gradients if gradient is None else gradient)(Wc, target))
        bar.update(1)
        if (k + 1) % record_every == 0 or k + 1 == steps:
            P = np.einsum("ncd,nce->nde", Wc, Wc)
            Pbar = P.mean(axis=0)
            cons = float(np.sqrt(np.mean(np.sum((P - Pbar) ** 2, axis=(1, 2)))))
            sub = _top_subspace(Pbar, c)
            r = sub.representability(upto=c)
            vals = {"consensus": cons, "sensitivity": float(r.max() - r.min())}
            if reference is not None and reference.dim == sub.dim:
                vals["distance"] = projector_distance(sub, reference)
            traj.record(k + 1, **vals)
        if ckpt is not None and ((k + 1) % checkpoint_every == 0 or k + 1 == steps):
            _write_npz_atomic(ckpt, key=np.array(key), state=Wc, step=np.array(k + 1),
                              rng=np.array(json.dumps(seed_rng.bit_generator.state)),
                              steps=np.array(traj.steps, dtype=np.int64),
                              metrics=np.array(json.dumps(traj.metrics)))
    bar.close()
    traj.state = Wc
    return traj
