"""Editing and selection composites of numpy's namespace: delete, insert, resize, trim_zeros,
compress, extract, choose, piecewise, partition, hsplit, vsplit, dsplit and rollaxis.

Most of them select entries of their data arguments (a gather, ``take``; its transpose is a
scatter-add) and need no rule of their own. Which entries, and where they go, is found by
calling numpy's own function on the *positions* of the entries (an integer array of the
argument's shape holding ``0, 1, 2, …``): the result is numpy's, shape, order and errors
included, for every form of ``obj``, ``condition`` or ``mode`` numpy accepts. Index and
condition arguments are values: a traced one is used by its value and carries no derivative.

numpy's in-place functions (``put``, ``place``, ``put_along_axis``, ``copyto``, ``fill_diagonal``)
have no counterpart: admodes arrays are immutable, so ``admodes.numpy.put`` raises the
namespace's AttributeError. ``insert``, ``choose`` or ``where`` build the edited array instead.

>>> import numpy as np
>>> import admodes as ad
>>> import admodes.numpy as anp
>>> ad.grad(lambda v: anp.sum(anp.insert(np.zeros(3), [0, 3], v) ** 2))(np.array([1.0, 2.0]))
array([2., 4.])
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import as_array, normalize_axes
from admodes.ops.arrangement import ravel, split, take_along_axis
from admodes.ops.elementwise import as_dtype, multiply, sin, subtract
from admodes.ops.indexing import getitem, take
from admodes.ops.shape import broadcast_to, concatenate, reshape, transpose
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of, size_of

_NUMPY_DOCS = ("NumPy reference, routines: https://numpy.org/doc/stable/reference/routines.html",)


def _positions(x):
    """The flat position of every entry of ``x``, in ``x``'s shape."""
    return np.arange(size_of(x)).reshape(shape_of(x))


def _gather(x, positions):
    """The entries of ``x`` at the flat ``positions`` (an int array; the result has its shape)."""
    return take(reshape(x, (-1,)), positions, axis=0)


def _cast(x, dtype, opname, what):
    """``x`` in the result's ``dtype``, as numpy's assignment casts it; a traced ``x`` cannot be
    cast to an integer dtype (the cast has no derivative)."""
    if isinstance(x, Tracer) and not np.issubdtype(dtype, np.inexact):
        raise TypeError(f"{opname}(): {what} is traced but the result has dtype {dtype}; a cast "
                        f"to an integer or boolean dtype has no derivative. Pass the data as a "
                        f"floating-point array.")
    return as_dtype(x, dtype)


def _no_out(out, opname):
    if out is not None:
        raise TypeError(f"{opname}(): out= is not supported (admodes arrays are immutable); "
                        f"use the returned array, got out of type {type(out).__name__}")


def _r(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return r


# -- deleting, inserting, resizing ----------------------------------------------------------------

def _delete_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((r(5), 2), {}), ((r(2, 3), np.array([0, -1, 4])), {}),
            ((r(3, 4), slice(0, None, 2)), {"axis": 1}), ((r(3, 4), [0, 2]), {"axis": -2}),
            ((r(2, 3), np.array([True, False, True])), {"axis": -1}),
            ((r(4), np.array([], dtype=int)), {"axis": 0})]


@defcomposite("delete", domain=_delete_domain, refs=_NUMPY_DOCS,
              doc="delete(arr, obj, axis=None): arr without the sub-arrays at obj (an int, a "
                  "slice, an int or boolean array) along axis (the flattened arr if None), as "
                  "numpy; a gather, x̄ = ȳ scattered back into zeros at the kept positions")
def delete(arr, obj, axis=None):
    arr = as_array(arr)
    return _gather(arr, np.delete(_positions(arr), primal_value(obj), axis=axis))


def _insert_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((r(4), 1, r()), {}), ((r(4), np.array([0, 2, 2, 4]), r(4)), {}),
            ((r(2, 3), 1, r(2)), {"axis": 1}), ((r(2, 3), [3], r(2, 1)), {"axis": -1}),
            ((r(2, 3), slice(None, None, 2), r(2, 2)), {"axis": 1}),
            ((r(3, 2), np.array([-1, 0]), r(2)), {"axis": 0}), ((r(2, 2), -1, 1.5), {})]


