"""The Bessel functions of admodes.ops.special_bessel (j0, j1, y0, y1, k0, k1, k0e, k1e and the
real-order jv, yv, iv, kv, ive, kve), beyond the generated registry tests: values equal
scipy.special's bit for bit; first derivatives against their closed forms and central
differences; second derivatives against the Bessel equations and differences of the first;
both modes; float32; the refused derivative in the order v; scipy.special's own ufuncs on a
traced array."""

import re

import numpy as np
import pytest
import scipy.special as sc

import admodes as ad
import admodes.numpy as anp
import admodes.ops.special_bessel as bessel
import admodes.scipy.special as asp
from admodes import registry

UNARY = ("j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e")
REAL_ORDER = ("jv", "yv", "iv", "kv", "ive", "kve")
DTYPES = (np.float64, np.float32)
X = np.array([0.35, 0.8, 1.3, 2.2, 4.7, 9.0])  # x > 0: in every function's domain
ORDERS = (0.0, 0.5, 1.0, 2.0, 2.7, -0.6, -1.5)
TRANSFORMS = (ad.jacrev, ad.jacfwd)


def _op(name):
    return getattr(bessel, name)


def _diagonal(transform, f, x):
    return np.diagonal(transform(f)(x))


# -- closed forms, from scipy's values -----------------------------------------------------------

SLOPES = {
    "j0": lambda x: -sc.j1(x),
    "j1": lambda x: sc.j0(x) - sc.j1(x) / x,
    "y0": lambda x: -sc.y1(x),
    "y1": lambda x: sc.y0(x) - sc.y1(x) / x,
    "k0": lambda x: -sc.k1(x),
    "k1": lambda x: -sc.k0(x) - sc.k1(x) / x,
    "k0e": lambda x: sc.k0e(x) - sc.k1e(x),
    "k1e": lambda x: sc.k1e(x) * (1 - 1 / x) - sc.k0e(x),
}

ORDER_SLOPES = {
    "jv": lambda v, x: (sc.jv(v - 1, x) - sc.jv(v + 1, x)) / 2,
    "yv": lambda v, x: (sc.yv(v - 1, x) - sc.yv(v + 1, x)) / 2,
    "iv": lambda v, x: (sc.iv(v - 1, x) + sc.iv(v + 1, x)) / 2,
    "kv": lambda v, x: -(sc.kv(v - 1, x) + sc.kv(v + 1, x)) / 2,
    "ive": lambda v, x: (sc.ive(v - 1, x) + sc.ive(v + 1, x)) / 2 - np.sign(x) * sc.ive(v, x),
    "kve": lambda v, x: sc.kve(v, x) - (sc.kve(v - 1, x) + sc.kve(v + 1, x)) / 2,
}

#: the unary functions as real-order ones: (name, scipy real-order function, order, scaling)
AS_REAL_ORDER = {"j0": ("jv", 0), "j1": ("jv", 1), "y0": ("yv", 0), "y1": ("yv", 1),
                 "k0": ("kv", 0), "k1": ("kv", 1), "k0e": ("kve", 0), "k1e": ("kve", 1)}


def _second_derivative(name, v, x):
    """y'' from Bessel's equations: x²y'' + xy' ∓ (x² ± v²)y = 0 (DLMF 10.2.1, 10.25.1), for
    the unscaled J, Y (y'' = −y'/x − (1 − v²/x²)y) and I, K (y'' = −y'/x + (1 + v²/x²)y)."""
    y = getattr(sc, name)(v, x)
    slope = ORDER_SLOPES[name](v, x)
    sign = -1.0 if name in ("jv", "yv") else 1.0
    return -slope / x + (sign + v ** 2 / x ** 2) * y


def _central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


# -- values ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_equal_scipys_bit_for_bit(name, dtype):
    x = X.astype(dtype)
    ours, theirs = _op(name)(x), getattr(sc, name)(x)
    assert ours.dtype == theirs.dtype == dtype
    np.testing.assert_array_equal(ours, theirs)
    assert _op(name)(x[2]) == getattr(sc, name)(x[2])
    if name in ("j0", "j1"):  # every real x
        np.testing.assert_array_equal(_op(name)(-x), getattr(sc, name)(-x))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", REAL_ORDER)
