"""Indexing: basic slicing and integer-array (gather) indexing, with their transposes.

``x[index]`` becomes one of two linear primitives:

* ``index_basic`` for ints, slices (any step), ``None`` and ``Ellipsis``; its transpose
  ``index_basic_transpose`` writes the cotangent into zeros (basic indices never repeat);
* ``take`` (numpy's ``take``) for integer arrays and boolean masks, after flattening; its
  transpose ``take_transpose`` is a scatter-add (repeated indices accumulate).
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._flops import free
from admodes.ops._helpers import normalize_axes
from admodes.ops.shape import reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import Tracer, bind, ndim_of, shape_of

_BATCH = (slice(None),)


def _index_basic_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (5,), dtype),), {"index": (slice(1, 4),)}),
            ((r(rng, (3, 4), dtype),), {"index": (1,)}),
            ((r(rng, (3, 4), dtype),), {"index": (Ellipsis, slice(None, None, -2))}),
            ((r(rng, (3, 4), dtype),), {"index": (slice(0, 2), None, -1)})]


def _index_basic_accumulate(acc, ct, primals, out, index):
    acc[_BATCH + index] += ct  # basic indices never repeat


index_basic = defop(
    "index_basic", lambda x, index: x[index],
    jvp=lambda p, t, out, index: index_basic(t[0], index=_BATCH + index),
    vjp=lambda ct, p, out, index: (index_basic_transpose(
        ct, index=_BATCH + index, shape=(ct.shape[0],) + p[0].shape),),
    accumulate=_index_basic_accumulate, cost=free, static={"index": ()}, linear=True, saves=(),
    namespace="internal", domain=_index_basic_domain,
    doc="y = x[index] (ints, slices, None, Ellipsis); ẏ = ẋ[:, index]; "
        "x̄ = zeros with x̄[:, index] = ȳ")


def _index_basic_transpose_impl(v, index, shape):
    out = np.zeros(shape, dtype=np.result_type(v))
    out[index] = v
    return out


def _ibt_domain(rng, dtype):
    return [((dom.real(rng, (3,), dtype),), {"index": (slice(1, 4),), "shape": (5,)}),
            ((dom.real(rng, (4,), dtype),), {"index": (1,), "shape": (3, 4)})]


index_basic_transpose = defop(
    "index_basic_transpose", _index_basic_transpose_impl,
    jvp=lambda p, t, out, index, shape: index_basic_transpose(
        t[0], index=_BATCH + index, shape=(t[0].shape[0],) + tuple(shape)),
    vjp=lambda ct, p, out, index, shape: (index_basic(ct, index=_BATCH + index),),
    cost=free, static={"index": (), "shape": ()}, linear=True, saves=(), namespace="internal",
    domain=_ibt_domain,
    doc="y = zeros(shape) with y[index] = v (the transpose of basic indexing); "
        "ẏ = same for v̇; v̄ = ȳ[:, index]")


def _take_axis(x, axis):
    return normalize_axes(axis, ndim_of(x), "take")[0]


def _take_jvp(primals, tangents, out, indices, axis):
    t = tangents[0]
    if axis is None:
        return take(reshape(t, (t.shape[0], -1)), indices, axis=1)
    return take(t, indices, axis=_take_axis(primals[0], axis) + 1)


def _take_vjp(ct, primals, out, indices, axis):
    x = primals[0]
    if axis is None:
        flat = take_transpose(ct, indices, axis=1, size=x.size)
        return (reshape(flat, (ct.shape[0],) + x.shape),)
    a = _take_axis(x, axis)
    return (take_transpose(ct, indices, axis=a + 1, size=x.shape[a]),)


def _take_accumulate(acc, ct, primals, out, indices, axis):
    x = primals[0]
    if axis is None:  # flat indices into x, on a buffer of any memory layout
        size = x.size
        flat = np.asarray(indices)
        position = np.unravel_index(np.where(flat < 0, flat + size, flat), x.shape)
    else:
        position = (slice(None),) * _take_axis(x, axis) + (indices,)
    np.add.at(acc, _BATCH + position, ct)  # repeated indices accumulate


def _take_impl(x, indices, axis):
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"take(): indices must be integers, got dtype {indices.dtype}")
    return np.take(x, indices, axis=axis)


def _take_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (5,), dtype),), {"indices": np.array([0, 3, 3, 1]), "axis": 0}),
            ((r(rng, (3, 4), dtype),), {"indices": np.array([[2, 0], [1, 1]]), "axis": 1}),
            ((r(rng, (2, 3), dtype),), {"indices": np.array([5, 0, 5]), "axis": None})]


take = defop(
    "take", _take_impl, jvp=_take_jvp, vjp=_take_vjp, accumulate=_take_accumulate, cost=free,
    static={"indices": None, "axis": None}, linear=True, saves=(), domain=_take_domain,
    doc="y = take(x, indices, axis) (a gather; flattened if axis is None); ẏ = take(ẋ); "
        "x̄ = scatter-add of ȳ into zeros (repeated indices accumulate)")


def _take_transpose_impl(v, indices, axis, size):
    indices = np.asarray(indices)
    shape = v.shape[:axis] + (size,) + v.shape[axis + indices.ndim:]
    out = np.zeros(shape, dtype=np.result_type(v))
    np.add.at(out, (slice(None),) * axis + (indices,), v)
    return out


def _tt_domain(rng, dtype):
    return [((dom.real(rng, (4,), dtype),),
             {"indices": np.array([0, 3, 3, 1]), "axis": 0, "size": 5}),
            ((dom.real(rng, (3, 2, 2), dtype),),
             {"indices": np.array([[2, 0], [1, 1]]), "axis": 1, "size": 4})]


take_transpose = defop(
    "take_transpose", _take_transpose_impl,
    jvp=lambda p, t, out, indices, axis, size: take_transpose(t[0], indices, axis=axis + 1,
                                                              size=size),
    vjp=lambda ct, p, out, indices, axis, size: (take(ct, indices, axis=axis + 1),),
    cost=free, static={"indices": None, "axis": 0, "size": 0}, linear=True, saves=(),
    namespace="internal", domain=_tt_domain,
    doc="y = zeros with y[..., indices, ...] += v along axis (scatter-add, the transpose of "
        "take); ẏ = the same scatter of v̇; v̄ = take(ȳ, indices, axis)")


# -- x[index] -------------------------------------------------------------------------------------

def _is_basic(index):
    """True if ``index`` holds only ints, slices, None and Ellipsis; a traced index raises."""
    basic = True
    for i in index:
        if isinstance(i, Tracer):
            raise TypeError("indexing with a traced array is not differentiable and not "
                            "supported; indices must be concrete ints, slices or int/bool "
                            "arrays")
        if basic and not (i is None or i is Ellipsis or type(i) is slice
                          or isinstance(i, (int, np.integer))
                          and not isinstance(i, (bool, np.bool_))):
            basic = False
    return basic


def _getitem_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (5,), dtype), (slice(None, None, 2),)), {}),
            ((r(rng, (3, 4), dtype), (np.array([0, 2, 2]),)), {}),
            ((r(rng, (3, 4), dtype), (slice(None), np.array([1, 0]))), {}),
            ((r(rng, (3, 4), dtype), (np.array([[0, 1], [2, 2]]), np.array([3, 0]))), {}),
            ((r(rng, (2, 3), dtype), (np.array([[True, False, True], [False, True, True]]),)),
             {})]


@defcomposite("getitem", namespace="internal", domain=_getitem_domain,
              doc="x[index]: index_basic for basic indices, else take on the flattened array "
                  "with the flat positions the index selects")
def getitem(x, index):
    index = index if isinstance(index, tuple) else (index,)
    if _is_basic(index):
        return bind(index_basic, (x,), {"index": index})
    shape = shape_of(x)
    positions = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[index]
    return take(reshape(x, (-1,)), positions, axis=0)
