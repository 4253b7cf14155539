"""Benchmark: one FedAvg round of ``seeds x clients`` models (the seed blocks of the empirical
claims: every client of every seed in one batched ``vmap`` step) against the loop a PyTorch user
would write (issue 26): one ``nn.Module`` per client (``nn.Conv1d``, ``nn.BatchNorm1d``) loaded
from the server's ``state_dict``, its
own ``torch.optim.AdamW`` over ``module.parameters()``, ``loss.backward()`` per minibatch, and the
server's size-weighted ``state_dict`` average, over every seed and client (same process, same
minibatches and views, ratio printed), for every method and backbone: the MLP on the Gaussian
mixture of the claims, the published MNIST-1D CNN. Each case also times the matrix products of
one client step (recorded from the dispatcher) as ``torch.bmm`` over all the models: the time
of a batched step that did nothing else, so the loop's time over it bounds any batched ratio.
``--arm flat-loop`` adds the older baseline (a loop over clients of the same flat-parameter
gradient and fused AdamW step).

Threads are set explicitly (``--threads``, default 1, the setting of the claims' runs; a
list such as ``1,2`` times every arm at each count and then compares each arm at its own
fastest count, so the loop is not judged at a thread count that slows it). The two arms
alternate ``--repeat`` times and each keeps its best time (noise only adds time); with more than
one, each alternation's own ratio is printed too (median and range), since this machine's speed
drifts over minutes and an alternation times both arms close together.
Run: ``python benchmarks/bench_neural.py [--threads 1,2] [--seeds 10] [--clients 10] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics

import torch
from timing import best_of
from torch.func import functional_call, grad_and_value

from simulators.neural.config import NEURAL_SCHEMA
from simulators.neural.experiment import _stack_clients, build
from simulators.neural.training import ClientSampler, FlatLayout, _Step, steps_per_round


def batched_round(step, sampler, flat, sizes, cfg):
    m = flat.shape[0]
    opt = step.init_state(flat)
    steps = steps_per_round(sizes, cfg)
    everyone = torch.arange(m)
    for s in range(int(steps.max())):
        batch = step.inputs(sampler.batch(everyone), flat, torch.full((m,), 0.05))
        flat, _ = step(flat, opt, batch, s < steps)
    return flat


def flat_loop_round(step, sampler, flat, sizes, cfg, one):
    """The same round with a Python loop over clients of the batched step's arithmetic: each
    client's flat-parameter gradient and its own fused AdamW step."""
    lay, m = step.layout, flat.shape[0]
    steps = steps_per_round(sizes, cfg)
    rows = []
    for i in range(m):
        p = flat[i].clone()
        opt = torch.optim.AdamW([p], lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
        for t in range(1, int(steps[i]) + 1):
            batch = step.inputs(sampler.batch(torch.tensor([i])), flat[i:i + 1], torch.full((1,), 0.05))
            g, _ = one(lay.views(p), {k: v[0] for k, v in batch.items()})
            p.grad = torch.cat([g[k].reshape(-1) for k in lay.names])
            opt.step()
        rows.append(p)
    return torch.stack(rows)


class ViewBatchNorm(torch.nn.BatchNorm1d):
    """The ``nn.BatchNorm1d`` a PyTorch user would write for a :class:`BatchStandardize` (the
    same normalisation in training mode; no running statistics, the faster choice for the loop),
    called on each view of a ``(V, B, k)`` input as a user would call the head per view."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if h.dim() == 2:
            return super().forward(h)
        return torch.stack([super(ViewBatchNorm, self).forward(view) for view in h])


def plain_modules(net):
    """``net`` with the modules a PyTorch user would write: every :class:`SignalConv` replaced
    by ``nn.Conv1d``, every :class:`SignalCNN` by the ``nn.Sequential`` of its children, every
    :class:`BatchStandardize` by :class:`ViewBatchNorm` (the same parameters and ``state_dict``),
    and SimSiam's heads run on ``(2, B, k)`` as a user writes them (``features_first = False``)."""
    from simulators.neural.models import BatchStandardize, SignalCNN, SignalConv, SSLNet

    if isinstance(net, SSLNet):
        net.features_first = False
    for name, child in list(net.named_children()):
        if isinstance(child, SignalConv):
            conv = torch.nn.Conv1d(child.in_channels, child.out_channels, child.kernel_size,
                                   stride=child.stride, padding=child.padding)
            conv.load_state_dict(child.state_dict())
            setattr(net, name, conv)
        elif isinstance(child, SignalCNN):
            setattr(net, name, plain_modules(torch.nn.Sequential(*child)))
        elif isinstance(child, BatchStandardize):
            norm = ViewBatchNorm(child.weight.shape[0], eps=1e-5, track_running_stats=False)
            norm.load_state_dict(child.state_dict())
            setattr(net, name, norm)
        else:
            plain_modules(child)
    return net


def client_batch(step, sampler, flat, i: int = 0) -> dict:
    """Client ``i``'s next minibatch as the batched arm builds it (MAR's ``zbar`` from the
    encoder of ``flat``, ``(1, P)``), without the client axis."""
    batch = step.inputs(sampler.batch(torch.tensor([i])), flat, torch.full((1,), 0.05))
    return {k: v[0] for k, v in batch.items()}


def model_flat(step, model) -> torch.Tensor:
    """``model``'s parameters as one flat row ``(1, P)`` of ``step``'s layout."""
    return step.layout.flatten({k: v.detach()[None] for k, v in model.named_parameters()})


def same_loss(model, plain, xp, sizes, cfg) -> None:
    """Check that ``plain`` (:func:`plain_modules` of a copy of ``model``) computes ``model``'s
    loss on one client batch (float32, rel 1e-5), so the loop times the same function. Draws
    from its own generator, so the timed arms' minibatches are unchanged."""
    gen = torch.Generator().manual_seed(1)
    step = _Step(model, cfg, gen)
    batch = client_batch(step, ClientSampler(xp, sizes, cfg.batch_size, gen), model_flat(step, model))
    with torch.no_grad():
        want, got = float(model(batch)), float(plain(batch))
    if abs(got - want) > 1e-5 * max(1.0, abs(want)):
        raise AssertionError(f"the loop's modules compute loss {got} where the model computes {want}")


def module_loop_round(step, sampler, server_states, sizes, cfg, modules, n_clients):
    """The ordinary PyTorch FedAvg round: for each seed's server ``state_dict`` and each of its
    clients, load the state into that client's ``nn.Module``, train it with a fresh AdamW over
    ``module.parameters()`` (``zero_grad``, ``backward``, ``step``), then average the clients'
    ``state_dict``s by size. Returns the new server states."""
    steps = steps_per_round(sizes, cfg)
    new_states = []
    for g, state in enumerate(server_states):
        server_flat = step.layout.flatten({k: state[k][None] for k in step.layout.names})
        states, weights = [], []
        for j in range(n_clients):
            i = g * n_clients + j
            net = modules[i]
            net.load_state_dict(state)
            opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            for _ in range(int(steps[i])):
                # MAR's zbar (the server encoder on the same masked batch) as the batched arm makes it
                batch = client_batch(step, sampler, server_flat, i)
                opt.zero_grad()
                net(batch).backward()
                opt.step()
            states.append({k: v.detach().clone() for k, v in net.state_dict().items()})
            weights.append(float(sizes[i]))
        total = sum(weights)
        new_states.append({k: sum(w / total * s[k] for w, s in zip(weights, states)) for k in states[0]})
    return new_states


def client_matmuls(model, step, sampler) -> list:
    """The matrix products ``(M, K, N)`` of one client's forward and backward pass on one batch
    in the batched arm's own modules (``mm``, ``addmm``, ``bmm`` folded to ``M``), as the
    dispatcher sees them."""
    from torch.utils._python_dispatch import TorchDispatchMode

    seen = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.overloadpacket.__name__
            if name in ("mm", "addmm", "bmm"):
                a, b = (args[1], args[2]) if name == "addmm" else (args[0], args[1])
                seen.append((a.numel() // a.shape[-1], a.shape[-1], b.shape[-1]))
            return func(*args, **(kwargs or {}))

    params = {k: v.detach().clone().requires_grad_() for k, v in model.named_parameters()}
    batch = client_batch(step, sampler, model_flat(step, model))
    with Record():
        functional_call(model, params, (batch,)).backward()
    return seen


def matmul_floor(shapes: list, models: int, repeat: int = 3) -> tuple[float, float]:
    """``(FLOPs, seconds)`` of the products ``shapes`` of one client step done as ``torch.bmm``
    over ``models`` models (random contiguous operands, best of ``repeat``), per model: the
    time the batched step would take if it did nothing but its matrix products."""
    flops, seconds = 0.0, 0.0
    for m, k, n in shapes:
        a, b = torch.randn(models, m, k), torch.randn(models, k, n)
        torch.bmm(a, b)
        seconds += best_of(lambda: torch.bmm(a, b), repeat)[0] / models
        flops += 2.0 * m * k * n
    return flops, seconds


CASES = tuple((method, arch, dataset) for arch, dataset in (("mlp", "synthetic"), ("cnn", "mnist1d"))
              for method in ("mae", "simsiam", "spectral", "mar"))
SETTINGS = {"synthetic": {"d": 64, "rep_dim": 8, "n_train": 1000},
            "mnist1d": {"rep_dim": 125, "hidden": 128, "n_train": 4000, "augment": "mnist1d",
                        "mask_channel": True, "mae_target": "detrended", "mask_ratio": 0.5}}


def paired(times: dict, name: str) -> list[float]:
    """The batched arm's speed-up over ``name`` in each alternation (``times``: seconds per arm,
    one entry per alternation, in the order they ran)."""
    return [t / b for t, b in zip(times[name], times["batched"])]


def thread_counts(text: str) -> list[int]:
    """``--threads``: comma-separated positive thread counts, e.g. ``1,2``."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"--threads takes distinct positive integers separated by "
                                         f"commas, e.g. 1 or 1,2; got {text!r}")
    return counts


def main() -> None:
    import copy

    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=thread_counts, default=[1],
                    help="thread counts, comma-separated (default 1); with several, each arm is "
                         "also compared at its own fastest count")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2, help="timings per arm, the best kept")
    ap.add_argument("--arm", action="append", choices=("module-loop", "flat-loop"),
                    help="baselines to time (default: module-loop)")
    ap.add_argument("--case", action="append", help="METHOD+ARCH, e.g. mae+cnn (default: all)")
    args = ap.parse_args()
    arms = args.arm or ["module-loop"]
    base = {k: v[1] for k, v in NEURAL_SCHEMA.items()}
    print(f"torch {torch.__version__}, {'/'.join(map(str, args.threads))} thread(s), {args.seeds} seeds x "
          f"{args.clients} clients = {args.seeds * args.clients} models per step, IID splits, "
          f"{args.rounds} round(s)")
    for method, arch, dataset in CASES:
        if args.case and f"{method}+{arch}" not in args.case:
            continue
        pt = dict(base, method=method, arch=arch, dataset=dataset, split="iid",
                  n_clients=args.clients, **SETTINGS[dataset])
        built = [build(pt, s) for s in range(args.seeds)]
        model, cfg = built[0][1], built[0][2]
        lay = FlatLayout(dict(model.named_parameters()))
        init = torch.cat([lay.flatten({k: v.detach()[None] for k, v in b[1].named_parameters()})
                          for b in built])
        xp, sizes = _stack_clients([b[0] for b in built], centralised=False)
        one = grad_and_value(lambda p, b: functional_call(model, p, (b,)))
        runs = {}
        for name in ("batched", *arms):
            gen = torch.Generator().manual_seed(0)
            step = _Step(model, cfg, gen)
            sampler = ClientSampler(xp, sizes, cfg.batch_size, gen)
            flat = init.repeat_interleave(args.clients, 0)
            if name == "batched":
                run = lambda step=step, sampler=sampler, flat=flat: batched_round(step, sampler, flat.clone(), sizes, cfg)
            elif name == "flat-loop":
                run = lambda step=step, sampler=sampler, flat=flat: flat_loop_round(step, sampler, flat, sizes, cfg, one)
            else:
                modules = [plain_modules(copy.deepcopy(b[1])) for b in built for _ in range(args.clients)]
                same_loss(model, modules[0], xp, sizes, cfg)
                states = [b[1].state_dict() for b in built]
                run = (lambda step=step, sampler=sampler, modules=modules, states=states:
                       module_loop_round(step, sampler, states, sizes, cfg, modules, args.clients))
            runs[name] = run
        shapes = None
        client_steps = float(steps_per_round(sizes, cfg).sum()) * args.rounds
        rates = {}
        for threads in args.threads:
            torch.set_num_threads(threads)
            for run in runs.values():
                run()                                        # warm-up
            # the arms alternate, and each keeps its best of --repeat timings (noise only adds time)
            times = {name: [] for name in runs}
            for _ in range(args.repeat):
                for name, run in runs.items():
                    times[name].append(best_of(lambda: [run() for _ in range(args.rounds)], 1)[0])
            rate = rates[threads] = {name: args.rounds / min(t) for name, t in times.items()}
            text = ", ".join(f"{name} {rate[name]:6.3f} rounds/s (batched x{rate['batched'] / rate[name]:.1f})"
                             for name in arms)
            print(f"{method:>8} + {arch} ({dataset}), {threads} thread(s): batched {rate['batched']:6.3f} "
                  f"rounds/s; {text}", flush=True)
            if args.repeat > 1:    # each alternation's own ratio: the two arms timed minutes apart at most
                ratios = {name: paired(times, name) for name in arms}
                text = ", ".join(f"{name} x{statistics.median(r):.1f} [{min(r):.1f}, {max(r):.1f}]"
                                 for name, r in ratios.items())
                print(f"{'':>8}   ratio per alternation, median [min, max] of {args.repeat}: {text}", flush=True)
            # the matrix products alone: a client step's products timed as bmm over all the models
            shapes = shapes or client_matmuls(model, step, sampler)
            flops, floor = matmul_floor(shapes, len(sizes))
            batched = 1.0 / (rate["batched"] / args.rounds * client_steps)
            line = (f"{'':>8}   {flops / 1e6:.1f} MFLOP of matrix products per client step: "
                    f"{batched * 1e3:.3f} ms per client step batched ({flops / batched / 1e9:.1f} GFLOP/s), "
                    f"{floor * 1e3:.3f} ms for the products alone as bmm ({flops / floor / 1e9:.1f} GFLOP/s)")
            if "module-loop" in rate:
                loop = 1.0 / (rate["module-loop"] / args.rounds * client_steps)
                line += f"; loop {loop * 1e3:.3f} ms: a bmm-batched step is at most x{loop / floor:.1f} the loop"
            print(line, flush=True)
        if len(args.threads) > 1:      # each arm at its own fastest thread count
            fastest = {name: max(args.threads, key=lambda t: rates[t][name]) for name in runs}
            top = {name: rates[fastest[name]][name] for name in runs}
            text = ", ".join(f"{name} {top[name]:6.3f} at {fastest[name]} (batched x{top['batched'] / top[name]:.1f})"
                             for name in arms)
            print(f"{'':>8}   each at its fastest thread count: batched {top['batched']:6.3f} rounds/s at "
                  f"{fastest['batched']}; {text}", flush=True)


if __name__ == "__main__":
    main()
