"""The SSL losses of the neural runs and MAR's weight schedule (docs/theory.md §3).

All losses act on one client's batch; ``training`` maps them over clients with ``torch.func``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MMD_DISTANCES = ("squared", "euclidean")


def mae_loss(recon: torch.Tensor, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Masked reconstruction error on the *hidden* inputs only (He et al. 2022):

    .. math:: \\sum ((\\hat x - x)^2 \\odot (1 - m)) / \\sum (1 - m)

    ``recon``, ``x``, ``keep`` have the same shape; ``keep`` is 1 on visible inputs.
    """
    hidden = 1.0 - keep
    return ((recon - x) ** 2 * hidden).sum() / hidden.sum()


def simsiam_loss(p1, p2, z1, z2) -> torch.Tensor:
    """SimSiam (Chen and He 2021): :math:`-\\tfrac12 [\\cos(p_1, sg(z_2)) + \\cos(p_2, sg(z_1))]`,
    batch mean; ``sg`` is the stop-gradient (``detach``)."""
    return -0.5 * (F.cosine_similarity(p1, z2.detach(), dim=-1).mean()
                   + F.cosine_similarity(p2, z1.detach(), dim=-1).mean())


def simsiam_loss_features_first(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r""":func:`simsiam_loss` of two views stacked features-first, ``p, z`` ``(k, 2B)`` (view 1's
    columns, then view 2's): each ``p`` column against the other view's ``z`` column,
    :math:`-\tfrac{1}{2B} \sum_a p_a^T sg(z'_a) / (\max(\|p_a\|, \epsilon) \max(\|z'_a\|, \epsilon))`,
    ``eps = 1e-8`` as in ``F.cosine_similarity``. The column sums are products with a row of
    ones: under ``vmap`` one batched matmul each, where a reduction over the strided feature
    axis is several times slower."""
    if p.dim() != 2 or p.shape != z.shape or p.shape[1] % 2:
        raise ValueError(f"p and z must both have shape (k, 2B), got {tuple(p.shape)} and {tuple(z.shape)}")
    b, z = p.shape[1] // 2, z.detach()
    partner = torch.cat([z[:, b:], z[:, :b]], dim=1)
    ones = p.new_ones(1, p.shape[0])
    norms = (ones @ (p * p)).sqrt().clamp_min(1e-8) * (ones @ (partner * partner)).sqrt().clamp_min(1e-8)
    return -((ones @ (p * partner)) / norms).sum() / (2 * b)


def spectral_contrastive_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Spectral contrastive loss (HaoChen et al. 2021), unbiased in-batch estimate of

    .. math:: -2 E[f(x)^T f(x^+)] + E_{x, x'}[(f(x)^T f(x'))^2]

    with positives the pairs ``(z1_a, z2_a)`` and negatives ``(z1_a, z2_b)``, ``a != b``. The sum
    over all pairs is ``sum_ab (z1_a^T z2_b)^2 = ||Z1 Z2^T||_F^2 = <Z1^T Z1, Z2^T Z2>_F``; the
    cheaper side is formed, the ``B x B`` matrix when ``B <= k`` (``O(B^2 k)`` work for ``B``
    samples of dimension ``k``), else the two ``k x k`` ones (``O(B k^2)``).
    """
    b, k = z1.shape
    if b <= k:
        cross = z1 @ z2.T
        paired = torch.diagonal(cross)
        off = (cross * cross).sum() - (paired * paired).sum()
    else:
        paired = (z1 * z2).sum(-1)
        off = ((z1.T @ z1) * (z2.T @ z2)).sum() - (paired ** 2).sum()
    return -2.0 * paired.mean() + off / (b * (b - 1))


def _pairwise(a: torch.Tensor, b: torch.Tensor, distance: str) -> torch.Tensor:
    """``||a_i - b_j||^2`` (``squared``) or ``||a_i - b_j||`` (``euclidean``; gradient 0 at 0),
    from the Gram identity ``||a||^2 + ||b||^2 - 2 a.b`` (one matmul, where the broadcast
    difference costs ``B^2 k`` memory traffic per client), clamped at 0 against round-off."""
    d2 = ((a * a).sum(-1)[:, None] + (b * b).sum(-1)[None, :] - 2.0 * (a @ b.T)).clamp(min=0.0)
    if distance == "squared":
        return d2
    pos = d2 > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, d2, torch.ones_like(d2))), torch.zeros_like(d2))


def mmd_bandwidth(z: torch.Tensor, zbar: torch.Tensor) -> torch.Tensor:
    """Adaptive bandwidth: the mean Euclidean distance over distinct pairs of the pooled batch
    ``[z; zbar]`` (no gradient flows through it)."""
    with torch.no_grad():
        pool = torch.cat([z, zbar]).detach()
        d = _pairwise(pool, pool, "euclidean")
        n = pool.shape[0]
        return d.sum() / (n * (n - 1))


def a_mmd(z: torch.Tensor, zbar: torch.Tensor, *, distance: str = "squared",
          sigma: torch.Tensor | float | None = None) -> torch.Tensor:
    """The unbiased Gaussian-kernel MMD estimate of MAR (docs/theory.md §3):

    .. math:: \\frac{1}{B(B-1)} \\Big(\\sum_{a \\ne b} k(z_a, z_b) + \\sum_{a \\ne b} k(\\bar z_a,
              \\bar z_b)\\Big) - \\frac{2}{B^2} \\sum_{a, b} k(z_a, \\bar z_b),

    ``k(u, v) = exp(-D(u, v) / (2 sigma^2))`` with ``D`` the squared distance (``"squared"``,
    the released code) or the distance itself (``"euclidean"``, the paper's formula), and
    ``sigma`` the adaptive bandwidth :func:`mmd_bandwidth` unless given. ``z``, ``zbar``:
    ``(B, k)``.
    """
    if distance not in MMD_DISTANCES:
        raise ValueError(f"distance must be one of {MMD_DISTANCES}, got {distance!r}")
    b = z.shape[0]
    if sigma is None:
        sigma = mmd_bandwidth(z, zbar)
    scale = 2.0 * sigma ** 2 + 1e-12
    kzz = torch.exp(-_pairwise(z, z, distance) / scale)
    kbb = torch.exp(-_pairwise(zbar, zbar, distance) / scale)
    kzb = torch.exp(-_pairwise(z, zbar, distance) / scale)
    within = (kzz.sum() - torch.diagonal(kzz).sum()) + (kbb.sum() - torch.diagonal(kbb).sum())
    return within / (b * (b - 1)) - 2.0 * kzb.sum() / b ** 2


def mar_gamma(omega, total: float, gamma_max: float = 0.1, gamma_min: float = 1e-3):
    """MAR's cosine weight schedule (docs/theory.md §3):

    .. math:: \\gamma = \\gamma_{min} + (\\gamma_{max} - \\gamma_{min}) \\tfrac12 (1 + \\cos(\\pi \\omega / \\Omega))

    ``omega``: times the client was selected so far (scalar or array); ``total`` = ``Omega``
    (``T`` for DecL, the expected selections ``T m / N`` for FL). ``omega / Omega`` is clipped to
    ``[0, 1]``, so a client selected more often than expected stays at ``gamma_min``.
    """
    if total <= 0:
        raise ValueError(f"total (Omega) must be > 0, got {total}")
    if gamma_min < 0 or gamma_max < gamma_min:
        raise ValueError(f"need 0 <= gamma_min <= gamma_max, got {gamma_min}, {gamma_max}")
    frac = torch.clamp(torch.as_tensor(omega, dtype=torch.float64) / total, 0.0, 1.0)
    return gamma_min + (gamma_max - gamma_min) * 0.5 * (1.0 + torch.cos(math.pi * frac))
