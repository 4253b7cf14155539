import json
import os
import signal
import subprocess
import sys
import time

import pytest

from proofs_check.engine.grids import ConfigError, expand, load_config, point_key
from proofs_check.sweep import SCHEMA, run_sweep

TINY = {"sweep": {"name": "tiny", "kind": "grid"},
        "parameters": {"alpha": [0.1, 1.0, 10.0], "objective": ["mim-reconstruction", "cl-similar"]},
        "fixed": {"d": 6, "c": 2, "n_clients": 4, "n_components": 3, "samples_per_class": 20, "probe": False}}


@pytest.mark.parametrize("cfg, match", [
    ({"fixed": {"dimension": 4}}, r"fixed.dimension: unknown key; allowed: \["),
    ({"fixed": {"d": "ten"}}, "d: expected int"),
    ({"fixed": {"p": 1.5}}, r"p: 1.5 must lie in \(0, 1\)"),
    ({"fixed": {"objective": "byol"}}, "allowed values: \\['mim-reconstruction'"),
    ({"parameters": {"alpha": []}}, "empty list"),
    ({"parameters": {"alpha": 3.0}}, "expected a list"),
    ({"sweep": {"kind": "random"}}, "n_points >= 1"),
    ({"sweep": {"kind": "bayes"}}, "allowed values: \\['grid', 'random'\\]"),
    ({"grid": {}}, "unknown section"),
    ({"parameters": {"d": [4]}, "fixed": {"d": 4}}, "both"),
])
def test_bad_configs_fail_before_any_work(cfg, match):
    with pytest.raises(ConfigError, match=match):
        load_config(cfg, SCHEMA)


def test_grid_and_random_expansion():
    assert len(expand(load_config(TINY, SCHEMA), SCHEMA)) == 6
    rnd = {"sweep": {"kind": "random", "n_points": 5, "seed": 3},
           "parameters": {"alpha": {"low": 0.1, "high": 10.0, "log": True}, "d": {"low": 4, "high": 9}}}
    a, b = expand(load_config(rnd, SCHEMA), SCHEMA), expand(load_config(rnd, SCHEMA), SCHEMA)
    assert a == b and all(0.1 <= p["alpha"] <= 10 and isinstance(p["d"], int) for p in a)


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    calls = []

    def flaky(point):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(point_key(point))
        return {"value": point["alpha"]}

    with pytest.raises(KeyboardInterrupt):
        run_sweep(TINY, tmp_path, fn=flaky, progress=False)
    done = sorted(os.listdir(tmp_path / "points"))
    assert len(done) == 3
    mtimes = {f: os.path.getmtime(tmp_path / "points" / f) for f in done}
    calls.clear()
    rows = run_sweep(TINY, tmp_path, fn=lambda pt: calls.append(point_key(pt)) or {"value": pt["alpha"]},
                     progress=False)
    assert len(calls) == 3 and len(rows) == 6                  # only the missing points ran
    assert {f: os.path.getmtime(tmp_path / "points" / f) for f in done} == mtimes
    assert (tmp_path / "results.csv").read_text().count("\n") == 7
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["points"] == 6 and meta["computed_this_run"] == 3


def test_killed_sweep_process_resumes(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("""
[sweep]
name = "kill"
[parameters]
alpha = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
objective = ["mim-reconstruction", "cl-similar", "spectral"]
[fixed]
d = 6
c = 2
n_clients = 4
n_components = 3
samples_per_class = 20
probe = true
framework = "local"
""")
    # probe = true makes each point slow enough (~0.1 s) that the kill lands mid-sweep
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.cli", "sweep", str(cfg), "--out", str(out),
                             "--quiet"])
    deadline = time.time() + 60
    while time.time() < deadline and not (out / "points").exists():
        time.sleep(0.05)
    while time.time() < deadline and len(os.listdir(out / "points")) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {f for f in os.listdir(out / "points") if f.endswith(".json")}
    assert 2 <= len(before) < 30
    from proofs_check.sweep import evaluate_point
    calls = []
    rows = run_sweep(cfg, out, fn=lambda pt: calls.append(1) or evaluate_point(pt), progress=False)
    assert len(rows) == 30 and len(calls) == 30 - len(before)


