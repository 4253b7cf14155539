"""The empirical claims (smoke profile), their behaviour without torch, and ``dssl neural``."""

import json

import numpy as np

import pytest

from proofs_check.claims import neural_checks
from proofs_check.cli import main
from proofs_check.engine.registry import REGISTRY, CheckContext, run_claim

NEURAL_IDS = neural_checks.EMPIRICAL_IDS


def test_without_torch_every_empirical_claim_is_inconclusive_with_the_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(neural_checks, "torch_available", lambda: False)
    ctx = CheckContext("smoke", 0, str(tmp_path))
    for cid in NEURAL_IDS:
        res = run_claim(REGISTRY.get(cid), ctx)
        assert res.verdict.status == "inconclusive" and not res.crashed
        assert "pip install" in res.verdict.reason


def test_smoke_claims_run_from_five_seeds_and_share_cached_runs(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    ctx = CheckContext("smoke", 0, str(tmp_path))
    results = {cid: run_claim(REGISTRY.get(cid), ctx) for cid in NEURAL_IDS}
    for cid, res in results.items():
        assert not res.crashed, (cid, res.verdict.reason)
        assert res.evidence
        for e in res.evidence:
            if e.kind == "empirical" and e.passed is not None:
                assert e.numbers["n_seeds"] >= 5
        if cid not in ("ext.neural.linear-closed-form", "ext.neural.gap-tracks-linear-theory"):
            head = res.evidence[0]
            assert head.params["role"] == "decision"
            for word in ("Margin", "Correction", "Design", "seeds"):
                assert word in head.summary, (cid, word)
            assert all("margin_source" in e.params for e in res.evidence[1:]
                       if e.params.get("role") != "extra")
    points = list((tmp_path / "neural" / "points").glob("*.json"))
    # Table 5 and the drift claim reuse Table 1's runs; Fig 2b reuses Table 1's FedAvg MAE runs
    t1 = 2 * 2 * 5
    assert len(points) < t1 + 2 * 5 + 2 * 5 + 5 + 5 + 5 + 5
    again = run_claim(REGISTRY.get("paper.table1.mim-drop-smaller"), ctx)
    assert [e.numbers for e in again.evidence] == [e.numbers for e in results["paper.table1.mim-drop-smaller"].evidence]
    t1_rows = [json.loads(p.read_text()) for p in points]
    assert {r["method"] for r in t1_rows} >= {"mae", "simsiam", "mar", "spectral"}
    # the planning pass of the warm-up finds exactly the runs the claims asked for (one look)
    from proofs_check.engine.grids import point_key
    from simulators.neural.config import RUN_CODE

    planned = neural_checks.planned_points(ctx, [REGISTRY.get(cid) for cid in NEURAL_IDS])
    assert {point_key(p, RUN_CODE) for p in planned} == {p.stem for p in points}
    assert len(planned) == len(points)


def test_dssl_neural_runs_a_config_and_resumes(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nname = "t"\n[parameters]\nmethod = ["mae", "spectral"]\n'
                   '[fixed]\nn_clients = 3\nrounds = 1\nhidden = 16\n')
    out = tmp_path / "out"
    assert main(["neural", str(cfg), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "accuracy" in text and "spectral" in text and "2 runs" in text
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["computed_this_run"] == 2
    assert not [c for c, text in meta["columns"].items() if "undocumented" in text]
    assert main(["neural", str(cfg), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "metadata.json").read_text())["computed_this_run"] == 0


def test_dssl_neural_rejects_bad_config(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[fixed]\nmethod = "byol"\n')
    assert main(["neural", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "method" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_inconsistent_neural_configs_are_refused_before_training(tmp_path, capsys):
    cases = [('arch = "cnn"\ndataset = "synthetic"', "arch: 'cnn' needs an image"),
             ("gamma_min = 0.5\ngamma_max = 0.1", "gamma_min = 0.5 must be <= gamma_max"),
             ('method = "mae"\nmask_ratio = 0.01', "hides 0 of 10 units"),
             ('method = "mae"\ndataset = "digits"\nmask_ratio = 0.01', "hides 0 of 16 units"),
             ('dataset = "cifar10"', "dataset"), ('arch = "vit"', "arch"), ('method = "byol"', "method"),
             ('n_train = 20\nn_clients = 30', "n_clients = 30 exceeds the 20 samples"),
             ('n_seeds = 1000', "n_seeds: 1000 must lie in [1, 256]"),
             ('framework = "dpsgd"\nn_clients = 1', "'dpsgd' needs n_clients >= 2"),
             ('framework = "dpsgd"\ngraph = "torus"\nn_clients = 10', "needs a square n_clients"),
             ('framework = "dpsgd"\ngraph = "hypercube"\nn_clients = 10', "power of 2"),
             ('framework = "dpsgd"\ngraph = "paper-general"\nconnectivity = 40.0', "connectivity"),
             ("alpha = 1e-300", "alpha: 1e-300 must be >= 1e-3"),
             ("hidden = 100000000", "GiB, more than 80% of this machine"),
             ("threads = 100000", "threads: 100000 must lie in [1, "),
             ("rounds = 1000000000", "batched steps, more than 1e+07")]
    for body, message in cases:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"[fixed]\n{body}\n")
        assert main(["neural", str(cfg), "--out", str(tmp_path / "o"), "--quiet"]) == 2, body
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (body, err)
        assert not (tmp_path / "o").exists()


def test_run_code_covers_every_toolkit_module_the_neural_runs_import():
    """Cached neural runs are keyed on RUN_CODE only: it must hold the import closure of
    simulators.neural inside the toolkit (else a change could leave stale runs)."""
    import ast
    from pathlib import Path

    from simulators.neural.config import RUN_CODE

    root = Path(__file__).resolve().parents[1]
    covered = {p for entry in RUN_CODE for p in
               ([root / entry] if (root / entry).is_file() else (root / entry).rglob("*.py"))}
    todo, seen = sorted((root / "simulators" / "neural").rglob("*.py")), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        pkg = path.relative_to(root).parent.parts
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = list(pkg[:len(pkg) - node.level + 1]) if node.level else []
                names = [base + (node.module.split(".") if node.module else [])]
                names += [n + [a.name] for n in names for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".") for a in node.names]
            else:
                continue
            for parts in names:
                if parts and parts[0] in ("theory", "simulators", "proofs_check"):
                    target = root.joinpath(*parts).with_suffix(".py")
                    if target.exists() and target.name != "__init__.py":
                        todo.append(target)
    missing = sorted(str(p.relative_to(root)) for p in seen - covered
                     if p.name != "__init__.py" or "neural" in p.parts)
    assert not missing, f"RUN_CODE lacks {missing}"


def test_the_linear_gap_claim_needs_three_alphas_and_then_correlates_per_seed(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    ctx = CheckContext("smoke", 0, str(tmp_path))
    res = run_claim(REGISTRY.get("ext.neural.gap-tracks-linear-theory"), ctx)
    assert res.verdict.status == "inconclusive" and "at least 3 alphas" in res.evidence[0].summary
    monkeypatch.setitem(neural_checks.PROFILES, "smoke",
                        dict(neural_checks.PROFILES["smoke"], alphas=(0.05, 0.5, 50.0)))
    res = run_claim(REGISTRY.get("ext.neural.gap-tracks-linear-theory"), ctx)
    assert not res.crashed, res.verdict.reason
    cell = res.evidence[1]
    gaps = np.array(cell.numbers["linear_gap"])
    assert gaps.shape == (5, 3) and np.all(gaps[:, 0] > gaps[:, 2])    # the exact gap falls with alpha
    assert -1 <= min(cell.numbers["diffs"]) <= max(cell.numbers["diffs"]) <= 1


def test_table1_split_sensitivity_is_extra_evidence_on_the_other_split(tmp_path, monkeypatch):
    """With ``split_sensitivity`` the Table 1 claim also reports drop(CL) - drop(MAE) under the
    other skew split (here ``dirichlet-class`` for a ``balanced`` cell), from the claim's own IID
    runs, as extra evidence that leaves the verdict alone; the planning pass finds its runs."""
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    ctx = CheckContext("smoke", 0, str(tmp_path))
    claim = REGISTRY.get("paper.table1.mim-drop-smaller")
    plain = run_claim(claim, ctx)
    monkeypatch.setitem(neural_checks.PROFILES, "smoke",
                        dict(neural_checks.PROFILES["smoke"], split_sensitivity=True))
    planned = neural_checks.planned_points(ctx, [claim])
    assert {p["split"] for p in planned} == {"iid", "balanced", "dirichlet-class"}
    res = run_claim(claim, ctx)
    assert not res.crashed, res.verdict.reason
    assert res.verdict.status == plain.verdict.status
    extra = [e for e in res.evidence if "sensitivity" in e.summary]
    assert len(extra) == 1 and extra[0].params["role"] == "extra" and extra[0].passed is None
    assert "dirichlet-class Dirichlet(0.1) split instead of the cell's balanced" in extra[0].summary
    cell = next(e for e in res.evidence[1:] if e.params.get("role") != "extra")
    acc_iid = {m: np.array(v) for m, v in cell.numbers["acc_iid"].items()}
    acc_other = {m: np.array(v) for m, v in extra[0].numbers["acc_noniid"].items()}
    drop = {m: acc_iid[m] - acc_other[m] for m in acc_iid}
    np.testing.assert_array_equal(extra[0].numbers["difference"], drop["simsiam"] - drop["mae"])
    assert not np.array_equal(acc_other["mae"], cell.numbers["acc_noniid"]["mae"])
    # the decided cells' gate, applied to the other split's arms: smoke encoders learn nothing
    assert extra[0].numbers["gate_valid"] is False and "invalid" in extra[0].summary


def test_quick_leaves_its_full_only_claims_to_full_without_planning_their_runs(tmp_path):
    pytest.importorskip("torch")
    from proofs_check.engine.grids import point_key
    from simulators.neural.config import RUN_CODE

    quick, full = CheckContext("quick", 0, str(tmp_path)), CheckContext("full", 0, str(tmp_path))
    skipped = neural_checks.PROFILES["quick"]["full_only"]
    assert skipped and set(skipped) <= set(NEURAL_IDS) and "full_only" not in neural_checks.PROFILES["full"]
    for cid in skipped:
        res = run_claim(REGISTRY.get(cid), quick)
        assert res.verdict.status == "inconclusive" and "--profile full" in res.verdict.reason, cid
        assert neural_checks.planned_points(quick, [REGISTRY.get(cid)]) == []
        assert neural_checks.left_to_full(full, cid) is None
        assert neural_checks.planned_points(full, [REGISTRY.get(cid)])      # full plans their runs
    # the D-PSGD runs of fl-no-worse-than-decl are Fig. 2a's in quick: nothing of its own
    keys = lambda cid: {point_key(p, RUN_CODE) for p in neural_checks.planned_points(quick, [REGISTRY.get(cid)])}
    fig2a, table1 = keys("paper.fig2a.connectivity-accuracy"), keys("paper.table1.mim-drop-smaller")
    assert keys("ext.neural.fl-no-worse-than-decl") <= fig2a | table1
