"""Shape ops: reshape, transpose, broadcast_to, concatenate (primitives, all linear) and
expand_dims, squeeze, stack, moveaxis, swapaxes (composites of them).
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._flops import free
from admodes.ops._helpers import align, normalize_axes, unbroadcast
from admodes.registry import _REGISTRY as _R
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, shape_of


def _one(shape_and_static):
    def domain(rng, dtype):
        return [((dom.real(rng, s, dtype),), dict(st)) for s, st in shape_and_static]
    return domain


# -- reshape --------------------------------------------------------------------------------------

def _reshape_impl(x, shape):
    # The method skips np.reshape's dispatch wrapper (several times the cost on small arrays).
    return x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape)


reshape = defop(
    "reshape", _reshape_impl,
    jvp=lambda p, t, out, shape: reshape(t[0], (t[0].shape[0],) + shape_of(out)),
    vjp=lambda ct, p, out, shape: (reshape(ct, (ct.shape[0],) + p[0].shape),),
    cost=free, static={"shape": None}, linear=True, saves=(),
    domain=_one([((6,), {"shape": (2, 3)}), ((2, 3), {"shape": (-1,)}),
                 ((2, 3), {"shape": (3, 1, 2)}), ((), {"shape": (1, 1)})]),
    doc="y = x reshaped (C order); ẏ = ẋ reshaped; x̄ = ȳ reshaped back to x.shape")


# -- transpose ------------------------------------------------------------------------------------

def _perm(axes, ndim):
    if axes is None:
        return tuple(range(ndim - 1, -1, -1))
    perm = tuple(int(a) % max(ndim, 1) for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"transpose(): axes {axes!r} are not a permutation of {ndim} axes")
    return perm


def _transpose_jvp(primals, tangents, out, axes):
    perm = _perm(axes, ndim_of(primals[0]))
    return transpose(tangents[0], (0,) + tuple(a + 1 for a in perm))


def _transpose_vjp(ct, primals, out, axes):
    perm = _perm(axes, primals[0].ndim)
    return (transpose(ct, (0,) + tuple(int(a) + 1 for a in np.argsort(perm))),)


transpose = defop(
    "transpose", lambda x, axes: x.transpose(axes) if type(x) is np.ndarray
    else np.transpose(x, axes), jvp=_transpose_jvp,
    vjp=_transpose_vjp, cost=free, static={"axes": None}, linear=True, saves=(),
    domain=_one([((2, 3), {}), ((2, 3, 4), {"axes": (1, 2, 0)}), ((3,), {}),
                 ((2, 1, 3), {"axes": (2, 0, 1)})]),
    doc="y = x with axes permuted; ẏ = ẋ permuted; x̄ = ȳ with the inverse permutation")


# -- broadcast_to ---------------------------------------------------------------------------------

def _broadcast_impl(x, shape):
    """``np.broadcast_to``; for a C-contiguous array of the same number of axes (what the rules
    pass: ``expand_reduced``, ``align``) the read-only zero-stride view is built directly, at
    half the cost of numpy's general function on small arrays."""
    if type(x) is np.ndarray and x.ndim == len(shape) and x.flags.c_contiguous:
        strides = []
        for n, m, stride in zip(x.shape, shape, x.strides):
            if n == m:
                strides.append(stride)
            elif n == 1:
                strides.append(0)
            else:  # not broadcastable: numpy's error
                return np.broadcast_to(x, shape)
        view = np.ndarray(shape, x.dtype, x, 0, tuple(strides))
        view.flags.writeable = False
        return view
    return np.broadcast_to(x, shape)


broadcast_to = defop(
    "broadcast_to", _broadcast_impl,
    jvp=lambda p, t, out, shape: broadcast_to(align(t[0], len(shape)),
                                              (t[0].shape[0],) + tuple(shape)),
    vjp=lambda ct, p, out, shape: (unbroadcast(ct, p[0].shape),),
    cost=free, static={"shape": None}, linear=True, saves=(),
    domain=_one([((3,), {"shape": (2, 3)}), ((2, 1), {"shape": (2, 4)}),
                 ((), {"shape": (3,)}), ((1, 3), {"shape": (2, 2, 3)})]),
    doc="y = x broadcast to shape; ẏ = ẋ broadcast; x̄ = ȳ summed over the broadcast axes")


# -- concatenate ----------------------------------------------------------------------------------

def _concat_axis(primals, axis):
    ndim = ndim_of(primals[0])
    if axis is None or ndim == 0:
        raise ValueError("concatenate(): axis must be an int and the arrays at least 1-d "
                         "(flatten them with reshape(x, (-1,)) first)")
    return normalize_axes(axis, ndim, "concatenate")[0]


def _concat_jvp(primals, tangents, out, axis):
    a = _concat_axis(primals, axis)
    k = next(t for t in tangents if t is not None).shape[0]
    filled = [t if t is not None else np.zeros((k,) + shape_of(p), dtype=np.result_type(out))
              for p, t in zip(primals, tangents)]
    return concatenate(filled, axis=a + 1)