@defcomposite("insert", domain=_insert_domain, refs=_NUMPY_DOCS,
              doc="insert(arr, obj, values, axis=None): values (cast to arr's dtype, broadcast as "
                  "numpy broadcasts them) inserted before the indices obj along axis (the "
                  "flattened arr if None); a gather from [ravel(arr), ravel(values)], linear in "
                  "both: ārr and v̄alues are ȳ at their positions (summed over broadcast copies)")
def insert(arr, obj, values, axis=None):
    arr, values = as_array(arr), as_array(values)
    slots = size_of(arr) + _positions(values)
    positions = np.insert(_positions(arr), primal_value(obj), slots, axis=axis)
    dtype = np.result_type(primal_value(arr))
    source = [ravel(arr), ravel(_cast(values, dtype, "insert", "values"))]
    return _gather(concatenate(source, axis=0), positions)


def _resize_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((r(3), 7), {}), ((r(2, 3), (4, 2)), {}), ((r(2, 2), (3,)), {}),
            ((r(5), (2, 2)), {}), ((r(), 3), {})]


@defcomposite("resize", domain=_resize_domain, refs=_NUMPY_DOCS,
              doc="resize(a, new_shape): the flattened a repeated cyclically (truncated) to fill "
                  "new_shape, as numpy (zeros if a is empty); a gather, ā = ȳ summed over the "
                  "copies of each entry")
def resize(a, new_shape):
    a = as_array(a)
    positions = np.resize(_positions(a), new_shape)  # numpy checks new_shape
    if size_of(a) == 0:
        return np.zeros(positions.shape, dtype=np.result_type(primal_value(a)))
    return _gather(a, positions)


def _trim_zeros_domain(rng, dtype):
    """Zeros inside, none at the ends: finite differences move any entry off zero, so a case
    that trims something would change the output's shape under them (tests/test_editing.py
    checks trimming)."""
    def ends_nonzero(*shape):
        x = dom.away_from_zero(rng, shape, dtype)
        x[(slice(1, -1),) * len(shape)] = 0.0
        return x
    cases = [((ends_nonzero(5),), {}), ((ends_nonzero(4), "f"), {}),
             ((ends_nonzero(4),), {"trim": "B"})]
    if "axis" in inspect.signature(np.trim_zeros).parameters:  # numpy >= 2.2
        cases += [((ends_nonzero(3, 4),), {}), ((ends_nonzero(3, 4),), {"axis": -1}),
                  ((ends_nonzero(2, 3, 4), "b"), {"axis": (0, 2)})]
    return cases


def _nonzero_bounds(value):
    """(first, last + 1) of the nonzero entries along each axis; (0, 0) if there are none."""
    nonzero = np.argwhere(value)
    if nonzero.size == 0:
        return np.zeros(value.ndim, dtype=np.intp), np.zeros(value.ndim, dtype=np.intp)
    return nonzero.min(axis=0), nonzero.max(axis=0) + 1


@defcomposite("trim_zeros", domain=_trim_zeros_domain, refs=_NUMPY_DOCS,
              kinks="the result's shape depends on which end entries are exactly zero; its "
                    "derivative is that of the slice taken (a trimmed entry gets none)",
              doc="trim_zeros(filt, trim='fb', axis=None): filt sliced to the smallest box "
                  "holding its nonzero entries, along the given axes (all if None), from the "
                  "front ('f') and/or back ('b'); an all-zero filt gives an empty result; a "
                  "slice, ẏ = ẋ[box]")
def trim_zeros(filt, trim="fb", axis=None):
    if not isinstance(trim, str) or trim.lower() not in {"fb", "bf", "f", "b"}:
        raise ValueError(f"trim_zeros(): trim must be 'f', 'b' or 'fb', got {trim!r}")
    trim = trim.lower()
    value = np.asarray(primal_value(filt))
    axes = normalize_axes(axis, value.ndim, "trim_zeros")
    if not axes:
        return filt
    start, stop = _nonzero_bounds(value)
    all_zero = stop[0] == 0
    index = tuple(slice(start[a] if "f" in trim or all_zero else None,
                        stop[a] if "b" in trim or all_zero else None)
                  if a in axes else slice(None) for a in range(value.ndim))
    if value.ndim == 1 and not isinstance(filt, Tracer):
        return filt[index[0]]  # numpy slices the input itself: a list stays a list
    return getitem(as_array(filt), index)


