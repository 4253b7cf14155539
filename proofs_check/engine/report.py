"""Running claims into a report: resumable per-claim cache, atomic JSON, Markdown and figures.

Layout of the output folder (default ``reports/latest``)::

    OUT/report.json        {"version", "profile", "seed", "partial", "selection", "environment",
                            "claims": [...]}; strict JSON: NaN and infinities are written as null
    OUT/report.md          summary table (ID, claim, verdict, deciding evidence), then details
    OUT/report-partial.*   the same for ``dssl check --only``: the selected claims only, marked
                           partial, so a full report in the same folder is never touched
    OUT/figures/<ID>.png   the figures the evidence refers to (and .pdf)
    OUT/runs/points/*.json cached experiment points of the empirical (neural) claims
    OUT/cache/<profile>/<ID>.json  one finished claim (<ID>.seed-<S>.json for a seed S other
                           than 0);
                           reused on the next run when its fingerprint
                           (the toolkit's code, the claim's checks, profile, seed) is unchanged,
                           so an interrupted run resumes where it stopped
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import platform
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .registry import (REGISTRY, VERDICTS, CheckContext, Claim, ClaimResult, Registry,
                       crashed_result, memo_keys, merge_memos, run_claim, set_warm_owners,
                       warm_memos)
from .workers import forked_map

# seconds a claim may run (all its checks) before it is reported as crashed; generous: the
# slowest claim of the full profile takes minutes
DEFAULT_CLAIM_TIMEOUT = 3600.0


def _jsonable(obj):
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if type(obj).__module__.startswith("sympy"):
        # exact values stay exact: integers as JSON integers, everything else as its string
        return int(obj) if getattr(obj, "is_Integer", False) else str(obj)
    return str(obj)          # never let serialisation take a report down


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (no partial files)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())      # mkstemp makes 0600; give the umask's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _finite(obj):
    """``obj`` with every non-finite float replaced by ``None`` (strict JSON has no NaN/inf)."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj, *, strict: bool = False) -> str:
    """JSON text of ``obj`` (numpy and sympy values converted). ``strict``: non-finite floats
    become ``null``, so any JSON parser reads it; otherwise they stay ``NaN``/``Infinity``
    (Python's json reads them back, which the caches rely on)."""
    if strict:
        obj = _finite(json.loads(json.dumps(obj, default=_jsonable, allow_nan=True)))
    return json.dumps(obj, indent=2, default=_jsonable, allow_nan=not strict) + "\n"


def cache_name(claim_id: str, seed: int, profile: str) -> str:
    """Path of a claim's cached result under ``cache/``: ``<profile>/<ID>.json`` for seed 0,
    ``<profile>/<ID>.seed-<S>.json`` otherwise, so runs with different profiles or seeds into
    one folder never overwrite each other."""
    return f"{profile}/{claim_id}.json" if seed == 0 else f"{profile}/{claim_id}.seed-{seed}.json"


