"""pad's modes: numpy's values bit for bit (also with pad widths longer than the axis, where
reflect, symmetric and wrap repeat, and on several axes), scatter-added cotangents, the
derivatives of the statistics modes, and the errors. Derivatives on the domain cases are in the
generated tests."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([[1.0, -2.0, 3.5], [0.5, 4.0, -1.5]])
WIDTHS = [0, 1, (2, 0), ((0, 1), (4, 7)), 9]
MODES = [("constant", {}), ("constant", {"constant_values": ((1.5, 2.0), (-3.0, 4.0))}),
         ("edge", {}), ("wrap", {}), ("reflect", {}), ("symmetric", {}),
         ("reflect", {"reflect_type": "odd"}), ("symmetric", {"reflect_type": "odd"}),
         ("linear_ramp", {}), ("linear_ramp", {"end_values": (0.5, -2.0)}),
         ("linear_ramp", {"end_values": ((1, 2), (3, 4))}),
         ("mean", {}), ("mean", {"stat_length": ((1, 3), (2, 9))}), ("median", {}),
         ("median", {"stat_length": (2, 1)}), ("maximum", {}), ("maximum", {"stat_length": 1}),
         ("minimum", {"stat_length": ((2, 1), (3, 3))})]


def _traced(x, width, mode, kwargs):
    return ad.jvp(lambda x: anp.pad(x, width, mode, **kwargs), (x,), (x,))[0]


@pytest.mark.parametrize(("mode", "kwargs"), MODES, ids=lambda m: str(m))
@pytest.mark.parametrize("width", WIDTHS, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
def test_values_are_numpys_bit_for_bit(mode, kwargs, width, dtype):
    for x in (X.astype(dtype), X[:, :1].astype(dtype), (X[0] * 3).astype(dtype),
              np.arange(12.0, dtype=dtype).reshape(2, 3, 2) ** 1.5):
        try:
            expected = np.pad(x, width, mode, **kwargs)
        except ValueError:  # per-axis values for a 1-d x: refused as numpy refuses them
            with pytest.raises(ValueError):
                _traced(x, width, mode, kwargs)
            continue
        out = _traced(x, width, mode, kwargs)
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("width", [1, (2, 0), ((0, 1), (4, 7))])
def test_gathers_scatter_add_their_cotangents(mode, width):
    expected = np.pad(X, width, mode=mode)
    out, pullback = ad.vjp(lambda x: anp.pad(x, width, mode=mode), X)
    np.testing.assert_array_equal(out, expected)
    ct = np.random.default_rng(0).standard_normal(expected.shape)
    # the transpose of the gather: each entry of x collects the cotangents of its copies
    jac = ad.jacfwd(lambda x: anp.pad(x, width, mode=mode))(X).reshape(ct.size, X.size)
    np.testing.assert_allclose(pullback(ct)[0].ravel(), ct.ravel() @ jac, rtol=1e-13, atol=1e-14)
    if mode != "constant":
        assert np.all(np.isin(jac, (0.0, 1.0))) and np.all(jac.sum(axis=1) == 1.0)


@pytest.mark.parametrize(("mode", "kwargs"), [m for m in MODES if m[0] not in ("median",
                                                                             "maximum",
                                                                             "minimum")],
                         ids=lambda m: str(m))
def test_linear_modes_are_numpys_map_of_the_unit_vectors(mode, kwargs):
    """Where pad is affine in x, its Jacobian's columns are np.pad of the unit vectors minus
    np.pad of zeros (the constant part: constant_values, end_values)."""
    width = ((2, 5), (1, 3))
    jac = ad.jacrev(lambda x: anp.pad(x, width, mode, **kwargs))(X)
    offset = np.pad(np.zeros_like(X), width, mode, **kwargs)
    for i in np.ndindex(X.shape):
        unit = np.zeros_like(X)
        unit[i] = 1.0
        np.testing.assert_allclose(jac[(Ellipsis, *i)], np.pad(unit, width, mode, **kwargs) -
                                   offset, rtol=1e-14, atol=1e-14)


def test_statistics_take_the_derivative_of_their_window():
    x = np.array([3.0, -1.0, 7.0, 2.0, 5.0])
    row = ad.jacfwd(lambda x: anp.pad(x, (1, 1), "maximum", stat_length=(2, 3)))(x)
    np.testing.assert_array_equal(row[0], [1, 0, 0, 0, 0])  # max(3, −1): x[0]
    np.testing.assert_array_equal(row[-1], [0, 0, 1, 0, 0])  # max(7, 2, 5): x[2]
    row = ad.jacrev(lambda x: anp.pad(x, (2, 1), "median", stat_length=4))(x)
    np.testing.assert_array_equal(row[0], [0.5, 0, 0, 0.5, 0])  # (2 + 3)/2 of 3, −1, 7, 2
    np.testing.assert_array_equal(row[1], row[0])
    np.testing.assert_array_equal(row[-1], [0, 0, 0, 0.5, 0.5])  # (2 + 5)/2 of −1, 7, 2, 5
    row = ad.jacfwd(lambda x: anp.pad(x, (0, 1), "minimum"))(np.array([1.0, 2.0, 1.0]))
    np.testing.assert_array_equal(row[-1], [0.5, 0, 0.5])  # a tie: split (conventions.ties)
    with ad.conventions.use(ties="first"):
        row = ad.jacfwd(lambda x: anp.pad(x, (0, 1), "minimum"))(np.array([1.0, 2.0, 1.0]))
    np.testing.assert_array_equal(row[-1], [1, 0, 0])


def test_empty_pads_a_traced_array_with_zeros():
    out = _traced(X, ((1, 0), (0, 2)), "empty", {})
    assert out.shape == np.pad(X, ((1, 0), (0, 2)), "empty").shape
    np.testing.assert_array_equal(out, np.pad(X, ((1, 0), (0, 2))))
    jac = ad.jacfwd(lambda x: anp.pad(x, 1, "empty"))(X)
    np.testing.assert_array_equal(jac, ad.jacfwd(lambda x: anp.pad(x, 1))(X))


def test_plain_arrays_are_numpys_pad():
    def double_border(vector, width, axis, kwargs):
        vector[:width[0]] = vector[width[0]] * 2
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(anp.pad(x, 1, "mean"), np.pad(x, 1, "mean"))
    np.testing.assert_array_equal(anp.pad(x, 2, double_border), np.pad(x, 2, double_border))


def test_errors():
    def grad_of(width, mode="constant", **kwargs):
        return ad.grad(lambda x: anp.sum(anp.pad(x, width, mode, **kwargs)))(X)
    with pytest.raises(ValueError, match=r"pad\(\): mode must be one of numpy's modes .*got "
                                         r"'average'"):
        grad_of(1, "average")
    with pytest.raises(TypeError, match=r"pad\(\): a callable mode writes the border into "
                                        r"numpy arrays in place"):
        grad_of(1, lambda vector, width, axis, kwargs: None)
    with pytest.raises(ValueError, match=r"pad\(\): reflect_type must be 'even' or 'odd', got "
                                         r"'uneven'"):
        grad_of(1, "reflect", reflect_type="uneven")
    with pytest.raises(ValueError, match=r"pad\(\): mode 'edge' takes the keywords \[\], got "
                                         r"\['stat_length'\]"):
        grad_of(1, "edge", stat_length=2)
    with pytest.raises(ValueError, match=r"pad\(\): pad widths must be non-negative"):
        grad_of(-1)
    with pytest.raises(ValueError, match=r"pad\(\): stat_length must be non-negative"):
        grad_of(1, "mean", stat_length=-2)
    with pytest.raises(ValueError, match=r"pad\(\): stat_length 0 gives no mean to pad with "
                                         r"\(numpy pads with NaN\)"):
        grad_of(1, "mean", stat_length=0)
    with pytest.raises(ValueError, match=r"pad\(\): stat_length 0 gives no maximum to pad with "
                                         r"\(numpy raises\)"):
        grad_of(((0, 0), (1, 0)), "maximum", stat_length=((0, 1), (1, 1)))
    with pytest.raises(ValueError, match=r"pad\(\): pad widths must broadcast to one \(before, "
                                         r"after\) pair per axis"):
        grad_of((1, 2, 3))
    with pytest.raises(ValueError, match=r"pad\(\): cannot extend the empty axis 1 \(shape "
                                         r"\(2, 0\)\) with mode 'edge'"):
        ad.grad(lambda x: anp.sum(anp.pad(x[:, :0], 1, "edge")) + anp.sum(x))(X)
    with pytest.raises(TypeError, match=r"pad\(\): end_values must be a concrete number, not a "
                                        r"traced array"):
        ad.grad(lambda x: anp.sum(anp.pad(x, 1, "linear_ramp", end_values=x[0, 0])))(X)
