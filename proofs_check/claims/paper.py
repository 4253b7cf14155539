"""The paper's claims (docs/theory.md §2) with their fixed IDs.

This module only *declares* the claims (ID, source, statement). Checks attach to them from
the modules that compute evidence; a claim with no evidence gets the verdict
``inconclusive`` from :func:`proofs_check.engine.registry.default_rule`.
"""

from __future__ import annotations

from ..engine.registry import REGISTRY, Claim, Registry

PAPER_CLAIMS: tuple[tuple[str, str, str], ...] = (
    ("paper.eq16.stationary", "Eq. 16, Assumption A.5",
     "For L = -E[a^T W^T W b] + 1/2 ||W^T W||_F^2, every stationary point with rank W = c "
     "satisfies W^T W = 1/2 E[b a^T + a b^T] =: X"),
    ("paper.eckart-young", "Proof of Thm 4.2",
     "The loss equals 1/2 ||X - W^T W||_F^2 up to a constant, so the row space of a minimiser "
     "is the top-c eigenspace of X"),
    ("paper.eq17.mim-matrix", "Eq. 17",
     "For MIM (Eq. 4), X_i^M = (2p(1-p)/|D_i|) sum_j diag(x_ij) diag(x_ij)^T"),
    ("paper.eq18.mim-expectation", "Eq. 18",
     "E X_i^M is diagonal with entries 2p(1-p) d^{2/5} + O(d^{-2/5}) at k in [N]\\{i}, "
     "2p(1-p) + O(d^{-2/5}) at k = i, O(d^{-2/5}) elsewhere"),
    ("paper.eq44.cl-expectation", "Eq. 44",
     "For CL with similar augmentations, E X_i^C is diagonal with entries d^{2/5} + O(d^{-1/5}) "
     "at k in [N]\\{i}, 1 + O(d^{-1/5}) at k = i, O(d^{-1/5}) elsewhere"),
    ("paper.eq56.cl-dissimilar", "Eq. 56, Assumption A.9",
     "With dissimilar augmentation H, the leading terms of Eq. 44 are multiplied by tr(H)"),
    ("paper.concentration", "Lemma (concentration)",
     "||X_i - E X_i||_2 <= O(d^{-2/5}) with probability >= 1 - 1/2 exp(-d^{1/10}) when "
     "|D_i| = Theta(d^beta)"),
    ("paper.eq24.ratio-bound", "Eq. 24",
     "With v_j the eigenvectors of X and lambda_1 its top eigenvalue, r_k >= e_k^T X e_k / lambda_1"),
    ("paper.eq28-30.degree-averaging", "Eqs. 28-30",
     "The DecL leading diagonal 2p(1-p)((1 - 1/|A_i|) d^{2/5} + 1/|A_i|) averages over i to "
     "2p(1-p)(1 - 1/|A_bar|) d^{2/5}, using (1/N) sum_i 1/|A_i| = 1/|A_bar|"),
    ("paper.thm4.2.local", "Thm 4.2 (local)",
     "Local MIM: 1 - O(d^{-2/5}) / (2p(1-p) d^{2/5} + O(d^{-2/5})) <= r^M_{i,k} <= 1"),
    ("paper.thm4.2.decl", "Thm 4.2 (DecL)",
     "DecL MIM: 1 - O(d^{-2/5}) / (2p(1-p)(1 - 1/|A_bar|) d^{2/5} + O(d^{-2/5})) <= r^M_Dec <= 1"),
    ("paper.thm4.2.fl", "Thm 4.2 (FL)",
     "FL MIM: 1 - O(d^{-2/5}) / (2p(1-p) d^{2/5} - Theta(d^{7/20}) + O(d^{-2/5})) <= r^M_Fed <= 1"),
    ("paper.thm4.3.local", "Thm 4.3 (local)",
     "Local CL: similar 1 - O(d^{-1/5}) / (d^{2/5} + O(d^{-1/5})); dissimilar the same with "
     "tr(H) d^{2/5} in the denominator"),
    ("paper.thm4.3.decl", "Thm 4.3 (DecL)",
     "DecL CL: as local with (1 - 1/|A_bar|) d^{2/5} in the denominator (times tr(H) for "
     "dissimilar)"),
    ("paper.thm4.3.fl", "Thm 4.3 (FL)",
     "FL CL: as local with d^{2/5} - Theta(d^{7/20}) in the denominator (times tr(H) for "
     "dissimilar)"),
    ("paper.rates.mim-vs-cl", "Thms 4.2-4.3",
     "Sensitivity widths scale as s^M ~ d^{-4/5} (MIM) and s^C ~ d^{-3/5} (CL), so s^C/s^M -> inf"),
    ("paper.thm4.4.mim-more-robust", "Thm 4.4",
     "For DecL and for FL, s^C > s^M as d -> infinity"),
    ("paper.cor4.5.connectivity", "Cor 4.5",
     "In DecL, robustness increases (sensitivity decreases) with average connectivity |A_bar|"),
    ("paper.thm4.6.fl-vs-decl", "Thm 4.6",
     "For MIM and for CL, s_Dec >= s_Fed as d -> infinity, strictly when not all |A_i| = N"),
    ("paper.eq80.sign-step", "Eq. 80",
     "The step of Thm 4.6: -2p(1-p) d^{2/5} / |A_bar| + Theta(d^{7/20}) < 0"),
    ("paper.eq88.full-connectivity", "Eqs. 88-89",
     "When |A_i| = N for all i, the DecL objective equals the FL objective"),
    ("paper.table1.mim-drop-smaller", "Table 1",
     "Empirical: from IID to non-IID data, the downstream accuracy drop of MIM pre-training is "
     "smaller than that of CL, same backbone"),
    ("paper.table5.weight-distance", "Table 5",
     "Empirical: local-to-global and local-to-local weight distances are smaller for MIM than "
     "for CL"),
    ("paper.fig2a.connectivity-accuracy", "Fig. 2a",
     "Empirical: DecL accuracy rises with |A_bar| and FL is never below DecL"),
    ("paper.fig2b.mar-beats-mim", "Fig. 2b",
     "Empirical: MAR beats plain MIM at every Dirichlet alpha in FL and DecL"),
)


def declare_paper_claims(registry: Registry = REGISTRY) -> None:
    """Add every paper claim that is not yet in ``registry`` (idempotent)."""
    for claim_id, source, statement in PAPER_CLAIMS:
        if claim_id not in registry:
            registry.add(Claim(claim_id, source, statement))


declare_paper_claims()
