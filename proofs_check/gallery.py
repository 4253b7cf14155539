"""Paper-quality figures from the verification report (``dssl figures``).

Every figure is drawn from the evidence of the claims it needs; those claims are taken from the
report's cache (``REPORT/cache``, the folder ``dssl check`` writes) and only the ones missing or
stale are recomputed. One shared style (:data:`STYLE`): the Okabe-Ito colour-blind-safe palette,
8-pt text, labelled axes with their quantities, legends, widths of one column (3.4 in) or two
columns (7.0 in) of a two-column paper. Each figure is written as PDF and PNG, atomically.

Figures (file stem: content)
1. ``sensitivity-vs-d``      sensitivity against d (log-log) for MIM and CL, DecL and FL, with
                             fitted slopes and the paper's predicted slopes -4/5 and -3/5
2. ``bounds-vs-actual``      the widths of the paper's bounds (Thms 4.2, 4.3) against the
                             actual sensitivities, DecL and FL
3. ``connectivity``          DecL sensitivity against |A_bar| on general and uniform graphs, with
                             the paper's 1/(1 - 1/|A_bar|) shape and the harmonic-mean alternative
4. ``spectral-gap``          t-round DecL deviation against gossip rounds and spectral gap, with
                             the spectral-gap bound
5. ``tightness``             observed / bound for every bound across the configurations tried
6. ``gap-vs-alpha``          exact robustness gaps against Dirichlet alpha (Gaussian mixtures)
7. ``neural``                IID -> non-IID accuracy drops (Table 1 analogue), accuracy against
                             |A_bar| (Fig. 2a analogue), MAR - MAE against alpha (Fig. 2b analogue)
8. ``fmmc``                  spectral gaps of fastest-mixing and Metropolis weights by graph family
9. ``gmm-gossip``            distance of the clients' representations to the stationary one
                             against gossip rounds t, per graph, with the spectral-gap bound, for
                             CL, the MIM surrogate, spectral contrastive and MIM reconstruction
                             on one Dirichlet mixture
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .engine.figures import PALETTE, _save  # noqa: E402
from .engine.registry import REGISTRY, CheckContext, ClaimResult  # noqa: E402

ONE_COLUMN, TWO_COLUMNS = 3.4, 7.0
STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 6.5,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
    "lines.markersize": 3.5, "lines.linewidth": 1.2, "savefig.dpi": 200, "pdf.fonttype": 42,
}
MIM_OBJECTIVES = ("mim-eq17", "mim-surrogate", "mim-reconstruction")
CL_OBJECTIVES = ("cl-similar", "cl-dissimilar")
FLOOR = 1e-15       # values at or below it are drawn at the floor and labelled round-off
MARKERS = {"mim-eq17": "s", "mim-surrogate": "D", "mim-reconstruction": "o", "cl-similar": "^",
           "cl-dissimilar": "v", "spectral": "P"}


def _colour(name: str) -> str:
    order = [*MIM_OBJECTIVES, *CL_OBJECTIVES, "spectral"]
    return PALETTE[order.index(name) % len(PALETTE)] if name in order else PALETTE[-1]


def _fit_label(d, s) -> str:
    from .engine.rates import fit_rate

    try:
        return f"slope {fit_rate(np.asarray(d, float), np.asarray(s, float), tail=0.5).exponent:+.2f}"
    except ValueError:
        return "slope n/a (0)"


# ------------------------------------------------------------------ figures
def _thm44_series(res, framework: str, route: str) -> dict:
    """``{objective: (d, s)}`` of the Thm 4.4 evidence for ``framework`` and ``route``
    (``"population"`` or ``"finite"``), plus the paper's bound widths under ``"bound"``."""
    out = {}
    for e in res["paper.thm4.4.mim-more-robust"].evidence:
        if e.params.get("framework") != framework or not e.series:
            continue
        is_bound = e.params.get("case") == "condition"
        if route == "bound" and not is_bound:
            continue
        if route != "bound" and (is_bound or not e.summary.startswith(route)):
            continue
        for label, y in e.series["y"].items():
            out.setdefault(label.removeprefix("s "), (np.asarray(e.series["x"], float), np.asarray(y, float)))
    return out


