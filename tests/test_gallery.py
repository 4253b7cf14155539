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
