"""Corrected statements of the robustness theorems and the rates claim (``fix.thm4.2.*``,
``fix.thm4.3.*``, ``fix.thm4.4.*``, ``fix.rates.*``; docs/theory.md §6), fixed from the algebra
before any evidence.

Derivation, in the corrected model (fix.eq17, fix.eq44: the MIM surrogate's target is
``p(1-p)(S - Diag S)``, CL's is ``S``; views are averaged by the loss) with ``|D_i| = d^beta``
samples, ``d^a`` of them rare:

* **CL.** The main block ``K`` (``[N] \\ {i}`` for client i, ``[N]`` for FL and DecL) is an
  invariant subspace of the population target with eigenvalues ``Theta(tau^2) = Theta(d^{2/5})``
  above every other, so ``r_k = 1`` on ``K`` exactly. In finite samples the signal-noise cross
  term (``||.||_2 ~ d^{(1-beta)/2}``, fix.concentration) tilts that subspace by
  ``~ d^{(1-beta)/2} / d^{2/5}`` per noise direction; summed over ``d`` noise directions,
  ``1 - r_k = Theta(d * d^{-beta} / d^{4/5}) = Theta(d^{1/5 - beta})``. A diagonal dissimilar
  ``H`` scales the block by ``H_kk`` (fix.eq56), not ``tr(H)``, so the rate is the same.
* **MIM surrogate.** On ``K`` the target is ``b B`` with ``B_kl = sum_{j not in {k, l}} w_j``
  (``w`` the client weights: one client, ``1/N`` for FL, ``(1/N) 1^T W`` for DecL) and zero
  diagonal: one Perron eigenvalue ``Theta(d^{2/5})`` and the others negative (``B = J - I`` for
  one client and for FL). The optimum keeps only positive eigenvalues, so on ``K``
  ``r_k -> v_k^2`` for the Perron vector ``v`` of ``B``: ``1/(N-1)`` locally, ``1/N`` for FL.
  The block's sampling error ``tau^2 |D_i|^{-1/2}`` over its gap ``~ tau^2`` moves ``v`` by
  ``d^{-beta/2}`` (FL, DecL); for one client with N = 3 the block is 2 x 2 with zero diagonal, ``v``
  stays uniform and only the leak into the noise directions (``d^{1/5-beta}``, as for CL) moves
  ``r_k``. A pooled fit pools only betas with the same derived offset (``-beta/2``, resp. ``-beta``).
* **Rare-class coordinates** ``N..c-1`` (inside the paper's ``[c]``): their population excess
  ``rho / N = d^{a-beta}/N`` lies below the noise edge ``mu^2 (d/|D|)^{1/2} = d^{1/10-beta/2}``
  when ``a < 1/10 + beta/2``, which holds for every ``beta >= 1`` at the checks' ``a = 1/2``;
  the top eigenvectors there are then delocalised and ``r_k -> 0``. (With dissimilar views the
  noise level of coordinate k is ``H_kk mu^2``, not the bulk's ``mu^2``: a rare coordinate with
  ``H_kk > 1`` stands out of the bulk, so this part is stated for similar views only.)
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.frameworks import decl_global_weights, mim_limit_representability

from ..engine.rates import planted_rate_evidence, pooled_rate_evidence, rate_evidence
from ..engine.registry import REGISTRY, CheckContext, Evidence, quantifiers
from .robustness_checks import (FRAMEWORK_TEXT, _strict_tol, beta_profile, beta_source, decl_graph,
                                draws_profile)
from .settings import DEFAULT, PaperSetting

CL_SERIES = ("cl-exact-views", "cl-dissimilar-exact-views")
FRAMEWORK_OF = {"local": "local", "fl": "fl", "decl": "decl_global"}
DELTA_THETA = 0.1       # a Theta-rate holds when its 95% interval lies within +- this


def _main_index(setting: PaperSetting, framework: str) -> str:
    return ("k in [N] \\ {i}, every client i" if framework == "local" else "k in [N] (the main coordinates)")


def per_d(prof: dict, key: tuple, stat) -> np.ndarray:
    """``stat(r)`` per d for one series; with several draws per point (``r`` of shape
    ``(draws, rows, c)``, :func:`~.robustness_checks.draws_profile`) the mean over the draws."""
    return np.array([float(np.mean([stat(x) for x in r])) if np.ndim(r) == 3 else float(stat(r))
                     for r in prof["r"][key]])


def main_levels(prof: dict, objective: str, framework: str, beta: float, n: int) -> np.ndarray:
    """``1 - min r_k`` over the main coordinates ``K`` per d (``K = [N] \\ {i}`` per client,
    locally; ``[N]`` for a global model)."""
    off = ~np.eye(n, dtype=bool)
    return per_d(prof, (objective, framework, beta),
                 lambda r: 1 - (r[:, :n][off].min() if framework == "local" else r[0, :n].min()))


def rare_max(prof: dict, objective: str, framework: str, beta: float, n: int, c: int) -> np.ndarray:
    """``max r_k`` over the rare-class coordinates ``N..c-1`` of a global model, per d."""
    return per_d(prof, (objective, framework, beta), lambda r: r[0, n:c].max())


def perron_prediction(setting: PaperSetting, framework: str) -> np.ndarray:
    """``v_k^2`` on ``K`` for the Perron vector of ``B_kl = sum_{j not in {k, l}} w_j`` (module
    docstring): ``(N, N)`` per client for ``local`` (NaN at ``k = i``), ``(1, N)`` globally."""
    n = setting.n_clients
    if framework == "local":
        out = np.full((n, n), np.nan)
        for i in range(n):
            w = np.zeros(n)
            w[i] = 1.0
            out[i] = mim_limit_representability(w)
            out[i, i] = np.nan
        return out
    w = np.full(n, 1.0 / n) if framework == "fl" else decl_global_weights(decl_graph(setting)[1])
    return mim_limit_representability(w)[None, :]


def rate_over_beta(ctx, setting, prof, series, framework, offset, claimed, label, stat, *,
                   kind="exact", delta=DELTA_THETA, index_set=None, competitor=None, pool=True,
                   corrections=()) -> list[Evidence]:
    """A rate claimed for every beta, ``~ d^{claimed + offset(beta)}`` (or ``O(.)``): one pooled
    fit over the beta grid (counted; one intercept per beta, :func:`pooled_rate_evidence`), a
    counted piece that no single beta's own fit contradicts it, and each beta's fit as extra
    evidence. The pooled fit decides where one beta's few points cannot."""
    rel = "~" if kind == "exact" else "O"
    q = quantifiers(index_set=index_set or _main_index(setting, framework),
                    framework=FRAMEWORK_TEXT[framework],
                    regime=(f"finite samples, |D_i| = d^beta for beta in {', '.join(f'{b:g}' for b in prof['betas'])}"
                            f", d^{setting.rare_count_exponent:g} rare, drawn exactly in law"
                            + (" (noise coordinates rotated, Lanczos)" if prof.get("route") == "rotated" else "")
                            + ("; one sampled pair of views per sample" if prof.get("route") == "sampled-views"
                               else "; views integrated out by the loss" if series.startswith("cl") else "")
                            + f"; d = {prof['grid'][0]}..{prof['grid'][-1]}, "
                            + (f"mean over {prof['draws']} draws per point" if prof.get("draws") else "one draw per point")),
                    inequality=f"{label} {rel} d^({claimed:g} + offset(beta)) for every beta",
                    tolerance=(("pooled exponent's" if pool else "each beta's fitted exponent's")
                               + (f" 95% interval within {claimed:g} +- {delta:g} and containing it" if kind == "exact"
                                  else f" 95% interval below {claimed:g} + {delta:g}, not wholly above it")
                               + (f"; nearest competitor {competitor:g}" if competitor is not None else "")
                               + ("; a single beta's fit contradicting it refutes" if pool else "")))
    groups = {float(b): stat(b) for b in prof["betas"]}
    offsets = {float(b): offset(b) for b in prof["betas"]}
    if not pool:         # the betas do not share one derived scaling: each fit decides for its own beta
        return [rate_evidence(f"{series}, {framework}, |D_i| = d^{b:g}: {label}", prof["grid"], groups[float(b)],
                              claimed + offset(b), kind=kind, delta=delta, floor=1e-14, ylabel=label,
                              competitor=None if competitor is None else competitor + offset(b),
                              params={"beta": b, "series": series, "framework": framework, "quantifiers": q})
                for b in prof["betas"]]
    pooled = pooled_rate_evidence(f"{series}, {framework}: {label}", prof["grid"], groups, offsets, claimed,
                                  kind=kind, delta=delta, floor=1e-14, group_name="beta", competitor=competitor,
                                  corrections=corrections,
                                  params={"series": series, "framework": framework, "seed": ctx.seed,
                                          "quantifiers": q})
    per = []
    for b in prof["betas"]:
        ev = rate_evidence(f"{series}, {framework}, |D_i| = d^{b:g}: {label}", prof["grid"], groups[float(b)],
                           claimed + offset(b), kind=kind, delta=delta, floor=1e-14, ylabel=label,
                           params={"beta": b, "series": series, "framework": framework, "role": "extra",
                                   "quantifiers": q})
        per.append(ev)
    bad = [e for e in per if e.passed is False]
    none = Evidence("numerical", f"{series}, {framework}: no single beta's fit contradicts {rel}(d^({claimed:g} + "
                    "offset(beta)))" + (f"; contradicted at beta = {', '.join(format(e.params['beta'], 'g') for e in bad)}"
                                        if bad else f" ({len(per)} fits)"),
                    passed=not bad, params={"series": series, "framework": framework, "quantifiers": q},
                    counterexample=bad[0].counterexample if bad else None)
    return [pooled, none, *per]


