"""The claims this toolkit checks about its source paper, and its own ``ext.*`` theory.

Importing this package registers every built-in claim in
:data:`proofs_check.engine.registry.REGISTRY`. It is loaded the way a user's claim module is:
through the ``dssl.claims`` entry point that ``pyproject.toml`` declares
(:func:`proofs_check.engine.plugins.load_claims`). Modules, in report order:

- :mod:`.paper`: the paper's claims with their fixed IDs (declarations only);
- :mod:`.settings`: the model setting the paper checks run on (every parameter an input);
- :mod:`.dynamics_checks`: multi-round DecL, spectral-gap bounds, DGD and FedAvg drift;
- :mod:`.expectation_checks`: Eqs. 18/44/56 and concentration;
- :mod:`.gmm_checks`: Gaussian non-IID mixtures (``ext.gmm.*``);
- :mod:`.model_checks`: the data models against sampling;
- :mod:`.neural_checks`: the empirical claims from small neural runs;
- :mod:`.paper_checks`: stationary points, Eckart-Young, Eqs. 17/24/28-30/88;
- :mod:`.robustness_checks`: Thms 4.2-4.6 and Cor 4.5;
- :mod:`.symbolic`: sympy checks of each derivation step;
- :mod:`.topology_checks`: mixing matrices and spectral gaps;
- :mod:`.corrections`: corrected statements (``fix.*``) of failing paper claims;
- :mod:`.corrections_moments`: corrected moments (Eqs. 18/44/56) and concentration;
- :mod:`.corrections_theorems`: corrected Thms 4.2-4.4 (rates, limits, the MIM/CL order);
- :mod:`.corrections_frameworks`: corrected Eq. 16, Eckart-Young, Cor 4.5 and Thm 4.6.
"""

from . import paper  # noqa: F401  (first: the report lists the paper's claims first)
from . import (dynamics_checks, expectation_checks, gmm_checks, model_checks,  # noqa: F401
               neural_checks, paper_checks, robustness_checks, symbolic, topology_checks)
# last: the fix.* claims follow the claims they correct
from . import (corrections, corrections_frameworks, corrections_moments,  # noqa: F401
               corrections_theorems)
