"""Elementwise ops: arithmetic, transcendental functions and the piecewise ones with kinks.

Most ops are declared through two factories that take the partial derivatives once and build
both rules from them: for ``y = f(x1, ..., xn)`` with partials ``∂y/∂xi``,
JVP ``ẏ = Σ ∂y/∂xi · ẋi`` (tangents aligned to the broadcast output) and
VJP ``x̄i = unbroadcast(ȳ · ∂y/∂xi)``. Partials are written with registry ops, so the rules are
differentiable again. Partials of piecewise-constant derivatives (abs, maximum, clip) are
computed from values and are constants, which makes their second derivatives zero.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from admodes import conventions
from admodes.ops import _domains as dom
from admodes.ops._flops import elementwise as ew_cost
from admodes.ops._helpers import align, unbroadcast
from admodes.registry import defcomposite, defop
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of


def is_python_number(x) -> bool:
    """True for a Python number operand (``x * 2.0``), which a partial can use as a Python
    number, so that it stays weakly typed and keeps a float32 operand float32.

    numpy scalars are not Python numbers here: a ufunc applied to a 0-d array returns one
    (``np.sin(np.array(0.3))`` is an ``np.float64``), and it may be a traced intermediate.
    """
    return isinstance(x, numbers.Number) and not isinstance(x, np.generic)


def defunary(name, impl, partial, flops, doc, domain=None, saves=("inputs", "out"), **fields):
    """Declare ``y = impl(x)`` with ``ẏ = partial(x, y)·ẋ`` and ``x̄ = partial(x, y)·ȳ``."""
    def jvp(primals, tangents, out):
        return multiply(tangents[0], partial(primals[0], out))

    def vjp(ct, primals, out):
        return (multiply(ct, partial(primals[0], out)),)

    return defop(name, impl, jvp=jvp, vjp=vjp, cost=ew_cost(flops), doc=doc,
                 domain=domain or dom.unary(), saves=saves, **fields)


def defbinary(name, impl, partial_x, partial_y, flops, doc, domain=None, **fields):
    """Declare a broadcasting ``y = impl(a, b)`` from its two partial derivatives."""
    def jvp(primals, tangents, out):
        a, b = primals
        ta, tb = tangents
        nd = ndim_of(out)
        result = None
        if ta is not None:
            result = multiply(align(ta, nd), partial_x(a, b, out))
        if tb is not None:
            term = multiply(align(tb, nd), partial_y(a, b, out))
            result = term if result is None else add(result, term)
        return result

    def vjp(ct, primals, out, wants=(True, True)):
        a, b = primals
        ga = unbroadcast(multiply(ct, partial_x(a, b, out)), shape_of(a)) if wants[0] else None
        gb = unbroadcast(multiply(ct, partial_y(a, b, out)), shape_of(b)) if wants[1] else None
        return ga, gb

    return defop(name, impl, jvp=jvp, vjp=vjp, cost=ew_cost(flops), doc=doc,
                 domain=domain or dom.binary(), nargs=2, selective=True, **fields)


# -- linear arithmetic (own rules: no multiplication by a unit partial) -------------------------

def _add_jvp(primals, tangents, out):
    ta, tb = tangents
    nd = ndim_of(out)
    if ta is None:
        return align(tb, nd)
    if tb is None:
        return align(ta, nd)
    return add(align(ta, nd), align(tb, nd))


def _add_vjp(ct, primals, out, wants=(True, True)):
    a, b = primals
    return (unbroadcast(ct, shape_of(a)) if wants[0] else None,
            unbroadcast(ct, shape_of(b)) if wants[1] else None)


add = defop(
    "add", np.add, jvp=_add_jvp, vjp=_add_vjp, cost=ew_cost(1), domain=dom.binary(),
    nargs=2, linear=True, saves=(), selective=True,
    doc="y = a + b (broadcasting); ẏ = ȧ + ḃ; ā = unbroadcast(ȳ), b̄ = unbroadcast(ȳ); 1 flop/elem")


def _subtract_jvp(primals, tangents, out):
    ta, tb = tangents
    nd = ndim_of(out)
    if tb is None:
        return align(ta, nd)
    tb = negative(align(tb, nd))
    return tb if ta is None else add(align(ta, nd), tb)


def _subtract_vjp(ct, primals, out, wants=(True, True)):
    a, b = primals
    return (unbroadcast(ct, shape_of(a)) if wants[0] else None,
            unbroadcast(negative(ct), shape_of(b)) if wants[1] else None)


subtract = defop(
    "subtract", np.subtract, jvp=_subtract_jvp, vjp=_subtract_vjp, cost=ew_cost(1),
    domain=dom.binary(), nargs=2, linear=True, saves=(), selective=True,
    doc="y = a − b (broadcasting); ẏ = ȧ − ḃ; ā = unbroadcast(ȳ), b̄ = −unbroadcast(ȳ)")

negative = defop(
    "negative", np.negative, jvp=lambda p, t, out: negative(t[0]),
    vjp=lambda ct, p, out: (negative(ct),), cost=ew_cost(1), domain=dom.unary(),
    linear=True, saves=(), doc="y = −x; ẏ = −ẋ; x̄ = −ȳ")

multiply = defbinary(
    "multiply", np.multiply, lambda a, b, out: b, lambda a, b, out: a, 1,
    "y = a·b (broadcasting); ẏ = ȧ·b + a·ḃ; ā = unbroadcast(ȳ·b), b̄ = unbroadcast(ȳ·a)",
    saves=("inputs",))


def _reciprocal(b):
    """1/b; a Python number stays one, so a float32 tangent is not promoted to float64."""
    return 1.0 / b if is_python_number(b) else divide(1.0, b)


divide = defbinary(
    "divide", np.divide, lambda a, b, out: _reciprocal(b),
    lambda a, b, out: negative(divide(out, b)), 1,
    "y = a/b; ẏ = ȧ/b − y·ḃ/b; ā = ȳ/b, b̄ = −ȳ·y/b (unbroadcast)",
    domain=dom.binary(dom.real, dom.away_from_zero))


def _log_base(a, b, out):
    """∂(a^b)/∂b = a^b·log a for a > 0; 0 at a = 0 (the limit for b > 0); nan for a < 0."""
    if is_python_number(a):  # a Python base (2.0 ** x): a Python factor keeps x's dtype
        return multiply(out, math.log(a) if a > 0 else 0.0 if a == 0 else math.nan)
    value = primal_value(a)
    safe = where(value > 0, a, 1.0)
    factor = np.where(value >= 0, 1.0, np.nan).astype(np.result_type(value, 1.0))
    return multiply(multiply(out, log(safe)), factor)


def _power_base(a, b, out):
    """∂(a^b)/∂a = b·a^(b−1); a Python exponent stays one, keeping a's dtype."""
    return multiply(b, power(a, b - 1 if is_python_number(b) else subtract(b, 1)))