def _below_legend(fig, axes, ncol: int = 4) -> None:
    handles = {}
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, fontsize=6)


def fig_sensitivity_vs_d(res: dict[str, ClaimResult]):
    fig, axes = plt.subplots(2, 2, figsize=(TWO_COLUMNS, 4.6))
    routes = (("population", "population (exact E X)"), ("finite", "finite samples, |D_i| = d"))
    for r, (route, rname) in enumerate(routes):
        for col, (fw, fname) in enumerate((("decl_global", "DecL (Eq. 1)"), ("fl", "FL"))):
            ax = axes[r, col]
            d0, slopes = None, []
            for obj, (d, s) in _thm44_series(res, fw, route).items():
                zero = bool(np.all(np.abs(s) <= FLOOR))
                slopes.append(f"{obj}: {'0 to round-off' if zero else _fit_label(d, s)}")
                ax.loglog(d, np.maximum(s, FLOOR), marker=MARKERS.get(obj, "o"), color=_colour(obj),
                          label=obj, ms=3)
                d0 = d
            ax.text(0.02, 0.03, "fitted (upper half of d):\n" + "\n".join(slopes), transform=ax.transAxes,
                    fontsize=5, va="bottom", ha="left", color="0.2")
            if d0 is not None:
                for g, name, ls in ((-4 / 5, "paper: MIM slope -4/5", "--"), (-3 / 5, "paper: CL slope -3/5", ":")):
                    ax.loglog(d0, 0.5 * (d0 / d0[0]) ** g, ls, color="0.4", lw=0.9, label=name)
            ax.set_title(f"{fname}, {rname}")
            ax.set_ylabel("sensitivity s")
            if r == 1:
                ax.set_xlabel("dimension d")
    _below_legend(fig, axes)
    fig.subplots_adjust(bottom=0.16, left=0.08, right=0.98, top=0.94, hspace=0.4, wspace=0.25)
    fig._dssl_layout_done = True
    return fig


def fig_bounds_vs_actual(res):
    fig, axes = plt.subplots(1, 2, figsize=(TWO_COLUMNS, 2.9), sharey=True)
    for ax, fw, title in zip(axes, ("decl_global", "fl"), ("DecL (Eq. 1)", "FL")):
        for name, (d, s) in _thm44_series(res, fw, "bound").items():
            ax.loglog(d, s, "--", color="0.15" if "MIM" in name else "0.55",
                      label=f"paper's width, {name.replace(' bound', '')}")
        for route, fill in (("finite", "full"), ("population", "none")):
            for name, (d, s) in _thm44_series(res, fw, route).items():
                if name not in ("mim-eq17", "mim-reconstruction", "cl-similar", "cl-dissimilar"):
                    continue
                ax.loglog(d, np.maximum(s, FLOOR), marker=MARKERS[name], color=_colour(name), fillstyle=fill,
                          lw=0.8 if fill == "none" else 1.2,
                          label=f"actual s, {name} ({'|D_i| = d' if route == 'finite' else 'population'})")
        ax.set(title=title, xlabel="dimension d")
    axes[0].set_ylabel(f"sensitivity / bound width (floor {FLOOR:g})")
    _below_legend(fig, axes, ncol=3)
    fig.subplots_adjust(bottom=0.36, wspace=0.1)
    fig._dssl_layout_done = True
    return fig


def fig_connectivity(res):
    ev = [e for e in res["paper.cor4.5.connectivity"].evidence if "kind" in e.params]
    fig, axes = plt.subplots(1, 2, figsize=(TWO_COLUMNS, 2.6), sharey=True)
    for ax, kind in zip(axes, ("general", "uniform")):
        curves = [e for e in ev if e.params["kind"] == kind]
        for e in curves:
            a = np.asarray(e.numbers["abar"])
            s = np.asarray(e.numbers["mean_sensitivity"])
            if s[-1] > 0:
                ax.plot(a, s / s[-1], marker=MARKERS.get(e.params["objective"], "o"),
                        color=_colour(e.params["objective"]), label=e.params["objective"])
        if curves:
            a = np.asarray(curves[0].numbers["abar"])
            for key, ls, name in (("paper_factor", "--", "paper: 1/(1 - 1/|A_bar|)"),
                                  ("harmonic_factor", ":", "harmonic: 1/(1 - mean 1/|A_i|)")):
                f = np.asarray(curves[0].numbers[key])
                ax.plot(a, f / f[-1], ls, color="0.3", label=name)
        ax.set(title=f"{kind} graphs (N = 8)", xlabel="average connectivity |A_bar|")
        ax.legend(fontsize=5.5)
    axes[0].set_ylabel("DecL sensitivity / value at largest |A_bar|")
    return fig


