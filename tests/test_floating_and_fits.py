"""Behaviour of nancumsum/nancumprod, unwrap, polyfit and the floating-point decompositions
(divmod, modf, ldexp, frexp) that the generated registry tests (finite, well-separated domain
cases, values to a tolerance) do not reach: numpy's values bit for bit on edge cases (NaN,
±0.0, ±∞, subnormals, exact half-period jumps), derivatives with a closed form, nested
derivatives, the ufunc forms on tracers, warnings and bad arguments."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([[0.3, np.nan, -1.2, 2.0],
              [np.nan, np.nan, np.nan, np.nan],
              [1.5, 0.25, np.nan, -0.5]])


def assert_bits_equal(ours, theirs):
    """Same type, shape, dtype and bytes (so −0.0 is not 0.0 and NaN equals NaN)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype)
    assert ours.tobytes() == theirs.tobytes(), f"{ours!r} != {theirs!r}"


# -- nancumsum, nancumprod ------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, 1, -1, -2])
def test_nancumsum_equals_numpy_bit_for_bit_with_an_all_nan_row(axis):
    assert_bits_equal(anp.nancumsum(X, axis=axis), np.nancumsum(X, axis=axis))
    assert_bits_equal(anp.nancumsum(X.astype(np.float32), axis=axis),
                      np.nancumsum(X.astype(np.float32), axis=axis))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_nancumprod_matches_numpy_with_an_all_nan_row(axis):
    """The product is cumprod's scan (another order of multiplication than numpy's loop)."""
    ours, theirs = anp.nancumprod(X, axis=axis), np.nancumprod(X, axis=axis)
    assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_nan_scans_of_all_nan_arrays_are_zeros_and_ones():
    nans = np.full((2, 3), np.nan)
    assert_bits_equal(anp.nancumsum(nans, axis=1), np.zeros((2, 3)))
    assert_bits_equal(anp.nancumprod(nans), np.ones(6))


def test_nan_scans_of_integers_and_scalars_keep_numpys_dtypes():
    ints = np.array([[1, 2], [3, 4]])
    for name in ("nancumsum", "nancumprod", "nansum", "nanprod", "nanmax"):
        assert_bits_equal(getattr(anp, name)(ints, axis=0), getattr(np, name)(ints, axis=0))
    assert_bits_equal(anp.nancumsum(2.5), np.nancumsum(2.5))
    assert_bits_equal(anp.nancumsum([1.0, np.nan, 2.0]), np.nancumsum([1.0, np.nan, 2.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_nan_scans_accumulate_in_the_dtype_given(dtype):
    for name in ("nancumsum", "nancumprod"):
        ours = getattr(anp, name)(X + 0.01, axis=1, dtype=dtype)
        theirs = getattr(np, name)(X + 0.01, axis=1, dtype=dtype)
        assert ours.dtype == theirs.dtype == dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_nancumsum_jacobian_skips_the_nan_entries(transform):
    x = np.array([0.5, np.nan, -1.0, np.nan, 2.0])
    jac = transform(anp.nancumsum)(x)
    np.testing.assert_array_equal(jac, np.tril(np.ones((5, 5))) * ~np.isnan(x))


def test_nancumprod_gradient_is_the_product_of_the_other_non_nan_entries():
    x = np.array([2.0, np.nan, 3.0, 0.5])
    grad = ad.grad(lambda x: anp.nancumprod(x)[-1])(x)
    np.testing.assert_allclose(grad, [1.5, 0.0, 1.0, 6.0], rtol=1e-15)


def test_nancumsum_hessian_of_a_square_is_the_masked_identity_sum():
    x = np.array([0.5, np.nan, -1.0])
    hess = ad.hessian(lambda x: anp.sum(anp.nancumsum(x) ** 2))(x)
    c = np.tril(np.ones((3, 3))) * ~np.isnan(x)
    np.testing.assert_allclose(hess, 2 * c.T @ c, rtol=1e-15)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.nancumsum(X, axis=(0, 1)), TypeError,
     "nancumsum(): axis must be None or an int, got (0, 1)"),
    (lambda: anp.nancumprod(X, axis=2), ValueError,
     "nancumprod(): axis 2 is out of bounds for an array of dimension 2"),
])
def test_nan_scan_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


