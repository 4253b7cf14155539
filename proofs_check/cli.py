"""The ``dssl`` command line: a thin layer over :mod:`proofs_check`.

Exit codes: 0 success; 1 a check crashed (the report is still written) or the disk is full
(one line; what finished is kept); 2 bad input (a one-line message names the argument; also an
``--out`` that another dssl process is writing to); 130 interrupted (what finished is cached;
a second Ctrl-C ends at once). Worker processes end with dssl however it ends.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

from .engine.plugins import ClaimLoadError, load_claims
from .engine.registry import PROFILES, REGISTRY, CheckContext
from .engine.report import DEFAULT_CLAIM_TIMEOUT
from .engine.workers import interrupt_handler

MAX_SEED = 2**31 - 1


class UsageError(Exception):
    """Bad input found after parsing (one line, exit 2)."""


def _load_checks(extra: list[str] | None = None) -> None:
    """Load every claim module: the ``dssl.claims`` entry points (the built-in claims first),
    then the user's ``--claims`` files or modules."""
    try:
        load_claims(extra or [])
    except ClaimLoadError as exc:
        raise UsageError(f"--claims: {exc}") from None


def _select(only):
    try:
        return REGISTRY.select(only)
    except KeyError as exc:
        raise UsageError(f"--only: {exc.args[0]}") from None


_LOCKS: list = []     # open lock files, held until the process ends


def _lock(out: Path) -> None:
    """One writer per output folder: an exclusive ``flock`` on ``OUT/.dssl.lock`` held until
    the command ends (the kernel releases it however the process ends); a second process is
    refused naming the first."""
    import fcntl

    path = out / ".dssl.lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise UsageError(f"--out: {str(out)!r} is in use by another dssl process ({holder}); wait "
                         "for it to end or choose another --out") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}: {' '.join(sys.argv[:3])}")
    fh.flush()
    _LOCKS.append(fh)


def _writable_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot hold the results, or that another dssl process is
    writing to, before any work."""
    import tempfile

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {str(out)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError(f"--out: cannot write to {str(out)!r} ({exc.strerror or exc})") from None
    _lock(out)


def _check(args: argparse.Namespace) -> int:
    import time

    from .engine.report import report_paths, run_claims, write_report

    start = time.perf_counter()
    _writable_out(args.out)
    _load_checks(args.claims)
    claims = _select(args.only)
    ctx = CheckContext(profile=args.profile, seed=args.seed)
    timing = {"start": start}
    results = run_claims(claims, ctx, args.out, fresh=args.fresh, progress=not args.quiet,
                         jobs=args.jobs, timeout=args.claim_timeout, timing=timing)
    write_report(results, ctx, args.out, selection=args.only, jobs=args.jobs, timing=timing)
    js, md = report_paths(args.out, partial=bool(args.only))
    print(f"wrote {md} and {js}" + (" (partial: the selected claims only)" if args.only else ""))
    width = max(len(r.id) for r in results)
    for r in results:
        print(f"{r.id:<{width}}  {r.verdict.status:<12}  {r.verdict.reason[:160]}")
    crashed = [r.id for r in results if r.crashed]
    if crashed:
        print(f"dssl check: a check crashed in {', '.join(crashed)} (see the report)", file=sys.stderr)
        return 1
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .engine.grids import ConfigError, load_config
    from .sweep import SCHEMA, run_sweep

    try:
        load_config(args.config, SCHEMA)              # validate before anything else
    except ConfigError as exc:
        print(f"dssl sweep: {exc}", file=sys.stderr)
        return 2
    _writable_out(args.out)
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
    from simulators.neural.config import NEURAL_METRICS, NEURAL_SCHEMA, RUN_CODE, check_consistency

    from .engine.grids import ConfigError, expand, load_config
    from .sweep import run_sweep

    try:
        cfg = load_config(args.config, NEURAL_SCHEMA)  # validate before anything else
        for pt in expand(cfg, NEURAL_SCHEMA):
            check_consistency(pt)
    except (ConfigError, ValueError) as exc:
        print(f"dssl neural: {exc}", file=sys.stderr)
        return 2
    if not torch_available():
        print(f"dssl neural: {INSTALL_HINT}", file=sys.stderr)
        return 2
    _writable_out(args.out)
    from simulators.neural.experiment import run_point

    try:
        rows = run_sweep(args.config, args.out, jobs=args.jobs, progress=not args.quiet,
                         fn=run_point, schema=NEURAL_SCHEMA, packages=RUN_CODE,
                         metrics=NEURAL_METRICS)
    except ConfigError as exc:
        print(f"dssl neural: {exc}", file=sys.stderr)
        return 2
    print(results_table(rows, NEURAL_SCHEMA, ("connectivity", "accuracy", "dist_local_global",
                                              "dist_local_local", "final_loss", "seconds")))
    print(f"{len(rows)} runs; wrote {args.out / 'results.csv'} and {args.out / 'metadata.json'}")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from .gallery import make_figures

    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise UsageError(f"--report: {str(args.report)!r} is not a folder (give a dssl check --out folder)")
    if args.out is None:       # the committed gallery (figures/) holds the full profile only
        args.out = Path("figures") if args.profile == "full" else Path("reports") / args.profile / "gallery"
    _writable_out(args.out)
    _load_checks(args.claims)
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
    _load_checks(args.claims)
    claims = _select(args.only)
    width = max((len(c.id) for c in claims), default=0)
    for c in claims:
        print(f"{c.id:<{width}}  {len(c.checks):>2} check(s)  {c.source}")
    return 0


def _seconds(text: str) -> float:
    """``--claim-timeout``: a positive, finite number of seconds."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (a number > 0), got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected seconds (a finite number > 0), got {text!r}")
    return value


