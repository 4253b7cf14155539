"""Augmentations and masks, drawn for all clients of a step at once from one ``torch.Generator``.

Every function takes a leading ``(m, B)`` (clients, batch) shape so one call serves a whole
batched step; the draws are made outside ``vmap``, so the same generator state gives the same
bits whatever the number of threads.

Images ``(1, 8, 8)``: a random translation by at most one pixel (zero padding), contrast
``U[0.8, 1.2]``, brightness ``U[-0.1, 0.1]`` and Gaussian noise of s.d. 0.05 (the 8x8 analogue
of SimSiam's crop and colour jitter). Signals ``(1, L)`` (MNIST-1D, standardised): a random
translation by at most ``SHIFT_1D`` samples (zero padding), scale ``U[0.8, 1.2]``, offset
``U[-0.1, 0.1]`` and Gaussian noise of s.d. 0.1 (``kind = "toolkit"``), or the MNIST-1D
nuisances (``kind = "mnist1d"``, the published SSL views of Greydanus and Kobak 2024): the
signal's offset and linear trend removed, a circular shift by ``U{0 .. MNIST1D_SHIFT}``, then
a random slope ``N(0, 0.04^2)`` per sample about the centre and an offset ``N(0, 0.3^2)``. MAE masks hide patches of ``PATCH`` x ``PATCH``
pixels of images and ``PATCH_1D`` samples of signals. Vectors: additive Gaussian noise of s.d. ``noise``, so the
two views of ``x`` have cross moment ``E[x1 x2^T] = E[x x^T]`` (the positives of the spectral
contrastive closed form, docs/theory.md §4).
"""

from __future__ import annotations

import numpy as np
import torch

PATCH = 2          # MAE patches of 2x2 pixels on 8x8 images (16 patches)
PATCH_1D = 4       # MAE patches of 4 samples on signals of length 40 (10 patches)
SHIFT_1D = 8       # largest translation of a signal view
MNIST1D_SHIFT = 9  # largest circular shift of an MNIST-1D view
AUGMENTS = ("toolkit", "mnist1d")