power = defbinary(
    "power", np.power, _power_base, _log_base, 1,
    "y = a**b; ẏ = b·a**(b−1)·ȧ + y·log(a)·ḃ; ā = ȳ·b·a**(b−1), b̄ = ȳ·y·log(a) "
    "(b̄ = 0 where a = 0, nan where a < 0: a**b is not real-differentiable in b there)",
    domain=dom.binary(dom.positive, dom.real))


# -- smooth unary functions -------------------------------------------------------------------

def _sq(x):
    return multiply(x, x)


exp = defunary("exp", np.exp, lambda x, y: y, 1, "y = exp(x); ẏ = y·ẋ; x̄ = y·ȳ", saves=("out",))
log = defunary("log", np.log, lambda x, y: divide(1.0, x), 1, "y = log(x); ẏ = ẋ/x; x̄ = ȳ/x",
             domain=dom.unary(dom.positive), saves=("inputs",))
log1p = defunary("log1p", np.log1p, lambda x, y: divide(1.0, add(x, 1.0)), 1,
               "y = log(1 + x); ẏ = ẋ/(1 + x); x̄ = ȳ/(1 + x)", domain=dom.unary(dom.positive),
               saves=("inputs",))
expm1 = defunary("expm1", np.expm1, lambda x, y: add(y, 1.0), 1,
               "y = exp(x) − 1; ẏ = (y + 1)·ẋ; x̄ = (y + 1)·ȳ", saves=("out",))
sqrt = defunary("sqrt", np.sqrt, lambda x, y: divide(0.5, y), 1,
              "y = √x; ẏ = ẋ/(2y); x̄ = ȳ/(2y)", domain=dom.unary(dom.positive), saves=("out",))
square = defunary("square", np.square, lambda x, y: multiply(2.0, x), 1,
                "y = x²; ẏ = 2x·ẋ; x̄ = 2x·ȳ", saves=("inputs",))
sin = defunary("sin", np.sin, lambda x, y: cos(x), 1, "y = sin(x); ẏ = cos(x)·ẋ; x̄ = cos(x)·ȳ",
             saves=("inputs",))
cos = defunary("cos", np.cos, lambda x, y: negative(sin(x)), 1,
             "y = cos(x); ẏ = −sin(x)·ẋ; x̄ = −sin(x)·ȳ", saves=("inputs",))
