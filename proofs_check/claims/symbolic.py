"""Symbolic checks (sympy) of each derivation step of the paper, and of our own identities.

Every check works on small *structured* symbolic objects (explicit small ``W``, symmetric ``3x3``
``X``, diagonal matrices, ``N = 2..4`` clients) so it runs in well under a second, and returns
:class:`~proofs_check.engine.registry.Evidence` of kind ``"symbolic"``. A failed check carries the
smallest exact counterexample it finds (integers/rationals). Checks take the formula under test as
an argument (defaulting to the paper's), so a planted algebra error can be shown to be caught.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import sympy as sp

from theory.paper_model import PaperModel

from . import model_checks, paper  # noqa: F401  (declare the claims checked here)
from ..engine.registry import REGISTRY, Evidence, conditional_rule, quantifiers
from .settings import DEFAULT, PaperSetting

HALF = sp.Rational(1, 2)
d_sym = sp.symbols("d", positive=True)


def _ev(summary: str, passed: bool | None, *, numbers: dict | None = None,
        params: dict | None = None, counterexample: dict | None = None) -> Evidence:
    return Evidence("symbolic", summary, passed=passed, numbers=numbers or {}, params=params or {},
                    counterexample=counterexample)


def frob2(M: sp.Matrix) -> sp.Expr:
    return sum(e**2 for e in M)


def sym_matrix(prefix: str, n: int) -> sp.Matrix:
    """A symmetric ``n x n`` matrix of fresh symbols."""
    s = sp.symbols(f"{prefix}0:{n * (n + 1) // 2}")
    M = sp.zeros(n, n)
    it = iter(s)
    for i in range(n):
        for j in range(i, n):
            M[i, j] = M[j, i] = next(it)
    return M


def family_loss(W: sp.Matrix, X: sp.Matrix) -> sp.Expr:
    """``L(W) = -tr(W X W^T) + 1/2 ||W^T W||_F^2`` (Eq. 2/4 with ``X = 1/2 E[b a^T + a b^T]``)."""
    return -(W * X * W.T).trace() + HALF * frob2(W.T * W)


def _is_zero(expr) -> bool:
    if isinstance(expr, sp.MatrixBase):
        return all(sp.expand(e) == 0 for e in expr)
    return sp.expand(expr) == 0


# ------------------------------------------------------------------ Eq. 16
def check_gradient(grad_formula: Callable = lambda W, X: 2 * W * (W.T * W - X)) -> Evidence:
    """The gradient of the loss family, by ``sympy.diff`` entry by entry, against a formula."""
    W = sp.Matrix(2, 3, sp.symbols("w0:6"))
    X = sym_matrix("x", 3)
    L = family_loss(W, X)
    G = sp.Matrix(2, 3, lambda i, j: sp.diff(L, W[i, j]))
    ok = _is_zero(G - grad_formula(W, X))
    return _ev("d/dW [-tr(W X W^T) + 1/2||W^T W||^2] = 2 W (W^T W - X) for symbolic W (2x3), "
               f"symmetric X (3x3): {'identity holds' if ok else 'the formula differs from diff()'}",
               ok, params={"W": "2x3", "X": "symmetric 3x3", "case": "condition"})


def check_stationary() -> list[Evidence]:
    """Smallest exact rank-c stationary point with ``W^T W != X``, and a case where it is equal."""
    out = [check_gradient()]
    grad = lambda W, X: 2 * W * (W.T * W - X)
    found = None
    for x1, x2 in itertools.product(range(1, 5), repeat=2):     # X = diag(x1, x2), c = 1
        root = sp.sqrt(x1)
        if not root.is_rational:
            continue
        X, W = sp.diag(x1, x2), sp.Matrix([[root, 0]])
        if _is_zero(grad(W, X)) and W.rank() == 1 and not _is_zero(W.T * W - X):
            found = (X, W)
            break
    if found:
        X, W = found
        P = W.T * W
        chars = _is_zero(P * P - P * X) and _is_zero(P * X - X * P)
        out.append(_ev(
            f"exact counterexample: X = {X.tolist()}, c = 1, W = {W.tolist()}: gradient "
            f"2W(W^T W - X) = 0, rank W = 1 = c, but W^T W = {P.tolist()} != X. What a rank-c "
            f"stationary point does satisfy: W(W^T W - X) = 0, hence P^2 = P X = X P "
            f"(P = W^T W; {'verified here' if chars else 'NOT verified'}): P is X restricted to an "
            "X-invariant row space, equal to X only when rank X <= c", False,
            counterexample={"X": X.tolist(), "W": W.tolist(), "WtW": P.tolist(), "c": 1}))
    v = sp.Matrix([[1, 2]])
    X = v.T * v                                                   # PSD, rank 1 = c
    ok = _is_zero(grad(v, X)) and _is_zero(v.T * v - X)
    out.append(_ev(f"X = v v^T (rank 1 = c), W = v: stationary and W^T W = X: {ok}", ok,
                   params={"case": "condition", "X": X.tolist()}))
    return out


# ---------------------------------------------------------- Eckart-Young
def check_loss_identity(rhs: Callable = lambda W, X: HALF * frob2(X - W.T * W) - HALF * frob2(X)
                        ) -> Evidence:
    W = sp.Matrix(2, 3, sp.symbols("w0:6"))
    X = sym_matrix("x", 3)
    ok = _is_zero(family_loss(W, X) - rhs(W, X))
    return _ev("L(W) = 1/2||X - W^T W||_F^2 - 1/2||X||_F^2 for symbolic W (2x3), symmetric X "
               f"(3x3): {'identity holds' if ok else 'identity fails'}", ok,
               params={"case": "condition"})


def check_eckart_young() -> list[Evidence]:
    out = [check_loss_identity()]
    # X = diag(1, -1), c = 2: every minimiser has rank 1
    a, b, c, e = sp.symbols("a b c e", real=True)
    W = sp.Matrix([[a, b], [c, e]])
    P = W.T * W
    X = sp.diag(1, -1)
    Pstar = sp.diag(1, 0)
    F = HALF * frob2(X - P) - HALF * frob2(X - Pstar)             # L(W) - L(W*)
    sos = HALF * ((1 - P[0, 0]) ** 2 + 2 * P[0, 1] ** 2 + P[1, 1] * (2 + P[1, 1]))
    ok = _is_zero(F - sos)
    out.append(_ev(
        "exact counterexample X = diag(1, -1), c = 2: L(W) - L(W*) = 1/2[(1 - P11)^2 + 2 P12^2 + "
        f"P22 (2 + P22)] with P = W^T W, P22 = ||W e_2||^2 >= 0 ({'identity verified' if ok else 'identity FAILED'}); "
        "so every minimiser has P22 = 0, i.e. rank 1 < c: its row space span(e_1) is not the "
        "2-dimensional top-c eigenspace. The step needs lambda_c(X) > 0 (Assumption A.5)", False,
        counterexample={"X": [[1, 0], [0, -1]], "c": 2, "minimiser_gram": [[1, 0], [0, 0]]}))
    return out


# ------------------------------------------------------------------ Eq. 17
def mask_expectation(x: list, p) -> sp.Matrix:
    """``E_m[1/2 (b a^T + a b^T)]``, ``a = x * m``, ``b = x * (1 - m)``, by enumerating all masks."""
    n = len(x)
    E = sp.zeros(n, n)
    for m in itertools.product([0, 1], repeat=n):
        prob = sp.Mul(*[(1 - p) if mi else p for mi in m])      # m_j = 0 (masked) w.p. p
        a = sp.Matrix([x[k] * m[k] for k in range(n)])
        b = sp.Matrix([x[k] * (1 - m[k]) for k in range(n)])
        E += prob * (b * a.T + a * b.T) / 2
    return E.applyfunc(sp.factor)


def eq17_single(x: list, p) -> sp.Matrix:
    """The paper's Eq. 17 for one sample: ``2p(1-p) diag(x) diag(x)^T``."""
    return 2 * p * (1 - p) * sp.diag(*x) * sp.diag(*x).T