def mask_units(input_shape: tuple) -> int:
    """How many units an MAE mask chooses from: patches of images and signals, coordinates of
    vectors."""
    if len(input_shape) == 3:
        return (input_shape[1] // PATCH) * (input_shape[2] // PATCH)
    if len(input_shape) == 2:
        return input_shape[1] // PATCH_1D
    return input_shape[0]


def hide_smallest(keys: np.ndarray, n_mask: int) -> np.ndarray:
    """Boolean ``keys.shape``: True on the ``n_mask`` smallest keys of each row (last axis), the
    units that ``np.argsort(keys)[..., :n_mask]`` names. Where the ``n_mask``-th smallest key is
    not repeated the set is ``keys <= `` that key, found by a partial sort (``np.partition``);
    rows where it is repeated take argsort's own tie order, so the set is argsort's in every row
    (bit for bit the masks of the sort-and-scatter this replaces, ``tests/test_neural_training.py``)."""
    units = keys.shape[-1]
    if n_mask <= 0:
        return np.zeros(keys.shape, dtype=bool)
    if n_mask >= units:
        return np.ones(keys.shape, dtype=bool)
    kth = np.partition(keys, n_mask - 1, axis=-1)[..., n_mask - 1:n_mask]
    hide = keys <= kth
    ties = hide.sum(-1) != n_mask
    if ties.any():
        first = np.argsort(keys[ties], axis=-1)[:, :n_mask]
        rows = np.zeros((first.shape[0], units), dtype=bool)
        np.put_along_axis(rows, first, True, axis=-1)
        hide[ties] = rows
    return hide


def keep_mask(gen: torch.Generator, m: int, b: int, input_shape: tuple, ratio: float) -> torch.Tensor:
    """A 0/1 *keep* mask of shape ``(m, b, *input_shape)`` hiding exactly ``round(ratio * U)``
    of the ``U`` units of each sample (units: see :func:`mask_units`)."""
    image = len(input_shape) == 3
    units = mask_units(input_shape)
    n_mask = int(round(ratio * units))
    keys = torch.rand((m, b, units), generator=gen)
    keep = torch.from_numpy(~hide_smallest(keys.numpy(), n_mask)).to(torch.float32)
    if image:
        side = input_shape[1] // PATCH
        keep = keep.reshape(m, b, 1, side, side)
        keep = keep.repeat_interleave(PATCH, dim=-2).repeat_interleave(PATCH, dim=-1)
    elif len(input_shape) == 2:
        keep = keep.reshape(m, b, 1, units).repeat_interleave(PATCH_1D, dim=-1)
        keep = torch.nn.functional.pad(keep, (0, input_shape[1] - keep.shape[-1]), value=1.0)
    return keep


def mnist1d_view(gen: torch.Generator, x: torch.Tensor) -> torch.Tensor:
    """The MNIST-1D view of signals ``x`` ``(m, b, 1, L)`` (module docstring, ``kind = "mnist1d"``)."""
    from .models import detrend

    m, b, _, length = x.shape
    flat = detrend(x)
    shift = torch.randint(0, MNIST1D_SHIFT + 1, (m, b), generator=gen)
    idx = (torch.arange(length)[None, None, :] - shift[..., None]) % length      # circular
    out = flat.gather(-1, idx[:, :, None, :])
    t = torch.arange(length, dtype=x.dtype) - (length - 1) / 2
    slope = 0.04 * torch.randn((m, b, 1, 1), generator=gen)
    offset = 0.3 * torch.randn((m, b, 1, 1), generator=gen)
    return out + slope * t + offset


def augment(gen: torch.Generator, x: torch.Tensor, *, noise: float = 0.5,
            kind: str = "toolkit") -> torch.Tensor:
    """One random view of each sample of ``x`` ``(m, b, *shape)`` (see module docstring)."""
    if kind not in AUGMENTS:
        raise ValueError(f"kind must be one of {AUGMENTS}, got {kind!r}")
    if kind == "mnist1d":
        if x.dim() != 4:
            raise ValueError(f"kind='mnist1d' needs signals (m, b, 1, L), got shape {tuple(x.shape)}")
        return mnist1d_view(gen, x)
    if x.dim() == 5:                                   # images (m, b, 1, 8, 8)
        m, b = x.shape[:2]
        padded = torch.nn.functional.pad(x, (1, 1, 1, 1))
        shifts = torch.stack([padded[..., i:i + 8, j:j + 8] for i in range(3) for j in range(3)])
        pick = torch.randint(0, 9, (m, b), generator=gen)
        out = shifts.gather(0, pick[None, :, :, None, None, None].expand(1, *x.shape))[0]
        contrast = torch.empty((m, b, 1, 1, 1)).uniform_(0.8, 1.2, generator=gen)
        bright = torch.empty((m, b, 1, 1, 1)).uniform_(-0.1, 0.1, generator=gen)
        return (out - 0.5) * contrast + 0.5 + bright + 0.05 * torch.randn(x.shape, generator=gen)
    if x.dim() == 4:                                   # signals (m, b, 1, L)
        m, b, _, length = x.shape
        k = SHIFT_1D
        padded = torch.nn.functional.pad(x, (k, k))
        shifts = torch.stack([padded[..., i:i + length] for i in range(2 * k + 1)])
        pick = torch.randint(0, 2 * k + 1, (m, b), generator=gen)
        out = shifts.gather(0, pick[None, :, :, None, None].expand(1, *x.shape))[0]
        scale = torch.empty((m, b, 1, 1)).uniform_(0.8, 1.2, generator=gen)
        offset = torch.empty((m, b, 1, 1)).uniform_(-0.1, 0.1, generator=gen)
        return out * scale + offset + 0.1 * torch.randn(x.shape, generator=gen)
    return x + noise * torch.randn(x.shape, generator=gen)