def _seed(text: str) -> int:
    """``--seed``: a whole number in ``[0, 2**31 - 1]``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must lie in [0, {MAX_SEED}], got {value}")
    return value


def _schema_help(schema: dict, metrics: dict[str, str]) -> str:
    """The config keys and output columns of a grid, for ``--help``."""
    from .engine.grids import column_descriptions

    cols = column_descriptions(schema, metrics)
    return "\n".join(f"  {k:<24} {v}" for k, v in cols.items())


def _workers(text: str) -> int:
    """``--jobs``: a whole number of worker processes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    cpus = os.cpu_count() or 1
    if value > cpus:
        raise argparse.ArgumentTypeError(f"must be <= {cpus} (the CPUs of this machine), got {value}")
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
    c.add_argument("--seed", type=_seed, default=0, help="base seed (default 0)")
    c.add_argument("--claims", nargs="+", metavar="PATH.py|MODULE", default=[],
                   help="also load these claim modules (files or importable module names); "
                        "installed packages register theirs in the 'dssl.claims' entry-point group")
    c.add_argument("--only", nargs="+", metavar="PATTERN",
                   help="run only the claims matching these IDs or globs ('paper.thm4.*', "
                        "'*.local'); writes report-partial.md/.json to --out, never report.md")
    c.add_argument("--fresh", action="store_true", help="ignore cached claim results")
    c.add_argument("--claim-timeout", type=_seconds, default=DEFAULT_CLAIM_TIMEOUT, metavar="SECONDS",
                   help="a claim running longer is reported as crashed and the run goes on "
                        f"(default {DEFAULT_CLAIM_TIMEOUT:g})")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=_check)
    from simulators.neural.config import NEURAL_METRICS, NEURAL_SCHEMA

    from .sweep import METRICS, SCHEMA

    raw = argparse.RawDescriptionHelpFormatter
    sw = sub.add_parser("sweep", help="run (or resume) a parameter sweep from a TOML config",
                        formatter_class=raw,
                        epilog="config keys ([parameters]/[fixed]) and results.csv columns "
                               "(also described in metadata.json):\n" + _schema_help(SCHEMA, METRICS))
    sw.add_argument("config", type=Path, help="TOML config (see configs/)")
    sw.add_argument("--out", type=Path, default=Path("reports/sweeps/latest"),
                    help="output folder (default: reports/sweeps/latest)")
    sw.add_argument("--jobs", type=_workers, default=1, help="local worker processes (default 1)")
    sw.add_argument("--backend", choices=("local", "loky", "dask"), default="local",
                    help="local (worker processes that end with dssl; 'loky' is its former "
                         "name) or dask (joblib's Dask backend)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address (with --backend dask)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=_sweep)
    nn = sub.add_parser("neural", help="run (or resume) a grid of neural experiments from a TOML "
                        "config (needs the 'neural' extra)", formatter_class=raw,
                        epilog="config keys ([parameters]/[fixed]) and results.csv columns "
                               "(also described in metadata.json):\n"
                               + _schema_help(NEURAL_SCHEMA, NEURAL_METRICS))
    nn.add_argument("config", type=Path, help="TOML config: [sweep], [parameters], [fixed] with "
                    "the keys of simulators.neural.config.NEURAL_SCHEMA (see configs/neural-*.toml)")
    nn.add_argument("--out", type=Path, default=Path("reports/neural/latest"),
                    help="output folder (default: reports/neural/latest)")
    nn.add_argument("--jobs", type=_workers, default=1, help="local worker processes (default 1)")
    nn.add_argument("--quiet", action="store_true", help="no progress bar")
    nn.set_defaults(func=_neural)
    fg = sub.add_parser("figures", help="draw the paper-quality figures (PDF and PNG) from the "
                        "verification report, computing only the claims missing from its cache")
    fg.add_argument("--out", type=Path, default=None,
                    help="output folder (default: figures/ for the full profile, whose gallery is "
                         "committed; reports/<profile>/gallery otherwise, so a quick run never "
                         "overwrites it)")
    fg.add_argument("--profile", choices=PROFILES, default="quick", help="profile of the claims (default quick)")
    fg.add_argument("--report", type=Path, default=None,
                    help="report folder whose cache is reused (default: reports/latest for quick, "
                         "reports/<profile> otherwise)")
    fg.add_argument("--seed", type=_seed, default=0, help="base seed (default 0)")
    fg.add_argument("--claims", nargs="+", metavar="PATH.py|MODULE", default=[],
                    help="also load these claim modules")
    fg.add_argument("--jobs", type=_workers, default=1, help="worker processes (default 1)")
    fg.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures")
    fg.add_argument("--quiet", action="store_true", help="no progress bar")
    fg.set_defaults(func=_figures)
    ls = sub.add_parser("list", help="list registered claims")
    ls.add_argument("--claims", nargs="+", metavar="PATH.py|MODULE", default=[],
                    help="also load these claim modules")
    ls.add_argument("--only", nargs="+", metavar="PATTERN", help="list only matching claims")
    ls.set_defaults(func=_list)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:            # argparse: --help, --version (0) or bad usage (2)
        return int(exc.code or 0)
    try:
        with interrupt_handler():
            return _run(args)
    finally:
        while _LOCKS:                # the output folders are free again
            _LOCKS.pop().close()


def _run(args: argparse.Namespace) -> int:
    out = getattr(args, "out", None)
    saved = (f"finished work is kept under {out}; run the same command again to resume"
             if out is not None else "nothing was saved")
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"dssl {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ndssl {args.command}: interrupted; {saved}", file=sys.stderr)
        return 130
    except OSError as exc:
        full = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is exceeded",
                errno.EFBIG: "a file reached the size limit (ulimit -f)"}
        if exc.errno not in full:
            raise
        where = f" writing {exc.filename}" if exc.filename else ""
        print(f"dssl {args.command}: {full[exc.errno]}{where}; {saved} once space is freed",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
