"""Supervised reference accuracies, to place the SSL probes (issue 16).

:func:`references` trains, on the pooled training split of a data set, a logistic regression on
the raw input and the encoders of the SSL runs (``mlp``, ``cnn``) with a linear classifier on
top, end to end on the labels (cross-entropy, AdamW, minibatches of 64), and reports their test
accuracies: the ceiling a linear probe on a learned representation could approach.
"""

from __future__ import annotations

import numpy as np

from . import require_torch


# Training recipes of the supervised references: the published MNIST-1D recipe (Greydanus and
# Kobak 2024: Adam lr 1e-2, batches of 100, 8000 steps, no weight decay) on MNIST-1D, and 30
# epochs of AdamW (lr 3e-3, batches of 64, weight decay 1e-4) elsewhere.
RECIPES = {"mnist1d": {"lr": 1e-2, "batch": 100, "steps": 8000, "weight_decay": 0.0},
           "default": {"lr": 3e-3, "batch": 64, "epochs": 30, "weight_decay": 1e-4}}


def supervised_accuracy(arch: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                        y_test: np.ndarray, *, seed: int = 0, epochs: int | None = 30,
                        steps: int | None = None, batch: int = 64, hidden: int = 128,
                        rep_dim: int = 32, lr: float = 3e-3, weight_decay: float = 1e-4,
                        threads: int = 1) -> float:
    """Test accuracy of ``arch``'s encoder plus a linear layer trained on the labels with AdamW:
    ``steps`` minibatches of ``batch`` (reshuffled each pass) when given, else ``epochs`` passes."""
    from .experiment import deterministic_torch
    from .models import make_encoder

    require_torch()
    if steps is None and (epochs is None or epochs < 1):
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if steps is not None and steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    with deterministic_torch(threads) as torch:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            n_cls = int(max(y_train.max(), y_test.max())) + 1
            net = torch.nn.Sequential(make_encoder(arch, tuple(x_train.shape[1:]), rep_dim, hidden),
                                      torch.nn.ReLU(), torch.nn.Linear(rep_dim, n_cls))
            opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
            x, y = torch.as_tensor(x_train), torch.as_tensor(y_train)
            gen = torch.Generator().manual_seed(seed)
            total = steps if steps is not None else epochs * -(-len(x) // batch)
            done = 0
            while done < total:
                perm = torch.randperm(len(x), generator=gen)
                for i in range(0, len(x), batch):
                    if done == total:
                        break
                    idx = perm[i:i + batch]
                    opt.zero_grad()
                    torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
                    opt.step()
                    done += 1
            with torch.no_grad():
                pred = net(torch.as_tensor(x_test)).argmax(1).numpy()
    return float(np.mean(pred == y_test))


def references(dataset: str, archs: tuple = ("mlp", "cnn"), *, seeds: tuple = (0, 1, 2),
               encoder: dict | None = None, **data_kwargs) -> dict:
    """``{"logistic-raw": acc, "<arch>": [acc per seed], ...}`` on ``dataset``'s split at seed 0
    (``data_kwargs`` as for :func:`simulators.neural.data.load_dataset`; ``encoder``: ``{arch:
    {"rep_dim": .., "hidden": ..}}``, the SSL runs' encoder sizes); a ``cnn`` entry only for data
    with spatial structure; trained by :data:`RECIPES`."""
    from .data import load_dataset
    from .evaluation import probe_accuracy

    xtr, ytr, xte, yte = load_dataset(dataset, seed=0, **data_kwargs)
    recipe = dict(RECIPES.get(dataset, RECIPES["default"]))
    if "steps" in recipe:
        recipe["epochs"] = None
    out: dict = {"logistic-raw": probe_accuracy(xtr, ytr, xte, yte)}
    for arch in archs:
        if arch == "cnn" and xtr.ndim < 3:
            continue
        sizes = (encoder or {}).get(arch, {})
        out[arch] = [supervised_accuracy(arch, xtr, ytr, xte, yte, seed=s, **sizes, **recipe) for s in seeds]
    return out
