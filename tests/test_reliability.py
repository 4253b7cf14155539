"""Issue 27: claim isolation, interrupts, workers that end with their parent, one writer per
folder, a full disk, and configs that passed validation but crashed mid-grid. Each test
reproduces the failure as a user met it (a real signal, a real kill, a real full disk where
the machine allows a tmpfs) and checks the promised behaviour."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from proofs_check.cli import main
from proofs_check.engine.grids import ConfigError, expand, load_config
from proofs_check.sweep import SCHEMA, check_consistency

LINUX2 = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                            reason="needs Linux and 2 CPUs")

BAD_CLAIMS = textwrap.dedent('''
    import os, signal, sys, time
    from proofs_check import REGISTRY, Evidence

    @REGISTRY.claim("user.exit0", statement="calls sys.exit(0)")
    def _exit(ctx):
        sys.exit(0)

    @REGISTRY.claim("user.kbint", statement="raises KeyboardInterrupt itself")
    def _kb(ctx):
        raise KeyboardInterrupt

    @REGISTRY.claim("user.hang", statement="hangs")
    def _hang(ctx):
        try:
            time.sleep(120)
        except Exception:          # a broad except must not swallow the time limit
            pass
        return Evidence("numerical", "never", passed=True)

    @REGISTRY.claim("user.dies", statement="its worker is killed, as by the OOM killer")
    def _dies(ctx):
        if os.environ.get("DSSL_TEST_KILL") == "1":
            os.kill(os.getpid(), signal.SIGKILL)
        return Evidence("numerical", "alive", passed=True)

    for i in range(3):
        @REGISTRY.claim(f"user.ok{i}", statement="fine")
        def _ok(ctx):
            return Evidence("numerical", "fine", passed=True)
''')


def _cli(args, **kw):
    return subprocess.run([sys.executable, "-m", "proofs_check.cli", *args], capture_output=True,
                          text=True, timeout=180, **kw)


@pytest.fixture
def claims_file(tmp_path):
    path = tmp_path / "bad_claims.py"
    path.write_text(BAD_CLAIMS)
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_exit_interrupt_and_hang_inside_a_check_are_that_claims_crash(tmp_path, claims_file, jobs):
    out = tmp_path / "o"
    res = _cli(["check", "--profile", "smoke", "--claims", str(claims_file), "--only", "user.exit0",
                "user.kbint", "user.hang", "user.ok*", "--out", str(out), "--claim-timeout", "2",
                "--jobs", jobs, "--quiet"])
    assert res.returncode == 1, res.stderr
    report = {c["id"]: c for c in json.loads((out / "report-partial.json").read_text())["claims"]}
    assert set(report) == {"user.exit0", "user.kbint", "user.hang", "user.ok0", "user.ok1", "user.ok2"}
    summary = lambda cid: " ".join(e["summary"] for e in report[cid]["evidence"])
    assert "sys.exit(0)" in summary("user.exit0")
    assert "KeyboardInterrupt" in summary("user.kbint")
    assert "timed out" in summary("user.hang") and "2 s" in summary("user.hang")
    assert all(report[f"user.ok{i}"]["verdict"] == "holds" for i in range(3))
    assert "user.exit0" in res.stderr and "crashed" in res.stderr


@LINUX2
def test_a_killed_worker_is_that_claims_crash_and_the_rest_finish(tmp_path, claims_file):
    out = tmp_path / "o"
    res = _cli(["check", "--profile", "smoke", "--claims", str(claims_file), "--only", "user.dies",
                "user.ok*", "--out", str(out), "--jobs", "2", "--quiet"],
               env={**os.environ, "DSSL_TEST_KILL": "1"})
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    report = {c["id"]: c for c in json.loads((out / "report-partial.json").read_text())["claims"]}
    assert "worker process" in report["user.dies"]["evidence"][0]["summary"]
    assert all(report[f"user.ok{i}"]["verdict"] == "holds" for i in range(3))


def test_sys_exit_at_import_of_a_claim_module_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "exits.py"
    path.write_text("import sys\nsys.exit(3)\n")
    assert main(["check", "--profile", "smoke", "--claims", str(path), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "SystemExit" in err and "exits.py" in err


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _alive(pids) -> list[int]:
    return [k for k in pids if os.path.exists(f"/proc/{k}") and
            open(f"/proc/{k}/stat").read().split()[2] != "Z"]


def _wait_for_children(proc, timeout=60.0) -> list[int]:
    deadline, kids = time.time() + timeout, []
    while time.time() < deadline and len(kids) < 2:
        kids = _children(proc.pid)
        time.sleep(0.1)
    return kids


SLOW_CLAIMS = textwrap.dedent('''
    import time
    from proofs_check import REGISTRY, Evidence
    for i in range(8):
        @REGISTRY.claim(f"user.slow{i}", statement="slow")
        def _s(ctx, i=i):
            time.sleep(0.2 if i < 2 else 60)
            return Evidence("numerical", "done", passed=True)
''')


@LINUX2
def test_ctrl_c_cancels_queued_claims_keeps_finished_ones_and_exits_130(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_CLAIMS)
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.cli", "check", "--profile", "smoke",
                             "--claims", str(path), "--only", "user.slow*", "--jobs", "2", "--quiet",
                             "--out", str(out)], stderr=subprocess.PIPE, text=True)
    kids = _wait_for_children(proc)
    assert kids, "no worker processes were started"
    deadline = time.time() + 60
    cache = out / "cache" / "smoke"
    while time.time() < deadline and len(list(cache.glob("*.json"))) < 2:
        time.sleep(0.1)
    start = time.time()
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    took = time.time() - start
    err = proc.stderr.read()
    assert rc == 130 and took < 10, (rc, took, err)
    assert "interrupted" in err and "Traceback" not in err
    assert {p.name for p in cache.glob("*.json")} >= {"user.slow0.json", "user.slow1.json"}
    time.sleep(0.5)
    assert not _alive(kids), "workers outlived the interrupted run"


@LINUX2
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_of_a_killed_sweep_end_with_it(tmp_path, sig):
    cfg = tmp_path / "grid.toml"
    cfg.write_text('[sweep]\nname = "k"\n[parameters]\nseed = [1, 2, 3, 4, 5, 6, 7, 8]\n'
                   '[fixed]\nn_clients = 64\nd = 160\nsamples_per_class = 400\nn_components = 20\n')
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.cli", "sweep", str(cfg), "--jobs", "2",
                             "--quiet", "--out", str(tmp_path / "o")])
    kids = _wait_for_children(proc)
    assert kids, "no worker processes were started"
    proc.send_signal(sig)
    proc.wait(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and _alive(kids):
        time.sleep(0.1)
    assert not _alive(kids), f"workers {_alive(kids)} outlived their parent after {sig!r}"


def test_a_second_writer_to_one_folder_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f'''
        import fcntl, sys, time
        fh = open({str(out / ".dssl.lock")!r}, "a+")
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.write("pid 4242: dssl sweep"); fh.flush()
        print("locked", flush=True)
        time.sleep(60)
    ''')], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        cfg = tmp_path / "c.toml"
        cfg.write_text('[sweep]\nname = "c"\n')
        assert main(["sweep", str(cfg), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "pid 4242" in err and "--out" in err
        assert not (out / "results.csv").exists()
    finally:
        holder.kill()
        holder.wait()
    assert main(["sweep", str(cfg), "--out", str(out), "--quiet"]) == 0      # released with its holder


def _small_disk(tmp_path):
    """A 64 KiB tmpfs where the machine allows mounting one (root), else a file-size limit."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                        capture_output=True).returncode == 0
    return mnt, ok


