"""pad's modes: numpy's values (also with pad widths longer than the axis, where reflect and
wrap repeat), scatter-added cotangents, and the modes admodes does not take. Derivatives on the
domain cases are in the generated tests."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([[1.0, -2.0, 3.5], [0.5, 4.0, -1.5]])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("width", [1, (2, 0), ((0, 1), (4, 7))])
def test_values_and_vjp(mode, width):
    expected = np.pad(X, width, mode=mode)
    out, pullback = ad.vjp(lambda x: anp.pad(x, width, mode=mode), X)
    np.testing.assert_array_equal(out, expected)
    ct = np.random.default_rng(0).standard_normal(expected.shape)
    # the transpose of the gather: each entry of x collects the cotangents of its copies
    jac = ad.jacfwd(lambda x: anp.pad(x, width, mode=mode))(X).reshape(ct.size, X.size)
    np.testing.assert_allclose(pullback(ct)[0].ravel(), ct.ravel() @ jac, rtol=1e-13, atol=1e-14)
    if mode != "constant":
        assert np.all(np.isin(jac, (0.0, 1.0))) and np.all(jac.sum(axis=1) == 1.0)


def test_unsupported_modes():
    with pytest.raises(ValueError, match=r"pad\(\): admodes supports the modes 'constant', "
                                         r"'edge', 'reflect', 'symmetric', 'wrap'; got 'mean'"):
        ad.grad(lambda x: anp.sum(anp.pad(x, 1, mode="mean")))(X)
    with pytest.raises(ValueError, match=r"pad\(\): admodes supports reflect_type='even' only"):
        ad.grad(lambda x: anp.sum(anp.pad(x, 1, mode="reflect", reflect_type="odd")))(X)
    with pytest.raises(ValueError, match=r"pad\(\): pad widths must be non-negative"):
        ad.grad(lambda x: anp.sum(anp.pad(x, -1)))(X)