# ------------------------------------------------------------ Thm 4.3 (CL)
_SAMPLED = (" With one sampled pair of views per sample (the paper's finite-sample loss) the view noise's cross "
            "term with the signal tilts the block by tau |D_i|^{-1/2} / lambda_K per direction, so 1 - r_k = "
            "O_P(d^{3/5 - beta}) (derived Theta; checked as an upper bound, and through the view term's own exponent "
            "and threshold on client 0's local model), so the paper's 1 - O(d^{-3/5}) needs beta >= 6/5")
FIX_THM43 = {
    "local": ("Local CL, views integrated out by the loss (similar views; dissimilar views with a diagonal H "
              "whose entries on [N] are positive constants): on k in [N]\\{i}, 1 - r_k = 0 in population and "
              "max_k (1 - r_k) = Theta_P(d^{1/5 - beta}) with |D_i| = d^beta samples, so the paper's "
              "1 - O(d^{-3/5}) bound holds on that index set for every beta >= 1, with H_kk in place of "
              "tr(H) (no extra factor d)." + _SAMPLED),
    "fl": ("FL CL, views integrated out by the loss (similar views; dissimilar with diagonal H as above): on "
           "the main coordinates "
           "k in [N], max_k (1 - r_k) = Theta_P(d^{1/5 - beta}) with |D_i| = d^beta, so the bound holds "
           "there for every beta >= 1; on the rare-class coordinates N..c-1 of [c], r_k -> 0 when "
           "a < 1/10 + beta/2 with similar views (every beta >= 1 at a = 1/2; tested as O(d^{-3/10}) against no decay), so "
           "no bound of the paper's form holds on all of [c]." + _SAMPLED),
    "decl": ("DecL CL, the Eq. 1 objective, views integrated out by the loss (similar views; dissimilar with "
             "diagonal H as above): on the "
             "main coordinates k in [N], max_k (1 - r_k) = Theta_P(d^{1/5 - beta}) with |D_i| = d^beta, "
             "whatever the graph; on the rare-class coordinates N..c-1, r_k -> 0 when a < 1/10 + beta/2 "
             "with similar views (every beta >= 1 at a = 1/2; tested as a negative exponent), so no bound of the "
             "paper's form holds on all of [c]." + _SAMPLED),
}


