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
    negative,
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

NAMESPACE = "scipy.special"
DLMF = "NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov, eq. {}"
ABRAMOWITZ_STEGUN = "Abramowitz & Stegun (1964), Handbook of Mathematical Functions, eq. {}"


def defspecial(name, impl, partial, flops, doc, refs, **fields):
    """A unary scipy.special function ``y = impl(x)`` with ``ẏ = partial(x, y)·ẋ``."""
    return defunary(f"special.{name}", impl, partial, flops, doc, namespace=NAMESPACE,
                  refs=refs, **fields)


def in_input_dtype(function):
    """``function`` with its result in the floating dtype of its array arguments: scipy picks
    a float64 loop for some float32 calls (an integer order, a Python-number operand, the
    Python code of factorial); without float arrays, float64."""
    def impl(*args, **kwargs):
        floats = [a.dtype for a in args if isinstance(a, (np.ndarray, np.generic))
                  and a.dtype.kind == "f"]
        dtype = np.result_type(*floats) if floats else np.float64
        return np.asarray(function(*args, **kwargs)).astype(dtype, copy=False)[()]
    impl.__name__ = getattr(function, "__name__", "impl")
    return impl


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


erf = defspecial(
    "erf", sc.erf, lambda x, y: _gaussian(x, 2.0 / _SQRT_PI, 1.0), 3,
    "y = erf(x) = (2/√π)∫₀ˣ e^(−t²) dt; ẏ = (2/√π)e^(−x²)·ẋ; x̄ = (2/√π)e^(−x²)·ȳ",
    (DLMF.format("7.2.1, 7.10.1"),), saves=("inputs",))

erfc = defspecial(
    "erfc", sc.erfc, lambda x, y: _gaussian(x, -2.0 / _SQRT_PI, 1.0), 3,
    "y = erfc(x) = 1 − erf(x) (accurate where erf(x) → 1); ẏ = −(2/√π)e^(−x²)·ẋ; "
    "x̄ = −(2/√π)e^(−x²)·ȳ", (DLMF.format("7.2.2, 7.10.1"),), saves=("inputs",))

erfinv = defspecial(
    "erfinv", sc.erfinv, lambda x, y: _gaussian(y, _SQRT_PI / 2.0, -1.0), 3,
    "y = erfinv(x), erf(y) = x for x in (−1, 1); ẏ = (√π/2)e^(y²)·ẋ; x̄ = (√π/2)e^(y²)·ȳ "
    "(the inverse function's derivative 1/erf'(y))", (DLMF.format("7.17.1, 7.10.1"),),
    domain=dom.unary(dom.unit), saves=("out",))

ndtr = defspecial(
    "ndtr", sc.ndtr, lambda x, y: _gaussian(x, 1.0 / _SQRT_2PI, 0.5), 3,
    "y = Φ(x) = ½ erfc(−x/√2), the standard normal distribution function; ẏ = φ(x)·ẋ; "
    "x̄ = φ(x)·ȳ, φ(x) = e^(−x²/2)/√(2π)", (ABRAMOWITZ_STEGUN.format("26.2.2, 26.2.29"),),
    saves=("inputs",))

ndtri = defspecial(
    "ndtri", sc.ndtri, lambda x, y: _gaussian(y, _SQRT_2PI, -0.5), 3,
    "y = Φ⁻¹(x) for x in (0, 1); ẏ = √(2π)e^(y²/2)·ẋ; x̄ = √(2π)e^(y²/2)·ȳ (1/φ(y))",
    (ABRAMOWITZ_STEGUN.format("26.2.2"),), domain=dom.unary(_probability), saves=("out",))


def _log_ndtr_slope(x, y):
    """φ(x)/Φ(x) = exp(−x²/2 − log Φ(x) − log √(2π)) from the saved y = log Φ(x): neither
    factor is formed on its own, so nothing underflows to 0/0 for x ≪ 0 (at x = −40,
    Φ(x) ≈ 1e−350)."""
    return exp(subtract(multiply(square(x), -0.5), add(y, _LOG_SQRT_2PI)))