# -- unwrap ---------------------------------------------------------------------------------------

def _wrapped(rng, shape, period=2 * np.pi, axis=-1, step=0.45):
    phase = np.cumsum(rng.uniform(-step, step, size=shape) * period, axis=axis)
    return np.mod(phase + period / 2, period) - period / 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("kwargs", "period"), [
    ({}, 2 * np.pi), ({"discont": 4.5}, 2 * np.pi), ({"discont": 1.0}, 2 * np.pi),
    ({"period": 360.0}, 360.0), ({"period": 4.0, "discont": 3.1}, 4.0),
    ({"axis": 0}, 2 * np.pi), ({"axis": 1, "period": 10.0}, 10.0)])
def test_unwrap_equals_numpy_bit_for_bit(dtype, kwargs, period, rng):
    """Steps up to 0.45 periods: the differences come near ±period/2 and near discont."""
    axis = kwargs.get("axis", -1)
    p = _wrapped(rng, (40, 30), period, axis=axis).astype(dtype)
    assert_bits_equal(anp.unwrap(p, **kwargs), np.unwrap(p, **kwargs))


def test_unwrap_keeps_the_sign_of_exact_half_period_jumps_and_of_a_leading_zero():
    for p in ([-0.0, np.pi, 0.0, -np.pi, 0.0], [0.0, 2.0, 0.0, -2.0, -4.0]):
        for kwargs in ({}, {"period": 4.0}, {"discont": 2.0}):
            assert_bits_equal(anp.unwrap(p, **kwargs), np.unwrap(p, **kwargs))


@pytest.mark.parametrize(("p", "kwargs"), [
    ([0, 1, 2, -1, 0], {"period": 4}), ([1, 2, 3, 4, 5, 6, 1, 2, 3], {"period": 6}),
    ([2, 3, 4, 5, 2, 3, 4, 5], {"period": 4}), ([0, 3, 6, 1], {"period": 5}),
    ([0, 4, 1], {}), (np.arange(4, dtype=np.float32), {"period": np.float64(2.0)}),
    (np.ones((2, 0)), {}), (np.ones((3, 1)), {}), ([np.nan, 0.0, 7.0], {})])
def test_unwrap_dtypes_and_degenerate_shapes_follow_numpy(p, kwargs):
    assert_bits_equal(anp.unwrap(p, **kwargs), np.unwrap(p, **kwargs))


def test_unwrap_derivative_is_the_identity_at_every_nesting_level(rng):
    p = _wrapped(rng, (3, 7), step=0.3)
    for transform in (ad.jacfwd, ad.jacrev):
        jac = transform(lambda p: anp.unwrap(p, axis=0))(p)
        np.testing.assert_array_equal(jac, np.eye(p.size).reshape(p.shape * 2))
    hess = ad.jacfwd(ad.jacrev(lambda p: anp.sum(anp.unwrap(p) ** 2)))(p[0])
    np.testing.assert_allclose(hess, 2 * np.eye(7), rtol=1e-15)
    grad = ad.grad(lambda p: anp.sum(np.unwrap(p)))(p[0])  # numpy's spelling on a tracer
    np.testing.assert_array_equal(grad, np.ones(7))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.unwrap(np.float64(1.0)), ValueError,
     "unwrap(): p must have at least one axis, got shape ()"),
    (lambda: anp.unwrap(np.ones((2, 3)), axis=(0, 1)), TypeError,
     "unwrap(): axis must be an int, got (0, 1)"),
    (lambda: anp.unwrap(np.ones(3), axis=1), ValueError,
     "unwrap(): axis 1 is out of bounds for an array of dimension 1"),
    (lambda: ad.grad(lambda t: anp.sum(anp.unwrap(np.ones(3), period=t)))(4.0), TypeError,
     ("unwrap(): period must be a concrete number, not a traced array (the result is not "
      "differentiable in it)")),
])
def test_unwrap_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


# -- polyfit --------------------------------------------------------------------------------------

