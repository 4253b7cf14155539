"""Closed forms, data models and network topology (pure numpy/scipy; no plotting, no I/O).

Modules
-------
structured   scaled identity plus a leading block: moments that never materialise ``d x d``
paper_model  the paper's label-skew data model (THEORY.md 1.2), exact moments and sampling
mixtures     Gaussian mixtures: exact moments of any mixture weights, labelled sampling
splits       client splits (IID, Dirichlet both conventions, balanced) and heterogeneity
topology     graphs, neighbourhoods, mixing matrices (incl. fastest mixing), spectra
"""
