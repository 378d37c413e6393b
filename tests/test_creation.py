"""linspace with traced endpoints: numpy's values bit for bit, derivatives in both modes, and
numpy's behaviour (plain numpy) when no endpoint is traced; logspace, geomspace and meshgrid
(their derivatives and values on the domain cases are in the generated tests)."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

CASES = [  # (start, stop, keyword arguments)
    (1.0, 3.0, {"num": 7}),
    (-2.0, 5.0, {"num": 4, "endpoint": False}),
    (np.array([0.0, 1.0]), 2.0, {"num": 5, "axis": -1}),
    (np.array([[0.5], [1.5]]), np.array([2.0, 4.0, 8.0]), {"num": 3, "axis": 1}),
    (1.0, 1.0 + 1e-310, {"num": 3}),  # a denormal step: numpy's other branch
    (0.25, 4.0, {"num": 1}),
    (0.25, 4.0, {"num": 0}),
]


@pytest.mark.parametrize(("start", "stop", "kwargs"), CASES)
def test_traced_linspace_equals_numpys_bit_for_bit(start, stop, kwargs):
    out = ad.jvp(lambda s: anp.linspace(s, stop, **kwargs), (np.asarray(start),),
                 (np.ones_like(np.asarray(start)),))[0]
    expected = np.linspace(start, stop, **kwargs)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_derivatives_are_the_interpolation_weights():
    """y_i = start + (i/div)·(stop − start): ∂y/∂start = 1 − i/div, ∂y/∂stop = i/div."""
    jac = ad.jacfwd(lambda ab: anp.linspace(ab[0], ab[1], 5))(np.array([1.0, 3.0]))
    t = np.arange(5) / 4
    np.testing.assert_allclose(jac, np.stack([1 - t, t], axis=1), atol=1e-15)
    np.testing.assert_allclose(ad.jacrev(lambda ab: anp.linspace(ab[0], ab[1], 5))(
        np.array([1.0, 3.0])), jac, atol=1e-15)


def test_retstep_is_differentiable_and_nan_without_an_interval():
    def step(s, num):
        return anp.linspace(s, 2.0, num, retstep=True)[1]
    assert ad.jvp(lambda s: step(s, 5), (np.float64(0.0),), (np.float64(1.0),)) == (0.5, -0.25)
    assert ad.grad(lambda s: step(s, 5))(np.float64(0.0)) == -0.25
    y, nan_step = ad.jvp(lambda s: anp.linspace(s, 2.0, 1, retstep=True), (np.float64(0.0),),
                         (np.float64(1.0),))[0]
    np.testing.assert_array_equal(y, [0.0])
    assert np.isnan(nan_step)


def test_numpy_call_on_a_tracer_and_plain_calls():
    g = ad.grad(lambda s: np.sum(np.linspace(s, 1.0, 3)))(np.float64(0.0))
    assert g == 1.5  # (1 + 0.5 + 0)
    np.testing.assert_array_equal(anp.linspace(0, 10, 4, dtype=int), np.linspace(0, 10, 4,
                                                                                 dtype=int))


def test_integer_dtype_is_numpys_value_without_derivative():
    """As astype: an integer sequence is piecewise constant in start and stop."""
    def f(s):
        seq = anp.linspace(s, 10.0, 4, dtype=np.int64)
        np.testing.assert_array_equal(seq, np.linspace(2.5, 10.0, 4, dtype=np.int64))
        return anp.sum(seq * s)
    assert ad.grad(f)(np.float64(2.5)) == np.sum(np.linspace(2.5, 10.0, 4, dtype=np.int64))


def test_errors():
    with pytest.raises(ValueError, match=r"linspace\(\): number of samples, -1, must be "
                                         r"non-negative"):
        ad.grad(lambda s: anp.sum(anp.linspace(s, 1.0, -1)))(np.float64(0.0))


def test_geomspace_ends_are_exact_and_errors():
    start, stop = np.float64(3.0), np.float64(7.0)
    y, t = ad.jvp(lambda a: anp.geomspace(a, stop, 5), (start,), (np.float64(1.0),))
    np.testing.assert_array_equal(y, np.geomspace(start, stop, 5))
    assert y[0] == start and y[-1] == stop and t[0] == 1.0 and t[-1] == 0.0
    with pytest.raises(ValueError, match=r"geomspace\(\): a geometric sequence cannot include "
                                         r"zero"):
        ad.grad(lambda a: anp.sum(anp.geomspace(a, 1.0, 3)))(np.float64(0.0))
    with pytest.raises(ValueError, match=r"geomspace\(\): start and stop must have the same "
                                         r"sign"):
        ad.grad(lambda a: anp.sum(anp.geomspace(a, -1.0, 3)))(np.float64(1.0))


def test_logspace_base_is_differentiable():
    """d/db Σ_i b^(y_i) = Σ_i y_i b^(y_i − 1)."""
    y = np.linspace(0.0, 2.0, 4)
    g = ad.grad(lambda b: anp.sum(anp.logspace(0.0, 2.0, 4, base=b)))(np.float64(3.0))
    assert g == pytest.approx(np.sum(y * 3.0 ** (y - 1)), rel=1e-14)


def test_meshgrid():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    for kwargs in ({}, {"indexing": "ij"}, {"sparse": True}):
        ours = ad.jvp(lambda a, b, kw=kwargs: anp.meshgrid(a, b, **kw), (x, y), (x, y))[0]
        for a, b in zip(ours, np.meshgrid(x, y, **kwargs)):
            np.testing.assert_array_equal(a, b)
    gx, gy = ad.grad(lambda a, b: anp.sum(anp.meshgrid(a, b)[0] * anp.meshgrid(a, b)[1]),
                     argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, np.full(3, y.sum()))
    np.testing.assert_array_equal(gy, np.full(2, x.sum()))
    plain = anp.meshgrid(x, y)  # numpy's own: writable copies
    assert isinstance(plain, tuple) and plain[0].flags.writeable
    with pytest.raises(ValueError, match=r"meshgrid\(\): indexing must be 'xy' or 'ij', got "
                                         r"'ji'"):
        ad.grad(lambda a: anp.sum(anp.meshgrid(a, y, indexing="ji")[0]))(x)


def test_index_functions():
    """triu_indices and friends are integer index arrays; the *_from forms read a traced
    array's shape."""
    a = np.arange(9.0).reshape(3, 3)
    g = ad.grad(lambda m: anp.sum(m[anp.triu_indices_from(m, 1)]))(a)
    np.testing.assert_array_equal(g, np.triu(np.ones((3, 3)), 1))
    g = ad.grad(lambda m: anp.sum(m[anp.tril_indices(3)] ** 2))(a)
    np.testing.assert_array_equal(g, np.tril(2 * a))
    g = ad.grad(lambda m: anp.sum(m[np.diag_indices_from(m)]))(a)
    np.testing.assert_array_equal(g, np.eye(3))