log_ndtr = defspecial(
    "log_ndtr", sc.log_ndtr, _log_ndtr_slope, 3,
    "y = log Φ(x) (stable for x ≪ 0); ẏ = exp(−x²/2 − y)/√(2π)·ẋ; x̄ = exp(−x²/2 − y)/√(2π)·ȳ "
    "(φ/Φ formed in the exponent: finite and accurate for very negative x)",
    (ABRAMOWITZ_STEGUN.format("26.2.2"),))


# -- the gamma family ------------------------------------------------------------------------------

gammaln = defspecial(
    "gammaln", sc.gammaln, lambda x, y: digamma(x), 2,
    "y = log|Γ(x)|; ẏ = ψ(x)·ẋ; x̄ = ψ(x)·ȳ (ψ = digamma)", (DLMF.format("5.2.2"),),
    domain=dom.unary(dom.positive), saves=("inputs",))

digamma = defspecial(
    "digamma", sc.digamma, lambda x, y: polygamma(1, x), 2,
    "y = ψ(x) = Γ'(x)/Γ(x); ẏ = ψ⁽¹⁾(x)·ẋ; x̄ = ψ⁽¹⁾(x)·ȳ (ψ⁽¹⁾ = polygamma(1, ·))",
    (DLMF.format("5.2.2, 5.15.1"),), domain=dom.unary(dom.positive), saves=("inputs",))


def static_integer(value, function, name, meaning, minimum=0) -> int:
    """The integer argument ``name`` of ``function`` (polygamma's and expn's order n,
    multigammaln's dimension d) as a Python int ≥ ``minimum`` (0 or 1): static, it is not
    differentiated."""
    word = "nonnegative" if minimum == 0 else "positive"
    if isinstance(value, Tracer):
        raise TypeError(f"{function}(): {name}, {meaning}, must be a concrete integer, not a "
                        f"traced array (it is not differentiable)")
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "iu":
        raise TypeError(f"{function}(): {name} must be a {word} integer scalar ({meaning}), "
                        f"got {value!r} (dtype {array.dtype}, shape {array.shape})")
    if array < minimum:
        raise ValueError(f"{function}(): {name} must be {word}, got {int(array)}")
    return int(array)


def _polygamma_parse(n, x):
    return (x,), {"n": static_integer(n, "polygamma", "n", "the order of the derivative of "
                                                            "digamma")}


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
    cost=ew_cost(4), domain=_polygamma_domain, namespace=NAMESPACE, saves=("inputs",),
    refs=(DLMF.format("5.15.1"), ABRAMOWITZ_STEGUN.format("6.4.1")),
    doc="y = ψ⁽ⁿ⁾(x) = dⁿψ/dxⁿ (polygamma(n, x), n a static integer ≥ 0; ψ⁽⁰⁾ = digamma); "
        "ẏ = ψ⁽ⁿ⁺¹⁾(x)·ẋ; x̄ = ψ⁽ⁿ⁺¹⁾(x)·ȳ: each derivative is the next polygamma")

gamma = defspecial(
    "gamma", sc.gamma, lambda x, y: multiply(y, digamma(x)), 2,
    "y = Γ(x); ẏ = Γ(x)ψ(x)·ẋ; x̄ = Γ(x)ψ(x)·ȳ", (DLMF.format("5.2.2"),),
    domain=dom.unary(dom.positive))


def _betaln_partial(a, b):
    return subtract(digamma(a), digamma(add(a, b)))


betaln = defbinary(
    "special.betaln", sc.betaln, lambda a, b, out: _betaln_partial(a, b),
    lambda a, b, out: _betaln_partial(b, a), 6,
    "y = log|B(a, b)| = log|Γ(a)Γ(b)/Γ(a + b)| (broadcasting); ā = unbroadcast(ȳ·(ψ(a) − "
    "ψ(a + b))), b̄ = unbroadcast(ȳ·(ψ(b) − ψ(a + b))); ẏ likewise",
    domain=dom.binary(dom.positive, dom.positive), namespace=NAMESPACE, saves=("inputs",),
    refs=(DLMF.format("5.12.1, 5.2.2"),))


