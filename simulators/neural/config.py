"""The schema of one neural experiment point (used by ``dssl neural`` and the empirical claims).

Each key maps to ``(type, default, check, description)`` in the format of
:data:`proofs_check.sweep.SCHEMA` (the grid format of :mod:`proofs_check.engine.grids`); ``check`` is a tuple of allowed values, a callable returning
an error message or ``None``, or ``None``. This module imports neither torch nor scikit-learn.
"""

from __future__ import annotations

import os

from theory.validation import machine_memory, schema_value

_POS = lambda v: None if v > 0 else "must be > 0"
_NONNEG = lambda v: None if v >= 0 else "must be >= 0"
_UNIT = lambda v: None if 0 < v < 1 else "must lie in (0, 1)"
_ATLEAST = lambda m: (lambda v: None if v >= m else f"must be >= {m}")

DATASETS = ("digits", "synthetic")
ARCHS = ("linear", "mlp", "cnn")
METHODS = ("mae", "mar", "simsiam", "spectral")
FRAMEWORKS = ("centralised", "fedavg", "dpsgd")
SPLITS = ("iid", "dirichlet-class", "dirichlet-client", "balanced", "feature-skew")
GRAPHS = ("paper-general", "paper-uniform", "erdos-renyi", "ring", "path", "complete", "torus", "star",
          "hypercube", "exponential")
RULES = ("uniform", "metropolis", "max-degree", "fmmc")

NEURAL_SCHEMA: dict[str, tuple] = {
    "dataset": (str, "digits", DATASETS, "digits (scikit-learn 8x8) or a Gaussian mixture"),
    "arch": (str, "mlp", ARCHS, "encoder"),
    "method": (str, "mae", METHODS, "SSL method"),
    "framework": (str, "fedavg", FRAMEWORKS, "training framework"),
    "split": (str, "dirichlet-class", SPLITS, "client split"),
    "alpha": (float, 0.1, lambda v: None if v >= 1e-3 else "must be >= 1e-3 (smaller values "
              "underflow the Dirichlet sampler)", "Dirichlet concentration (Dirichlet splits)"),
    "n_clients": (int, 10, _ATLEAST(1), "number of clients"),
    "participation": (float, 1.0, lambda v: None if 0 < v <= 1 else "must lie in (0, 1]",
                      "FedAvg: fraction of clients sampled per round"),
    "rounds": (int, 20, _ATLEAST(1), "communication rounds (centralised: epochs / local_epochs)"),
    "local_epochs": (int, 1, _ATLEAST(1), "local epochs per round"),
    "batch_size": (int, 32, _ATLEAST(2), "minibatch size per client"),
    "optimizer": (str, "adam", ("adam", "sgd"), "client optimiser (adam: AdamW)"),
    "lr": (float, 1e-3, _POS, "learning rate"),
    "momentum": (float, 0.9, lambda v: None if 0 <= v < 1 else "must lie in [0, 1)", "SGD momentum"),
    "weight_decay": (float, 1e-4, _NONNEG, "weight decay (decoupled for adam)"),
    "rep_dim": (int, 8, _ATLEAST(1), "representation dimension"),
    "hidden": (int, 128, _ATLEAST(1), "hidden width"),
    "mask_ratio": (float, 0.75, _UNIT, "MAE/MAR: fraction of inputs masked"),
    "gamma_max": (float, 0.1, _NONNEG, "MAR: largest A-MMD weight"),
    "gamma_min": (float, 1e-3, _NONNEG, "MAR: smallest A-MMD weight"),
    "mmd_distance": (str, "squared", ("squared", "euclidean"),
                     "MAR kernel: exp(-||z-z'||^2/(2s^2)) (released code) or exp(-||z-z'||/(2s^2)) (paper)"),
    "graph": (str, "paper-general", GRAPHS, "D-PSGD graph family"),
    "connectivity": (float, 4.0, _POS, "target |A_bar| (paper graphs, erdos-renyi)"),
    "rule": (str, "metropolis", RULES, "D-PSGD mixing rule"),
    "n_components": (int, 10, _ATLEAST(2), "synthetic: mixture components (classes)"),
    "d": (int, 32, _ATLEAST(2), "synthetic: dimension"),
    "separation": (float, 3.0, _NONNEG, "synthetic: mean separation"),
    "n_train": (int, 2000, _ATLEAST(10), "synthetic: training samples"),
    "n_test": (int, 1000, _ATLEAST(10), "synthetic: test samples"),
    "threads": (int, 1, lambda v: None if 1 <= v <= (os.cpu_count() or 1) else
                f"must lie in [1, {os.cpu_count() or 1}] (this machine's CPUs)",
                "torch intra-op threads (set explicitly: same seed, same bits)"),
    "seed": (int, 0, _NONNEG, "seed of data split, initialisation and minibatches"),
}


# The output columns of :func:`simulators.neural.experiment.run_point` (results.csv, metadata.json).
NEURAL_METRICS: dict[str, str] = {
    "avg_connectivity": "D-PSGD: the realised average connectivity |A_bar| of the drawn graph",
    "accuracy": "linear-probe accuracy of the final (server / average / centralised) encoder on "
                "the held-out test split (fraction)",
    "dist_local_global": "mean over clients with data of ||w_i - w_g|| / ||w_g||, encoder weights "
                         "after the last round (NaN for centralised)",
    "dist_local_local": "mean over pairs of clients with data of ||w_i - w_j|| / ||w_g|| "
                        "(NaN for centralised)",
    "projector": "linear encoders: the flattened row-space projector P (d*d values)",
    "rv": "linear encoders: the representability vector r_k = P_kk",
    "final_loss": "SSL loss of the last round that trained a client",
    "steps": "batched optimiser steps taken in all",
    "seconds": "wall time of the run (s)",
}


