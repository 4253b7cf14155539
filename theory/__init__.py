"""Closed forms, data models, network topology and bounds (pure numpy/scipy; no plotting, no I/O).

Modules
-------
structured          scaled identity plus a leading block: moments that never materialise ``d x d``
paper_model         the paper's label-skew data model (docs/theory.md §1.2), exact moments and sampling
mixtures            Gaussian mixtures: exact moments of any mixture weights, labelled sampling
splits              client splits (IID, Dirichlet both conventions, balanced) and heterogeneity
topology            graphs, neighbourhoods, mixing matrices (incl. fastest mixing), spectra
objectives          the linear SSL loss family, alignment matrices, its exact optimum
mim                 exact linear MIM reconstruction (all / masked coordinates)
spectral_contrastive  linear spectral contrastive learning and its federated objective
frameworks          local, FL and DecL (one-step and multi-step) targets
representations     subspaces, representability, sensitivity, principal angles
robustness          RV and sensitivity of local / FL / DecL representations
mixture_robustness  robustness gaps on Gaussian mixtures split by Dirichlet
mixture_gossip      client moments and representations after t gossip rounds on mixtures; bounds
probes              exact and sample linear probes
assumptions         the paper's assumptions as measured checks
bounds              spectral-gap bounds for multi-round decentralised learning
validation          argument validation helpers
"""
