"""Claim verification for distributed self-supervised learning.

The folders say what is machine and what is science:

- :mod:`proofs_check.engine`: the machine (registry, verdict rules, rates, empirical
  statistics, hypothesis search and strategies, report writing, parameter grids);
- :mod:`proofs_check.claims`: the claims about the source paper and the toolkit's own theory,
  registered through the ``dssl.claims`` entry point like any user's claims;
- the application on top: :mod:`proofs_check.cli` (``dssl``), :mod:`proofs_check.sweep`
  (``dssl sweep``) and :mod:`proofs_check.gallery` (``dssl figures``).

Imports flow one way: ``theory`` <- ``simulators`` <- ``proofs_check`` (engine <- claims <-
application). For a claim of your own::

    from proofs_check import REGISTRY, Evidence
"""

from .engine.inequalities import bound
from .engine.registry import REGISTRY, CheckContext, Claim, Evidence, Verdict

__all__ = ["REGISTRY", "CheckContext", "Claim", "Evidence", "Verdict", "bound"]