def test_parallel_and_dask_match_sequential(tmp_path):
    distributed = pytest.importorskip("distributed")
    seq = run_sweep(TINY, tmp_path / "seq", progress=False)
    par = run_sweep(TINY, tmp_path / "par", jobs=2, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dsk = run_sweep(TINY, tmp_path / "dask", backend="dask", scheduler=cluster.scheduler_address,
                        progress=False)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(seq) == strip(par) == strip(dsk)


def test_cli_reports_config_errors(tmp_path, capsys):
    from proofs_check.cli import main
    bad = tmp_path / "bad.toml"
    bad.write_text("[fixed]\nmask = 0.5\n")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "fixed.mask: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_every_results_column_is_described(tmp_path, capsys):
    import csv
    import json

    from proofs_check.cli import main

    rows = run_sweep(TINY, tmp_path, progress=False)
    header = next(csv.reader((tmp_path / "results.csv").open()))
    columns = json.loads((tmp_path / "metadata.json").read_text())["columns"]
    assert list(columns) == header and len(rows) > 0
    assert not [c for c, text in columns.items() if "undocumented" in text]
    assert "(input;" in columns["alpha"] and "(output)" in columns["distance"]
    # the same descriptions in --help
    assert main(["sweep", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert all(name in help_text for name in header)


def test_corrupt_point_files_are_named_and_recomputed(tmp_path, capsys):
    rows = run_sweep(TINY, tmp_path, progress=False)
    files = sorted((tmp_path / "points").glob("*.json"))
    files[0].write_text('{"alpha": ')         # truncated
    files[1].write_text("")                    # empty
    files[2].write_text("{}")                  # a JSON object without this point's results
    capsys.readouterr()
    again = run_sweep(TINY, tmp_path, progress=False)
    err = capsys.readouterr().err
    for f in files[:3]:
        assert str(f) in err
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]
    assert strip(again) == strip(rows)


def test_non_finite_values_are_refused_before_any_work(tmp_path):
    for key in ("alpha", "separation", "connectivity"):
        for bad in ("inf", "nan"):
            with pytest.raises(ConfigError, match=f"{key}: .* must be a finite number"):
                load_config(f"[fixed]\n{key} = {bad}\n", SCHEMA)


def test_dask_without_a_scheduler_starts_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    seq = run_sweep(TINY, tmp_path / "seq", progress=False)
    dsk = run_sweep(TINY, tmp_path / "dask", backend="dask", jobs=1, progress=False)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(seq) == strip(dsk)


def test_a_diverging_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    from proofs_check.sweep import evaluate_point

    def sometimes_diverges(pt):
        if pt["alpha"] == 0.1:
            raise FloatingPointError("planted divergence")
        return evaluate_point(pt)

    rows = run_sweep(TINY, tmp_path, fn=sometimes_diverges, progress=False)
    status = {r["alpha"]: r["status"] for r in rows}
    assert set(status.values()) == {"ok", "diverged"} and status[0.1] == "diverged"
    bad = [r for r in rows if r["status"] == "diverged"]
    assert all("planted divergence" in r["error"] and "distance" not in r for r in bad)


def test_points_too_large_for_this_machine_are_refused_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="GiB, more than 80% of this machine"):
        run_sweep("[fixed]\nd = 100000\nc = 2\n", tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="GiB"):
        run_sweep('[fixed]\nroute = "sampling"\nn_samples = 1000000000\n', tmp_path / "o", progress=False)


def test_inconsistent_sweep_configs_are_refused_before_any_work(tmp_path):
    cases = [("[fixed]\nc = 20\nd = 10\n", "c = 20 must be <= d = 10"),
             ('[fixed]\nframework = "decl"\nconnectivity = 50.0\n', "connectivity"),
             ("[fixed]\nn_clients = 500\nsamples_per_class = 10\n", "exceeds the 60 labels"),
             ("[sweep]\nseed = -1\n", "sweep.seed: must be >= 0"),
             ('[sweep]\nkind = "random"\nn_points = 2\n[parameters]\nseparation = {low = 0.0, high = 1.0, '
              'log = true}\n', "log range needs low > 0")]
    for text, message in cases:
        with pytest.raises(ConfigError, match=message):
            run_sweep(text, tmp_path / "o", progress=False)
        assert not (tmp_path / "o").exists()


def test_fmmc_rule_runs_at_200_clients(tmp_path):
    """Issue 28: ``rule = "fmmc"`` on a 200-client paper graph takes the interior-point route
    (seconds, certified) in a sweep, where the cvxpy route took hours."""
    from theory import topology

    topology._FMMC_CACHE.clear()
    cfg = {"sweep": {"name": "fmmc200", "kind": "grid"},
           "parameters": {"objective": ["mim-reconstruction"]},
           "fixed": {"d": 6, "c": 2, "n_clients": 200, "n_components": 4, "samples_per_class": 100,
                     "framework": "decl", "graph": "paper-general", "connectivity": 5.0,
                     "rule": "fmmc", "probe": False}}
    rows = run_sweep(cfg, tmp_path, progress=False)
    assert len(rows) == 1 and all(v == v for v in rows[0].values() if isinstance(v, float))
    (W, info), = topology._FMMC_CACHE.values()     # the preflight's solve, reused by the run
    assert W.shape == (200, 200) and info["method"] == "ipm"
    assert info["status"] == "optimal" and info["gap"] <= 1e-9
