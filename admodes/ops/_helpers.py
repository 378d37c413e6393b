"""Shared pieces of the rules, written with registry ops so rules stay differentiable.

Batch convention: tangents and cotangents carry a leading axis of ``k`` directions, so the
array for a primal of shape ``s`` has shape ``(k,) + s``.
"""

from __future__ import annotations

import numpy as np

from admodes.registry import _REGISTRY as _R
from admodes.tracing import Tracer

__all__ = [
    "align",
    "as_array",
    "batch_axes",
    "expand_reduced",
    "normalize_axes",
    "require_concrete",
    "slice_along",
    "swap_last",
    "unbroadcast",
]


def as_array(x):
    """A tracer as it is, anything else as a numpy array."""
    return x if isinstance(x, Tracer) else np.asarray(x)


def require_concrete(opname, **values):
    """A TypeError for a traced argument that the result is not differentiable in."""
    for name, value in values.items():
        if isinstance(value, Tracer):
            raise TypeError(f"{opname}(): {name} must be a concrete number, not a traced "
                            f"array (the result is not differentiable in it)")


def unbroadcast(g, shape):
    """Sum a batched cotangent ``g`` of shape ``(k,) + out_shape`` down to ``(k,) + shape``.

    The adjoint of broadcasting ``shape`` to ``out_shape``: sum over the added leading axes and
    over the axes where ``shape`` has size 1.
    """
    gshape = g.shape
    if gshape[1:] == shape:
        return g
    lead = len(gshape) - 1 - len(shape)
    if lead:
        g = _R["sum"](g, axis=tuple(range(1, 1 + lead)))
        gshape = g.shape
    ones = tuple(1 + i for i, d in enumerate(shape) if d == 1 and gshape[1 + i] != 1)
    if ones:
        g = _R["sum"](g, axis=ones, keepdims=True)
    return g


def align(t, ndim):
    """Insert size-1 axes after the batch axis so ``t`` broadcasts against an ``ndim``-d array."""
    missing = ndim - (t.ndim - 1)
    if missing <= 0:
        return t
    shape = t.shape
    return _R["reshape"](t, shape[:1] + (1,) * missing + shape[1:])


def normalize_axes(axis, ndim, opname):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes of an ``ndim``-d array."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{opname}(): axis must be None, an int or a tuple of ints, "
                            f"got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{opname}(): axis {a} is out of bounds for an array of "
                             f"dimension {ndim}")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{opname}(): repeated axis in {axis!r}")
    return tuple(sorted(out))


def batch_axes(axes):
    """The same axes of a batched array (shifted past the batch axis)."""
    return tuple(a + 1 for a in axes)


def expand_reduced(ct, shape, axes, keepdims):
    """Broadcast a batched reduction cotangent ``(k,) + reduced`` back to ``(k,) + shape``."""
    if not keepdims:
        kept = list(ct.shape)
        for a in axes:
            kept.insert(a + 1, 1)
        ct = _R["reshape"](ct, tuple(kept))
    return _R["broadcast_to"](ct, ct.shape[:1] + tuple(shape))


def swap_last(x):
    """Swap the last two axes (matrix transpose of a stack)."""
    nd = x.ndim
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return _R["transpose"](x, perm)


def slice_along(axis, ndim, part):
    """The index taking ``part`` (a slice) along ``axis`` and everything along the others."""
    return tuple(part if a == axis else slice(None) for a in range(ndim))
