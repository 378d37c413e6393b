"""numpy's dtype=, out=, initial=, where= (and var's mean=, correction=) on the reductions.

Their derivatives are covered by the generated tests (the keyword cases are in the ops'
domains); here: the plain-array paths numpy owns (out=), the errors, integer dtypes, empty
reductions with initial, the methods, and that the ops' fast path does not see the keywords.
"""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import registry
from admodes.tracing import Tracer

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
MASK = np.array([[True, False, True], [True, True, False]])


@pytest.mark.parametrize(("name", "keywords"), [
    ("sum", {"axis": 0}), ("prod", {"axis": 1}), ("max", {"axis": 0}), ("min", {"axis": 1}),
    ("mean", {"axis": 0}), ("var", {"axis": 1}), ("std", {"axis": 0}), ("nansum", {"axis": 0}),
    ("nanmean", {"axis": 1}), ("nanmax", {"axis": 0}), ("nanvar", {"axis": 0}),
    ("cumsum", {"axis": 1}), ("cumprod", {"axis": 0}), ("nancumsum", {"axis": 1}),
])
def test_out_on_plain_arrays_is_numpys(name, keywords):
    expected = getattr(np, name)(X, **keywords)
    buffer = np.empty_like(expected)
    result = getattr(anp, name)(X, out=buffer, **keywords)
    assert result is buffer
    np.testing.assert_array_equal(buffer, expected)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "mean", "var", "std", "nansum",
                                  "nanmean", "nanmax", "nanstd", "cumsum", "cumprod",
                                  "nancumprod"])
def test_out_on_a_traced_array_is_refused(name):
    buffer = np.empty(3)
    with pytest.raises(TypeError, match=rf"{name}\(\): out= writes into an array in place, "
                                        r"which is not differentiable"):
        ad.grad(lambda x: anp.sum(getattr(anp, name)(x, axis=0, out=buffer)))(X)
    with pytest.raises(TypeError, match=r"trace\(\): out= writes into an array in place"):
        ad.grad(lambda x: anp.trace(x, out=np.empty(())))(X)


@pytest.mark.parametrize("name", ["max", "min"])
def test_where_needs_initial_for_max_and_min(name):
    with pytest.raises(ValueError, match=rf"{name}\(\): where= needs initial="):
        ad.grad(lambda x: getattr(anp, name)(x, where=MASK))(X)


@pytest.mark.parametrize(("where", "error", "message"), [
    (np.ones((3, 2), dtype=bool), ValueError,
     r"sum\(\): where= of shape \(3, 2\) does not broadcast to the input's shape \(2, 3\)"),
    (np.ones(3), TypeError, r"sum\(\): where= must be a boolean mask, got dtype float64"),
])
def test_bad_where(where, error, message):
    with pytest.raises(error, match=message):
        ad.grad(lambda x: anp.sum(x, where=where))(X)


def test_traced_where_is_refused():
    with pytest.raises(TypeError, match=r"sum\(\): where= must be a boolean mask, got a traced "
                                        r"array of dtype float64"):
        ad.grad(lambda x: anp.sum(x, where=x))(X)


def test_masked_entries_get_zero_derivative():
    g = ad.grad(lambda x: anp.sum(x * x, where=MASK))(X)
    np.testing.assert_array_equal(g, np.where(MASK, 2 * X, 0.0))
    g = ad.grad(lambda x: anp.mean(x, axis=1, where=MASK).sum())(X)
    np.testing.assert_array_equal(g, np.where(MASK, 1 / MASK.sum(axis=1, keepdims=True), 0.0))


def test_initial_is_differentiable():
    """max(x, initial=c) is c where every entry is below it: the derivative goes to c."""
    def f(x, c):
        return anp.sum(anp.max(x, axis=1, initial=c))

    gx, gc = ad.grad(f, argnums=(0, 1))(X, 1.0)
    np.testing.assert_array_equal(gx, [[0, 0, 1], [1, 0, 0]])
    assert gc == 0.0
    gx, gc = ad.grad(f, argnums=(0, 1))(X, 1.75)
    np.testing.assert_array_equal(gx, [[0, 0, 1], [0, 0, 0]])
    assert gc == 1.0
    assert ad.grad(lambda c: anp.sum(X, initial=c))(3.0) == 1.0


def test_empty_max_with_initial():
    empty = np.zeros((0, 3))
    value = anp.max(empty, axis=0, initial=2.0)
    np.testing.assert_array_equal(value, np.max(empty, axis=0, initial=2.0))
    g = ad.grad(lambda c: anp.sum(anp.max(empty, axis=0, initial=c)))(2.0)
    assert g == 3.0
    g = ad.grad(lambda x: anp.sum(anp.min(x, axis=0, initial=0.0)))(empty)
    assert g.shape == (0, 3)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "cumsum", "nansum", "nancumsum",
                                  "trace"])