tan = defunary("tan", np.tan, lambda x, y: add(1.0, _sq(y)), 1,
             "y = tan(x); ẏ = (1 + y²)·ẋ; x̄ = (1 + y²)·ȳ", domain=dom.unary(dom.unit),
             saves=("out",))
tanh = defunary("tanh", np.tanh, lambda x, y: subtract(1.0, _sq(y)), 1,
              "y = tanh(x); ẏ = (1 − y²)·ẋ; x̄ = (1 − y²)·ȳ; cost 1 tanh + 3 flops/elem",
              saves=("out",))
sinh = defunary("sinh", np.sinh, lambda x, y: cosh(x), 1,
              "y = sinh(x); ẏ = cosh(x)·ẋ; x̄ = cosh(x)·ȳ", saves=("inputs",))
cosh = defunary("cosh", np.cosh, lambda x, y: sinh(x), 1,
              "y = cosh(x); ẏ = sinh(x)·ẋ; x̄ = sinh(x)·ȳ", saves=("inputs",))
arctan = defunary("arctan", np.arctan, lambda x, y: divide(1.0, add(1.0, _sq(x))), 1,
                "y = arctan(x); ẏ = ẋ/(1 + x²); x̄ = ȳ/(1 + x²)", saves=("inputs",))
arcsin = defunary("arcsin", np.arcsin, lambda x, y: divide(1.0, sqrt(subtract(1.0, _sq(x)))), 1,
                "y = arcsin(x); ẏ = ẋ/√(1 − x²); x̄ = ȳ/√(1 − x²)", domain=dom.unary(dom.unit),
                saves=("inputs",))
arccos = defunary("arccos", np.arccos,
                lambda x, y: negative(divide(1.0, sqrt(subtract(1.0, _sq(x))))), 1,
                "y = arccos(x); ẏ = −ẋ/√(1 − x²); x̄ = −ȳ/√(1 − x²)",
                domain=dom.unary(dom.unit), saves=("inputs",))

arcsinh = defunary("arcsinh", np.arcsinh, lambda x, y: divide(1.0, sqrt(add(_sq(x), 1.0))), 1,
                 "y = arcsinh(x); ẏ = ẋ/√(x² + 1); x̄ = ȳ/√(x² + 1)", saves=("inputs",))
arccosh = defunary("arccosh", np.arccosh,
                 lambda x, y: divide(1.0, sqrt(subtract(_sq(x), 1.0))), 1,
                 "y = arccosh(x) (x ≥ 1); ẏ = ẋ/√(x² − 1); x̄ = ȳ/√(x² − 1)",
                 domain=dom.unary(dom.above_one), saves=("inputs",))
arctanh = defunary("arctanh", np.arctanh, lambda x, y: divide(1.0, subtract(1.0, _sq(x))), 1,
                 "y = arctanh(x) (|x| < 1); ẏ = ẋ/(1 − x²); x̄ = ȳ/(1 − x²)",
                 domain=dom.unary(dom.unit), saves=("inputs",))
log2 = defunary("log2", np.log2, lambda x, y: divide(1.0 / math.log(2.0), x), 1,
              "y = log₂(x); ẏ = ẋ/(x ln 2); x̄ = ȳ/(x ln 2)", domain=dom.unary(dom.positive),
              saves=("inputs",))
log10 = defunary("log10", np.log10, lambda x, y: divide(1.0 / math.log(10.0), x), 1,
               "y = log₁₀(x); ẏ = ẋ/(x ln 10); x̄ = ȳ/(x ln 10)", domain=dom.unary(dom.positive),
               saves=("inputs",))
exp2 = defunary("exp2", np.exp2, lambda x, y: multiply(y, math.log(2.0)), 1,
              "y = 2ˣ; ẏ = y ln 2·ẋ; x̄ = y ln 2·ȳ", saves=("out",))
reciprocal = defunary("reciprocal", np.reciprocal, lambda x, y: negative(_sq(y)), 1,
                    "y = 1/x; ẏ = −y²·ẋ; x̄ = −y²·ȳ", domain=dom.unary(dom.away_from_zero),
                    saves=("out",))
cbrt = defunary("cbrt", np.cbrt, lambda x, y: divide(1.0, multiply(3.0, _sq(y))), 1,
              "y = ∛x (real, all x); ẏ = ẋ/(3y²); x̄ = ȳ/(3y²) (infinite at x = 0)",
              domain=dom.unary(dom.away_from_zero), saves=("out",))