def fig_spectral_gap(res):
    e = res["ext.bounds.decl-rv"].evidence[0]
    c = e.numbers["cases"]
    obs, bnd = np.asarray(e.numbers["observed"]), np.asarray(e.numbers["bound"])
    t, rho = np.asarray(c["t"]), np.asarray(c["rho"])
    graphs = np.asarray(c["graph"])
    rules = np.asarray(c["rule"])
    fig, axes = plt.subplots(1, 2, figsize=(TWO_COLUMNS, 2.6))
    ax = axes[0]
    picks = [g for g in dict.fromkeys(graphs)][:4]
    for k, g in enumerate(picks):
        m = (graphs == g) & (rules == "metropolis")
        ax.semilogy(t[m], np.maximum(obs[m], 1e-17), "o-", color=PALETTE[k], label=f"{g} (observed)")
        ax.semilogy(t[m], bnd[m], "--", color=PALETTE[k], lw=0.9, label=f"{g} (bound)")
    ax.set(xlabel="gossip rounds t", ylabel="max |r_k(i, t) - r_k(FL)|", title="Metropolis weights")
    ax.legend(fontsize=5)
    ax = axes[1]
    for k, tt in enumerate(sorted(set(t.tolist()))):
        m = t == tt
        ax.semilogy(1 - rho[m], np.maximum(obs[m], 1e-17), MARKERS["cl-similar"], color=PALETTE[k],
                    label=f"t = {tt}")
    ax.set(xlabel="spectral gap 1 - rho", ylabel="observed deviation", title="all graphs and rules")
    ax.legend()
    return fig


TIGHTNESS_CLAIMS = {"ext.bounds.consensus-contraction": "consensus",
                    "ext.bounds.davis-kahan": "Davis-Kahan", "ext.bounds.rv-perturbation": "RV",
                    "ext.bounds.decl-rv": "t-round DecL", "ext.bounds.dgd-consensus": "DGD"}


def fig_tightness(res):
    fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4))
    labels, data = [], []
    for cid, name in TIGHTNESS_CLAIMS.items():
        for e in res[cid].evidence:
            if "observed" in e.numbers:
                o, b = np.asarray(e.numbers["observed"]), np.asarray(e.numbers["bound"])
                keep = (b > 1e-12) & (o > 0)
                if keep.any():
                    labels.append(name)
                    data.append(o[keep] / b[keep])
                break
    ax.boxplot(data, tick_labels=labels, showfliers=True, flierprops={"markersize": 2})
    ax.set_yscale("log")
    ax.axhline(1.0, color="0.3", ls="--", lw=0.8)
    ax.set(ylabel="observed / bound", title="tightness of the toolkit's bounds")
    ax.tick_params(axis="x", labelrotation=20)
    return fig


def fig_gap_vs_alpha(res):
    ev = [e for e in res["ext.gmm.gap-vs-alpha"].evidence if e.series]
    fig, axes = plt.subplots(1, 2, figsize=(TWO_COLUMNS, 2.6), sharey=True)
    for ax, fw in zip(axes, ("local", "decl")):
        for e in ev:
            if e.params.get("framework") != fw:
                continue
            obj = e.params["objective"]
            a, g = np.asarray(e.series["x"], float), np.asarray(next(iter(e.series["y"].values())), float)
            if (g > 0).any():
                ax.loglog(a[g > 0], g[g > 0], marker=MARKERS.get(obj, "o"), color=_colour(obj), label=obj)
        ax.set(title=f"{'local' if fw == 'local' else 'DecL'} (exact moments)", xlabel="Dirichlet alpha")
        ax.legend()
    axes[0].set_ylabel("distance to the IID representation")
    return fig