def test_integer_dtype_is_numpys_value_without_derivative(name):
    """An integer dtype makes the result piecewise constant, as astype(int): numpy's value
    of the plain array, and no derivative reaches x."""
    def f(x):
        value = getattr(anp, name)(x, dtype=np.int64)
        np.testing.assert_array_equal(value, getattr(np, name)(X, dtype=np.int64))
        assert not isinstance(value, Tracer)
        return anp.sum(x) * 0.0 + anp.sum(value * 1.0)
    np.testing.assert_array_equal(ad.grad(f)(X), np.zeros_like(X))


def test_complex_dtype_is_refused():
    with pytest.raises(TypeError, match=r"sum\(\): dtype=complex128 is complex; admodes "
                                        r"differentiates real-valued functions only"):
        ad.grad(lambda x: anp.sum(x, dtype=np.complex128))(X)


def test_floating_dtype_casts_and_the_gradient_keeps_the_inputs_dtype():
    x32 = X.astype(np.float32)
    value, g = ad.value_and_grad(lambda x: anp.sum(anp.square(x), dtype=np.float64))(x32)
    assert value.dtype == np.float64 and g.dtype == np.float32
    assert value == np.sum(np.square(x32), dtype=np.float64)
    np.testing.assert_array_equal(g, 2 * x32)


def test_positional_arguments_in_numpys_order():
    x32 = X.astype(np.float32)
    assert anp.sum(x32, None, np.float64).dtype == np.float64  # sum(a, axis, dtype)
    np.testing.assert_array_equal(anp.sum(X, 0, None, None, True), np.sum(X, 0, keepdims=True))
    np.testing.assert_array_equal(anp.cumsum(X, 1, np.float32), np.cumsum(X, 1, np.float32))
    np.testing.assert_array_equal(anp.max(X, 1, None, False, 1.0), np.max(X, 1, None, False, 1.0))


def test_var_keywords():
    mean = np.mean(X, axis=1, keepdims=True)
    np.testing.assert_allclose(anp.var(X, axis=1, mean=mean), np.var(X, axis=1), rtol=1e-15)
    np.testing.assert_allclose(anp.std(X, correction=1), np.std(X, ddof=1), rtol=1e-15)
    g_mean = ad.grad(lambda m: anp.sum(anp.var(X, axis=1, mean=m)))(mean)
    np.testing.assert_allclose(g_mean, np.sum(-2 * (X - mean), axis=1, keepdims=True) / 3,
                               atol=1e-15)
    with pytest.raises(ValueError, match=r"var\(\): ddof and correction can't be provided "
                                         r"simultaneously"):
        anp.var(X, ddof=1, correction=1)
    with pytest.raises(ValueError, match=r"std\(\): ddof=6 leaves no degrees of freedom"):
        ad.grad(lambda x: anp.std(x, ddof=6))(X)


def test_nanmax_initial_fills_an_all_nan_slice():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    np.testing.assert_array_equal(anp.nanmax(x, axis=1, initial=0.5),
                                  np.nanmax(x, axis=1, initial=0.5))
    with pytest.warns(RuntimeWarning):
        expected = np.nanmax(x, axis=1)
    np.testing.assert_array_equal(anp.nanmax(x, axis=1), expected)


def test_average_returned():
    w = np.array([1.0, 2.0, 3.0])
    for kwargs in ({"axis": 1, "weights": w}, {"axis": 0}, {}):
        ours, theirs = anp.average(X, returned=True, **kwargs), np.average(X, returned=True,
                                                                            **kwargs)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-15)
            assert np.shape(a) == np.shape(b)
    g = ad.grad(lambda w: anp.sum(anp.average(X, axis=1, weights=w, returned=True)[1]))(w)
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(("method", "call"), [
    ("sum", lambda x: x.sum(axis=1, where=MASK)),
    ("prod", lambda x: x.prod(0, np.float64, None, True)),
    ("max", lambda x: x.max(initial=0.0, where=MASK)),
    ("mean", lambda x: x.mean(axis=0, dtype=np.float64)),
    ("var", lambda x: x.var(1, ddof=1)),
    ("std", lambda x: x.std(where=MASK)),
    ("cumsum", lambda x: x.cumsum(1, np.float64)),
    ("cumprod", lambda x: x.cumprod(axis=0, dtype=np.float64)),
])
def test_methods_take_numpys_keywords(method, call):
    """A traced array's methods as numpy's ndarray methods: the same values, and gradients
    equal to those of the namespace functions."""
    value, g = ad.value_and_grad(lambda x: anp.sum(call(x)))(X)
    assert value == pytest.approx(np.sum(call(X)), rel=1e-6)
    eye = np.eye(X.size).reshape((X.size,) + X.shape)
    fd = [(np.sum(call(X + 1e-6 * e)) - np.sum(call(X - 1e-6 * e))) / 2e-6 for e in eye]
    np.testing.assert_allclose(g.ravel(), fd, rtol=1e-5, atol=1e-6)


def test_the_ops_own_calls_do_not_reach_numpy_signature():
    """The keywords the primitive takes stay on its fast path."""
    op = registry.lookup("sum")
    assert op.covers((), {"axis": 0, "keepdims": True}) and op.covers((1,), {})
    assert not op.covers((1, np.float32), {}) and not op.covers((), {"where": MASK})
