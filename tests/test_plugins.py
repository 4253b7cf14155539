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


# --- users' modules behave like code (issue 24) -------------------------------------------
def test_a_user_claim_reusing_a_builtin_id_is_refused_naming_both_places(tmp_path, capsys):
    mod = tmp_path / "reuse.py"
    mod.write_text("from proofs_check import REGISTRY, Evidence\n"
                   "@REGISTRY.claim('paper.eq24.ratio-bound', statement='mine')\n"
                   "def mine(ctx):\n    return Evidence('numerical', 'x', passed=False)\n")
    assert main(["check", "--claims", str(mod), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "already registered by proofs_check" in err and "paper" in err and "reuse.py:2" in err
    assert all(getattr(c, "__module__", "").startswith("proofs_check")
               for c in REGISTRY.get("paper.eq24.ratio-bound").checks)


def test_two_user_modules_cannot_share_an_id_and_a_failed_import_leaves_nothing(tmp_path):
    body = ("from proofs_check import REGISTRY, Evidence\n"
            "@REGISTRY.claim('my.shared-id', statement='s')\n"
            "def c(ctx):\n    return Evidence('numerical', 'x', passed=True)\n")
    (tmp_path / "first.py").write_text(body)
    (tmp_path / "second.py").write_text(body + "@REGISTRY.claim('my.only-second', statement='t')\n"
                                        "def d(ctx):\n    return Evidence('numerical', 'y', passed=True)\n")
    try:
        load_claim_module(str(tmp_path / "first.py"))
        with pytest.raises(ClaimLoadError, match=r"already registered by .*first\.py"):
            load_claim_module(str(tmp_path / "second.py"))
        assert len(REGISTRY.get("my.shared-id").checks) == 1
        assert "my.only-second" not in REGISTRY
    finally:
        for cid in ("my.shared-id", "my.only-second"):
            REGISTRY._claims.pop(cid, None)


def test_helpers_beside_a_module_import_and_key_its_cache(tmp_path):
    from proofs_check.engine.registry import CheckContext

    (tmp_path / "my_helper.py").write_text("LIMIT = 0.5\n")
    (tmp_path / "uses_helper.py").write_text(
        "from proofs_check import REGISTRY, Evidence\n"
        "import my_helper\n"
        "@REGISTRY.claim('my.helper-limit', statement='limit below one')\n"
        "def c(ctx):\n"
        "    return Evidence('numerical', 'limit', passed=my_helper.LIMIT < 1)\n")
    try:
        load_claim_module(str(tmp_path / "uses_helper.py"))
        claim = REGISTRY.get("my.helper-limit")
        before = claim.fingerprint(CheckContext("smoke"))
        (tmp_path / "my_helper.py").write_text("LIMIT = 2.0\n")     # edit a helper's constant
        assert claim.fingerprint(CheckContext("smoke")) != before
        (tmp_path / "my_helper.py").write_text("LIMIT = 0.5\n")
        assert claim.fingerprint(CheckContext("smoke")) == before
        (tmp_path / "unrelated.py").write_text("X = 1\n")            # not imported: no effect
        assert claim.fingerprint(CheckContext("smoke")) == before
    finally:
        REGISTRY._claims.pop("my.helper-limit", None)
        sys.modules.pop("my_helper", None)


def test_readme_bound_example_runs_verbatim(tmp_path, monkeypatch, forget_my_claims):
    section = _section("Searching for counterexamples")
    code = re.search(r"```python\n(# my_bounds.py\n.*?)```", section, re.S).group(1)
    (tmp_path / "my_bounds.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--claims", "my_bounds.py", "--only", "my.*", "--out", "o",
                 "--quiet"]) == 0
    data = {c["id"]: c for c in json.loads(Path("o/report-partial.json").read_text())["claims"]}
    assert data["my.davis-kahan"]["verdict"] == "holds"
    assert "closest approach lhs/rhs" in data["my.davis-kahan"]["reason"]
    failed = data["my.davis-kahan-sqrt2"]
    assert failed["verdict"] == "fails" and failed["counterexample"]["ratio"] > 1