def fig_neural(res):
    fig, axes = plt.subplots(1, 3, figsize=(TWO_COLUMNS, 2.5))
    # (a) Table 1 analogue
    ax = axes[0]
    t1 = [e for e in res["paper.table1.mim-drop-smaller"].evidence if "acc_iid" in e.numbers]
    bars, xt = [], []
    for e in t1:
        cell = f"{e.params['dataset']}/{e.params['arch']}"
        for m in e.numbers["acc_iid"]:
            drops = 100 * (np.asarray(e.numbers["acc_iid"][m]) - np.asarray(e.numbers["acc_noniid"][m]))
            key = (cell, m)
            if key in xt:
                continue
            xt.append(key)
            bars.append(drops)
    if bars:
        from .engine.empirical import t_interval

        ci = [t_interval(b) for b in bars]
        x = np.arange(len(bars))
        ax.bar(x, [c[0] for c in ci], yerr=[[c[0] - c[1] for c in ci], [c[2] - c[0] for c in ci]],
               color=[PALETTE[0] if m in ("mae", "mar") else PALETTE[1] for _, m in xt], capsize=2)
        short = {"mae": "MAE", "simsiam": "SimSiam", "spectral": "spectral", "mar": "MAR"}
        ax.set_xticks(x, [f"{c.replace('synthetic', 'GMM')} {short.get(m, m)}" for c, m in xt],
                      fontsize=5.5, rotation=60, ha="right")
        ax.axhline(0, color="0.3", lw=0.6)
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=PALETTE[0], label="MIM"), Patch(color=PALETTE[1], label="CL")])
    ax.set(ylabel="accuracy drop IID -> non-IID (pp)", title="Table 1 analogue (FedAvg)")
    # (b) Fig. 2a analogue
    ax = axes[1]
    e = next((e for e in res["paper.fig2a.connectivity-accuracy"].evidence
              if "accuracy_seeds" in e.numbers), None)
    if e is not None:
        from .engine.empirical import t_interval

        a = np.asarray(e.numbers["connectivity_realised"])
        ci = [t_interval(100 * np.asarray(v)) for v in e.numbers["accuracy_seeds"]]
        ax.errorbar(a, [c[0] for c in ci], yerr=[[c[0] - c[1] for c in ci], [c[2] - c[0] for c in ci]],
                    marker="o", color=PALETTE[0], capsize=2, label="DecL (D-PSGD)")
        fl = t_interval(100 * np.asarray(e.numbers["fl"]))
        ax.axhspan(fl[1], fl[2], color=PALETTE[1], alpha=0.2, lw=0)
        ax.axhline(fl[0], color=PALETTE[1], label="FL (FedAvg), 95% CI")
        ax.legend()
    ax.set(xlabel="average connectivity |A_bar|", ylabel="linear-probe accuracy (%)",
           title="Fig. 2a analogue (MAE)")
    # (c) Fig. 2b analogue
    ax = axes[2]
    for k, fw in enumerate(("fedavg", "dpsgd")):
        ev = [e for e in res["paper.fig2b.mar-beats-mim"].evidence if e.params.get("framework") == fw
              and "mean" in e.numbers]
        if ev:
            al = np.array([e.params["alpha"] for e in ev])
            mean = 100 * np.array([e.numbers["mean"] for e in ev])
            lo = 100 * np.array([e.numbers["low"] for e in ev])
            hi = 100 * np.array([e.numbers["high"] for e in ev])
            ax.errorbar(al * (1 + 0.06 * k), mean, yerr=[mean - lo, hi - mean], marker="o",
                        color=PALETTE[k], capsize=2, label={"fedavg": "FL", "dpsgd": "DecL"}[fw])
    if not ax.has_data():                  # a profile that leaves Fig. 2b to full
        ax.text(0.5, 0.5, "not run in this profile\n(see the full profile)", ha="center", va="center",
                transform=ax.transAxes)
        ax.set(xticks=[], yticks=[], title="Fig. 2b analogue")
        return fig
    ax.set_xscale("log")
    alphas = sorted({e.params["alpha"] for e in res["paper.fig2b.mar-beats-mim"].evidence if "alpha" in e.params})
    if alphas:
        from matplotlib.ticker import NullFormatter

        ax.set_xticks(alphas, [f"{a:g}" for a in alphas])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set(xlabel="Dirichlet alpha", ylabel="acc(MAR) - acc(MAE) (pp), with the bounds of the last look",
           title="Fig. 2b analogue")
    ax.legend()
    return fig


