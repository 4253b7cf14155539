"""Data sets and client splits for the neural runs.

``mnist1d``: MNIST-1D (Greydanus and Kobak 2024), generated procedurally from the templates of
the ``mnist1d`` package by :func:`mnist1d.data.make_dataset` (never its download path), with the
package's data seed 42 whatever the run seed, signals of length 40 shaped ``(1, 40)``, the first
``n_train`` samples for training and the last ``n_test`` for testing; generated once per
argument set and cached as ``.npz`` (:func:`mnist1d_arrays`). ``digits``: scikit-learn's 8x8
handwritten digits (1797 images that ship with the package, no
download), pixels scaled to [0, 1], a stratified 75/25 train/test split. ``synthetic``: a
Gaussian mixture from :class:`theory.mixtures.GaussianMixture` (the model of the exact GMM
claims), balanced classes. Client splits follow :func:`theory.splits.split_clients`; the extra
``feature-skew`` split deals the samples IID and gives client ``i`` a fixed affine transform
``x -> a_i * (x - c) + c + b_i`` (digits and mnist1d: contrast ``a_i ~ U[0.5, 1.5]``, brightness
``b_i ~ U[-0.25, 0.25]``, ``c = 0.5`` for digits and 0 for the standardised mnist1d; synthetic:
per-coordinate ``a_i``, ``b_i`` with ``c = 0``).
The linear probe always uses the untransformed pooled training set and the test set.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from theory.mixtures import GaussianMixture
from theory.splits import split_clients


@dataclass(frozen=True)
class ClientData:
    """A data set split over clients. Arrays are float32 numpy; images are ``(n, 1, 8, 8)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    indices: tuple              # N int arrays into x_train
    client_x: tuple             # N arrays: each client's (possibly transformed) training inputs
    n_classes: int

    @property
    def n_clients(self) -> int:
        return len(self.indices)

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(i) for i in self.indices], dtype=np.int64)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """Client inputs stacked as ``(N, n_max, *shape)`` (zero padding) and the sizes ``(N,)``."""
        n_max = max(1, int(self.sizes.max()))
        out = np.zeros((self.n_clients, n_max, *self.input_shape), dtype=np.float32)
        for i, x in enumerate(self.client_x):
            out[i, :len(x)] = x
        return out, self.sizes


MNIST1D_SEED = 42        # the package's own data seed: one fixed data set, as for digits


def data_dir() -> Path:
    """Where generated data sets are cached: ``$DSSL_DATA_DIR`` or ``~/.cache/dssl-verify``."""
    return Path(os.environ.get("DSSL_DATA_DIR") or Path.home() / ".cache" / "dssl-verify")


@lru_cache(maxsize=4)
def mnist1d_arrays(n_samples: int, seed: int = MNIST1D_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: ``n_samples`` MNIST-1D signals ``(n, 40)`` (float32, standardised as the package
    does) and labels, from :func:`mnist1d.data.make_dataset` with the package's default arguments,
    ``num_samples = n_samples`` (a multiple of 10: equal classes), ``train_split = 1`` and
    ``seed``. The caller's global ``random`` and NumPy states are restored (the package seeds
    them). Cached in :func:`data_dir` as ``mnist1d-<hash of the arguments>.npz``, written
    atomically; about 0.6 ms per sample to generate."""
    if not isinstance(n_samples, int) or n_samples < 10 or n_samples % 10:
        raise ValueError(f"n_samples must be a positive multiple of 10, got {n_samples!r}")
    try:
        import mnist1d
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise ImportError('MNIST-1D needs the mnist1d package: pip install -e ".[neural]"') from None
    args = get_dataset_args(as_dict=True)
    args.update(num_samples=n_samples, train_split=1.0, seed=int(seed))
    args.pop("url", None)
    key = hashlib.sha256(json.dumps([getattr(mnist1d, "__version__", "?"), args], sort_keys=True)
                         .encode()).hexdigest()[:16]
    path = data_dir() / f"mnist1d-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return z["x"], z["y"]
    from mnist1d.utils import ObjectView

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        ds = make_dataset(ObjectView(args))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x, y = ds["x"].astype(np.float32), ds["y"].astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, x=x, y=y)
    os.replace(tmp, path)
    return x, y


def load_dataset(name: str, *, seed: int = 0, n_components: int = 10, d: int = 32,
                 separation: float = 3.0, n_train: int = 4000, n_test: int = 10000
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` for ``name`` in ``("mnist1d", "digits",
    "synthetic")`` (``n_train``/``n_test`` apply to ``mnist1d`` and ``synthetic``)."""
    rng = np.random.default_rng([seed, 31])
    if name == "mnist1d":
        total = -(-(n_train + n_test) // 10) * 10
        x, y = mnist1d_arrays(total)
        x = x.reshape(-1, 1, x.shape[-1])
        return x[:n_train], y[:n_train], x[total - n_test:], y[total - n_test:]
    if name == "digits":
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
        test = np.zeros(len(y), dtype=bool)
        for k in np.unique(y):              # stratified 25% test split
            idx = np.flatnonzero(y == k)
            test[rng.choice(idx, size=int(round(0.25 * len(idx))), replace=False)] = True
        return x[~test], y[~test].astype(np.int64), x[test], y[test].astype(np.int64)
    if name == "synthetic":
        gm = GaussianMixture.random(n_components, d, separation=separation, rng=rng)
        ytr = np.arange(n_train) % n_components
        yte = np.arange(n_test) % n_components
        xtr = gm.sample_labels(ytr, rng).astype(np.float32)
        xte = gm.sample_labels(yte, rng).astype(np.float32)
        return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)
    raise ValueError(f"dataset must be 'mnist1d', 'digits' or 'synthetic', got {name!r}")


def make_client_data(dataset: str, split: str, n_clients: int, *, alpha: float = 1.0,
                     seed: int = 0, **dataset_kwargs) -> ClientData:
    """Load ``dataset`` and split its training set over ``n_clients`` (see module docstring)."""
    xtr, ytr, xte, yte = load_dataset(dataset, seed=seed, **dataset_kwargs)
    k = int(max(ytr.max(), yte.max()) + 1)
    rng = np.random.default_rng([seed, 37])
    if split == "feature-skew":
        parts = split_clients(ytr, n_clients, "iid", n_classes=k, rng=rng).indices
        client_x = []
        centre = 0.5 if dataset == "digits" else 0.0
        for idx in parts:
            shape = (1,) if xtr.ndim > 2 else xtr.shape[1:]      # signals: one scalar each
            a = rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
            b = rng.uniform(-0.25, 0.25, size=shape).astype(np.float32)
            client_x.append(a * (xtr[idx] - centre) + centre + b)
    else:
        parts = split_clients(ytr, n_clients, split, alpha=None if split == "iid" else alpha,
                              n_classes=k, rng=rng).indices
        client_x = [xtr[idx] for idx in parts]
    return ClientData(xtr, ytr, xte, yte, tuple(parts), tuple(client_x), k)
