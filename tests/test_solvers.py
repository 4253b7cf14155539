"""Clarabel in forked processes: the hang the one-thread default avoids (theory.solvers)."""

import multiprocessing as mp

import numpy as np
import pytest

from theory import topology as T
from theory.solvers import solve_problem

# the hang needs a forked child; where the platform cannot fork, the toolkit's workers do not either
pytestmark = pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="no fork start method")


def _sdp(threads):
    """A 30 x 30 SDP: large enough for Clarabel's factorisation to use its thread pool."""
    import cvxpy as cp

    A = np.random.default_rng(0).standard_normal((30, 30))
    X = cp.Variable((30, 30), symmetric=True)
    prob = cp.Problem(cp.Minimize(cp.trace(A @ A.T @ X)), [X >> 0, cp.trace(X) == 1])
    solve_problem(prob, "CLARABEL", threads=threads)
    return prob.value


def _in_forked_child(fn, wait):
    """Run ``fn`` in a forked child; return its exit code, or None if it still runs after
    ``wait`` seconds (then it is killed)."""
    child = mp.get_context("fork").Process(target=fn)
    child.start()
    child.join(wait)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return child.exitcode


def test_clarabel_thread_pool_hangs_a_child_forked_after_it_ran():
    _sdp(0)                                  # the parent starts Clarabel's rayon pool
    assert _in_forked_child(lambda: _sdp(0), wait=5) is None, (
        "a forked child's multi-threaded Clarabel solve finished: if Clarabel became fork-safe, "
        "theory.solvers' one-thread default may be relaxed")


def test_one_thread_solves_in_a_child_forked_after_a_pooled_solve():
    value = _sdp(0)
    assert _sdp(1) == pytest.approx(value, rel=1e-6)
    assert _in_forked_child(lambda: _sdp(1), wait=60) == 0
    G = T.paper_graph(12, 4.0, rng=3)           # and the toolkit's own route, with its defaults
    assert _in_forked_child(lambda: T.fastest_mixing_matrix(G, method="sdp"), wait=60) == 0


def test_solve_problem_refuses_bad_arguments():
    with pytest.raises(ValueError, match="solver must be one of"):
        solve_problem(None, "MOSEK")
    with pytest.raises(ValueError, match="threads must be >= 0"):
        solve_problem(None, "CLARABEL", threads=-1)
    with pytest.raises(TypeError, match="threads must be an integer"):
        solve_problem(None, "SCS", threads=1.5)
    with pytest.raises(ValueError, match="solver_threads must be >= 0"):
        T.fastest_mixing_matrix(T.ring_graph(5), solver_threads=-1)
