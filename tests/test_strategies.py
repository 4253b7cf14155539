"""The strategies build valid objects, and the README's worked example runs."""

import numpy as np
from hypothesis import given, settings

from proofs_check.engine import strategies as S
from theory import topology


@settings(max_examples=20)
@given(S.conditioned_spd_matrices(5, max_condition=100.0))
def test_conditioned_spd(M):
    lam = np.linalg.eigvalsh(M)
    assert lam.min() > 0 and lam.max() / lam.min() <= 100.0 * (1 + 1e-8)


@settings(max_examples=20)
@given(S.mixing_matrices())
def test_mixing_matrices_are_valid(GW):
    G, W = GW
    topology.check_mixing_matrix(W, G)


@settings(max_examples=10)
@given(S.gaussian_mixtures(), S.dirichlet_splits())
def test_mixtures_and_splits(gm, split):
    assert gm.client_second_moments(np.full(gm.n_components, 1 / gm.n_components)).shape[0] == gm.dim
    np.testing.assert_allclose(split.weights.sum(axis=1), 1.0)


# --- the README's worked example: property-test a bound of your own -----------------------
@settings(max_examples=25)
@given(S.conditioned_spd_matrices(6), S.conditioned_spd_matrices(6))
def test_readme_example_rv_perturbation_bound(X, E):
    """|r_hat_k - r_k| <= ||P_hat - P||_2 for the top-2 eigenspaces of X and X + E/10."""
    from theory.objectives import family_optimum
    from theory.representations import projector_distance

    a, b = family_optimum(X, 2).subspace, family_optimum(X + E / 10, 2).subspace
    gap = np.max(np.abs(a.representability() - b.representability()))
    assert gap <= projector_distance(a, b, ord=2) + 1e-12


# --- readable failures: the falsifying example rebuilds the object ----------------------
def _example(notes: str, name: str) -> str:
    """The printed value of argument ``name`` in hypothesis's falsifying-example note."""
    line = notes.split(f"{name}=", 1)[1].split("\n", 1)[0]
    return line.split("  # ", 1)[0].strip().rstrip(",")


def _falsifying_notes(test) -> str:
    import pytest

    with pytest.raises(AssertionError) as info:
        test()
    return "\n".join(getattr(info.value, "__notes__", []))


def test_a_failing_graph_property_prints_a_graph_that_rebuilds():
    import networkx as nx

    @settings(max_examples=50, database=None)
    @given(S.connected_graphs(min_nodes=4, max_nodes=9, families=("tree", "ring", "star")))
    def every_graph_is_a_tree(G):
        assert nx.is_tree(G)          # false for rings: hypothesis must find and print one

    notes = _falsifying_notes(every_graph_is_a_tree)
    expr = _example(notes, "G")
    assert expr.startswith(("nx.Graph([", "graph_from_lists("))
    G = eval(expr, {"nx": nx, "graph_from_lists": S.graph_from_lists})
    assert nx.is_connected(G) and not nx.is_tree(G)


def test_a_failing_matrix_property_prints_a_nested_list_that_rebuilds():
    @settings(max_examples=50, database=None)
    @given(S.spd_matrices(3))
    def trace_is_small(M):
        assert np.trace(M) < 2.0

    notes = _falsifying_notes(trace_is_small)
    expr = _example(notes, "M")
    assert expr.startswith("np.array([[")
    M = eval(expr, {"np": np})
    assert M.shape == (3, 3) and np.trace(M) >= 2.0 and np.all(np.linalg.eigvalsh(M) > 0)


def test_bad_strategy_arguments_fail_at_construction():
    import pytest

    bad = [(S.connected_graphs, {"max_nodes": 2}, "max_nodes must be >= 3"),
           (S.connected_graphs, {"min_nodes": 2}, "min_nodes must be >= 3"),
           (S.connected_graphs, {"families": ("ring", "moebius")}, "unknown \\['moebius'\\]"),
           (S.connected_graphs, {"families": "ring"}, "must be a tuple"),
           (S.spd_matrices, {"d": 0}, "d must be >= 1"),
           (S.spd_matrices, {"d": 3, "eps": 0.0}, "eps must be > 0"),
           (S.conditioned_spd_matrices, {"d": 3, "max_condition": 0.5}, "max_condition"),
           (S.dirichlet_alphas, {"min_value": -1.0}, "min_value"),
           (S.dirichlet_alphas, {"min_value": 2.0, "max_value": 1.0}, "max_value"),
           (S.mixing_matrices, {"rules": ("metropolis", "lazy")}, "unknown \\['lazy'\\]"),
           (S.mixing_matrices, {"rules": ("uniform",)}, "symmetric=False"),
           (S.gaussian_mixtures, {"max_components": 1}, "max_components"),
           (S.dirichlet_splits, {"methods": ()}, "at least one"),
           (S.paper_models, {"max_clients": 1.5}, "max_clients must be an integer"),
           (S.paper_models, {"q_laws": ()}, "q_laws")]
    for fn, kwargs, message in bad:
        with pytest.raises((ValueError, TypeError), match=message):
            fn(**kwargs)


