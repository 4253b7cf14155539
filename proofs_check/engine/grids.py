"""Parameter grids: validated TOML configs, their points, and a resumable per-point cache.

The machine behind ``dssl sweep``, ``dssl neural`` and the empirical claims. A config::

    [sweep]
    name = "alpha-gap"
    kind = "grid"            # or "random" (then n_points and a [parameters] range per key)
    seed = 0

    [parameters]             # grid: lists; random: {low = , high = , log = true|false} or lists
    alpha = [0.1, 1.0, 10.0]

    [fixed]                  # everything else (defaults in the schema)
    d = 10

A *schema* maps each key to ``(type, default, check, description)``; ``check`` is ``None``, a
tuple of allowed values or a function returning an error message (or ``None``). Every point
(one value per key) is evaluated by a function ``fn(point) -> dict`` and cached as
``OUT/points/<key>.json`` (``key`` = SHA-256 of the point and of the code it depends on),
written atomically the moment it finishes: a killed run resumes with no point recomputed or
lost. :func:`write_results` writes ``OUT/results.csv`` and ``OUT/metadata.json``, which
describes every column.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from theory.validation import machine_memory, schema_value

from .registry import code_fingerprint
from .report import dumps, environment, version, write_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SWEEP_KEYS = {"name": str, "kind": str, "seed": int, "n_points": int}


class ConfigError(ValueError):
    """A sweep configuration error, raised before any work starts."""


def _check_value(key: str, value, schema: dict):
    try:
        return schema_value(key, value, schema[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def load_config(source: str | Path | dict, schema: dict) -> dict:
    """Parse and validate a config (path, TOML text or dict) against ``schema``; return it
    normalised."""
    if isinstance(source, dict):
        raw = source
    else:
        is_path = isinstance(source, Path) or Path(str(source)).exists() or str(source).endswith(".toml")
        if is_path:
            path = Path(source)
            if not path.exists():
                raise ConfigError(f"config file {str(path)!r} does not exist")
            if path.is_dir():
                raise ConfigError(f"config {str(path)!r} is a folder; give a TOML file")
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"config file {str(path)!r} is not UTF-8 text") from None
            except OSError as exc:
                raise ConfigError(f"config file {str(path)!r} cannot be read: {exc.strerror}") from None
            if not text.strip():
                raise ConfigError(f"config file {str(path)!r} is empty")
        else:
            text = str(source)
        try:
            raw = tomllib.loads(text)
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
        if k in ("seed", "n_points") and v < 0:
            raise ConfigError(f"sweep.{k}: must be >= 0, got {v}")
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
            if v.get("log", False) and lo <= 0:
                raise ConfigError(f"parameters.{k}: a log range needs low > 0, got {lo}")
            params[k] = {"low": lo, "high": hi, "log": bool(v.get("log", False))}
        else:
            raise ConfigError(f"parameters.{k}: expected a list of values"
                              + (" or a {low, high} range" if kind == "random" else ""))
    return {"sweep": sweep, "parameters": params, "fixed": fixed}


def expand(config: dict, schema: dict) -> list[dict]:
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

# "local": forked worker processes that end with their parent (``loky``, the former name, is
# accepted for it); "dask": joblib's Dask backend
BACKENDS = ("local", "loky", "dask")


def point_key(point: dict, packages: tuple[str, ...] = ALL_CODE) -> str:
    """Cache key of a point: its full configuration and the code of ``packages``."""
    return hashlib.sha256((json.dumps(point, sort_keys=True) + code_fingerprint(packages)).encode()).hexdigest()[:20]


def _run_one(point: dict, key: str, out: Path, fn: Callable) -> tuple[str, dict]:
    """Evaluate ``point`` and cache it as ``OUT/points/<key>.json``; returns ``(key, row)``. A
    point whose evaluation diverges (``FloatingPointError``) is recorded with
    ``status = "diverged"`` and the error, never as numbers, and the grid goes on; any other
    exception is a bug and propagates."""
    try:
        row = {**point, "status": "ok", **fn(point)}
    except FloatingPointError as exc:
        row = {**point, "status": "diverged", "error": str(exc)[:500]}
    write_atomic(out / "points" / f"{key}.json", dumps(row))
    return key, row


def cached_point(point: dict, out: str | Path, packages: tuple[str, ...] = ALL_CODE) -> dict | None:
    """The row :func:`run_points` has cached for ``point`` under ``out``, or ``None``."""
    return _cached_row(Path(out) / "points" / f"{point_key(point, packages)}.json", point)


def _cached_row(path: Path, point: dict) -> dict | None:
    """The cached row at ``path``, or ``None`` when there is none or it is unusable.

    An empty, truncated or foreign file (not a JSON object holding every key of ``point`` with
    the same values) is reported on stderr, naming the file, and the point is recomputed.
    """
    if not path.exists():
        return None
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        print(f"warning: cached point {path} is unreadable ({type(exc).__name__}); recomputing it",
              file=sys.stderr)
        return None
    if not isinstance(row, dict) or any(row.get(k) != v for k, v in point.items()) \
            or len(row) <= len(point):
        print(f"warning: cached point {path} does not hold this point's results; recomputing it",
              file=sys.stderr)
        return None
    return row


def run_points(points: list[dict], out: str | Path, *, fn: Callable[[dict], dict],
               jobs: int = 1, backend: str = "local",
               scheduler: str | None = None, progress: bool = True, desc: str = "points",
               packages: tuple[str, ...] = ALL_CODE) -> tuple[list[dict], int]:
    """Evaluate full ``points`` (every key of their schema), reusing ``OUT/points/<key>.json``
    (``key`` covers the point and the code of ``packages``, the packages ``fn`` depends on).

    Returns the rows in point order and the number computed now. Used by
    :func:`proofs_check.sweep.run_sweep`, ``dssl neural`` and by checks that need cached experiment points (the empirical claims).
    """
    import joblib
    from tqdm import tqdm

    out = Path(out)
    if jobs < 1:
        raise ConfigError(f"jobs must be >= 1, got {jobs}")
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {BACKENDS}, got {backend!r}")
    keys = [point_key(pt, packages) for pt in points]
    rows: dict[str, dict] = {}
    todo = []
    for key, pt in zip(keys, points):
        row = _cached_row(out / "points" / f"{key}.json", pt)
        if row is not None:
            rows[key] = row
        else:
            todo.append((key, pt))
    bar = tqdm(total=len(points), initial=len(points) - len(todo), desc=desc,
               unit="point", disable=not progress)
    if todo:
        if backend == "dask":
            from dask.distributed import Client, LocalCluster

            try:   # no scheduler given: a local cluster of ``jobs`` single-threaded workers
                client = (Client(scheduler, timeout="10s") if scheduler else
                          Client(LocalCluster(n_workers=jobs, threads_per_worker=1,
                                              dashboard_address=None)))
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"--scheduler: cannot reach the Dask scheduler {scheduler!r} "
                                  f"({type(exc).__name__}); start one or leave --scheduler out "
                                  "for a local cluster") from None
            try:
                with joblib.parallel_backend("dask"):
                    results = joblib.Parallel(return_as="generator_unordered")(
                        joblib.delayed(_run_one)(pt, key, out, fn) for key, pt in todo)
                    for key, row in results:
                        rows[key] = row
                        bar.update(1)
            finally:
                cluster = client.cluster if not scheduler else None
                client.close()
                if cluster is not None:
                    cluster.close()
        elif jobs == 1:
            for key, pt in todo:
                rows[key] = _run_one(pt, key, out, fn)[1]
                bar.update(1)
        else:
            from .workers import forked_map

            work = forked_map(lambda i: _run_one(todo[i][1], todo[i][0], out, fn), len(todo), jobs)
            with contextlib.closing(work):       # Ctrl-C or an error ends the workers at once
                for _, fut in work:
                    key, row = fut.result()
                    rows[key] = row
                    bar.update(1)
    bar.close()
    return [rows[key] for key in keys], len(todo)


def column_descriptions(schema: dict, metrics: dict[str, str]) -> dict[str, str]:
    """``{column: description}`` for a results table: the schema's keys (their descriptions,
    type and default) followed by the metric columns ``metrics`` describes."""
    out = {k: f"{spec[3]} (input; {spec[0].__name__}, default {spec[1]!r})"
           for k, spec in schema.items()}
    out.update(ROW_COLUMNS)
    out.update({k: f"{v} (output)" for k, v in metrics.items()})
    return out


# columns every results table has, whatever the grid
ROW_COLUMNS = {"status": "ok, or diverged (then the outputs are empty and error says why) (output)",
               "error": "why the point diverged, if it did (output)"}


def check_memory(points: list[dict], estimate: Callable[[dict], float], *, fraction: float = 0.8) -> None:
    """Refuse (``ConfigError``) a grid with a point whose estimated memory ``estimate(point)``
    (bytes) exceeds ``fraction`` of this machine's memory, naming the point's keys."""
    if not points:
        return
    need, worst = max((estimate(pt), i) for i, pt in enumerate(points))
    have = machine_memory()
    if need > fraction * have:
        raise ConfigError(f"a point needs about {need / 2**30:.3g} GiB, more than {fraction:.0%} of "
                          f"this machine's {have / 2**30:.3g} GiB: {points[worst]}")


def write_results(out: Path, cfg: dict, rows: list[dict], schema: dict, *, computed: int,
                  seconds: float, metrics: dict[str, str] | None = None) -> None:
    """Write ``OUT/results.csv`` (one row per point) and ``OUT/metadata.json`` atomically.

    ``metadata.json["columns"]`` describes every CSV column: inputs from ``schema``, outputs
    from ``metrics`` (``{name: description}``); an output without a description is listed as
    undocumented rather than hidden.
    """
    described = column_descriptions(schema, metrics or {})
    extra = sorted({k for r in rows for k in r} - set(schema))
    cols = list(schema) + [k for k in described if k in extra] + [k for k in extra if k not in described]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in cols})
    write_atomic(out / "results.csv", buf.getvalue())
    write_atomic(out / "metadata.json", dumps({
        "config": cfg, "seed": cfg["sweep"]["seed"], "points": len(rows), "computed_this_run": computed,
        "columns": {k: described.get(k, "undocumented output") for k in cols},
        "seconds_this_run": seconds, "dssl_verify": version(), "environment": environment()}))
