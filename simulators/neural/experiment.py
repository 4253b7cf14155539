"""One neural experiment point (a dict of :data:`config.NEURAL_SCHEMA` keys) -> metrics.

:func:`run_point` is what ``dssl neural`` and the empirical claims call through the sweep
machinery (:func:`proofs_check.sweep.run_sweep`), which caches every finished point.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from . import require_torch


@contextmanager
def deterministic_torch(threads: int):
    """Deterministic algorithms and ``threads`` intra-op threads, restored on exit."""
    torch = require_torch()
    old_threads, old_det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield torch
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)


def build(point: dict):
    """Data, model and train config of ``point``: ``(ClientData, SSLNet, TrainConfig)``."""
    torch = require_torch()
    from .data import make_client_data
    from .models import SSLNet
    from .training import TrainConfig

    data = make_client_data(point["dataset"], point["split"], point["n_clients"],
                            alpha=point["alpha"], seed=point["seed"],
                            n_components=point["n_components"], d=point["d"],
                            separation=point["separation"], n_train=point["n_train"],
                            n_test=point["n_test"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(point["seed"])
        model = SSLNet(point["method"], point["arch"], data.input_shape, rep_dim=point["rep_dim"],
                       hidden=point["hidden"], mmd_distance=point["mmd_distance"])
    cfg = TrainConfig(rounds=point["rounds"], local_epochs=point["local_epochs"],
                      batch_size=point["batch_size"], optimizer=point["optimizer"], lr=point["lr"], momentum=point["momentum"],
                      weight_decay=point["weight_decay"], mask_ratio=point["mask_ratio"],
                      participation=point["participation"], gamma_max=point["gamma_max"],
                      gamma_min=point["gamma_min"])
    return data, model, cfg


def mixing_for(point: dict) -> tuple[np.ndarray, float]:
    """The D-PSGD mixing matrix of ``point`` and the graph's average connectivity ``|A_bar|``."""
    from theory import topology

    n, g, rng = point["n_clients"], point["graph"], np.random.default_rng([point["seed"], 41])
    if g == "paper-general":
        G = topology.paper_graph(n, point["connectivity"], "general", rng)
    elif g == "paper-uniform":
        G = topology.paper_graph(n, round(point["connectivity"]), "uniform", rng)
    elif g == "erdos-renyi":
        G = topology.erdos_renyi_graph(n, point["connectivity"], rng)
    elif g == "torus":
        side = int(round(np.sqrt(n)))
        if side * side != n:
            raise ValueError(f"graph='torus' needs a square n_clients, got {n}")
        G = topology.torus_graph(side, side)
    elif g == "hypercube":
        dim = int(round(np.log2(n)))
        if 2 ** dim != n:
            raise ValueError(f"graph='hypercube' needs n_clients a power of 2, got {n}")
        G = topology.hypercube_graph(dim)
    else:
        G = {"ring": topology.ring_graph, "path": topology.path_graph, "complete": topology.complete_graph,
             "star": topology.star_graph, "exponential": topology.exponential_graph}[g](n)
    return topology.mixing_matrix(G, point["rule"]), topology.average_connectivity(G)


def run_point(point: dict, *, progress: bool = False) -> dict:
    """Train ``point``'s method and framework and evaluate it.

    Returns ``accuracy`` (linear probe of the server / average / centralised encoder on the
    held-out test split), the relative encoder weight distances ``dist_local_global`` and
    ``dist_local_local`` of the last round (NaN for centralised), ``final_loss`` (of the last
    round that trained a client; a non-finite round loss raises ``FloatingPointError``),
    ``avg_connectivity`` (D-PSGD: the realised |A_bar|), ``steps``, ``seconds``; for a linear encoder also
    ``projector`` (the flattened row-space projector, for comparison with the closed forms) and
    ``rv``, its representability vector ``r_k = P_kk``.
    """
    from .config import check_point

    point = check_point(point)
    with deterministic_torch(point["threads"]) as torch:
        from .evaluation import linear_probe, row_space_projector, weight_distances
        from .training import train_dpsgd, train_fedavg

        start = time.perf_counter()
        data, model, cfg = build(point)
        gen = torch.Generator().manual_seed(int(point["seed"]))
        out: dict = {}
        if point["framework"] == "centralised":
            x = torch.as_tensor(np.concatenate(data.client_x))[None]
            res = train_fedavg(model, x, torch.as_tensor([x.shape[1]]), cfg, gen, progress=progress)
        else:
            xp, sizes = data.padded()
            xp, sizes = torch.as_tensor(xp), torch.as_tensor(sizes)
            if point["framework"] == "fedavg":
                res = train_fedavg(model, xp, sizes, cfg, gen, progress=progress)
            else:
                W, conn = mixing_for(point)
                out["avg_connectivity"] = conn
                res = train_dpsgd(model, xp, sizes, W, cfg, gen, progress=progress)
        trained = [v for v in res.losses if v is not None]
        if not trained:
            raise ValueError(f"no client with data was ever selected, nothing was trained: {point}")
        if not np.all(np.isfinite(trained)):
            raise FloatingPointError(f"training diverged (round losses {trained}) at {point}")
        final_loss = trained[-1]
        out["accuracy"] = linear_probe(model, res.params, data.x_train, data.y_train,
                                       data.x_test, data.y_test)
        if point["framework"] == "centralised":
            out["dist_local_global"] = out["dist_local_local"] = float("nan")
        else:
            out.update({f"dist_{k}": v for k, v in
                        weight_distances(res.client_params, res.params, res.client_sizes).items()})
        if point["arch"] == "linear":
            P = row_space_projector(res.params)
            out["projector"] = P.ravel().tolist()
            out["rv"] = np.diag(P).tolist()          # r_k = ||P e_k||^2 (docs/theory.md §1.4)
        out.update({"final_loss": final_loss, "steps": res.steps,
                    "seconds": time.perf_counter() - start})
        return out
