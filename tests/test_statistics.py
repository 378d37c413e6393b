"""Behaviour of the order statistics, the NaN-ignoring reductions and cumprod that the generated
registry tests (finite, well-separated domain cases) do not reach: NaN slices, the derivative in
q, zeros in a product, and bad arguments."""

import warnings

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([[0.3, np.nan, -1.2, 2.0],
              [np.nan, np.nan, np.nan, np.nan],
              [1.5, 0.25, np.nan, -0.5]])


@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax",
                                  "nanmin"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_reductions_match_numpy_with_an_all_nan_row(name, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on the all-NaN slice
        expected = getattr(np, name)(X, axis=axis)
        got = getattr(anp, name)(X, axis=axis)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.shape(got) == np.shape(expected)


@pytest.mark.parametrize("transform", [ad.jacrev, ad.jacfwd])
def test_nan_entries_have_zero_derivative(transform):
    row = X[[0, 2]]
    keep = ~np.isnan(row)
    jac = transform(lambda x: anp.nanmean(x, axis=1))(row)  # (2, 2, 4)
    expected = np.zeros((2, 2, 4))
    for i in range(2):
        expected[i, i] = keep[i] / keep[i].sum()
    np.testing.assert_allclose(jac, expected, rtol=1e-14)
    assert not np.isnan(ad.grad(lambda x: anp.nanmax(x))(X)).any()


def test_quantile_of_a_slice_with_nan_is_nan_as_in_numpy():
    got = anp.quantile(X, 0.3, axis=1)
    np.testing.assert_allclose(got, np.quantile(X, 0.3, axis=1))
    assert np.isnan(got).all()


@pytest.mark.parametrize("name", ["nanquantile", "nanpercentile"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_quantiles_match_numpy_with_an_all_nan_row(name, axis):
    q = [0.0, 0.3, 1.0] if name == "nanquantile" else [0.0, 30.0, 100.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = getattr(np, name)(X, q, axis=axis)
        got = getattr(anp, name)(X, q, axis=axis)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.shape(got) == np.shape(expected)


def test_nanmedian_gradient_goes_to_the_middle_non_nan_entries():
    x = np.array([np.nan, 3.0, 1.0, np.nan, 4.0, 2.0])  # non-NaN sorted: 1, 2, 3, 4
    for g in (ad.grad(anp.nanmedian)(x), ad.jacfwd(anp.nanmedian)(x)):
        np.testing.assert_allclose(g, [0.0, 0.5, 0.0, 0.0, 0.0, 0.5])


def test_quantile_derivative_in_q_is_the_gap_between_order_statistics():
    x = np.array([4.0, -1.0, 2.5, 0.5, 3.0])  # sorted: -1, 0.5, 2.5, 3, 4
    q = 0.6  # v = q (n - 1) = 2.4: between s_2 = 2.5 and s_3 = 3
    for d in (ad.grad(lambda q: anp.quantile(x, q))(q),
              ad.jvp(lambda q: anp.quantile(x, q), (q,), (1.0,))[1]):
        np.testing.assert_allclose(d, 4 * (3.0 - 2.5), rtol=1e-14)
    gx = ad.grad(lambda x: anp.quantile(x, q))(x)
    np.testing.assert_allclose(gx, [0.0, 0.0, 0.6, 0.0, 0.4], rtol=1e-14)  # 1 − g, g


def test_median_of_an_even_count_averages_the_middle_pair():
    x = np.array([3.0, 1.0, 4.0, 2.0])
    np.testing.assert_allclose(ad.grad(anp.median)(x), [0.5, 0.0, 0.0, 0.5])


def test_cumprod_derivative_is_exact_at_zero_entries():
    x = np.array([2.0, 0.0, 3.0, 0.5])
    expected = np.array([[1.0, 0, 0, 0],
                         [0.0, 2, 0, 0],
                         [0.0, 6, 0, 0],
                         [0.0, 3, 0, 0]])  # ∂(x0 x1 x2 x3)/∂x1 = x0 x2 x3
    for transform in (ad.jacrev, ad.jacfwd):
        np.testing.assert_allclose(transform(anp.cumprod)(x), expected, rtol=1e-14)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: anp.quantile(X[0], 0.5, method="nearest"), ValueError,
     r"quantile\(\): method='nearest' is not supported; admodes has \('linear',\)"),
    (lambda: anp.quantile(X[0], 1.5), ValueError, r"q must lie in \[0, 1\], got 1\.5"),
    (lambda: anp.percentile(X[0], -10.0), ValueError, r"q must lie in \[0, 1\], got -0\.1"),
    (lambda: anp.quantile(X[0], "half"), TypeError,
     r"q must be real numbers in \[0, 1\], got dtype <U4"),
    (lambda: anp.quantile(X[0], 0.5, axis=2), ValueError, r"quantile"),
])
def test_quantile_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
