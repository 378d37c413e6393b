"""More of scipy.special, in the ``admodes.scipy.special`` namespace: the functions defined by
integrals whose derivatives are closed forms in functions already here.

The scaled complementary error function and Dawson's integral (erfcx, dawsn), the exponential
integrals (exp1, expi, expn), the dilogarithm (spence), the regularized incomplete gamma and
beta functions (gammainc, gammaincc, betainc) and the Hurwitz zeta function (zeta).

The derivative of an incomplete gamma or beta function with respect to its parameters, and of
zeta with respect to its exponent, is no closed form (JAX computes some by series); admodes
does not approximate them. Differentiating with respect to such an argument is a TypeError
that names it, so a derivative is never silently dropped; the argument may be passed as a
constant (a Python number or a plain array) and the others differentiated.

References
----------
DLMF: NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov (equation numbers
in each op's doc). A&S: Abramowitz, M. & Stegun, I. A. (1964). Handbook of Mathematical
Functions. National Bureau of Standards, Applied Mathematics Series 55.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from admodes.ops import _domains as dom
from admodes.ops._flops import elementwise as ew_cost
from admodes.ops._helpers import align, unbroadcast
from admodes.ops.elementwise import (
    add,
    defbinary,
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
from admodes.ops.special import (
    ABRAMOWITZ_STEGUN,
    DLMF,
    NAMESPACE,
    betaln,
    defspecial,
    gammaln,
    in_input_dtype,
    number_or_op,
    power_series,
    static_integer,
)
from admodes.registry import defop
from admodes.tracing import ndim_of, primal_value, shape_of

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _no_derivative(function, argument, position, why):
    """The error for a derivative admodes does not have: it names the argument."""
    return TypeError(
        f"{function}(): no derivative with respect to {argument} (argument {position}) is "
        f"available: {why}. Pass {argument} as a constant (a Python number or a plain array) "
        f"and differentiate with respect to the other arguments only")


def _refuse(function, argument, position, why):
    """A partial that raises :func:`_no_derivative` when a rule asks for it."""
    def partial(*primals):
        raise _no_derivative(function, argument, position, why)
    return partial


def _parameter_domain(parameters, sampler):
    """Cases with the given constant (Python number) leading parameters and arrays of
    ``sampler`` values over the unary shape family (the parameters are not differentiated)."""
    def domain(rng, dtype):
        return [((*params, sampler(rng, shape, dtype)), {})
                for params, shape in zip(parameters, dom.UNARY_SHAPES)]
    return domain


def _between(low, high):
    def sampler(rng, shape, dtype):
        return rng.uniform(low, high, size=shape).astype(dtype)
    return sampler


# -- erfcx and Dawson's integral -----------------------------------------------------------------

_ASYMPTOTIC_FROM = 10.0  # |x| from which the slopes are summed from their asymptotic series
_ASYMPTOTIC_TERMS = 16  # at |x| = 10 the 17th term is below 1e-19 of the first


def _double_factorial_series(x, sign):
    """Σ_{n=1..16} sign^n·(2n−1)!!/(2x²)^n, for |x| ≥ 10 (differentiable in x).

    The tails of erfcx' and dawsn', from the asymptotic expansions erfcx(x) ~
    (1/(x√π))·Σ (−1)^n (2n−1)!!/(2x²)^n (DLMF 7.12.1, A&S 7.1.23) and, with x → ix
    (D(x) = (√π/2)·Im w(x)), D(x) ~ (1/(2x))·Σ (2n−1)!!/(2x²)^n: 2x·erfcx(x) − 2/√π ~
    (2/√π)·Σ_{n≥1} (−1)^n (2n−1)!!/(2x²)^n as x → +∞ and 1 − 2x·D(x) ~
    −Σ_{n≥1} (2n−1)!!/(2x²)^n as |x| → ∞. Where the difference of the two close
    terms loses about x² units of relative accuracy, the series keeps all of it.
    """
    coefficients, c = [0.0], 1.0
    for n in range(1, _ASYMPTOTIC_TERMS + 1):
        c *= sign * (2 * n - 1)
        coefficients.append(c)
    return power_series(coefficients, divide(0.5, square(x)))


def _asymptotic_where(x, far, direct, series):
    """``series(x)`` where the mask ``far`` holds, ``direct()`` elsewhere; the series sees
    ``x = 10`` at the other entries, so every derivative of both branches stays finite."""
    if not far.any():
        return direct()
    if far.all():
        return series(x)
    return where(far, series(where(far, x, _ASYMPTOTIC_FROM)), direct())


def _erfcx_slope(x, y):
    """erfcx'(x) = 2x·y − 2/√π; the asymptotic series for x ≥ 10 (the direct form cancels)."""
    return _asymptotic_where(
        x, np.asarray(primal_value(x)) >= _ASYMPTOTIC_FROM,
        lambda: subtract(multiply(multiply(x, y), 2.0), _TWO_OVER_SQRT_PI),
        lambda u: multiply(_double_factorial_series(u, -1.0), _TWO_OVER_SQRT_PI))