def _symbolic_cl_rate() -> Evidence:
    """``1 - r_k ~ (d / |D_i|) / lambda_K^2`` (d noise directions, each tilted by the cross term
    ``mu tau |D_i|^{-1/2}`` over the gap ``lambda_K``) as a power of d, against the paper's."""
    beta, d = sp.symbols("beta d", positive=True)
    mu, tau, lam = d ** sp.Rational(-1, 5), d ** sp.Rational(1, 5), d ** sp.Rational(2, 5)
    rate = sp.simplify(sp.expand_log(sp.log(d * (mu * tau) ** 2 * d ** (-beta) / lam**2), force=True) / sp.log(d))
    ok = sp.simplify(rate - (sp.Rational(1, 5) - beta)) == 0
    below = sp.solve(sp.Le(rate, sp.Rational(-3, 5)), beta)
    return Evidence("symbolic", f"1 - r_k ~ d (mu tau)^2 |D_i|^(-1) / lambda_K^2 with lambda_K = d^(2/5): exponent "
                    f"{sp.sstr(rate)}; it is <= -3/5 (the paper's rate) iff {sp.sstr(below)}, so at every beta >= 1",
                    passed=bool(ok and sp.simplify(rate.subs(beta, 1) + sp.Rational(3, 5)) < 0))


