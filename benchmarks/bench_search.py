"""Kill rate of the worst-case search on the literature-bound suite: random draws alone against
the guided search (named instances, hypothesis ``target()``, Nelder-Mead refinement).

    python benchmarks/bench_search.py [--profile quick]

Every ``lit.false.*`` claim is a false variant of a literature bound; every ``lit.true.*`` a
true statement. For each search the script prints which false variants it refutes, the kill
rate, the worst ratio lhs/rhs it reached on each bound, and its time. The random arm runs
twice: at the guided search's hypothesis budget and at the guided search's total number of
evaluations (so the guided search's advantage is not just more evaluations).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proofs_check.engine.inequalities import BUDGETS, bound_evidence  # noqa: E402
from proofs_check.engine.plugins import load_claim_module  # noqa: E402
from proofs_check.engine.registry import REGISTRY, CheckContext, run_claim  # noqa: E402


def arms(profile: str) -> dict:
    b = BUDGETS[profile]
    total = b["max_examples"] + b["refine"] * b["maxfev"]
    return {"guided": ("guided", None),
            "random": ("random", None),
            f"random x{total // b['max_examples']}": ("random", {"max_examples": total})}


def run_arm(claim, ctx, mode, budget):
    """Re-run a bound claim's search with another mode and budget (rate claims run as they are)."""
    closure = getattr(claim.checks[0], "dssl_bound", None)
    if closure is None:
        return run_claim(claim, ctx).verdict.status, None
    ev = bound_evidence(**{**closure, "mode": mode, "budget": budget, "profile": ctx.profile,
                           "seed": ctx.seed})
    status = "fails" if any(e.passed is False for e in ev) else (
        "holds" if all(e.passed for e in ev) else "inconclusive")
    ratios = [e.numbers.get("worst_ratio") for e in ev if e.numbers.get("worst_ratio") is not None]
    return status, ratios


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", choices=sorted(BUDGETS))
    args = parser.parse_args(argv)
    load_claim_module(str(ROOT / "benchmarks" / "literature_bounds.py"))
    ctx = CheckContext(args.profile)
    claims = REGISTRY.select(["lit.*"])
    table = {}
    for name, (mode, budget) in arms(args.profile).items():
        start = time.perf_counter()
        table[name] = {c.id: run_arm(c, ctx, mode, budget) for c in claims}
        table[name]["_seconds"] = time.perf_counter() - start
    names = list(table)
    print(f"{'claim':<40}" + "".join(f"{n:>22}" for n in names))
    for c in claims:
        cells = []
        for n in names:
            status, ratios = table[n][c.id]
            pick = min if getattr(c.checks[0], "dssl_bound", {}).get("relation") in (">=", ">") else max
            r = f" {pick(ratios):.4g}" if ratios else ""
            cells.append(f"{status + r:>22}")
        print(f"{c.id:<40}" + "".join(cells))
    false = [c.id for c in claims if c.id.startswith("lit.false.")]
    true = [c.id for c in claims if c.id.startswith("lit.true.")]
    print()
    for n in names:
        killed = sum(table[n][cid][0] == "fails" for cid in false)
        kept = sum(table[n][cid][0] == "holds" for cid in true)
        print(f"{n:<16} kills {killed}/{len(false)} false variants ({killed / len(false):.0%}), "
              f"keeps {kept}/{len(true)} true statements, {table[n]['_seconds']:.1f} s")
    g = table["guided"]["_seconds"]
    for n in names[1:]:
        print(f"time ratio {n} / guided: {table[n]['_seconds'] / g:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