def _dawsn_slope(x, y):
    """D'(x) = 1 − 2x·D(x); the asymptotic series for |x| ≥ 10 (the direct form cancels)."""
    return _asymptotic_where(
        x, np.abs(np.asarray(primal_value(x))) >= _ASYMPTOTIC_FROM,
        lambda: subtract(1.0, multiply(multiply(x, y), 2.0)),
        lambda u: negative(_double_factorial_series(u, 1.0)))


def _both_regimes(signs):
    """A sampler mixing entries in (−2, 2) with entries of magnitude in (10, 20), the
    asymptotic branch, whose sign is drawn from ``signs``."""
    def sampler(rng, shape, dtype):
        far = rng.uniform(size=shape) < 0.5
        magnitude = rng.uniform(10.0, 20.0, size=shape) * rng.choice(signs, size=shape)
        return np.where(far, magnitude, rng.uniform(-2.0, 2.0, size=shape)).astype(dtype)
    return sampler


erfcx = defspecial(
    "erfcx", sc.erfcx, _erfcx_slope, 3,
    "y = e^(x²)·erfc(x) (overflow-free for large x); ẏ = (2x·y − 2/√π)·ẋ; "
    "x̄ = (2x·y − 2/√π)·ȳ; for x ≥ 10 the slope is summed from its asymptotic series "
    "(2/√π)·Σ (−1)ⁿ(2n−1)!!/(2x²)ⁿ, which keeps the relative accuracy the difference loses",
    (DLMF.format("7.2.3, 7.10.1, 7.12.1"), ABRAMOWITZ_STEGUN.format("7.1.23")),
    domain=dom.unary(_both_regimes((1.0,))))

dawsn = defspecial(
    "dawsn", sc.dawsn, _dawsn_slope, 3,
    "y = D(x) = e^(−x²)∫₀ˣ e^(t²) dt (Dawson's integral); ẏ = (1 − 2x·y)·ẋ; "
    "x̄ = (1 − 2x·y)·ȳ; for |x| ≥ 10 the slope is summed from its asymptotic series "
    "−Σ (2n−1)!!/(2x²)ⁿ (erfcx's expansion with x → ix)", (DLMF.format("7.2.5, 7.10.2, 7.12.1"),),
    domain=dom.unary(_both_regimes((-1.0, 1.0))))


# -- exponential integrals -----------------------------------------------------------------------

exp1 = defspecial(
    "exp1", sc.exp1, lambda x, y: negative(divide(exp(negative(x)), x)), 3,
    "y = E₁(x) = ∫ₓ^∞ e^(−t)/t dt for x > 0; ẏ = −e^(−x)/x·ẋ; x̄ = −e^(−x)/x·ȳ",
    (DLMF.format("6.2.1"), ABRAMOWITZ_STEGUN.format("5.1.1")),
    domain=dom.unary(dom.positive), saves=("inputs",))

expi = defspecial(
    "expi", sc.expi, lambda x, y: divide(exp(x), x), 3,
    "y = Ei(x) = −∫₋ₓ^∞ e^(−t)/t dt (principal value for x > 0); ẏ = eˣ/x·ẋ; x̄ = eˣ/x·ȳ",
    (DLMF.format("6.2.5"), ABRAMOWITZ_STEGUN.format("5.1.2")),
    domain=dom.unary(dom.away_from_zero), saves=("inputs",))


def _expn_parse(n, x):
    return (x,), {"n": static_integer(n, "expn", "n", "the order of the exponential integral")}


def _expn_slope(x, out, n):
    """dEₙ/dx = −Eₙ₋₁(x) (n ≥ 1); E₀ = e^(−x)/x has E₀' = −E₀·(1 + 1/x)."""
    if n == 0:
        return negative(multiply(out, add(divide(1.0, x), 1.0)))
    return negative(expn(n - 1, x))