def test_a_full_disk_is_one_line_exit_1_and_keeps_what_finished(tmp_path):
    mnt, mounted = _small_disk(tmp_path)
    limit = {} if mounted else {"preexec_fn": lambda: __import__("resource").setrlimit(
        __import__("resource").RLIMIT_FSIZE, (48 * 1024, 48 * 1024))}
    try:
        res = _cli(["check", "--profile", "smoke", "--only", "paper.thm4.*", "--out", str(mnt / "o"),
                    "--quiet"], **limit)
        assert res.returncode == 1, res.stderr
        err = res.stderr.strip()
        assert "\n" not in err and ("no space left" in err or "size limit" in err), err
        kept = list((mnt / "o" / "cache" / "smoke").glob("*.json"))
        assert kept and all(json.loads(p.read_text())["id"] for p in kept)   # whole files only
        assert not list((mnt / "o").rglob("*.tmp"))
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.mark.parametrize("fixed, needle", [
    ({"framework": "decl", "graph": "ring", "n_clients": 2}, "graph = 'ring'"),
    ({"alpha": 0.001, "n_clients": 200}, "alpha = 0.001"),
    ({"separation": 1e300}, "separation"),
    ({"samples_per_class": 10**9}, "GiB"),
    ({"n_components": 10**5}, "n_components"),
])
def test_sweep_configs_that_crashed_mid_grid_are_refused_before_any_work(tmp_path, capsys, fixed, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nname = "c"\n[fixed]\n' + "".join(f"{k} = {v!r}\n".replace("'", '"')
                                                               for k, v in fixed.items()))
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and needle in err, err
    assert not (tmp_path / "o" / "points").exists()


