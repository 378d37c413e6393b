"""scipy.special's functions with differentiation rules (the ``admodes.scipy.special`` namespace).

The error function and the normal distribution (erf, erfc, erfinv, ndtr, ndtri, log_ndtr), the
gamma family (gammaln, digamma, polygamma, gamma, betaln), modified Bessel functions of integer
order (i0, i0e, i1, i1e), the x·log y forms (xlogy, xlog1py, entr), the logistic pair (expit,
logit) and scipy's signatures of logsumexp, softmax and log_softmax; numpy's i0 as well.

Values are scipy.special's (the impls call it). Each derivative is again a function of the
family, written with registry ops (erf' is a Gaussian, gammaln' = digamma,
polygamma(n)' = polygamma(n + 1), I_n' comes from I_{n±1}), so every order is available.
Results and derivatives keep a floating input's dtype (float32 stays float32); integer input
gives float64, as scipy's ufuncs do.

References
----------
DLMF: NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov (equation numbers
as cited in each op's doc). A&S: Abramowitz, M. & Stegun, I. A. (1964). Handbook of
Mathematical Functions. National Bureau of Standards, Applied Mathematics Series 55.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from admodes.ops import _domains as dom
from admodes.ops._flops import elementwise as ew_cost
from admodes.ops._helpers import normalize_axes
from admodes.ops.elementwise import abs as abs_
from admodes.ops.elementwise import (
    abs_partial,
    add,
    defbinary,
    defunary,
    divide,
    exp,
    is_python_number,
    log,
    log1p,
    multiply,
    square,
    subtract,
    where,
)
from admodes.ops.nn import log_softmax as nn_log_softmax
from admodes.ops.nn import logsumexp as nn_logsumexp
from admodes.ops.nn import sigmoid
from admodes.ops.nn import softmax as nn_softmax
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import Tracer, primal_value, shape_of

_NAMESPACE = "scipy.special"
_DLMF = "NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov, eq. {}"
_AS = "Abramowitz & Stegun (1964), Handbook of Mathematical Functions, eq. {}"


def _special(name, impl, partial, flops, doc, refs, **fields):
    """A unary scipy.special function ``y = impl(x)`` with ``ẏ = partial(x, y)·ẋ``."""
    return defunary(f"special.{name}", impl, partial, flops, doc, namespace=_NAMESPACE,
                  refs=refs, **fields)


def _probability(rng, shape, dtype):
    """Values in (0.1, 0.9): inside (0, 1), away from the poles of logit and ndtri."""
    return rng.uniform(0.1, 0.9, size=shape).astype(dtype)


# -- error function and the normal distribution ---------------------------------------------------

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _gaussian(u, scale, rate):
    """scale·exp(−rate·u²): the derivatives of this family are all of this form."""
    return multiply(exp(multiply(square(u), -rate)), scale)


erf = _special(
    "erf", sc.erf, lambda x, y: _gaussian(x, 2.0 / _SQRT_PI, 1.0), 3,
    "y = erf(x) = (2/√π)∫₀ˣ e^(−t²) dt; ẏ = (2/√π)e^(−x²)·ẋ; x̄ = (2/√π)e^(−x²)·ȳ",
    (_DLMF.format("7.2.1, 7.10.1"),), saves=("inputs",))

erfc = _special(
    "erfc", sc.erfc, lambda x, y: _gaussian(x, -2.0 / _SQRT_PI, 1.0), 3,
    "y = erfc(x) = 1 − erf(x) (accurate where erf(x) → 1); ẏ = −(2/√π)e^(−x²)·ẋ; "
    "x̄ = −(2/√π)e^(−x²)·ȳ", (_DLMF.format("7.2.2, 7.10.1"),), saves=("inputs",))

erfinv = _special(
    "erfinv", sc.erfinv, lambda x, y: _gaussian(y, _SQRT_PI / 2.0, -1.0), 3,
    "y = erfinv(x), erf(y) = x for x in (−1, 1); ẏ = (√π/2)e^(y²)·ẋ; x̄ = (√π/2)e^(y²)·ȳ "
    "(the inverse function's derivative 1/erf'(y))", (_DLMF.format("7.17.1, 7.10.1"),),
    domain=dom.unary(dom.unit), saves=("out",))

ndtr = _special(
    "ndtr", sc.ndtr, lambda x, y: _gaussian(x, 1.0 / _SQRT_2PI, 0.5), 3,
    "y = Φ(x) = ½ erfc(−x/√2), the standard normal distribution function; ẏ = φ(x)·ẋ; "
    "x̄ = φ(x)·ȳ, φ(x) = e^(−x²/2)/√(2π)", (_AS.format("26.2.2, 26.2.29"),),
    saves=("inputs",))

ndtri = _special(
    "ndtri", sc.ndtri, lambda x, y: _gaussian(y, _SQRT_2PI, -0.5), 3,
    "y = Φ⁻¹(x) for x in (0, 1); ẏ = √(2π)e^(y²/2)·ẋ; x̄ = √(2π)e^(y²/2)·ȳ (1/φ(y))",
    (_AS.format("26.2.2"),), domain=dom.unary(_probability), saves=("out",))


def _log_ndtr_slope(x, y):
    """φ(x)/Φ(x) = exp(−x²/2 − log Φ(x) − log √(2π)) from the saved y = log Φ(x): neither
    factor is formed on its own, so nothing underflows to 0/0 for x ≪ 0 (at x = −40,
    Φ(x) ≈ 1e−350)."""
    return exp(subtract(multiply(square(x), -0.5), add(y, _LOG_SQRT_2PI)))


log_ndtr = _special(
    "log_ndtr", sc.log_ndtr, _log_ndtr_slope, 3,
    "y = log Φ(x) (stable for x ≪ 0); ẏ = exp(−x²/2 − y)/√(2π)·ẋ; x̄ = exp(−x²/2 − y)/√(2π)·ȳ "
    "(φ/Φ formed in the exponent: finite and accurate for very negative x)",
    (_AS.format("26.2.2"),))


# -- the gamma family ------------------------------------------------------------------------------

gammaln = _special(
    "gammaln", sc.gammaln, lambda x, y: digamma(x), 2,
    "y = log|Γ(x)|; ẏ = ψ(x)·ẋ; x̄ = ψ(x)·ȳ (ψ = digamma)", (_DLMF.format("5.2.2"),),
    domain=dom.unary(dom.positive), saves=("inputs",))

digamma = _special(
    "digamma", sc.digamma, lambda x, y: polygamma(1, x), 2,
    "y = ψ(x) = Γ'(x)/Γ(x); ẏ = ψ⁽¹⁾(x)·ẋ; x̄ = ψ⁽¹⁾(x)·ȳ (ψ⁽¹⁾ = polygamma(1, ·))",
    (_DLMF.format("5.2.2, 5.15.1"),), domain=dom.unary(dom.positive), saves=("inputs",))


def _order(n) -> int:
    """polygamma's order ``n`` as a Python int ≥ 0 (static: it is not differentiated)."""
    if isinstance(n, Tracer):
        raise TypeError("polygamma(): n, the order of the derivative, must be a concrete "
                        "integer, not a traced array (it is not differentiable)")
    value = np.asarray(n)
    if value.ndim != 0 or value.dtype.kind not in "iu":
        raise TypeError(f"polygamma(): n must be a nonnegative integer scalar (the order of "
                        f"the derivative of digamma), got {n!r} (dtype {value.dtype}, shape "
                        f"{value.shape})")
    if value < 0:
        raise ValueError(f"polygamma(): n must be nonnegative, got {int(value)}")
    return int(value)


