"""Behaviour of numpy's remainders, NaN-ignoring extrema, sinc, heaviside, copysign, float_power,
nan_to_num, the complex-number functions on real input, ptp, cov and corrcoef that the
generated registry tests (finite cases away from kinks and jumps) do not reach: sinc at exactly
0, negative operands, NaNs and infinities, numpy's shapes and dtypes, and bad input."""

import math
import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

DTYPES = (np.float64, np.float32)


# -- sinc at 0 ----------------------------------------------------------------------------------

SECOND = {"grad∘grad": lambda f: ad.grad(ad.grad(f)),
          "jacfwd∘jacrev": lambda f: ad.jacfwd(ad.jacrev(f)),
          "jacfwd∘jacfwd": lambda f: ad.jacfwd(ad.jacfwd(f)),
          "jacrev∘jacfwd": lambda f: ad.jacrev(ad.jacfwd(f))}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("nesting", list(SECOND))
def test_sinc_at_zero_to_second_order(nesting, dtype):
    zero = dtype(0.0)
    assert anp.sinc(zero) == 1.0
    assert ad.grad(anp.sinc)(zero) == 0.0
    second = SECOND[nesting](anp.sinc)(zero)
    assert np.result_type(second) == np.dtype(dtype)
    np.testing.assert_allclose(second, -math.pi ** 2 / 3, rtol=1e-15 if dtype is np.float64
                               else 1e-6)


def test_sinc_derivative_near_zero_is_accurate():
    """Both branches (the series for |πx| < ½, the quotient beyond) against
    sinc'(x) = −π ∫₀¹ t sin(tπx) dt (from sin(u)/u = ∫₀¹ cos(tu) dt), which does not cancel,
    by 30-point Gauss–Legendre quadrature (exact to rounding for this smooth integrand)."""
    x = np.array([1e-12, -1e-6, 0.01, 0.159, 0.16, -0.3, 1.0, 2.5])
    _, slope = ad.jvp(anp.sinc, (x,), (np.ones_like(x),))
    nodes, weights = np.polynomial.legendre.leggauss(30)
    t = (nodes + 1.0) / 2.0
    exact = -math.pi * (np.sin(np.outer(math.pi * x, t)) * t) @ weights / 2.0
    np.testing.assert_allclose(slope, exact, rtol=1e-13)
    np.testing.assert_array_equal(anp.sinc(x), np.sinc(x))


# -- remainders -----------------------------------------------------------------------------------

A = np.array([-3.7, -3.7, 3.7, 3.7, -0.4, 0.4, 5.25, -5.25])
B = np.array([1.5, -1.5, 1.5, -1.5, 2.0, -2.0, -0.5, 0.75])


@pytest.mark.parametrize(("name", "quotient"), [("mod", np.floor), ("remainder", np.floor),
                                                ("fmod", np.trunc)])
def test_remainders_at_negative_operands_match_numpy(name, quotient):
    f = getattr(anp, name)
    np.testing.assert_array_equal(f(A, B), getattr(np, name)(A, B))
    da, db = ad.jacrev(lambda a, b: f(a, b), argnums=(0, 1))(A, B)
    np.testing.assert_array_equal(da, np.eye(A.size))
    np.testing.assert_array_equal(db, np.diag(-quotient(A / B)))
    np.testing.assert_array_equal(ad.jacfwd(lambda b: f(A, b))(B), db)
    assert np.all(ad.hessian(lambda a, b: anp.sum(f(a, b)), argnums=(0, 1))(A, B)[1][1] == 0)


def test_numpy_mod_on_a_tracer_dispatches_to_the_rule():
    g = ad.grad(lambda b: anp.sum(np.mod(A, b) + np.fmod(A, b)))(B)
    np.testing.assert_array_equal(g, -np.floor_divide(A, B) - np.trunc(A / B))


def test_remainder_keeps_float32_with_a_python_divisor():
    x = np.array([-1.25, 2.5], dtype=np.float32)
    out, tangent = ad.jvp(lambda x: anp.remainder(x, 0.75), (x,), (np.ones_like(x),))
    assert out.dtype == tangent.dtype == np.float32
    np.testing.assert_array_equal(out, np.remainder(x, 0.75))