def check_eq17(formula: Callable = eq17_single) -> list[Evidence]:
    p = sp.symbols("p", positive=True)
    x = list(sp.symbols("y0:3"))
    E = mask_expectation(x, p)
    derived = p * (1 - p) * (sp.Matrix(x) * sp.Matrix(x).T - sp.diag(*[xi**2 for xi in x]))
    derived_ok = _is_zero(E - derived)
    ok = _is_zero(E - formula(x, p))
    out = [_ev(f"exact enumeration of all 2^3 masks, symbolic p and x: E = p(1-p)(x x^T - Diag(x x^T)) "
               f"({'verified' if derived_ok else 'NOT verified'}); Eq. 17 "
               f"{'matches' if ok else 'does not match'}", ok if ok else False,
               numbers={"enumeration": str(E.tolist())})]
    if not ok:
        for n, vals, pv in ((2, [1, 1], HALF), (3, [1, 1, 1], HALF)):
            xs = list(sp.Integer(v) for v in vals)
            A, B = mask_expectation(xs, pv), formula(xs, pv)
            if A != B:
                out[0].counterexample = {"d": n, "x": vals, "p": "1/2", "definition": str(A.tolist()),
                                         "eq17": str(B.tolist())}
                out[0].summary += (f"; smallest exact counterexample d = {n}, x = {vals}, p = 1/2: "
                                   f"definition {A.tolist()} vs Eq. 17 {B.tolist()}")
                break
    return out


