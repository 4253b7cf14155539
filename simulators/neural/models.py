"""Encoders and method heads for the neural runs.

An :class:`SSLNet` holds an encoder (``linear``: one bias-free layer, the linear model of the
theory; ``mlp``: one hidden ReLU layer; ``cnn``: two 3x3 convolutions for 8x8 images, or for
signals ``(1, L)`` three 1-D convolutions of width ``hidden // 4`` (kernels 5, 3, 3; the last
two of stride 2) and a linear map to ``rep_dim``) and the
heads of its method; its ``forward(batch)`` returns the method's loss on one client's batch, so
``torch.func.functional_call`` + ``vmap`` evaluate all clients at once with stacked parameters.
SimSiam's projector and predictor use :class:`BatchStandardize` (batch norm without running
statistics, which ``vmap`` needs); the encoder has no normalisation, so features are a pure
function of the input.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import losses


def encoder_params(params: dict) -> dict:
    """The encoder's entries of an :class:`SSLNet` parameter dict, keys without ``encoder.``."""
    return {k[len("encoder."):]: v for k, v in params.items() if k.startswith("encoder.")}


class BatchStandardize(nn.Module):
    """Batch normalisation with batch statistics only and a learnable affine map."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(k))
        self.bias = nn.Parameter(torch.zeros(k))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        mu = h.mean(0)
        var = ((h - mu) ** 2).mean(0)
        return (h - mu) / torch.sqrt(var + 1e-5) * self.weight + self.bias


def make_encoder(arch: str, input_shape: tuple, rep_dim: int, hidden: int) -> nn.Module:
    d = math.prod(input_shape)
    if arch == "linear":
        return nn.Sequential(nn.Flatten(), nn.Linear(d, rep_dim, bias=False))
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, rep_dim))
    if arch == "cnn":
        if len(input_shape) == 2:
            c, length = input_shape
            k = max(8, hidden // 4)
            return nn.Sequential(nn.Conv1d(c, k, 5, padding=2), nn.ReLU(),
                                 nn.Conv1d(k, k, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv1d(k, k, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(k * ((length + 3) // 4), rep_dim))
        if len(input_shape) != 3:
            raise ValueError(f"arch='cnn' needs image (C, H, W) or signal (C, L) inputs, got shape "
                             f"{input_shape}")
        c, h, w = input_shape
        return nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                             nn.Linear(32 * ((h + 1) // 2) * ((w + 1) // 2), rep_dim))
    raise ValueError(f"arch must be 'linear', 'mlp' or 'cnn', got {arch!r}")


class SSLNet(nn.Module):
    """Encoder plus the heads of ``method`` (``mae``, ``mar``, ``simsiam``, ``spectral``).

    ``forward(batch)`` with the keys
    ``x, keep`` (mae), ``x, keep, zbar, gamma`` (mar) or ``v1, v2`` (simsiam, spectral)
    returns the scalar loss.
    """

    def __init__(self, method: str, arch: str, input_shape: tuple, *, rep_dim: int = 32,
                 hidden: int = 128, mmd_distance: str = "squared") -> None:
        super().__init__()
        self.method, self.input_shape, self.mmd_distance = method, tuple(input_shape), mmd_distance
        d = math.prod(input_shape)
        self.encoder = make_encoder(arch, input_shape, rep_dim, hidden)
        if method in ("mae", "mar"):
            self.decoder = (nn.Linear(rep_dim, d, bias=False) if arch == "linear" else
                            nn.Sequential(nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, d)))
        elif method == "simsiam":
            self.projector = nn.Sequential(nn.Linear(rep_dim, hidden), BatchStandardize(hidden), nn.ReLU(),
                                           nn.Linear(hidden, rep_dim), BatchStandardize(rep_dim))
            self.predictor = nn.Sequential(nn.Linear(rep_dim, hidden // 2), BatchStandardize(hidden // 2),
                                           nn.ReLU(), nn.Linear(hidden // 2, rep_dim))
        elif method == "spectral":
            self.projector = (nn.Identity() if arch == "linear" else
                              nn.Sequential(nn.Linear(rep_dim, hidden), nn.ReLU(), nn.Linear(hidden, rep_dim)))
        else:
            raise ValueError(f"method must be one of {('mae', 'mar', 'simsiam', 'spectral')}, got {method!r}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, batch: dict) -> torch.Tensor:
        if self.method in ("mae", "mar"):
            x, keep = batch["x"], batch["keep"]
            z = self.encoder(x * keep)
            recon = self.decoder(z).reshape(x.shape)
            loss = losses.mae_loss(recon, x, keep)
            if self.method == "mar":
                loss = loss + batch["gamma"] * losses.a_mmd(z, batch["zbar"], distance=self.mmd_distance)
            return loss
        z1, z2 = self.projector(self.encoder(batch["v1"])), self.projector(self.encoder(batch["v2"]))
        if self.method == "simsiam":
            return losses.simsiam_loss(self.predictor(z1), self.predictor(z2), z1, z2)
        return losses.spectral_contrastive_loss(z1, z2)
