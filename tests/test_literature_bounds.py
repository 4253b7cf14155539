"""The literature-bound suite (benchmarks/literature_bounds.py), checked as a user would check it:
every false variant is refuted at the quick profile, every true statement holds, and random
draws alone miss variants the guided search catches."""

from pathlib import Path

import pytest

from proofs_check.engine.inequalities import bound_evidence
from proofs_check.engine.plugins import load_claim_module
from proofs_check.engine.registry import REGISTRY, CheckContext, run_claim

SUITE = Path(__file__).resolve().parents[1] / "benchmarks" / "literature_bounds.py"


@pytest.fixture(scope="module")
def suite():
    """The suite's claims, removed from the process-wide registry afterwards."""
    import sys

    load_claim_module(str(SUITE))
    yield {c.id: c for c in REGISTRY.select(["lit.*"])}
    for cid in [c.id for c in REGISTRY if c.id.startswith("lit.")]:
        REGISTRY._claims.pop(cid)
    for name in [m for m in sys.modules if m.startswith("dssl_claims_literature_bounds_")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def quick(suite):
    return {cid: run_claim(c, CheckContext("quick")) for cid, c in suite.items()}


def test_the_suite_is_large_enough(suite):
    assert sum(cid.startswith("lit.false.") for cid in suite) >= 15
    assert sum(cid.startswith("lit.true.") for cid in suite) >= 10


def test_every_false_variant_is_refuted_and_every_true_statement_holds(quick):
    verdicts = {cid: r.verdict.status for cid, r in quick.items()}
    assert {cid: v for cid, v in verdicts.items() if cid.startswith("lit.false.") and v != "fails"} == {}
    assert {cid: v for cid, v in verdicts.items() if cid.startswith("lit.true.") and v != "holds"} == {}
    # a bound that holds says how close the search came
    assert "closest approach lhs/rhs" in quick["lit.true.davis-kahan"].verdict.reason


@pytest.mark.parametrize("cid", ["lit.false.davis-kahan-sqrt2", "lit.false.davis-kahan-1"])
def test_random_draws_alone_miss_what_the_guided_search_catches(suite, cid):
    spec = suite[cid].checks[0].dssl_bound
    random = bound_evidence(**spec, mode="random", profile="quick")
    guided = bound_evidence(**spec, mode="guided", profile="quick")
    assert all(e.passed is True for e in random)
    assert any(e.passed is False for e in guided)