# ------------------------------------------------- data-model moments
def symbolic_second_moment(n: int, i: int, h: int, tau, mu, r, q_values, q_prob) -> sp.Matrix:
    """Exact ``E[x x^T]`` on the first ``2N`` coordinates of client ``i`` by enumerating the signs
    and every ``q`` vector; the noise contributes ``mu^2 I`` (``xi`` independent, mean 0, cov I)."""
    m = 2 * n
    others = [k for k in range(n) if k != i]
    E = sp.zeros(m, m)
    for qs in itertools.product([0, 1], repeat=len(others)):
        prob_q = sp.Mul(*[q_prob if t else 1 - q_prob for t in qs])
        for s in (1, -1):
            v = sp.zeros(m, 1)
            v[i] = s
            for k, t in zip(others, qs):
                v[k] = -tau * q_values[t]
            E += (1 - r) / 2 * prob_q * v * v.T
    e = sp.zeros(m, 1)
    e[h] = 1
    return (E + r * e * e.T + mu**2 * sp.eye(m)).applyfunc(sp.expand)


def closed_form_second_moment(n, i, h, tau, mu, r, m1, m2) -> sp.Matrix:
    """The closed form of :mod:`theory.paper_model` written symbolically."""
    m = 2 * n
    u = sp.zeros(m, 1)
    for k in range(n):
        if k != i:
            u[k] = 1
    ei, eh = sp.zeros(m, 1), sp.zeros(m, 1)
    ei[i], eh[h] = 1, 1
    return (mu**2 * sp.eye(m) + (1 - r) * (ei * ei.T + tau**2 * (m2 - m1**2) * sp.diag(*u)
                                           + tau**2 * m1**2 * u * u.T) + r * eh * eh.T).applyfunc(sp.expand)


def check_model_moments(setting: PaperSetting = DEFAULT) -> list[Evidence]:
    tau, mu, r, pi = sp.symbols("tau mu r pi", positive=True)
    q0, q1 = sp.symbols("q0 q1", real=True)
    n, i, h = 3, 0, setting.rare_classes()[0]
    E = symbolic_second_moment(n, i, h, tau, mu, r, (q0, q1), pi)
    m1, m2 = (1 - pi) * q0 + pi * q1, (1 - pi) * q0**2 + pi * q1**2
    ok = _is_zero(E - closed_form_second_moment(n, i, h, tau, mu, r, m1, m2))
    # and the code implements that formula (rational point, float code)
    vals = {tau: sp.Rational(3, 2), mu: sp.Rational(1, 3), r: sp.Rational(1, 5), pi: sp.Rational(1, 2),
            q0: sp.Integer(0), q1: sp.Integer(1)}
    model = PaperModel(2 * n + 2, n, tau=1.5, mu=1 / 3, rare_fraction=0.2,
                       rare_classes=setting.rare_classes(), q_values=(0.0, 1.0))
    code = model.second_moment(i)[: 2 * n, : 2 * n]
    err = float(np.max(np.abs(np.array(E.subs(vals).tolist(), dtype=float) - code)))
    return [_ev(f"E[x x^T] by enumeration over signs and q (symbolic tau, mu, r, q-law; N = 3) equals "
                f"the closed form mu^2 I + (1-r)[e_i e_i^T + tau^2 (m2 - m1^2) diag(u) + tau^2 m1^2 u u^T] "
                f"+ r e_h e_h^T: {ok}", ok),
            _ev(f"theory.paper_model implements it: max |symbolic - code| = {err:.1e} at a rational point",
                err < 1e-12, numbers={"max_abs_error": err})]


