"""Benchmark: sweep throughput with 1 and 2 workers, and the exact route against the sampling
route for the same point (same process). Run: ``python benchmarks/bench_sweep.py``."""

from __future__ import annotations

import tempfile
import time

from proofs_check.engine.grids import expand, load_config
from proofs_check.sweep import SCHEMA, evaluate_point, run_sweep

CONFIG = {"sweep": {"name": "bench", "kind": "grid"},
          "parameters": {"alpha": [0.05, 0.1, 0.3, 1.0, 3.0, 10.0],
                         "objective": ["mim-reconstruction", "mim-surrogate", "cl-similar", "cl-dissimilar"],
                         "framework": ["local", "decl"]},
          "fixed": {"probe": False}}


HEAVY = {**CONFIG, "parameters": {**CONFIG["parameters"], "alpha": [0.1, 1.0, 10.0]},
         "fixed": {"probe": True}}


def main() -> None:
    for name, cfg in (("light (no probe)", CONFIG), ("heavy (exact probe accuracy)", HEAVY)):
        n = len(expand(load_config(cfg, SCHEMA), SCHEMA))
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as out:
                t = time.perf_counter()
                run_sweep(cfg, out, jobs=jobs, progress=False)
                dt = time.perf_counter() - t
            print(f"{name}: {n} points, {jobs} worker(s): {dt:.2f} s, {n / dt:.1f} points/s")
    point = {**expand(load_config(CONFIG, SCHEMA), SCHEMA)[0], "framework": "fl"}
    for route in ("exact", "sampling"):
        t = time.perf_counter()
        for _ in range(5):
            evaluate_point({**point, "route": route, "n_samples": 20_000})
        print(f"one FL point, {route} route (20000 samples/client for sampling): "
              f"{(time.perf_counter() - t) / 5 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