def _polygamma_parse(n, x):
    return (x,), {"n": _order(n)}


def _polygamma_impl(x, n):
    """scipy's ψ⁽ⁿ⁾(x) in x's floating dtype (scipy computes (−1)ⁿ⁺¹ n! ζ(n + 1, x) in
    float64 even for float32 x)."""
    x = np.asarray(x)
    out = sc.digamma(x) if n == 0 else sc.polygamma(n, x)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


def _polygamma_domain(rng, dtype):
    return [((n, dom.positive(rng, shape, dtype)), {})
            for n, shape in zip((0, 1, 2, 3), dom.UNARY_SHAPES)]


polygamma = defop(
    "special.polygamma", _polygamma_impl, parse=_polygamma_parse, static={"n": 0},
    jvp=lambda p, t, out, n: multiply(t[0], polygamma(n + 1, p[0])),
    vjp=lambda ct, p, out, n: (multiply(ct, polygamma(n + 1, p[0])),),
    cost=ew_cost(4), domain=_polygamma_domain, namespace=_NAMESPACE, saves=("inputs",),
    refs=(_DLMF.format("5.15.1"), _AS.format("6.4.1")),
    doc="y = ψ⁽ⁿ⁾(x) = dⁿψ/dxⁿ (polygamma(n, x), n a static integer ≥ 0; ψ⁽⁰⁾ = digamma); "
        "ẏ = ψ⁽ⁿ⁺¹⁾(x)·ẋ; x̄ = ψ⁽ⁿ⁺¹⁾(x)·ȳ: each derivative is the next polygamma")