def test_the_preflight_draws_what_the_run_draws():
    """A point the preflight accepts evaluates (same seed, same draws)."""
    from proofs_check.sweep import evaluate_point

    pt = expand(load_config({"fixed": {"framework": "decl", "graph": "ring", "n_clients": 5,
                                       "alpha": 0.05}}, SCHEMA), SCHEMA)[0]
    check_consistency(pt)
    assert evaluate_point(pt)["distance"] >= 0
    with pytest.raises(ConfigError, match="n_clients"):
        check_consistency(dict(pt, n_clients=2))


@pytest.mark.parametrize("fixed, needle", [
    ({"seed": 10**20}, "seed"),
    ({"seed": 2**31 - 1, "n_seeds": 2}, "n_seeds"),
    ({"n_test": 10**10, "rounds": 1}, "n_test"),
])
def test_neural_configs_that_crashed_are_refused_before_any_work(tmp_path, capsys, fixed, needle):
    cfg = tmp_path / "n.toml"
    cfg.write_text('[sweep]\nname = "n"\n[fixed]\n' + "".join(f"{k} = {v}\n" for k, v in fixed.items()))
    assert main(["neural", str(cfg), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and needle in err, err


def test_report_timing_accounts_for_the_wall_time(tmp_path):
    """Issue 28, item 4: report.json's phases (warm-up included) add up to the run's wall time
    within 10%, and every warm-up task has its measured seconds beside its estimate."""
    out = tmp_path / "o"
    assert main(["check", "--profile", "smoke", "--only", "ext.topology.*", "paper.thm4.*",
                 "--jobs", "2", "--out", str(out), "--quiet"]) in (0, 1)
    timing = json.loads((out / "report-partial.json").read_text())["timing"]
    assert 0.9 <= timing["accounted_share"] <= 1.0 + 1e-9, timing
    assert set(timing["phases"]) >= {"loading claims", "warm-up", "claims in workers", "figures"}
    assert all(t["seconds"] >= 0 and "estimate" in t for t in timing["warm_up_tasks"])
    # each claim that ran has its own seconds and its share of the warm-up; the shares and the
    # unread tasks add up to the warm-up's task seconds
    assert timing["claims"] and all(c["warm_up_share"] >= 0 for c in timing["claims"].values())
    total = sum(c["warm_up_share"] for c in timing["claims"].values()) + timing["warm_up_unattributed"]
    assert abs(total - sum(t["seconds"] for t in timing["warm_up_tasks"])) <= 1e-6
    assert "## Timing" in (out / "report-partial.md").read_text()