deg2rad = defunary("deg2rad", np.deg2rad, lambda x, y: math.pi / 180.0, 1,
                 "y = x·π/180; ẏ = ẋ·π/180; x̄ = ȳ·π/180", saves=(), linear=True)
rad2deg = defunary("rad2deg", np.rad2deg, lambda x, y: 180.0 / math.pi, 1,
                 "y = x·180/π; ẏ = ẋ·180/π; x̄ = ȳ·180/π", saves=(), linear=True)
hypot = defbinary(
    "hypot", np.hypot, lambda a, b, out: divide(a, out), lambda a, b, out: divide(b, out), 4,
    "y = √(a² + b²) without overflow (broadcasting); ẏ = (a·ȧ + b·ḃ)/y; ā = ȳ·a/y, b̄ = ȳ·b/y "
    "(unbroadcast); undefined at a = b = 0", domain=dom.binary(dom.away_from_zero,
                                                              dom.away_from_zero))


def _arctan2_partial(a, b, sign):
    return divide(b if sign > 0 else negative(a), add(_sq(a), _sq(b)))


arctan2 = defbinary(
    "arctan2", np.arctan2, lambda a, b, out: _arctan2_partial(a, b, 1),
    lambda a, b, out: _arctan2_partial(a, b, -1), 4,
    "y = atan2(a, b), the angle of (b, a); ẏ = (b·ȧ − a·ḃ)/(a² + b²); ā = ȳ·b/(a² + b²), "
    "b̄ = −ȳ·a/(a² + b²) (unbroadcast); the angle jumps by 2π across a = 0, b < 0",
    domain=dom.binary(dom.away_from_zero, dom.away_from_zero), saves=("inputs",))


# -- piecewise functions (kinks; conventions in admodes.conventions) ------------------------------

def abs_partial(x, y):
    """abs'(x) = sign(x), and conventions.current().abs at x = 0."""
    value = primal_value(x)
    return np.where(value == 0, conventions.current().abs, np.sign(value)).astype(value.dtype)


abs = defunary(
    "abs", np.abs, abs_partial, 1,
    "y = |x|; ẏ = sign(x)·ẋ; x̄ = sign(x)·ȳ; at x = 0 the derivative is the convention "
    "conventions.abs (default 0)", domain=dom.unary(dom.away_from_zero), saves=("inputs",),
    kinks="abs'(0) = conventions.current().abs (default 0, the minimum-norm subgradient)")


@defcomposite("absolute", domain=dom.unary(dom.away_from_zero), kinks=abs.kinks,
              doc="numpy's other name of abs (np.absolute is the ufunc np.abs)")
def absolute(x):
    return abs(x)

sign = defop(
    "sign", np.sign, jvp=lambda p, t, out: None, vjp=lambda ct, p, out: (None,),
    cost=ew_cost(1), domain=dom.unary(dom.away_from_zero), saves=(),
    kinks="sign'(x) = 0 everywhere, including x = 0 (the jump is not differentiated)",
    doc="y = sign(x); ẏ = 0; x̄ = 0 (piecewise constant)")


def _tie_partials(a, b, winner):
    """Partials of an elementwise max/min: 1 to the winner, ties by the convention."""
    dtype = np.result_type(primal_value(a), primal_value(b))  # Python numbers stay weak
    va, vb = np.asarray(primal_value(a)), np.asarray(primal_value(b))
    wins_a = winner(va, vb)
    tie = va == vb
    share = 0.5 if conventions.current().ties == "split" else 1.0
    pa = np.where(tie, share, wins_a).astype(dtype)
    pb = np.where(tie, 1.0 - share, ~wins_a & ~tie).astype(dtype)
    return pa, pb


def _extremum(name, impl, winner, word):
    return defbinary(
        name, impl, lambda a, b, out: _tie_partials(a, b, winner)[0],
        lambda a, b, out: _tie_partials(a, b, winner)[1], 1,
        f"y = {name}(a, b); ẏ = ȧ where a is the {word}, ḃ where b is; ties follow "
        f"conventions.ties ('split': ½ each, 'first': all to a)",
        kinks="ties a == b: conventions.current().ties ('split' -> ½ each, 'first' -> a)",
        saves=("inputs",))


maximum = _extremum("maximum", np.maximum, np.greater, "larger")
minimum = _extremum("minimum", np.minimum, np.less, "smaller")


def _where_jvp(primals, tangents, out):
    cond = primals[0]
    _, ta, tb = tangents
    nd = ndim_of(out)
    ta = 0.0 if ta is None else align(ta, nd)
    tb = 0.0 if tb is None else align(tb, nd)
    return where(cond, ta, tb)


