"""Pooling ops: values against a loop reference, where the gradient goes (max: the window's
arg-max only; average: 1/K to each entry; overlapping windows accumulate), ties by convention in
both engines, cost and errors. The generic rule checks (finite differences, dot-product
identity, second order) come from the ops' domains in ``test_op_rules.py``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import nn
from admodes.ops.pooling import window_indices, windows

POOLS = {"max_pool1d": (nn.max_pool1d, np.max, 1), "avg_pool1d": (nn.avg_pool1d, np.mean, 1),
         "max_pool2d": (nn.max_pool2d, np.max, 2), "avg_pool2d": (nn.avg_pool2d, np.mean, 2)}
GEOMETRIES = {1: [((2, 9), 3, 2), ((7,), 2, 3), ((3, 8), 4, 4)],
              2: [((2, 6, 7), (3, 2), (2, 1)), ((5, 5), 2, 3), ((1, 4, 6), (2, 3), None)]}


def reference_pool(x, reduce, dims, window, stride):
    """Pooling by explicit loops over output positions (the definition)."""
    window = (window,) * dims if isinstance(window, int) else tuple(window)
    stride = window if stride is None else (stride,) * dims if isinstance(stride, int) \
        else tuple(stride)
    spatial = x.shape[-dims:]
    out_shape = tuple((n - w) // s + 1 for n, w, s in zip(spatial, window, stride))
    out = np.empty(x.shape[:-dims] + out_shape)
    for o in itertools.product(*map(range, out_shape)):
        region = tuple(slice(i * s, i * s + w) for i, s, w in zip(o, stride, window))
        out[(Ellipsis,) + o] = reduce(x[(Ellipsis,) + region], axis=tuple(range(-dims, 0)))
    return out


def both_gradients(f, x):
    """∇ sum(f(x) ⊙ w) by reverse mode and by forward mode (jacfwd contracted with w)."""
    w = np.random.default_rng(1).standard_normal(np.shape(f(x)))
    rev = ad.grad(lambda x: anp.sum(f(x) * w))(x)
    fwd = np.tensordot(w, ad.jacfwd(f)(x), axes=w.ndim)
    return rev, fwd


@pytest.mark.parametrize("name", sorted(POOLS))
def test_values_match_the_loop_reference(name, rng):
    pool, reduce, dims = POOLS[name]
    for shape, window, stride in GEOMETRIES[dims]:
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(pool(x, window, stride),
                                   reference_pool(x, reduce, dims, window, stride), rtol=1e-14)


@pytest.mark.parametrize("dims", [1, 2])
def test_window_indices_list_each_windows_entries_in_c_order(dims, rng):
    for shape, window, stride in GEOMETRIES[dims]:
        window = (window,) * dims if isinstance(window, int) else window
        stride = window if stride is None else (stride,) * dims if isinstance(stride, int) \
            else stride
        x = rng.standard_normal(shape)
        index = window_indices(shape[-dims:], window, stride)
        gathered = x.reshape(shape[:-dims] + (-1,))[..., index]
        view = windows(x, window, stride)
        np.testing.assert_array_equal(gathered, view.reshape(gathered.shape))
        assert not index.flags.writeable


def test_max_pool_gradient_is_one_hot_per_window(rng):
    """Non-overlapping windows: each window's cotangent lands on its arg-max, nowhere else."""
    x = rng.standard_normal((2, 6, 8))
    rev, fwd = both_gradients(lambda x: nn.max_pool2d(x, 2), x)
    np.testing.assert_array_equal(rev, fwd)
    ones = ad.grad(lambda x: anp.sum(nn.max_pool2d(x, 2)))(x)
    blocks = ones.reshape(2, 3, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(2, 3, 4, 4)
    np.testing.assert_array_equal(np.sum(blocks, axis=-1), 1.0)        # one entry per window
    np.testing.assert_array_equal(np.count_nonzero(blocks, axis=-1), 1)
    winners = np.argmax(x.reshape(2, 3, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(2, 3, 4, 4),
                        axis=-1)
    np.testing.assert_array_equal(np.argmax(blocks, axis=-1), winners)  # ... at the arg-max


def test_avg_pool_gradient_splits_evenly(rng):
    x = rng.standard_normal((3, 9))
    g = ad.grad(lambda x: anp.sum(nn.avg_pool1d(x, 3)))(x)
    np.testing.assert_allclose(g, np.full_like(x, 1 / 3), rtol=1e-15)
    rev, fwd = both_gradients(lambda x: nn.avg_pool2d(x, (2, 3)), rng.standard_normal((4, 6)))
    np.testing.assert_allclose(rev, fwd, rtol=1e-14)
    np.testing.assert_allclose(rev.reshape(2, 2, 2, 3).std(axis=(1, 3)), 0.0, atol=1e-15)


def test_overlapping_windows_accumulate():
    """Stride 1, window 3 in 1-D: an entry's gradient counts the windows whose max it is."""
    x = np.array([0.0, 5.0, 1.0, 2.0, 4.0, 3.0, -1.0])
    # windows: [0,5,1] [5,1,2] [1,2,4] [2,4,3] [4,3,-1] -> arg-max positions 1, 1, 4, 4, 4
    expected = np.array([0, 2, 0, 0, 3, 0, 0], dtype=float)
    for transform in (ad.jacfwd, ad.jacrev):
        jac = transform(lambda x: nn.max_pool1d(x, 3, 1))(x)
        np.testing.assert_array_equal(jac.sum(axis=0), expected)
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(nn.avg_pool1d(x, 3, 1)))(x),
                               [1 / 3, 2 / 3, 1, 1, 1, 2 / 3, 1 / 3], rtol=1e-15)