def test_real_order_values_equal_scipys_bit_for_bit(name, dtype):
    x = X.astype(dtype)
    for v in ORDERS + (3,):
        ours, theirs = _op(name)(v, x), getattr(sc, name)(v, x)
        assert ours.dtype == theirs.dtype == dtype, (name, v)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"{name}({v}, x)")
    orders = np.array([[0.5], [1.0], [2.5]], dtype=dtype)  # a plain array order, broadcasting
    np.testing.assert_array_equal(_op(name)(orders, x), getattr(sc, name)(orders, x))


def test_integer_array_order_keeps_a_float32_x_float32():
    """scipy takes the float64 loop for an int64 order and a float32 x; admodes keeps x's
    dtype (scipy's float64 value rounded to float32), as the other ops do."""
    v, x = np.array([0, 1, 3]), X[:3].astype(np.float32).reshape(3, 1)
    for name in REAL_ORDER:
        ours = _op(name)(v, x)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, getattr(sc, name)(v, x).astype(np.float32))
        np.testing.assert_array_equal(_op(name)(v, X[:3]), getattr(sc, name)(v, X[:3]))


# -- first derivatives -------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNARY)
def test_unary_first_derivatives_equal_their_closed_forms(name):
    f = _op(name)
    expected = SLOPES[name](X)
    for transform in TRANSFORMS:
        np.testing.assert_allclose(_diagonal(transform, f, X), expected, rtol=1e-13, atol=1e-15,
                                   err_msg=transform.__name__)
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(f(x)))(X), expected, rtol=1e-13,
                               atol=1e-15)
    for x in X[:3]:  # a scalar
        assert ad.grad(f)(x) == pytest.approx(SLOPES[name](x), rel=1e-13)
    np.testing.assert_allclose(expected, _central(getattr(sc, name), X, 1e-6), rtol=1e-7)


@pytest.mark.parametrize("name", REAL_ORDER)
def test_real_order_first_derivatives_equal_their_closed_forms(name):
    for v in ORDERS:
        def f(x, v=v):
            return _op(name)(v, x)
        expected = ORDER_SLOPES[name](v, X)
        for transform in TRANSFORMS:
            np.testing.assert_allclose(_diagonal(transform, f, X), expected, rtol=1e-13,
                                       atol=1e-15, err_msg=f"{transform.__name__} v={v}")
        np.testing.assert_allclose(ad.grad(lambda x, f=f: anp.sum(f(x)))(X), expected,
                                   rtol=1e-13, atol=1e-15)
        reference = _central(lambda x, v=v: getattr(sc, name)(v, x), X, 1e-6)
        np.testing.assert_allclose(expected, reference, rtol=1e-7, atol=1e-9,
                                   err_msg=f"{name} v={v}")


@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_agree_with_their_real_order_forms(name):
    """j0 = jv(0, ·), k1e = kve(1, ·), ...: the same derivatives of every order computed."""
    family, order = AS_REAL_ORDER[name]
    for k in (1, 2):
        general_op = _op(family)
        ours, general = _op(name), (lambda x, f=general_op, v=order: f(v, x))
        for _ in range(k):
            ours, general = ad.grad(ours), ad.grad(general)
        np.testing.assert_allclose([ours(x) for x in X], [general(x) for x in X], rtol=1e-12,
                                   atol=1e-14, err_msg=f"order {k}")


