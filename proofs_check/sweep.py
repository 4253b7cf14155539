"""``dssl sweep``: Gaussian-mixture robustness over a grid or random search of parameters.

The config format, validation and the resumable point cache are the engine's
(:mod:`proofs_check.engine.grids`); this module holds the mixture sweep's :data:`SCHEMA`, the
description of its output columns (:data:`METRICS`) and :func:`evaluate_point`. Points run in
parallel in local worker processes (:func:`proofs_check.engine.workers.forked_map`) or on a Dask cluster through joblib's ``dask`` backend.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .engine.grids import (ALL_CODE, ConfigError, check_memory, expand, load_config, run_points,
                           write_results)

MAX_SEPARATION = 1e6    # means of norm ~1e6 give moments ~1e12: far past saturation, far from overflow

MAX_COMPONENTS = 10_000

# key -> (type, default, check, description); check returns an error message or None
_POS = lambda v: None if v > 0 else "must be > 0"
_UNIT = lambda v: None if 0 < v < 1 else "must lie in (0, 1)"
SCHEMA: dict[str, tuple] = {
    "alpha": (float, 1.0, lambda v: None if v >= 1e-3 else "must be >= 1e-3 (smaller values "
              "underflow the Dirichlet sampler)", "Dirichlet concentration"),
    "split": (str, "dirichlet-class", ("iid", "dirichlet-class", "dirichlet-client", "balanced"),
              "client split convention"),
    "n_clients": (int, 8, lambda v: None if v >= 2 else "must be >= 2", "number of clients"),
    "n_components": (int, 6, lambda v: None if 2 <= v <= MAX_COMPONENTS else
                     f"must lie in [2, {MAX_COMPONENTS}] (the split and the probe loop over "
                     "components: 100000 took 11 minutes to set up)", "mixture components"),
    "d": (int, 10, lambda v: None if v >= 2 else "must be >= 2", "dimension"),
    "c": (int, 3, lambda v: None if v >= 1 else "must be >= 1", "representation rank"),
    "p": (float, 0.75, _UNIT, "mask ratio"),
    "separation": (float, 3.0, lambda v: None if 0 <= v <= MAX_SEPARATION else
                   f"must lie in [0, {MAX_SEPARATION:g}] (larger means overflow float64 in the "
                   "moments' products)", "mean separation"),
    "samples_per_class": (int, 100, lambda v: None if v >= 1 else "must be >= 1",
                          "labels per class for the split"),
    "objective": (str, "mim-reconstruction", ("mim-reconstruction", "mim-masked", "mim-surrogate",
                                              "cl-similar", "cl-dissimilar", "spectral"), "SSL objective"),
    "framework": (str, "fl", ("local", "fl", "decl"), "training framework"),
    "graph": (str, "paper-general", ("paper-general", "paper-uniform", "ring", "complete"),
              "DecL graph family"),
    "connectivity": (float, 3.5, _POS, "target |A_bar| for paper graphs"),
    "rule": (str, "uniform", ("uniform", "metropolis", "max-degree", "fmmc"), "mixing rule"),
    "route": (str, "exact", ("exact", "sampling"), "exact moments or finite samples"),
    "n_samples": (int, 2000, lambda v: None if v >= 2 else "must be >= 2",
                  "samples per client (sampling route)"),
    "probe": (bool, True, None, "compute the exact linear-probe accuracy"),
    "seed": (int, 0, lambda v: None if v >= 0 else "must be >= 0", "seed of mixture, split, graph"),
}

METRICS: dict[str, str] = {
    "distance": "mean projector distance ||P_client - P_ref||_F of the framework's subspaces to the "
                "IID (pooled) reference",
    "sensitivity": "mean sensitivity max_k r_k - min_k r_k over the first c coordinates",
    "sensitivity_reference": "sensitivity of the IID reference subspace",
    "probe_accuracy": "exact linear-probe accuracy of the framework's representation (fraction)",
    "probe_accuracy_reference": "exact linear-probe accuracy of the IID reference (fraction)",
    "probe_gap": "probe_accuracy_reference - probe_accuracy (fraction)",
    "label_heterogeneity": "mean total-variation distance of client label histograms from the global one",
    "moment_heterogeneity": "(1/N) sum_i ||S_i - S_bar||_F^2 of the exact client second moments",
    "seconds": "wall time of the evaluation (s)",
}


def memory_estimate(point: dict) -> float:
    """Bytes a mixture point needs, roughly: a few ``(N, d, d)`` stacks (moments, targets,
    eigenvectors), the mixture's ``(K, d, d)`` covariances, the ``K x samples_per_class``
    labels and the splitter's copies of them, the ``(N, K)`` weights and, on the sampling
    route, ``N x n_samples x d`` samples; with ``rule = "fmmc"`` the fastest-mixing solver's
    ``(|E|+1)^2`` Schur matrices (:func:`theory.fmmc.memory_bytes`)."""
    n, d, k = point["n_clients"], point["d"], point["n_components"]
    dense = 8.0 * 8 * n * d * d
    mixture = 8.0 * 3 * k * d * d
    labels = 8.0 * 6 * k * point["samples_per_class"]
    weights = 8.0 * 4 * n * k
    samples = 8.0 * 2 * n * point["n_samples"] * d if point["route"] == "sampling" else 0.0
    fmmc = 0.0
    if point["framework"] == "decl" and point["rule"] == "fmmc" and point["graph"] != "complete":
        from theory.fmmc import memory_bytes
        edges = n if point["graph"] == "ring" else math.ceil(n * max(point["connectivity"] - 1, 1) / 2)
        fmmc = memory_bytes(n, min(edges, n * (n - 1) // 2))
    return dense + mixture + labels + weights + samples + fmmc


def _setup(point: dict):
    """The mixture, split, mixing matrix and exact moments of ``point``, drawn exactly as
    :func:`evaluate_point` draws them: ``(gm, split, W, S_exact, M, rng)``."""
    from theory import topology
    from theory.mixture_robustness import client_moments
    from theory.mixtures import GaussianMixture
    from theory.splits import split_clients

    rng = np.random.default_rng(point["seed"])
    gm = GaussianMixture.random(point["n_components"], point["d"], separation=point["separation"], rng=rng)
    labels = np.repeat(np.arange(point["n_components"]), point["samples_per_class"])
    split = split_clients(labels, point["n_clients"], point["split"], alpha=point["alpha"], rng=rng)
    n = point["n_clients"]
    W = None
    if point["framework"] == "decl":
        g = point["graph"]
        G = (topology.paper_graph(n, point["connectivity"], "general", rng) if g == "paper-general" else
             topology.paper_graph(n, round(point["connectivity"]), "uniform", rng) if g == "paper-uniform" else
             topology.ring_graph(n) if g == "ring" else topology.complete_graph(n))
        W = topology.mixing_matrix(G, point["rule"])
    S_exact, M = client_moments(gm, split.weights)          # positives: class means, exact
    return gm, split, W, S_exact, M, rng


def check_consistency(point: dict) -> None:
    """Checks of a full point before any work (``ConfigError`` naming the keys): ``c <= d``,
    at most as many clients as labels, the memory estimate, a separation whose moments stay
    finite, then the point's own mixture, split, graph and mixing matrix, drawn as the run
    draws them (a split the Dirichlet sampler cannot make at this ``alpha``, a graph family
    that does not exist at this size: refused here, never mid-grid)."""
    if point["c"] > point["d"]:
        raise ConfigError(f"c = {point['c']} must be <= d = {point['d']}")
    labels = point["n_components"] * point["samples_per_class"]
    if point["n_clients"] > labels:
        raise ConfigError(f"n_clients = {point['n_clients']} exceeds the {labels} labels "
                          "(n_components x samples_per_class): some clients would hold no data")
    check_memory([point], memory_estimate)
    try:
        *_, S, M, _ = _setup(point)
    except ValueError as exc:
        keys = ("split", *(("alpha",) if point["split"] != "iid" else ()), "n_clients", "seed",
                *(("graph", "connectivity", "rule") if point["framework"] == "decl" else ()))
        raise ConfigError(f"{', '.join(f'{k} = {point[k]!r}' for k in keys)}: {exc}") from None
    if not (np.all(np.isfinite(S)) and np.all(np.isfinite(M))):
        raise ConfigError(f"separation = {point['separation']:g}, d = {point['d']}: the client "
                          "moments are not finite in float64")


def evaluate_point(point: dict) -> dict:
    """Metrics of one point (see :func:`theory.mixture_robustness.evaluate`)."""
    from theory.mixture_robustness import evaluate
    from theory.splits import label_heterogeneity, moment_heterogeneity

    if point["c"] > point["d"]:
        raise ConfigError(f"c = {point['c']} must be <= d = {point['d']}")
    gm, split, W, S_exact, M, rng = _setup(point)
    S = S_exact
    if point["route"] == "sampling":
        xs = [gm.sample(point["n_samples"], w, rng)[0] for w in split.weights]
        S = np.stack([x.T @ x / len(x) for x in xs])
    t = time.perf_counter()
    out = evaluate(gm, split.weights, split.sizes, point["objective"], point["framework"],
                   c=point["c"], p=point["p"], W=W, S=S, M=M, probe=point["probe"])
    out.update({"label_heterogeneity": label_heterogeneity(split.weights, split.sizes),
                "moment_heterogeneity": moment_heterogeneity(S_exact), "seconds": time.perf_counter() - t})
    return out


def run_sweep(config, out: str | Path, *, jobs: int = 1, backend: str = "local",
              scheduler: str | None = None, progress: bool = True,
              fn: Callable[[dict], dict] = evaluate_point, schema: dict = SCHEMA,
              packages: tuple[str, ...] = ALL_CODE, metrics: dict[str, str] | None = None) -> list[dict]:
    """Run (or resume) a sweep; returns all rows, in point order.

    ``fn(point) -> dict`` evaluates one point of ``schema`` (the Gaussian-mixture
    :func:`evaluate_point` by default; ``dssl neural`` passes the neural runner and schema);
    ``metrics`` describes its output columns for ``metadata.json``.

    ``backend``: ``"local"`` (``jobs`` worker processes that end with this one; ``"loky"``
    is its former name) or ``"dask"`` (joblib's Dask
    backend; ``scheduler`` is a Dask scheduler address, or ``None`` for the current client).
    """
    cfg = load_config(config, schema)
    points = expand(cfg, schema)
    if schema is SCHEMA:
        check_memory(points, memory_estimate)
        for pt in points:
            check_consistency(pt)
    out = Path(out)
    start = time.perf_counter()
    ordered, computed = run_points(points, out, fn=fn, jobs=jobs, backend=backend,
                                   scheduler=scheduler, progress=progress, desc=cfg["sweep"]["name"],
                                   packages=packages)
    write_results(out, cfg, ordered, schema, computed=computed, seconds=time.perf_counter() - start,
                  metrics=METRICS if metrics is None and schema is SCHEMA else metrics)
    return ordered