def _where_vjp(ct, primals, out, wants=(False, True, True)):
    cond, a, b = primals
    return (None,
            unbroadcast(where(cond, ct, 0.0), shape_of(a)) if wants[1] else None,
            unbroadcast(where(cond, 0.0, ct), shape_of(b)) if wants[2] else None)


def _where_domain(rng, dtype):
    cases = []
    for a, b in dom.BINARY_SHAPES:
        shape = np.broadcast_shapes(a, b)
        cond = rng.uniform(size=shape) < 0.5
        cases.append(((cond, dom.real(rng, a, dtype), dom.real(rng, b, dtype)), {}))
    return cases


def _where_numpy(condition, *choices):
    """numpy's one-argument where(condition): the indices of its nonzero entries (values)."""
    if choices:
        raise ValueError("where(): either both or neither of x and y should be given (numpy's "
                         "rule)")
    return np.nonzero(primal_value(condition))


where = defop(
    "where", np.where, jvp=_where_jvp, vjp=_where_vjp, cost=ew_cost(1), domain=_where_domain,
    nargs=3, nondiff_argnums=(0,), linear=True, saves=("inputs",), selective=True,
    numpy_signature=_where_numpy,
    doc="y = where(c, a, b); ẏ = where(c, ȧ, ḃ); ā = unbroadcast(where(c, ȳ, 0)), "
        "b̄ = unbroadcast(where(c, 0, ȳ)); the condition is not differentiated; where(c) is "
        "numpy's nonzero(c)")


@defcomposite("logaddexp", domain=dom.binary(),
              doc="logaddexp(a, b) = log(eᵃ + eᵇ) = max(a, b) + log1p(exp(−|a − b|)) (no "
                  "overflow); at a = b the tie of maximum and abs'(0) = 0 give ½ to each")
def logaddexp(a, b):
    return add(maximum(a, b), log1p(exp(negative(abs(subtract(a, b))))))


@defcomposite("logaddexp2", domain=dom.binary(),
              doc="logaddexp2(a, b) = log₂(2ᵃ + 2ᵇ) = max(a, b) + log1p(2^−|a − b|)/ln 2 (no "
                  "overflow); at a = b each gets ½, as in logaddexp")
def logaddexp2(a, b):
    return add(maximum(a, b), divide(log1p(exp2(negative(abs(subtract(a, b))))), math.log(2.0)))


def _clip_mask(x, a_min, a_max):
    value = primal_value(x)
    mask = np.ones(shape_of(value), dtype=bool)
    if a_min is not None:
        mask &= value >= a_min
    if a_max is not None:
        mask &= value <= a_max
    return mask.astype(value.dtype)


def _clip_domain(rng, dtype):
    cases = [((dom.real(rng, s, dtype),), {"a_min": -1.05, "a_max": 0.95})
             for s in dom.UNARY_SHAPES]
    return cases + [((dom.real(rng, (4,), dtype),), {"min": -0.45}),
                    ((dom.real(rng, (2, 3), dtype), None, 0.55), {})]


def _clip_impl(x, a_min, a_max):
    if a_min is None and a_max is None:
        raise ValueError("clip(): at least one of a_min and a_max must be given")
    return np.clip(x, a_min, a_max)


def _clip_parse(x, a_min=None, a_max=None, *, min=None, max=None):
    """numpy's two spellings of the bounds: ``clip(x, a_min, a_max)`` and, as in numpy ≥ 2.1
    and JAX, ``clip(x, min=..., max=...)``."""
    if (min is not None and a_min is not None) or (max is not None and a_max is not None):
        raise TypeError("clip(): a bound was given twice (a_min and min, or a_max and max); "
                        "pass each bound once")
    return (x,), {"a_min": a_min if min is None else min, "a_max": a_max if max is None else max}


clip = defop(
    "clip", _clip_impl, parse=_clip_parse,
    jvp=lambda p, t, out, a_min, a_max: multiply(t[0], _clip_mask(p[0], a_min, a_max)),
    vjp=lambda ct, p, out, a_min, a_max: (multiply(ct, _clip_mask(p[0], a_min, a_max)),),
    cost=ew_cost(2), domain=_clip_domain, static={"a_min": None, "a_max": None},
    saves=("inputs",),
    kinks="derivative 1 on the closed interval [a_min, a_max] (boundaries included), 0 outside",
    doc="y = clip(x, lo, hi); ẏ = 1[lo ≤ x ≤ hi]·ẋ; x̄ = 1[lo ≤ x ≤ hi]·ȳ; bounds are static")


