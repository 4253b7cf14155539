"""The ``dssl`` command line: a thin layer over :mod:`proofs_check`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .registry import PROFILES, REGISTRY, CheckContext


def _load_checks() -> None:
    """Import every module that registers claims or checks."""
    from . import paper_claims  # noqa: F401  (first: the report lists paper claims first)
    from . import (dynamics_checks, expectation_checks, gmm_checks,  # noqa: F401
                   model_checks, neural_checks, paper_checks, robustness_checks, symbolic,
                   topology_checks)


def _check(args: argparse.Namespace) -> int:
    from .report import run_claims, write_report

    _load_checks()
    try:
        claims = REGISTRY.select(args.only)
    except KeyError as exc:
        print(f"dssl check: {exc.args[0]}", file=sys.stderr)
        return 2
    ctx = CheckContext(profile=args.profile, seed=args.seed)
    results = run_claims(claims, ctx, args.out, fresh=args.fresh, progress=not args.quiet,
                         jobs=args.jobs)
    if not args.only:
        write_report(results, ctx, args.out)
        print(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}")
    width = max(len(r.id) for r in results)
    for r in results:
        print(f"{r.id:<{width}}  {r.verdict.status:<12}  {r.verdict.reason[:160]}")
    crashed = [r.id for r in results if r.crashed]
    if crashed:
        print(f"dssl check: a check crashed in {', '.join(crashed)} (see the report)", file=sys.stderr)
        return 1
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .sweep import ConfigError, run_sweep

    try:
        rows = run_sweep(args.config, args.out, jobs=args.jobs, backend=args.backend,
                         scheduler=args.scheduler, progress=not args.quiet)
    except ConfigError as exc:
        print(f"dssl sweep: {exc}", file=sys.stderr)
        return 2
    print(f"{len(rows)} points; wrote {args.out / 'results.csv'} and {args.out / 'metadata.json'}")
    return 0


def results_table(rows: list[dict], schema: dict, metrics: tuple[str, ...]) -> str:
    """A plain-text table of ``rows``: the keys that vary across rows, then ``metrics``."""
    varying = [k for k in schema if len({repr(r.get(k)) for r in rows}) > 1]
    cols = varying + [m for m in metrics if any(m in r for r in rows)]
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)
    cells = [[fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v.rjust(w) for v, w in zip(vals, widths))
    return "\n".join([line(cols), line(["-" * w for w in widths]), *map(line, cells)])


def _neural(args: argparse.Namespace) -> int:
    from simulators.neural import INSTALL_HINT, torch_available
    from simulators.neural.config import NEURAL_SCHEMA

    from .sweep import ConfigError, load_config, run_sweep

    try:
        load_config(args.config, NEURAL_SCHEMA)       # validate before anything else
    except ConfigError as exc:
        print(f"dssl neural: {exc}", file=sys.stderr)
        return 2
    if not torch_available():
        print(f"dssl neural: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from simulators.neural.experiment import run_point

    try:
        rows = run_sweep(args.config, args.out, jobs=args.jobs, progress=not args.quiet,
                         fn=run_point, schema=NEURAL_SCHEMA, packages=("theory", "simulators"))
    except ConfigError as exc:
        print(f"dssl neural: {exc}", file=sys.stderr)
        return 2
    print(results_table(rows, NEURAL_SCHEMA, ("connectivity", "accuracy", "dist_local_global",
                                              "dist_local_local", "final_loss", "seconds")))
    print(f"{len(rows)} runs; wrote {args.out / 'results.csv'} and {args.out / 'metadata.json'}")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from .gallery import make_figures

    _load_checks()
    try:
        paths = make_figures(args.out, profile=args.profile, report=args.report, seed=args.seed,
                             jobs=args.jobs, only=args.only, progress=not args.quiet)
    except ValueError as exc:
        print(f"dssl figures: {exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(f"wrote {p} and {p.with_suffix('.pdf')}")
    return 0


def _list(args: argparse.Namespace) -> int:
    _load_checks()
    for c in REGISTRY:
        print(f"{c.id:<36} {len(c.checks):>2} check(s)  {c.source}")
    return 0


def _workers(text: str) -> int:
    """``--jobs``: a whole number of worker processes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("dssl-verify")
    except PackageNotFoundError:
        ver = "unknown"
    p = argparse.ArgumentParser(prog="dssl", description="Verify the theory of distributed "
                                "self-supervised learning under non-IID data.")
    p.add_argument("--version", action="version", version=f"dssl-verify {ver}")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="run the claim checks and write the verification report")
    c.add_argument("--out", type=Path, default=Path("reports/latest"),
                   help="output folder (default: reports/latest)")
    c.add_argument("--profile", choices=PROFILES, default="quick",
                   help="quick (about a minute), full (larger grids and samples), smoke (tiny, for tests)")
    c.add_argument("--jobs", type=_workers, default=1, help="worker processes (default 1)")
    c.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    c.add_argument("--only", nargs="+", metavar="ID",
                   help="run only these claim IDs (a trailing * matches a prefix); no report "
                        "is rewritten, results still go to the cache")
    c.add_argument("--fresh", action="store_true", help="ignore cached claim results")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=_check)
    sw = sub.add_parser("sweep", help="run (or resume) a parameter sweep from a TOML config")
    sw.add_argument("config", type=Path, help="TOML config (see configs/)")
    sw.add_argument("--out", type=Path, default=Path("reports/sweeps/latest"),
                    help="output folder (default: reports/sweeps/latest)")
    sw.add_argument("--jobs", type=_workers, default=1, help="local worker processes (default 1)")
    sw.add_argument("--backend", choices=("loky", "dask"), default="loky",
                    help="loky (local processes) or dask (joblib's Dask backend)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address (with --backend dask)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=_sweep)
    nn = sub.add_parser("neural", help="run (or resume) a grid of neural experiments from a TOML "
                        "config (needs the 'neural' extra)")
    nn.add_argument("config", type=Path, help="TOML config: [sweep], [parameters], [fixed] with "
                    "the keys of simulators.neural.config.NEURAL_SCHEMA (see configs/neural-*.toml)")
    nn.add_argument("--out", type=Path, default=Path("reports/neural/latest"),
                    help="output folder (default: reports/neural/latest)")
    nn.add_argument("--jobs", type=_workers, default=1, help="local worker processes (default 1)")
    nn.add_argument("--quiet", action="store_true", help="no progress bar")
    nn.set_defaults(func=_neural)
    fg = sub.add_parser("figures", help="draw the paper-quality figures (PDF and PNG) from the "
                        "verification report, computing only the claims missing from its cache")
    fg.add_argument("--out", type=Path, default=Path("figures"), help="output folder (default: figures)")
    fg.add_argument("--profile", choices=PROFILES, default="quick", help="profile of the claims (default quick)")
    fg.add_argument("--report", type=Path, default=None,
                    help="report folder whose cache is reused (default: reports/latest for quick, "
                         "reports/<profile> otherwise)")
    fg.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    fg.add_argument("--jobs", type=_workers, default=1, help="worker processes (default 1)")
    fg.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures")
    fg.add_argument("--quiet", action="store_true", help="no progress bar")
    fg.set_defaults(func=_figures)
    ls = sub.add_parser("list", help="list registered claims")
    ls.set_defaults(func=_list)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:            # argparse: --help, --version (0) or bad usage (2)
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