def _loggamma_slope(x, y):
    """ψ(x); nan for x < 0, where scipy's real loggamma is nan (log Γ is complex there)."""
    slope = digamma(x)
    negative = np.asarray(primal_value(x)) < 0
    return where(negative, np.nan, slope) if negative.any() else slope


loggamma = defspecial(
    "loggamma", sc.loggamma, _loggamma_slope, 2,
    "y = log Γ(x) for real x > 0 (scipy's real loggamma: nan for x < 0, where gammaln gives "
    "log|Γ(x)|); ẏ = ψ(x)·ẋ; x̄ = ψ(x)·ȳ (nan for x < 0)", (DLMF.format("5.2.2"),),
    domain=dom.unary(dom.positive), saves=("inputs",))


def _gamma_ratio_partial(first, total, out):
    """out·(ψ(first) − ψ(total)): the partials of Γ-ratios (beta, poch)."""
    return multiply(out, subtract(digamma(first), digamma(total)))


beta = defbinary(
    "special.beta", in_input_dtype(sc.beta), lambda a, b, out: _gamma_ratio_partial(a, add(a, b), out),
    lambda a, b, out: _gamma_ratio_partial(b, add(a, b), out), 6,
    "y = B(a, b) = Γ(a)Γ(b)/Γ(a + b) (broadcasting); ∂/∂a = y·(ψ(a) − ψ(a + b)), "
    "∂/∂b = y·(ψ(b) − ψ(a + b)); cotangents unbroadcast",
    domain=dom.binary(dom.positive, dom.positive), namespace=NAMESPACE,
    refs=(DLMF.format("5.12.1"),))

poch = defbinary(
    "special.poch", sc.poch, lambda z, m, out: _gamma_ratio_partial(add(z, m), z, out),
    lambda z, m, out: multiply(out, digamma(add(z, m))), 6,
    "y = (z)_m = Γ(z + m)/Γ(z), the Pochhammer symbol (broadcasting); ∂/∂z = y·(ψ(z + m) − "
    "ψ(z)), ∂/∂m = y·ψ(z + m); cotangents unbroadcast",
    domain=dom.binary(dom.positive, dom.positive), namespace=NAMESPACE,
    refs=(DLMF.format("5.2.5"),))


def _multigammaln_domain(rng, dtype):
    return [((dom.positive(rng, shape, dtype) + 0.5 * (d - 1), d), {})
            for d, shape in zip((1, 2, 3, 5), dom.UNARY_SHAPES)]


@defcomposite("special.multigammaln", namespace=NAMESPACE, domain=_multigammaln_domain,
              refs=("Muirhead (1982), Aspects of Multivariate Statistical Theory, Th. 2.1.12",),
              doc="multigammaln(a, d) = d(d − 1)/4·log π + Σ_{j<d} gammaln(a − j/2), the log of "
                  "the multivariate gamma function (d a static positive integer, a > (d − 1)/2 "
                  "as scipy requires); ∂/∂a = Σ_{j<d} ψ(a − j/2)")
def multigammaln(a, d):
    d = static_integer(d, "multigammaln", "d", "the dimension", minimum=1)
    if np.any(np.asarray(primal_value(a)) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln(): a must exceed (d − 1)/2 = {0.5 * (d - 1)} "
                         f"everywhere (scipy's condition), got a = {primal_value(a)!r}")
    total = gammaln(a)
    for j in range(1, d):
        total = add(total, gammaln(subtract(a, 0.5 * j)))
    return add(total, 0.25 * d * (d - 1) * math.log(math.pi))


def _factorial_domain(rng, dtype):
    return dom.unary(dom.positive)(rng, dtype) + [
        ((np.array([-1.5, -0.3, 0.7, 2.5], dtype=dtype),), {}),
        ((np.array([-2.5, 1.5, 3.0], dtype=dtype),), {"extend": "complex"})]