def _cast_impl(x, dtype):
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"astype(): a traced array can only be cast to a floating dtype "
                        f"(the derivative of a cast to {dtype} is not defined)")
    return np.asarray(x).astype(dtype)


cast = defop(
    "cast", _cast_impl,
    jvp=lambda p, t, out, dtype: cast(t[0], dtype=dtype),
    vjp=lambda ct, p, out, dtype: (cast(ct, dtype=p[0].dtype),),
    cost=ew_cost(0), static={"dtype": np.float64}, linear=True, saves=(),
    namespace="internal",
    domain=lambda rng, dtype: [((dom.real(rng, s, dtype),), {"dtype": np.float32})
                               for s in dom.UNARY_SHAPES],
    doc="y = x cast to a floating dtype; ẏ = ẋ cast; x̄ = ȳ cast back to x's dtype")


def as_dtype(x, dtype):
    """``x`` (traced or plain) as an array of ``dtype``; a traced ``x`` is cast by ``cast``
    (its cotangent cast back) only where its dtype differs."""
    if isinstance(x, Tracer):
        return x if x.dtype == dtype else cast(x, dtype=dtype)
    return np.asarray(x, dtype=dtype)


def require_real(name, *xs):
    for x in xs:
        dtype = np.asarray(primal_value(x)).dtype
        if dtype.kind == "c":
            raise TypeError(f"{name}(): admodes differentiates real-valued functions only; got "
                            f"a complex input of dtype {dtype}. Pass its real and imaginary "
                            f"parts as two real arrays.")


# -- numpy's other smooth functions -----------------------------------------------------------

# Maclaurin coefficients of sinc'(u)/u for sin(u)/u: (−1)^k 2k/(2k + 1)!, k = 1, ..., 8; for
# |u| < ½ the first omitted term is below 1e-18 of the sum.
_SINC_SERIES = tuple((-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 9))
_SINC_SMALL = 0.5


def _sinc_series(u):
    """d/du (sin u / u) by its Maclaurin series u·Σ_k c_k u^(2k−2) (Horner in u²)."""
    u2 = _sq(u)
    acc = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        acc = add(multiply(acc, u2), c)
    return multiply(u, acc)


def _sinc_slope(x, y):
    """sinc'(x) = π·(u cos u − sin u)/u² with u = πx; for |u| < ½, where the quotient cancels
    (and is 0/0 at 0), by the series, which is exact at 0: sinc'(0) = 0, sinc''(0) = −π²/3.
    The quotient sees u = 1 at those entries, so its derivatives there are finite (and unused).
    """
    u = multiply(x, math.pi)
    small = np.abs(primal_value(u)) < _SINC_SMALL
    if small.all():
        return multiply(_sinc_series(u), math.pi)
    safe = where(small, 1.0, u) if small.any() else u
    slope = divide(subtract(multiply(safe, cos(safe)), sin(safe)), _sq(safe))
    if small.any():
        slope = where(small, _sinc_series(u), slope)
    return multiply(slope, math.pi)


def _sinc_domain(rng, dtype):
    cases = dom.unary()(rng, dtype)
    return cases + [((np.array([0.0, 0.04, -0.12, 0.7, -1.5], dtype=dtype),), {})]


sinc = defunary(
    "sinc", np.sinc, _sinc_slope, 4,
    "y = sin(πx)/(πx), y(0) = 1 (numpy's normalized sinc); ẏ = sinc'(x)·ẋ, x̄ = sinc'(x)·ȳ, "
    "sinc'(x) = (cos(πx) − y)/x, for |πx| < ½ by its Maclaurin series (exact at 0: "
    "sinc'(0) = 0, sinc''(0) = −π²/3)", domain=_sinc_domain, saves=("inputs",))


@defcomposite("float_power", domain=dom.binary(dom.positive, dom.real),
              doc="float_power(a, b) = a**b computed in float64, as numpy (a float64 result "
                  "for float32 inputs too); power's rules, float32 cotangents cast back")
def float_power(x1, x2):
    require_real("float_power", x1, x2)
    return power(as_dtype(x1, np.float64), as_dtype(x2, np.float64))


@defcomposite("radians", domain=dom.unary(), doc="numpy's other name of deg2rad")
def radians(x):
    return deg2rad(x)


@defcomposite("degrees", domain=dom.unary(), doc="numpy's other name of rad2deg")
def degrees(x):
    return rad2deg(x)


# -- numpy's functions of complex numbers, on real input ---------------------------------------

def _identity(name, numpy_function):
    def identity(x):
        require_real(name, x)
        return x if isinstance(x, Tracer) else numpy_function(x)
    return identity


