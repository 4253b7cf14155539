"""Centralised, FedAvg and D-PSGD training, every client of a round in one batched step.

All clients' parameters live in one flat tensor ``(m, P)``, a row per client; one step evaluates
every client's loss and gradient with ``torch.func.vmap(grad_and_value(functional_call(...)))``
and updates all rows with one fused optimiser kernel (PyTorch's ``fused=True`` AdamW, Loshchilov
and Hutter 2019, or SGD with momentum; each row is one optimiser parameter, so step counts and
moments are per client).
Clients hold different numbers of samples, so client ``i`` takes ``E * ceil(n_i / B)`` steps
per round (``E`` local epochs of minibatches drawn without replacement, the last batch of an
epoch wrapping around); the round runs for the largest count and a client that has finished is
left unchanged: its gradient is not computed (only the clients still stepping enter the batched
call) and the optimiser skips it. Minibatches and augmentations are still drawn for every
client, so the random streams, and the numbers, do not depend on who has finished.

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

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.func import functional_call, grad_and_value, vmap

from .augment import augment, keep_mask
from .losses import mar_gamma
from .models import SSLNet, encoder_params


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
    augment: str = "toolkit"


@dataclass
class TrainResult:
    params: dict                          # the final (server / average) model
    client_params: dict                   # stacked local models of the last round (before aggregation)
    client_sizes: np.ndarray              # sizes of the clients in client_params
    losses: list = field(default_factory=list)   # mean client loss per round (None: nobody trained)
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


class FlatLayout:
    """All parameters of a model as one row of a ``(m, P)`` tensor, one row per client.

    The optimiser, the FedAvg mean and the D-PSGD mixing then act on a single tensor (one
    matmul mixes every parameter); :meth:`views` gives ``functional_call`` its dict of views.
    """

    def __init__(self, named: dict) -> None:
        self.names = list(named)
        self.shapes = [tuple(v.shape) for v in named.values()]
        sizes = [v.numel() for v in named.values()]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()

    @property
    def size(self) -> int:
        return self.offsets[-1]

    def flatten(self, tensors: dict) -> torch.Tensor:
        """``{name: (m, *shape)}`` -> ``(m, P)``."""
        m = tensors[self.names[0]].shape[0]
        return torch.cat([tensors[k].reshape(m, -1) for k in self.names], dim=1)

    def views(self, flat: torch.Tensor) -> dict:
        """``(m, P)`` -> ``{name: (m, *shape)}`` views (or ``(P,)`` -> unbatched views)."""
        lead = flat.shape[:-1]
        return {k: flat[..., a:b].reshape(*lead, *shape)
                for k, a, b, shape in zip(self.names, self.offsets, self.offsets[1:], self.shapes)}


def _mean(values: list) -> float | None:
    """Mean loss of a round over the steps that trained someone (``None``: no step did)."""
    taken = [v for v in values if v is not None]
    return float(np.mean(taken)) if taken else None


class _Step:
    """One batched optimiser step for ``model``'s method on flat parameters ``(m, P)``."""

    def __init__(self, model: SSLNet, cfg: TrainConfig, gen: torch.Generator):
        self.model, self.cfg, self.gen = model, cfg, gen
        self.layout = FlatLayout(dict(model.named_parameters()))
        self.grad = vmap(grad_and_value(lambda p, b: functional_call(model, p, (b,))))
        self.encode = vmap(lambda p, x, keep: functional_call(
            model.encoder, p, (x, keep) if model.mask_channel else (x * keep,)))

    def inputs(self, x: torch.Tensor, zbar_flat: torch.Tensor | None, gamma: torch.Tensor | None) -> dict:
        m, b = x.shape[:2]
        method = self.model.method
        if method in ("mae", "mar"):
            keep = keep_mask(self.gen, m, b, tuple(x.shape[2:]), self.cfg.mask_ratio)
            batch = {"x": x, "keep": keep}
            if method == "mar":
                with torch.no_grad():
                    enc = encoder_params(self.layout.views(zbar_flat))
                    batch["zbar"] = self.encode(enc, x, keep)
                batch["gamma"] = gamma.to(torch.float32)
            return batch
        kind = self.cfg.augment
        return {"v1": augment(self.gen, x, noise=self.cfg.noise, kind=kind),
                "v2": augment(self.gen, x, noise=self.cfg.noise, kind=kind)}

    def init_state(self, flat: torch.Tensor) -> torch.optim.Optimizer:
        """A fresh optimiser over the rows of ``flat`` ``(m, P)``, one parameter per client, that
        updates ``flat`` in place: PyTorch's fused AdamW (decoupled weight decay, betas (0.9,
        0.999), eps 1e-8, a step count per client) or fused SGD with momentum and coupled weight
        decay. One fused kernel replaces a dozen passes over ``(m, P)``."""
        c, rows = self.cfg, list(flat.unbind(0))
        if c.optimizer == "sgd":
            return torch.optim.SGD(rows, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay,
                                   fused=True)
        return torch.optim.AdamW(rows, lr=c.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=c.weight_decay, fused=True)

    def __call__(self, flat: torch.Tensor, opt: torch.optim.Optimizer, batch: dict,
                 active: torch.Tensor) -> tuple[torch.Tensor, float | None]:
        """One step of ``opt`` (made by :meth:`init_state` on ``flat``) on the clients with
        ``active`` True; the others, and their optimiser state, are left unchanged (no gradient,
        so the optimiser skips them). Returns ``flat`` (updated in place) and the mean loss of the
        active clients (``None`` when none is active)."""
        on = active.tolist()
        if not any(on):
            return flat, None
        if all(on):
            grads, loss = self.grad(self.layout.views(flat), batch)
        else:      # only the clients still stepping cost compute (issue 26)
            idx = torch.nonzero(active).squeeze(1)
            grads, loss = self.grad(self.layout.views(flat[idx]), {k: v[idx] for k, v in batch.items()})
        g = self.layout.flatten(grads).unbind(0)
        it = iter(g)
        for row, a in zip(opt.param_groups[0]["params"], on):
            row.grad = next(it) if a else None
        opt.step()
        return flat, float(loss.mean())