def _samples(rng, m=8, k=None):
    x = np.sort(rng.uniform(-1.0, 3.0, size=m))
    y = rng.standard_normal(m if k is None else (m, k))
    return x, y


@pytest.mark.parametrize(("k", "weighted", "rcond"), [
    (None, False, None), (3, False, None), (None, True, 1e-8), (2, True, None)])
def test_polyfit_full_output_matches_numpy(k, weighted, rcond, rng):
    x, y = _samples(rng, k=k)
    w = rng.uniform(0.5, 2.0, size=8) if weighted else None
    ours = anp.polyfit(x, y, 3, rcond=rcond, full=True, w=w)
    theirs = np.polyfit(x, y, 3, rcond=rcond, full=True, w=w)
    assert [type(a) for a in ours] == [type(a) for a in theirs]
    for a, b in zip(ours, theirs):
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert ours[2] == theirs[2] == 4 and ours[4] == theirs[4]


def test_polyfit_dtypes_follow_numpy(rng):
    x, y = _samples(rng)
    for args in [(x.astype(np.float32), y.astype(np.float32)), (np.arange(8), np.arange(8) ** 2),
                 (x, y.astype(np.float32))]:
        for kwargs in ({}, {"w": np.linspace(1.0, 2.0, 8, dtype=np.float32)}):
            ours, theirs = anp.polyfit(*args, 2, **kwargs), np.polyfit(*args, 2, **kwargs)
            assert ours.dtype == theirs.dtype
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    full = anp.polyfit(x.astype(np.float32), y, 2, full=True)
    assert full[4] == np.polyfit(x.astype(np.float32), y, 2, full=True)[4]
    assert full[4].dtype == np.float32


@pytest.mark.parametrize("cov", [True, "unscaled"])
@pytest.mark.parametrize("k", [None, 2])
def test_polyfit_covariance_matches_numpy(cov, k, rng):
    x, y = _samples(rng, k=k)
    w = rng.uniform(0.5, 2.0, size=8)
    ours, theirs = anp.polyfit(x, y, 2, w=w, cov=cov), np.polyfit(x, y, 2, w=w, cov=cov)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_polyfit_gradient_in_y_is_the_pseudo_inverse_of_the_vandermonde_matrix(transform, rng):
    x, y = _samples(rng)
    v = np.vander(x, 4)
    np.testing.assert_allclose(transform(lambda y: anp.polyfit(x, y, 3))(y), np.linalg.pinv(v),
                               rtol=1e-10, atol=1e-12)
    w = rng.uniform(0.5, 2.0, size=8)  # c = (W V)⁺ W y
    np.testing.assert_allclose(transform(lambda y: anp.polyfit(x, y, 3, w=w))(y),
                               np.linalg.pinv(w[:, None] * v) * w, rtol=1e-10, atol=1e-12)
    several = transform(lambda y: anp.polyfit(x, y, 3))(np.stack([y, -y], axis=1))
    expected = np.einsum("ij,kl->ikjl", np.linalg.pinv(v), np.eye(2))  # column k fits y[:, k]
    np.testing.assert_allclose(several, expected, rtol=1e-10, atol=1e-12)


def test_polyfit_hessian_of_the_squared_coefficients_is_constant(rng):
    x, y = _samples(rng)
    pinv = np.linalg.pinv(np.vander(x, 3))
    hess = ad.hessian(lambda y: anp.sum(anp.polyfit(x, y, 2) ** 2))(y)
    np.testing.assert_allclose(hess, 2 * pinv.T @ pinv, rtol=1e-10, atol=1e-12)


def test_polyfit_residual_gradient_in_y_is_twice_the_residual(rng):
    """d/dy ‖y − V c(y)‖² = 2 (I − V V⁺) y: the projection onto the residual space."""
    x, y = _samples(rng)
    grad = ad.grad(lambda y: anp.polyfit(x, y, 2, full=True)[1][0])(y)
    v = np.vander(x, 3)
    np.testing.assert_allclose(grad, 2 * (y - v @ np.linalg.pinv(v) @ y), rtol=1e-10,
                               atol=1e-12)