# --- parametrised strategies (issue 24): valid objects, named instances, what they cover ---
import pytest  # noqa: E402

from proofs_check.engine.search import reproducible_repr, search_space  # noqa: E402


@settings(max_examples=40)
@given(S.doubly_stochastic_matrices(2, 7))
def test_doubly_stochastic_matrices_are_symmetric_and_stochastic(W):
    np.testing.assert_allclose(W, W.T, atol=0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    assert W.min() >= -1e-15


def test_doubly_stochastic_named_instances_reach_the_eigenvalue_minus_one():
    space = search_space(S.doubly_stochastic_matrices(3, 6, lazy=False))
    values = {label: space.value((s, t)) for label, s, t in space.named}
    ring = values["ring-4 full weights"]
    assert np.linalg.eigvalsh(ring)[0] == pytest.approx(-1.0)
    assert np.linalg.eigvalsh(values["perfect matching on 4"])[0] == pytest.approx(-1.0)
    lazy = search_space(S.doubly_stochastic_matrices(3, 6, lazy=True))
    assert all(np.linalg.eigvalsh(lazy.value((s, t)))[0] >= -1e-12 for _, s, t in lazy.named)


@settings(max_examples=30)
@given(S.weighted_graphs(2, 8, decades=4))
def test_weighted_graphs_are_connected_with_weights_in_range(G):
    import networkx as nx

    assert nx.is_connected(G)
    w = np.array([x for *_, x in G.edges(data="weight")])
    assert np.all((w >= 10 ** -2.0001) & (w <= 10 ** 2.0001))
    rebuilt = eval(repr(G), {"weighted_graph": S.weighted_graph})
    assert list(rebuilt.nodes) == list(G.nodes) and repr(rebuilt) == repr(G)


def test_weighted_graph_parameters_reach_several_orders_of_magnitude():
    space = search_space(S.weighted_graphs(4, 4, families=("path",), decades=6))
    structure = space.named[0][1]
    G = space.value((structure, (-40.0, 0.0, 40.0)))
    w = sorted(x for *_, x in G.edges(data="weight"))
    assert w[0] == pytest.approx(1e-3) and w[1] == pytest.approx(1.0) and w[2] == pytest.approx(1e3)


@settings(max_examples=30)
@given(S.perturbed_spectra(3))
def test_perturbed_spectra_are_symmetric_pairs(XE):
    X, E = XE
    assert X.shape == E.shape == (3, 3)
    np.testing.assert_allclose(X, X.T, atol=1e-12)
    np.testing.assert_allclose(E, E.T, atol=1e-12)


def test_symmetric_matrices_have_the_parametrised_spectrum():
    space = search_space(S.symmetric_matrices(3))
    rng = np.random.default_rng(0)
    theta = np.concatenate([[2.0, -1.0, 0.5], rng.standard_normal(9)])
    X = space.build(3, theta)
    np.testing.assert_allclose(np.linalg.eigvalsh(X), [-1.0, 0.5, 2.0], atol=1e-12)
    psd = search_space(S.symmetric_matrices(3, psd=True))
    assert np.linalg.eigvalsh(psd.build(3, theta)).min() >= -1e-12
    pairs = search_space(S.perturbed_spectra(2))
    named = {label: pairs.value((s, t)) for label, s, t in pairs.named}
    X, E = named["diag(1, 0, ...) & diag(-0.55, 0.55, 0, ...)"]
    np.testing.assert_array_equal(X, np.diag([1.0, 0.0]))
    np.testing.assert_array_equal(E, np.diag([-0.55, 0.55]))
    assert "np.array" in reproducible_repr((X, E))


def test_new_graph_families_and_symmetric_mixing_by_default():
    import networkx as nx
    from hypothesis import find
    from hypothesis import strategies as st

    for fam in ("exponential", "barbell", "lollipop"):
        G = find(S.connected_graphs(5, 9, families=(fam,)), lambda g: True)
        assert nx.is_connected(G) and G.number_of_nodes() == 5
    G, W = find(S.mixing_matrices(), lambda gw: True)
    np.testing.assert_allclose(W, W.T)
    _, U = find(S.mixing_matrices(("uniform",), symmetric=False),
                lambda gw: not np.allclose(gw[1], gw[1].T))
    assert not np.allclose(U, U.T)
    assert search_space(st.integers()) is None