def _initial(model: SSLNet, lay: FlatLayout, init: torch.Tensor | None) -> torch.Tensor:
    """Initial flat parameters ``(G, P)``: ``init`` or the model's own, one group."""
    if init is None:
        return lay.flatten({k: v.detach()[None] for k, v in model.named_parameters()})
    if init.dim() != 2 or init.shape[1] != lay.size:
        raise ValueError(f"init must have shape (groups, {lay.size}), got {tuple(init.shape)}")
    return init.to(torch.float32).clone()


def _groups_of(x: torch.Tensor, groups: int) -> int:
    """Clients per group; ``x`` stacks ``groups`` runs of equally many clients."""
    if groups < 1 or x.shape[0] % groups:
        raise ValueError(f"x has {x.shape[0]} client rows, not a multiple of groups = {groups}")
    return x.shape[0] // groups


def train_fedavg(model: SSLNet, x: torch.Tensor, sizes: torch.Tensor, cfg: TrainConfig,
                 gen: torch.Generator, *, init: torch.Tensor | None = None,
                 progress: bool = False) -> TrainResult:
    """FedAvg on padded client data ``x`` ``(G*N, n_max, *shape)`` with ``sizes`` ``(G*N,)``.

    ``G`` independent runs (seeds) train in the same batched steps: ``init`` ``(G, P)`` holds
    their initial flat parameters (default: the model's own, ``G = 1``) and rows ``g*N .. g*N+N-1``
    of ``x`` are run ``g``'s clients; each run samples its own clients and has its own server.
    With ``G = 1`` the result's ``params`` are unbatched; otherwise every tensor has a leading
    ``G`` (``client_params``: ``(G, m, ...)``, ``client_sizes``: ``(G, m)``).
    """
    from tqdm import tqdm

    step = _Step(model, cfg, gen)
    lay = step.layout
    server = _initial(model, lay, init)                       # (G, P)
    G = server.shape[0]
    n_cl = _groups_of(x, G)
    m = max(1, int(round(cfg.participation * n_cl)))
    sampler = ClientSampler(x, sizes, cfg.batch_size, gen)
    omega = torch.zeros(G * n_cl)
    expected = cfg.rounds * m / n_cl
    out = TrainResult({}, {}, np.zeros(0, dtype=np.int64))
    offset = (torch.arange(G) * n_cl)[:, None]
    local = server.repeat_interleave(m, 0)
    sel = torch.arange(G * m)
    for r in tqdm(range(cfg.rounds), desc="fedavg", unit="round", disable=not progress, leave=False):
        pick = torch.rand((G, n_cl), generator=gen).argsort(dim=1)[:, :m].sort(dim=1).values
        sel = (pick + offset).reshape(-1)
        local = server.repeat_interleave(m, 0)
        state = step.init_state(local)
        steps = steps_per_round(sizes[sel], cfg)
        gamma = mar_gamma(omega[sel], expected, cfg.gamma_max, cfg.gamma_min)
        zbar = server.repeat_interleave(m, 0) if model.method == "mar" else None
        round_losses = []
        for s in range(int(steps.max())):
            batch = step.inputs(sampler.batch(sel), zbar, gamma)
            local, loss = step(local, state, batch, s < steps)
            round_losses.append(loss)
            out.steps += 1
        omega[sel] += 1
        w = sizes[sel].to(torch.float32).reshape(G, m)
        tot = w.sum(1, keepdim=True)
        mean = torch.einsum("gm,gmp->gp", w / tot.clamp(min=1.0), local.reshape(G, m, -1))
        server = torch.where(tot > 0, mean, server)
        out.losses.append(_mean(round_losses))
    out.client_sizes = sizes[sel].numpy().reshape(G, m)
    out.params, out.client_params = lay.views(server), lay.views(local.reshape(G, m, -1))
    return _ungroup(out, G)


