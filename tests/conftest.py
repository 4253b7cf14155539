"""Test configuration: hypothesis profiles.

``deterministic`` (default): derandomised, no example database, no deadline, so every run
checks the same examples. ``explore``: random examples, more of them. Select with
``DSSL_HYPOTHESIS_PROFILE=explore pytest``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "deterministic", derandomize=True, database=None, deadline=None, max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", derandomize=False, deadline=None, max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("DSSL_HYPOTHESIS_PROFILE", "deterministic"))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def smoke_report(tmp_path_factory):
    """``dssl check --profile smoke`` once per session; returns the report folder."""
    from proofs_check.cli import main

    out = tmp_path_factory.mktemp("smoke-report")
    assert main(["check", "--out", str(out), "--quiet", "--profile", "smoke"]) == 0
    return out