def _concat_vjp(ct, primals, out, axis):
    a = _concat_axis(primals, axis)
    grads, start = [], 0
    for p in primals:
        stop = start + p.shape[a]
        grads.append(_R["index_basic"](ct, index=(slice(None),) * (a + 1) + (slice(start, stop),)))
        start = stop
    return tuple(grads)


def _concat_domain(rng, dtype):
    r = dom.real
    return [(([r(rng, (2,), dtype), r(rng, (3,), dtype)],), {"axis": 0}),
            (([r(rng, (2, 3), dtype), r(rng, (2, 1), dtype), r(rng, (2, 2), dtype)],), {"axis": 1}),
            (([r(rng, (1, 3), dtype), r(rng, (2, 3), dtype)],), {"axis": -2}),
            (([r(rng, (2, 2), dtype), r(rng, (3,), dtype)],), {"axis": None})]


def _concat_parse(arrays, axis=0):
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise TypeError(f"concatenate() takes a non-empty sequence of arrays, got "
                        f"{type(arrays).__name__}")
    if axis is None:  # numpy: the flattened arrays, joined
        return tuple(reshape(a, (-1,)) for a in arrays), {"axis": 0}
    return tuple(arrays), {"axis": axis}


concatenate = defop(
    "concatenate", lambda *arrays, axis: np.concatenate(arrays, axis=axis),
    jvp=_concat_jvp, vjp=_concat_vjp, cost=free, static={"axis": 0}, parse=_concat_parse,
    linear=True, saves=(), domain=_concat_domain,
    doc="y = [x1, x2, ...] joined along axis; ẏ = the tangents joined; x̄_i = the slice of ȳ "
        "that came from x_i")


# -- composites -----------------------------------------------------------------------------------

def _insert_axes(shape, axis, opname):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = len(shape) + len(axes)
    positions = normalize_axes(axes, ndim, opname)
    it = iter(shape)
    return tuple(1 if i in positions else next(it) for i in range(ndim))


@defcomposite("expand_dims", domain=_one([((3,), {"axis": 0}), ((2, 3), {"axis": -1}),
                                          ((2, 3), {"axis": (0, 2)})]),
              doc="expand_dims(x, axis) = reshape(x, shape with size-1 axes inserted)")
def expand_dims(x, axis):
    return reshape(x, _insert_axes(shape_of(x), axis, "expand_dims"))


@defcomposite("squeeze", domain=_one([((1, 3), {}), ((2, 1, 3), {"axis": 1}),
                                      ((1, 3, 1), {"axis": (0, -1)})]),
              doc="squeeze(x, axis) = reshape(x, shape without the given size-1 axes)")
def squeeze(x, axis=None):
    shape = shape_of(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = normalize_axes(axis, len(shape), "squeeze")
        bad = [a for a in axes if shape[a] != 1]
        if bad:
            raise ValueError(f"squeeze(): cannot remove axis {bad[0]} of size {shape[bad[0]]} "
                             f"from an array of shape {shape}; only size-1 axes")
    return reshape(x, tuple(d for i, d in enumerate(shape) if i not in axes))


def _stack_domain(rng, dtype):
    r = dom.real
    return [((([r(rng, (3,), dtype), r(rng, (3,), dtype)]),), {"axis": 0}),
            ((([r(rng, (2, 3), dtype), r(rng, (2, 3), dtype), r(rng, (2, 3), dtype)]),),
             {"axis": -1}),
            ((([r(rng, (), dtype), r(rng, (), dtype)]),), {})]


@defcomposite("stack", domain=_stack_domain,
              doc="stack(xs, axis) = concatenate of each x with a new size-1 axis at axis")
def stack(arrays, axis=0):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack(): need at least one array")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack(): all arrays must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


@defcomposite("moveaxis", domain=_one([((2, 3, 4), {"source": 0, "destination": -1})]),
              doc="moveaxis(x, source, destination) = transpose with the matching permutation")
def moveaxis(x, source, destination):
    ndim = ndim_of(x)
    src = [normalize_axes(a, ndim, "moveaxis")[0] for a in np.atleast_1d(source)]
    dst = [normalize_axes(a, ndim, "moveaxis")[0] for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError("moveaxis(): source and destination must have the same length")
    order = [a for a in range(ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


@defcomposite("swapaxes", domain=_one([((2, 3, 4), {"axis1": 0, "axis2": 2})]),
              doc="swapaxes(x, a, b) = transpose exchanging axes a and b")
def swapaxes(x, axis1, axis2):
    ndim = ndim_of(x)
    perm = list(range(ndim))
    a, b = normalize_axes(axis1, ndim, "swapaxes")[0], normalize_axes(axis2, ndim, "swapaxes")[0]
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))