def test_polyfit_with_fewer_points_than_coefficients_warns_and_is_the_minimum_norm_fit(rng):
    x, y = _samples(rng, m=3)
    with pytest.warns(np.exceptions.RankWarning, match="^Polyfit may be poorly conditioned$"):
        ours = anp.polyfit(x, y, 4)
    with pytest.warns(np.exceptions.RankWarning):
        theirs = np.polyfit(x, y, 4)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    full, numpys = anp.polyfit(x, y, 4, full=True), np.polyfit(x, y, 4, full=True)  # no warning
    assert full[1].shape == numpys[1].shape == (0,) and full[2] == numpys[2] == 3


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.polyfit(np.ones(3), np.ones(3), -1), ValueError,
     "polyfit(): deg must be >= 0, got -1"),
    (lambda: anp.polyfit(np.ones((3, 1)), np.ones(3), 1), TypeError,
     "polyfit(): x must be a non-empty 1-d vector of sample points, got shape (3, 1)"),
    (lambda: anp.polyfit(np.ones(0), np.ones(0), 1), TypeError,
     "polyfit(): x must be a non-empty 1-d vector of sample points, got shape (0,)"),
    (lambda: anp.polyfit(np.arange(3.0), np.ones(4), 1), TypeError,
     ("polyfit(): y must be 1-d, or 2-d with one data set per column, with one row per sample "
      "point (3), got shape (4,)")),
    (lambda: anp.polyfit(np.arange(3.0), np.ones(3), 1, w=np.ones((3, 1))), TypeError,
     "polyfit(): w must be 1-d with one weight per sample point (3), got shape (3, 1)"),
    (lambda: anp.polyfit(np.array([1.0, 1.0, 2.0, 2.0]), np.ones(4), 2), ValueError,
     ("polyfit(): the fit of degree 2 to 4 points is rank deficient (rank 2 < 3 at "
      "rcond=8.88e-16: too few distinct x for the degree); numpy "
      "warns (RankWarning) and truncates, which has no derivative here. Lower deg or use "
      "more distinct points")),
    (lambda: anp.polyfit(np.arange(3.0), np.ones(3), 2, cov=True), ValueError,
     ("polyfit(): the number of data points (3) must exceed order (3) to scale the "
      "covariance matrix; pass cov='unscaled' for (AᵀA)⁻¹")),
    (lambda: ad.grad(lambda r: anp.polyfit(np.arange(3.0), np.ones(3), 1, rcond=r)[0])(1e-9),
     TypeError, ("polyfit(): rcond must be a concrete number, not a traced array (the result "
                 "is not differentiable in it)")),
])
def test_polyfit_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


# -- divmod, modf, ldexp, frexp -------------------------------------------------------------------