def fig_fmmc(res):
    ev = res["ext.topology.fmmc-fastest"].evidence
    names = [f"{e.params.get('kind', '?')} N={e.params.get('n', '?')}" for e in ev]
    fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4))
    x = np.arange(len(ev))
    for k, (key, label) in enumerate((("slem_fmmc", "fastest mixing (SDP)"),
                                      ("slem_metropolis", "Metropolis"), ("slem_max_degree", "max-degree"))):
        ax.bar(x + (k - 1) * 0.27, [1 - e.numbers[key] for e in ev], width=0.27, color=PALETTE[k], label=label)
    ax.set_xticks(x, names, rotation=60, fontsize=5.5, ha="right")
    ax.set(ylabel="spectral gap 1 - rho", title="fastest-mixing vs Metropolis weights")
    ax.legend()
    return fig


def fig_gmm_gossip(res):
    ev = [e for cid in ("ext.bounds.gmm-alignment", "ext.bounds.gmm-spectral",
                        "ext.bounds.gmm-mim-reconstruction") for e in res[cid].evidence
          if e.params.get("figure") == "gmm-gossip" and e.numbers.get("objective") != "cl-dissimilar"]
    fig, axes = plt.subplots(1, len(ev), figsize=(TWO_COLUMNS, 2.4), squeeze=False)
    titles = {"cl-similar": "CL (X = S)", "mim-surrogate": "MIM surrogate (Eq. 4)",
              "spectral": "spectral (whitened)", "mim-reconstruction": "MIM recon. (whitened)"}
    for ax, e in zip(axes[0], ev):
        for k, (g, cur) in enumerate(e.numbers["curves"].items()):
            t = np.asarray(cur["t"], dtype=float)
            obs = np.maximum(np.asarray(cur["observed"], dtype=float), FLOOR)
            bnd = np.asarray(cur["bound"], dtype=float)
            ax.plot(t, obs, marker="o", color=PALETTE[k], label=f"{g}")
            ok = np.isfinite(bnd)
            ax.plot(t[ok], np.maximum(bnd[ok], FLOOR), ls="--", color=PALETTE[k], lw=0.9)
        ax.set_yscale("log")
        ax.set(xlabel="gossip rounds t", title=titles.get(e.numbers["objective"], e.numbers["objective"]))
    axes[0][0].set_ylabel("max_i sin-theta distance (--: bound)")
    axes[0][0].legend(fontsize=6)
    return fig


def _beta_series(res, cid: str, series: str | None = None) -> list[tuple[float, np.ndarray, np.ndarray, float]]:
    """``(beta, d, values, claimed exponent)`` of the per-beta fits of a ``fix.*`` claim."""
    out = []
    for e in res[cid].evidence:
        if "beta" not in e.params or not e.series or (series and e.params.get("series") != series):
            continue
        (y,) = e.series["y"].values()
        out.append((float(e.params["beta"]), np.asarray(e.series["x"], float), np.asarray(y, float),
                    float(e.series["claimed_exponent"])))
    return sorted(out)