# ----------------------------------------------- Eqs. 18, 44, 56 (limits)
def _scaled_moment(setting: PaperSetting):
    n = setting.n_clients
    q0, q1 = (sp.nsimplify(v) for v in setting.q_values)
    tau, mu = d_sym ** sp.nsimplify(setting.tau_exponent), d_sym ** sp.nsimplify(setting.mu_exponent)
    r = d_sym ** sp.nsimplify(setting.rare_exponent)
    return n, symbolic_second_moment(n, 0, setting.rare_classes()[0], tau, mu, r, (q0, q1), HALF)


def _order_check(label: str, entry, lead, order) -> tuple[bool, sp.Expr]:
    lim = sp.limit(sp.simplify((entry - lead) / order), d_sym, sp.oo)
    return bool(lim.is_finite), lim


def _expectation_claim(setting: PaperSetting, which: str) -> list[Evidence]:
    n, S = _scaled_moment(setting)
    p = sp.nsimplify(setting.p)
    h = setting.rare_classes()[0]
    if which == "eq18":
        X = 2 * p * (1 - p) * sp.diag(*[S[k, k] for k in range(2 * n)])
        a, order = 2 * p * (1 - p), d_sym ** sp.Rational(-2, 5)
    elif which == "eq44":
        X, a, order = S, sp.Integer(1), d_sym ** sp.Rational(-1, 5)
    else:                                                          # eq56 with H = h I
        hh = sp.symbols("h", positive=True)
        X, a, order = hh * S, hh * d_sym, d_sym ** sp.Rational(-1, 5)
    entries = [("main diagonal (1, 1) [k in [N]\\{i}]", X[1, 1], a * d_sym ** sp.Rational(2, 5)),
               ("own entry (0, 0) [k = i]", X[0, 0], a),
               ("off-diagonal (1, 2) inside [N]\\{i}", X[1, 2], sp.Integer(0)),
               (f"rare direction ({h}, {h})", X[h, h], sp.Integer(0))]
    out = []
    for label, entry, lead in entries:
        ok, lim = _order_check(label, entry, lead, order)
        out.append(_ev(f"{label}: lim (E X - claimed) / {sp.sstr(order)} as d -> oo = {sp.sstr(lim)} "
                       f"({'finite: consistent' if ok else 'infinite: the claimed O(.) fails'}); entry = "
                       f"{sp.sstr(sp.simplify(entry))}", ok,
                       numbers={"limit": sp.sstr(lim)},
                       params={"setting": setting.as_dict(), "entry": label},
                       counterexample=None if ok else {"entry": label, "E_X": sp.sstr(sp.simplify(entry)),
                                                       "claimed_lead": sp.sstr(lead),
                                                       "limit_ratio": sp.sstr(lim)}))
    return out


