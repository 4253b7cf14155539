"""One neural experiment point (a dict of :data:`config.NEURAL_SCHEMA` keys) -> metrics.

:func:`run_point` is what ``dssl neural`` and the empirical claims call through the sweep
machinery (:func:`proofs_check.sweep.run_sweep`), which caches every finished point.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from . import require_torch


def _deterministic(torch, mode: bool) -> None:
    setter = getattr(torch._C, "_set_deterministic_algorithms", None)   # what the public setter calls
    if setter is None:
        torch.use_deterministic_algorithms(mode)
    else:
        setter(mode)


@contextmanager
def deterministic_torch(threads: int):
    """Deterministic algorithms and ``threads`` intra-op threads for torch and for the BLAS
    that NumPy uses (the probes; BLAS round-off depends on its thread count), restored on
    exit: a point gives the same bits in any process that runs it. The flag is set as
    ``torch.use_deterministic_algorithms`` sets it, without the inductor setting that function
    also makes, whose import (``torch._inductor``, about 2 s per process) no run here needs."""
    from threadpoolctl import threadpool_limits

    torch = require_torch()
    old_threads, old_det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    _deterministic(torch, True)
    try:
        with threadpool_limits(threads):
            yield torch
    finally:
        torch.set_num_threads(old_threads)
        _deterministic(torch, old_det)


def build(point: dict, seed: int | None = None):
    """Data, model and train config of ``point`` at ``seed`` (default ``point["seed"]``):
    ``(ClientData, SSLNet, TrainConfig)``. The split and the initialisation depend on the seed
    only, so two methods at one seed share both (their encoders are built first)."""
    torch = require_torch()
    from .data import make_client_data
    from .models import SSLNet
    from .training import TrainConfig

    seed = point["seed"] if seed is None else seed
    data = make_client_data(point["dataset"], point["split"], point["n_clients"],
                            alpha=point["alpha"], seed=seed,
                            n_components=point["n_components"], d=point["d"],
                            separation=point["separation"], n_train=point["n_train"],
                            n_test=point["n_test"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SSLNet(point["method"], point["arch"], data.input_shape, rep_dim=point["rep_dim"],
                       hidden=point["hidden"], mmd_distance=point["mmd_distance"],
                       mask_channel=point["mask_channel"], target=point["mae_target"])
    cfg = TrainConfig(rounds=point["rounds"], local_epochs=point["local_epochs"],
                      batch_size=point["batch_size"], optimizer=point["optimizer"], lr=point["lr"], momentum=point["momentum"],
                      weight_decay=point["weight_decay"], mask_ratio=point["mask_ratio"],
                      participation=point["participation"], gamma_max=point["gamma_max"],
                      gamma_min=point["gamma_min"], augment=point["augment"])
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
    elif g in ("ring-lattice", "random-regular"):
        k = int(round(point["connectivity"]))
        G = topology.ring_lattice_graph(n, k) if g == "ring-lattice" else topology.random_regular_graph(n, k, rng)
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


_RAW_PROBE: dict = {}


def _data_digest(h, data) -> None:
    for arr in (data.x_train, data.y_train, data.x_test, data.y_test):
        h.update(np.ascontiguousarray(arr).tobytes())


def raw_probe(data, probe: str = "logistic") -> float:
    """Probe accuracy (``probe``: see :func:`probes`) on the raw input of ``data`` (memoised on
    the training and test arrays: MNIST-1D's are the same at every seed)."""
    import hashlib

    h = hashlib.sha256(probe.encode())
    _data_digest(h, data)
    key = h.hexdigest()
    if key not in _RAW_PROBE:
        flat = lambda x: x.reshape(1, len(x), -1)
        _RAW_PROBE[key] = float(probes(flat(data.x_train), data.y_train[None],
                                       flat(data.x_test), data.y_test[None], probe)[0])
    return _RAW_PROBE[key]


_RANDOM_PROBE: dict = {}


def random_probe(model, inits: list, datas: list, probe: str = "logistic") -> list:
    """Probe accuracies (``probe``) of ``model``'s encoder at the initial parameters ``inits``
    (one ``{name: tensor}`` per seed) on ``datas``, memoised on the encoder's structure, its
    initial weights and the data: every run of a seed block that shares the split and the
    initialisation (D-PSGD at each connectivity, FedAvg and D-PSGD, MAE and MAR) has the same
    random-encoder probe, so it is computed once per process, bit for bit the same."""
    import hashlib

    from .models import encoder_params

    h = hashlib.sha256(f"{probe}|{model.encoder!r}".encode())
    for p, data in zip(inits, datas):
        for k, v in sorted(encoder_params(p).items()):
            h.update(k.encode())
            h.update(v.detach().contiguous().numpy().tobytes())
        _data_digest(h, data)
    key = h.hexdigest()
    if key not in _RANDOM_PROBE:
        _RANDOM_PROBE[key] = encoder_probes(model, inits, datas, probe)
    return list(_RANDOM_PROBE[key])


def encoder_probes(model, params: list, datas: list, probe: str = "logistic") -> list:
    """Probe accuracies (``probe``) of ``model``'s encoder at ``params`` (one ``{name: tensor}``
    per seed), each on its seed's data: frozen features of the training and test inputs, then
    :func:`probes` over the seeds."""
    from .evaluation import features

    feats = [(features(model, p, d.x_train), features(model, p, d.x_test)) for p, d in zip(params, datas)]
    return probes(np.stack([f for f, _ in feats]), np.stack([d.y_train for d in datas]),
                  np.stack([f for _, f in feats]), np.stack([d.y_test for d in datas]), probe).tolist()


def probes(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray, y_test: np.ndarray,
           probe: str) -> np.ndarray:
    """Test accuracies ``(G,)`` of the linear probes of ``G`` feature sets ``(G, n, k)`` /
    ``(G, m, k)`` with labels ``(G, n)`` / ``(G, m)``: multinomial logistic regression (C = 1)
    on standardised features per group (``"logistic"``,
    :func:`simulators.neural.evaluation.probe_accuracy`) or the batched closed-form least squares
    (``"least-squares"``, :func:`simulators.neural.evaluation.ridge_probe`)."""
    from .evaluation import probe_accuracy, ridge_probe

    if probe == "least-squares":
        return ridge_probe(f_train, y_train, f_test, y_test)
    if probe != "logistic":
        raise ValueError(f"probe must be 'logistic' or 'least-squares', got {probe!r}")
    return np.array([probe_accuracy(a, ya, b, yb) for a, ya, b, yb in zip(f_train, y_train, f_test, y_test)])


def _stack_clients(datas: list, centralised: bool):
    """Client inputs of every seed stacked ``(G*N, n_max, *shape)`` with sizes ``(G*N,)``."""
    torch = require_torch()
    if centralised:
        xs = [np.concatenate(d.client_x)[None] for d in datas]
        sizes = [np.array([x.shape[1]]) for x in xs]
    else:
        xs, sizes = zip(*(d.padded() for d in datas))
    n_max = max(x.shape[1] for x in xs)
    out = np.zeros((sum(len(x) for x in xs), n_max, *xs[0].shape[2:]), dtype=np.float32)
    row = 0
    for x in xs:
        out[row:row + len(x), :x.shape[1]] = x
        row += len(x)
    return torch.as_tensor(out), torch.as_tensor(np.concatenate(sizes))


def run_point(point: dict, *, progress: bool = False) -> dict:
    """Train ``point``'s method and framework and evaluate it.

    Returns ``accuracy`` (linear probe, ``point["probe"]``, of the server / average / centralised
    encoder on the held-out test split), the baselines ``accuracy_random`` (the same probe on the encoder at
    its initialisation) and ``accuracy_raw`` (on the raw input), the relative encoder weight
    distances ``dist_local_global`` and ``dist_local_local`` of the last round, the global
    encoder's own travel ``dist_travel`` and the two distances divided by it (``dist_*_travel``;
    :func:`~simulators.neural.evaluation.weight_distances`; NaN for centralised), ``final_loss`` (of the last round that trained a client; a non-finite round
    loss raises ``FloatingPointError``), ``avg_connectivity`` (D-PSGD: the realised |A_bar|),
    ``steps``, ``seconds``; for a linear encoder also ``projector`` (the flattened row-space
    projector, for comparison with the closed forms) and ``rv``, its representability vector
    ``r_k = P_kk``. With ``n_seeds = k > 1`` the seeds ``seed .. seed+k-1`` train together (one
    batched step serves all their clients, :func:`simulators.neural.training.train_fedavg`) and
    every metric but ``final_loss`` (their mean), ``steps`` and ``seconds`` is a list over the seeds; the same point gives
    the same bits.
    """
    from .config import check_point

    point = check_point(point)
    seeds = [point["seed"] + i for i in range(point["n_seeds"])]
    with deterministic_torch(point["threads"]) as torch:
        from .evaluation import row_space_projector, weight_distances
        from .training import FlatLayout, train_dpsgd, train_fedavg

        start = time.perf_counter()
        built = [build(point, s) for s in seeds]
        datas = [b[0] for b in built]
        model, cfg = built[0][1], built[0][2]
        lay = FlatLayout(dict(model.named_parameters()))
        init = torch.cat([lay.flatten({k: v.detach()[None] for k, v in b[1].named_parameters()})
                          for b in built])
        gen = torch.Generator().manual_seed(int(point["seed"]))
        x, sizes = _stack_clients(datas, point["framework"] == "centralised")
        dist_keys = ("local_global", "local_local", "travel", "local_global_travel", "local_local_travel")
        per: dict = {k: [] for k in ("accuracy", "accuracy_random", "accuracy_raw",
                                     *(f"dist_{k}" for k in dist_keys))}
        if point["framework"] == "dpsgd":
            mixed = [mixing_for(dict(point, seed=s)) for s in seeds]
            per["avg_connectivity"] = [c for _, c in mixed]
            res = train_dpsgd(model, x, sizes, np.stack([W for W, _ in mixed]), cfg, gen,
                              init=init, progress=progress)
        else:
            res = train_fedavg(model, x, sizes, cfg, gen, init=init, progress=progress)
        trained = [v for v in res.losses if v is not None]
        if not trained:
            raise ValueError(f"no client with data was ever selected, nothing was trained: {point}")
        if not np.all(np.isfinite(trained)):
            raise FloatingPointError(f"training diverged (round losses {trained}) at {point}")
        G = len(seeds)
        group = (lambda t, g: t) if G == 1 else (lambda t, g: t[g])
        sizes_of = res.client_sizes if G > 1 else res.client_sizes[None]
        final = [{k: group(v, g) for k, v in res.params.items()} for g in range(G)]
        per["accuracy"] = encoder_probes(model, final, datas, point["probe"])
        per["accuracy_random"] = random_probe(model, [lay.views(p) for p in init], datas, point["probe"])
        for g, data in enumerate(datas):
            params = final[g]
            per["accuracy_raw"].append(raw_probe(data, point["probe"]))
            if point["framework"] == "centralised":
                dist = dict.fromkeys(dist_keys, float("nan"))
            else:
                dist = weight_distances({k: group(v, g) for k, v in res.client_params.items()},
                                        params, sizes_of[g], lay.views(init[g]))
            for k in dist_keys:
                per[f"dist_{k}"].append(dist[k])
            if point["arch"] == "linear":
                P = row_space_projector(params)
                per.setdefault("projector", []).append(P.ravel().tolist())
                per.setdefault("rv", []).append(np.diag(P).tolist())   # r_k = ||P e_k||^2 (docs/theory.md §1.4)
        out = {k: (v[0] if G == 1 else v) for k, v in per.items()}
        out.update({"final_loss": trained[-1], "steps": res.steps,
                    "seconds": time.perf_counter() - start})
        return out
