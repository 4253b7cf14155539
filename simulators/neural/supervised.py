"""Supervised reference accuracies, to place the SSL probes (issue 16).

:func:`references` trains, on the pooled training split of a data set, a logistic regression on
the raw input and the encoders of the SSL runs (``mlp``, ``cnn``) with a linear classifier on
top, end to end on the labels (cross-entropy, AdamW, minibatches of 64), and reports their test
accuracies: the ceiling a linear probe on a learned representation could approach.
"""

from __future__ import annotations

import numpy as np

from . import require_torch


def supervised_accuracy(arch: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                        y_test: np.ndarray, *, seed: int = 0, epochs: int = 30, hidden: int = 128,
                        rep_dim: int = 32, lr: float = 3e-3, threads: int = 1) -> float:
    """Test accuracy of ``arch``'s encoder plus a linear layer trained on the labels."""
    from .experiment import deterministic_torch
    from .models import make_encoder

    require_torch()
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    with deterministic_torch(threads) as torch:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            n_cls = int(max(y_train.max(), y_test.max())) + 1
            net = torch.nn.Sequential(make_encoder(arch, tuple(x_train.shape[1:]), rep_dim, hidden),
                                      torch.nn.ReLU(), torch.nn.Linear(rep_dim, n_cls))
            opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
            x, y = torch.as_tensor(x_train), torch.as_tensor(y_train)
            gen = torch.Generator().manual_seed(seed)
            for _ in range(epochs):
                perm = torch.randperm(len(x), generator=gen)
                for i in range(0, len(x), 64):
                    idx = perm[i:i + 64]
                    opt.zero_grad()
                    torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
                    opt.step()
            with torch.no_grad():
                pred = net(torch.as_tensor(x_test)).argmax(1).numpy()
    return float(np.mean(pred == y_test))


def references(dataset: str, archs: tuple = ("mlp", "cnn"), *, seeds: tuple = (0, 1, 2),
               **data_kwargs) -> dict:
    """``{"logistic-raw": acc, "<arch>": [acc per seed], ...}`` on ``dataset``'s split at seed 0
    (``data_kwargs`` as for :func:`simulators.neural.data.load_dataset`); a ``cnn`` entry only
    for data with spatial structure."""
    from .data import load_dataset
    from .evaluation import probe_accuracy

    xtr, ytr, xte, yte = load_dataset(dataset, seed=0, **data_kwargs)
    out: dict = {"logistic-raw": probe_accuracy(xtr, ytr, xte, yte)}
    for arch in archs:
        if arch == "cnn" and xtr.ndim < 3:
            continue
        out[arch] = [supervised_accuracy(arch, xtr, ytr, xte, yte, seed=s) for s in seeds]
    return out
