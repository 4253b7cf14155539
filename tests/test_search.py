import numpy as np
from hypothesis import strategies as st

from proofs_check.engine.search import find_counterexample
from proofs_check.engine.strategies import spd_matrices


def test_finds_and_shrinks_a_counterexample_to_the_ratio_bound():
    # Eq. 24's bound r_k >= X_kk / lambda_1 on 2x2 diagonal matrices with c = 1
    def holds(ab):
        a, b = ab
        X = np.diag([float(a), float(b)])
        lam, vecs = np.linalg.eigh(X)
        r = vecs[:, -1] ** 2
        return bool(np.all(r >= np.diag(X) / lam[-1] - 1e-12))

    cex = find_counterexample(holds, st.tuples(st.integers(1, 50), st.integers(1, 50)))
    assert cex is not None and not holds(cex)
    assert sum(cex) <= 3          # shrunk to a minimal example such as (1, 1) or (2, 1)


def test_returns_none_for_a_true_bound():
    # Weyl: the top eigenvalue of an SPD matrix is at least its largest diagonal entry
    holds = lambda X: np.linalg.eigvalsh(X)[-1] >= X.diagonal().max() - 1e-9
    assert find_counterexample(holds, spd_matrices(4), max_examples=50) is None


# --- the worst-case search (issue 24) -----------------------------------------------------
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from proofs_check.engine import strategies as S  # noqa: E402
from proofs_check.engine.search import reproducible_repr, search_space, worst_case  # noqa: E402


def _sin_theta(X, E):
    _, U = np.linalg.eigh(X)
    _, V = np.linalg.eigh(X + E)
    return float(np.linalg.norm(U[:, :-1].T @ V[:, -1:]))


def _dk_slack(const):
    """Scale-free slack of ||sin Theta||_F <= const ||E||_2 / (lambda_1 - lambda_2), c = 1."""
    def slack(X, E):
        lam = np.sort(np.linalg.eigvalsh(X))[::-1]
        gap = lam[0] - lam[1]
        if gap <= 0:
            return 1.0
        rhs = const * np.linalg.norm(E, 2) / gap
        lhs = _sin_theta(X, E)
        return (rhs - lhs + 1e-9) / (rhs + lhs + 1e-9)      # round-off (1e-9) never violates
    return slack


def test_guided_search_refutes_a_wrong_constant_that_random_draws_miss():
    """Davis-Kahan with sqrt(2) for 2 fails only near an eigenvalue crossing."""
    strategy = S.perturbed_spectra(3)
    budget = {"max_examples": 250, "refine": 4, "maxfev": 500}      # the quick profile's
    guided = worst_case(_dk_slack(np.sqrt(2)), strategy, unpack=True, **budget)
    random = worst_case(_dk_slack(np.sqrt(2)), strategy, unpack=True, mode="random", **budget)
    assert guided.violated and not random.violated
    X, E = guided.value
    assert _dk_slack(np.sqrt(2))(X, E) == pytest.approx(guided.slack) and guided.slack < 0
    # the minimal counterexample rebuilds from its printed form and still violates
    Xm, Em = eval(reproducible_repr(guided.minimal), {"np": np})
    assert _dk_slack(np.sqrt(2))(Xm, Em) < 0
    assert guided.minimal_origin and guided.evaluations["refined"] > 0
    # the true constant holds, and the search says how close it came (ratio near 1)
    true = worst_case(_dk_slack(2.0), strategy, unpack=True, **budget)
    assert not true.violated and 0 <= true.slack < 0.01


def test_worst_case_is_deterministic_and_seeded():
    slack = _dk_slack(2.0)
    a = worst_case(slack, S.perturbed_spectra(2), unpack=True, max_examples=40, refine=1, maxfev=50)
    b = worst_case(slack, S.perturbed_spectra(2), unpack=True, max_examples=40, refine=1, maxfev=50)
    assert a.slack == b.slack and reproducible_repr(a.value) == reproducible_repr(b.value)
    c = worst_case(slack, S.perturbed_spectra(2), unpack=True, max_examples=40, refine=0, seed=7)
    assert c.evaluations.get("refined", 0) == 0