def _expn_domain(rng, dtype):
    return [((n, dom.positive(rng, shape, dtype)), {})
            for n, shape in zip((0, 1, 2, 5), dom.UNARY_SHAPES)]


expn = defop(
    "special.expn", in_input_dtype(lambda x, n: sc.expn(n, x)), parse=_expn_parse,
    static={"n": 1},
    jvp=lambda p, t, out, n: multiply(t[0], _expn_slope(p[0], out, n)),
    vjp=lambda ct, p, out, n: (multiply(ct, _expn_slope(p[0], out, n)),),
    cost=ew_cost(4), domain=_expn_domain, namespace=NAMESPACE,
    refs=(DLMF.format("8.19.1, 8.19.13"), ABRAMOWITZ_STEGUN.format("5.1.4, 5.1.26")),
    doc="y = Eₙ(x) = ∫₁^∞ e^(−xt)/tⁿ dt for x > 0 (expn(n, x), n a static integer ≥ 0); "
        "ẏ = −Eₙ₋₁(x)·ẋ, x̄ = −Eₙ₋₁(x)·ȳ; for n = 0, E₀ = e^(−x)/x and E₀' = −E₀·(1 + 1/x)")


# -- the dilogarithm -------------------------------------------------------------------------------

#: log1p(u)/u = Σ_k (−u)^k/(k + 1), for |u| < 0.1: 16 terms leave an error below 1e−17
_LOG1P_RATIO_SERIES = tuple((-1.0) ** k / (k + 1) for k in range(16))
_SPENCE_SMALL = 0.1


def _spence_slope(z, y):
    """spence'(z) = log(z)/(1 − z) = −log1p(u)/u with u = z − 1 (exact for z in [½, 2]); for
    |u| < 0.1, where the quotient is 0/0 at u = 0 and its derivatives cancel, by the series
    (exact at z = 1: spence'(1) = −1, spence''(1) = ½). The quotient sees u = 1 there."""
    u = subtract(z, 1.0)
    small = np.abs(np.asarray(primal_value(u))) < _SPENCE_SMALL
    if small.all():
        return negative(power_series(_LOG1P_RATIO_SERIES, u))
    safe = where(small, 1.0, u) if small.any() else u
    ratio = divide(log1p(safe), safe)
    if small.any():
        ratio = where(small, power_series(_LOG1P_RATIO_SERIES, u), ratio)
    return negative(ratio)


def _spence_domain(rng, dtype):
    inside = _between(0.1, 0.95)  # the first cases below 1 (JAX's derivative is nan above 1)
    return [((inside(rng, (), dtype),), {}), ((inside(rng, (3,), dtype),), {}),
            ((dom.positive(rng, (2, 3), dtype),), {}),
            ((np.array([1.0, 0.97, 1.04, 1.6, 0.3], dtype=dtype),), {})]


spence = defspecial(
    "spence", sc.spence, _spence_slope, 4,
    "y = spence(z) = ∫₁ᶻ log t/(1 − t) dt for z ≥ 0 (scipy's dilogarithm: Li₂(1 − z)); "
    "ẏ = log z/(1 − z)·ż, z̄ = log z/(1 − z)·ȳ, as −log1p(z − 1)/(z − 1) (by its series near "
    "z = 1, where it is −1)", (DLMF.format("25.12.1, 25.12.2"),),
    domain=_spence_domain, saves=("inputs",))


# -- incomplete gamma and beta functions ---------------------------------------------------------

_PARAMETER_WHY = ("its derivative with respect to the parameter {name} is no closed form "
                  "(admodes has only ∂/∂x)")


def _gamma_density(a, x):
    """x^(a−1)e^(−x)/Γ(a) = exp((a − 1)log x − x − log Γ(a)) (no overflow of Γ(a)); a Python
    number a stays one, so a float32 x stays float32."""
    shift = a - 1.0 if is_python_number(a) else subtract(a, 1.0)
    return exp(subtract(subtract(multiply(log(x), shift), x),
                        number_or_op(a, sc.gammaln, gammaln)))


_GAMMA_PARAMETERS = [(0.7,), (1.5,), (2.3,), (4.0,)]

