"""Calling cvxpy's conic solvers safely from a toolkit that forks its workers.

Clarabel (0.11) parallelises its factorisations on a process-wide rayon thread pool. A process
forked after the pool started inherits the pool's state but none of its threads, so its next
Clarabel solve waits forever on a pool that no longer exists (reproduced in
``tests/test_solvers.py``: a parent solves once, its forked child hangs). One thread avoids
the pool altogether, keeps a solve's rounding independent of the machine's core count, and costs
little (8% on a 60-node fastest-mixing SDP on 2 cores, where the workers are the parallelism).
"""

from __future__ import annotations

from .validation import as_int

SOLVERS = ("CLARABEL", "SCS")


def solve_problem(prob, solver: str, *, threads: int = 1) -> None:
    """``prob.solve(solver=solver)`` with Clarabel limited to ``threads`` threads (``0``: as
    many as Clarabel chooses, which is unsafe in a process that forks after solving); SCS runs
    single-threaded anyway."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    threads = as_int("threads", threads, minimum=0)
    options = {"max_threads": threads} if solver == "CLARABEL" else {}
    prob.solve(solver=solver, **options)