# -- fmax and fmin: a NaN loses ---------------------------------------------------------------------

P = np.array([1.0, np.nan, 3.0, np.nan, 2.0])
Q = np.array([np.nan, 5.0, -1.0, np.nan, 2.0])


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_with_nan_route_the_derivative_to_the_number(name):
    f = getattr(anp, name)
    np.testing.assert_array_equal(f(P, Q), getattr(np, name)(P, Q))
    dp, dq = ad.jacrev(f, argnums=(0, 1))(P, Q)
    winner_p = 1.0 if name == "fmax" else 0.0  # entry 2: 3 against −1
    # NaN against a number: the number; both NaN: p; the tie 2 == 2: split
    np.testing.assert_array_equal(np.diag(dp), [1.0, 0.0, winner_p, 1.0, 0.5])
    np.testing.assert_array_equal(np.diag(dq), [0.0, 1.0, 1.0 - winner_p, 0.0, 0.5])
    fwd = ad.jacfwd(f, argnums=(0, 1))(P, Q)
    np.testing.assert_array_equal(fwd[0], dp)
    np.testing.assert_array_equal(fwd[1], dq)
    with ad.conventions.use(ties="first"):
        assert ad.grad(lambda p: f(p, 2.0))(2.0) == 1.0


def test_fmax_with_a_nan_python_operand():
    x = np.array([0.5, -1.0], dtype=np.float32)
    out, tangent = ad.jvp(lambda x: anp.fmax(x, float("nan")), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(tangent, [1.0, 1.0])
    assert tangent.dtype == np.float32


# -- heaviside, copysign ----------------------------------------------------------------------------

def test_heaviside_derivative_is_the_indicator_of_zero():
    x1 = np.array([-2.0, 0.0, 3.0, 0.0, np.nan])
    x2 = np.array([0.3, 0.7, 0.1, -4.0, 1.0])
    np.testing.assert_array_equal(anp.heaviside(x1, x2), np.heaviside(x1, x2))
    d1, d2 = ad.jacrev(anp.heaviside, argnums=(0, 1))(x1, x2)
    np.testing.assert_array_equal(d1, np.zeros((5, 5)))
    np.testing.assert_array_equal(d2, np.diag([0.0, 1.0, 0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(ad.grad(lambda s: anp.sum(anp.heaviside(x1, s)))(0.5), 2.0)


def test_copysign_sign_bits_and_derivatives():
    x1 = np.array([2.0, -2.0, 2.0, -2.0, 0.0, 3.0])
    x2 = np.array([1.0, 1.0, -1.0, -1.0, -1.0, -0.0])
    np.testing.assert_array_equal(np.signbit(anp.copysign(x1, x2)),
                                  np.signbit(np.copysign(x1, x2)))
    np.testing.assert_array_equal(anp.copysign(x1, x2), np.copysign(x1, x2))
    d1, d2 = ad.jacfwd(anp.copysign, argnums=(0, 1))(x1, x2)
    # +1 where the signs agree, −1 where not, abs'(0) = 0 at x1 = 0, the sign of −0.0 counts
    np.testing.assert_array_equal(np.diag(d1), [1.0, -1.0, -1.0, 1.0, 0.0, -1.0])
    np.testing.assert_array_equal(d2, np.zeros((6, 6)))
    with ad.conventions.use(abs=1.0):
        assert ad.grad(lambda x: anp.copysign(x, -1.0))(0.0) == -1.0


def test_copysign_promotes_like_numpy():
    x1, x2 = np.array([1.5, -2.0], dtype=np.float32), np.array([-1.0, 1.0])
    out, pullback = ad.vjp(lambda x: anp.copysign(x, x2), x1)
    assert out.dtype == np.copysign(x1, x2).dtype == np.float64
    assert pullback(np.ones(2))[0].dtype == np.float32


# -- float_power --------------------------------------------------------------------------------------

def test_float_power_computes_in_float64():
    a, b = np.array([1.5, 0.5], dtype=np.float32), np.array([2.0, -1.5], dtype=np.float32)
    out, pullback = ad.vjp(anp.float_power, a, b)
    expected = np.float_power(a, b)
    assert out.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    ga, gb = pullback(np.ones(2))
    assert ga.dtype == gb.dtype == np.float32
    np.testing.assert_allclose(ga, b * np.float_power(a, b - 1.0), rtol=1e-6)
    assert anp.float_power(2, 3) == 8.0 and np.result_type(anp.float_power(2, 3)) == np.float64


# -- nan_to_num -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kwargs", [{}, {"nan": 1.5, "posinf": 9.0}, {"neginf": -2.0}])
def test_nan_to_num_with_infinities(dtype, kwargs):
    x = np.array([0.5, np.nan, np.inf, -np.inf, -3.0], dtype=dtype)
    expected = np.nan_to_num(x, **kwargs)
    out, tangent = ad.jvp(lambda x: anp.nan_to_num(x, **kwargs), (x,), (np.ones_like(x),))
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)  # default posinf: the dtype's largest value
    np.testing.assert_array_equal(tangent, [1.0, 0.0, 0.0, 0.0, 1.0])
    assert tangent.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(anp.nan_to_num(x, **kwargs)))(x),
                                  [1.0, 0.0, 0.0, 0.0, 1.0])


def test_nan_to_num_copy_false_on_a_plain_array_is_numpys():
    x = np.array([np.nan, 1.0])
    assert anp.nan_to_num(x, copy=False) is x and x[0] == 0.0


# -- real input to the functions of complex numbers ----------------------------------------------------

@pytest.mark.parametrize("name", ["real", "conj", "conjugate", "positive"])
def test_identities_on_real_input(name, rng):
    x = rng.standard_normal(3)
    np.testing.assert_array_equal(getattr(anp, name)(x), getattr(np, name)(x))
    np.testing.assert_array_equal(ad.jacrev(getattr(anp, name))(x), np.eye(3))


def test_imag_of_real_input_is_zero_with_zero_derivative(rng):
    x = rng.standard_normal(3).astype(np.float32)
    out = anp.imag(x)
    assert out.dtype == np.float32 and not out.any()
    jac = ad.jacfwd(lambda x: anp.imag(x) + x)(x)
    np.testing.assert_array_equal(jac, np.eye(3))


COMPLEX_CALLS = {
    "real": lambda z: anp.real(z), "imag": lambda z: anp.imag(z), "conj": lambda z: anp.conj(z),
    "conjugate": lambda z: anp.conjugate(z), "positive": lambda z: anp.positive(z),
    "fabs": lambda z: anp.fabs(z), "copysign": lambda z: anp.copysign(z, 1.0),
    "float_power": lambda z: anp.float_power(z, 2.0), "cov": lambda z: anp.cov(z),
}


@pytest.mark.parametrize("name", list(COMPLEX_CALLS))
def test_complex_input_is_a_type_error(name):
    message = (f"{name}(): admodes differentiates real-valued functions only; got a complex "
               f"input of dtype complex128. Pass its real and imaginary parts as two real "
               f"arrays.")
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        COMPLEX_CALLS[name](np.array([1.0 + 2.0j, 3.0]))


# -- ptp, cov, corrcoef ----------------------------------------------------------------------------------

def test_ptp_matches_numpy_and_routes_to_the_extremes():
    x = np.array([[3.0, -1.0, 2.0], [0.5, 4.0, 4.0]])
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(anp.ptp(x, axis=axis), np.ptp(x, axis=axis))
    g = ad.grad(lambda x: anp.sum(anp.ptp(x, axis=1)))(x)
    np.testing.assert_array_equal(g, [[1.0, -1.0, 0.0], [-1.0, 0.5, 0.5]])  # tie split


M = np.array([[0.3, -1.2, 2.0, 0.7, 1.1], [1.5, 0.25, -0.4, -0.5, 0.9],
              [2.0, 1.0, 0.0, -1.0, 0.5]])
COV_CALLS = [((M,), {}), ((M[0],), {}), ((M.T,), {"rowvar": False}), ((M[:2], M[2]), {}),
             ((M.T, M[1:2].T), {"rowvar": False}), ((M,), {"bias": True}),
             ((M[0], M[1]), {"ddof": 3}), ((M,), {"aweights": np.arange(1.0, 6.0)}),
             ((M,), {"fweights": np.array([1, 0, 2, 1, 3]), "aweights": np.arange(1.0, 6.0)}),
             ((M[1:2],), {})]


@pytest.mark.parametrize(("args", "kwargs"), COV_CALLS)
def test_cov_and_corrcoef_shapes_and_values_match_numpy(args, kwargs):
    ours, theirs = anp.cov(*args, **kwargs), np.cov(*args, **kwargs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)
    rowvar = kwargs.get("rowvar", True)
    ours, theirs = anp.corrcoef(*args, rowvar=rowvar), np.corrcoef(*args, rowvar=rowvar)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)