gamma = _special(
    "gamma", sc.gamma, lambda x, y: multiply(y, digamma(x)), 2,
    "y = Γ(x); ẏ = Γ(x)ψ(x)·ẋ; x̄ = Γ(x)ψ(x)·ȳ", (_DLMF.format("5.2.2"),),
    domain=dom.unary(dom.positive))


def _betaln_partial(a, b):
    return subtract(digamma(a), digamma(add(a, b)))


betaln = defbinary(
    "special.betaln", sc.betaln, lambda a, b, out: _betaln_partial(a, b),
    lambda a, b, out: _betaln_partial(b, a), 6,
    "y = log|B(a, b)| = log|Γ(a)Γ(b)/Γ(a + b)| (broadcasting); ā = unbroadcast(ȳ·(ψ(a) − "
    "ψ(a + b))), b̄ = unbroadcast(ȳ·(ψ(b) − ψ(a + b))); ẏ likewise",
    domain=dom.binary(dom.positive, dom.positive), namespace=_NAMESPACE, saves=("inputs",),
    refs=(_DLMF.format("5.12.1, 5.2.2"),))


# -- modified Bessel functions of integer order ---------------------------------------------------

_SCALED_KINK = ("e^(−|x|) has a kink at x = 0: the factor d|x|/dx = sign(x) is abs'(0) = "
                "conventions.current().abs there (default 0, as JAX's sign(0))")


def _bessel(x, order, scaled):
    """I_n(x), or e^(−|x|)·I_n(x) if ``scaled``: the public ops for n ≤ 1, else bessel_i."""
    if order <= 1:
        return ((i0e, i1e) if scaled else (i0, i1))[order](x)
    return bessel_i(x, order=order, scaled=scaled)


def _bessel_slope(x, out, order, scaled):
    """d/dx I_n = (I_{n−1} + I_{n+1})/2, with I_0' = I_1 (no 0/0 at x = 0, unlike
    I_{n−1} − (n/x)·I_n); the scaled e^(−|x|)·I_n adds −sign(x)·e^(−|x|)·I_n."""
    if order == 0:
        slope = _bessel(x, 1, scaled)
    else:
        slope = multiply(add(_bessel(x, order - 1, scaled), _bessel(x, order + 1, scaled)), 0.5)
    if scaled:
        slope = subtract(slope, multiply(abs_partial(x, out), out))
    return slope


_BESSEL_REFS = (_DLMF.format("10.25.2, 10.29.1, 10.29.3"), _AS.format("9.6.26, 9.6.27"))

i0 = _special(
    "i0", sc.i0, lambda x, y: _bessel_slope(x, y, 0, False), 2,
    "y = I₀(x); ẏ = I₁(x)·ẋ; x̄ = I₁(x)·ȳ", _BESSEL_REFS, saves=("inputs",))

i1 = _special(
    "i1", sc.i1, lambda x, y: _bessel_slope(x, y, 1, False), 2,
    "y = I₁(x); ẏ = I₁'(x)·ẋ, x̄ = I₁'(x)·ȳ with I₁' = I₀ − I₁/x = (I₀ + I₂)/2 (the "
    "recurrence form: I₁'(0) = ½ exactly, no 0/0)", _BESSEL_REFS,
    domain=lambda rng, dtype: dom.unary()(rng, dtype) + [
        ((np.array([0.0, 0.3, -1.1], dtype=dtype),), {})],
    saves=("inputs",))

i0e = _special(
    "i0e", sc.i0e, lambda x, y: _bessel_slope(x, y, 0, True), 3,
    "y = e^(−|x|)I₀(x); ẏ = (i1e(x) − sign(x)·y)·ẋ; x̄ = (i1e(x) − sign(x)·y)·ȳ; "
    "i0e'(0) = −abs'(0) (0 by default: the mean of the one-sided slopes ∓1)", _BESSEL_REFS,
    domain=dom.unary(dom.away_from_zero),
    kinks=f"i0e'(0): {_SCALED_KINK}, so i0e'(0) = −conventions.abs (default 0, as JAX)")

