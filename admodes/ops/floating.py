"""numpy's floating-point decompositions: divmod, modf, ldexp and frexp.

Each splits a number into a part that carries the derivative and an integer-valued part that
is piecewise constant (derivative 0), or scales by an integer power of two:

* ``divmod(x1, x2) = (⌊x1/x2⌋, x1 − ⌊x1/x2⌋·x2)``: the quotient is a constant, the remainder
  the ``remainder`` op;
* ``modf(x) = (x − trunc(x), trunc(x))``: the fractional part has derivative 1;
* ``ldexp(x1, x2) = x1·2^x2`` for integer ``x2``: linear in ``x1``;
* ``frexp(x) = (x·2^(−e), e)`` with ``e`` the integer exponent that puts ``|mantissa|`` in
  [½, 1): the mantissa is ``ldexp(x, −e)``.

Two primitives: ``ldexp``, whose derivative ``ldexp(ẋ1, x2)`` scales exactly (``x1·2.0**x2``
would overflow in ``2.0**x2`` where the result does not, and leave float32), and the
internal ``modf_fraction`` (``x − trunc(x)`` gives +0.0 where numpy gives −0.0, at negative
integers, and NaN where numpy gives ±0.0, at ±∞).

Reference: ISO/IEC 9899:1999 (C99), 7.12.6.4 (frexp), 7.12.6.6 (ldexp), 7.12.6.12 (modf),
which numpy's ufuncs call.
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._flops import elementwise as ew_cost
from admodes.ops._helpers import align, unbroadcast
from admodes.ops.elementwise import remainder, require_real
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, primal_value, shape_of

_C99 = ("ISO/IEC 9899:1999 (C99), 7.12.6.4 frexp, 7.12.6.6 ldexp, 7.12.6.12 modf",
        "numpy ufunc documentation: numpy.divmod, numpy.modf, numpy.ldexp, numpy.frexp")


def _away_from_integers(rng, shape, dtype):
    """Values in [-3, 3] at least 0.1 from every integer (modf's fraction jumps there)."""
    whole = rng.integers(-3, 3, size=shape)
    return (whole + rng.uniform(0.1, 0.9, size=shape)).astype(dtype)


def _away_from_powers_of_two(rng, shape, dtype):
    """±2^(k + u), k in {-2, ..., 2}, u in [0.1, 0.9]: off frexp's jumps at powers of two."""
    exponent = rng.integers(-2, 3, size=shape) + rng.uniform(0.1, 0.9, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return (sign * np.exp2(exponent)).astype(dtype)


# -- divmod ---------------------------------------------------------------------------------------

@defcomposite("divmod", domain=remainder.domain, kinks=remainder.kinks, refs=_C99,
              doc="divmod(x1, x2) = (floor_divide(x1, x2), remainder(x1, x2)), numpy's pair "
                  "(q, r) with q = ⌊x1/x2⌋ and r = x1 − q·x2 (r has x2's sign); q is "
                  "piecewise constant and carries no derivative; ṙ = ẋ1 − q·ẋ2")
def divmod(x1, x2):
    require_real("divmod", x1, x2)
    return np.floor_divide(primal_value(x1), primal_value(x2)), remainder(x1, x2)


# -- modf -----------------------------------------------------------------------------------------

modf_fraction = defop(
    "modf_fraction", lambda x: np.modf(x)[0],
    jvp=lambda primals, tangents, out: tangents[0],
    vjp=lambda ct, primals, out: (ct,),
    cost=ew_cost(1), domain=dom.unary(_away_from_integers), saves=(), namespace="internal",
    refs=_C99, kinks="jumps by ∓1 where x crosses a nonzero integer; the derivative is 1 on "
                     "every piece, the jump is not differentiated",
    doc="y = x − trunc(x) with x's sign (numpy's modf(x)[0]: −0.0 at negative integers, ±0.0 "
        "at ±∞); ẏ = ẋ; x̄ = ȳ; 1 flop/elem")


@defcomposite("modf", domain=dom.unary(_away_from_integers), kinks=modf_fraction.kinks,
              refs=_C99,
              doc="modf(x) = (x − trunc(x), trunc(x)), both with x's sign, in numpy's floating "
                  "dtype; the fractional part has derivative 1, the integral part (piecewise "
                  "constant) none")
def modf(x):
    require_real("modf", x)
    return modf_fraction(x), np.modf(primal_value(x))[1]


# -- ldexp, frexp ---------------------------------------------------------------------------------

def _ldexp_impl(x1, x2):
    exponents = np.asarray(x2).dtype
    if exponents.kind not in "biu":
        raise TypeError(f"ldexp(): x2 must hold integer exponents (x2 carries no derivative), "
                        f"got dtype {exponents}; for x1·2**x2 with a real x2 use "
                        f"multiply(x1, exp2(x2))")
    return np.ldexp(x1, x2)


def _ldexp_jvp(primals, tangents, out):
    return ldexp(align(tangents[0], ndim_of(out)), primals[1])


def _ldexp_vjp(ct, primals, out):
    x1, x2 = primals
    return unbroadcast(ldexp(ct, x2), shape_of(x1)), None


def _ldexp_domain(rng, dtype):
    cases = [((dom.real(rng, a, dtype), rng.integers(-3, 4, size=b)), {})
             for a, b in dom.BINARY_SHAPES]
    return cases + [((dom.real(rng, (2, 3), dtype), rng.integers(-3, 4, size=3).astype(np.int32)),
                     {}),
                    ((dom.real(rng, (3,), dtype), 5), {})]


ldexp = defop(
    "ldexp", _ldexp_impl, jvp=_ldexp_jvp, vjp=_ldexp_vjp, cost=ew_cost(1),
    domain=_ldexp_domain, nargs=2, nondiff_argnums=(1,), linear=True, saves=("inputs",),
    refs=_C99,
    doc="y = x1·2^x2 for integer x2 (broadcasting; an exact scaling, in x1's floating dtype); "
        "ẏ = ldexp(ẋ1, x2); x̄1 = unbroadcast(ldexp(ȳ, x2)); x2 is not differentiated")


@defcomposite("frexp", domain=dom.unary(_away_from_powers_of_two), refs=_C99,
              kinks="the mantissa jumps (1 → ½ in magnitude) where |x| crosses a power of two; "
                    "the derivative is 2^(−e) of numpy's exponent e there; at x = 0, e = 0 "
                    "and the derivative is 1",
              doc="frexp(x) = (m, e), x = m·2^e with ½ ≤ |m| < 1 (m = x, e = 0 for x = 0, ±∞, "
                  "NaN), e an int32 array; m = ldexp(x, −e): ṁ = 2^(−e)·ẋ; e is piecewise "
                  "constant and carries no derivative")
def frexp(x):
    require_real("frexp", x)
    exponent = np.frexp(primal_value(x))[1]
    return ldexp(x, np.negative(exponent)), exponent