@defcomposite("special.factorial", namespace=NAMESPACE, domain=_factorial_domain,
              kinks="jump at n = 0 with extend='zero' (value 0 for n < 0): the derivative is 0 "
                    "for n < 0 (the function is constant there), Γ(n + 1)ψ(n + 1) for n ≥ 0",
              refs=(DLMF.format("5.2.1, 5.4.1"),),
              doc="factorial(n, exact=False, extend='zero') = Γ(n + 1) for n ≥ 0, 0 for n < 0 "
                  "(scipy's extend='zero'; 'complex': Γ(n + 1) for every n); ṅ's factor "
                  "Γ(n + 1)ψ(n + 1) (0 for n < 0). exact=True is integer arithmetic: plain "
                  "values only")
def factorial(n, exact=False, extend="zero"):
    if extend not in ("zero", "complex"):
        raise ValueError(f"factorial(): extend must be 'zero' or 'complex', got {extend!r}")
    if exact:
        if isinstance(n, Tracer):
            raise TypeError("factorial(): exact=True computes integers, which have no "
                            "derivative; use exact=False (Γ(n + 1)) on a traced n")
        return sc.factorial(n, exact=True, extend=extend)
    negative = np.asarray(primal_value(n)) < 0
    if extend == "complex" or not negative.any():
        return gamma(add(n, 1.0))
    inside = where(negative, 0.0, n)  # Γ's poles at negative integers stay out of the rules
    return where(negative, 0.0, gamma(add(inside, 1.0)))


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


_BESSEL_REFS = (DLMF.format("10.25.2, 10.29.1, 10.29.3"), ABRAMOWITZ_STEGUN.format("9.6.26, 9.6.27"))

i0 = defspecial(
    "i0", sc.i0, lambda x, y: _bessel_slope(x, y, 0, False), 2,
    "y = I₀(x); ẏ = I₁(x)·ẋ; x̄ = I₁(x)·ȳ", _BESSEL_REFS, saves=("inputs",))

i1 = defspecial(
    "i1", sc.i1, lambda x, y: _bessel_slope(x, y, 1, False), 2,
    "y = I₁(x); ẏ = I₁'(x)·ẋ, x̄ = I₁'(x)·ȳ with I₁' = I₀ − I₁/x = (I₀ + I₂)/2 (the "
    "recurrence form: I₁'(0) = ½ exactly, no 0/0)", _BESSEL_REFS,
    domain=lambda rng, dtype: dom.unary()(rng, dtype) + [
        ((np.array([0.0, 0.3, -1.1], dtype=dtype),), {})],
    saves=("inputs",))

i0e = defspecial(
    "i0e", sc.i0e, lambda x, y: _bessel_slope(x, y, 0, True), 3,
    "y = e^(−|x|)I₀(x); ẏ = (i1e(x) − sign(x)·y)·ẋ; x̄ = (i1e(x) − sign(x)·y)·ȳ; "
    "i0e'(0) = −abs'(0) (0 by default: the mean of the one-sided slopes ∓1)", _BESSEL_REFS,
    domain=dom.unary(dom.away_from_zero),
    kinks=f"i0e'(0): {_SCALED_KINK}, so i0e'(0) = −conventions.abs (default 0, as JAX)")

