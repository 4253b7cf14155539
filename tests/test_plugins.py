"""Claim modules from outside the package: files, module names, entry points, the README's example."""

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from proofs_check.cli import main
from proofs_check.engine.plugins import (BUILTIN_MODULE, ClaimLoadError, load_claim_module,
                                         registered_modules)
from proofs_check.engine.registry import REGISTRY

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def forget_my_claims():
    """Remove claims a test registered under ``my.*`` (the registry is process-wide)."""
    yield
    for cid in [c.id for c in REGISTRY if c.id.startswith("my.")]:
        REGISTRY._claims.pop(cid)


def test_the_builtin_claims_come_through_the_entry_point_group():
    assert registered_modules()[0][1] == BUILTIN_MODULE
    from importlib.metadata import entry_points

    assert BUILTIN_MODULE in {ep.value for ep in entry_points(group="dssl.claims")}


def test_readme_adding_a_claim_runs_verbatim_through_the_cli(tmp_path, monkeypatch, capsys,
                                                             forget_my_claims):
    section = _section("Adding a claim")
    code = re.search(r"```python\n(# my_claims.py\n.*?)```", section, re.S).group(1)
    command = re.search(r"```bash\n(dssl check .*?)\n```", section, re.S).group(1)
    (tmp_path / "my_claims.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command)
    assert argv[0] == "dssl"
    assert main(argv[1:] + ["--quiet"]) == 0
    out = Path("reports/mine")
    data = json.loads((out / "report-partial.json").read_text())
    assert data["partial"] and data["selection"] == ["my.*"]
    verdicts = {c["id"]: c for c in data["claims"]}
    assert set(verdicts) == {"my.ring-gap-positive", "my.ring-gap-above-tenth"}
    assert verdicts["my.ring-gap-positive"]["verdict"] == "holds"
    failed = verdicts["my.ring-gap-above-tenth"]
    assert failed["verdict"] == "fails"
    assert failed["counterexample"]["params"]["n"] == 20
    assert failed["counterexample"]["numbers"]["gap"] < 0.1
    md = (out / "report-partial.md").read_text()
    assert "(partial)" in md and "**fails**" in md and "**holds**" in md
    assert not (out / "report.md").exists() and not (out / "report.json").exists()
    # the user's claims are listed, aligned, and cached like the built-in ones
    capsys.readouterr()
    assert main(["list", "--claims", "my_claims.py", "--only", "my.*"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["my.ring-gap-positive", "my.ring-gap-above-tenth"]
    assert len({ln.index(" check(s)") for ln in lines}) == 1
    assert list((out / "cache").glob("*/my.ring-gap-positive.json"))


def test_only_leaves_a_full_report_in_the_same_folder_alone(tmp_path, forget_my_claims):
    (tmp_path / "report.md").write_text("full report")
    assert main(["check", "--out", str(tmp_path), "--only", "ext.model.structured-moments",
                 "--quiet"]) == 0
    assert (tmp_path / "report.md").read_text() == "full report"
    assert json.loads((tmp_path / "report-partial.json").read_text())["partial"] is True


def test_claim_modules_by_name_and_bad_modules(tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "someones_claims.py"
    pkg.write_text("from proofs_check import REGISTRY, Evidence\n"
                   "@REGISTRY.claim('my.by-name', statement='one is positive')\n"
                   "def one(ctx):\n    return Evidence('numerical', '1 > 0', passed=1 > 0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        mod = load_claim_module("someones_claims")
        assert load_claim_module("someones_claims") is mod        # loaded once
        assert "my.by-name" in REGISTRY
    finally:
        REGISTRY._claims.pop("my.by-name", None)
        sys.modules.pop("someones_claims", None)
    with pytest.raises(ClaimLoadError, match="no such file"):
        load_claim_module(str(tmp_path / "missing.py"))
    with pytest.raises(ClaimLoadError, match="no such module"):
        load_claim_module("no_such_claims_module_xyz")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('planted import failure')\n")
    with pytest.raises(ClaimLoadError, match="RuntimeError: planted import failure"):
        load_claim_module(str(broken))
    dup = tmp_path / "dup.py"
    dup.write_text("from proofs_check import REGISTRY, Claim\n"
                   "REGISTRY.add(Claim('paper.eq24.ratio-bound', '', 'again'))\n")
    assert main(["check", "--claims", str(dup), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--claims" in err and "already registered" in err