# -- selecting by condition or index ------------------------------------------------------------

def _compress_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((np.array([True, False, True, True]), r(2, 3)), {}),
            ((np.array([False, True]), r(2, 3)), {"axis": 0}),
            ((np.array([True, False, True]), r(2, 3)), {"axis": -1}),
            ((np.array([True]), r(2, 3)), {"axis": 1}), (([0, 2, 1], r(3)), {})]


@defcomposite("compress", domain=_compress_domain, refs=_NUMPY_DOCS,
              doc="compress(condition, a, axis=None, out=None): the slices of a along axis (the "
                  "flattened a if None) where the 1-d condition is true, as numpy (a shorter "
                  "condition truncates); a gather, the condition is not differentiated")
def compress(condition, a, axis=None, out=None):
    _no_out(out, "compress")
    a = as_array(a)
    return _gather(a, np.compress(primal_value(condition), _positions(a), axis=axis))


def _extract_domain(rng, dtype):
    x = dom.real(rng, (2, 3), dtype)
    return [((x > 0.5, x), {}), ((np.array([True, False, True]), dom.real(rng, (3,), dtype)), {}),
            ((np.array([[1, 0], [0, 2]]), dom.real(rng, (2, 3), dtype)), {}),
            ((np.array(True), dom.real(rng, (), dtype)), {})]


@defcomposite("extract", domain=_extract_domain, refs=_NUMPY_DOCS,
              doc="extract(condition, arr) = take(ravel(arr), nonzero(ravel(condition))[0]): "
                  "the entries of arr where condition is nonzero, flattened; a gather, the "
                  "condition is not differentiated")
def extract(condition, arr):
    arr = as_array(arr)
    return _gather(arr, np.extract(primal_value(condition), _positions(arr)))


def _choose_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((np.array([0, 1, 2, 1]), [r(4), r(4), r(4)]), {}),
            ((np.array([[0, 1], [1, 0]]), [r(2, 2), r(2)]), {}),
            ((np.array([2, 0, 1]), r(3, 3)), {}),
            ((np.array([0, 3, -1]), [r(3), r(3)]), {"mode": "wrap"}),
            ((np.array([5, -2, 1]), (r(3), r(1))), {"mode": "clip"}),
            ((np.array([[1], [0]]), [r(), r(3)]), {})]


def _choice_value(choice):
    """A choice as numpy's type promotion sees it (Python scalars stay weakly typed)."""
    if isinstance(choice, (bool, numbers.Number)):
        return choice
    return np.asarray(primal_value(choice))


@defcomposite("choose", domain=_choose_domain, refs=_NUMPY_DOCS,
              doc="choose(a, choices, out=None, mode='raise'): y[i] = choices[a[i]][i] with a "
                  "and the choices broadcast together, an out-of-range a as mode says ('raise', "
                  "'wrap', 'clip'); in the choices' common dtype. A gather from the choices "
                  "(c̄ₖ = ȳ where a chose k, summed over broadcast copies); a is not "
                  "differentiated")
def choose(a, choices, out=None, mode="raise"):
    _no_out(out, "choose")
    if isinstance(choices, (Tracer, np.ndarray)):  # numpy's sequence of choices: its first axis
        return _gather(choices, np.choose(primal_value(a), _positions(choices), mode=mode))
    dtype = np.result_type(*(_choice_value(c) for c in choices))
    choices = [as_array(c) for c in choices]
    offsets = np.cumsum([0] + [size_of(c) for c in choices])
    grids = [offset + _positions(c) for offset, c in zip(offsets, choices)]
    positions = np.choose(primal_value(a), grids, mode=mode)  # numpy's checks and broadcasting
    return _gather(concatenate([ravel(as_dtype(c, dtype)) for c in choices], axis=0), positions)