gammainc = defbinary(
    "special.gammainc", in_input_dtype(sc.gammainc),
    _refuse("gammainc", "a", 0, _PARAMETER_WHY.format(name="a")),
    lambda a, x, out: _gamma_density(a, x), 6,
    "y = P(a, x) = γ(a, x)/Γ(a), the regularized lower incomplete gamma function "
    "(broadcasting); ∂/∂x = x^(a−1)e^(−x)/Γ(a); ∂/∂a: a TypeError (no closed form)",
    domain=_parameter_domain(_GAMMA_PARAMETERS, dom.positive), namespace=NAMESPACE,
    saves=("inputs",), refs=(DLMF.format("8.2.4, 8.8.13"),))

gammaincc = defbinary(
    "special.gammaincc", in_input_dtype(sc.gammaincc),
    _refuse("gammaincc", "a", 0, _PARAMETER_WHY.format(name="a")),
    lambda a, x, out: negative(_gamma_density(a, x)), 6,
    "y = Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x) (broadcasting); ∂/∂x = −x^(a−1)e^(−x)/Γ(a); "
    "∂/∂a: a TypeError (no closed form)",
    domain=_parameter_domain(_GAMMA_PARAMETERS, dom.positive), namespace=NAMESPACE,
    saves=("inputs",), refs=(DLMF.format("8.2.4, 8.8.13"),))


def _beta_density(a, b, x):
    """x^(a−1)(1 − x)^(b−1)/B(a, b), in the exponent as for the gamma density."""
    def shift(p):
        return p - 1.0 if is_python_number(p) else subtract(p, 1.0)
    log_beta = (float(sc.betaln(a, b)) if is_python_number(a) and is_python_number(b)
                else betaln(a, b))
    return exp(subtract(add(multiply(log(x), shift(a)), multiply(log1p(negative(x)), shift(b))),
                        log_beta))


def _betainc_jvp(primals, tangents, out):
    a, b, x = primals
    for position, name in ((0, "a"), (1, "b")):
        if tangents[position] is not None:
            raise _no_derivative("betainc", name, position, _PARAMETER_WHY.format(name=name))
    return multiply(align(tangents[2], ndim_of(out)), _beta_density(a, b, x))


def _betainc_vjp(ct, primals, out, wants=(True, True, True)):
    a, b, x = primals
    for position, name in ((0, "a"), (1, "b")):
        if wants[position]:
            raise _no_derivative("betainc", name, position, _PARAMETER_WHY.format(name=name))
    if not wants[2]:
        return None, None, None
    return None, None, unbroadcast(multiply(ct, _beta_density(a, b, x)), shape_of(x))


betainc = defop(
    "special.betainc", sc.betainc, jvp=_betainc_jvp, vjp=_betainc_vjp, cost=ew_cost(8),
    nargs=3, selective=True, saves=("inputs",), namespace=NAMESPACE,
    domain=_parameter_domain([(0.7, 1.5), (2.5, 0.8), (1.5, 3.0), (4.0, 2.0)],
                             _between(0.1, 0.9)),
    refs=(DLMF.format("8.17.2, 8.17.1"),),
    doc="y = I_x(a, b) = B(x; a, b)/B(a, b), the regularized incomplete beta function "
        "(broadcasting); ∂/∂x = x^(a−1)(1 − x)^(b−1)/B(a, b) (x̄ unbroadcast); ∂/∂a, ∂/∂b: a "
        "TypeError (no closed form)")


# -- the Hurwitz zeta function -------------------------------------------------------------------

def _zeta_signature(x, q=None, out=None):
    """scipy's zeta(x, q=None, out=None): q = None is Riemann's ζ(x) = ζ(x, 1)."""
    if out is not None:
        raise TypeError("zeta(): out= is not supported (traced arrays are immutable)")
    return zeta(x, 1.0 if q is None else q)


zeta = defbinary(
    "special.zeta", sc.zeta,
    _refuse("zeta", "x", 0, "∂ζ(x, q)/∂x = −Σ_k log(k + q)/(k + q)^x is no closed form"),
    lambda x, q, out: multiply(zeta(x + 1, q), -x), 4,
    "y = ζ(x, q) = Σ_{k≥0} (k + q)^(−x) for x > 1 (the Hurwitz zeta function; q = None: "
    "Riemann's ζ(x) = ζ(x, 1); broadcasting); ∂/∂q = −x·ζ(x + 1, q); ∂/∂x: a TypeError (no "
    "closed form)",
    domain=_parameter_domain([(2.5,), (1.7,), (3.2,), (4.0,)], dom.positive),
    numpy_signature=_zeta_signature, namespace=NAMESPACE, saves=("inputs",),
    refs=(DLMF.format("25.11.1, 25.11.17"),))
