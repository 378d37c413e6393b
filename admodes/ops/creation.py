"""Creation functions whose values depend differentiably on their arguments: linspace.

numpy's other creation functions (zeros, ones, arange, eye, ...) take shapes and sizes, not
values to differentiate, and are plain constants in :mod:`admodes.numpy`.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops.elementwise import add, as_dtype, divide, multiply, subtract
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
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"linspace(): dtype={np.dtype(dtype)} with a traced start or stop; an "
                        f"integer sequence has no derivative (use a floating dtype)")
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
