"""Pooling over the last one or two axes: max_pool1d, avg_pool1d, max_pool2d, avg_pool2d.

Geometry ("valid" padding). For pooled axes of sizes ``n_j``, window ``w_j`` and stride ``s_j``
(default ``s = w``), output position ``o`` covers the inputs ``o_j·s_j + a_j``,
``0 ≤ a_j < w_j``; there are ``(n_j − w_j) // s_j + 1`` positions per axis. Leading axes
(batch, channels) are pooled independently. Windows overlap when ``s < w`` and leave inputs
out when ``s > w``.

With ``K = Π w_j`` the window size and ``W(o)`` the window of output ``o``:

* average pooling ``y_o = (1/K) Σ_{i∈W(o)} x_i`` is linear: ``ẏ = avgpool(ẋ)`` and
  ``x̄_i = (1/K) Σ_{o: i∈W(o)} ȳ_o``: each window's cotangent is split evenly over it;
* max pooling ``y_o = max_{i∈W(o)} x_i`` is piecewise linear: ``ẏ_o = Σ_i r_{o,i} ẋ_i`` and
  ``x̄_i = Σ_{o: i∈W(o)} r_{o,i} ȳ_o`` with routing weights ``r_{o,i} = 1`` at the window's
  arg-max and 0 elsewhere: each window's cotangent goes to its maximal entry only.

Both sums over ``o`` accumulate where windows overlap. At a tie (several maximal entries in one
window) max pooling is not differentiable; ``r`` follows ``conventions.ties``: ``"split"``
gives each of the ``m`` tied entries ``1/m`` (the average of the one-sided derivatives, as JAX's
``max``), ``"first"`` gives 1 to the first tied entry in C order of the window (row-major for a
2-D window, as an arg-max would; as PyTorch's max pooling). The weights are computed from primal
values only, so forward and reverse mode route identically and the rules, written with
``take``/``take_transpose``, are differentiable again (their second derivatives are zero).

References: Goodfellow, Bengio & Courville (2016), Deep Learning, MIT Press, ch. 9.3 (pooling);
Griewank & Walther (2008), Evaluating Derivatives, 2nd ed., SIAM, ch. 14 (nonsmooth programs).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from admodes import conventions
from admodes.ops import _domains as dom
from admodes.ops._flops import size
from admodes.ops.elementwise import multiply
from admodes.ops.indexing import take, take_transpose
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import broadcast_to, reshape
from admodes.registry import defop
from admodes.tracing import primal_value, shape_of

_REFS = ("Goodfellow, Bengio & Courville (2016), Deep Learning, ch. 9.3",)


# -- geometry -----------------------------------------------------------------------------------

def _as_sizes(value, dims, what, name):
    """``value`` (an int or a sequence of ``dims`` ints) as a tuple of ``dims`` positive ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
               for v in items):
        raise TypeError(f"{name}(): {what} must be a positive int or a tuple of {dims} positive "
                        f"ints, got {value!r}")
    if len(items) != dims:
        raise ValueError(f"{name}(): {what} must have {dims} entr{'y' if dims == 1 else 'ies'} "
                         f"(one per pooled axis), got {value!r}")
    if min(items) < 1:
        raise ValueError(f"{name}(): {what} entries must be >= 1, got {value!r}")
    return tuple(int(v) for v in items)


