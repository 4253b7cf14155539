"""Data sets and client splits for the neural runs.

``digits``: scikit-learn's 8x8 handwritten digits (1797 images that ship with the package, no
download), pixels scaled to [0, 1], a stratified 75/25 train/test split. ``synthetic``: a
Gaussian mixture from :class:`theory.mixtures.GaussianMixture` (the model of the exact GMM
claims), balanced classes. Client splits follow :func:`theory.splits.split_clients`; the extra
``feature-skew`` split deals the samples IID and gives client ``i`` a fixed affine transform
``x -> a_i * (x - c) + c + b_i`` (digits: contrast ``a_i ~ U[0.5, 1.5]``, brightness
``b_i ~ U[-0.25, 0.25]``, ``c = 0.5``; synthetic: per-coordinate ``a_i``, ``b_i`` with ``c = 0``).
The linear probe always uses the untransformed pooled training set and the test set.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def load_dataset(name: str, *, seed: int = 0, n_components: int = 10, d: int = 32,
                 separation: float = 3.0, n_train: int = 2000, n_test: int = 1000
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` for ``name`` in ``("digits", "synthetic")``."""
    rng = np.random.default_rng([seed, 31])
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
    raise ValueError(f"dataset must be 'digits' or 'synthetic', got {name!r}")


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
            shape = (1,) if dataset == "digits" else xtr.shape[1:]
            a = rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
            b = rng.uniform(-0.25, 0.25, size=shape).astype(np.float32)
            client_x.append(a * (xtr[idx] - centre) + centre + b)
    else:
        parts = split_clients(ytr, n_clients, split, alpha=None if split == "iid" else alpha,
                              n_classes=k, rng=rng).indices
        client_x = [xtr[idx] for idx in parts]
    return ClientData(xtr, ytr, xte, yte, tuple(parts), tuple(client_x), k)