# ------------------------------------------------------------------ Eq. 24
def check_eq24() -> list[Evidence]:
    for a1 in range(1, 5):
        for a2 in range(1, a1):
            X = sp.diag(a1, a2)
            # c = 1: top eigenvector e_1, so r_2 = 0; the bound says r_2 >= X_22 / lambda_1
            r2, bound = sp.Integer(0), sp.Rational(a2, a1)
            if r2 < bound:
                return [_ev(f"exact counterexample X = diag({a1}, {a2}), c = 1: r_2 = 0 < X_22/lambda_1 = "
                            f"{bound}. The bound that holds for PSD X is r_k >= (X_kk - lambda_{{c+1}}) / "
                            "(lambda_1 - lambda_{c+1}) (from X_kk = sum_j lambda_j v_jk^2 <= lambda_1 r_k + "
                            "lambda_{c+1}(1 - r_k)); it reduces to Eq. 24 only when lambda_{c+1} = 0",
                            False, counterexample={"X": X.tolist(), "c": 1, "k": 2, "r_k": 0,
                                                   "bound": str(bound)})]
    return [_ev("no counterexample among small diagonal matrices", True)]


# --------------------------------------------------------------- Eqs. 28-30
def check_degree_averaging(identity: Callable = lambda A: sp.Add(*[1 / a for a in A]) / len(A)
                           - len(A) / sp.Add(*A)) -> list[Evidence]:
    A1, A2 = sp.symbols("A1 A2", positive=True)
    diff = sp.factor(sp.together(identity([A1, A2])))
    expected = (A1 - A2) ** 2 / (2 * A1 * A2 * (A1 + A2))
    verified = _is_zero(sp.together(diff - expected))
    holds = _is_zero(diff)
    out = [_ev(f"(1/N) sum 1/|A_i| - 1/|A_bar| for N = 2, symbolic |A_1|, |A_2|: {sp.sstr(diff)} "
               f"({'= (A1 - A2)^2 / (2 A1 A2 (A1 + A2)) >= 0, zero iff A1 = A2' if verified else 'unexpected form'})",
               holds, counterexample=None if holds else {"A": [2, 3], "mean_inverse": "5/12",
                                                          "inverse_mean": "2/5"},
               numbers={"difference": sp.sstr(diff)})]
    eq = _is_zero(diff.subs(A2, A1))
    out.append(_ev(f"equal sizes |A_1| = |A_2|: difference {'is 0' if eq else 'is not 0'}", eq,
                   params={"case": "condition"}))
    A3 = sp.symbols("A3", positive=True)
    d3 = sp.factor(sp.together(identity([A1, A2, A3])))
    out.append(_ev(f"N = 3: difference = {sp.sstr(d3)} (so the leading DecL diagonal "
                   "(1/N) sum (1 - 1/|A_i|) is at most 1 - 1/|A_bar|, not equal)", _is_zero(d3)))
    return out


# --------------------------------------------------- Eq. 80, Thm 4.4, rates
def check_eq80() -> list[Evidence]:
    p = sp.symbols("p", positive=True)
    C, A, kappa = sp.symbols("C A kappa", positive=True)
    f = -2 * p * (1 - p) * d_sym ** sp.Rational(2, 5) / A + C * d_sym ** sp.Rational(7, 20)
    lim_fixed = sp.limit(f.subs({p: HALF, A: 3, C: 1}), d_sym, sp.oo)
    scaled = sp.simplify(f.subs(A, kappa * d_sym ** sp.Rational(1, 20)) / d_sym ** sp.Rational(7, 20))
    cex = scaled.subs({p: HALF, kappa: 1, C: 1})
    return [_ev(f"fixed |A_bar| (A = 3, C = 1, p = 1/2): lim f(d) = {lim_fixed} (negative for large d)",
                lim_fixed == -sp.oo, params={"case": "condition"}),
            _ev(f"|A_bar| = kappa d^(1/20) (allowed, N = Theta(d^(1/20))): f / d^(7/20) = {sp.sstr(scaled)}, "
                f"a constant whose sign depends on C, kappa, p; at C = kappa = 1, p = 1/2 it is {cex} > 0",
                False, counterexample={"C": 1, "kappa": 1, "p": "1/2", "f_over_d^(7/20)": str(cex)})]


def _widths(p):
    wm = d_sym ** sp.Rational(-2, 5) / (2 * p * (1 - p) * d_sym ** sp.Rational(2, 5) + d_sym ** sp.Rational(-2, 5))
    wc = d_sym ** sp.Rational(-1, 5) / (d_sym ** sp.Rational(2, 5) + d_sym ** sp.Rational(-1, 5))
    return wm, wc