def test_cov_of_one_variable_is_0d_and_its_gradient_is_the_variance_gradient():
    x = M[0]
    assert anp.cov(x).shape == () and anp.corrcoef(x).shape == ()
    np.testing.assert_allclose(ad.grad(anp.cov)(x), 2 * (x - x.mean()) / (x.size - 1),
                               rtol=1e-14)
    assert ad.grad(anp.corrcoef)(x).tolist() == [0.0] * x.size


def test_cov_of_float32_is_float64_with_float32_cotangents():
    x = M.astype(np.float32)
    out, pullback = ad.vjp(anp.cov, x)
    assert out.dtype == np.cov(x).dtype == np.float64
    assert pullback(np.ones((3, 3)))[0].dtype == np.float32
    assert anp.cov(x, dtype=np.float32).dtype == np.float32


def test_corrcoef_rowvar_false_gradient_against_the_formula():
    """Row 0 against row 1 of the column variables: r = Σ a_c b_c / √(Σ a_c² Σ b_c²)."""
    x = M.T
    r_grad = ad.grad(lambda x: anp.corrcoef(x, rowvar=False)[0, 1])(x)
    a, b = x[:, 0] - x[:, 0].mean(), x[:, 1] - x[:, 1].mean()
    saa, sbb, sab = a @ a, b @ b, a @ b
    da = b / np.sqrt(saa * sbb) - sab * a / (saa * np.sqrt(saa * sbb))
    db = a / np.sqrt(saa * sbb) - sab * b / (sbb * np.sqrt(saa * sbb))
    np.testing.assert_allclose(r_grad[:, 0], da - da.mean(), atol=1e-14)
    np.testing.assert_allclose(r_grad[:, 1], db - db.mean(), atol=1e-14)
    np.testing.assert_array_equal(r_grad[:, 2], 0.0)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.cov(np.ones((2, 2, 2))), ValueError,
     "cov(): m has more than 2 dimensions, got shape (2, 2, 2)"),
    (lambda: anp.cov(M, ddof=1.5), ValueError, "cov(): ddof must be an integer, got 1.5"),
    (lambda: anp.cov(M, ddof=5), ValueError,
     "cov(): ddof=5 leaves no degrees of freedom (normalization 0 for 5 observations)"),
    (lambda: anp.cov(M, aweights=-np.ones(5)), ValueError, "cov(): aweights cannot be negative"),
    (lambda: anp.cov(M, fweights=np.ones(4)), ValueError,
     "cov(): fweights must be 1-d with one weight per observation (5), got shape (4,)"),
    (lambda: anp.cov(M, fweights=np.full(5, 0.5)), TypeError,
     "cov(): fweights must be integers, got [0.5 0.5 0.5 0.5 0.5]"),
    (lambda: ad.grad(lambda w: anp.sum(anp.cov(M, fweights=w)))(np.ones(5)), TypeError,
     ("cov(): fweights are integer frequencies and carry no derivative; pass them as a "
      "plain array")),
    (lambda: anp.cov(M, dtype=np.int64), TypeError,
     "cov(): dtype must be a real floating dtype, got int64"),
])
def test_cov_errors(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_percent_operator_on_tracers_is_numpy_remainder():
    import admodes as ad
    x, y = np.array([5.3, -2.7]), np.array([2.0, 1.5])
    gx, gy = ad.grad(lambda x, y: (x % y).sum() + (7.5 % x).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 1.0 - np.floor(7.5 / x))
    np.testing.assert_allclose(gy, -np.floor(x / y))
