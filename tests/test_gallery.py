"""``dssl figures`` draws every figure (PNG and PDF) from a report's cache."""

import pytest

from proofs_check.cli import main
from proofs_check.gallery import FIGURES, make_figures


def test_every_figure_from_the_smoke_report(smoke_report, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["figures", "--profile", "smoke", "--report", str(smoke_report), "--out", str(out),
                 "--quiet"]) == 0
    for name in FIGURES:
        png, pdf = out / f"{name}.png", out / f"{name}.pdf"
        assert png.stat().st_size > 5000 and pdf.stat().st_size > 1000, name
    assert "wrote" in capsys.readouterr().out
    assert not list(out.glob(".*tmp"))                       # atomic writes leave nothing behind


def test_unknown_figure_is_a_usage_error(tmp_path, capsys):
    assert main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown figure" in capsys.readouterr().err
    with pytest.raises(ValueError, match="known"):
        make_figures(tmp_path, only=["nope"])


def test_figures_never_overwrite_the_committed_gallery_by_default(tmp_path, monkeypatch, capsys):
    from proofs_check.cli import main

    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "report.json"
    a_file.write_text("{}")
    assert main(["figures", "--report", str(a_file), "--quiet"]) == 2     # at once, no computing
    assert "--report" in capsys.readouterr().err
    assert main(["figures", "--profile", "smoke", "--only", "fmmc", "--quiet",
                 "--report", str(tmp_path / "r")]) == 0
    assert (tmp_path / "reports" / "smoke" / "gallery" / "fmmc.png").exists()
    assert not (tmp_path / "figures").exists()
