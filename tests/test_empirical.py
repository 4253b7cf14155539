"""The empirical decision rule: its pieces, and its error rates, measured by simulation.

The calibration tests push simulated per-seed differences through
:func:`proofs_check.engine.empirical.decide`, the function every empirical claim calls, with
the seed designs of the profiles the claims use, and print the observed rates. A rate counts as
above the nominal 5% when a one-sided binomial test rejects ``rate <= 0.05`` at level 0.001
(so a correct rule fails this test about once in a thousand runs of a *different* seed; with
the fixed seed here the outcome is the same every run). Planted rules that ignore multiplicity
or the looks are shown to be caught by the same test.
"""

import numpy as np
import pytest
from scipy import stats

from proofs_check.claims.neural_checks import MARGINS, PROFILES
from proofs_check.engine import empirical as E
from proofs_check.engine.empirical import Cell, Design, Margin, decide, decision_evidence, t_interval
from proofs_check.engine.registry import default_rule

NOMINAL = 0.05
MARGIN = Margin(0.5, "test: half a standard deviation")
QUICK, FULL = PROFILES["quick"]["design"], PROFILES["full"]["design"]


def test_t_interval_matches_scipy():
    x = np.array([0.3, -0.1, 0.7, 0.2, 0.4, 0.05])
    mean, lo, hi = t_interval(x)
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)
    assert mean == pytest.approx(x.mean())
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([1.0])
    with pytest.raises(ValueError, match="finite"):
        t_interval([1.0, np.nan])


def test_one_sided_pvalues_are_scipys_t_tests():
    x = np.array([0.3, -0.1, 0.7, 0.2, 0.4, 0.05])
    ph, pf = E.one_sided_pvalues(x, 0.5)
    t0 = x.mean() / stats.sem(x)
    t1 = (x.mean() - 0.5) / stats.sem(x)
    assert ph == pytest.approx(stats.t.sf(t0, 5), rel=1e-12)
    assert pf == pytest.approx(stats.t.cdf(t1, 5), rel=1e-12)
    assert E.one_sided_pvalues(np.full(5, 1.0), 0.5) == (0.0, 1.0)     # no spread: decided by sign
    assert E.one_sided_pvalues(np.full(5, 0.2), 0.5) == (0.0, 0.0)


def test_holm_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(11)
    for m in (1, 2, 3, 6, 12):
        for _ in range(40):
            p = rng.uniform(0, 0.06, m) ** rng.uniform(0.5, 2)
            level = rng.choice([0.01, 0.05, 0.0056])
            assert np.array_equal(E.holm(p, level), multipletests(p, alpha=level, method="holm")[0])


def test_spending_sums_to_alpha_and_front_loads_nothing_for_obrien_fleming():
    for spending in E.SPENDING:
        d = Design((10, 20, 30), spending=spending)
        a = d.alphas()
        assert a.sum() == pytest.approx(0.05) and np.all(a > 0)
    of = Design((10, 20, 30)).alphas()
    assert of[0] < of[1] < of[2]                                      # early looks are strict
    assert Design((5,)).alphas() == pytest.approx([0.05])


def test_bad_designs_and_margins_are_refused():
    for looks, msg in (((3,), "at least 5"), ((10, 10), "increase"), ((), "non-empty")):
        with pytest.raises(ValueError, match=msg):
            Design(looks)
    with pytest.raises(ValueError, match="alpha"):
        Design((5,), alpha=0.7)
    with pytest.raises(ValueError, match="spending"):
        Design((5,), spending="haybittle")
    with pytest.raises(ValueError, match="> 0"):
        Margin(0.0, "x")
    with pytest.raises(ValueError, match="source"):
        Margin(1.0, " ")
    with pytest.raises(ValueError, match="combine"):
        decide(lambda n: [], Design((5,)), combine="any")


def test_every_empirical_claim_declares_a_margin_with_a_source():
    assert set(MARGINS) >= {"table1", "table5", "fig2a-slope", "fig2a-fl", "fig2b", "drift"}
    for name, m in MARGINS.items():
        assert m.value > 0 and len(m.source) > 20, name


# --------------------------------------------------------------- simulation
def _cells_from(X: np.ndarray, margin: Margin = MARGIN):
    """``cells_at(n)`` over a pre-drawn ``(cells, cap)`` matrix: the first ``n`` seeds."""
    return lambda n: [Cell(f"c{j}", X[j, :n], margin) for j in range(X.shape[0])]