def check_point(point: dict) -> dict:
    """Validate a full experiment point against :data:`NEURAL_SCHEMA` and return it.

    Every key must be present with the schema's type (an int is accepted for a float) and an
    allowed value; ``ValueError``/``TypeError`` name the key, the value and the expectation.
    (``dssl neural`` validates configs before this; this guards direct calls.)
    """
    if not isinstance(point, dict):
        raise TypeError(f"point must be a dict, got {type(point).__name__}")
    unknown = sorted(set(point) - set(NEURAL_SCHEMA))
    missing = sorted(set(NEURAL_SCHEMA) - set(point))
    if unknown or missing:
        raise ValueError(f"point has unknown keys {unknown} and lacks {missing}; "
                         "start from {k: v[1] for k, v in NEURAL_SCHEMA.items()}")
    out = {key: schema_value(key, point[key], spec) for key, spec in NEURAL_SCHEMA.items()}
    check_consistency(out)
    return out


IMAGE_UNITS = {"digits": (8 // 2) ** 2}      # 2x2 patches of the 8x8 digits
DIGITS_SAMPLES, DIGITS_INPUT = 1797, 64      # scikit-learn's digits: samples, pixels


def _data_size(point: dict) -> tuple[int, int]:
    """``(samples, input size)`` of ``point``'s data set, before the split."""
    if point["dataset"] == "synthetic":
        return point["n_train"], point["d"]
    return DIGITS_SAMPLES, DIGITS_INPUT


MAX_STEPS = 1e7     # batched optimiser steps: about 1e3/s on a CPU, so hours at this cap


def step_estimate(point: dict) -> float:
    """Batched optimiser steps of a run, roughly: rounds x local epochs x minibatches of an
    average client (every client steps in the same batched call)."""
    n, _ = _data_size(point)
    per_client = max(1.0, n / point["n_clients"])
    return float(point["rounds"]) * point["local_epochs"] * -(-per_client // point["batch_size"])


def memory_estimate(point: dict) -> float:
    """Bytes a neural point needs, roughly: per client the encoder and head parameters (an MLP's
    ``in x hidden + hidden x hidden`` dominates) times parameters, gradients and two AdamW
    moments in float32, plus the stacked client data."""
    n, d_in = _data_size(point)
    h, r = point["hidden"], point["rep_dim"]
    params = d_in * h + 2 * h * h + h * r + r * d_in
    data = n * d_in
    return 4.0 * (4 * point["n_clients"] * params + 2 * data)


def check_consistency(point: dict) -> None:
    """Checks across keys of a full, validated point, before any training; ``ValueError``
    names the keys: an image encoder on vector data, ``gamma_min > gamma_max``, a mask ratio
    that hides no unit or every unit, D-PSGD with one client, and a graph that cannot be built
    (tried here, which is cheap)."""
    if point["arch"] == "cnn" and point["dataset"] not in IMAGE_UNITS:
        raise ValueError(f"arch: 'cnn' needs an image data set ({sorted(IMAGE_UNITS)}), "
                         f"got dataset = {point['dataset']!r}")
    if point["gamma_min"] > point["gamma_max"]:
        raise ValueError(f"gamma_min = {point['gamma_min']} must be <= gamma_max = {point['gamma_max']}")
    if point["method"] in ("mae", "mar"):
        units = IMAGE_UNITS.get(point["dataset"], point["d"])
        hidden = int(round(point["mask_ratio"] * units))
        if not 1 <= hidden <= units - 1:
            raise ValueError(f"mask_ratio = {point['mask_ratio']} hides {hidden} of {units} units; "
                             f"it must hide at least 1 and keep at least 1")
    if point["n_clients"] > _data_size(point)[0]:
        raise ValueError(f"n_clients = {point['n_clients']} exceeds the {_data_size(point)[0]} "
                         f"samples of {point['dataset']!r}: some clients would hold no data")
    steps = step_estimate(point)
    if steps > MAX_STEPS:
        raise ValueError(f"rounds = {point['rounds']}, local_epochs = {point['local_epochs']}, "
                         f"batch_size = {point['batch_size']}: about {steps:.3g} batched steps, more "
                         f"than {MAX_STEPS:.0e} (days on a CPU); shorten the run")
    need, have = memory_estimate(point), machine_memory()
    if need > 0.8 * have:
        raise ValueError(f"hidden = {point['hidden']}, n_clients = {point['n_clients']}: about "
                         f"{need / 2**30:.3g} GiB, more than 80% of this machine's {have / 2**30:.3g} GiB")
    if point["framework"] == "dpsgd":
        if point["n_clients"] < 2:
            raise ValueError("framework: 'dpsgd' needs n_clients >= 2")
        from .experiment import mixing_for

        try:
            mixing_for(point)
        except ValueError as exc:
            raise ValueError(f"graph = {point['graph']!r}, n_clients = {point['n_clients']}, "
                             f"connectivity = {point['connectivity']}: {exc}") from None