def test_stride_above_window_leaves_inputs_without_gradient(rng):
    x = rng.standard_normal(8)
    g = ad.grad(lambda x: anp.sum(nn.avg_pool1d(x, 2, 3)))(x)   # windows [0,1] [3,4] [6,7]
    np.testing.assert_array_equal(g != 0, [1, 1, 0, 1, 1, 0, 1, 1])


@pytest.mark.parametrize("name", sorted(POOLS))
def test_engines_agree_on_random_geometries(name, rng):
    pool, _, dims = POOLS[name]
    for shape, window, stride in GEOMETRIES[dims]:
        x = rng.standard_normal(shape)
        rev, fwd = both_gradients(lambda x, w=window, s=stride: pool(x, w, s), x)
        np.testing.assert_allclose(rev, fwd, rtol=1e-13, atol=1e-15)


TIED = np.array([[1.0, 3.0, 2.0, 2.0],
                 [3.0, 3.0, 2.0, 2.0]])  # windows (2, 2): three tied 3s, then four tied 2s


@pytest.mark.parametrize("ties, left, right", [
    ("split", [[0, 1 / 3], [1 / 3, 1 / 3]], [[1 / 4, 1 / 4], [1 / 4, 1 / 4]]),
    ("first", [[0, 1], [0, 0]], [[1, 0], [0, 0]]),
])
def test_ties_follow_the_convention_in_both_engines(ties, left, right):
    def pool(x):
        return nn.max_pool2d(x, 2)

    with ad.conventions.use(ties=ties):
        j_fwd = ad.jacfwd(pool)(TIED)
        j_rev = ad.jacrev(pool)(TIED)
        g = ad.grad(lambda x: anp.sum(pool(x)))(TIED)
    np.testing.assert_array_equal(j_fwd, j_rev)
    expected = np.hstack([left, np.zeros((2, 2))]), np.hstack([np.zeros((2, 2)), right])
    np.testing.assert_allclose(j_fwd[0, 0], expected[0], rtol=1e-15)
    np.testing.assert_allclose(j_fwd[0, 1], expected[1], rtol=1e-15)
    np.testing.assert_allclose(g, expected[0] + expected[1], rtol=1e-15)
    assert g.sum() == pytest.approx(2.0)  # each window passes on all of its cotangent


def test_nan_in_a_window_takes_its_cotangent(recwarn):
    x = np.array([1.0, np.nan, 3.0, 2.0])
    for ties in ("split", "first"):
        with ad.conventions.use(ties=ties):
            g = ad.grad(lambda x: anp.sum(nn.max_pool1d(x, 2)))(x)
        np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 0.0])
    assert not recwarn.list


def test_second_order_through_max_pool(rng):
    """s(x) = Σ maxpool(x)²: the Hessian is 2 on the diagonal at each window's arg-max."""
    x = rng.standard_normal((4, 6))

    def s(x):
        return anp.sum(nn.max_pool2d(x, 2) ** 2)
    winners = ad.grad(lambda x: anp.sum(nn.max_pool2d(x, 2)))(x).ravel()
    expected = np.diag(2 * winners)
    for hess in (ad.hessian(s), ad.jacrev(ad.jacrev(s)), ad.jacfwd(ad.jacfwd(s))):
        np.testing.assert_array_equal(hess(x).reshape(24, 24), expected)


def test_float32_stays_float32(rng):
    x = rng.standard_normal((2, 4, 4)).astype(np.float32)
    for pool in (nn.max_pool2d, nn.avg_pool2d):
        assert pool(x, 2).dtype == np.float32
        assert ad.grad(lambda x, pool=pool: anp.sum(pool(x, 2)))(x).dtype == np.float32


@pytest.mark.parametrize("name, per_output", [("max_pool2d", 5), ("avg_pool2d", 6)])
def test_cost_counts_window_flops(name, per_output, rng):
    x = rng.standard_normal((2, 7, 8))   # window (2, 3), stride (2, 2): 3 x 3 outputs
    _, meter = ad.cost.measure(lambda x: POOLS[name][0](x, (2, 3), 2), x)
    assert meter.total_flops == per_output * 2 * 3 * 3


@pytest.mark.parametrize("call, error, message", [
    (lambda x: nn.max_pool2d(x), TypeError, "window is required"),
    (lambda x: nn.max_pool2d(x, 2.0), TypeError, "window must be a positive int"),
    (lambda x: nn.avg_pool1d(x, True), TypeError, "got True"),
    (lambda x: nn.max_pool2d(x, (2, 2, 2)), ValueError, "must have 2 entries"),
    (lambda x: nn.avg_pool2d(x, 0), ValueError, "entries must be >= 1"),
    (lambda x: nn.max_pool1d(x, 2, stride=-1), ValueError, "stride entries must be >= 1"),
    (lambda x: nn.max_pool2d(x, (5, 1)), ValueError, r"window \(5, 1\) is larger"),
    (lambda x: nn.max_pool2d(x[0, 0], 1), ValueError, r"at least 2 axes \(\.\.\., H, W\)"),
    (lambda x: nn.max_pool1d(x, 2, 1, 1), TypeError, "extra positional"),
])
def test_bad_arguments_are_clear_errors(call, error, message):
    x = np.zeros((3, 4))
    with pytest.raises(error, match=message):
        call(x)
    with pytest.raises(error, match=message):  # the same check when traced
        ad.grad(lambda x: anp.sum(call(x)))(x)
