"""scipy.special's Bessel functions, in the ``admodes.scipy.special`` namespace: those of order
0 and 1 (j0, j1, y0, y1, k0, k1 and the scaled k0e, k1e; i0, i0e, i1, i1e are in
:mod:`admodes.ops.special`) and those of real order v (jv, yv, iv, kv and the scaled ive,
kve), differentiable in x.

Values are scipy.special's (the impls call it; a float32 x stays float32, also with an
integer-array order). Each derivative is again a Bessel function of the family, by the
recurrences C'_v = (C_{v−1} − C_{v+1})/2 for C = J, Y (DLMF 10.6.1–10.6.3),
I'_v = (I_{v−1} + I_{v+1})/2 and K'_v = −(K_{v−1} + K_{v+1})/2 (DLMF 10.29.1–10.29.3), written
with registry ops, so every order of derivative is available. The scaled functions add the
derivative of their factor: ive = e^(−|x|)·iv (−sign(x)·ive), kve = eˣ·kv (+kve).

Domains: J, I of integer order (and j0, j1) for every real x; of non-integer order, and
every Y and K, for x > 0 (scipy's real functions are nan for x < 0 there; Y and K diverge at
x = 0). The generated tests sample x in (0.5, 2) there, and in (−2, 2) (J, I of integer order;
j1 also at x = 0, where j1' = ½ exactly) or ±(0.5, 2) (ive, away from its kink at 0).

The derivative with respect to the order v is no closed form in Bessel functions (∂J_v/∂v is
a series, DLMF 10.15.1): differentiating with respect to v is a TypeError that names it; v may
be a constant (a Python number or a plain array broadcasting with x).

Cost (FLOPs per output element, transcendental evaluations counted as one FLOP each, as in
:mod:`admodes.ops._flops`): 2 for j0, j1, y0, y1, k0, k1 (as i0, i1), 3 for k0e, k1e (as
i0e), 4 for the real-order functions (as scipy's iv in bessel_i).

References: DLMF and Abramowitz & Stegun, as in :mod:`admodes.ops.special` (the equation
numbers in each op's doc).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from admodes.ops import _domains as dom
from admodes.ops.elementwise import (
    abs_partial,
    add,
    defbinary,
    divide,
    is_python_number,
    multiply,
    negative,
    subtract,
)
from admodes.ops.special import ABRAMOWITZ_STEGUN, DLMF, NAMESPACE, defspecial, in_input_dtype
from admodes.tracing import Tracer

_J_REFS = (DLMF.format("10.6.1, 10.6.2, 10.6.3"), ABRAMOWITZ_STEGUN.format("9.1.27, 9.1.28"))
_K_REFS = (DLMF.format("10.29.1, 10.29.2, 10.29.3"), ABRAMOWITZ_STEGUN.format("9.6.26, 9.6.27"))
_SCALED_REFS = ("scipy.special documentation of k0e, k1e, ive, kve (the scaled functions)",)
_SCALED_KINK = ("for an integer order v, e^(−|x|) has a kink at x = 0: the factor "
                "d|x|/dx = sign(x) is abs'(0) = conventions.current().abs there (default 0, as "
                "JAX's sign(0)), as in i0e")

# -- helpers of the rules ---------------------------------------------------------------------


def _order_plus(v, k):
    """v + k for the orders v ± 1 of a rule: a traced v by the registry's add (a derivative in
    v then reaches the refusal below); a Python number stays one and a plain array keeps its
    dtype (an integer order keeps a float32 x float32)."""
    if isinstance(v, Tracer):
        return add(v, k)
    return v + k if is_python_number(v) else np.add(v, k)


def _no_order_derivative(function):
    """The x-rules' companion for the order v: a partial that raises a TypeError naming v
    (the derivative in v is no closed form; it is never silently dropped)."""
    def partial(v, x, out):
        raise TypeError(
            f"{function}(): no derivative with respect to v (argument 0) is available: the "
            f"derivative of a Bessel function with respect to its order v is no closed form "
            f"(admodes has only ∂/∂x). Pass v as a constant (a Python number or a plain array) "
            f"and differentiate with respect to x only")
    return partial


def _j1_slope(x, y):
    """J₁' = (J₀ − J₂)/2 (= J₀ − J₁/x): the recurrence form, ½ at x = 0 exactly, no 0/0."""
    return multiply(subtract(j0(x), jv(2, x)), 0.5)


def _y1_slope(x, y):
    """Y₁' = Y₀ − Y₁/x (x > 0)."""
    return subtract(y0(x), divide(y, x))


def _k1_slope(x, y):
    """K₁' = −K₀ − K₁/x (x > 0)."""
    return negative(add(k0(x), divide(y, x)))