def _rates(mus, design: Design, *, combine="every", sims=1500, seed=0, rule=decide):
    """Fractions of simulated claims decided holds / fails / open, cells with means ``mus``
    (in units of the per-seed standard deviation) and the margin ``MARGIN``."""
    rng = np.random.default_rng(seed)
    mus = np.asarray(mus, dtype=np.float64)[:, None]
    counts = {"holds": 0, "fails": 0, "open": 0}
    seeds_used = []
    for _ in range(sims):
        X = mus + rng.standard_normal((mus.shape[0], design.cap))
        dec = rule(_cells_from(X), design, combine)
        counts[dec.status] += 1
        seeds_used.append(dec.n_seeds)
    return {k: v / sims for k, v in counts.items()} | {"sims": sims, "mean_seeds": float(np.mean(seeds_used))}


def _above_nominal(rate: float, sims: int) -> bool:
    k = round(rate * sims)
    return stats.binomtest(k, sims, NOMINAL, alternative="greater").pvalue < 1e-3


def _report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n  [calibration] {text}")


@pytest.mark.parametrize("name, design", [("quick", QUICK), ("full", FULL)])
def test_single_cell_error_rates_at_the_boundaries(name, design, capsys):
    null = _rates([0.0], design)
    at_margin = _rates([MARGIN.value], design)
    _report(capsys, f"{name} {design.looks}: P(holds | effect 0) = {null['holds']:.3f}, "
                    f"P(fails | effect = margin) = {at_margin['fails']:.3f}, power at the margin "
                    f"P(holds | effect = margin = 0.5 sd) = {at_margin['holds']:.3f}, "
                    f"mean seeds {at_margin['mean_seeds']:.1f} ({null['sims']} simulated claims each)")
    assert not _above_nominal(null["holds"], null["sims"])
    assert not _above_nominal(at_margin["fails"], at_margin["sims"])
    assert at_margin["holds"] > null["holds"]           # the rule has power at all


@pytest.mark.parametrize("name, design", [("quick", QUICK), ("full", FULL)])
def test_multi_cell_error_rates(name, design, capsys):
    m = 6
    # a true claim at the margin in every cell must rarely be refuted (Holm over the cells)
    true_claim = _rates([MARGIN.value] * m, design, sims=1000)
    # one cell without effect must stop 'holds' (intersection-union), however strong the rest
    one_null = _rates([0.0] + [3.0] * (m - 1), design, sims=1000)
    _report(capsys, f"{name}, {m} cells: P(fails | all cells at the margin) = "
                    f"{true_claim['fails']:.3f}, P(holds | one cell at 0, others at 3 sd) = "
                    f"{one_null['holds']:.3f}")
    assert not _above_nominal(true_claim["fails"], true_claim["sims"])
    assert not _above_nominal(one_null["holds"], one_null["sims"])


def test_a_rule_ignoring_multiplicity_is_caught(monkeypatch, capsys):
    m = 6
    monkeypatch.setattr(E, "holm", lambda p, level: np.asarray(p) <= level)   # planted: no Holm
    planted = _rates([MARGIN.value] * m, FULL, sims=1000)
    _report(capsys, f"planted rule without Holm, {m} cells at the margin: P(fails) = "
                    f"{planted['fails']:.3f}")
    assert _above_nominal(planted["fails"], planted["sims"])


def test_a_rule_testing_every_look_at_the_nominal_level_is_caught(monkeypatch, capsys):
    looks = Design((5, 10, 15, 20, 25, 30))
    monkeypatch.setattr(Design, "alphas", lambda self: np.full(len(self.looks), self.alpha))
    planted = _rates([0.0], looks, sims=1500)
    _report(capsys, f"planted 'stop when significant at 5% at each of {len(looks.looks)} looks': "
                    f"P(holds | effect 0) = {planted['holds']:.3f}")
    assert _above_nominal(planted["holds"], planted["sims"])


def test_average_claims_pool_cells_per_seed():
    X = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [-1.0, -2.0, -3.0, -4.0, -5.0]]) + 0.1
    dec = decide(_cells_from(X, Margin(0.05, "test")), Design((5,)), combine="average")
    assert len(dec.cells) == 1 and np.allclose(dec.cells[0].diffs, 0.1)
    assert dec.status == "holds"                      # the mean is exactly 0.1 > 0 at every seed
    every = decide(_cells_from(X, Margin(0.05, "test")), Design((5,)), combine="every")
    assert every.status == "fails" and every.states == ["holds", "fails"]   # the second cell is < 0


