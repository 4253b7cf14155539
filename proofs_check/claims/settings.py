"""The model setting the paper-claim checks run on: every parameter is an input.

The paper fixes ``tau = d^{1/5}``, ``mu = d^{-1/5}``, ``q ~ U{0, 1}``, ``c >= 2N``, ``N = Theta(d^{1/20})``
and ``O(d^a)`` rare samples among ``Theta(d^beta)``. A :class:`PaperSetting` states each choice;
checks take one, so a different model can give a different verdict (tests do exactly that).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from theory.paper_model import PaperModel

VIEW_MODELS = ("integrated", "sampled")


@dataclass(frozen=True)
class PaperSetting:
    n_clients: int = 3            # held fixed across the d grid (Theta(d^{1/20}) moves it by < 2x)
    tau_exponent: float = 0.2     # tau = tau_scale * d^{tau_exponent}
    mu_exponent: float = -0.2     # mu = d^{mu_exponent}
    rare_exponent: float = -0.5   # rare fraction d^{a - beta} with a = 1/2, beta = 1
    q_values: tuple = (0.0, 1.0)  # law of q: uniform on these two values
    p: float = 0.75               # mask ratio
    c_factor: int = 2             # c = c_factor * N (the paper: c >= 2N)
    views: str = "integrated"     # CL view model: "integrated" (the loss averages the view noise) or "sampled"
    view_pairs: int = 1           # pairs of views per sample when views = "sampled" (the paper's loss: 1)
    tau_scale: float = 1.0        # the constant of tau (rates are free of it; a larger one reaches the asymptotics sooner)

    def __post_init__(self) -> None:
        if self.views not in VIEW_MODELS:
            raise ValueError(f"views must be one of {VIEW_MODELS}, got {self.views!r}")
        if isinstance(self.view_pairs, bool) or not isinstance(self.view_pairs, int) or self.view_pairs < 1:
            raise ValueError(f"view_pairs must be a positive integer, got {self.view_pairs!r}")
        if isinstance(self.tau_scale, bool) or not isinstance(self.tau_scale, (int, float)) or not 0 < self.tau_scale < np.inf:
            raise ValueError(f"tau_scale must be a positive finite number, got {self.tau_scale!r}")

    @property
    def view_model(self) -> str:
        """The CL view model in words (printed in the quantifiers of every CL check)."""
        if self.views == "integrated":
            return "views integrated out by the loss (X_hat = S_hat: E over the augmentation noise)"
        k = self.view_pairs
        return (f"{'one sampled pair' if k == 1 else f'{k} sampled pairs'} of views per sample"
                + (" (the paper's finite-sample loss)" if k == 1 else ""))

    @property
    def c(self) -> int:
        return self.c_factor * self.n_clients

    def rare_classes(self) -> list[int]:
        """``h_i = N + ((i + 1) mod N)``: the rare directions cover ``e_N..e_{2N-1}`` (N >= 3)."""
        n = self.n_clients
        return [n + ((i + 1) % n) for i in range(n)]

    def model(self, d: int) -> PaperModel:
        return PaperModel(int(d), self.n_clients, tau=self.tau_scale * d**self.tau_exponent, mu=d**self.mu_exponent,
                          rare_fraction=min(1.0, d**self.rare_exponent),
                          rare_classes=self.rare_classes(), q_values=self.q_values)

    @property
    def rare_count_exponent(self) -> float:
        """``a`` of the paper's ``O(d^a)`` rare samples: ``rare_exponent`` is ``a - beta`` at
        ``beta = 1``."""
        return self.rare_exponent + 1.0

    def at_beta(self, beta: float) -> "PaperSetting":
        """The setting with ``|D_i| = d^beta`` samples per client and still ``d^a`` rare ones
        (rare fraction ``d^{a - beta}``), as the paper's regime requires for every beta."""
        return replace(self, rare_exponent=self.rare_count_exponent - float(beta))

    def with_(self, **changes) -> "PaperSetting":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT = PaperSetting()


def d_grid(profile: str, *, structured: bool = False) -> np.ndarray:
    """Dimensions for rate fits, half-decade steps.

    Population quantities on the structured route never touch ``d``-sized arrays, so they use
    ``10^2..10^10`` (quick) or ``10^2..10^12`` (full); anything that builds ``d``-vectors uses
    ``10^2..10^6`` (quick) or ``10^2..10^7`` (full).
    """
    hi = {(False, "quick"): 6, (False, "full"): 7, (True, "quick"): 10, (True, "full"): 12,
          (False, "smoke"): 4, (True, "smoke"): 6}[(structured, profile)]
    return np.round(np.logspace(2, hi, 2 * (hi - 2) + 1)).astype(np.int64)


BETA_LABEL = "beta (|D_i| = d^beta)"


def beta_grid(profile: str) -> tuple[float, ...]:
    """Sample-size exponents beta (``|D_i| = d^beta``; the paper allows any beta >= 1)."""
    return {"smoke": (1.0, 3.0), "quick": (1.0, 2.0, 3.0), "full": (1.0, 1.5, 2.0, 2.5, 3.0)}[profile]
