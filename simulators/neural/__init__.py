"""Small neural SSL runs on CPU (the optional extra ``neural``: PyTorch and scikit-learn).

Modules
-------
``config``      the validated experiment schema (torch-free, so the CLI can validate offline)
``data``        data sets (scikit-learn digits, Gaussian mixtures) and client splits
``augment``     augmentations and masks, drawn for all clients at once from one generator
``models``      encoders (linear, MLP, CNN) and the method heads
``losses``      MAE, SimSiam, spectral contrastive, A-MMD and the MAR weight schedule
``training``    centralised, FedAvg and D-PSGD, every client of a round in one batched step
``evaluation``  linear probe, weight distances, representability
``experiment``  one experiment point -> metrics (the function sweeps call)

Importing this package does not import torch; :func:`require_torch` does, with an install hint.
"""

from __future__ import annotations

INSTALL_HINT = ('the neural runs need the optional extra: pip install -e ".[neural]" '
                '(torch==2.13.0, the CPU build, and scikit-learn)')


def torch_available() -> bool:
    """Whether torch and scikit-learn can be imported."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "sklearn"))


def require_torch():
    """Import and return torch, or raise ``ImportError`` with the install hint."""
    if not torch_available():
        raise ImportError(INSTALL_HINT)
    import torch

    return torch