def test_i_functions_agree_with_the_integer_order_ones():
    """iv(0 and 1, ·), ive(0 and 1, ·) against admodes' i0, i1, i0e, i1e (special.py)."""
    x = np.concatenate([-X, X])
    for ours, theirs in [(lambda x: bessel.iv(0, x), asp.i0), (lambda x: bessel.iv(1, x), asp.i1),
                         (lambda x: bessel.ive(0, x), asp.i0e),
                         (lambda x: bessel.ive(1, x), asp.i1e)]:
        for transform in TRANSFORMS:
            np.testing.assert_allclose(_diagonal(transform, ours, x), _diagonal(transform, theirs, x),
                                       rtol=1e-13)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_j1_derivatives_at_zero(mode):
    """J₁(x) = x/2 − x³/16 + ...: J₁'(0) = ½ (the limit of J₀ − J₁/x), J₁''(0) = 0,
    J₁'''(0) = −3/8 -- from the recurrence form (J₀ − J₂)/2, no 0/0."""
    step = ad.grad if mode == "rev" else ad.jacfwd
    f = bessel.j1
    for expected in (0.5, 0.0, -0.375):
        f = step(f)
        assert f(0.0) == pytest.approx(expected, abs=1e-15)
    x = np.array([0.0, 1e-9, 0.5, -2.0])
    np.testing.assert_allclose(ad.jacrev(bessel.j1)(x).diagonal(),
                               [0.5, 0.5, SLOPES["j1"](0.5), SLOPES["j1"](-2.0)], rtol=1e-14)
    assert ad.grad(bessel.j0)(0.0) == 0.0


def test_integer_orders_on_the_negative_axis():
    """J_n(−x) = (−1)ⁿJ_n(x) and I_n likewise: the recurrences hold for every real x."""
    x = -X
    for name in ("jv", "iv"):
        ours, theirs = _op(name), getattr(sc, name)
        for v in (0, 1, 2, 3):
            got = _diagonal(ad.jacrev, lambda x, v=v, f=ours: f(v, x), x)
            np.testing.assert_allclose(got, ORDER_SLOPES[name](v, x), rtol=1e-13)
            np.testing.assert_allclose(got, _central(lambda x, v=v, f=theirs: f(v, x), x, 1e-6),
                                       rtol=1e-7)
    for v in (0, 1, 2):  # ive = e^(−|x|)·iv: the −sign(x) term
        got = _diagonal(ad.jacfwd, lambda x, v=v: bessel.ive(v, x), x)
        np.testing.assert_allclose(got, ORDER_SLOPES["ive"](v, x), rtol=1e-13)
        np.testing.assert_allclose(got, _central(lambda x, v=v: sc.ive(v, x), x, 1e-6),
                                   rtol=1e-7)


def test_ive_kink_at_zero_follows_the_abs_convention():
    """ive(0, ·) = i0e: slopes ∓1 on either side of 0, abs'(0) at 0 (default 0), as i0e's."""
    assert ad.grad(lambda x: bessel.ive(0, x))(0.0) == 0.0 == ad.grad(asp.i0e)(0.0)
    with ad.conventions.use(abs=1.0):
        assert ad.grad(lambda x: bessel.ive(0, x))(0.0) == -1.0
        assert ad.jacfwd(lambda x: bessel.ive(0, x))(0.0) == -1.0
    assert ad.grad(lambda x: bessel.ive(1, x))(0.0) == 0.5


def test_array_order_broadcasts_and_cotangents_unbroadcast():
    """v a plain (float or integer) array broadcasting with x: ∂/∂x sums over v's axis."""
    x = X[:4]
    for orders in (np.array([[0.5], [1.0], [2.5]]), np.array([[0], [1], [3]])):
        for name in REAL_ORDER:
            def f(x, name=name, orders=orders):
                return _op(name)(orders, x)
            jac = ad.jacrev(f)(x)
            assert jac.shape == (3, 4, 4)
            np.testing.assert_allclose(ad.jacfwd(f)(x), jac, rtol=1e-14)
            slopes = ORDER_SLOPES[name](orders.astype(float), x)
            np.testing.assert_allclose(np.einsum("vii->vi", jac), slopes, rtol=1e-13)
            np.testing.assert_allclose(ad.grad(lambda x, f=f: anp.sum(f(x)))(x),
                                       slopes.sum(axis=0), rtol=1e-13)


