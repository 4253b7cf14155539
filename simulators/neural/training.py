"""Centralised, FedAvg and D-PSGD training, every client of a round in one batched step.

All clients' parameters live in one dict of stacked tensors ``(m, *shape)``; one step evaluates
every client's loss and gradient with ``torch.func.vmap(grad_and_value(functional_call(...)))``
and updates all of them with one optimiser expression per parameter tensor (no Python loop over
clients): SGD with momentum, or Adam with decoupled weight decay (AdamW, Loshchilov and Hutter
2019) whose state and per-client step counts are part of the stacked state.
Clients hold different numbers of samples, so client ``i`` takes ``E * ceil(n_i / B)`` steps
per round (``E`` local epochs of minibatches drawn without replacement, the last batch of an
epoch wrapping around); the round runs for the largest count and a client that has finished is
left unchanged (its update is masked).

FedAvg (McMahan et al. 2017): each round ``m = round(participation * N)`` clients are drawn
without replacement, start from the server model with a fresh optimiser state, and the server
takes their size-weighted mean. D-PSGD (Lian et al. 2017) with local steps: every client takes
its local steps, then the models are mixed, ``theta <- W theta`` (one ``einsum``); the result is
the average model ``(1/N) sum_i theta_i``. Centralised training is FedAvg with one client that
holds all the (possibly transformed) training data. MAR's global representation ``zbar`` is
the encoder of the server model (FedAvg) or of the neighbour mean ``sum_j W_ij theta_j``
(D-PSGD) applied to the same masked batch, without gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.func import functional_call, grad_and_value, vmap

from .augment import augment, keep_mask
from .losses import mar_gamma
from .models import SSLNet


@dataclass
class TrainConfig:
    rounds: int = 20
    local_epochs: int = 1
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    mask_ratio: float = 0.75
    participation: float = 1.0
    gamma_max: float = 0.1
    gamma_min: float = 1e-3
    noise: float = 0.5


@dataclass
class TrainResult:
    params: dict                          # the final (server / average) model
    client_params: dict                   # stacked local models of the last round (before aggregation)
    client_sizes: np.ndarray              # sizes of the clients in client_params
    losses: list = field(default_factory=list)   # mean client loss per round
    steps: int = 0                        # batched steps taken


class ClientSampler:
    """Minibatches without replacement for all clients at once.

    ``x``: ``(N, n_max, *shape)`` padded client inputs, ``sizes``: ``(N,)``. Each client keeps a
    permutation of its samples and a position; a finished epoch draws a new permutation.
    """

    def __init__(self, x: torch.Tensor, sizes: torch.Tensor, batch_size: int, gen: torch.Generator):
        self.x, self.sizes, self.b, self.gen = x, sizes, batch_size, gen
        self.n_max = x.shape[1]
        self.perm = torch.zeros((x.shape[0], self.n_max), dtype=torch.long)
        self.pos = torch.full((x.shape[0],), -1, dtype=torch.long)    # -1: needs a permutation

    def _refresh(self, clients: torch.Tensor) -> None:
        need = clients[(self.pos[clients] < 0) | (self.pos[clients] >= self.sizes[clients])]
        if need.numel():
            keys = torch.rand((need.numel(), self.n_max), generator=self.gen)
            keys[torch.arange(self.n_max)[None, :] >= self.sizes[need][:, None]] = 2.0
            self.perm[need] = keys.argsort(dim=1)
            self.pos[need] = 0

    def batch(self, clients: torch.Tensor) -> torch.Tensor:
        """The next batch of each client in ``clients`` ``(m,)``: ``(m, B, *shape)``."""
        self._refresh(clients)
        n = self.sizes[clients].clamp(min=1)
        slots = (self.pos[clients][:, None] + torch.arange(self.b)[None, :]) % n[:, None]
        idx = self.perm[clients].gather(1, slots)
        self.pos[clients] += self.b
        return self.x[clients[:, None], idx]


def steps_per_round(sizes: torch.Tensor, cfg: TrainConfig) -> torch.Tensor:
    """``E * ceil(n_i / B)`` local steps per client (0 for an empty client)."""
    return cfg.local_epochs * torch.div(sizes + cfg.batch_size - 1, cfg.batch_size, rounding_mode="floor")


def _mean(values: list) -> float:
    finite = [v for v in values if not np.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _stack(params: dict, m: int) -> dict:
    return {k: v.detach().unsqueeze(0).expand(m, *v.shape).clone() for k, v in params.items()}


def _encoder_params(params: dict) -> dict:
    return {k[len("encoder."):]: v for k, v in params.items() if k.startswith("encoder.")}


class _Step:
    """One batched SGD step for ``model``'s method (see module docstring)."""

    def __init__(self, model: SSLNet, cfg: TrainConfig, gen: torch.Generator):
        self.model, self.cfg, self.gen = model, cfg, gen
        self.grad = vmap(grad_and_value(lambda p, b: functional_call(model, p, (b,))))
        self.encode = vmap(lambda p, x: functional_call(model.encoder, p, (x,)))

    def inputs(self, x: torch.Tensor, zbar_params: dict | None, gamma: torch.Tensor | None) -> dict:
        m, b = x.shape[:2]
        method = self.model.method
        if method in ("mae", "mar"):
            keep = keep_mask(self.gen, m, b, tuple(x.shape[2:]), self.cfg.mask_ratio)
            batch = {"x": x, "keep": keep}
            if method == "mar":
                with torch.no_grad():
                    batch["zbar"] = self.encode(_encoder_params(zbar_params), x * keep)
                batch["gamma"] = gamma.to(torch.float32)
            return batch
        return {"v1": augment(self.gen, x, noise=self.cfg.noise),
                "v2": augment(self.gen, x, noise=self.cfg.noise)}

    def __call__(self, params: dict, state: dict, batch: dict, active: torch.Tensor) -> float:
        grads, loss = self.grad(params, batch)
        c = self.cfg
        if c.optimizer == "adam":
            state["t"] = state["t"] + active.to(torch.float32)
        for k in params:
            shape = (-1,) + (1,) * (params[k].dim() - 1)
            a = active.view(shape)
            if c.optimizer == "sgd":
                g = grads[k] + c.weight_decay * params[k]
                new_buf = c.momentum * state[k] + g
                state[k] = torch.where(a, new_buf, state[k])
                params[k] = torch.where(a, params[k] - c.lr * new_buf, params[k])
            else:                                  # AdamW, betas (0.9, 0.999), eps 1e-8
                m1, m2 = state[k]
                g = grads[k]
                n1, n2 = 0.9 * m1 + 0.1 * g, 0.999 * m2 + 0.001 * g * g
                t = state["t"].clamp(min=1).view(shape)
                upd = (n1 / (1 - 0.9 ** t)) / (torch.sqrt(n2 / (1 - 0.999 ** t)) + 1e-8)
                new = params[k] * (1 - c.lr * c.weight_decay) - c.lr * upd
                state[k] = (torch.where(a, n1, m1), torch.where(a, n2, m2))
                params[k] = torch.where(a, new, params[k])
        return float(loss[active].mean()) if bool(active.any()) else float("nan")

    def init_state(self, params: dict) -> dict:
        m = next(iter(params.values())).shape[0]
        if self.cfg.optimizer == "sgd":
            return {k: torch.zeros_like(v) for k, v in params.items()}
        state = {k: (torch.zeros_like(v), torch.zeros_like(v)) for k, v in params.items()}
        state["t"] = torch.zeros(m)
        return state