i1e = defspecial(
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


def number_or_op(y, function, op):
    """``op(y)``; a Python number y stays one (``function(y)`` as a float), which keeps a
    float32 x float32."""
    return float(function(y)) if is_python_number(y) else op(y)


_XLOG_KINK = ("at x = 0, y = {y0} (value 0 by definition): ∂/∂x = {dx} = −inf (the one-sided "
              "limit, as JAX's); ∂/∂y = 0, since the function is 0 on the line x = 0 (JAX's "
              "x/{den} gives nan there)")

xlogy = defbinary(
    "special.xlogy", sc.xlogy, lambda x, y, out: number_or_op(y, np.log, log),
    lambda x, y, out: _x_over(x, y), 2,
    "y = x·log(b) (xlogy(x, b), 0 where x = 0, also at b = 0; broadcasting); "
    "∂/∂x = log b, ∂/∂b = x/b (0 where x = 0); cotangents unbroadcast",
    domain=dom.binary(dom.real, dom.positive), namespace=NAMESPACE, saves=("inputs",),
    kinks=_XLOG_KINK.format(y0="0", dx="log 0", den="y"))

xlog1py = defbinary(
    "special.xlog1py", sc.xlog1py, lambda x, y, out: number_or_op(y, np.log1p, log1p),
    lambda x, y, out: _x_over(x, add(y, 1.0)), 2,
    "y = x·log(1 + b) (xlog1py(x, b), 0 where x = 0, also at b = −1; broadcasting); "
    "∂/∂x = log1p(b), ∂/∂b = x/(1 + b) (0 where x = 0); cotangents unbroadcast",
    domain=dom.binary(dom.real, dom.positive), namespace=NAMESPACE, saves=("inputs",),
    kinks=_XLOG_KINK.format(y0="−1", dx="log1p(−1)", den="(1 + y)"))

entr = defspecial(
    "entr", sc.entr, lambda x, y: subtract(-1.0, log(x)), 2,
    "y = −x·log x (x > 0; 0 at 0, −inf for x < 0); ẏ = −(1 + log x)·ẋ; x̄ = −(1 + log x)·ȳ "
    "(+inf at x = 0, as JAX)", ("scipy.special.entr documentation",),
    domain=dom.unary(dom.positive), saves=("inputs",))


_DIVERGENCE_KINK = ("at x = 0 (value {value} by definition): ∂/∂x = log 0 = −inf (the "
                    "one-sided limit, as xlogy; JAX's gives {jax}); ∂/∂y = {dy} (x/y taken as 0 "
                    "there)")

kl_div = defbinary(
    "special.kl_div", sc.kl_div, lambda x, y, out: log(_x_over(x, y)),
    lambda x, y, out: subtract(1.0, _x_over(x, y)), 4,
    "y = x·log(x/b) − x + b for x, b > 0 (kl_div(x, b); b at x = 0, inf elsewhere; "
    "broadcasting); ∂/∂x = log(x/b), ∂/∂b = 1 − x/b; cotangents unbroadcast",
    domain=dom.binary(dom.positive, dom.positive), namespace=NAMESPACE, saves=("inputs",),
    kinks=_DIVERGENCE_KINK.format(value="y", jax="−1", dy="1"),
    refs=("scipy.special.kl_div documentation; Boyd & Vandenberghe (2004), section 3.1.5",))

rel_entr = defbinary(
    "special.rel_entr", sc.rel_entr, lambda x, y, out: add(log(_x_over(x, y)), 1.0),
    lambda x, y, out: negative(_x_over(x, y)), 3,
    "y = x·log(x/b) for x, b > 0 (rel_entr(x, b); 0 at x = 0, inf elsewhere; broadcasting); "
    "∂/∂x = log(x/b) + 1, ∂/∂b = −x/b; cotangents unbroadcast",
    domain=dom.binary(dom.positive, dom.positive), namespace=NAMESPACE, saves=("inputs",),
    kinks=_DIVERGENCE_KINK.format(value="0", jax="0", dy="0"),
    refs=("scipy.special.rel_entr documentation",))


# -- the logistic pair -------------------------------------------------------------------------

@defcomposite("special.expit", namespace=NAMESPACE, domain=dom.unary(),
              doc="expit(x) = 1/(1 + e^−x): admodes.nn.sigmoid (the same op: its rules, "
                  "ẏ = y·σ(−x)·ẋ)")
def expit(x):
    return sigmoid(x)


logit = defspecial(
    "logit", sc.logit, lambda x, y: divide(1.0, multiply(x, subtract(1.0, x))), 3,
    "y = log(x/(1 − x)) for x in (0, 1), the inverse of expit; ẏ = ẋ/(x(1 − x)); "
    "x̄ = ȳ/(x(1 − x))", ("scipy.special.logit documentation",),
    domain=dom.unary(_probability), saves=("inputs",))


# -- Box–Cox transforms ----------------------------------------------------------------------

#: h(u) = (u·eᵘ − expm1(u))/u² = Σ_k (k + 1)/(k + 2)!·u^k, for |u| < ½ (where the quotient
#: cancels); 14 terms leave an error below 1e−17 there
_BOXCOX_SERIES = tuple((k + 1) / math.factorial(k + 2) for k in range(14))
_BOXCOX_SMALL = 0.5


def power_series(coefficients, u):
    """Σ_k coefficients[k]·u^k by Horner's scheme, with registry ops (differentiable in u)."""
    acc = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        acc = add(multiply(acc, u), c)
    return acc


def _boxcox_lmbda_partial(lmbda, logarithm, out):
    """∂y/∂λ for y = expm1(λL)/λ (L = log x, or log1p(x)): (L·e^(λL) − y)/λ, and
    L²·h(λL) by the series where |λL| < ½ (exact at λ = 0: L²/2; the quotient cancels and
    is 0/0 there). The quotient sees λ = 1 at those entries, so its derivatives stay finite."""
    u = multiply(lmbda, logarithm)
    small = np.abs(np.asarray(primal_value(u))) < _BOXCOX_SMALL
    series = multiply(square(logarithm), power_series(_BOXCOX_SERIES, u)) if small.any() else None
    if small.all():
        return series
    if small.any():
        lmbda = where(small, 1.0, lmbda)
    quotient = divide(subtract(multiply(logarithm, exp(multiply(lmbda, logarithm))), out),
                      lmbda)
    return where(small, series, quotient) if small.any() else quotient


def _minus_one(lmbda):
    """λ − 1, a Python number kept one (a float32 x stays float32)."""
    return lmbda - 1.0 if is_python_number(lmbda) else subtract(lmbda, 1.0)


def _boxcox_domain(rng, dtype):
    cases = dom.binary(dom.positive, dom.real)(rng, dtype)
    return cases + [((dom.positive(rng, (4,), dtype), np.array([0.0, 1e-3, -0.2, 0.45],
                                                               dtype=dtype)), {})]


_BOXCOX_DOC = ("y = ({base}^λ − 1)/λ, log({base}) at λ = 0 (scipy's {name}(x, lmbda), "
               "broadcasting); with L = {log}: ∂/∂x = e^((λ − 1)L), ∂/∂λ = (L·e^(λL) − y)/λ, "
               "by the series L²·Σ_k (k + 1)u^k/(k + 2)! for |u| = |λL| < ½ (L²/2 at λ = 0)")
_BOXCOX_REFS = ("Box & Cox (1964), J. R. Stat. Soc. B 26(2), doi:10.1111/j.2517-6161.1964.tb00553.x",)

boxcox = defbinary(
    "special.boxcox", sc.boxcox,
    lambda x, lmbda, out: exp(multiply(_minus_one(lmbda), log(x))),
    lambda x, lmbda, out: _boxcox_lmbda_partial(lmbda, log(x), out), 6,
    _BOXCOX_DOC.format(name="boxcox", base="x", log="log x"),
    domain=_boxcox_domain, namespace=NAMESPACE, refs=_BOXCOX_REFS)

boxcox1p = defbinary(
    "special.boxcox1p", sc.boxcox1p,
    lambda x, lmbda, out: exp(multiply(_minus_one(lmbda), log1p(x))),
    lambda x, lmbda, out: _boxcox_lmbda_partial(lmbda, log1p(x), out), 6,
    _BOXCOX_DOC.format(name="boxcox1p", base="(1 + x)", log="log1p(x)"), domain=_boxcox_domain,
    namespace=NAMESPACE, refs=_BOXCOX_REFS)


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


@defcomposite("special.logsumexp", namespace=NAMESPACE, domain=_logsumexp_domain,
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


@defcomposite("special.softmax", namespace=NAMESPACE, domain=_softmax_domain,
              doc="softmax(x, axis=None) = exp(x − logsumexp(x, axis)) (scipy's signature: "
                  "axis=None normalizes over all entries): admodes.nn.softmax")
def softmax(x, axis=None):
    return nn_softmax(x, axis=axis)


@defcomposite("special.log_softmax", namespace=NAMESPACE, domain=_softmax_domain,
              doc="log_softmax(x, axis=None) = x − logsumexp(x, axis) (scipy's signature: "
                  "axis=None normalizes over all entries): admodes.nn.log_softmax")
def log_softmax(x, axis=None):
    return nn_log_softmax(x, axis=axis)
