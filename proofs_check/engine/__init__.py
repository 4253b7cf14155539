"""The machine that checks claims, whatever the claims are about.

- :mod:`.registry`: claims, evidence, verdict rules, the run of one claim;
- :mod:`.plugins`: loading claim modules (entry points, files, module names);
- :mod:`.report`: running claims with a resumable cache, the JSON and Markdown report;
- :mod:`.figures`: the per-claim figures of a report;
- :mod:`.rates`: exponent fits for ``O(.)``/``Theta(.)`` claims;
- :mod:`.empirical`: verdicts from repeated (seeded) runs;
- :mod:`.monte_carlo`, :mod:`.gradients`: sampling and derivative checks;
- :mod:`.search`, :mod:`.strategies`: the worst-case search (targeted hypothesis, refinement
  over a strategy's parameters, minimal counterexamples) and the strategies;
- :mod:`.inequalities`: :func:`~.inequalities.bound`, a bound as a claim in a few lines;
- :mod:`.grids`: validated parameter grids and a resumable per-point cache.

Nothing here knows about a particular paper; the claims live in :mod:`proofs_check.claims`
(built in) or in a user's module.
"""