def check_width_limits(condition_case: bool = True) -> list[Evidence]:
    p = sp.Rational(3, 4)
    wm, wc = _widths(p)
    ratio = sp.limit(wc / wm, d_sym, sp.oo)
    lm = sp.limit(wm * d_sym ** sp.Rational(4, 5), d_sym, sp.oo)
    lc = sp.limit(wc * d_sym ** sp.Rational(3, 5), d_sym, sp.oo)
    case = {"case": "condition"} if condition_case else {}
    case["quantifiers"] = quantifiers(
        index_set="- (the widths 1 - bound of the paper's MIM and CL bounds)",
        framework="the bound expressions of Thms 4.2/4.3 (O-constants 1, p = 3/4)",
        regime="a formula in d, d -> infinity", inequality="lim w^C / w^M = infinity; "
        "w^M ~ d^(-4/5), w^C ~ d^(-3/5)", tolerance="exact (sympy limits)")
    return [_ev(f"widths of the paper's bounds (O-constants 1, p = 3/4): lim w^C / w^M = {ratio}",
                ratio == sp.oo, params=case),
            _ev(f"lim w^M d^(4/5) = {lm}, lim w^C d^(3/5) = {lc}: the widths scale as d^(-4/5) and "
                "d^(-3/5)", bool(lm.is_finite and lm > 0 and lc.is_finite and lc > 0), params=case)]


# ------------------------------------------------------------------ Eq. 88
def check_full_connectivity(N: int = 4) -> Evidence:
    L = sp.symbols(f"L0:{N}")
    decl = sp.Add(*[sp.Add(*[L[j] for j in range(N)]) / N for _ in range(N)]) / N   # |A_i| = N
    fl = sp.Add(*L) / N
    ok = _is_zero(decl - fl)
    return _ev(f"N = {N}, |A_i| = N: (1/N) sum_i (1/|A_i|) sum_(j in A_i) L_j - (1/N) sum_j L_j = "
               f"{sp.simplify(decl - fl)}", ok)


# ------------------------------------------------------------ our identities
def check_spectral_fl_gap() -> list[Evidence]:
    s = sp.symbols("s", positive=True)
    S1, S2, P = sym_matrix("a", 2), sym_matrix("b", 2), sym_matrix("p", 2)
    M1, M2 = sym_matrix("m", 2), sym_matrix("n", 2)
    loss = lambda S, M: -2 * (P * M).trace() + (P * S * P * S).trace()
    w = (s, 1 - s)
    Sbar, Mbar = w[0] * S1 + w[1] * S2, w[0] * M1 + w[1] * M2
    gap = w[0] * loss(S1, M1) + w[1] * loss(S2, M2) - loss(Sbar, Mbar)
    formula = sum(wi * (P * (Si - Sbar) * P * (Si - Sbar)).trace() for wi, Si in zip(w, (S1, S2)))
    ok = _is_zero(gap - formula)
    l0, l1, l2 = sp.symbols("l0:3", real=True)
    Lc = sp.Matrix([[l0, 0], [l1, l2]])
    D = sym_matrix("e", 2)
    sign = _is_zero((Lc * Lc.T * D * Lc * Lc.T * D).trace() - frob2(Lc.T * D * Lc))
    return [_ev("FL mean of local spectral contrastive losses minus the pooled loss = "
                f"sum_i s_i tr(P D_i P D_i), D_i = S_i - S_bar (2 clients, symbolic 2x2): {ok}", ok),
            _ev("tr(P D P D) = ||L^T D L||_F^2 >= 0 for P = L L^T (symbolic L, D): " + str(sign), sign)]


