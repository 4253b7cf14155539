import json

from proofs_check.cli import main


def test_check_only_runs_selected_claims(tmp_path, capsys):
    assert main(["check", "--out", str(tmp_path), "--only", "ext.model.structured-moments",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ext.model.structured-moments" in out and "holds" in out
    assert [p.parent.name for p in (tmp_path / "cache").glob("*/ext.model.structured-moments.json")] == ["quick"]


def test_full_smoke_report_lists_every_paper_claim(smoke_report, tmp_path, capsys):
    from proofs_check.claims.paper import PAPER_CLAIMS

    data = json.loads((smoke_report / "report.json").read_text())
    assert {"version", "profile", "seed", "environment", "claims"} <= set(data)
    ids = [c["id"] for c in data["claims"]]
    assert all(cid in ids for cid, _, _ in PAPER_CLAIMS)
    assert ids[0].startswith("paper.")
    for c in data["claims"]:
        assert c["verdict"] in ("holds", "fails", "inconclusive")
        assert {"id", "source", "statement", "holds_if", "evidence", "counterexample", "seconds"} <= set(c)
        assert all({"kind", "summary", "data"} <= set(e) for e in c["evidence"])
    md = (smoke_report / "report.md").read_text()
    assert "| claim | statement | verdict |" in md
    assert (smoke_report / "figures" / "paper.thm4.2.fl.png").exists()
    # same seed, same report apart from timings (a fresh run, not the cache)
    other = tmp_path / "again"
    assert main(["check", "--out", str(other), "--quiet", "--profile", "smoke", "--only",
                 "paper.eq17.mim-matrix", "paper.concentration"]) == 0
    for cid in ("paper.eq17.mim-matrix", "paper.concentration"):
        a = json.loads((smoke_report / "cache" / "smoke" / f"{cid}.json").read_text())
        b = json.loads((other / "cache" / "smoke" / f"{cid}.json").read_text())
        a.pop("seconds"); b.pop("seconds")
        assert a == b


def test_unknown_claim_is_a_clear_error(tmp_path, capsys):
    assert main(["check", "--out", str(tmp_path), "--only", "paper.eq17.mim-matrx", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no claim matches 'paper.eq17.mim-matrx'" in err
    assert "closest: paper.eq17.mim-matrix" in err


def test_a_crashing_check_gives_exit_code_1_and_is_reported(tmp_path, capsys):
    from proofs_check.engine.registry import REGISTRY

    @REGISTRY.claim("test.crashes", statement="a check that raises")
    def boom(ctx):
        raise RuntimeError("planted crash")

    try:
        assert main(["check", "--out", str(tmp_path), "--only", "test.crashes", "--quiet"]) == 1
        data = json.loads((tmp_path / "report-partial.json").read_text())["claims"][0]
        assert data["crashed"] and "planted crash" in data["evidence"][0]["summary"]
        assert data["verdict"] == "inconclusive"
        assert not (tmp_path / "cache" / "smoke" / "test.crashes.json").exists()   # a crash is never cached
    finally:
        REGISTRY._claims.pop("test.crashes")


def test_bad_jobs_is_a_usage_error(tmp_path, capsys):
    for command in (["check"], ["figures"], ["sweep", "c.toml"], ["neural", "c.toml"]):
        assert main([*command, "--out", str(tmp_path), "--jobs", "0"]) == 2
        assert "--jobs: must be >= 1" in capsys.readouterr().err


def test_jobs_above_the_cpu_count_and_bad_seeds_are_refused(tmp_path, capsys):
    import os

    too_many = str((os.cpu_count() or 1) + 1)
    assert main(["check", "--out", str(tmp_path), "--jobs", too_many]) == 2
    assert "CPUs of this machine" in capsys.readouterr().err
    for seed in ("-1", str(2**64), "x"):
        assert main(["check", "--out", str(tmp_path), "--seed", seed]) == 2
        assert "--seed" in capsys.readouterr().err


def test_report_files_respect_the_umask(tmp_path):
    import os
    import stat

    from proofs_check.engine.report import write_atomic

    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644


def test_report_json_is_strict(smoke_report):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    text = (smoke_report / "report.json").read_text()
    data = json.loads(text, parse_constant=refuse)       # NaN/Infinity would raise here
    assert data["partial"] is False


def test_bad_config_paths_and_outputs_are_one_line_errors(tmp_path, capsys):
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[fixed]\nd = 10 # \xe9t\xe9\n")
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    cases = [(tmp_path / "missing.toml", "does not exist"), (folder, "is a folder"),
             (latin, "not UTF-8"), (empty, "is empty")]
    for command in ("sweep", "neural"):
        for path, message in cases:
            assert main([command, str(path), "--out", str(tmp_path / "o")]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and message in err, (command, err)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    good = tmp_path / "good.toml"
    good.write_text("[fixed]\nd = 6\n")
    for out in (a_file, a_file / "below"):
        assert main(["check", "--only", "ext.model.structured-moments", "--out", str(out), "--quiet"]) == 2
        assert "--out" in capsys.readouterr().err
        assert main(["sweep", str(good), "--out", str(out), "--quiet"]) == 2
        assert "--out" in capsys.readouterr().err


def test_killed_check_leaves_no_orphaned_workers(tmp_path):
    """SIGKILL of ``dssl check --jobs 2``: its forked workers end with it (PR_SET_PDEATHSIG)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        import pytest
        pytest.skip("needs Linux and 2 CPUs")
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.cli", "check", "--profile", "smoke",
                             "--jobs", "2", "--quiet", "--out", str(tmp_path / "o"),
                             "--only", "paper.*", "ext.gmm.*"])

    def children() -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    deadline, kids = time.time() + 60, []
    while time.time() < deadline and not kids:
        kids = children()
        time.sleep(0.1)
    assert kids, "no worker processes were started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20
    alive = kids
    while time.time() < deadline and alive:
        time.sleep(0.2)
        alive = [k for k in kids if os.path.exists(f"/proc/{k}") and
                 open(f"/proc/{k}/stat").read().split()[2] != "Z"]
    assert not alive, f"workers {alive} outlived their killed parent"


def test_caches_of_different_seeds_do_not_overwrite_each_other(tmp_path):
    for seed in ("0", "3"):
        assert main(["check", "--out", str(tmp_path), "--only", "ext.topology.uniform-stationary",
                     "--profile", "smoke", "--seed", seed, "--quiet"]) == 0
    a = json.loads((tmp_path / "cache" / "smoke" / "ext.topology.uniform-stationary.json").read_text())
    b = json.loads((tmp_path / "cache" / "smoke" / "ext.topology.uniform-stationary.seed-3.json").read_text())
    assert a["fingerprint"] != b["fingerprint"]


def test_caches_of_different_profiles_in_one_folder_do_not_overwrite_each_other(tmp_path):
    for profile in ("smoke", "quick"):
        assert main(["check", "--out", str(tmp_path), "--only", "ext.topology.uniform-stationary",
                     "--profile", profile, "--quiet"]) == 0
    a = json.loads((tmp_path / "cache" / "smoke" / "ext.topology.uniform-stationary.json").read_text())
    b = json.loads((tmp_path / "cache" / "quick" / "ext.topology.uniform-stationary.json").read_text())
    assert a["fingerprint"] != b["fingerprint"]
    before = (tmp_path / "cache" / "smoke" / "ext.topology.uniform-stationary.json").stat().st_mtime_ns
    assert main(["check", "--out", str(tmp_path), "--only", "ext.topology.uniform-stationary",
                 "--profile", "smoke", "--quiet"]) == 0                      # reused, not rewritten
    assert (tmp_path / "cache" / "smoke" / "ext.topology.uniform-stationary.json").stat().st_mtime_ns == before