def test_profiles_never_contradict_each_other(capsys):
    """The quick design sees the first seeds of the full one (seeds are 100 * seed + s): the
    two may differ in being decided, never in direction beyond the nominal error."""
    rng = np.random.default_rng(7)
    sims, contradictions, decided = 0, 0, {"quick": 0, "full": 0}
    for mu in (0.0, 0.25, 0.5, 1.0):
        for _ in range(400):
            X = mu + rng.standard_normal((3, FULL.cap))
            q = decide(_cells_from(X), QUICK, "every")
            f = decide(_cells_from(X), FULL, "every")
            sims += 1
            decided["quick"] += q.status != "open"
            decided["full"] += f.status != "open"
            contradictions += {q.status, f.status} == {"holds", "fails"}
    _report(capsys, f"quick {QUICK.looks} vs full {FULL.looks} on the same seeds: "
                    f"{contradictions} contradictions in {sims} simulated claims; decided: quick "
                    f"{decided['quick'] / sims:.2f}, full {decided['full'] / sims:.2f}")
    assert not _above_nominal(contradictions / sims, sims)


def test_decision_evidence_reproduces_the_decision_through_the_default_rule():
    rng = np.random.default_rng(3)
    for mus in ([3.0, 3.0], [-3.0, 3.0], [0.2, 0.3]):
        X = np.asarray(mus)[:, None] + rng.standard_normal((2, 10))
        dec = decide(_cells_from(X), Design((5, 10)), "every")
        ev = decision_evidence(dec, what="test")
        verdict = default_rule(ev)
        assert verdict.status == {"holds": "holds", "fails": "fails", "open": "inconclusive"}[dec.status]
        assert "Holm over 2 comparisons" in ev[0].summary and "Margin" in ev[0].summary
        if dec.status == "fails":
            assert verdict.counterexample["numbers"]["mean"] < MARGIN.value
        if dec.status == "open":
            assert "seeds would decide" in " ".join(e.summary for e in ev[1:])


def test_the_validity_gate_keeps_cells_where_ssl_learned_nothing_undecided():
    rng = np.random.default_rng(11)
    good = np.full(10, 3.0) + 0.1 * rng.standard_normal(10)       # clearly holds / fails
    learned = {"SSL - random": 0.05 + 0.01 * rng.standard_normal(10)}
    nothing = {"SSL - random": 0.01 * rng.standard_normal(10)}     # mean ~0: no learning shown
    m = Margin(0.5, "test")
    cell = lambda x, g: Cell("c", x, m, gate=g)
    assert decide(lambda n: [cell(good[:n], learned)], Design((5, 10))).status == "holds"
    dec = decide(lambda n: [cell(good[:n], nothing)], Design((5, 10)))
    assert dec.status == "open" and dec.states == ["invalid"] and "validity gate" in dec.stop_reason
    bad = -good
    assert decide(lambda n: [cell(bad[:n], learned)], Design((5, 10))).status == "fails"
    assert decide(lambda n: [cell(bad[:n], nothing)], Design((5, 10))).status == "open"
    # an invalid cell blocks "every ... holds" but not a failure elsewhere
    two = decide(lambda n: [cell(good[:n], nothing), cell(bad[:n], learned)], Design((5, 10)))
    assert two.status == "fails" and two.states[0] == "invalid"
    ev = decision_evidence(dec, what="test")
    assert ev[1].passed is None and "random initialisation" in ev[1].summary
    assert ev[1].numbers["valid"] is False and default_rule(ev).status == "inconclusive"
    avg = decide(lambda n: [cell(good[:n], learned), cell(good[:n], nothing)], Design((5,)), "average")
    assert avg.states == ["invalid"]                              # the pooled cell keeps both gates


def test_a_design_cut_to_its_first_looks_decides_as_the_whole_design_does_there():
    """max_looks: the quick profile takes the first look of full's design at full's level, so
    whenever it decides it reaches full's decision on the same seeds; it never contradicts."""
    whole = Design((20, 50))
    first = Design((20, 50), max_looks=1)
    assert first.cap == 20 and whole.cap == 50
    np.testing.assert_allclose(first.alphas(), whole.alphas())
    rng = np.random.default_rng(5)
    contradictions = decided = 0
    for mu in (0.0, 0.2, 0.4, 0.6, 1.0):
        for _ in range(200):
            X = mu + rng.standard_normal((2, 50))
            q, f = decide(_cells_from(X), first, "every"), decide(_cells_from(X), whole, "every")
            decided += q.status != "open"
            contradictions += {q.status, f.status} == {"holds", "fails"}
            if q.status != "open":
                assert f.status == q.status and f.look == 1
    assert contradictions == 0 and decided > 0
    assert "first 1 look" in first.describe()
    with pytest.raises(ValueError, match="max_looks"):
        Design((20, 50), max_looks=3)
