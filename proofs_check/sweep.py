"""Parameter sweeps: a TOML config, a validated grid or random search, cached resumable points.

A config::

    [sweep]
    name = "alpha-gap"
    kind = "grid"            # or "random" (then n_points and a [parameters] range per key)
    seed = 0

    [parameters]             # grid: lists; random: {low = , high = , log = true|false} or lists
    alpha = [0.1, 1.0, 10.0]
    objective = ["mim-reconstruction", "cl-similar"]

    [fixed]                  # everything else (defaults in SCHEMA)
    d = 10

Every point (one value per key) is evaluated by :func:`evaluate_point` and cached as
``OUT/points/<key>.json`` (``key`` = SHA-256 of the point's full configuration and the toolkit's
code), written atomically the moment it finishes: a killed sweep resumes with no point
recomputed or lost. ``OUT/results.csv`` (one row per point) and ``OUT/metadata.json`` (config,
seed, versions, timings) are rewritten atomically at the end. Points run in parallel with
joblib (loky processes) or on a Dask cluster through joblib's ``dask`` backend.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from theory.validation import schema_value

from .registry import code_fingerprint
from .report import dumps, environment, version, write_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# key -> (type, default, check, description); check returns an error message or None
_POS = lambda v: None if v > 0 else "must be > 0"
_UNIT = lambda v: None if 0 < v < 1 else "must lie in (0, 1)"
SCHEMA: dict[str, tuple] = {
    "alpha": (float, 1.0, _POS, "Dirichlet concentration"),
    "split": (str, "dirichlet-class", ("iid", "dirichlet-class", "dirichlet-client", "balanced"),
              "client split convention"),
    "n_clients": (int, 8, lambda v: None if v >= 2 else "must be >= 2", "number of clients"),
    "n_components": (int, 6, lambda v: None if v >= 2 else "must be >= 2", "mixture components"),
    "d": (int, 10, lambda v: None if v >= 2 else "must be >= 2", "dimension"),
    "c": (int, 3, lambda v: None if v >= 1 else "must be >= 1", "representation rank"),
    "p": (float, 0.75, _UNIT, "mask ratio"),
    "separation": (float, 3.0, lambda v: None if v >= 0 else "must be >= 0", "mean separation"),
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
SWEEP_KEYS = {"name": str, "kind": str, "seed": int, "n_points": int}


class ConfigError(ValueError):
    """A sweep configuration error, raised before any work starts."""


def _check_value(key: str, value, schema: dict = SCHEMA):
    try:
        return schema_value(key, value, schema[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def load_config(source: str | Path | dict, schema: dict = SCHEMA) -> dict:
    """Parse and validate a config (path, TOML text or dict) against ``schema`` (default: the
    Gaussian-mixture :data:`SCHEMA`); return it normalised."""
    if isinstance(source, dict):
        raw = source
    else:
        path = Path(source)
        try:
            raw = tomllib.loads(path.read_text() if path.exists() else str(source))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config is not valid TOML: {exc}") from None
    unknown = set(raw) - {"sweep", "parameters", "fixed"}
    if unknown:
        raise ConfigError(f"unknown section(s) {sorted(unknown)}; allowed: sweep, parameters, fixed")
    sweep = dict(raw.get("sweep", {}))
    for k, v in sweep.items():
        if k not in SWEEP_KEYS:
            raise ConfigError(f"sweep.{k}: unknown key; allowed: {sorted(SWEEP_KEYS)}")
        if not isinstance(v, SWEEP_KEYS[k]) or isinstance(v, bool):
            raise ConfigError(f"sweep.{k}: expected {SWEEP_KEYS[k].__name__}, got {v!r}")
    kind = sweep.setdefault("kind", "grid")
    if kind not in ("grid", "random"):
        raise ConfigError(f"sweep.kind: {kind!r} is not allowed; allowed values: ['grid', 'random']")
    sweep.setdefault("name", "sweep")
    sweep.setdefault("seed", 0)
    if kind == "random" and sweep.get("n_points", 0) < 1:
        raise ConfigError("sweep.n_points: a random sweep needs n_points >= 1")
    params, fixed = dict(raw.get("parameters", {})), dict(raw.get("fixed", {}))
    for section, table in (("parameters", params), ("fixed", fixed)):
        for k in table:
            if k not in schema:
                raise ConfigError(f"{section}.{k}: unknown key; allowed: {sorted(schema)}")
    both = set(params) & set(fixed)
    if both:
        raise ConfigError(f"{sorted(both)} appear in both [parameters] and [fixed]")
    for k, v in fixed.items():
        fixed[k] = _check_value(k, v, schema)
    for k, v in params.items():
        if isinstance(v, list):
            if not v:
                raise ConfigError(f"parameters.{k}: empty list")
            params[k] = [_check_value(k, x, schema) for x in v]
        elif isinstance(v, dict) and kind == "random":
            if set(v) - {"low", "high", "log"} or not {"low", "high"} <= set(v):
                raise ConfigError(f"parameters.{k}: a range needs low, high (and optional log)")
            if schema[k][0] not in (int, float):
                raise ConfigError(f"parameters.{k}: ranges are only for numeric keys")
            lo, hi = _check_value(k, v["low"], schema), _check_value(k, v["high"], schema)
            if not lo < hi:
                raise ConfigError(f"parameters.{k}: low must be < high")
            params[k] = {"low": lo, "high": hi, "log": bool(v.get("log", False))}
        else:
            raise ConfigError(f"parameters.{k}: expected a list of values"
                              + (" or a {low, high} range" if kind == "random" else ""))
    return {"sweep": sweep, "parameters": params, "fixed": fixed}


def expand(config: dict, schema: dict = SCHEMA) -> list[dict]:
    """All points of a validated config: full parameter dicts (defaults filled in)."""
    base = {k: spec[1] for k, spec in schema.items()}
    base.update(config["fixed"])
    params = config["parameters"]
    if config["sweep"]["kind"] == "grid":
        keys = sorted(params)
        combos = itertools.product(*(params[k] for k in keys)) if keys else [()]
        return [{**base, **dict(zip(keys, combo))} for combo in combos]
    rng = np.random.default_rng(config["sweep"]["seed"])
    points = []
    for _ in range(config["sweep"]["n_points"]):
        pt = dict(base)
        for k in sorted(params):
            v = params[k]
            if isinstance(v, list):
                pt[k] = v[int(rng.integers(len(v)))]
            else:
                lo, hi = v["low"], v["high"]
                x = math.exp(rng.uniform(math.log(lo), math.log(hi))) if v["log"] else rng.uniform(lo, hi)
                pt[k] = int(round(x)) if schema[k][0] is int else float(x)
        points.append(pt)
    return points


ALL_CODE = ("theory", "simulators", "proofs_check")


def point_key(point: dict, packages: tuple[str, ...] = ALL_CODE) -> str:
    """Cache key of a point: its full configuration and the code of ``packages``."""
    return hashlib.sha256((json.dumps(point, sort_keys=True) + code_fingerprint(packages)).encode()).hexdigest()[:20]


# ------------------------------------------------------------- one point
def evaluate_point(point: dict) -> dict:
    """Metrics of one point (see :func:`theory.mixture_robustness.evaluate`)."""
    from theory import topology
    from theory.mixture_robustness import client_moments, evaluate
    from theory.mixtures import GaussianMixture
    from theory.splits import label_heterogeneity, moment_heterogeneity, split_clients

    if point["c"] > point["d"]:
        raise ConfigError(f"c = {point['c']} must be <= d = {point['d']}")
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


def _run_one(point: dict, out: Path, fn: Callable, packages: tuple[str, ...] = ALL_CODE) -> dict:
    row = {**point, **fn(point)}
    write_atomic(out / "points" / f"{point_key(point, packages)}.json", dumps(row))
    return row


def run_sweep(config, out: str | Path, *, jobs: int = 1, backend: str = "loky",
              scheduler: str | None = None, progress: bool = True,
              fn: Callable[[dict], dict] = evaluate_point, schema: dict = SCHEMA,
              packages: tuple[str, ...] = ALL_CODE) -> list[dict]:
    """Run (or resume) a sweep; returns all rows, in point order.

    ``fn(point) -> dict`` evaluates one point of ``schema`` (the Gaussian-mixture
    :func:`evaluate_point` by default; ``dssl neural`` passes the neural runner and schema).

    ``backend``: ``"loky"`` (local processes, ``jobs`` workers) or ``"dask"`` (joblib's Dask
    backend; ``scheduler`` is a Dask scheduler address, or ``None`` for the current client).
    """
    cfg = load_config(config, schema)
    points = expand(cfg, schema)
    out = Path(out)
    start = time.perf_counter()
    ordered, computed = run_points(points, out, fn=fn, schema=schema, jobs=jobs, backend=backend,
                                   scheduler=scheduler, progress=progress, desc=cfg["sweep"]["name"],
                                   packages=packages)
    _write_results(out, cfg, ordered, schema, computed=computed, seconds=time.perf_counter() - start)
    return ordered


def run_points(points: list[dict], out: str | Path, *, fn: Callable[[dict], dict] = evaluate_point,
               schema: dict = SCHEMA, jobs: int = 1, backend: str = "loky",
               scheduler: str | None = None, progress: bool = True, desc: str = "points",
               packages: tuple[str, ...] = ALL_CODE) -> tuple[list[dict], int]:
    """Evaluate full ``points`` (every key of ``schema``), reusing ``OUT/points/<key>.json``
    (``key`` covers the point and the code of ``packages``, the packages ``fn`` depends on).

    Returns the rows in point order and the number computed now. Used by :func:`run_sweep` and
    by checks that need cached experiment points (the empirical claims).
    """
    import joblib
    from tqdm import tqdm

    out = Path(out)
    if jobs < 1:
        raise ConfigError(f"jobs must be >= 1, got {jobs}")
    if backend not in ("loky", "dask"):
        raise ConfigError(f"backend must be 'loky' or 'dask', got {backend!r}")
    rows: dict[str, dict] = {}
    todo = []
    for pt in points:
        f = out / "points" / f"{point_key(pt, packages)}.json"
        if f.exists():
            rows[point_key(pt, packages)] = json.loads(f.read_text())
        else:
            todo.append(pt)
    bar = tqdm(total=len(points), initial=len(points) - len(todo), desc=desc,
               unit="point", disable=not progress)
    if todo:
        if backend == "dask":
            from dask.distributed import Client

            client = Client(scheduler) if scheduler else None
            try:
                with joblib.parallel_backend("dask"):
                    results = joblib.Parallel(return_as="generator_unordered")(
                        joblib.delayed(_run_one)(pt, out, fn, packages) for pt in todo)
                    for row in results:
                        rows[point_key({k: row[k] for k in schema}, packages)] = row
                        bar.update(1)
            finally:
                if client is not None:
                    client.close()
        elif jobs == 1:
            for pt in todo:
                rows[point_key(pt, packages)] = _run_one(pt, out, fn, packages)
                bar.update(1)
        else:
            results = joblib.Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
                joblib.delayed(_run_one)(pt, out, fn, packages) for pt in todo)
            for row in results:
                rows[point_key({k: row[k] for k in schema}, packages)] = row
                bar.update(1)
    bar.close()
    return [rows[point_key(pt, packages)] for pt in points], len(todo)


def _write_results(out: Path, cfg: dict, rows: list[dict], schema: dict, *, computed: int,
                   seconds: float) -> None:
    cols = list(schema) + sorted({k for r in rows for k in r} - set(schema))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in cols})
    write_atomic(out / "results.csv", buf.getvalue())
    write_atomic(out / "metadata.json", dumps({
        "config": cfg, "seed": cfg["sweep"]["seed"], "points": len(rows), "computed_this_run": computed,
        "seconds_this_run": seconds, "dssl_verify": version(), "environment": environment()}))
