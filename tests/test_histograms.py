"""histogram_bin_edges, histogram2d and histogramdd on traced arrays: numpy's values and dtypes
bit for bit, derivatives in the weights, the range and the given edges (the counts of
unweighted data have none), and the errors. Derivatives on the domain cases are in the
generated tests; histogram itself in test_value_functions.py."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

rng = np.random.default_rng(3)
X, Y, Z = rng.uniform(-1, 2, 20), rng.uniform(0, 1, 20), rng.uniform(-3, 3, 20)
W = rng.uniform(0.5, 1.5, 20)
EDGES = np.array([-1.5, 0.0, 0.4, 2.5])


def _primal(tree):
    return ad.tree.flatten(tree)[0]


def _same(ours, theirs):
    for a, b in zip(_primal(ours), _primal(theirs), strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


CALLS = {
    "2d": lambda x, y, w: ((x, y), {}),
    "2d-weights-density": lambda x, y, w: ((x, y, 4), {"weights": w, "density": True}),
    "2d-pair-of-bins": lambda x, y, w: ((x, y, (3, EDGES)), {"weights": w}),
    "2d-one-array-of-edges": lambda x, y, w: ((x, y, EDGES), {}),
    "2d-range": lambda x, y, w: ((x, y, 5), {"range": ((-1.0, 2.0), (0.1, 0.9))}),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_histogram2d_is_numpys(name):
    args, kwargs = CALLS[name](X, Y, W)
    out = ad.jvp(lambda x, y, w: anp.histogram2d(*CALLS[name](x, y, w)[0],
                                                 **CALLS[name](x, y, w)[1]),
                 (X, Y, W), (X, Y, W))[0]
    _same(out, np.histogram2d(*args, **kwargs))


@pytest.mark.parametrize("density", [False, True])
@pytest.mark.parametrize("layout", ["array", "sequence"])
def test_histogramdd_is_numpys(density, layout):
    def sample(x, y, z):
        return anp.stack([x, y, z], axis=1) if layout == "array" else [x, y, z]
    bins = (2, EDGES, 3)
    out = ad.jvp(lambda x, y, z, w: anp.histogramdd(sample(x, y, z), bins, density=density,
                                                    weights=w),
                 (X, Y, Z, W), (X, Y, Z, W))[0]
    _same(out, np.histogramdd(np.stack([X, Y, Z], axis=1), bins, density=density, weights=W))


def test_histogram_bin_edges_is_numpys():
    for bins in (4, EDGES, "sturges", "auto"):
        out = ad.jvp(lambda x, bins=bins: anp.histogram_bin_edges(x, bins), (X,), (X,))[0]
        _same(out, np.histogram_bin_edges(X, bins))
    # the edges follow the data's extremes: lo + (hi − lo)·i/n
    jac = ad.jacfwd(lambda x: anp.histogram_bin_edges(x, 4))(X)
    share = np.arange(5) / 4
    np.testing.assert_allclose(jac[:, np.argmin(X)], 1 - share, rtol=1e-15)
    np.testing.assert_allclose(jac[:, np.argmax(X)], share, rtol=1e-15)


def test_counts_are_linear_in_the_weights():
    hist, pullback = ad.vjp(lambda w: anp.histogram2d(X, Y, 3, weights=w)[0], W)
    ct = rng.standard_normal(hist.shape)
    ix = np.clip(np.searchsorted(np.histogram2d(X, Y, 3)[1], X, side="right") - 1, 0, 2)
    iy = np.clip(np.searchsorted(np.histogram2d(X, Y, 3)[2], Y, side="right") - 1, 0, 2)
    np.testing.assert_allclose(pullback(ct)[0], ct[ix, iy], rtol=1e-15)  # w̄_i = h̄[cell of i]
    counts = ad.jacfwd(lambda x: anp.histogram2d(x, Y, 3)[0])(X)
    np.testing.assert_array_equal(counts, 0.0)  # unweighted counts: no derivative
    assert np.histogram2d(X, Y, 3)[0].dtype == anp.histogram2d(X, Y, 3)[0].dtype == np.float64


def test_density_is_differentiable_in_the_range():
    def f(r):
        return anp.histogramdd(np.stack([X, Y], axis=1), 3, range=((r[0], r[1]), None),
                               density=True)[0]
    r = np.array([-1.2, 2.3])
    numeric = ad.numerical_jvp(f, (r,), (np.array([1.0, -0.5]),))
    np.testing.assert_allclose(ad.jvp(f, (r,), (np.array([1.0, -0.5]),))[1], numeric,
                               rtol=1e-7)


def test_errors():
    with pytest.raises(ValueError, match=r"histogram2d\(\): x and y must be 1-d arrays of the "
                                         r"same length, got shapes \(20,\) and \(19,\)"):
        ad.grad(lambda w: anp.sum(anp.histogram2d(X, Y[1:], weights=w)[0]))(W)
    with pytest.raises(ValueError, match=r"histogramdd\(\): bins must be one number or one "
                                         r"entry per dimension \(2\), got 3 entries"):
        ad.grad(lambda w: anp.sum(anp.histogramdd([X, Y], (2, 3, 4), weights=w)[0]))(W)
    with pytest.raises(ValueError, match=r"histogramdd\(\): range must have one \(lo, hi\) or "
                                         r"None per dimension \(2\), got 1 entries"):
        ad.grad(lambda w: anp.sum(anp.histogramdd([X, Y], 2, range=[(0, 1)], weights=w)[0]))(W)