def warm_up(ctx: CheckContext, claims: list[Claim], jobs: int, *, done=None,
            registry: Registry = REGISTRY, measured: list | None = None,
            costs: Path | None = None) -> int:
    """Run ``registry``'s warm-up tasks for ``claims`` (:meth:`Registry.warm_tasks`) over
    ``jobs`` forked workers, longest first, and install the shared-memo entries each task
    added (:func:`warm_memos`), so the claim workers forked afterwards inherit them;
    ``done(k, n)`` reports progress. A task that raises is skipped (the claim that needs it
    meets the error and reports it). Returns the number of tasks.

    ``costs`` (a JSON file) holds the seconds each task label took in earlier runs: those
    replace the tasks' declared estimates for the longest-first order, and this run's times
    are written back. Which task computed each memo entry (and each key a task ``provides``) is
    registered (:func:`set_warm_owners`), so each claim reports the tasks it read.
    ``measured`` (a list) gets ``{"label", "estimate", "source", "seconds"}`` per task, in
    completion order (``source``: ``"measured"`` or ``"declared"``)."""
    import time

    tasks = registry.warm_tasks(ctx, claims)
    seen: dict[str, int] = {}
    for t in tasks:                       # unique labels: the keys of the learned costs
        seen[t.label] = seen.get(t.label, 0) + 1
        if seen[t.label] > 1:
            t.label = f"{t.label} #{seen[t.label]}"
    learned = {}
    if costs is not None and Path(costs).exists():
        try:
            learned = {k: float(v) for k, v in json.loads(Path(costs).read_text()).items()}
        except (ValueError, TypeError, AttributeError):
            learned = {}
    source = {t.label: "measured" if t.label in learned else "declared" for t in tasks}
    estimate = {t.label: learned.get(t.label, t.cost) for t in tasks}
    tasks = sorted(tasks, key=lambda t: -estimate[t.label])
    n = len(tasks)
    measured = [] if measured is None else measured
    owners: dict = {}

    def record(i: int, memos: dict, seconds: float) -> None:
        label = tasks[i].label
        measured.append({"label": label, "estimate": estimate[label], "source": source[label],
                         "seconds": seconds})
        for name, items in memos.items():
            owners.update({(name, k): label for k in items})
        owners.update({k: label for k in tasks[i].provides})

    def timed(i: int) -> None:            # in this process
        before, start = memo_keys(), time.perf_counter()
        try:
            tasks[i].fn()
        finally:
            record(i, warm_memos(before), time.perf_counter() - start)

    def run(i: int) -> tuple[dict, float]:
        before, start = memo_keys(), time.perf_counter()
        try:
            tasks[i].fn()
        except Exception:      # noqa: BLE001  the claim meets the error again and reports it
            return {}, time.perf_counter() - start
        return warm_memos(before), time.perf_counter() - start

    def merge(i: int, fut) -> None:
        memos, seconds = fut.result()
        record(i, memos, seconds)
        merge_memos(memos)

    work = forked_map(run, n, jobs) if jobs >= 2 and n >= 2 else None
    if work is None:               # in this process the memos fill directly
        finishers = ((lambda i=i: timed(i)) for i in range(n))
    else:
        finishers = ((lambda i=i, fut=fut: merge(i, fut)) for i, fut in work)
    with contextlib.closing(work) if work is not None else contextlib.nullcontext():
        for k, finish in enumerate(finishers, 1):
            try:
                finish()
            except Exception:      # noqa: BLE001  the claim meets the error again and reports it
                pass
            if done:
                done(k, n)
    set_warm_owners(owners)
    if costs is not None and measured:
        learned.update({t["label"]: round(t["seconds"], 3) for t in measured})
        write_atomic(Path(costs), dumps(learned))
    return n


