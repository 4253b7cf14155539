"""Fuzz: any value for any config key gives either a valid point or a clear error, never a crash.

hypothesis draws one value per key (the wrong type, non-finite, huge, negative, empty...) for the
mixture sweep and the neural schema; validation (:func:`proofs_check.engine.grids.load_config`,
then the cross-key checks) must accept it or raise ``ConfigError``/``ValueError``/``TypeError``
with a message naming a key.
"""

import re

from hypothesis import given, settings, strategies as st

from proofs_check.engine.grids import ConfigError, expand, load_config
from proofs_check.sweep import SCHEMA, check_consistency
from simulators.neural.config import NEURAL_SCHEMA
from simulators.neural.config import check_consistency as neural_consistency

VALUES = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, -1, 0.0, 1e-300, 1e300, True, False, "", "ring", "fmmc", "mlp", "cnn",
                     "synthetic", "dpsgd", "decl", "torus", "hypercube", "paper-uniform"]),
    st.text(max_size=5), st.lists(st.integers(0, 3), max_size=2))


def _fixed(draw_pairs):
    return {"fixed": dict(draw_pairs)}


def _check(schema, consistency, pairs):
    try:
        cfg = load_config(_fixed(pairs), schema)
        for pt in expand(cfg, schema):
            consistency(pt)
    except (ConfigError, ValueError, TypeError) as exc:
        msg = str(exc)
        assert msg and "\n" not in msg
        names_a_key = any(re.search(rf"(^|[ .]){re.escape(k)}\s*[:=]", msg) for k in schema)
        assert names_a_key, msg


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(sorted(SCHEMA)), VALUES), max_size=4))
def test_mixture_sweep_configs_fail_only_with_clear_errors(pairs):
    _check(SCHEMA, check_consistency, pairs)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(sorted(NEURAL_SCHEMA)), VALUES), max_size=4))
def test_neural_configs_fail_only_with_clear_errors(pairs):
    _check(NEURAL_SCHEMA, neural_consistency, pairs)


# ------------------------------------------------------------------ public constructors
ARGS = st.one_of(
    st.integers(-5, 40), st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(),
    st.sampled_from(["", "iid", "dirichlet-class", "metropolis", "fmmc", "general", "uniform", "x"]),
    st.lists(st.floats(-2, 2), max_size=3))


def _constructors():
    import numpy as np

    from proofs_check.engine.empirical import Design, Margin
    from theory import topology
    from theory.mixtures import GaussianMixture
    from theory.paper_model import PaperModel
    from theory.splits import split_clients

    labels = np.arange(40) % 4
    return {
        "GaussianMixture.random": lambda a, b, c: GaussianMixture.random(a, b, separation=c, rng=0),
        "GaussianMixture": lambda a, b, c: GaussianMixture(a, b),
        "PaperModel": lambda a, b, c: PaperModel(a, b, tau=c),
        "split_clients": lambda a, b, c: split_clients(labels, a, b, alpha=c, rng=0),
        "paper_graph": lambda a, b, c: topology.paper_graph(a, b, c, rng=0),
        "erdos_renyi_graph": lambda a, b, c: topology.erdos_renyi_graph(a, b, rng=0),
        "ring_lattice_graph": lambda a, b, c: topology.ring_lattice_graph(a, b),
        "random_regular_graph": lambda a, b, c: topology.random_regular_graph(a, b, rng=0),
        "mixing_matrix": lambda a, b, c: topology.mixing_matrix(topology.ring_graph(5), b),
        "Margin": lambda a, b, c: Margin(a, b),
        "Design": lambda a, b, c: Design(a if isinstance(a, tuple) else (a,), b if b is not None else 0.05),
    }


CONSTRUCTORS = _constructors()


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CONSTRUCTORS)), a=ARGS, b=ARGS, c=ARGS)
def test_public_constructors_fail_only_with_clear_errors(name, a, b, c):
    """Any argument values: a result, or ValueError/TypeError with a one-line message."""
    try:
        CONSTRUCTORS[name](a, b, c)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), (name, msg)


# ------------------------------------------------------------------ the CLI, end to end
CHEAP = st.one_of(
    st.integers(-3, 40), st.sampled_from([0.0, 1e-300, 1e300, -1.0, 0.001, 0.05, 0.5, 2.0, 1e6, 1e7]),
    st.floats(allow_nan=True, allow_infinity=True, min_value=None, max_value=None).filter(
        lambda v: v != v or abs(v) == float("inf")),
    st.sampled_from(["ring", "complete", "paper-uniform", "decl", "fl", "local", "balanced", "iid",
                     "fmmc", "sampling", "spectral", "", "x"]), st.booleans())
CHEAP_KEYS = st.sampled_from(["alpha", "split", "n_clients", "n_components", "d", "c", "p", "separation",
                              "objective", "framework", "graph", "connectivity", "rule", "route",
                              "n_samples", "seed"])


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float) and v != v:
        return "nan"
    if isinstance(v, float) and abs(v) == float("inf"):
        return "inf" if v > 0 else "-inf"
    return repr(v)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(CHEAP_KEYS, CHEAP, max_size=3))
def test_dssl_sweep_either_runs_or_stops_with_one_line_before_any_work(tmp_path_factory, fixed):
    """Issue 27: configs that passed validation used to crash mid-grid with a traceback. Now
    ``dssl sweep`` either writes its results or exits 2 with one line, before any point runs."""
    import contextlib
    import io

    from proofs_check.cli import main

    tmp = tmp_path_factory.mktemp("fuzz")
    cfg = tmp / "c.toml"
    cfg.write_text('[sweep]\nname = "f"\n[fixed]\nprobe = false\n'
                   + "".join(f"{k} = {_toml(v)}\n" for k, v in fixed.items()))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["sweep", str(cfg), "--out", str(tmp / "o"), "--quiet"])
    msg = err.getvalue().strip()
    if rc == 0:
        assert (tmp / "o" / "results.csv").exists()
    else:
        assert rc == 2 and msg and "\n" not in msg, (rc, msg)
        assert not (tmp / "o" / "points").exists(), msg
