"""Creation functions whose values depend differentiably on their arguments: linspace,
logspace, geomspace and meshgrid.

numpy's other creation functions (zeros, ones, arange, eye, ...) take shapes and sizes, not
values to differentiate, and are plain constants in :mod:`admodes.numpy`.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import as_array
from admodes.ops._numpy_keywords import is_discrete_dtype, traced
from admodes.ops.elementwise import add, as_dtype, divide, log10, multiply, power, subtract
from admodes.ops.indexing import getitem
from admodes.ops.shape import broadcast_to, concatenate, moveaxis, reshape
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of


def _linspace_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(), r(), 5), {}), ((r(), r(), 4), {"endpoint": False}),
            ((r(3), r(), 4), {}), ((r(2, 1), r(3), 3), {"axis": -1}),
            ((r(2), r(2), 3), {"axis": 1, "retstep": True}), ((r(), r(), 1), {}),
            ((r(), r(), 2), {"retstep": True, "endpoint": False})]


@defcomposite("linspace", domain=_linspace_domain,
              refs=("numpy.linspace (its order of operations, reproduced here)",),
              doc="linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, "
                  "axis=0): y_i = i·step + start, step = (stop − start)/div (div = num − 1 with "
                  "the endpoint, num without), the last sample exactly stop; ∂y_i/∂start = "
                  "1 − i/div, ∂y_i/∂stop = i/div (start and stop may be arrays: broadcast, one "
                  "sequence per entry, along axis)")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        kwargs = {} if device is None else {"device": device}
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, **kwargs)
    if device not in (None, "cpu"):
        raise ValueError(f"linspace(): device={device!r}; admodes arrays live on the CPU")
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace(): number of samples, {num}, must be non-negative")
    if is_discrete_dtype(dtype, "linspace"):  # piecewise constant: numpy's value
        return np.linspace(primal_value(start), primal_value(stop), num, endpoint, retstep,
                           dtype, axis)
    dt = np.result_type(primal_value(start), primal_value(stop), 1.0)
    start, stop = as_dtype(start, dt), as_dtype(stop, dt)
    delta = subtract(stop, start)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * ndim_of(delta))
    div = (num - 1) if endpoint else num
    if div > 0:
        step = divide(delta, div)
        if np.any(primal_value(step) == 0):  # denormal differences, as numpy (gh-5437)
            y = multiply(y / div, delta)
        else:
            y = multiply(y, step)
    else:  # no interval: numpy's step is nan
        step = math.nan
        y = multiply(y, delta)
    y = add(y, start)
    if endpoint and num > 1:
        last = broadcast_to(reshape(stop, (1,) + shape_of(stop)), (1,) + shape_of(y)[1:])
        y = concatenate([getitem(y, slice(None, -1)), last], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = as_dtype(y, np.dtype(dtype))
    return (y, step) if retstep else y


def _logspace_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(), r(), 5), {}), ((r(2), r(), 4), {"endpoint": False, "base": 2.0}),
            ((r(), r(2, 1), 3), {"axis": -1}),
            ((r(), r(), 3, True, dom.positive(rng, (3, 1), dtype)), {})]  # base differentiated


@defcomposite("logspace", domain=_logspace_domain,
              refs=("numpy.logspace (base ** linspace(start, stop))",),
              doc="logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0) "
                  "= base ** linspace(start, stop, num, endpoint, axis): differentiable in start, "
                  "stop and base")
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if not traced(start, stop, base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    if is_discrete_dtype(dtype, "logspace"):
        return np.logspace(primal_value(start), primal_value(stop), num, endpoint,
                           primal_value(base), dtype, axis)
    if ndim_of(base) > 0:  # numpy: broadcast with start and stop (leading ones), along axis
        ndim = len(np.broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))
        start, stop, base = (reshape(as_array(v), (1,) * (ndim - ndim_of(v)) + shape_of(v))
                             for v in (start, stop, base))
        base = reshape(base, _with_axis(shape_of(base), axis))
    y = power(base, linspace(start, stop, num=num, endpoint=endpoint, axis=axis))
    return y if dtype is None else as_dtype(y, np.dtype(dtype))


def _with_axis(shape, axis):
    """``shape`` with a size-1 axis inserted at ``axis`` (numpy's expand_dims)."""
    axis = axis % (len(shape) + 1)
    return shape[:axis] + (1,) + shape[axis:]


def _geomspace_domain(rng, dtype):
    def r(*shape):
        return dom.positive(rng, shape, dtype)
    return [((r(), r(), 5), {}), ((r(2), r(), 4), {"endpoint": False}),
            ((-r(), -r(), 3), {}), ((r(), r(2, 1), 3), {"axis": -1})]


@defcomposite("geomspace", domain=_geomspace_domain,
              refs=("numpy.geomspace (its order of operations, reproduced here)",),
              doc="geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0): a "
                  "geometric sequence from start to stop (same sign, nonzero), y_i = "
                  "s·10^(l_0 + i·(l_1 − l_0)/div) with l = log10|·|, the ends exactly start and "
                  "stop; differentiable in start and stop (real values only)")
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    if not traced(start, stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    if is_discrete_dtype(dtype, "geomspace"):
        return np.geomspace(primal_value(start), primal_value(stop), num, endpoint, dtype, axis)
    start_value, stop_value = np.asarray(primal_value(start)), np.asarray(primal_value(stop))
    if np.any(start_value == 0) or np.any(stop_value == 0):
        raise ValueError("geomspace(): a geometric sequence cannot include zero")
    if np.any(np.sign(start_value) != np.sign(stop_value)):
        raise ValueError("geomspace(): start and stop must have the same sign (admodes "
                         "differentiates real sequences only)")
    sign = np.sign(start_value)
    dt = np.result_type(start_value, stop_value, float(num), np.zeros((), dtype))  # numpy's
    start, stop = multiply(as_dtype(start, dt), sign), multiply(as_dtype(stop, dt), sign)
    y = logspace(log10(start), log10(stop), num=num, endpoint=endpoint, base=10.0, axis=0)
    if num > 0:  # the ends exactly start and stop, as numpy
        shape = shape_of(y)
        rows = [_row(start, shape), getitem(y, slice(1, num - 1 if endpoint else num))]
        if endpoint and num > 1:
            rows.append(_row(stop, shape))
        y = concatenate(rows, axis=0)
    y = multiply(y, sign)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return y if dtype is None else as_dtype(y, np.dtype(dtype))


def _row(end, shape):
    """``end`` broadcast to one row of a sequence of shape ``shape`` (samples first)."""
    return reshape(broadcast_to(end, shape[1:]), (1,) + shape[1:])


def _meshgrid_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(3), r(2)), {}), ((r(3), r(2)), {"indexing": "ij"}),
            ((r(2), r(3), r(2)), {"sparse": True}), ((r(4),), {}),
            ((r(2, 2), r(3)), {"indexing": "ij", "sparse": True})]


@defcomposite("meshgrid", domain=_meshgrid_domain,
              doc="meshgrid(*xi, copy=True, sparse=False, indexing='xy'): coordinate arrays of "
                  "the grid spanned by the flattened xi ('xy': the first two axes swapped), each "
                  "a reshape and a broadcast (sparse: the reshape only); ∂ of output i is ẋ_i "
                  "broadcast, x̄_i sums its output's cotangent over the other axes")
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if not traced(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid(): indexing must be 'xy' or 'ij', got {indexing!r}")
    ndim = len(xi)
    shapes = [[1] * ndim for _ in xi]
    for i, shape in enumerate(shapes):
        shape[i] = -1
    if indexing == "xy" and ndim > 1:
        shapes[0][:2], shapes[1][:2] = [1, -1], [-1, 1]
    output = [reshape(x, tuple(shape)) for x, shape in zip(xi, shapes)]
    if sparse:
        return tuple(output)
    full = np.broadcast_shapes(*(shape_of(o) for o in output))
    return tuple(broadcast_to(o, full) for o in output)