def fig_beta_rates(res):
    """The corrected finite-sample rates over beta (|D_i| = d^beta): data and predicted slopes."""
    from matplotlib.ticker import NullFormatter

    panels = (("fix.concentration", None, "(a) ||(S_hat - S) cross block||_2", -0.4, "paper: O(d^-2/5)"),
              ("fix.thm4.3.local", "cl-exact-views", "(b) CL local, 1 - min r", -0.6, "paper: O(d^-3/5)"),
              ("fix.thm4.2.local", "mim-surrogate", "(c) MIM local, |r - 1/(N-1)|", None, None))
    fig, axes = plt.subplots(1, 3, figsize=(TWO_COLUMNS, 2.5))
    for ax, (cid, series, title, paper, plabel) in zip(axes, panels):
        curves = _beta_series(res, cid, series)
        for k, (beta, d, v, claimed) in enumerate(curves):
            colour = PALETTE[k % len(PALETTE)]
            ax.loglog(d, np.maximum(v, FLOOR), marker="o", color=colour, label=f"beta = {beta:g}")
            ref = v[-1] if v[-1] > 0 else 1.0
            ax.loglog(d, ref * (d / d[-1]) ** claimed, ls="--", color=colour, lw=0.8)
        if paper is not None and curves:
            d = curves[0][1]
            ax.loglog(d, curves[0][2][-1] * (d / d[-1]) ** paper, ls=":", color="0.3", lw=1.0, label=plabel)
        ax.set(xlabel="dimension d", title=title)
        ax.xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_ylabel("value (--: corrected rate)")
    _below_legend(fig, axes, ncol=6)
    fig.subplots_adjust(bottom=0.3, left=0.08, right=0.99, top=0.9, wspace=0.3)
    fig._dssl_layout_done = True
    return fig


FIGURES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "sensitivity-vs-d": (fig_sensitivity_vs_d, ("paper.thm4.4.mim-more-robust",)),
    "bounds-vs-actual": (fig_bounds_vs_actual, ("paper.thm4.4.mim-more-robust",)),
    "connectivity": (fig_connectivity, ("paper.cor4.5.connectivity",)),
    "spectral-gap": (fig_spectral_gap, ("ext.bounds.decl-rv",)),
    "tightness": (fig_tightness, tuple(TIGHTNESS_CLAIMS)),
    "gap-vs-alpha": (fig_gap_vs_alpha, ("ext.gmm.gap-vs-alpha",)),
    "neural": (fig_neural, ("paper.table1.mim-drop-smaller", "paper.fig2a.connectivity-accuracy",
                            "paper.fig2b.mar-beats-mim")),
    "fmmc": (fig_fmmc, ("ext.topology.fmmc-fastest",)),
    "gmm-gossip": (fig_gmm_gossip, ("ext.bounds.gmm-alignment", "ext.bounds.gmm-spectral",
                                    "ext.bounds.gmm-mim-reconstruction")),
    "beta-rates": (fig_beta_rates, ("fix.concentration", "fix.thm4.3.local", "fix.thm4.2.local")),
}


def make_figures(out: str | Path = "figures", *, profile: str = "quick", report: str | Path | None = None,
                 seed: int = 0, jobs: int = 1, only: list[str] | None = None,
                 progress: bool = True) -> list[Path]:
    """Draw the figures ``only`` (default: all of :data:`FIGURES`) into ``out`` as PNG and PDF.

    The claims they need come from ``report`` (default ``reports/latest`` for the quick profile,
    ``reports/<profile>`` otherwise): cached results are reused, missing ones computed and cached.
    Returns the PNG paths.
    """
    from .engine.report import run_claims

    names = list(FIGURES) if not only else list(only)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; known: {list(FIGURES)}")
    report = Path(report) if report else Path("reports") / ("latest" if profile == "quick" else profile)
    needed = list(dict.fromkeys(cid for n in names for cid in FIGURES[n][1]))
    claims = [REGISTRY.get(cid) for cid in needed]
    results = run_claims(claims, CheckContext(profile=profile, seed=seed), report, progress=progress, jobs=jobs)
    by_id = {r.id: r for r in results}
    out = Path(out)
    written = []
    for name in names:
        fn = FIGURES[name][0]
        with plt.rc_context(STYLE):
            fig = fn(by_id)
            if not getattr(fig, "_dssl_layout_done", False):
                fig.tight_layout()
            _save(fig, out / f"{name}.png")
            _save(fig, out / f"{name}.pdf")
            plt.close(fig)
        written.append(out / f"{name}.png")
    return written