def test_search_does_not_depend_on_the_loaded_profile_or_other_modules():
    code = ("import numpy as np, sys\n"
            "from proofs_check.engine import strategies as S\n"
            "from proofs_check.engine.search import worst_case, reproducible_repr\n"
            "if sys.argv[1] == 'noisy':\n"
            "    from hypothesis import settings\n"
            "    settings.register_profile('odd', max_examples=3, derandomize=True)\n"
            "    settings.load_profile('odd')\n"
            "    import proofs_check.claims  # every built-in module\n"
            "    np.random.seed(123); np.random.rand(5)\n"
            "r = worst_case(lambda W: 1 - np.sort(np.linalg.eigvalsh(W))[-2], "
            "S.doubly_stochastic_matrices(3, 6), max_examples=60, refine=1, maxfev=80)\n"
            "print(repr(r.slack), reproducible_repr(r.value))\n")
    out = [subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True,
                          check=True).stdout for arg in ("plain", "noisy")]
    assert out[0] == out[1] and out[0].strip()


def test_plain_strategies_get_the_targeted_search():
    # max over x in [0, 1] of x^8 - 0.9999: violated only at the very end of the interval
    from hypothesis import strategies as st

    res = worst_case(lambda x: 0.9999 - x ** 8, st.floats(0, 1), max_examples=200)
    assert res.violated and res.value > 0.99999 and res.point is None


def test_nan_slack_is_counted_not_a_violation():
    res = worst_case(lambda v: math.nan if v[0] > 0 else 1.0, S.vectors(2), max_examples=30,
                     refine=1, maxfev=20)
    assert not res.violated and res.nonfinite > 0 and res.nonfinite_value[0] > 0


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="slack must be callable"):
        worst_case(3, S.vectors(2))
    with pytest.raises(ValueError, match="mode"):
        worst_case(lambda v: 1.0, S.vectors(2), mode="smart")
    with pytest.raises(ValueError, match="tol"):
        worst_case(lambda v: 1.0, S.vectors(2), tol=-1.0)
    with pytest.raises(ValueError, match="max_examples"):
        worst_case(lambda v: 1.0, S.vectors(2), max_examples=0)
    with pytest.raises(TypeError, match="strategy"):
        worst_case(lambda v: 1.0, [1, 2])


def test_find_counterexample_tries_named_instances_first():
    # a predicate false only on the exact 4-node ring with zero diagonal: named, never drawn
    def holds(W):
        return not (W.shape == (4, 4) and np.allclose(np.diag(W), 0) and np.allclose(W.sum(0), 1))

    cex = find_counterexample(holds, S.doubly_stochastic_matrices(3, 5, kinds=("graph",), lazy=False))
    assert cex is not None and not holds(cex)
    assert search_space(S.vectors(3)) is not None and search_space(st.integers()) is None


def test_search_ignores_the_literals_of_newly_imported_modules(tmp_path, monkeypatch):
    """Hypothesis mixes the literals of every loaded non-library module into its draws: without
    the pin, importing a module full of constants changed this search's worst case (and adding
    theory/fmmc.py changed a literature claim's random-search baseline in the full test suite)."""
    import importlib

    def slack(X, E):
        shift = abs(np.linalg.eigvalsh(X + E)[-1] - np.linalg.eigvalsh(X)[-1])
        return 1.0 - shift / max(np.linalg.norm(E, 2), 1e-300)

    def run(search):
        r = search(slack, S.perturbed_spectra(3), unpack=True, max_examples=80, refine=0)
        return r.slack, reproducible_repr(r.value)

    before = run(worst_case)
    consts = ", ".join(f"{0.5 + k / 997:.12f}" for k in range(300))
    (tmp_path / "dssl_many_constants.py").write_text(f"VALUES = ({consts}, 1e-13, 3.5, -2.25, 1234567)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("dssl_many_constants")
    assert run(worst_case) == before
    assert run(worst_case.__wrapped__) != before      # the unpinned search does move