EDGES = np.array([-3.0, -2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.75, 1e300, -1e-310, 5e-324,
                  np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_modf_and_frexp_equal_numpy_bit_for_bit_on_edge_values(dtype):
    with np.errstate(over="ignore"):
        x = EDGES.astype(dtype)
    for name in ("modf", "frexp"):
        for ours, theirs in zip(getattr(anp, name)(x), getattr(np, name)(x)):
            assert_bits_equal(ours, theirs)
    assert_bits_equal(anp.frexp(np.array([3, -8]))[0], np.frexp(np.array([3, -8]))[0])


def test_ldexp_equals_numpy_bit_for_bit_where_the_power_of_two_alone_would_overflow():
    x1 = np.array([1e-300, 3.0, -5e-324, 0.75, np.inf])
    x2 = np.array([1100, -1080, 1074, 1024, -3])
    assert_bits_equal(anp.ldexp(x1, x2), np.ldexp(x1, x2))
    x32 = np.array([1.5, -2.0], dtype=np.float32)
    for exponent in (np.array([2, -130]), np.array([2, -130], dtype=np.int32), [2, -130], 3):
        assert_bits_equal(anp.ldexp(x32, exponent), np.ldexp(x32, exponent))


@pytest.mark.parametrize(("x1", "x2"), [
    (np.array([5.5, -5.5, 5.5, -5.5, 0.0, -0.0]), np.array([2.0, 2.0, -2.0, -2.0, 3.0, 3.0])),
    (np.array([7, -7, 7]), np.array([2, 2, -2])), (np.array([1.0, 2.5]), 0.5)])
def test_divmod_equals_numpy(x1, x2):
    for ours, theirs in zip(anp.divmod(x1, x2), np.divmod(x1, x2)):
        assert_bits_equal(ours, theirs)


def test_frexp_mantissa_derivative_is_two_to_minus_the_exponent():
    x = np.array([0.3, -5.0, 1e-150, 700.0, 0.0])
    exponent = np.frexp(x)[1]
    for transform in (ad.jacfwd, ad.jacrev):
        np.testing.assert_array_equal(transform(lambda x: anp.frexp(x)[0])(x),
                                      np.diag(np.ldexp(1.0, -exponent)))
    hess = ad.hessian(lambda x: anp.sum(anp.frexp(x)[0] ** 2))(x)
    np.testing.assert_array_equal(hess, np.diag(2 * np.ldexp(1.0, -2 * exponent)))


def test_ldexp_gradient_sums_the_powers_of_two_over_broadcast_axes():
    x1, x2 = np.array([[1.5], [-0.25]]), np.array([1, -2, 3])
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(anp.ldexp(x, x2)))(x1),
                                  np.full((2, 1), 2.0 + 0.25 + 8.0))
    x32 = np.array([1.5, -2.0], dtype=np.float32)
    grad = ad.grad(lambda x: anp.sum(anp.ldexp(x, np.array([1, 2]))))(x32)
    assert grad.dtype == np.float32 and grad.tolist() == [2.0, 4.0]


def test_divmod_quotient_has_no_derivative_and_the_remainder_has_the_quotients():
    x1, x2 = np.array([5.5, -5.5, 1.2]), np.array([2.0, 2.0, -0.5])
    quotient = np.floor_divide(x1, x2)
    for transform in (ad.jacfwd, ad.jacrev):
        q_x1, q_x2 = transform(lambda a, b: anp.divmod(a, b)[0], argnums=(0, 1))(x1, x2)
        np.testing.assert_array_equal(q_x1, np.zeros((3, 3)))
        np.testing.assert_array_equal(q_x2, np.zeros((3, 3)))
        r_x1, r_x2 = transform(lambda a, b: anp.divmod(a, b)[1], argnums=(0, 1))(x1, x2)
        np.testing.assert_array_equal(r_x1, np.eye(3))
        np.testing.assert_array_equal(r_x2, np.diag(-quotient))


def test_modf_fraction_has_derivative_one_also_on_the_integers():
    x = np.array([-2.0, -0.0, 0.4, 3.0, -1.7])
    for transform in (ad.jacfwd, ad.jacrev):
        np.testing.assert_array_equal(transform(lambda x: anp.modf(x)[0])(x), np.eye(5))
        np.testing.assert_array_equal(transform(lambda x: anp.modf(x)[1])(x), np.zeros((5, 5)))


@pytest.mark.parametrize(("ufunc", "expected"), [
    (lambda x: np.divmod(x, 0.75)[1], 1.0), (lambda x: np.modf(x)[0], 1.0),
    (lambda x: np.frexp(x)[0], 2.0 ** -2), (lambda x: np.ldexp(x, 3), 8.0)])
def test_numpys_multi_output_ufuncs_on_tracers_are_differentiated(ufunc, expected):
    """np.divmod(tracer, ...) and the others reach the registry entries of the same name."""
    x = np.array([2.2, 3.1])  # exponent 2, quotients 2 and 4
    for transform in (ad.jacfwd, ad.jacrev):
        np.testing.assert_array_equal(transform(ufunc)(x), expected * np.eye(2))


def test_ldexp_with_a_real_exponent_says_how_to_write_it():
    message = ("ldexp(): x2 must hold integer exponents (x2 carries no derivative), got dtype "
               "float64; for x1·2**x2 with a real x2 use multiply(x1, exp2(x2))")
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        anp.ldexp(np.ones(2), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        ad.grad(lambda e: anp.sum(anp.ldexp(np.ones(2), e)))(np.array([1.0, 2.0]))