# -- second derivatives -----------------------------------------------------------------------

@pytest.mark.parametrize("name", REAL_ORDER[:4])
def test_second_derivatives_solve_bessels_equation(name):
    for v in ORDERS:
        def f(x, v=v):
            return _op(name)(v, x)
        expected = _second_derivative(name, v, X)
        np.testing.assert_allclose(np.diagonal(ad.hessian(lambda x, f=f: anp.sum(f(x)))(X)),
                                   expected, rtol=1e-11, atol=1e-13, err_msg=f"v={v}")
        np.testing.assert_allclose([ad.grad(ad.grad(f))(x) for x in X], expected, rtol=1e-11,
                                   atol=1e-13)
        np.testing.assert_allclose(_diagonal(ad.jacfwd, ad.grad(lambda x, f=f: anp.sum(f(x))),
                                             X), expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", UNARY + REAL_ORDER)
def test_second_derivatives_match_differences_of_the_first(name):
    """hessian and grad(grad) against a central difference of the closed-form first
    derivative (scipy's values)."""
    orders = (None,) if name in UNARY else (0.5, 2.0, -1.5)
    for v in orders:
        if v is None:
            f, slope = _op(name), SLOPES[name]
        else:
            f = (lambda x, v=v: _op(name)(v, x))
            slope = (lambda x, v=v: ORDER_SLOPES[name](v, x))
        reference = _central(slope, X, 1e-5)
        hessian = np.diagonal(ad.hessian(lambda x, f=f: anp.sum(f(x)))(X))
        np.testing.assert_allclose(hessian, reference, rtol=1e-7, atol=1e-9,
                                   err_msg=f"{name} v={v}")
        np.testing.assert_allclose([ad.grad(ad.grad(f))(x) for x in X], hessian, rtol=1e-12,
                                   atol=1e-14)
        hessian_fwd = _diagonal(ad.jacfwd, lambda x, f=f: _diagonal(ad.jacfwd, f, x), X)
        np.testing.assert_allclose(hessian_fwd, hessian, rtol=1e-12, atol=1e-14)


def test_third_derivative_of_k0_by_differences():
    """K₀''' from three reverse sweeps against a difference of the second derivative."""
    second = ad.grad(ad.grad(bessel.k0))
    third = ad.grad(second)
    for x in (0.6, 1.7, 3.0):
        assert third(x) == pytest.approx(_central(second, x, 1e-5), rel=1e-7)


# -- float32 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNARY + REAL_ORDER)
def test_float32_stays_float32(name):
    x = X[:4].astype(np.float32)
    f = _op(name) if name in UNARY else (lambda x: _op(name)(1.5, x))
    assert f(x).dtype == np.float32
    for transform in TRANSFORMS:
        jac = transform(f)(x)
        assert jac.dtype == np.float32, transform.__name__
        expected = (SLOPES[name](X[:4]) if name in UNARY else ORDER_SLOPES[name](1.5, X[:4]))
        np.testing.assert_allclose(jac.diagonal(), expected, rtol=1e-5, atol=1e-6)
    assert ad.grad(lambda x: anp.sum(f(x)))(x).dtype == np.float32
    assert ad.hessian(lambda x: anp.sum(f(x)))(x).dtype == np.float32
    if name in REAL_ORDER:  # an integer-array order keeps float32 too
        g = ad.grad(lambda x: anp.sum(_op(name)(np.array([[0], [2]]), x)))(x)
        assert g.dtype == np.float32


# -- the order v: no derivative ----------------------------------------------------------------

@pytest.mark.parametrize("name", REAL_ORDER)
@pytest.mark.parametrize("transform", [ad.grad, ad.jacfwd, ad.jacrev], ids=["grad", "fwd", "rev"])
def test_order_derivative_is_a_type_error(name, transform):
    message = (rf"{name}\(\): no derivative with respect to v \(argument 0\) is available: the "
               rf"derivative of a Bessel function with respect to its order v is no closed form "
               rf"\(admodes has only ∂/∂x\)\. Pass v as a constant \(a Python number or a plain "
               rf"array\) and differentiate with respect to x only")
    f = _op(name)
    with pytest.raises(TypeError, match=message):
        transform(f)(1.5, 0.8)
    with pytest.raises(TypeError, match=re.escape("Pass v as a constant")):
        transform(f, argnums=(0, 1))(1.5, 0.8)
    with pytest.raises(TypeError, match=re.escape(f"{name}(): no derivative")):
        transform(lambda v: anp.sum(f(v, X)))(np.array([0.5, 1.5, 2.5, 3.0, 1.0, 2.0]))
    # the same call differentiated in x only is fine
    assert np.isfinite(transform(f, argnums=1)(1.5, 0.8))


@pytest.mark.parametrize("name", REAL_ORDER)
def test_order_derivative_is_refused_also_in_an_outer_derivative(name):
    """grad in v of grad in x: the x-rule's J_{v±1} carry the traced v to the outer level."""
    f = _op(name)
    with pytest.raises(TypeError, match=re.escape(f"{name}(): no derivative with respect to v")):
        ad.grad(lambda v: ad.grad(f, argnums=1)(v, 0.8))(1.5)


# -- scipy.special's own ufuncs on traced arrays --------------------------------------------------

def test_scipy_ufuncs_on_a_traced_array_dispatch_to_the_ops():
    for name in UNARY:
        theirs = getattr(sc, name)
        np.testing.assert_allclose(ad.grad(lambda x, f=theirs: anp.sum(f(x)))(X),
                                   SLOPES[name](X), rtol=1e-13, atol=1e-15, err_msg=name)
    for name in REAL_ORDER:
        theirs = getattr(sc, name)
        for v in (0.5, 2, np.array([[1.5], [3.0]])):
            np.testing.assert_allclose(
                ad.grad(lambda x, f=theirs, v=v: anp.sum(f(v, x)))(X),
                np.sum(np.broadcast_to(ORDER_SLOPES[name](np.asarray(v, float), X),
                                       np.broadcast_shapes(np.shape(v), X.shape)), axis=0)
                if np.ndim(v) else ORDER_SLOPES[name](v, X), rtol=1e-13, atol=1e-15,
                err_msg=f"{name}({v}, x)")
    # second order through scipy's name too
    np.testing.assert_allclose(ad.grad(ad.grad(lambda x: sc.jv(1.5, x)))(1.3),
                               _second_derivative("jv", 1.5, 1.3), rtol=1e-12)
    with pytest.raises(TypeError, match=re.escape("jv(): no derivative with respect to v")):
        ad.grad(lambda v: sc.jv(v, 1.3))(1.5)


# -- the registry ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNARY + REAL_ORDER)
def test_registered_in_the_scipy_special_namespace(name):
    entry = registry.lookup(f"special.{name}")
    assert entry is _op(name) and entry.namespace == "scipy.special"
    assert entry.short_name == name and entry.doc and entry.refs
    assert name in asp.__all__ and getattr(asp, name) is entry


@pytest.mark.parametrize("name", UNARY + REAL_ORDER)
def test_plain_rules_are_specialized(name):
    """The first-order rules on plain arrays run the impls (admodes.plain) and give the rules'
    result bit for bit."""
    op = _op(name)
    assert op.plain_jvp is not op.jvp and op.plain_vjp is not op.vjp
    args = (X,) if name in UNARY else (2.5, X)
    out = op.impl(*args)
    tangents = [None] * (len(args) - 1) + [np.ones((1,) + X.shape)]
    np.testing.assert_array_equal(op.plain_jvp(list(args), tangents, out),
                                  op.jvp(list(args), tangents, out))
    ct = np.linspace(-1.0, 1.0, X.size).reshape((1,) + X.shape)
    extra = {"wants": (False, True)} if op.selective else {}
    np.testing.assert_array_equal(op.plain_vjp(ct, list(args), out, **extra)[-1],
                                  op.vjp(ct, list(args), out, **extra)[-1])