def _k1e_slope(x, y):
    """(eˣK₁)' = eˣK₁ + eˣK₁' = k1e·(1 − 1/x) − k0e (x > 0)."""
    return subtract(subtract(y, divide(y, x)), k0e(x))


def _jv_slope(v, x, out):
    """J'_v = (J_{v−1} − J_{v+1})/2."""
    return multiply(subtract(jv(_order_plus(v, -1), x), jv(_order_plus(v, 1), x)), 0.5)


def _yv_slope(v, x, out):
    """Y'_v = (Y_{v−1} − Y_{v+1})/2."""
    return multiply(subtract(yv(_order_plus(v, -1), x), yv(_order_plus(v, 1), x)), 0.5)


def _iv_slope(v, x, out):
    """I'_v = (I_{v−1} + I_{v+1})/2."""
    return multiply(add(iv(_order_plus(v, -1), x), iv(_order_plus(v, 1), x)), 0.5)


def _kv_slope(v, x, out):
    """K'_v = −(K_{v−1} + K_{v+1})/2."""
    return multiply(add(kv(_order_plus(v, -1), x), kv(_order_plus(v, 1), x)), -0.5)


def _ive_slope(v, x, out):
    """(e^(−|x|)I_v)' = (ive(v − 1) + ive(v + 1))/2 − sign(x)·ive(v) (sign(0) by abs')."""
    mean = multiply(add(ive(_order_plus(v, -1), x), ive(_order_plus(v, 1), x)), 0.5)
    return subtract(mean, multiply(abs_partial(x, out), out))


def _kve_slope(v, x, out):
    """(eˣK_v)' = kve(v) − (kve(v − 1) + kve(v + 1))/2."""
    return subtract(out, multiply(add(kve(_order_plus(v, -1), x), kve(_order_plus(v, 1), x)), 0.5))


def _order_domain(cases):
    """Cases ``(v, sampler, shape)``: v a constant (Python number or integer array: not
    differentiated) and x drawn from ``sampler`` with that shape."""
    def domain(rng, dtype):
        return [((np.array(v) if isinstance(v, np.ndarray) else v, sampler(rng, shape, dtype)),
                 {}) for v, sampler, shape in cases]
    return domain


_ORDERS = np.array([0, 1, 3])  # an integer-array order, broadcast against x of shape (2, 1)


# -- order 0 and 1 ----------------------------------------------------------------------------

j0 = defspecial(
    "j0", sc.j0, lambda x, y: negative(j1(x)), 2,
    "y = J₀(x), the Bessel function of the first kind of order 0 (every real x); "
    "ẏ = −J₁(x)·ẋ; x̄ = −J₁(x)·ȳ", _J_REFS, saves=("inputs",))

j1 = defspecial(
    "j1", sc.j1, _j1_slope, 2,
    "y = J₁(x) (every real x); ẏ = J₁'(x)·ẋ, x̄ = J₁'(x)·ȳ with J₁' = J₀ − J₁/x = (J₀ − J₂)/2 "
    "(the recurrence form: J₁'(0) = ½ exactly, no 0/0; J₂ = jv(2, ·))", _J_REFS,
    domain=lambda rng, dtype: dom.unary()(rng, dtype) + [
        ((np.array([0.0, 0.3, -1.1], dtype=dtype),), {})],
    saves=("inputs",))

y0 = defspecial(
    "y0", sc.y0, lambda x, y: negative(y1(x)), 2,
    "y = Y₀(x), the Bessel function of the second kind of order 0, for x > 0; ẏ = −Y₁(x)·ẋ; "
    "x̄ = −Y₁(x)·ȳ", _J_REFS, domain=dom.unary(dom.positive), saves=("inputs",))

y1 = defspecial(
    "y1", sc.y1, _y1_slope, 2,
    "y = Y₁(x) for x > 0; ẏ = (Y₀(x) − y/x)·ẋ; x̄ = (Y₀(x) − y/x)·ȳ", _J_REFS,
    domain=dom.unary(dom.positive))

k0 = defspecial(
    "k0", sc.k0, lambda x, y: negative(k1(x)), 2,
    "y = K₀(x), the modified Bessel function of the second kind of order 0, for x > 0; "
    "ẏ = −K₁(x)·ẋ; x̄ = −K₁(x)·ȳ", _K_REFS, domain=dom.unary(dom.positive), saves=("inputs",))

k1 = defspecial(
    "k1", sc.k1, _k1_slope, 2,
    "y = K₁(x) for x > 0; ẏ = −(K₀(x) + y/x)·ẋ; x̄ = −(K₀(x) + y/x)·ȳ", _K_REFS,
    domain=dom.unary(dom.positive))

k0e = defspecial(
    "k0e", sc.k0e, lambda x, y: subtract(y, k1e(x)), 3,
    "y = eˣK₀(x) for x > 0 (no underflow for large x); ẏ = (y − k1e(x))·ẋ; "
    "x̄ = (y − k1e(x))·ȳ", _K_REFS + _SCALED_REFS, domain=dom.unary(dom.positive))