def _piecewise_domain(rng, dtype):
    r = _r(rng, dtype)
    x, y, z = r(5), r(2, 3), r()
    return [((x, [x < 0, x >= 0], [lambda v: v * v, lambda v: -v]), {}),
            ((y, [y < -0.5, y > 0.5], [sin, 1.5, lambda v: multiply(v, 3.0)]), {}),
            ((x, x > 0, [lambda v, c: multiply(v, c)], r()), {}),
            ((y, [y > 0], [lambda v, k: v ** k, lambda v, k: subtract(v, 1.0)]), {"k": 3}),
            ((z, [z > 0, z <= 0], [lambda v: v ** 2, lambda v: 2.0 * v]), {})]


def _conditions(condlist, x_ndim, funclist):
    """numpy's piecewise conditions: a bool array (n, ...) of one condition per function,
    with the 'otherwise' condition appended when there is one function more."""
    if isinstance(condlist, (list, tuple)):
        condlist = [primal_value(c) for c in condlist]
    else:
        condlist = primal_value(condlist)
    # numpy's (undocumented) rule: a single condition is promoted to a list of one
    if np.isscalar(condlist) or (not isinstance(condlist[0], (list, np.ndarray))
                                 and x_ndim != 0):
        condlist = [condlist]
    conditions = np.asarray(condlist, dtype=bool)
    n, m = len(conditions), len(funclist)
    if m == n + 1:
        otherwise = ~np.any(conditions, axis=0, keepdims=True)
        return np.concatenate([conditions, otherwise], axis=0)
    if m != n:
        raise ValueError(f"piecewise(): with {n} condition(s), either {n} or {n + 1} functions "
                         f"are expected, got {m}")
    return conditions


@defcomposite("piecewise", domain=_piecewise_domain, refs=_NUMPY_DOCS,
              doc="piecewise(x, condlist, funclist, *args, **kw): y = 0 in x's shape and dtype; "
                  "for each condition in order, y[cond] = f(x[cond], *args, **kw) for a callable "
                  "f (not called on an empty selection), the constant f otherwise (later "
                  "conditions win; one function more is the 'otherwise'). A gather of the "
                  "pieces, so ∂y[i]/∂x = ∂f(x[cond])/∂x of the piece that gave y[i]; traced "
                  "args are differentiated, the conditions are not")
def piecewise(x, condlist, funclist, *args, **kw):
    x = x if isinstance(x, Tracer) else np.asanyarray(x)
    conditions = _conditions(condlist, ndim_of(x), funclist)
    dtype = np.result_type(primal_value(x))
    flat, grid = reshape(x, (-1,)), _positions(x)
    source = np.full(size_of(x), -1)
    pieces, start = [], 0
    for condition, func in zip(conditions, funclist):
        selected = grid[condition]  # numpy's boolean indexing: shape checks included
        if selected.size == 0:
            continue
        piece = func(take(flat, selected, axis=0), *args, **kw) if callable(func) else func
        piece = _cast(as_array(piece), dtype, "piecewise", f"the value of {func!r}")
        pieces.append(broadcast_to(piece, selected.shape))
        source[selected] = start + np.arange(selected.size)
        start += selected.size
    pieces.append(np.zeros(1, dtype=dtype))  # where no condition holds
    source[source < 0] = start
    return reshape(take(concatenate(pieces, axis=0), source, axis=0), shape_of(x))


def _partition_domain(rng, dtype):
    """The first case has one valid result (kth = 1 of 3 entries fixes every entry's place),
    so libraries that arrange the other entries differently (JAX, in tests/test_peers.py)
    agree on it."""
    def d(*shape):
        return dom.distinct(rng, shape, dtype)
    return [((d(3), 1), {}), ((d(5), (1, 3)), {}), ((d(2, 5), 2), {}), ((d(4, 3), 1), {"axis": 0}),
            ((d(2, 3), np.array([4, 0])), {"axis": None}), ((d(6), -1), {"axis": -1}),
            ((d(3, 7), (0, 3, 6)), {})]


def _indices_of(value, target, axis):
    """Indices ``i`` along ``axis`` with ``take_along_axis(value, i) == target``, for a
    ``target`` holding the entries of ``value`` in another order: the k-th smallest entry of
    each goes to the k-th smallest position (stable sorts; ties and NaNs line up)."""
    order = np.argsort(value, axis=axis, kind="stable")
    indices = np.empty_like(order)
    np.put_along_axis(indices, np.argsort(target, axis=axis, kind="stable"), order, axis=axis)
    return indices