def _symbolic_sampled_rate() -> Evidence:
    """Sampled views: the cross term of the view noise (variance 1) with the signal (size tau) is
    ``tau |D_i|^{-1/2}`` per entry, so ``1 - r_k ~ d tau^2 |D_i|^{-1} / lambda_K^2``; the paper's rate
    ``d^{-3/5}`` is met iff beta >= 6/5."""
    beta, d = sp.symbols("beta d", positive=True)
    tau, lam = d ** sp.Rational(1, 5), d ** sp.Rational(2, 5)
    rate = sp.simplify(sp.expand_log(sp.log(d * tau**2 * d ** (-beta) / lam**2), force=True) / sp.log(d))
    thr = sp.solve(sp.Eq(rate, sp.Rational(-3, 5)), beta)
    ok = sp.simplify(rate - (sp.Rational(3, 5) - beta)) == 0 and thr == [sp.Rational(6, 5)]
    return Evidence("symbolic", f"sampled views (one pair): 1 - r_k ~ d tau^2 |D_i|^(-1) / lambda_K^2: exponent "
                    f"{sp.sstr(rate)} (the integrated views' 1/5 - beta plus 2/5, the view noise being of size 1, not "
                    f"mu); it equals the paper's -3/5 at beta = {sp.sstr(thr[0]) if thr else '?'}",
                    passed=bool(ok), params={"views": "sampled"})


def _view_term_evidence(ctx, setting: PaperSetting) -> list[Evidence]:
    """The sampled views' own term ``level(sampled) - level(integrated)`` on common samples
    (:func:`~.robustness_checks.view_term_profile`): its pooled exponent against ``3/5 - beta``
    (rival: the integrated views' ``1/5 - beta``), the threshold ``beta* = e + 3/5`` where it meets
    the paper's ``d^{-3/5}``, and the per-beta fits against ``-3/5`` with the threshold located on
    the beta grid as :func:`~proofs_check.engine.registry.threshold_rule` locates one."""
    from ..engine.registry import series_thresholds
    from .robustness_checks import view_term_groups, view_term_profile

    vt = view_term_profile(setting, ctx.profile, ctx.seed)
    grid, betas = vt["grid"], vt["betas"]
    groups = view_term_groups(vt)
    q = quantifiers(index_set="k in [N] \\ {0} (client 0's main coordinates)", framework="local (client 0)",
                    regime=(f"finite samples, |D_i| = d^beta for beta in {', '.join(f'{b:g}' for b in betas)}; "
                            f"the view term level(one sampled pair) - level(views integrated) on the same samples; "
                            f"tau = {vt['setting'].tau_scale:g} d^(1/5) (the rate is free of the constant); d = "
                            f"{grid[0]}..{grid[-1]}, mean over {vt['draws']} draws"),
                    inequality="view term ~ d^(3/5 - beta); the paper's d^(-3/5) is met iff beta >= 6/5",
                    tolerance="pooled exponent's 95% interval within 3/5 +- 0.1 and containing it (rival 1/5); "
                              "the threshold interval e + 3/5 within 6/5 +- 0.1")
    pooled = pooled_rate_evidence("view term of one sampled pair (local)", grid, groups, {b: -b for b in groups}, 0.6,
                                  kind="exact", delta=0.1, floor=1e-14, group_name="beta", competitor=0.2,
                                  params={"views": "sampled", "quantifiers": q})
    out = [pooled]
    if "ci_low" in pooled.numbers:
        lo, hi = pooled.numbers["ci_low"] + 0.6, pooled.numbers["ci_high"] + 0.6
        inside = 1.1 <= lo and hi <= 1.3
        ok = inside and lo <= 1.2 <= hi
        verdict = True if ok else False if hi < 1.1 or lo > 1.3 else None
        out.append(Evidence("numerical", f"the threshold where the view term meets the paper's d^(-3/5): beta* = e + 3/5 "
                            f"in [{lo:.3f}, {hi:.3f}] (95%), derived 6/5: "
                            + {True: "located within +- 0.1 and containing it", False: "outside 6/5 +- 0.1",
                               None: "within reach of 6/5 but not placed on it (finite-d bias; a longer grid decides)"
                               }[verdict], passed=verdict,
                            numbers={"threshold_low": lo, "threshold_high": hi}, params={"quantifiers": q}))
    per = [rate_evidence(f"view term, |D_i| = d^{b:g}, against the paper's O(d^-3/5)", grid, groups[float(b)], -0.6,
                         kind="upper", delta=0.05, floor=1e-14,
                         params={"beta": b, "series": "view term", "role": "extra", "quantifiers": q})
           for b in betas]
    loc = series_thresholds(per, "beta").get("view term", "?")
    out.append(Evidence("numerical", f"per-beta fits of the view term against the paper's d^(-3/5) on the beta grid "
                        f"{', '.join(f'{b:g}' for b in betas)} (extra): {loc}", passed=None,
                        params={"role": "extra", "quantifiers": q},
                        numbers={"fits": [e.numbers.get("exponent") for e in per]}))
    return out + per