i1e = _special(
    "i1e", sc.i1e, lambda x, y: _bessel_slope(x, y, 1, True), 3,
    "y = e^(−|x|)I₁(x); ẏ = ((i0e(x) + e^(−|x|)I₂(x))/2 − sign(x)·y)·ẋ, x̄ likewise "
    "(= i0e − i1e/x − sign(x)·i1e; i1e'(0) = ½)", _BESSEL_REFS,
    domain=dom.unary(dom.away_from_zero),
    kinks=f"C¹ at 0 (i1e'(0) = ½); in i1e'' {_SCALED_KINK}: i1e''(0) = −conventions.abs")


def _bessel_i_impl(x, order, scaled):
    return sc.ive(order, x) if scaled else sc.iv(order, x)


def _bessel_i_domain(rng, dtype):
    return [((dom.away_from_zero(rng, shape, dtype),), {"order": order, "scaled": scaled})
            for (order, scaled), shape in zip([(2, False), (3, True), (2, True), (4, False)],
                                              dom.UNARY_SHAPES)]


bessel_i = defop(
    "bessel_i", _bessel_i_impl,
    jvp=lambda p, t, out, order, scaled: multiply(t[0], _bessel_slope(p[0], out, order, scaled)),
    vjp=lambda ct, p, out, order, scaled: (multiply(ct, _bessel_slope(p[0], out, order, scaled)),),
    cost=ew_cost(4), domain=_bessel_i_domain, static={"order": 2, "scaled": False},
    namespace="internal", refs=_BESSEL_REFS, kinks=f"scaled: {_SCALED_KINK}",
    doc="y = I_n(x) (scipy.special.iv), or e^(−|x|)I_n(x) if scaled (ive), n ≥ 2 static: the "
        "derivatives of i1, i1e; ẏ = ((I_{n−1} + I_{n+1})/2 − [scaled]·sign(x)·y)·ẋ, x̄ "
        "likewise (scaled: e^(−|x|)I_{n±1})")


@defcomposite("i0", domain=dom.unary(),
              doc="numpy's i0(x) = I₀(x), the modified Bessel function of order 0: "
                  "scipy.special.i0 (values equal np.i0's to rounding) and its rules, "
                  "I₀' = I₁")
def numpy_i0(x):
    return i0(x)


# -- x·log y -----------------------------------------------------------------------------------

def _x_over(x, base):
    """x/base, and 0 where x = base = 0: the functions are 0 on the whole line x = 0, so their
    y-partial there is 0 (not 0/0)."""
    hole = np.logical_and(np.equal(primal_value(x), 0), np.equal(primal_value(base), 0))
    if hole.any():
        base = where(hole, 1.0, base)
    return divide(x, base)


def _log_factor(y, function, op):
    """``op(y)``; a Python number y stays one (``function(y)`` as a float), which keeps a
    float32 x float32."""
    return float(function(y)) if is_python_number(y) else op(y)


_XLOG_KINK = ("at x = 0, y = {y0} (value 0 by definition): ∂/∂x = {dx} = −inf (the one-sided "
              "limit, as JAX's); ∂/∂y = 0, since the function is 0 on the line x = 0 (JAX's "
              "x/{den} gives nan there)")

xlogy = defbinary(
    "special.xlogy", sc.xlogy, lambda x, y, out: _log_factor(y, np.log, log),
    lambda x, y, out: _x_over(x, y), 2,
    "y = x·log(b) (xlogy(x, b), 0 where x = 0, also at b = 0; broadcasting); "
    "∂/∂x = log b, ∂/∂b = x/b (0 where x = 0); cotangents unbroadcast",
    domain=dom.binary(dom.real, dom.positive), namespace=_NAMESPACE, saves=("inputs",),
    kinks=_XLOG_KINK.format(y0="0", dx="log 0", den="y"))

xlog1py = defbinary(
    "special.xlog1py", sc.xlog1py, lambda x, y, out: _log_factor(y, np.log1p, log1p),
    lambda x, y, out: _x_over(x, add(y, 1.0)), 2,
    "y = x·log(1 + b) (xlog1py(x, b), 0 where x = 0, also at b = −1; broadcasting); "
    "∂/∂x = log1p(b), ∂/∂b = x/(1 + b) (0 where x = 0); cotangents unbroadcast",
    domain=dom.binary(dom.real, dom.positive), namespace=_NAMESPACE, saves=("inputs",),
    kinks=_XLOG_KINK.format(y0="−1", dx="log1p(−1)", den="(1 + y)"))