@defcomposite("partition", domain=_partition_domain, refs=_NUMPY_DOCS,
              kinks="a permutation of the entries: at ties the equal entries are matched in "
                    "their stable sort order; the derivative follows that permutation",
              doc="partition(a, kth, axis=-1, kind='introselect', order=None): numpy's "
                  "partition (the k-th entries in sorted position, smaller before, larger after) "
                  "element for element, as a take_along_axis of a. The permutation is found by "
                  "matching the stable sort orders of a and of numpy's result, since numpy's "
                  "partition and argpartition may arrange the other entries differently (their "
                  "SIMD selections); the derivative permutes the tangent the same way")
def partition(a, kth, axis=-1, kind="introselect", order=None):
    a = as_array(a)
    if axis is None:
        a, axis = ravel(a), -1
    value = np.asarray(primal_value(a))
    target = np.partition(value, primal_value(kth), axis=axis, kind=kind, order=order)
    return take_along_axis(a, _indices_of(value, target, axis), axis)


# -- splitting and rolling axes -------------------------------------------------------------------

def _split_along(ary, indices_or_sections, axis, min_ndim, opname):
    if ndim_of(ary) < min_ndim:
        raise ValueError(f"{opname}(): only works on arrays of {min_ndim} or more dimensions, "
                         f"got shape {shape_of(ary)}")
    return split(ary, indices_or_sections, axis=axis)


def _split_domain(*shapes_and_splits):
    def domain(rng, dtype):
        return [((dom.real(rng, shape, dtype), s), {}) for shape, s in shapes_and_splits]
    return domain


@defcomposite("hsplit", domain=_split_domain(((4,), 2), ((2, 4), [1, 3]), ((2, 4, 2), 2)),
              refs=_NUMPY_DOCS,
              doc="hsplit(ary, indices_or_sections) = split along axis 1 (axis 0 for 1-d "
                  "arrays): a list of slices")
def hsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0, 1, "hsplit")


@defcomposite("vsplit", domain=_split_domain(((4, 2), 2), ((3, 2, 2), [1]), ((3, 2), [1, 5])),
              refs=_NUMPY_DOCS,
              doc="vsplit(ary, indices_or_sections) = split along axis 0 (arrays of 2 or more "
                  "dimensions): a list of slices")
def vsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 0, 2, "vsplit")


@defcomposite("dsplit", domain=_split_domain(((2, 2, 4), 2), ((1, 2, 3), [1, 2])),
              refs=_NUMPY_DOCS,
              doc="dsplit(ary, indices_or_sections) = split along axis 2 (arrays of 3 or more "
                  "dimensions): a list of slices")
def dsplit(ary, indices_or_sections):
    return _split_along(ary, indices_or_sections, 2, 3, "dsplit")


def _rollaxis_domain(rng, dtype):
    r = _r(rng, dtype)
    return [((r(2, 3, 4), 2), {}), ((r(2, 3, 4), 0, 3), {}), ((r(2, 3, 4), -1, 1), {}),
            ((r(2, 3), 1), {"start": 0}), ((r(2, 3, 4), 1, -1), {}), ((r(2, 3, 4), 1, 2), {})]


@defcomposite("rollaxis", domain=_rollaxis_domain, refs=_NUMPY_DOCS,
              doc="rollaxis(a, axis, start=0): axis moved to lie before position start (start "
                  "in [−ndim, ndim]), as numpy; a transpose (a itself when nothing moves)")
def rollaxis(a, axis, start=0):
    a = as_array(a)
    n = ndim_of(a)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"rollaxis(): axis must be an int, got {axis!r}")
    if not -n <= axis < n:
        raise ValueError(f"rollaxis(): axis {axis} is out of bounds for an array of dimension {n}")
    axis = normalize_axes(axis, n, "rollaxis")[0]
    if not isinstance(start, numbers.Integral) or not -n <= start <= n:
        raise ValueError(f"rollaxis(): start must be an int with {-n} <= start <= {n} for an "
                         f"array of dimension {n}, got {start!r}")
    start = int(start) + n if start < 0 else int(start)
    if axis < start:
        start -= 1
    if axis == start:
        return a if isinstance(a, Tracer) else a[...]
    perm = [i for i in range(n) if i != axis]
    perm.insert(start, axis)
    return transpose(a, tuple(perm))