_IDENTITY_DOC = ("{name}(x) = x for real x; ẏ = ẋ; x̄ = ȳ (a traced x is returned itself: "
                 "tracers are immutable); complex input is a TypeError (admodes is real-valued)")
positive = defcomposite("positive", domain=dom.unary(),
                        doc=_IDENTITY_DOC.format(name="positive"))(
    _identity("positive", np.positive))
real = defcomposite("real", domain=dom.unary(), doc=_IDENTITY_DOC.format(name="real"))(
    _identity("real", np.real))
conj = defcomposite("conj", domain=dom.unary(), doc=_IDENTITY_DOC.format(name="conj"))(
    _identity("conj", np.conj))
conjugate = defcomposite("conjugate", domain=dom.unary(),
                         doc=_IDENTITY_DOC.format(name="conjugate"))(
    _identity("conjugate", np.conjugate))


@defcomposite("imag", domain=dom.unary(),
              doc="imag(x) of a real x: zeros of x's shape and dtype, with derivative 0; "
                  "complex input is a TypeError (admodes is real-valued)")
def imag(x):
    require_real("imag", x)
    return np.imag(primal_value(x))


# -- numpy's other piecewise functions ----------------------------------------------------------

def _quotient_partial(a, b, out):
    """∂y/∂b = −q for y = a − q·b, q the integer quotient of numpy's value y, rint((a − y)/b):
    a constant, since y is linear in (a, b) on each piece."""
    va, vb = primal_value(a), primal_value(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.rint(np.divide(np.subtract(va, primal_value(out)), vb))
    return np.negative(q).astype(np.result_type(va, vb))


def _off_integer_quotient(a, b):
    """a/b at least 0.1 from every integer (the remainders jump at integers)."""
    q = np.divide(a, b, dtype=np.float64)
    return bool(np.all(np.abs(q - np.rint(q)) > 0.1))


_QUOTIENT_DOMAIN = dom.binary(dom.real, dom.away_from_zero, accept=_off_integer_quotient)
_QUOTIENT_KINKS = ("y jumps by ±b where a/b crosses {where}: the partials are those of the "
                   "piece numpy's value lies on (∂y/∂a = 1, ∂y/∂b = −q, q its integer quotient); "
                   "the jump itself is not differentiated (as sign's)")

remainder = defbinary(
    "remainder", np.remainder, lambda a, b, out: 1.0, _quotient_partial, 2,
    "y = a − ⌊a/b⌋·b (floored: y has b's sign); ẏ = ȧ − ⌊a/b⌋·ḃ; ā = unbroadcast(ȳ), "
    "b̄ = −unbroadcast(⌊a/b⌋·ȳ)", domain=_QUOTIENT_DOMAIN,
    kinks=_QUOTIENT_KINKS.format(where="an integer"))


@defcomposite("mod", domain=_QUOTIENT_DOMAIN, kinks=remainder.kinks,
              doc="numpy's other name of remainder (np.mod is the ufunc np.remainder)")
def mod(x1, x2):
    return remainder(x1, x2)


fmod = defbinary(
    "fmod", np.fmod, lambda a, b, out: 1.0, _quotient_partial, 2,
    "y = a − trunc(a/b)·b (C's fmod, truncated: y has a's sign); ẏ = ȧ − trunc(a/b)·ḃ; "
    "ā = unbroadcast(ȳ), b̄ = −unbroadcast(trunc(a/b)·ȳ)", domain=_QUOTIENT_DOMAIN,
    kinks=_QUOTIENT_KINKS.format(where="a nonzero integer"))


def _with_nan(x, index):
    x[index] = np.nan
    return x


def _nan_extremum_domain(rng, dtype):
    """The binary family, then NaNs in either operand (never both at one place: numpy gives
    NaN there)."""
    r = dom.real
    return dom.binary()(rng, dtype) + [
        ((_with_nan(r(rng, (2, 3), dtype), (0, 1)), _with_nan(r(rng, (2, 3), dtype), (1, 2))),
         {}),
        ((_with_nan(r(rng, (2, 3), dtype), (1, 0)), r(rng, (3,), dtype)), {})]


def _nan_losing(name, extremum):
    @defcomposite(name, domain=_nan_extremum_domain, kinks=extremum.kinks,
                  doc=f"{name}(a, b) = {extremum.name}(a, b) where neither is NaN, else the "
                      f"other operand (a NaN loses): the derivative goes to the non-NaN "
                      f"operand (to a where both are NaN); ties as {extremum.name}'s")
    def nan_losing(x1, x2):
        out = extremum(x1, x2)
        nan1, nan2 = np.isnan(primal_value(x1)), np.isnan(primal_value(x2))
        if not (nan1.any() or nan2.any()):
            return out
        return where(nan2, x1, where(nan1, x2, out))
    return nan_losing


fmax = _nan_losing("fmax", maximum)
fmin = _nan_losing("fmin", minimum)


def _heaviside_domain(rng, dtype):
    """x1 with exact zeros, as int8 (not differentiated; the result keeps x2's dtype), over
    the broadcasting shapes; then float x1 away from 0 and a Python 0.0."""
    steps = [np.array([-1, 0, 2, 0], dtype=np.int8)] + [
        rng.integers(-1, 2, size=a).astype(np.int8) for a, _ in dom.BINARY_SHAPES]
    shapes = [(4,)] + [b for _, b in dom.BINARY_SHAPES]
    cases = [((s, dom.real(rng, b, dtype)), {}) for s, b in zip(steps, shapes)]
    return cases + [((dom.away_from_zero(rng, (2, 3), dtype), dom.real(rng, (3,), dtype)), {}),
                    ((0.0, dom.real(rng, (3,), dtype)), {})]


@defcomposite("heaviside", domain=_heaviside_domain,
              kinks="the step at x1 = 0 is not differentiated: ∂/∂x1 = 0 everywhere",
              doc="heaviside(x1, x2) = 0 for x1 < 0, x2 for x1 = 0, 1 for x1 > 0 "
                  "= where(x1 == 0, x2, step(x1)); ∂/∂x1 = 0, ∂/∂x2 = [x1 = 0]")
def heaviside(x1, x2):
    v1, v2 = primal_value(x1), primal_value(x2)
    step = np.heaviside(v1, 0.0).astype(np.result_type(v1, v2))
    return where(np.equal(v1, 0), x2, step)


@defcomposite("copysign", domain=dom.binary(dom.away_from_zero, dom.away_from_zero),
              kinks="at x1 = 0, ±abs'(0) = ±conventions.abs (default 0); the sign change of "
                    "x2 is not differentiated: ∂/∂x2 = 0",
              doc="copysign(x1, x2) = |x1| with x2's sign bit = where(signbit(x2), −|x1|, "
                  "|x1|); ∂/∂x1 = sign(x1)·(−1 if signbit(x2) else 1), ∂/∂x2 = 0")
def copysign(x1, x2):
    v2 = primal_value(x2)
    require_real("copysign", x1, v2)
    if not isinstance(x1, Tracer):
        return np.copysign(x1, v2)
    magnitude = abs(as_dtype(x1, np.result_type(primal_value(x1), v2)))
    return where(np.signbit(v2), negative(magnitude), magnitude)


@defcomposite("fabs", domain=dom.unary(dom.away_from_zero), kinks=abs.kinks,
              doc="fabs(x) = |x| for real x (numpy's abs for floats; complex input is a "
                  "TypeError)")
def fabs(x):
    require_real("fabs", x)
    return abs(x) if isinstance(x, Tracer) else np.fabs(x)


def _with_nonfinite(rng, shape, dtype, values=(np.nan, np.inf, -np.inf)):
    """Real values with ``values`` in turn at the odd flat indices."""
    x = dom.real(rng, shape, dtype)
    flat = x.reshape(-1)
    flat[1::2] = np.resize(np.array(values, dtype=dtype), flat[1::2].size)
    return x


def _nan_to_num_domain(rng, dtype):
    """Infinities only with finite replacements: the default, the dtype's largest magnitude,
    would overflow the tests' weighted sums."""
    cases = [((_with_nonfinite(rng, (2, 3), dtype),),
              {"nan": -1.0, "posinf": 5.0, "neginf": -5.0}),
             ((_with_nonfinite(rng, (3,), dtype, (np.inf, np.nan)),), {"posinf": 1e3})]
    return cases + [((_with_nonfinite(rng, s, dtype, (np.nan,)),), {})
                    for s in dom.UNARY_SHAPES]


@defcomposite("nan_to_num", domain=_nan_to_num_domain,
              doc="nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None) = "
                  "where(isfinite(x), x, numpy's replacement values); ẏ = ẋ at finite entries, "
                  "0 at replaced ones (posinf/neginf default to the dtype's largest finite "
                  "magnitudes; copy is numpy's for plain arrays, a traced x is never modified)")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    if not isinstance(x, Tracer):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    value = primal_value(x)
    finite = np.isfinite(value)
    if finite.all():
        return x
    return where(finite, x, np.nan_to_num(value, nan=nan, posinf=posinf, neginf=neginf))
