"""Checks of the data models' exact moments against sampling (claims ``ext.model.*``)."""

from __future__ import annotations

import numpy as np

from theory.mixtures import GaussianMixture
from theory.paper_model import PaperModel
from theory.splits import split_clients

from ..engine.monte_carlo import moment_zscores
from ..engine.registry import REGISTRY, CheckContext, Evidence

Z_MAX = 6.0


def _moment_evidence(label: str, x: np.ndarray, mean: np.ndarray, second: np.ndarray,
                     params: dict) -> Evidence:
    z1, z2 = moment_zscores(x, mean, second)
    ok = max(z1, z2) < Z_MAX
    return Evidence(
        "numerical",
        f"{label}: max |z| of sample vs exact moments = {max(z1, z2):.2f} "
        f"(threshold {Z_MAX}, n = {x.shape[0]})",
        passed=ok, numbers={"z_mean": z1, "z_second_moment": z2}, params=params,
        counterexample=None if ok else {"params": params, "z_mean": z1, "z_second_moment": z2},
    )


@REGISTRY.claim(
    "ext.model.paper-moments", source="theory.paper_model (derived)",
    statement="The closed-form mean and uncentred second moment of each client of the paper's "
              "label-skew model equal the sample moments (Monte Carlo, z-test per entry), for "
              "Bernoulli and Rademacher q",
    latex=r"S_i = \mu^2 I + (1-r)[e_ie_i^\top + \tau^2(m_2-m_1^2)\mathrm{diag}(u_i) "
          r"+ \tau^2 m_1^2 u_iu_i^\top] + r\,e_{h_i}e_{h_i}^\top",
)
def _paper_moments(ctx: CheckContext) -> list[Evidence]:
    n = {"smoke": 5_000, "quick": 20_000, "full": 200_000}[ctx.profile]
    out = []
    for j, q in enumerate([(0.0, 1.0), (-1.0, 1.0)]):
        params = dict(d=10, n_clients=3, rare_fraction=0.2, q_values=q, n=n, seed=[ctx.seed, 1, j])
        model = PaperModel(10, 3, rare_fraction=0.2, q_values=q)
        x, _ = model.sample_all(n, ctx.rng(1, j))
        for i in range(model.n_clients):
            out.append(_moment_evidence(f"q in {q}, client {i}", x[i], model.mean(i),
                                        model.second_moment(i), {**params, "client": i}))
    return out


@REGISTRY.claim(
    "ext.model.structured-moments", source="theory.structured",
    statement="The structured (identity plus 2N x 2N block) second moments equal the dense ones",
)
def _structured(ctx: CheckContext) -> Evidence:
    model = PaperModel(60, 5, tau=1.7, mu=0.4, rare_fraction=0.1)
    err = float(np.max(np.abs(model.structured_second_moments().to_dense() - model.second_moments())))
    return Evidence("numerical", f"max |structured - dense| = {err:.2e} (tolerance 1e-12)",
                    passed=err <= 1e-12, numbers={"max_abs_error": err},
                    params={"d": 60, "n_clients": 5})


@REGISTRY.claim(
    "ext.gmm.client-moments", source="theory.mixtures",
    statement="Exact client moments of a Gaussian mixture under a Dirichlet split, "
              "S_i = sum_c pi_ic (Sigma_c + mu_c mu_c^T), equal the sample moments",
    latex=r"S_i = \sum_c \pi_{ic}(\Sigma_c + \mu_c\mu_c^\top)",
)
def _gmm_moments(ctx: CheckContext) -> list[Evidence]:
    n = {"smoke": 5_000, "quick": 20_000, "full": 200_000}[ctx.profile]
    gm = GaussianMixture.random(4, 6, rng=ctx.rng(2))
    labels = np.repeat(np.arange(4), 50)
    split = split_clients(labels, 3, "dirichlet-class", alpha=0.5, rng=ctx.rng(3))
    means, second = gm.client_means(split.weights), gm.client_second_moments(split.weights)
    out = []
    for i, w in enumerate(split.weights):
        x, _ = gm.sample(n, w, ctx.rng(4, i))
        out.append(_moment_evidence(f"client {i}", x, means[i], second[i],
                                    {"K": 4, "d": 6, "alpha": 0.5, "client": i, "n": n}))
    return out