def check_mim_fl_pooled() -> list[Evidence]:
    p, s = sp.symbols("p s", positive=True)
    A = sp.Matrix(2, 2, sp.symbols("z0:4"))
    S1, S2 = sym_matrix("a", 2), sym_matrix("b", 2)

    def loss(S, kind):
        q = 1 - p
        D = sp.diag(S[0, 0], S[1, 1])
        C, R = q**2 * S + p * q * D, p * q * (S - D)
        if kind == "all":
            quad = (A * C * A.T).trace()
        else:
            quad = p * sum(((A[k, :] * sp.diag(*[0 if j == k else 1 for j in range(2)])) * C
                            * (sp.diag(*[0 if j == k else 1 for j in range(2)]) * A[k, :].T))[0]
                           for k in range(2))
        return quad - 2 * (A * R.T).trace() + p * S.trace()

    out = []
    for kind in ("all", "masked"):
        diff = s * loss(S1, kind) + (1 - s) * loss(S2, kind) - loss(s * S1 + (1 - s) * S2, kind)
        ok = _is_zero(diff)
        out.append(_ev(f"MIM reconstruction ({kind} coordinates): size-weighted mean of client losses = "
                       f"loss on the pooled moments (symbolic A, S_1, S_2, p, s): {ok}", ok))
    return out


# -------------------------------------------------------------- registration
def _register() -> None:
    R = REGISTRY
    R.claim("paper.eq16.stationary")(lambda ctx: check_stationary())
    R.claim("paper.eckart-young")(lambda ctx: check_eckart_young())
    R.claim("paper.eq17.mim-matrix")(lambda ctx: check_eq17())
    R.claim("paper.eq18.mim-expectation")(lambda ctx: _expectation_claim(DEFAULT, "eq18"))
    R.claim("paper.eq44.cl-expectation")(lambda ctx: _expectation_claim(DEFAULT, "eq44"))
    R.claim("paper.eq56.cl-dissimilar")(lambda ctx: _expectation_claim(DEFAULT, "eq56"))
    R.claim("paper.eq24.ratio-bound")(lambda ctx: check_eq24())
    R.claim("paper.eq28-30.degree-averaging")(lambda ctx: check_degree_averaging())
    R.claim("paper.eq80.sign-step")(lambda ctx: check_eq80())
    R.claim("paper.thm4.4.mim-more-robust")(lambda ctx: check_width_limits())
    R.claim("paper.rates.mim-vs-cl", rule=conditional_rule(
        "sensitivity is measured by the widths of the paper's bounds, not by the actual spread "
        "of r"))(lambda ctx: check_width_limits())
    R.claim("paper.eq88.full-connectivity")(lambda ctx: check_full_connectivity())
    R.claim("ext.model.paper-moments")(lambda ctx: check_model_moments())
    R.claim("ext.mim.surrogate-matrix", source="theory.objectives (derived)",
            statement="Over i.i.d. masks with mask ratio p, E[1/2 (b a^T + a b^T)] for a = x*m, "
                      "b = x*(1-m) equals p(1-p)(x x^T - Diag(x x^T))",
            latex=r"E_m[\tfrac12(ba^\top+ab^\top)] = p(1-p)(xx^\top - \mathrm{Diag}(xx^\top))"
            )(lambda ctx: _surrogate_evidence())
    R.claim("ext.spectral.fl-gap", source="theory.spectral_contrastive (derived)",
            statement="The FL mean of local spectral contrastive losses exceeds the pooled loss by "
                      "exactly sum_i s_i tr(P D_i P D_i) >= 0, D_i = S_i - S_bar",
            latex=r"\sum_i s_i L_i(P) - L(P) = \sum_i s_i \lVert P^{1/2}\Delta_i P^{1/2}\rVert_F^2"
            )(lambda ctx: check_spectral_fl_gap())
    R.claim("ext.mim.fl-equals-pooled", source="theory.mim (derived)",
            statement="For per-sample MIM reconstruction losses (all or masked coordinates) the FL "
                      "objective equals the pooled objective")(lambda ctx: check_mim_fl_pooled())


def _surrogate_evidence() -> Evidence:
    p = sp.symbols("p", positive=True)
    x = list(sp.symbols("y0:3"))
    E = mask_expectation(x, p)
    derived = p * (1 - p) * (sp.Matrix(x) * sp.Matrix(x).T - sp.diag(*[xi**2 for xi in x]))
    ok = _is_zero(E - derived)
    return _ev(f"exact enumeration of all 2^3 masks with symbolic p and x: {ok}", ok)


_register()
