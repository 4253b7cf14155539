# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reading the verification report
#
# `dssl check` writes `report.json` (machine-readable) and `report.md` (for people). This
# notebook runs a few claims at the tiny `smoke` profile into a temporary folder and reads the
# result the way you would read `reports/latest/report.json`.

# %%
import json
import tempfile
from pathlib import Path

from proofs_check.cli import main

out = Path(tempfile.mkdtemp()) / "report"
main(["check", "--profile", "smoke", "--quiet", "--out", str(out), "--only",
      "paper.eq17.mim-matrix", "paper.eq88.full-connectivity", "ext.topology.fmmc-fastest"])

# %% [markdown]
# `--only` runs a subset and caches each claim under `cache/<profile>/`; the full report is
# written when every claim runs. Each cached claim has the report's schema:

# %%
claims = [json.loads(p.read_text()) for p in sorted((out / "cache" / "smoke").glob("*.json"))]
for c in claims:
    print(f"{c['id']:<34} {c['verdict']:<12} {c['reason'][:90]}")

# %% [markdown]
# ## Evidence and counterexamples
# A `fails` verdict carries a counterexample that re-runs: parameters, seed and the two numbers
# compared. Evidence pieces are separate (symbolic, numerical, empirical) and each says whether
# it supports the claim.

# %%
eq17 = next(c for c in claims if c["id"] == "paper.eq17.mim-matrix")
print("verdict:", eq17["verdict"])
print("counterexample:", json.dumps(eq17["counterexample"])[:400])
for e in eq17["evidence"]:
    print(f"- [{e['kind']}, passed={e['passed']}] {e['summary'][:120]}")

# %% [markdown]
# ## The README's table
# `python -m proofs_check.engine.report reports/latest/report.json` prints the Markdown table the README
# shows; `proofs_check.engine.report.verdict_table` does the same from a dict.

# %%
from proofs_check.engine.report import verdict_table  # noqa: E402

print(verdict_table({"claims": claims}))
