"""Benchmark: one FedAvg round of ``seeds x clients`` models (the seed blocks of the empirical
claims: every client of every seed in one batched ``vmap`` step) against a Python loop over the
seeds and clients doing the same arithmetic (same process, ratio printed), for every method
and backbone: MLP on the Gaussian mixture of the claims, the 1-D CNN on MNIST-1D.

Threads are set explicitly (``--threads``, default 1, the setting of the claims' runs). The two
arms alternate ``--repeat`` times and each keeps its best time (noise only adds time).
Run: ``python benchmarks/bench_neural.py [--threads 1] [--seeds 10] [--clients 10] [--repeat 3]``.
"""

from __future__ import annotations

import argparse

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


def loop_round(step, sampler, flat, sizes, cfg, one):
    """The same round with a Python loop over clients (the per-client baseline): each client's
    gradient and its own fused AdamW step, as the batched step takes them."""
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


CASES = (("mae", "mlp", "synthetic"), ("simsiam", "mlp", "synthetic"), ("spectral", "mlp", "synthetic"),
         ("mar", "mlp", "synthetic"), ("mae", "cnn", "mnist1d"), ("simsiam", "cnn", "mnist1d"))
SETTINGS = {"synthetic": {"d": 64, "rep_dim": 8, "n_train": 1000},
            "mnist1d": {"rep_dim": 32, "hidden": 64, "n_train": 2000}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="timings per arm, the best kept")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    base = {k: v[1] for k, v in NEURAL_SCHEMA.items()}
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.seeds} seeds x {args.clients} "
          f"clients = {args.seeds * args.clients} models per step, IID splits")
    for method, arch, dataset in CASES:
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
        for name in ("batched", "loop"):
            gen = torch.Generator().manual_seed(0)
            step = _Step(model, cfg, gen)
            sampler = ClientSampler(xp, sizes, cfg.batch_size, gen)
            flat = init.repeat_interleave(args.clients, 0)
            runs[name] = ((lambda step=step, sampler=sampler, flat=flat:
                           batched_round(step, sampler, flat.clone(), sizes, cfg)) if name == "batched" else
                          (lambda step=step, sampler=sampler, flat=flat: loop_round(step, sampler, flat, sizes, cfg, one)))
            runs[name]()                                            # warm-up
        # the arms alternate, and each keeps its best of --repeat timings (noise only adds time)
        best = {name: float("inf") for name in runs}
        for _ in range(args.repeat):
            for name, run in runs.items():
                best[name] = min(best[name], best_of(lambda: [run() for _ in range(args.rounds)], 1)[0])
        timings = {name: args.rounds / t for name, t in best.items()}
        print(f"{method:>8} + {arch} ({dataset}): batched {timings['batched']:6.3f} rounds/s, loop over "
              f"seeds and clients {timings['loop']:6.3f} rounds/s, ratio x{timings['batched'] / timings['loop']:.1f}")


if __name__ == "__main__":
    main()
