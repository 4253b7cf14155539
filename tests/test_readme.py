"""The README shows the current verification table and the gallery's figures."""

from pathlib import Path

from proofs_check import cli
from proofs_check.gallery import FIGURES
from proofs_check.engine.registry import REGISTRY
from proofs_check.engine.report import (FIX_END, FIX_START, README_END, README_START,
                                        corrections_from_markdown, table_from_markdown)

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
REPORT = ROOT / "figures" / "report.md"


def test_readme_table_is_generated_from_the_committed_report():
    block = README.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert block == table_from_markdown(REPORT.read_text()), \
        "README table is stale: run python -m proofs_check.engine.report --readme reports/full"


def test_readme_corrections_table_is_generated_from_the_committed_report():
    block = README.split(FIX_START, 1)[1].split(FIX_END, 1)[0].strip()
    assert block == corrections_from_markdown(REPORT.read_text()).strip()


def test_committed_report_covers_every_registered_claim():
    cli._load_checks()
    report = REPORT.read_text()
    assert "Profile `full`" in report
    missing = [c.id for c in REGISTRY if f"### {c.id}\n" not in report]
    assert not missing, f"claims missing from figures/report.md (re-run the full profile): {missing}"


def test_gallery_images_exist_and_are_linked():
    for name in FIGURES:
        assert f"(figures/{name}.png)" in README, name
        assert (ROOT / "figures" / f"{name}.png").stat().st_size > 10_000, name


def test_two_commands_come_first():
    first = README.index("## ")
    assert README[first:].startswith("## Two commands")
    assert 'pip install -e ".[test,neural]" && python -m pytest' in README


def test_docs_theory_documents_every_builtin_claim_and_is_linked():
    cli._load_checks()
    docs = (ROOT / "docs" / "theory.md").read_text()
    builtin = [c.id for c in REGISTRY if c.id.startswith(("paper.", "ext.", "fix."))]
    missing = [cid for cid in builtin if f"`{cid}`" not in docs]
    assert not missing, f"docs/theory.md does not document: {missing}"
    assert "docs/theory.md" in README
    for path in (ROOT / "proofs_check").rglob("*.py"):   # the spec the code cites travels with it
        assert "THEORY.md" not in path.read_text(), path