k1e = defspecial(
    "k1e", sc.k1e, _k1e_slope, 3,
    "y = eˣK₁(x) for x > 0; ẏ = (y·(1 − 1/x) − k0e(x))·ẋ; x̄ = (y·(1 − 1/x) − k0e(x))·ȳ",
    _K_REFS + _SCALED_REFS, domain=dom.unary(dom.positive))


# -- real order v (differentiable in x) ---------------------------------------------------------

_ORDER_DOC = ("(v a constant order broadcasting with x: ∂/∂v is a TypeError, no closed form; "
              "x̄ unbroadcast)")

jv = defbinary(
    "special.jv", in_input_dtype(sc.jv), _no_order_derivative("jv"), _jv_slope, 4,
    "y = J_v(x), the Bessel function of the first kind of real order v (every real x for "
    f"integer v, x ≥ 0 otherwise) {_ORDER_DOC}; ∂/∂x = (J_{{v−1}}(x) − J_{{v+1}}(x))/2",
    domain=_order_domain([(0.5, dom.positive, ()), (-0.7, dom.positive, (3,)),
                          (2, dom.real, (2, 3)), (_ORDERS, dom.positive, (2, 1))]),
    namespace=NAMESPACE, saves=("inputs",), refs=_J_REFS)

yv = defbinary(
    "special.yv", in_input_dtype(sc.yv), _no_order_derivative("yv"), _yv_slope, 4,
    "y = Y_v(x), the Bessel function of the second kind of real order v, for x > 0 "
    f"{_ORDER_DOC}; ∂/∂x = (Y_{{v−1}}(x) − Y_{{v+1}}(x))/2",
    domain=_order_domain([(0.5, dom.positive, ()), (-1.5, dom.positive, (3,)),
                          (2, dom.positive, (2, 3)), (_ORDERS, dom.positive, (2, 1))]),
    namespace=NAMESPACE, saves=("inputs",), refs=_J_REFS)

iv = defbinary(
    "special.iv", in_input_dtype(sc.iv), _no_order_derivative("iv"), _iv_slope, 4,
    "y = I_v(x), the modified Bessel function of the first kind of real order v (every real "
    f"x for integer v, x ≥ 0 otherwise) {_ORDER_DOC}; ∂/∂x = (I_{{v−1}}(x) + I_{{v+1}}(x))/2",
    domain=_order_domain([(0.5, dom.positive, ()), (2.5, dom.positive, (3,)),
                          (3, dom.real, (2, 3)), (_ORDERS, dom.real, (2, 1))]),
    namespace=NAMESPACE, saves=("inputs",), refs=_K_REFS)

kv = defbinary(
    "special.kv", in_input_dtype(sc.kv), _no_order_derivative("kv"), _kv_slope, 4,
    "y = K_v(x), the modified Bessel function of the second kind of real order v, for x > 0 "
    f"{_ORDER_DOC}; ∂/∂x = −(K_{{v−1}}(x) + K_{{v+1}}(x))/2",
    domain=_order_domain([(0.5, dom.positive, ()), (-1.3, dom.positive, (3,)),
                          (2, dom.positive, (2, 3)), (_ORDERS, dom.positive, (2, 1))]),
    namespace=NAMESPACE, saves=("inputs",), refs=_K_REFS)

ive = defbinary(
    "special.ive", in_input_dtype(sc.ive), _no_order_derivative("ive"), _ive_slope, 4,
    "y = e^(−|x|)I_v(x) (every real x for integer v, x ≥ 0 otherwise) "
    f"{_ORDER_DOC}; ∂/∂x = (ive(v − 1, x) + ive(v + 1, x))/2 − sign(x)·y (the product rule; "
    "sign(0) = conventions.abs)",
    domain=_order_domain([(0.5, dom.positive, ()), (1.5, dom.positive, (3,)),
                          (2, dom.away_from_zero, (2, 3)),
                          (_ORDERS, dom.away_from_zero, (2, 1))]),
    namespace=NAMESPACE, refs=_K_REFS + _SCALED_REFS, kinks=_SCALED_KINK)

kve = defbinary(
    "special.kve", in_input_dtype(sc.kve), _no_order_derivative("kve"), _kve_slope, 4,
    f"y = eˣK_v(x) for x > 0 {_ORDER_DOC}; ∂/∂x = y − (kve(v − 1, x) + kve(v + 1, x))/2 "
    "(the product rule)",
    domain=_order_domain([(0.5, dom.positive, ()), (-1.3, dom.positive, (3,)),
                          (2, dom.positive, (2, 3)), (_ORDERS, dom.positive, (2, 1))]),
    namespace=NAMESPACE, refs=_K_REFS + _SCALED_REFS)

