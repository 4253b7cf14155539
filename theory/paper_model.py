"""The paper's synthetic label-skew model (docs/theory.md §1.2), with exact moments and sampling.

Index mapping (code is 0-based, the paper 1-based)
--------------------------------------------------
==========================  ==============================  =============================
object                      code                            paper
==========================  ==============================  =============================
client                      ``i`` in ``0..N-1``             ``i + 1``
its main classes            ``2i`` (sign +1), ``2i+1`` (-1)  ``2(i+1) - 1``, ``2(i+1)``
its main direction          ``e_i`` (column ``i``)          ``e_{i+1}``
rare class ``h``            ``h`` in ``0..2N-1``            ``h + 1``, direction ``e_{h+1}``
==========================  ==============================  =============================

Samples of client ``i`` (fresh ``q`` and ``xi`` each time):

.. math::

    \\text{class } 2i:\\; x = e_i - \\tau \\sum_{k \\in [N], k \\ne i} q_k e_k + \\mu \\xi, \\quad
    \\text{class } 2i+1:\\; x = -e_i - \\tau \\sum_{k \\ne i} q_k e_k + \\mu \\xi, \\quad
    \\text{class } h_i:\\; x = e_{h_i} + \\mu \\xi,

``q_k`` i.i.d. (the paper: uniform on ``{0, 1}``; here any two-point law), ``xi ~ N(0, I_d)``.
A client's samples are i.i.d. from the mixture with weights ``((1-r)/2, (1-r)/2, r)``,
``r`` the rare fraction.

Exact moments (derived in :meth:`PaperModel.second_moment`), with ``u_i = sum_{k in [N], k != i} e_k``,
``m_1 = E q``, ``m_2 = E q^2``:

.. math::

    E_i[x] = -(1-r)\\, \\tau m_1 u_i + r\\, e_{h_i}, \\qquad
    S_i = \\mu^2 I + (1-r)\\big[e_i e_i^\\top + \\tau^2 (m_2 - m_1^2) \\operatorname{diag}(u_i)
          + \\tau^2 m_1^2 u_i u_i^\\top\\big] + r\\, e_{h_i} e_{h_i}^\\top .

The sign ``s = ±1`` of the main classes cancels the cross terms ``e_i E[Q]^T`` because both
main classes have weight ``(1-r)/2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .structured import IdentityPlusBlock
from .validation import as_float, as_int


class PaperModel:
    """The label-skew model of docs/theory.md §1.2 with free scalings.

    Parameters
    ----------
    d : int
        Dimension, ``d >= 2 * n_clients`` (rare classes point along ``e_h``, ``h < 2N``).
    n_clients : int
        Number of clients ``N >= 2``.
    tau, mu : float, optional
        Scalings; default to the paper's ``tau = d**(1/5)``, ``mu = d**(-1/5)``.
    rare_fraction : float, optional
        Probability that a sample is of the rare class, in ``[0, 1]``. Default ``d**(-1/2)``:
        ``O(d^a)`` rare samples among ``Theta(d^beta)`` with ``a = 1/2``, ``beta = 1``.
    rare_classes : sequence of int, optional
        ``h_i`` for each client, in ``0..2N-1`` and not ``2i`` or ``2i+1``. Default: the first
        class of the next client on a ring, ``h_i = 2((i + 1) mod N)``.
    q_values : pair of float
        Support of the law of ``q_k``; default ``(0, 1)`` as in the paper. ``(-1, 1)`` gives
        symmetric (Rademacher) ``q``.
    q_probs : pair of float, optional
        Probabilities of ``q_values``; default equal.
    """

    def __init__(
        self,
        d: int,
        n_clients: int,
        *,
        tau: float | None = None,
        mu: float | None = None,
        rare_fraction: float | None = None,
        rare_classes: Sequence[int] | None = None,
        q_values: tuple[float, float] = (0.0, 1.0),
        q_probs: tuple[float, float] | None = None,
    ) -> None:
        self.n_clients = as_int("n_clients", n_clients, minimum=2)
        self.d = as_int("d", d, minimum=1)
        if self.d < 2 * self.n_clients:
            raise ValueError(
                f"d must be >= 2 * n_clients = {2 * self.n_clients} (rare classes point along "
                f"e_h, h < 2N), got d={self.d}"
            )
        self.tau = self.d ** (1 / 5) if tau is None else as_float("tau", tau, positive=True)
        self.mu = self.d ** (-1 / 5) if mu is None else as_float("mu", mu, positive=True)
        self.rare_fraction = (
            self.d ** (-1 / 2)
            if rare_fraction is None
            else as_float("rare_fraction", rare_fraction, unit_interval=True)
        )
        self.rare_classes = self._validate_rare(rare_classes)
        if len(q_values) != 2:
            raise ValueError(f"q_values must be a pair of reals, got {q_values!r}")
        self.q_values = np.array([as_float("q_values[0]", q_values[0]),
                                  as_float("q_values[1]", q_values[1])])
        if q_probs is None:
            self.q_probs = np.array([0.5, 0.5])
        else:
            if len(q_probs) != 2:
                raise ValueError(f"q_probs must be a pair of probabilities, got {q_probs!r}")
            probs = np.array([as_float(f"q_probs[{k}]", q_probs[k], unit_interval=True)
                              for k in range(2)])
            if abs(probs.sum() - 1.0) > 1e-12:
                raise ValueError(f"q_probs must sum to 1, got sum {probs.sum()!r}")
            self.q_probs = probs

    def _validate_rare(self, rare_classes) -> np.ndarray:
        n = self.n_clients
        if rare_classes is None:
            return 2 * ((np.arange(n) + 1) % n)
        arr = np.asarray(rare_classes)
        if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"rare_classes must be {n} integers (one per client), got {rare_classes!r}"
            )
        for i, h in enumerate(arr):
            if not 0 <= h < 2 * n:
                raise ValueError(f"rare_classes[{i}] must lie in 0..{2 * n - 1}, got {h}")
            if h in (2 * i, 2 * i + 1):
                raise ValueError(
                    f"rare_classes[{i}] = {h} is one of client {i}'s own classes "
                    f"({2 * i}, {2 * i + 1}); pick another class"
                )
        return arr.astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"PaperModel(d={self.d}, n_clients={self.n_clients}, tau={self.tau:.6g}, "
            f"mu={self.mu:.6g}, rare_fraction={self.rare_fraction:.6g}, "
            f"q_values={tuple(self.q_values)}, q_probs={tuple(self.q_probs)})"
        )

    # --------------------------------------------------------------- q law
    @property
    def q_mean(self) -> float:
        """``m_1 = E q``."""
        return float(self.q_probs @ self.q_values)

    @property
    def q_second_moment(self) -> float:
        """``m_2 = E q^2``."""
        return float(self.q_probs @ self.q_values**2)

    @property
    def n_classes(self) -> int:
        return 2 * self.n_clients

    def class_weights(self) -> np.ndarray:
        """Per-client class probabilities, shape ``(N, 2N)``; row ``i`` puts ``(1-r)/2`` on
        ``2i`` and ``2i+1`` and ``r`` on ``h_i``."""
        n, r = self.n_clients, self.rare_fraction
        w = np.zeros((n, 2 * n))
        idx = np.arange(n)
        w[idx, 2 * idx] = (1 - r) / 2
        w[idx, 2 * idx + 1] = (1 - r) / 2
        w[idx, self.rare_classes] += r
        return w

    def _check_client(self, i) -> int:
        return as_int("i", i, minimum=0, maximum=self.n_clients - 1)

    # ------------------------------------------------------- exact moments
    def _block(self, clients: np.ndarray) -> np.ndarray:
        """Leading ``(2N, 2N)`` block of ``S_i - mu^2 I`` for the given clients."""
        n, r, tau = self.n_clients, self.rare_fraction, self.tau
        m1, m2 = self.q_mean, self.q_second_moment
        m = 2 * n
        u = np.ones((clients.size, m))
        u[:, n:] = 0.0
        u[np.arange(clients.size), clients] = 0.0          # u_i = sum_{k<N, k != i} e_k
        block = (1 - r) * tau**2 * m1**2 * u[:, :, None] * u[:, None, :]
        diag = (1 - r) * tau**2 * (m2 - m1**2) * u
        diag[np.arange(clients.size), clients] += 1 - r      # e_i e_i^T
        diag[np.arange(clients.size), self.rare_classes[clients]] += r
        idx = np.arange(m)
        block[:, idx, idx] += diag
        return block

    def mean(self, i: int) -> np.ndarray:
        """``E_i[x]``, shape ``(d,)`` (module docstring)."""
        return self.means()[self._check_client(i)]

    def means(self) -> np.ndarray:
        """All client means, shape ``(N, d)``."""
        n, r = self.n_clients, self.rare_fraction
        out = np.zeros((n, self.d))
        out[:, :n] = -(1 - r) * self.tau * self.q_mean
        idx = np.arange(n)
        out[idx, idx] = 0.0
        out[idx, self.rare_classes] += r
        return out

    def second_moment(self, i: int) -> np.ndarray:
        """Uncentred ``S_i = E_i[x x^T]``, dense ``(d, d)`` (module docstring)."""
        return self.structured_second_moments()[self._check_client(i)].to_dense()

    def second_moments(self) -> np.ndarray:
        """All ``S_i`` stacked, dense ``(N, d, d)``."""
        return self.structured_second_moments().to_dense()

    def structured_second_moments(self) -> IdentityPlusBlock:
        """All ``S_i`` as ``mu^2 I_d + pad(B_i)`` with ``B_i`` of size ``2N``; no ``d x d``."""
        clients = np.arange(self.n_clients)
        return IdentityPlusBlock(self.d, np.full(self.n_clients, self.mu**2),
                                 self._block(clients))

    # ------------------------------------------------------------ sampling
    def _labels(self, clients: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        r = self.rare_fraction
        kind = rng.choice(3, size=(clients.size, n), p=[(1 - r) / 2, (1 - r) / 2, r])
        return np.where(kind == 2, self.rare_classes[clients][:, None],
                        2 * clients[:, None] + kind)

    def _draw(self, clients: np.ndarray, labels: np.ndarray, rng) -> np.ndarray:
        n_cl, n = labels.shape
        nn = self.n_clients
        x = self.mu * rng.standard_normal((n_cl, n, self.d))
        q = self.q_values[(rng.random((n_cl, n, nn)) >= self.q_probs[0]).astype(np.int64)]
        main = labels // 2 == clients[:, None]              # not the rare class
        sign = np.where(labels % 2 == 0, 1.0, -1.0)
        q[np.arange(n_cl), :, clients] = 0.0                # k != i
        x[:, :, :nn] -= np.where(main[..., None], self.tau * q, 0.0)
        ci = np.broadcast_to(clients[:, None], (n_cl, n))
        bi = np.broadcast_to(np.arange(n_cl)[:, None], (n_cl, n))
        si = np.broadcast_to(np.arange(n)[None, :], (n_cl, n))
        x[bi, si, ci] += np.where(main, sign, 0.0)
        rare_dir = np.where(main, 0, labels)
        x[bi, si, rare_dir] += np.where(main, 0.0, 1.0)
        return x

    def sample(self, i: int, n: int, rng: np.random.Generator | int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` i.i.d. samples of client ``i``.

        Returns
        -------
        x : array, shape ``(n, d)``
        labels : int array, shape ``(n,)`` in ``0..2N-1``
        """
        i = self._check_client(i)
        n = as_int("n", n, minimum=1)
        rng = np.random.default_rng(rng)
        clients = np.array([i])
        labels = self._labels(clients, n, rng)
        return self._draw(clients, labels, rng)[0], labels[0]

    def sample_all(self, n: int, rng: np.random.Generator | int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples for every client at once: ``x (N, n, d)``, ``labels (N, n)``."""
        n = as_int("n", n, minimum=1)
        rng = np.random.default_rng(rng)
        clients = np.arange(self.n_clients)
        labels = self._labels(clients, n, rng)
        return self._draw(clients, labels, rng), labels
