"""Representability and sensitivity of local, FL and DecL representations (docs/theory.md §1.4).

For a stack of client alignment matrices ``X`` (dense ``(N, d, d)`` or batched
:class:`~theory.structured.IdentityPlusBlock`), rank ``c`` and a mixing matrix ``W``:

* ``local``: each client's own optimum (one RV per client);
* ``fl``: the optimum of the FL objective (mean of the ``X_i``);
* ``decl_global``: the optimum of the DecL global objective (Eq. 1, weights ``(1/N) 1^T W``);
* ``decl_average``: DecL's "final average" model: each client optimises its one-step DecL
  objective ``sum_j w_ij X_j``, then the models are averaged (rotation-invariantly, through
  their Gram matrices, :func:`theory.frameworks.gram_average_subspace`).

Every result carries ``tied``/``rank_deficient`` flags: with a tie at ``lambda_c`` the optimal
representation is not unique and an RV computed from one choice is not *the* RV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frameworks import decl_global_target, decl_targets, fl_target, gram_average_subspace
from .objectives import family_optima, family_optimum
from .representations import sensitivity
from .validation import as_int

FRAMEWORKS = ("local", "fl", "decl_global", "decl_average")


@dataclass(frozen=True)
class RepresentabilityResult:
    """RV on the first ``c`` coordinates, ``r`` ``(M, c)`` (one row per model: ``N`` for local,
    1 otherwise), the sensitivity of each row, and flags."""

    framework: str
    r: np.ndarray
    sensitivity: np.ndarray
    tied: bool
    rank_deficient: bool
    tie_weight: np.ndarray | None = None   # (c,): max over the optima of ||Pi_T e_k||^2

    @property
    def min_r(self) -> float:
        return float(self.r.min())


def representability_profile(X, c: int, framework: str, W=None) -> RepresentabilityResult:
    """RV on ``[c]`` and sensitivity of the ``framework``'s representation (module docstring)."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    c = as_int("c", c, minimum=1)
    if framework in ("decl_global", "decl_average") and W is None:
        raise ValueError(f"framework {framework!r} needs the mixing matrix W")
    if framework == "local":
        opts = family_optima(X, c)
        subs = [o.subspace for o in opts]
    elif framework == "fl":
        opts = [family_optimum(fl_target(X), c)]
        subs = [opts[0].subspace]
    elif framework == "decl_global":
        opts = [family_optimum(decl_global_target(X, W), c)]
        subs = [opts[0].subspace]
    else:
        opts = family_optima(decl_targets(X, W), c)
        subs = [gram_average_subspace(opts, c)]
    r = np.stack([s.representability(upto=c) for s in subs])
    return RepresentabilityResult(
        framework, r, np.array([sensitivity(row, c) for row in r]),
        tied=any(o.tied for o in opts), rank_deficient=any(o.rank_deficient for o in opts),
        tie_weight=np.max([o.tie_weight(c) for o in opts], axis=0))