def geometry(shape, window, stride, dims, name):
    """Check a pooling call; return ``(window, stride, out_spatial)`` as tuples of ints.

    ``shape`` is the input shape; the last ``dims`` axes are pooled.
    """
    if window is None:
        raise TypeError(f"{name}(): window is required (a positive int or a tuple of {dims} "
                        f"positive ints)")
    window = _as_sizes(window, dims, "window", name)
    stride = window if stride is None else _as_sizes(stride, dims, "stride", name)
    if len(shape) < dims:
        axes = "(..., L)" if dims == 1 else "(..., H, W)"
        raise ValueError(f"{name}(): expected an array with at least {dims} ax"
                         f"{'is' if dims == 1 else 'es'} {axes}, got shape {tuple(shape)}")
    spatial = tuple(shape[-dims:])
    if any(w > n for w, n in zip(window, spatial)):
        raise ValueError(f"{name}(): window {window} is larger than the pooled axes {spatial} "
                         f"of an input of shape {tuple(shape)} (padding is 'valid')")
    out = tuple((n - w) // s + 1 for n, w, s in zip(spatial, window, stride))
    return window, stride, out


@functools.lru_cache(maxsize=256)
def window_indices(spatial, window, stride):
    """Flat (C-order) positions in the pooled axes of each window's entries.

    Returns a read-only int array of shape ``out_spatial + (K,)``: entry ``[o, a]`` is the flat
    index into ``spatial`` of the ``a``-th entry (C order of the window) of window ``o``.
    """
    positions = np.arange(int(np.prod(spatial)), dtype=np.intp).reshape(spatial)
    view = windows(positions, window, stride)
    table = view.reshape(view.shape[:len(spatial)] + (-1,))
    table.flags.writeable = False
    return table


def windows(x, window, stride):
    """Strided view of the windows of ``x``: shape ``lead + out_spatial + window`` (no copy)."""
    dims = len(window)
    axes = tuple(range(x.ndim - dims, x.ndim))
    view = sliding_window_view(x, window, axis=axes)
    return view[(Ellipsis,) + tuple(slice(None, None, s) for s in stride) + (slice(None),) * dims]


# -- max pooling ----------------------------------------------------------------------------------

def routing_weights(x, out, window, stride):
    """``r`` of shape ``lead + out_spatial + (K,)``: the share of each window's derivative that
    each of its entries gets (1 at the arg-max; ties by ``conventions.ties``)."""
    value = primal_value(x)
    dims = len(window)
    view = windows(value, window, stride)
    flat = view.reshape(view.shape[:view.ndim - dims] + (-1,))
    # A window holding NaN has a NaN maximum; its NaN entries count as maximal (as np.argmax).
    maximal = (flat == primal_value(out)[..., None]) | np.isnan(flat)
    if conventions.current().ties == "split":
        return (maximal / np.sum(maximal, axis=-1, keepdims=True)).astype(value.dtype)
    first = np.zeros(flat.shape, dtype=value.dtype)
    np.put_along_axis(first, np.argmax(maximal, axis=-1)[..., None], 1.0, axis=-1)
    return first


def _flatten_pooled(t, dims):
    """A (batched) array with its last ``dims`` axes merged into one."""
    shape = shape_of(t)
    return reshape(t, shape[:len(shape) - dims] + (-1,))


def _max_pool_op(dims):
    name = f"max_pool{dims}d"

    def impl(x, window, stride):
        window, stride, _ = geometry(np.shape(x), window, stride, dims, name)
        return np.max(windows(np.asarray(x), window, stride), axis=tuple(range(-dims, 0)))

    def jvp(primals, tangents, out, window, stride):
        x = primals[0]
        window, stride, _ = geometry(shape_of(x), window, stride, dims, name)
        index = window_indices(shape_of(x)[-dims:], window, stride)
        flat = _flatten_pooled(tangents[0], dims)
        gathered = take(flat, index, axis=len(shape_of(flat)) - 1)
        routed = multiply(gathered, routing_weights(x, out, window, stride))
        return sum_(routed, axis=len(shape_of(routed)) - 1)

    def vjp(ct, primals, out, window, stride):
        x = primals[0]
        shape = shape_of(x)
        window, stride, _ = geometry(shape, window, stride, dims, name)
        index = window_indices(shape[-dims:], window, stride)
        ct_shape = shape_of(ct)
        routed = multiply(reshape(ct, ct_shape + (1,)), routing_weights(x, out, window, stride))
        pooled_axis = len(ct_shape) - dims
        flat = take_transpose(routed, index, axis=pooled_axis,
                              size=int(np.prod(shape[-dims:])))
        return (reshape(flat, ct_shape[:1] + tuple(shape)),)

    def cost(primals, out, window, stride):
        window, _, _ = geometry(shape_of(primals[0]), window, stride, dims, name)
        return (int(np.prod(window)) - 1) * size(out)  # K − 1 comparisons per output

    axes = "last axis" if dims == 1 else "last two axes"
    return defop(
        name, impl, jvp=jvp, vjp=vjp, cost=cost, domain=_domain(dims), namespace="nn",
        static={"window": None, "stride": None}, refs=_REFS,
        kinks=("ties in a window follow conventions.ties ('split': shared evenly among the "
               "tied maxima; 'first': all to the first tied entry in C order of the window)"),
        doc=(f"y_o = max of x over window o of the {axes} (window, stride = window, 'valid'); "
             f"ẏ_o = ẋ at the window's arg-max; x̄_i = Σ over the windows o containing i of ȳ_o "
             f"where i is o's arg-max (overlaps accumulate; ties by conventions.ties)"))


# -- average pooling ------------------------------------------------------------------------------

def _avg_pool_op(dims):
    name = f"avg_pool{dims}d"

    def impl(x, window, stride):
        window, stride, _ = geometry(np.shape(x), window, stride, dims, name)
        return np.mean(windows(np.asarray(x), window, stride), axis=tuple(range(-dims, 0)))

    def jvp(primals, tangents, out, window, stride):
        return op(tangents[0], window=window, stride=stride)  # linear; pools the last axes

    def vjp(ct, primals, out, window, stride):
        shape = shape_of(primals[0])
        window, stride, _ = geometry(shape, window, stride, dims, name)
        index = window_indices(shape[-dims:], window, stride)
        k = int(np.prod(window))
        ct_shape = shape_of(ct)
        spread = broadcast_to(reshape(multiply(ct, 1.0 / k), ct_shape + (1,)), ct_shape + (k,))
        flat = take_transpose(spread, index, axis=len(ct_shape) - dims,
                              size=int(np.prod(shape[-dims:])))
        return (reshape(flat, ct_shape[:1] + tuple(shape)),)

    def cost(primals, out, window, stride):
        window, _, _ = geometry(shape_of(primals[0]), window, stride, dims, name)
        return int(np.prod(window)) * size(out)  # K − 1 additions and one scaling per output

    axes = "last axis" if dims == 1 else "last two axes"
    op = defop(
        name, impl, jvp=jvp, vjp=vjp, cost=cost, domain=_domain(dims), namespace="nn",
        static={"window": None, "stride": None}, linear=True, saves=(), refs=_REFS,
        doc=(f"y_o = mean of x over window o of the {axes} (window, stride = window, 'valid'); "
             f"ẏ = avg_pool{dims}d(ẋ); x̄_i = Σ over the windows o containing i of ȳ_o / K "
             f"(K = window size; overlaps accumulate)"))
    return op


# -- test cases -----------------------------------------------------------------------------------

_CASES = {  # (input shape, static) per pooled dimension: strides equal, below, above the window
    1: [((6,), {"window": 2}),
        ((2, 7), {"window": 3, "stride": 2}),
        ((1, 2, 5), {"window": 2, "stride": 1}),
        ((5,), {"window": 5}),
        ((2, 7), {"window": (2,), "stride": (3,)})],
    2: [((4, 4), {"window": 2}),
        ((1, 5, 5), {"window": (3, 3), "stride": (2, 2)}),
        ((2, 3, 4), {"window": (2, 3), "stride": 1}),
        ((3, 5), {"window": (2, 2), "stride": (1, 3)})],
}


def _domain(dims):
    """Inputs with distinct values (no ties within a window, so finite differences are valid)."""
    def domain(rng, dtype):
        return [((dom.distinct(rng, shape, dtype),), dict(static))
                for shape, static in _CASES[dims]]
    return domain


max_pool1d = _max_pool_op(1)
avg_pool1d = _avg_pool_op(1)
max_pool2d = _max_pool_op(2)
avg_pool2d = _avg_pool_op(2)
