"""Behaviour of gradient, correlate, polyval, vander and the new arrangement composites that
the generated registry tests (one domain case at a time) do not reach: numpy's values over
many argument combinations, derivatives with a closed form, return types and bad arguments."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def _grid(rng, n):
    return np.cumsum(rng.uniform(0.3, 1.7, size=n))


# -- gradient -------------------------------------------------------------------------------------

@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_nonuniform_coordinates_matches_numpy(edge_order, rng):
    f = rng.standard_normal((4, 6))
    x0, x1 = _grid(rng, 4), _grid(rng, 6)
    for args, kwargs in [((x0, x1), {}), ((x1,), {"axis": 1}), ((x1, x0), {"axis": (1, 0)}),
                         ((0.7, x1), {}), ((0.3,), {})]:
        ours = anp.gradient(f, *args, edge_order=edge_order, **kwargs)
        theirs = np.gradient(f, *args, edge_order=edge_order, **kwargs)
        assert type(ours) is type(theirs)
        for a, b in zip(ours, theirs) if isinstance(theirs, tuple) else [(ours, theirs)]:
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def test_gradient_is_exact_for_quadratics_on_nonuniform_grids_with_second_order_edges(rng):
    x = _grid(rng, 7)
    np.testing.assert_allclose(anp.gradient(3 * x ** 2 - x, x, edge_order=2), 6 * x - 1,
                               rtol=1e-12)


def test_gradient_of_several_axes_is_a_tuple_in_the_order_given(rng):
    f = rng.standard_normal((2, 3, 4))
    ours = anp.gradient(f, axis=(2, 0))
    assert isinstance(ours, tuple) and [g.shape for g in ours] == [(2, 3, 4)] * 2
    for a, b in zip(ours, np.gradient(f, axis=(2, 0))):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_gradient_dtypes_follow_numpy():
    f32 = np.linspace(0.0, 1.0, 5, dtype=np.float32) ** 2
    assert anp.gradient(f32, np.linspace(0.0, 2.0, 5)).dtype == np.float32
    ints = np.array([1, 4, 9, 16])
    np.testing.assert_array_equal(anp.gradient(ints), np.gradient(ints))
    assert anp.gradient(ints).dtype == np.float64


def test_gradient_derivative_in_traced_uniform_coordinates_is_the_nonuniform_formulas(rng):
    """Equal steps make numpy switch to the scalar-step formula, a set of measure zero: traced
    coordinates keep the nonuniform formula, whose derivative finite differences see."""
    f = rng.standard_normal(6)
    x = np.arange(6.0)
    for edge_order in (1, 2):
        def g(x, order=edge_order):
            return anp.gradient(f, x, edge_order=order)
        for jac in (ad.jacfwd(g)(x), ad.jacrev(g)(x)):
            columns = [ad.numerical_jvp(g, (x,), (np.eye(6)[j],)) for j in range(6)]
            np.testing.assert_allclose(jac, np.stack(columns, axis=1), rtol=1e-7, atol=1e-7)


def test_gradient_in_the_step_is_minus_the_gradient_over_the_step(rng):
    f = rng.standard_normal(5)
    d = ad.grad(lambda h: anp.sum(anp.gradient(f, h)))(0.5)
    np.testing.assert_allclose(d, -np.sum(np.gradient(f, 0.5)) / 0.5, rtol=1e-13)


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((np.ones(4),), {"edge_order": 3}, ValueError,
     "gradient(): edge_order must be 1 or 2, got 3"),
    ((np.ones(2),), {"edge_order": 2}, ValueError,
     "gradient(): axis 0 has 2 points; edge_order=2 needs at least 3"),
    ((np.ones((3, 4)), np.arange(3.0)), {}, TypeError,
     ("gradient(): got 1 spacing arguments for 2 axes; pass none, one scalar for all axes, or "
     "one scalar or 1-d coordinate array per axis")),
    ((np.ones((3, 4)), np.arange(3.0), np.arange(3.0)), {}, ValueError,
     ("gradient(): spacing argument 1 must be a scalar or 1-d coordinates of length 4 (axis 1), "
     "got shape (3,)")),
    ((np.ones((3, 4)),), {"axis": 2}, ValueError,
     "gradient(): axis 2 is out of bounds for an array of dimension 2"),
])
def test_gradient_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        anp.gradient(*args, **kwargs)


# -- correlate ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_correlate_matches_numpy_for_every_pair_of_lengths(mode, rng):
    for n in range(1, 7):
        for m in range(1, 7):
            a, v = rng.standard_normal(n), rng.standard_normal(m)
            np.testing.assert_allclose(anp.correlate(a, v, mode), np.correlate(a, v, mode),
                                       rtol=1e-13, atol=1e-14, err_msg=f"{n}, {m}")


def test_correlate_with_the_longer_v_in_same_mode_is_not_convolve_of_the_reversed_v(rng):
    a, v = rng.standard_normal(2), rng.standard_normal(5)
    np.testing.assert_allclose(anp.correlate(a, v, "same"), np.correlate(a, v, "same"),
                               rtol=1e-14)
    assert not np.allclose(np.correlate(a, v, "same"), np.convolve(a, v[::-1], "same"))


def test_correlate_jacobian_in_v_is_a_window_of_a(rng):
    a, v = rng.standard_normal(5), rng.standard_normal(3)
    jac = ad.jacrev(lambda v: anp.correlate(a, v))(v)  # c_k = Σ_n a_{n+k} v_n
    np.testing.assert_array_equal(jac, np.stack([a[k:k + 3] for k in range(3)]))


def test_correlate_bad_mode():
    with pytest.raises(ValueError, match="correlate: mode must be 'full', 'same' or 'valid', "
                                         "got 'circular'"):
        anp.correlate(np.ones(3), np.ones(2), mode="circular")


# -- polynomials ----------------------------------------------------------------------------------

def test_polyval_derivative_in_p_is_the_vandermonde_row(rng):
    p, x = rng.standard_normal(4), rng.standard_normal(3)
    for transform in (ad.jacfwd, ad.jacrev):
        np.testing.assert_allclose(transform(lambda p: anp.polyval(p, x))(p), np.vander(x, 4),
                                   rtol=1e-14)
    dx = ad.jacfwd(lambda x: anp.polyval(p, x))(x)
    np.testing.assert_allclose(dx, np.diag(np.polyval(np.polyder(p), x)), rtol=1e-13)


def test_polyval_accepts_lists_and_follows_numpys_dtypes(rng):
    x = rng.standard_normal(3).astype(np.float32)
    assert anp.polyval([1.0, 2.0], x).dtype == np.polyval([1.0, 2.0], x).dtype == np.float64
    assert anp.polyval(np.ones(2, np.float32), x).dtype == np.float32
    np.testing.assert_array_equal(anp.polyval(np.array([2.0]), x), np.polyval([2.0], x))
    grads = ad.grad(lambda a: anp.polyval([a, 1.0, a], 2.0))(3.0)
    assert grads == 5.0  # a x² + 1 x + a at x = 2


def test_vander_values_and_empty_width(rng):
    x = rng.standard_normal(4)
    for kwargs in ({}, {"N": 6}, {"N": 2, "increasing": True}, {"N": 0}):
        ours, theirs = anp.vander(x, **kwargs), np.vander(x, **kwargs)
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    assert anp.vander(np.array([1, 2, 3])).dtype == np.vander(np.array([1, 2, 3])).dtype


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.polyval(np.float64(2.0), np.ones(3)), TypeError,
     (r"polyval\(\): p must be an array of coefficients \(highest power first\) with at least "
     r"one axis, got shape \(\)")),
    (lambda: anp.vander(np.ones((2, 2))), ValueError,
     r"vander\(\): x must be a 1-d array, got shape \(2, 2\)"),
    (lambda: anp.vander(np.ones(2), -1), ValueError,
     r"vander\(\): N must be a non-negative int or None, got -1"),
])
def test_polynomial_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        call()


# -- arrangement composites -----------------------------------------------------------------------

def test_broadcast_arrays_returns_a_tuple_as_numpy_2(rng):
    a, b = rng.standard_normal(3), rng.standard_normal((2, 1))
    ours = anp.broadcast_arrays(a, b)
    assert isinstance(ours, tuple) and isinstance(np.broadcast_arrays(a, b), tuple)
    assert [o.shape for o in ours] == [(2, 3), (2, 3)]
    np.testing.assert_array_equal(ad.grad(lambda b: anp.sum(anp.broadcast_arrays(a, b)[1]))(b),
                                  np.full((2, 1), 3.0))


def test_copy_of_a_plain_array_is_a_copy():
    x = np.arange(3.0)
    y = anp.copy(x)
    y[0] = 5.0
    assert x[0] == 0.0


def test_block_of_three_levels_matches_numpy(rng):
    a, b = rng.standard_normal((1, 2, 2)), rng.standard_normal((1, 2, 1))
    c = rng.standard_normal((2, 3))  # promoted to (1, 2, 3)
    nested = [[[a, b]], [[c]]]
    np.testing.assert_array_equal(anp.block(nested), np.block(nested))


def test_select_derivative_goes_to_the_first_true_choice(rng):
    first, second = np.array([True, False, False]), np.array([True, True, False])
    c0, c1 = rng.standard_normal(3), rng.standard_normal(3)
    grads = ad.grad(lambda c0, c1: anp.sum(anp.select([first, second], [c0, c1], -1.0)),
                    argnums=(0, 1))(c0, c1)
    np.testing.assert_array_equal(grads[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(grads[1], [0.0, 1.0, 0.0])


def test_rot90_matches_numpy_for_every_k_and_axes(rng):
    m = rng.standard_normal((2, 3, 4))
    for k in range(-4, 5):
        for axes in [(0, 1), (1, 0), (2, 0), (-1, 1)]:
            np.testing.assert_array_equal(anp.rot90(m, k, axes), np.rot90(m, k, axes))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.block((np.ones(2), np.ones(2))), TypeError,
     (r"block\(\): arrays is a tuple; only lists arrange blocks \(pass list\(...\) for a "
     r"sequence of blocks, an array for one block\)")),
    (lambda: anp.block([[np.ones(2)], np.ones(2)]), ValueError,
     (r"block\(\): list depths are mismatched: arrays\[0\] is at depth 1 but arrays\[1\] at "
     r"depth 0")),
    (lambda: anp.block([[np.ones(2)], []]), ValueError,
     r"block\(\): the list arrays\[1\] is empty"),
    (lambda: anp.select([np.array([True])], []), ValueError,
     (r"select\(\): got 1 conditions and 0 choices; condlist and choicelist must have the same "
     r"length")),
    (lambda: anp.select([np.array([1, 0])], [np.ones(2)]), TypeError,
     r"select\(\): condlist\[0\] must be a boolean array, got dtype int64"),
    (lambda: anp.rot90(np.ones(3)), ValueError,
     r"rot90\(\): needs an array of at least 2 dimensions, got shape \(3,\)"),
    (lambda: anp.rot90(np.ones((2, 2)), axes=(0, -2)), ValueError,
     r"rot90\(\): the two axes must be different, got \(0, -2\)"),
    (lambda: anp.fliplr(np.ones(3)), ValueError,
     r"fliplr\(\): needs an array of at least 2 dimensions, got shape \(3,\)"),
    (lambda: anp.flipud(np.float64(1.0)), ValueError,
     r"flipud\(\): needs an array of at least 1 dimension, got shape \(\)"),
    (lambda: anp.ediff1d(np.arange(3), to_begin=0.5), TypeError,
     (r"ediff1d\(\): to_begin of dtype float64 cannot be cast to ary's dtype int64 under "
     r"numpy's same_kind rule")),
])
def test_arrangement_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        call()