def run_claims(claims: list[Claim], ctx: CheckContext, out: Path, *, fresh: bool = False,
               progress: bool = True, jobs: int = 1,
               timeout: float | None = DEFAULT_CLAIM_TIMEOUT,
               timing: dict | None = None) -> list[ClaimResult]:
    """Run ``claims`` (reusing cached results unless ``fresh``), caching each as it finishes.

    ``jobs > 1`` first runs the warm-up tasks (:func:`warm_up`), then claims in worker processes
    (each claim seeds its own generators, so the numbers do not depend on scheduling); claims
    marked ``uses_jobs`` run afterwards, one at a time, each spreading its own runs over
    ``jobs`` workers. Every process computes with one BLAS thread (parallelism is across
    processes; BLAS round-off depends on its thread count), so the numbers do not depend on
    ``jobs`` either. Results come back in the order of ``claims``.

    A claim whose checks raise (``sys.exit`` and their own ``KeyboardInterrupt`` included),
    that runs past ``timeout`` seconds, or whose worker process dies, is reported as crashed;
    the run goes on. Ctrl-C ends the workers at once; every finished claim stays cached.

    ``timing`` (a dict) gets the wall seconds of each phase (``phases``: cache, warm-up,
    claims in workers, claims one at a time) and every warm-up task's measured seconds beside
    its estimate (``warm_up_tasks``), for ``report.json``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _run_claims(claims, ctx, out, fresh=fresh, progress=progress, jobs=jobs,
                           timeout=timeout, timing={} if timing is None else timing)


def _in_workers(claims: list[Claim], ctx: CheckContext, jobs: int, timeout, finish) -> list[Claim]:
    """Run ``claims`` over ``jobs`` forked workers, passing each result to ``finish``; returns
    the claims whose worker died before they finished (``BrokenProcessPool``)."""
    from concurrent.futures.process import BrokenProcessPool

    lost = []
    work = forked_map(lambda i: run_claim(claims[i], ctx, timeout=timeout).to_dict(), len(claims), jobs)
    with contextlib.closing(work):
        for i, fut in work:
            try:
                data = fut.result()
            except BrokenProcessPool:
                lost.append(claims[i])
                continue
            finish(ClaimResult.from_dict(data))
    return lost


def _run_claims(claims: list[Claim], ctx: CheckContext, out: Path, *, fresh: bool,
                progress: bool, jobs: int, timeout: float | None, timing: dict) -> list[ClaimResult]:
    import time

    phases = timing.setdefault("phases", {})
    clock = [time.perf_counter()]
    if "start" in timing:             # the CLI's start: argument checks, claim modules loaded
        phases["loading claims"] = clock[0] - timing["start"]

    def lap(name: str) -> None:
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    cache = Path(out) / "cache"
    if ctx.work_dir is None:                # cached experiment points (neural runs)
        from dataclasses import replace

        ctx = replace(ctx, work_dir=str(Path(out) / "runs"))
    results: dict[str, ClaimResult] = {}
    todo = []
    for claim in claims:
        path = cache / cache_name(claim.id, ctx.seed, ctx.profile)
        if not fresh and path.exists():
            try:
                cached = ClaimResult.from_dict(json.loads(path.read_text()))
            except (ValueError, TypeError, KeyError):
                cached = None
            if cached is not None and cached.fingerprint == claim.fingerprint(ctx):
                results[claim.id] = cached
                continue
        todo.append(claim)
    bar = tqdm(total=len(claims), initial=len(results), desc="claims", unit="claim",
               disable=not progress)

    def finish(result: ClaimResult) -> None:
        if not result.crashed:              # a crash is never cached: the next run retries it
            write_atomic(cache / cache_name(result.id, ctx.seed, ctx.profile), dumps(result.to_dict()))
        results[result.id] = result
        bar.set_postfix_str(result.id)
        bar.update(1)

    from dataclasses import replace

    inner = [c for c in todo if c.uses_jobs] if jobs > 1 else []
    outer = [c for c in todo if c not in inner]
    lap("cached results")
    if jobs > 1 and todo:     # shared caches and runs, computed in parallel, inherited by the workers
        warm_up(ctx, todo, jobs, done=lambda k, n: bar.set_postfix_str(f"warm-up {k}/{n}"),
                measured=timing.setdefault("warm_up_tasks", []),
                costs=cache / f"warm-up-seconds-{ctx.profile}-{ctx.seed}.json")
    timing["ran"] = [c.id for c in todo]
    lap("warm-up")
    if jobs > 1 and len(outer) > 1:
        one = replace(ctx, jobs=1)
        lost = _in_workers(outer, one, jobs, timeout, finish)
        if lost:                  # a worker died: the unfinished claims again, in a fresh pool,
            lost = _in_workers(lost, one, jobs, timeout, finish)
        for claim in lost:        # and those lost twice one at a time, so a death is its own
            if _in_workers([claim], one, 1, timeout, finish):
                finish(crashed_result(claim, one, "the worker process running this claim died "
                                      "(ended by a signal, e.g. the out-of-memory killer)"))
        outer = []
    lap("claims in workers")
    # one claim at a time; claims that parallelise their own runs get the workers
    for claim in outer + inner:
        finish(run_claim(claim, replace(ctx, jobs=jobs), timeout=timeout))
    lap("claims one at a time")
    bar.close()
    return [results[c.id] for c in claims]


def environment() -> dict:
    import importlib.metadata as md

    env = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("numpy", "scipy", "sympy", "cvxpy", "networkx", "torch", "scikit-learn"):
        try:
            env[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            env[pkg] = None
    return env


def version() -> str | None:
    import importlib.metadata as md

    try:
        return md.version("dssl-verify")
    except md.PackageNotFoundError:
        return None


def _cell(text: str, limit: int = 220) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(results: list[ClaimResult], ctx: CheckContext,
                    selection: list[str] | None = None) -> str:
    counts = {v: sum(r.verdict.status == v for r in results) for v in VERDICTS}
    partial = ([f"**Partial report**: only the {len(results)} claim(s) selected by "
                f"`--only {' '.join(selection)}`.", ""] if selection else [])
    lines = [
        "# dssl-verify report" + (" (partial)" if selection else ""), "",
        f"Profile `{ctx.profile}`, seed {ctx.seed}, dssl-verify {version()}.", "", *partial,
        "The model, the objectives, the claim IDs and the verdict rules are documented in "
        "`docs/theory.md` of dssl-verify.", "",
        "Each verdict is computed from the evidence listed under its claim: `holds` when every "
        "piece supports the claim, `fails` when one refutes it (its parameters and numbers are "
        "the counterexample), `inconclusive` when evidence is missing or undecided. `holds if` "
        "names a condition under which the toolkit found the claim to hold. Rate claims "
        "(`O(.)`, `Theta(.)`) are checked by fitting exponents over a grid of d with a 95% "
        "interval and a margin of 0.05 (`proofs_check.engine.rates`). Empirical claims declare "
        "an effect margin with its source; a cell holds when a one-sided t-test puts the effect "
        "above 0 and fails when one puts it below the margin, with Holm's correction across "
        "cells and the level spent across looks of added seeds (`proofs_check.engine.empirical`).",
        "",
        "| verdict | count |", "|---|---|", *(f"| {v} | {counts[v]} |" for v in VERDICTS), "",
        "| claim | statement | verdict | deciding evidence |", "|---|---|---|---|",
    ]
    for r in results:
        verdict = f"**{r.verdict.status}**" + (f" (holds if: {_cell(r.verdict.holds_if, 90)})"
                                              if r.verdict.holds_if else "")
        lines.append(f"| [`{r.id}`](#{r.id.replace('.', '')}) | {_cell(r.statement, 140)} | {verdict} | "
                     f"{_cell(r.verdict.reason)} |")
    pairs = corrections_table(results)
    if pairs:
        lines += ["", "## Paper against corrected statements", "",
                  "Each `fix.*` claim states the strongest corrected version of a failing paper claim "
                  "that the toolkit supports; it is fixed before its evidence is computed and can fail.",
                  "", pairs]
    lines += ["", "## Details", ""]
    for r in results:
        lines += [f"### {r.id}", "", f"*{r.source}*: {r.statement}", ""]
        if r.latex:
            lines += [f"$$ {r.latex} $$", ""]
        lines.append(f"**Verdict: {r.verdict.status}** — {r.verdict.reason}")
        if r.verdict.holds_if:
            lines.append(f"\nHolds if: {r.verdict.holds_if}")
        if r.verdict.counterexample:
            lines.append(f"\nCounterexample (re-run with these): "
                         f"`{json.dumps(r.verdict.counterexample, default=_jsonable)[:600]}`")
        lines.append("")
        for e in r.evidence:
            mark = {True: "pass", False: "FAIL", None: "open"}[e.passed]
            if e.params.get("role") == "extra":
                mark += ", extra: not counted"
            lines.append(f"- [{e.kind}, {mark}] {e.summary}")
            q = e.params.get("quantifiers")
            if isinstance(q, dict) and q:
                lines.append("  - tested as: " + "; ".join(f"{k.replace('_', ' ')}: {v}"
                                                          for k, v in q.items()))
        if r.figure:
            lines += ["", f"![{r.id}]({r.figure})"]
        lines += ["", f"({r.seconds:.2f} s{', a check crashed' if r.crashed else ''})", ""]
    return "\n".join(lines)


def corrections_table(results: list[ClaimResult], *, width: int = 140) -> str:
    """Markdown rows pairing each ``fix.X`` result with ``paper.X``: statement, verdict and one
    line of deciding evidence for both ("" when there is no ``fix.*`` result)."""
    by_id = {r.id: r for r in results}
    rows = []
    for r in results:
        if not r.id.startswith("fix."):
            continue
        paper = by_id.get("paper." + r.id[len("fix."):])
        pv = (f"**{paper.verdict.status}**" if paper else "(not in this report)")
        rows.append(f"| `{'paper.' + r.id[4:]}`: {_cell(paper.statement if paper else '', 90)} | {pv} | "
                    f"{_cell(paper.verdict.reason if paper else '', width)} | `{r.id}`: "
                    f"{_cell(r.statement, 120)} | **{r.verdict.status}** | {_cell(r.verdict.reason, width)} |")
    if not rows:
        return ""
    head = ["| paper claim | verdict | deciding evidence | corrected statement | verdict | deciding evidence |",
            "|---|---|---|---|---|---|"]
    return "\n".join(head + rows)


def report_paths(out: Path, partial: bool = False) -> tuple[Path, Path]:
    """``(json, markdown)`` paths of the full (``report.*``) or partial (``report-partial.*``)
    report in ``out``."""
    stem = "report-partial" if partial else "report"
    return Path(out) / f"{stem}.json", Path(out) / f"{stem}.md"


def draw_figures(results: list[ClaimResult], out: Path, jobs: int = 1) -> None:
    """Draw each result's figure (:func:`proofs_check.engine.figures.claim_figure`) into
    ``out``, over ``jobs`` forked workers, and set ``result.figure``."""
    from .figures import claim_figure

    draw = lambda i: claim_figure(results[i], out)
    if jobs < 2 or len(results) < 2:
        paths = [draw(i) for i in range(len(results))]
    else:
        paths = [None] * len(results)
        work = forked_map(draw, len(results), jobs)
        with contextlib.closing(work):
            for i, fut in work:
                paths[i] = fut.result()
    for r, path in zip(results, paths):
        r.figure = path


def claim_shares(results: list[ClaimResult], tasks: list[dict], ran: list[str] | None) -> dict:
    """Each claim's share of the warm-up: a task's measured seconds split evenly among the
    claims that read what it computed (``ClaimResult.warm_tasks``). Returns ``{"claims": {id:
    {"seconds", "warm_up_share", "warm_up_tasks"}}, "warm_up_unattributed": seconds}`` over the
    claims that ran (``ran``; cached claims cost nothing this run)."""
    ran_ids = set(ran) if ran is not None else {r.id for r in results}
    seconds = {t["label"]: t["seconds"] for t in tasks}
    users: dict[str, list[str]] = {}
    for r in results:
        if r.id in ran_ids:
            for label in r.warm_tasks:
                if label in seconds:
                    users.setdefault(label, []).append(r.id)
    share = {r.id: sum(seconds[lb] / len(users[lb]) for lb in r.warm_tasks if lb in users)
             for r in results if r.id in ran_ids}
    return {"claims": {r.id: {"seconds": r.seconds, "warm_up_share": share[r.id],
                              "warm_up_tasks": [lb for lb in r.warm_tasks if lb in users]}
                       for r in results if r.id in ran_ids},
            "warm_up_unattributed": sum(s for lb, s in seconds.items() if lb not in users)}


def render_timing(timing: dict | None, top: int = 15) -> str:
    """The report's timing section (Markdown) from ``report.json``'s ``timing``."""
    if not timing:
        return ""
    lines = ["## Timing", "",
             f"Wall time {timing['wall_seconds']:.1f} s with {timing['jobs']} job(s); the phases "
             f"below account for {100 * (timing['accounted_share'] or 0):.0f}% of it.", "",
             "| phase | seconds |", "|---|---|",
             *(f"| {k} | {v:.1f} |" for k, v in timing["phases"].items()), ""]
    claims = timing.get("claims") or {}
    if claims:
        ranked = sorted(claims.items(), key=lambda kv: -(kv[1]["seconds"] + kv[1]["warm_up_share"]))
        lines += [f"The {min(top, len(ranked))} costliest claims of this run, with their share of the "
                  "warm-up (each shared task's seconds split among the claims that read it; "
                  f"{timing.get('warm_up_unattributed', 0.0):.1f} s of warm-up was read by no claim "
                  "that ran):", "",
                  "| claim | own seconds | warm-up share | warm-up tasks read |", "|---|---|---|---|",
                  *(f"| `{cid}` | {c['seconds']:.1f} | {c['warm_up_share']:.1f} | {len(c['warm_up_tasks'])} |"
                    for cid, c in ranked[:top]), ""]
    tasks = timing.get("warm_up_tasks") or []
    if tasks:
        lines += ["Warm-up tasks, longest first (estimate: the task's time in the previous run "
                  "when there was one, else its declared guess):", "",
                  "| task | estimate (s) | measured (s) |", "|---|---|---|",
                  *(f"| {_cell(t['label'], 80)} | {t['estimate']:.1f} ({t.get('source', 'declared')}) | "
                    f"{t['seconds']:.1f} |" for t in tasks[:top]), ""]
    return "\n".join(lines)


def write_report(results: list[ClaimResult], ctx: CheckContext, out: Path,
                 *, figures: bool = True, selection: list[str] | None = None,
                 jobs: int = 1, timing: dict | None = None) -> tuple[Path, Path]:
    """Write figures (drawn over ``jobs`` workers), ``report.json`` and ``report.md``
    atomically into ``out``.

    ``timing`` (from :func:`run_claims`, with ``start``: the ``time.perf_counter()`` of the
    run's start) goes into ``report.json`` as ``timing``: the wall time, the seconds of each
    phase (figures included), the share of the wall time they account for, and the warm-up
    tasks' measured seconds against their estimates.

    With ``selection`` (the ``--only`` patterns) the report covers only ``results``, is marked
    partial and goes to ``report-partial.json``/``.md``, leaving a full report untouched.
    """
    import time

    out = Path(out)
    start = time.perf_counter()
    if figures:
        draw_figures(results, out, jobs)
    js, md = report_paths(out, partial=bool(selection))
    summary = None
    if timing is not None and "start" in timing:
        phases = dict(timing.get("phases", {}), figures=time.perf_counter() - start)
        wall = time.perf_counter() - timing["start"]
        tasks = timing.get("warm_up_tasks", [])
        summary = {"wall_seconds": wall, "jobs": jobs, "phases": phases,
                   "accounted_share": sum(phases.values()) / wall if wall > 0 else None,
                   "claim_seconds_sum": sum(r.seconds for r in results),
                   "warm_up_tasks": sorted(tasks, key=lambda t: -t["seconds"]),
                   **claim_shares(results, tasks, timing.get("ran"))}
    write_atomic(js, dumps({"version": version(), "profile": ctx.profile, "seed": ctx.seed,
                            "partial": bool(selection), "selection": list(selection or []),
                            "environment": environment(), "timing": summary,
                            "claims": [r.to_dict() for r in results]}, strict=True))
    text = render_markdown(results, ctx, selection)
    if summary is not None:
        text = text.rstrip("\n") + "\n\n" + render_timing(summary) + "\n"
    write_atomic(md, text)
    return js, md


def verdict_table(report: dict, *, width: int = 150) -> str:
    """A Markdown table (ID, verdict, holds-if, deciding evidence) from a ``report.json`` dict,
    for the README: ``python -m proofs_check.engine.report reports/latest/report.json``."""
    lines = ["| claim | verdict | deciding evidence |", "|---|---|---|"]
    for c in report["claims"]:
        verdict = f"**{c['verdict']}**" + (f" (holds if: {c['holds_if']})" if c["holds_if"] else "")
        lines.append(f"| `{c['id']}` | {_cell(verdict, 200)} | {_cell(c['reason'], width)} |")
    return "\n".join(lines)


README_START = "<!-- verification-table:start (generated: python -m proofs_check.engine.report --readme) -->"
README_END = "<!-- verification-table:end -->"


def table_from_markdown(md: str) -> str:
    """The README's verdict table (ID, verdict, deciding evidence) from a ``report.md`` text:
    its summary table with the statement column dropped."""
    lines = ["| claim | verdict | deciding evidence |", "|---|---|---|"]
    rows = [ln for ln in md.splitlines() if ln.startswith("| [`")]
    if not rows:
        raise ValueError("no claim rows found: is this a report.md written by dssl check?")
    for ln in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        cid = re.match(r"\[(`[^`]+`)\]", cells[0]).group(1)
        lines.append(f"| {cid} | {cells[-2]} | {cells[-1]} |")
    return "\n".join(lines)


def publish(report_dir: str | Path, readme: str | Path = "README.md",
            dest: str | Path = "figures/report.md") -> bool:
    """Copy ``report_dir/report.md`` to ``dest`` (without its per-claim image links, which point
    into the report folder) and rewrite the README's verdict table from it; True if changed."""
    md = (Path(report_dir) / "report.md").read_text()
    md = "\n".join(ln for ln in md.splitlines() if not ln.startswith("![")) + "\n"
    write_atomic(Path(dest), md)
    return update_readme(readme, dest)


FIX_START = "<!-- corrections-table:start (generated: python -m proofs_check.engine.report --readme) -->"
FIX_END = "<!-- corrections-table:end -->"


def corrections_from_markdown(md: str) -> str:
    """The paper-against-corrected table of a ``report.md`` text ("" if it has none)."""
    if "## Paper against corrected statements" not in md:
        return ""
    block = md.split("## Paper against corrected statements", 1)[1].split("\n## ", 1)[0]
    return "\n".join(ln for ln in block.splitlines() if ln.startswith("|"))


def _replace_block(text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise ValueError(f"the README has no {start.split(':')[0]} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def update_readme(readme: str | Path = "README.md", report_md: str | Path = "figures/report.md") -> bool:
    """Rewrite the blocks between the README's table markers from ``report_md``: the verdict
    table and the paper-against-corrected table."""
    readme = Path(readme)
    text = readme.read_text()
    md = Path(report_md).read_text()
    new = _replace_block(text, README_START, README_END, table_from_markdown(md))
    if FIX_START in new:
        new = _replace_block(new, FIX_START, FIX_END, corrections_from_markdown(md))
    if new != text:
        write_atomic(readme, new)
    return new != text


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--readme":
        changed = publish(args[1])
        print(f"wrote figures/report.md; README table {'updated' if changed else 'unchanged'}")
    elif len(args) == 1:
        print(verdict_table(json.loads(Path(args[0]).read_text())))
    else:
        sys.exit("usage: python -m proofs_check.engine.report REPORT.json | --readme REPORT_DIR")