def _ungroup(out: TrainResult, G: int) -> TrainResult:
    """Drop the leading group axis of a one-group result (the unbatched API)."""
    if G == 1:
        out.params = {k: v[0] for k, v in out.params.items()}
        out.client_params = {k: v[0] for k, v in out.client_params.items()}
        out.client_sizes = out.client_sizes[0]
    return out


def train_dpsgd(model: SSLNet, x: torch.Tensor, sizes: torch.Tensor, W: np.ndarray,
                cfg: TrainConfig, gen: torch.Generator, *, init: torch.Tensor | None = None,
                progress: bool = False) -> TrainResult:
    """D-PSGD with local steps on mixing matrix ``W`` ``(N, N)`` (or ``(G, N, N)``, one per run);
    returns the average model of each run. Runs are stacked as in :func:`train_fedavg`."""
    from tqdm import tqdm

    step = _Step(model, cfg, gen)
    lay = step.layout
    start = _initial(model, lay, init)
    G = start.shape[0]
    n_cl = _groups_of(x, G)
    Wt = torch.as_tensor(np.asarray(W), dtype=torch.float32)
    if Wt.dim() == 2:
        Wt = Wt[None].expand(G, -1, -1)
    if tuple(Wt.shape) != (G, n_cl, n_cl):
        raise ValueError(f"W must have shape ({n_cl}, {n_cl}) or ({G}, {n_cl}, {n_cl}), got {tuple(Wt.shape)}")
    mix = lambda f: torch.bmm(Wt, f.reshape(G, n_cl, -1)).reshape(G * n_cl, -1)
    sampler = ClientSampler(x, sizes, cfg.batch_size, gen)
    flat = start.repeat_interleave(n_cl, 0)
    state = step.init_state(flat)
    steps = steps_per_round(sizes, cfg)
    everyone = torch.arange(G * n_cl)
    out = TrainResult({}, {}, sizes.numpy().reshape(G, n_cl))
    local = flat
    for r in tqdm(range(cfg.rounds), desc="d-psgd", unit="round", disable=not progress, leave=False):
        gamma = mar_gamma(torch.full((G * n_cl,), float(r)), cfg.rounds, cfg.gamma_max, cfg.gamma_min)
        round_losses = []
        for s in range(int(steps.max())):
            zbar = mix(flat) if model.method == "mar" else None
            batch = step.inputs(sampler.batch(everyone), zbar, gamma)
            flat, loss = step(flat, state, batch, s < steps)
            round_losses.append(loss)
            out.steps += 1
        out.losses.append(_mean(round_losses))
        local = flat.clone()
        flat.copy_(mix(flat))                        # in place: the optimiser holds flat's rows
    out.params = lay.views(flat.reshape(G, n_cl, -1).mean(1))
    out.client_params = lay.views(local.reshape(G, n_cl, -1))
    return _ungroup(out, G)
