"""Search for counterexamples to a user's bound with hypothesis.

:func:`find_counterexample` asks hypothesis for a parameter value that violates ``holds`` and
lets it *shrink* the value to a minimal one, so the counterexample is as simple as the strategy
allows. Deterministic by default (``derandomize=True``): the same call finds the same example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy


def find_counterexample(holds: Callable[[Any], bool], strategy: SearchStrategy, *,
                        max_examples: int = 200, derandomize: bool = True) -> Any | None:
    """Return a minimal value drawn from ``strategy`` for which ``holds(value)`` is False, or
    ``None`` when none was found in ``max_examples`` tries (which is evidence, not proof)."""
    if not callable(holds):
        raise TypeError(f"holds must be callable, got {type(holds).__name__}")
    if not isinstance(strategy, SearchStrategy):
        raise TypeError(f"strategy must be a hypothesis strategy, got {type(strategy).__name__}")
    try:
        return find(strategy, lambda v: not holds(v),
                    settings=settings(max_examples=max_examples, derandomize=derandomize,
                                      database=None, deadline=None,
                                      suppress_health_check=list(HealthCheck)))
    except NoSuchExample:
        return None
