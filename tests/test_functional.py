"""vectorize, apply_along_axis and apply_over_axes: numpy's values and layouts, derivatives
through the user's function, and the errors. The registry entries' derivatives on their
domain cases are in the generated tests."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

RNG = np.random.default_rng(2)
X = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)


def _fd_grad(f, x, eps=1e-6):
    eye = np.eye(x.size).reshape((x.size,) + x.shape)
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in eye]).reshape(
        x.shape)


@pytest.mark.parametrize(("pyfunc", "kwargs", "args"), [
    (lambda u: u * u if u > 0 else -u, {}, (X,)),
    (lambda u, w: u * w, {}, (X, V)),
    (lambda a, b: (a * b).sum(), {"signature": "(n),(n)->()"}, (X, V)),
    (lambda a: a[::-1] * 2.0, {"signature": "(n)->(n)"}, (X,)),
    (lambda a, b: (a @ b, b.sum()), {"signature": "(m,n),(n)->(m),()"},
     (X[None].repeat(2, axis=0), V)),
    (lambda u, p: u ** p, {"excluded": {1}}, (np.abs(X), 3)),
    (lambda u: (u, u * u), {}, (V,)),
    (lambda u: u * 2.0, {"otypes": [np.float32]}, (X,)),
])
def test_vectorize_equals_numpys(pyfunc, kwargs, args):
    ours, theirs = anp.vectorize(pyfunc, **kwargs)(*args), np.vectorize(pyfunc, **kwargs)(*args)
    for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (ours, theirs))):
        np.testing.assert_allclose(a, b, rtol=1e-14)
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b)

    def total(x):
        out = anp.vectorize(pyfunc, **kwargs)(x, *args[1:])
        return sum(anp.sum(o) for o in (out if isinstance(out, tuple) else (out,)))
    # float32 outputs (otypes): the derivative of u·2 exactly, not a float32 difference
    expected = (np.full(X.shape, 2.0) if "otypes" in kwargs else
                _fd_grad(lambda x: float(total(x)), args[0]))
    np.testing.assert_allclose(ad.grad(total)(args[0]), expected, rtol=1e-6, atol=1e-8)


def test_vectorize_keywords_decorator_and_integer_otypes():
    @anp.vectorize(otypes=[np.float64])
    def clipped(u, *, top=1.0):
        return min(u, top)
    g = ad.grad(lambda x: anp.sum(clipped(x, top=0.5)))(X)
    np.testing.assert_array_equal(g, np.where(X > 0.5, 0.0, 1.0))
    counts = anp.vectorize(lambda u: u * 10.0, otypes=[np.int64])(X)
    np.testing.assert_array_equal(counts, (X * 10.0).astype(np.int64))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.vectorize(np.dot, signature="(n),(n)->")(X, V), ValueError,
     r"vectorize: not a valid gufunc signature: '\(n\),\(n\)->'"),
    (lambda: anp.vectorize(np.dot, signature="(n),(n)->()")(X, V[:3]), ValueError,
     r"vectorize: inconsistent size for core dimension 'n': 4 and 3"),
    (lambda: anp.vectorize(np.dot, signature="(n),(n)->()")(X), TypeError,
     r"vectorize: the signature '\(n\),\(n\)->\(\)' has 2 inputs, the call 1"),
    (lambda: anp.vectorize(np.sum, signature="(m,n)->()")(V), ValueError,
     r"vectorize: an input of shape \(4,\) has fewer dimensions than its core dimensions"),
    (lambda: anp.vectorize(3), TypeError, r"vectorize: pyfunc must be callable, got int"),
    (lambda: anp.vectorize(np.sin, otypes=[float, float])(X), ValueError,
     r"vectorize: 2 otypes for 1 outputs"),
])
def test_vectorize_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_apply_along_axis_layout_and_gradient(axis):
    x = RNG.standard_normal((2, 3, 4))

    def func(v):
        return anp.stack([anp.sum(v * v), anp.max(v)])[:, None] * np.ones(2)
    np.testing.assert_array_equal(anp.apply_along_axis(func, axis, x),
                                  np.apply_along_axis(func, axis, x))
    g = ad.grad(lambda x: anp.sum(anp.apply_along_axis(func, axis, x) ** 2))(x)
    np.testing.assert_allclose(g, _fd_grad(
        lambda x: float(np.sum(np.apply_along_axis(func, axis, x) ** 2)), x), rtol=1e-6,
        atol=1e-8)


def test_apply_helpers_errors():
    with pytest.raises(ValueError, match=r"apply_along_axis\(\): cannot apply along an axis "
                                         r"when any other dimension is 0"):
        ad.grad(lambda x: anp.sum(anp.apply_along_axis(anp.sum, 0, x)))(np.zeros((3, 0)))
    with pytest.raises(ValueError, match=r"apply_over_axes\(\): function is not returning an "
                                         r"array of the correct shape"):
        ad.grad(lambda x: anp.sum(anp.apply_over_axes(lambda a, ax: anp.sum(a), x, 0)))(X)