def train_fedavg(model: SSLNet, x: torch.Tensor, sizes: torch.Tensor, cfg: TrainConfig,
                 gen: torch.Generator, *, progress: bool = False) -> TrainResult:
    """FedAvg on padded client data ``x`` ``(N, n_max, *shape)`` with ``sizes`` ``(N,)``."""
    from tqdm import tqdm

    n_cl = x.shape[0]
    m = max(1, int(round(cfg.participation * n_cl)))
    step = _Step(model, cfg, gen)
    sampler = ClientSampler(x, sizes, cfg.batch_size, gen)
    server = {k: v.detach().clone() for k, v in model.named_parameters()}
    omega = torch.zeros(n_cl)
    expected = cfg.rounds * m / n_cl
    out = TrainResult(server, {}, np.zeros(0, dtype=np.int64))
    for r in tqdm(range(cfg.rounds), desc="fedavg", unit="round", disable=not progress, leave=False):
        sel = torch.randperm(n_cl, generator=gen)[:m].sort().values
        local = _stack(server, m)
        buf = step.init_state(local)
        steps = steps_per_round(sizes[sel], cfg)
        gamma = mar_gamma(omega[sel], expected, cfg.gamma_max, cfg.gamma_min)
        zbar = _stack(server, m) if model.method == "mar" else None
        round_losses = []
        for s in range(int(steps.max())):
            batch = step.inputs(sampler.batch(sel), zbar, gamma)
            round_losses.append(step(local, buf, batch, s < steps))
            out.steps += 1
        omega[sel] += 1
        w = sizes[sel].to(torch.float32)
        if float(w.sum()) > 0:
            w = w / w.sum()
            server = {k: torch.einsum("i,i...->...", w, v) for k, v in local.items()}
        out.losses.append(_mean(round_losses))
        out.client_params, out.client_sizes = local, sizes[sel].numpy()
    out.params = server
    return out


def train_dpsgd(model: SSLNet, x: torch.Tensor, sizes: torch.Tensor, W: np.ndarray,
                cfg: TrainConfig, gen: torch.Generator, *, progress: bool = False) -> TrainResult:
    """D-PSGD with local steps on mixing matrix ``W`` ``(N, N)``; returns the average model."""
    from tqdm import tqdm

    n_cl = x.shape[0]
    Wt = torch.as_tensor(np.asarray(W), dtype=torch.float32)
    mix = lambda p: {k: torch.einsum("ij,j...->i...", Wt, v) for k, v in p.items()}
    step = _Step(model, cfg, gen)
    sampler = ClientSampler(x, sizes, cfg.batch_size, gen)
    params = _stack(dict(model.named_parameters()), n_cl)
    buf = step.init_state(params)
    steps = steps_per_round(sizes, cfg)
    everyone = torch.arange(n_cl)
    out = TrainResult({}, {}, sizes.numpy())
    for r in tqdm(range(cfg.rounds), desc="d-psgd", unit="round", disable=not progress, leave=False):
        gamma = mar_gamma(torch.full((n_cl,), float(r)), cfg.rounds, cfg.gamma_max, cfg.gamma_min)
        round_losses = []
        for s in range(int(steps.max())):
            zbar = mix(params) if model.method == "mar" else None
            batch = step.inputs(sampler.batch(everyone), zbar, gamma)
            round_losses.append(step(params, buf, batch, s < steps))
            out.steps += 1
        out.losses.append(_mean(round_losses))
        out.client_params = {k: v.clone() for k, v in params.items()}
        params = mix(params)
    out.params = {k: v.mean(0) for k, v in params.items()}
    return out
