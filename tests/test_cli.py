import json

from proofs_check.cli import main


def test_check_only_runs_selected_claims(tmp_path, capsys):
    assert main(["check", "--out", str(tmp_path), "--only", "ext.model.structured-moments",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ext.model.structured-moments" in out and "holds" in out
    assert (tmp_path / "cache" / "ext.model.structured-moments.json").exists()


def test_full_quick_report_lists_every_paper_claim(tmp_path, capsys):
    from proofs_check.paper_claims import PAPER_CLAIMS

    assert main(["check", "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "report.json").read_text())
    ids = [c["id"] for c in data["claims"]]
    assert all(cid in ids for cid, _, _ in PAPER_CLAIMS)
    assert ids[0].startswith("paper.")
    assert all(c["verdict"]["status"] in ("holds", "fails", "inconclusive") for c in data["claims"])


def test_unknown_claim_is_a_clear_error(tmp_path, capsys):
    assert main(["check", "--out", str(tmp_path), "--only", "paper.nope", "--quiet"]) == 2
    assert "unknown claim ID" in capsys.readouterr().err
