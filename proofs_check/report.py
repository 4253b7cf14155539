"""Running claims into a report: resumable per-claim cache, atomic JSON and Markdown output.

Layout of the output folder::

    OUT/report.json        every claim: verdict, evidence, timings, fingerprint
    OUT/report.md          the human-readable report (summary table, then details)
    OUT/cache/<ID>.json    one finished claim; reused on the next run when its fingerprint
                           (checks' source, profile, seed) is unchanged, so an interrupted
                           run resumes where it stopped
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .registry import VERDICTS, CheckContext, Claim, ClaimResult, run_claim


def _jsonable(obj):
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (no partial files)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, default=_jsonable, allow_nan=True) + "\n"


def run_claims(claims: list[Claim], ctx: CheckContext, out: Path, *, fresh: bool = False,
               progress: bool = True) -> list[ClaimResult]:
    """Run ``claims`` (reusing cached results unless ``fresh``), caching each as it finishes."""
    cache = Path(out) / "cache"
    results = []
    bar = tqdm(claims, desc="claims", unit="claim", disable=not progress)
    for claim in bar:
        bar.set_postfix_str(claim.id)
        path = cache / f"{claim.id}.json"
        fp = claim.fingerprint(ctx)
        if not fresh and path.exists():
            try:
                cached = ClaimResult.from_dict(json.loads(path.read_text()))
            except (ValueError, TypeError, KeyError):
                cached = None
            if cached is not None and cached.fingerprint == fp:
                results.append(cached)
                continue
        result = run_claim(claim, ctx)
        write_atomic(path, dumps(result.to_dict()))
        results.append(result)
    return results


def metadata(ctx: CheckContext) -> dict:
    import importlib.metadata as md

    versions = {}
    for pkg in ("dssl-verify", "numpy", "scipy", "sympy", "cvxpy", "networkx"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {"profile": ctx.profile, "seed": ctx.seed, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(results: list[ClaimResult], meta: dict) -> str:
    counts = {v: sum(r.verdict.status == v for r in results) for v in VERDICTS}
    lines = [
        "# dssl-verify report", "",
        f"Profile `{meta['profile']}`, seed {meta['seed']}, dssl-verify "
        f"{meta['versions'].get('dssl-verify')}, Python {meta['python']}.", "",
        "Verdicts are computed from the evidence listed under each claim; `inconclusive` means "
        "the evidence is missing or indeterminate (the reason says which).", "",
        "| verdict | count |", "|---|---|",
        *(f"| {v} | {counts[v]} |" for v in VERDICTS), "",
        "| claim | source | verdict | reason |", "|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| `{r.id}` | {_cell(r.source)} | **{r.verdict.status}** | "
                     f"{_cell(r.verdict.reason)} |")
    lines += ["", "## Details", ""]
    for r in results:
        lines += [f"### `{r.id}` — {r.verdict.status}", "", f"*{r.source}*: {r.statement}", ""]
        if r.latex:
            lines += [f"$$ {r.latex} $$", ""]
        lines.append(f"Verdict: **{r.verdict.status}** — {r.verdict.reason}")
        if r.verdict.holds_if:
            lines.append(f"Holds if: {r.verdict.holds_if}")
        if r.verdict.counterexample:
            lines.append(f"Counterexample: `{json.dumps(r.verdict.counterexample, default=_jsonable)}`")
        lines.append("")
        for e in r.evidence:
            mark = {True: "pass", False: "FAIL", None: "open"}[e.passed]
            lines.append(f"- [{e.kind}, {mark}] {e.summary}")
        lines += ["", f"({r.seconds:.2f} s)", ""]
    return "\n".join(lines)


def write_report(results: list[ClaimResult], ctx: CheckContext, out: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` atomically into ``out``; return their paths."""
    out = Path(out)
    meta = metadata(ctx)
    js, md = out / "report.json", out / "report.md"
    write_atomic(js, dumps({"meta": meta, "claims": [r.to_dict() for r in results]}))
    write_atomic(md, render_markdown(results, meta))
    return js, md