entr = _special(
    "entr", sc.entr, lambda x, y: subtract(-1.0, log(x)), 2,
    "y = −x·log x (x > 0; 0 at 0, −inf for x < 0); ẏ = −(1 + log x)·ẋ; x̄ = −(1 + log x)·ȳ "
    "(+inf at x = 0, as JAX)", ("scipy.special.entr documentation",),
    domain=dom.unary(dom.positive), saves=("inputs",))


# -- the logistic pair -------------------------------------------------------------------------

@defcomposite("special.expit", namespace=_NAMESPACE, domain=dom.unary(),
              doc="expit(x) = 1/(1 + e^−x): admodes.nn.sigmoid (the same op: its rules, "
                  "ẏ = y(1 − y)·ẋ)")
def expit(x):
    return sigmoid(x)


logit = _special(
    "logit", sc.logit, lambda x, y: divide(1.0, multiply(x, subtract(1.0, x))), 3,
    "y = log(x/(1 − x)) for x in (0, 1), the inverse of expit; ẏ = ẋ/(x(1 − x)); "
    "x̄ = ȳ/(x(1 − x))", ("scipy.special.logit documentation",),
    domain=dom.unary(_probability), saves=("inputs",))


# -- scipy's signatures of the softmax family ------------------------------------------------

def _weighted_logsumexp(a, axis, b, keepdims, return_sign):
    """log|Σ b·e^a| = m + log|Σ b·e^(a − m)| with the constant shift m = max a (no overflow;
    the result does not depend on m, so holding it constant is exact)."""
    value = np.asarray(primal_value(a))
    shape = np.broadcast_shapes(value.shape, shape_of(b))
    axes = normalize_axes(axis, len(shape), "logsumexp")
    shift = np.max(np.broadcast_to(value, shape), axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0).astype(value.dtype)
    total = sum_(multiply(b, exp(subtract(a, shift))), axis=axes, keepdims=True)
    out = add(log(abs_(total) if return_sign else total), shift)
    sign = np.sign(primal_value(total))
    if not keepdims:
        reduced = tuple(d for i, d in enumerate(shape) if i not in axes)
        out, sign = reshape(out, reduced), np.reshape(sign, reduced)
    return (out, sign) if return_sign else out


def _logsumexp_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(3),), {}), ((r(2, 3),), {"axis": 1, "keepdims": True}),
            ((r(2, 3, 2),), {"axis": (0, 2)}),
            ((r(2, 3),), {"axis": 0, "b": dom.positive(rng, (2, 3), dtype)}),
            ((r(2, 3), 1, dom.positive(rng, (3,), dtype), True), {}),
            ((r(2, 3),), {"axis": -1, "b": -dom.positive(rng, (3,), dtype),
                          "return_sign": True}),
            ((r(4),), {"return_sign": True})]


@defcomposite("special.logsumexp", namespace=_NAMESPACE, domain=_logsumexp_domain,
              doc="logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False) = "
                  "log Σ_axis b·e^a (scipy's signature): without b, admodes.nn.logsumexp (its "
                  "rules); with b, m + log Σ b·e^(a − m), m = max a a constant (stable); "
                  "return_sign gives (log|Σ b·e^a|, sign) with a constant sign; "
                  "∂/∂a = b·e^(a − y)·sign, ∂/∂b = e^(a − y)·sign")
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    if b is None and not return_sign:
        return nn_logsumexp(a, axis=axis, keepdims=keepdims)
    return _weighted_logsumexp(a, axis, 1.0 if b is None else b, keepdims, return_sign)


def _softmax_domain(rng, dtype):
    return [((dom.real(rng, shape, dtype),), static) for shape, static in
            [((4,), {}), ((2, 3), {}), ((2, 3), {"axis": 1}), ((2, 3, 2), {"axis": (0, 2)})]]


@defcomposite("special.softmax", namespace=_NAMESPACE, domain=_softmax_domain,
              doc="softmax(x, axis=None) = exp(x − logsumexp(x, axis)) (scipy's signature: "
                  "axis=None normalizes over all entries): admodes.nn.softmax")
def softmax(x, axis=None):
    return nn_softmax(x, axis=axis)


@defcomposite("special.log_softmax", namespace=_NAMESPACE, domain=_softmax_domain,
              doc="log_softmax(x, axis=None) = x − logsumexp(x, axis) (scipy's signature: "
                  "axis=None normalizes over all entries): admodes.nn.log_softmax")
def log_softmax(x, axis=None):
    return nn_log_softmax(x, axis=axis)