def _fix_thm43(fw_name: str):
    framework = FRAMEWORK_OF[fw_name]

    def check(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
        prof = beta_source(setting, ctx.profile, ctx.seed, "cl-exact-views", framework)
        n, c = setting.n_clients, setting.c
        out = [_symbolic_cl_rate()]
        if framework == "decl_global":   # the rotated route is local/FL: DecL from the multi-draw profile
            prof = draws_profile(setting, ctx.profile, ctx.seed)
        for series in CL_SERIES:
            # competitor: the sampled views' exponent (below); correction: the noise bulk over the main
            # eigenvalue, mu^2 / tau^2 = d^{-4/5}, in the denominators (lambda_K - lambda_bulk)^2
            out += rate_over_beta(ctx, setting, prof, series, framework, lambda b: -b, 0.2,
                                  "1 - min r over the main coordinates",
                                  lambda b, s=series: main_levels(prof, s, framework, b, n),
                                  competitor=0.6, corrections=(0.8,))
        if framework != "local":      # the rare coordinates: similar views (H moves their noise level)
            out += rate_over_beta(ctx, setting, prof, "cl-exact-views", framework, lambda b: 0.0, -0.3,
                                  "max r over the rare-class coordinates N..c-1",
                                  lambda b: rare_max(prof, "cl-exact-views", framework, b, n, c),
                                  kind="upper", delta=0.1, competitor=0.0,
                                  index_set="k in N..c-1 (the rare-class coordinates of [c])")
        # the other view model: one sampled pair per sample (the paper's finite-sample loss)
        from .robustness_checks import sampled_views_profile
        sv = sampled_views_profile(setting, ctx.profile, ctx.seed)
        out.append(_symbolic_sampled_rate())
        out += rate_over_beta(ctx, setting, sv, "cl-sampled-views", framework, lambda b: -b, 0.6,
                              "1 - min r over the main coordinates (one sampled pair of views)",
                              lambda b: main_levels(sv, "cl-sampled-views", framework, b, n),
                              kind="upper", delta=0.1, competitor=1.0)
        groups = {float(b): main_levels(sv, "cl-sampled-views", framework, b, n) for b in sv["betas"]}
        pl = pooled_rate_evidence("planted", sv["grid"], groups, {b: -b for b in groups}, 0.2,
                                  kind="exact", delta=0.1, floor=1e-14)
        out.append(planted_rate_evidence("the integrated views' ~ d^(1/5 - beta) for one sampled pair of views "
                                         "(the other view model), pooled over beta", [pl],
                                         params={"views": "sampled"}))
        if framework == "local":
            out += _view_term_evidence(ctx, setting)
        # planted over-strong: a rate one power d^{2/5} faster (as if lambda_K ~ d^{3/5})
        for series in CL_SERIES:
            groups = {float(b): main_levels(prof, series, framework, b, n) for b in prof["betas"]}
            pl = pooled_rate_evidence("planted", prof["grid"], groups, {b: -b for b in groups}, -0.2,
                                      kind="upper", delta=0.05, floor=1e-14)
            out.append(planted_rate_evidence(f"max_k (1 - r_k) = O(d^(-1/5 - beta)), {series}, {framework}, "
                                             "pooled over beta", [pl], params={"series": series}))
        return out
    return check


for _fw in ("local", "fl", "decl"):
    REGISTRY.claim(f"fix.thm4.3.{_fw}", source=f"corrects Thm 4.3 ({_fw}; docs/theory.md §6)",
                   statement=FIX_THM43[_fw],
                   latex=r"\max_{k\in K}(1-r_k)=\Theta_P\big(d^{1/5-\beta}\big)")(_fix_thm43(_fw))


# ---------------------------------------------------------- Thm 4.2 (MIM)
FIX_THM42 = {
    "local": ("Local MIM surrogate (Eq. 4, corrected matrix of fix.eq17): on k in [N]\\{i} the target is "
              "b (J - I) with b = Theta(d^{2/5}), one positive eigenvalue, so the optimum has rank 1 there "
              "(Assumption A.5 fails) and r_k -> 1/(N-1); for N = 3 the block is 2 x 2 with zero diagonal, its "
              "Perron vector stays uniform, and only the leak out of the block moves r_k: |r_k - 1/(N-1)| = "
              "O_P(d^{1/5 - beta}) with |D_i| = d^beta. So 1 - r_k = Theta(1), not O(d^{-4/5}), for N >= 3. Eq. 17's diagonal matrix "
              "(the proofs') gives r_k = 1 there instead"),
    "fl": ("FL MIM surrogate (Eq. 4): on the main coordinates [N] the target is b (N-2)/N (J - I), so "
           "r_k -> 1/N: |r_k - 1/N| = O_P(d^{-3/10}) at every beta >= 1 (the block's sampling error tau^2 "
           "|D_i|^{-1/2} over its gap tau^2 moves the Perron vector by d^{-beta/2}, which dominates from beta = 2), and 1 - r_k = Theta(1), "
           "not O(d^{-4/5}), for N >= 3"),
    "decl": ("DecL MIM surrogate, the Eq. 1 objective: on the main coordinates [N] the target is b B with "
             "B_kl = sum_{j not in {k, l}} w_j (w = (1/N) 1^T W), so r_k -> v_k^2 for the Perron vector v of "
             "B (one positive eigenvalue for every Eq. 1 weight vector, any N: fix.thm4.6's symbolic argument): "
             "|r_k - v_k^2| = O_P(d^{-3/10}) at every beta >= 1 (d^{-beta/2} from the block's sampling error), and 1 - r_k = Theta(1), not "
             "O(d^{-4/5})"),
}


def _symbolic_mim_block(n: int = 3) -> Evidence:
    """The main block ``B`` of the MIM surrogate target (module docstring): for FL, one positive
    eigenvalue with the uniform Perron vector; for three clients with any positive weights,
    trace 0 and a positive determinant, so exactly one positive eigenvalue."""
    w = sp.symbols(f"w0:{n}", positive=True)
    B = sp.Matrix(n, n, lambda k, l: 0 if k == l else sum(w[j] for j in range(n) if j not in (k, l)))
    Bu = B.subs({wj: sp.Rational(1, n) for wj in w})
    ev = Bu.eigenvals()
    uniform = sp.Matrix([1] * n) / sp.sqrt(n)
    perron_uniform = sp.simplify(Bu * uniform - max(ev) * uniform) == sp.zeros(n, 1)
    n_pos = sum(m for v, m in ev.items() if v > 0)
    # three clients, general weights: det > 0 and trace 0 -> exactly one positive eigenvalue
    det = sp.factor(B.det())
    return Evidence("symbolic", f"N = {n}: FL block B = (N-2)/N (J - I) has eigenvalues {sp.sstr(ev)} ({n_pos} "
                    f"positive) with the uniform Perron vector: {perron_uniform} (r_k = 1/N); general weights: "
                    f"tr B = 0, det B = {sp.sstr(det)} > 0, so one eigenvalue is positive and two negative",
                    passed=bool(perron_uniform and n_pos == 1 and sp.simplify(B.trace()) == 0
                                and det.is_positive))


def _fix_thm42(fw_name: str):
    framework = FRAMEWORK_OF[fw_name]

    def check(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
        prof = draws_profile(setting, ctx.profile, ctx.seed)
        n = setting.n_clients
        pred = perron_prediction(setting, framework)
        off = ~np.eye(n, dtype=bool)

        def deviation(beta):
            """Locally the max over the main coordinates per draw, then the mean over draws; globally
            the root mean square over coordinates and draws (the same rate, max <= sqrt(N) RMS, and
            a quarter of the scatter: the three deviations share one Perron motion)."""
            if framework == "local":
                return per_d(prof, ("mim-surrogate", framework, beta),
                             lambda r: np.nanmax(np.abs(r[:, :n] - pred)[off]))
            return np.sqrt(per_d(prof, ("mim-surrogate", framework, beta),
                                 lambda r: float(np.mean((r[:, :n] - pred) ** 2))))

        from .corrections_frameworks import _graph_weight_symbolic
        out = [_symbolic_mim_block(n), _graph_weight_symbolic()]
        if framework == "local":      # a 2 x 2 zero-diagonal block: only the leak, d^{1/5 - beta}
            out += rate_over_beta(ctx, setting, prof, "mim-surrogate", framework, lambda b: -b, 0.2,
                                  "max |r_k - v_k^2| over the main coordinates", deviation, kind="upper", delta=0.1,
                                  competitor=0.5)      # -beta/2 written as 0.5 - beta at beta = 1: the block term
        else:    # the Perron vector moves with the block's sampling error, d^{-beta/2} for beta >= 2; at
            # beta = 1 other terms still compete at d <= 1000, so each beta is held to d^{-3/10} (not pooled)
            out += rate_over_beta(ctx, setting, prof, "mim-surrogate", framework, lambda b: 0.0, -0.3,
                                  "RMS of r_k - v_k^2 over the main coordinates", deviation, kind="upper", delta=0.1,
                                  competitor=0.0, pool=False)
        out[2].summary += (" (predicted v_k^2 = "
                           f"{', '.join(f'{v:.4g}' for v in np.unique(pred[~np.isnan(pred)]))})")
        # planted over-strong: the paper's 1 - r_k = O(d^{-4/5}) on the same coordinates
        out.append(planted_rate_evidence(
            "the paper's 1 - r_k = O(d^{-4/5}) on the main coordinates, one fit per beta",
            [rate_evidence("planted", prof["grid"], main_levels(prof, "mim-surrogate", framework, b, n),
                           -0.8, kind="upper", floor=1e-14) for b in prof["betas"]]))
        if framework == "local":
            bp = beta_profile(setting, ctx.profile, ctx.seed)
            levels = [main_levels(bp, "mim-eq17", "local", b, n).max() for b in bp["betas"]]
            out.append(Evidence("numerical", "Eq. 17's diagonal matrix (the proofs'): max 1 - r_k on [N]\\{i} over "
                                f"the whole beta x d grid = {max(levels):.2g} (r_k = 1)",
                                passed=max(levels) <= 1e-12, numbers={"max_gap": float(max(levels))},
                                params={"objective": "mim-eq17"}))
        return out
    return check


for _fw in ("local", "fl", "decl"):
    REGISTRY.claim(f"fix.thm4.2.{_fw}", source=f"corrects Thm 4.2 ({_fw}; docs/theory.md §6)",
                   statement=FIX_THM42[_fw],
                   latex=r"r_k\to v_k^2,\ |r_k-v_k^2|=O_P\big(d^{-3/10}\big)\ (d^{1/5-\beta}\text{ locally})")(_fix_thm42(_fw))


# ---------------------------------------------------------- Thm 4.4 (order)
FIX_THM44 = ("Under the corrected model (MIM surrogate of Eq. 4; CL with the views integrated out by the loss) with "
             "|D_i| = d^beta, for FL and for DecL (Eq. 1): on the main coordinates [N] the level "
             "1 - min_k r_k is Theta(1) for MIM (it tends to 1 - min_k v_k^2 > 0) and Theta(d^{1/5 - beta}) "
             "-> 0 for CL, so CL represents the directions that carry signal better: the order of Thm 4.4 "
             "is reversed on [N], at every beta >= 1")


@REGISTRY.claim("fix.thm4.4.mim-more-robust", source="corrects Thm 4.4 (docs/theory.md §6)",
                statement=FIX_THM44,
                latex=r"1-\min_{k\in[N]} r^M_k \to 1-\min_k v_k^2 \;>\; 1-\min_{k\in[N]} r^C_k \to 0")
def fix_thm44(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
    prof = beta_profile(setting, ctx.profile, ctx.seed)
    n = setting.n_clients
    out = []
    worst_planted = []
    for framework in ("fl", "decl_global"):
        pred = perron_prediction(setting, framework)
        limit = 1 - float(np.min(pred))
        for beta in prof["betas"]:
            lm = main_levels(prof, "mim-surrogate", framework, beta, n)[-3:]
            lc = main_levels(prof, "cl-exact-views", framework, beta, n)[-3:]
            tol = _strict_tol(lm, lc)
            diff = lm - lc
            passed = True if np.all(diff > tol) else False if np.all(diff <= tol) else None
            q = quantifiers(index_set="k in [N] (the main coordinates)", framework=FRAMEWORK_TEXT[framework],
                            regime=f"finite samples, |D_i| = d^{beta:g}, the 3 largest d of {prof['grid'][0]}.."
                                   f"{prof['grid'][-1]}",
                            inequality="level(MIM) - level(CL) > 0 (strict), level = 1 - min_{k in [N]} r_k",
                            tolerance=f"a difference must exceed {tol:.2g}")
            out.append(Evidence("numerical", f"{framework}, |D_i| = d^{beta:g}: level(MIM) - level(CL) at the 3 "
                                f"largest d = {', '.join(f'{x:.3g}' for x in diff)} (MIM level {lm[-1]:.3g}, "
                                f"predicted limit {limit:.3g}; CL level {lc[-1]:.2g})",
                                passed=passed, numbers={"difference": diff.tolist(), "mim_limit": limit},
                                params={"beta": beta, "framework": framework, "quantifiers": q}))
            worst_planted.append(float(np.min(lm - lc - limit)))
    # planted over-strong: the MIM level exceeds its predicted limit (a gap larger than computed)
    out.append(Evidence("numerical", "planted over-strong variant 'level(MIM) - level(CL) >= 1 - min v_k^2' (the "
                        f"full limit already at finite d): smallest margin {min(worst_planted):.3g} "
                        + ("< 0: refuted" if min(worst_planted) < 0 else ">= 0: not refuted"),
                        passed=min(worst_planted) < 0, numbers={"min_margin": min(worst_planted)},
                        params={"planted": "gap >= its limit at every d"}))
    return out


# ------------------------------------------------------------ the rates claim
FIX_RATES = ("Under the corrected model (MIM surrogate of Eq. 4; CL with the views integrated out by the loss) with "
             "|D_i| = d^beta (d^a rare samples, a = 1/2) the FL sensitivities "
             "over [c] do not decay: s^C -> 1 (main coordinates represented, rare ones not) and s^M -> 1/N (the "
             "MIM surrogate represents each main coordinate at level 1/N, the rare ones not), so s^C / s^M -> N, "
             "not infinity; tested as |max_[c] r - limit| and min_[c] r = O(d^{-3/10}) against no decay, at each beta")


@REGISTRY.claim("fix.rates.mim-vs-cl", source="corrects the rates claim (docs/theory.md §6)", statement=FIX_RATES,
                latex=r"s^C\to1,\ s^M\to1/N,\ s^C/s^M\to N")
def fix_rates(ctx: CheckContext, setting: PaperSetting = DEFAULT) -> list[Evidence]:
    prof = draws_profile(setting, ctx.profile, ctx.seed)
    n, c = setting.n_clients, setting.c

    def sens(objective, beta):                  # per draw, then the mean over draws
        return per_d(prof, (objective, "fl", beta), lambda r: r[0, :c].max() - r[0, :c].min())

    out = []
    # s = max r - min r over [c] -> limit - 0: each part on its own (their errors have opposite signs,
    # so |s - limit| is not monotone); not pooled over beta: the main coordinates move as d^{1/5 - beta}
    # (CL) or d^{-beta/2} (MIM), the rare ones as 1/d; each must decay at least as d^{-3/10}
    for objective, limit, name in (("cl-exact-views", 1.0, "s^C"), ("mim-surrogate", 1.0 / n, "s^M")):
        for part, fn in ((f"|max_[c] r - {limit:.4g}| (the top of {name})", lambda r, l=limit: abs(r[0, :c].max() - l)),
                         (f"min_[c] r (the bottom of {name})", lambda r: r[0, :c].min())):
            out += rate_over_beta(ctx, setting, prof, objective, "fl", lambda b: 0.0, -0.3, part,
                                  lambda b, o=objective, f=fn: per_d(prof, (o, "fl", b), f),
                                  kind="upper", delta=0.1, competitor=0.0, pool=False,
                                  index_set="k in [c] (the paper's sensitivity)")
    out.append(planted_rate_evidence(
        "the paper's s^M = O(d^{-4/5}), one fit per beta",
        [rate_evidence("planted", prof["grid"], sens("mim-surrogate", b), -0.8, kind="upper", floor=1e-14)
         for b in prof["betas"]]))
    return out
