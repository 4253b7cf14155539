"""Paired seed intervals and the empirical verdict rule."""

import numpy as np
import pytest
from scipy import stats

from proofs_check.engine.empirical import sign_evidence, t_interval


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


@pytest.mark.parametrize("diffs, direction, expected", [
    ([1.0, 1.2, 0.9, 1.1, 1.05], "positive", True),
    ([1.0, 1.2, 0.9, 1.1, 1.05], "negative", False),
    ([-1.0, -1.2, -0.9, -1.1, -1.05], "positive", False),
    ([1.0, -1.0, 0.5, -0.5, 0.1], "positive", None),
])
def test_sign_evidence_rule(diffs, direction, expected):
    ev = sign_evidence(diffs, direction=direction, what="d", params={"k": 1})
    assert ev.passed is expected and ev.kind == "empirical"
    assert ev.numbers["n_seeds"] == 5 and "95% CI" in ev.summary
    assert (ev.counterexample is not None) == (expected is False)


def test_sign_evidence_needs_five_seeds():
    ev = sign_evidence([1.0, 2.0, 3.0, 4.0], direction="positive", what="d")
    assert ev.passed is None and "at least 5" in ev.summary
    with pytest.raises(ValueError, match="direction"):
        sign_evidence([1.0] * 5, direction="up", what="d")
