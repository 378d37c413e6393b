"""Rearranging composites of numpy's namespace: ravel, atleast_1d/2d/3d, broadcast_arrays,
flip, fliplr, flipud, rot90, roll, tile, repeat, split, array_split, vstack, hstack,
column_stack, dstack, append, block, triu, tril, take_along_axis, sort, diff, ediff1d,
trapezoid, diagonal, diagflat, convolve, select, copy.

Each is written with the shape and indexing primitives (reshape, broadcast_to, concatenate,
index_basic, take, where), so both modes and every order come from their rules; each follows
numpy's signature and semantics for the arguments it accepts.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes, slice_along
from admodes.ops._numpy_keywords import reject_out
from admodes.ops.elementwise import add, cast, multiply, subtract, where
from admodes.ops.indexing import getitem, index_basic_transpose, take
from admodes.ops.linalg import diag
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import broadcast_to, concatenate, moveaxis, reshape, transpose
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of


def _cases(*shapes_and_static):
    def domain(rng, dtype):
        return [((dom.real(rng, s, dtype), *extra), dict(st)) for s, extra, st in shapes_and_static]
    return domain


def _axis(axis, ndim, opname):
    return normalize_axes(axis, ndim, opname)[0]


# -- flattening and promotion ---------------------------------------------------------------

@defcomposite("ravel", domain=_cases(((2, 3), (), {}), ((), (), {})),
              doc="ravel(x) = reshape(x, (-1,)) (C order)")
def ravel(x):
    return reshape(x, (-1,))


def _promote(arrays, ndim, layout):
    out = []
    for x in arrays:
        shape = shape_of(x)
        if len(shape) < ndim:
            shape = layout[len(shape)](shape)
        out.append(x if shape == shape_of(x) else reshape(x, shape))
    return out[0] if len(out) == 1 else out


@defcomposite("atleast_1d", domain=_cases(((), (), {}), ((3,), (), {})),
              doc="atleast_1d(*xs): each input with at least one axis (a scalar as shape (1,))")
def atleast_1d(*arrays):
    return _promote(arrays, 1, {0: lambda s: (1,)})


@defcomposite("atleast_2d", domain=_cases(((), (), {}), ((3,), (), {}), ((2, 3), (), {})),
              doc="atleast_2d(*xs): a scalar as (1, 1), a vector of n as (1, n)")
def atleast_2d(*arrays):
    return _promote(arrays, 2, {0: lambda s: (1, 1), 1: lambda s: (1,) + s})


@defcomposite("atleast_3d", domain=_cases(((), (), {}), ((3,), (), {}), ((2, 3), (), {})),
              doc="atleast_3d(*xs): a scalar as (1, 1, 1), (n,) as (1, n, 1), (m, n) as "
                  "(m, n, 1), as numpy")
def atleast_3d(*arrays):
    return _promote(arrays, 3, {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,),
                                2: lambda s: s + (1,)})


def _arrays(rng, dtype, shapes):
    return tuple(dom.real(rng, s, dtype) for s in shapes)


@defcomposite("broadcast_arrays",
              domain=lambda rng, dtype: [(_arrays(rng, dtype, shapes), {}) for shapes in
                                         [((3,), (2, 1)), ((2, 3), ()), ((1, 3), (2, 1), (3,))]],
              doc="broadcast_arrays(*xs): a tuple (numpy 2's return type) of each x broadcast_to "
                  "the common shape; x̄ = ȳ summed over its broadcast axes")
def broadcast_arrays(*args):
    shape = np.broadcast_shapes(*(shape_of(a) for a in args))
    return tuple(broadcast_to(a, shape) for a in args)


# -- reversing and shifting -------------------------------------------------------------------

@defcomposite("flip", domain=_cases(((2, 3), (), {"axis": 1}), ((2, 3), (), {}),
                                    ((4,), (), {"axis": 0})),
              doc="flip(x, axis=None): x[..., ::-1, ...] along the given axes (all if None)")
def flip(x, axis=None):
    ndim = ndim_of(x)
    axes = normalize_axes(axis, ndim, "flip")
    return getitem(x, tuple(slice(None, None, -1) if a in axes else slice(None)
                            for a in range(ndim)))


def _at_least(x, ndim, opname):
    if ndim_of(x) < ndim:
        raise ValueError(f"{opname}(): needs an array of at least {ndim} dimension"
                         f"{'s' if ndim > 1 else ''}, got shape {shape_of(x)}")


@defcomposite("fliplr", domain=_cases(((2, 3), (), {}), ((2, 3, 4), (), {})),
              doc="fliplr(m) = flip(m, axis=1) (m at least 2-d)")
def fliplr(m):
    _at_least(m, 2, "fliplr")
    return flip(m, axis=1)


@defcomposite("flipud", domain=_cases(((3,), (), {}), ((2, 3), (), {})),
              doc="flipud(m) = flip(m, axis=0) (m at least 1-d)")
def flipud(m):
    _at_least(m, 1, "flipud")
    return flip(m, axis=0)


@defcomposite("rot90", domain=_cases(((2, 3), (), {}), ((2, 3), (2,), {}),
                                     ((2, 3), (), {"k": 3, "axes": (1, 0)}),
                                     ((2, 3, 4), (-1,), {"axes": (2, 0)})),
              doc="rot90(m, k=1, axes=(0, 1)): k quarter turns from axes[0] towards axes[1], "
                  "as numpy: k = 1 is transpose(flip(m, axes[1])), 2 a flip of both axes, "
                  "3 flip(transpose(m), axes[1])")
def rot90(m, k=1, axes=(0, 1)):
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90(): axes must be two axes, got {axes!r}")
    if not isinstance(k, numbers.Integral):
        raise TypeError(f"rot90(): k must be an int, got {k!r}")
    _at_least(m, 2, "rot90")
    ndim = ndim_of(m)
    first, second = (_axis(a, ndim, "rot90") for a in axes)
    if first == second:
        raise ValueError(f"rot90(): the two axes must be different, got {axes!r}")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, axis=(first, second))
    perm = list(range(ndim))
    perm[first], perm[second] = second, first
    if k == 1:
        return transpose(flip(m, axis=second), tuple(perm))
    return flip(transpose(m, tuple(perm)), axis=second)


def _roll_one(x, shift, axis):
    n = shape_of(x)[axis]
    s = int(shift) % n if n else 0
    if s == 0:
        return x
    ndim = ndim_of(x)
    return concatenate([getitem(x, slice_along(axis, ndim, slice(n - s, None))),
                        getitem(x, slice_along(axis, ndim, slice(0, n - s)))], axis=axis)


@defcomposite("roll", domain=_cases(((5,), (2,), {}), ((2, 3), (-1,), {"axis": 1}),
                                    ((2, 3), ((1, 2),), {"axis": (0, 1)})),
              doc="roll(x, shift, axis=None): entries shifted cyclically along axis (the "
                  "flattened array if None); slices and a concatenate")
def roll(x, shift, axis=None):
    if axis is None:
        return reshape(_roll_one(reshape(x, (-1,)), shift, 0), shape_of(x))
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    for s, a in zip(shifts, axes):
        x = _roll_one(x, s, _axis(int(a), ndim_of(x), "roll"))
    return x


# -- repetition ---------------------------------------------------------------------------------

@defcomposite("tile", domain=_cases(((3,), (2,), {}), ((2, 3), ((2, 1),), {}),
                                    ((3,), ((2, 2),), {})),
              doc="tile(x, reps): x repeated reps[i] times along axis i (numpy's promotion of "
                  "x and reps to the same length); a broadcast between interleaved axes")
def tile(x, reps):
    reps = (int(reps),) if isinstance(reps, numbers.Integral) else tuple(int(r) for r in reps)
    shape = shape_of(x)
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    spread = tuple(v for s in shape for v in (1, s))
    copies = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    return reshape(broadcast_to(reshape(x, spread), copies),
                   tuple(r * s for r, s in zip(reps, shape)))


@defcomposite("repeat", domain=_cases(((3,), (2,), {}), ((2, 3), (np.array([1, 0, 2]),),
                                                            {"axis": 1})),
              doc="repeat(x, repeats, axis=None): each entry repeated (flattened if axis is "
                  "None); a take whose transpose adds the copies back up")
def repeat(x, repeats, axis=None):
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis(axis, ndim_of(x), "repeat")
    positions = np.repeat(np.arange(shape_of(x)[axis]), repeats)
    return take(x, positions, axis=axis)


# -- splitting and stacking ------------------------------------------------------------------

def _split(x, indices_or_sections, axis, opname, even):
    axis = _axis(axis, ndim_of(x), opname)
    n = shape_of(x)[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{opname}(): the number of sections must be positive, got "
                             f"{sections}")
        if even and n % sections:
            raise ValueError(f"{opname}(): an axis of length {n} does not divide into "
                             f"{sections} equal sections (array_split allows unequal ones)")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (sections - extra))
    else:
        bounds = np.concatenate(([0], np.asarray(indices_or_sections, dtype=int), [n]))
    ndim = ndim_of(x)
    return [getitem(x, slice_along(axis, ndim, slice(int(a), int(b))))
            for a, b in itertools.pairwise(bounds)]


@defcomposite("split", domain=_cases(((6,), (3,), {}), ((2, 6), ([1, 4],), {"axis": 1})),
              doc="split(x, sections or indices, axis=0): a list of slices (equal sections)")
def split(x, indices_or_sections, axis=0):
    return _split(x, indices_or_sections, axis, "split", even=True)


@defcomposite("array_split", domain=_cases(((5,), (3,), {}), ((2, 5), (2,), {"axis": 1})),
              doc="array_split(x, sections, axis=0): as split, sections may be unequal")
def array_split(x, indices_or_sections, axis=0):
    return _split(x, indices_or_sections, axis, "array_split", even=False)


def _pairs(rng, dtype, shapes):
    return [((_arrays(rng, dtype, pair),), {}) for pair in shapes]


@defcomposite("vstack", domain=lambda rng, dtype: _pairs(rng, dtype, [((3,), (3,)),
                                                                      ((2, 3), (1, 3))]),
              doc="vstack(arrays): concatenate along axis 0 after atleast_2d")
def vstack(arrays):
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


@defcomposite("hstack", domain=lambda rng, dtype: _pairs(rng, dtype, [((3,), (2,)),
                                                                      ((2, 3), (2, 1))]),
              doc="hstack(arrays): concatenate along axis 1 (axis 0 for 1-d) after atleast_1d")
def hstack(arrays):
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if ndim_of(arrays[0]) == 1 else 1)


@defcomposite("column_stack",
              domain=lambda rng, dtype: _pairs(rng, dtype, [((3,), (3,)), ((3,), (3, 2)),
                                                            ((2, 2), (2, 1))]),
              doc="column_stack(arrays): concatenate along axis 1, each 0-d or 1-d array as a "
                  "column (n, 1)")
def column_stack(tup):
    return concatenate([a if ndim_of(a) >= 2 else reshape(a, (-1, 1)) for a in tup], axis=1)


@defcomposite("dstack",
              domain=lambda rng, dtype: _pairs(rng, dtype, [((3,), (3,)), ((2, 3), (2, 3)),
                                                            ((2, 3, 1), (2, 3, 2))]),
              doc="dstack(arrays): concatenate along axis 2 after atleast_3d")
def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def _append_domain(rng, dtype):
    return [(_arrays(rng, dtype, shapes), static) for shapes, static in
            [(((3,), (2,)), {}), (((2, 3), (1, 3)), {"axis": 0}),
             (((2, 3), (2, 2)), {"axis": -1}), (((2, 2), (3,)), {})]]


@defcomposite("append", domain=_append_domain,
              doc="append(arr, values, axis=None): concatenate([arr, values], axis), both "
                  "flattened if axis is None")
def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def _block_depth(arrays, where):
    """(list depth, largest leaf ndim) of a nested list of blocks, checked as numpy checks it."""
    if isinstance(arrays, tuple):
        raise TypeError(f"block(): arrays{where} is a tuple; only lists arrange blocks (pass "
                        f"list(...) for a sequence of blocks, an array for one block)")
    if not isinstance(arrays, list):
        return 0, ndim_of(arrays)
    if not arrays:
        raise ValueError(f"block(): the list arrays{where} is empty")
    found = [_block_depth(a, f"{where}[{i}]") for i, a in enumerate(arrays)]
    for i, (depth, _) in enumerate(found):
        if depth != found[0][0]:
            raise ValueError(f"block(): list depths are mismatched: arrays{where}[0] is at depth "
                             f"{found[0][0]} but arrays{where}[{i}] at depth {depth}")
    return found[0][0] + 1, max(n for _, n in found)


def _assemble(arrays, depth, ndim):
    if depth == 0:
        shape = shape_of(arrays)
        return reshape(arrays, (1,) * (ndim - len(shape)) + tuple(shape))
    return concatenate([_assemble(a, depth - 1, ndim) for a in arrays], axis=-depth)


def _block_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [(([r(2), r(3)],), {}),
            (([[r(2, 2), r(2, 1)], [r(1, 2), r(1, 1)]],), {}),
            (([[r(2, 3)], [r(3)]],), {}),
            (([[[r(2), r(1)]], [[r(1, 3)]]],), {})]


@defcomposite("block", domain=_block_domain,
              doc="block(arrays): nested lists of depth d joined as numpy: each block promoted "
                  "to ndim = max(d, its ndim) by leading size-1 axes, the innermost lists "
                  "concatenated along axis −1, the next along −2, …")
def block(arrays):
    depth, leaf_ndim = _block_depth(arrays, "")
    return _assemble(arrays, depth, max(depth, leaf_ndim))


# -- triangles ----------------------------------------------------------------------------------

def _triangle(x, k, upper, opname):
    shape = shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"{opname}(): needs an array of at least 2 dimensions, got shape {shape}")
    mask = np.tri(shape[-2], shape[-1], k - 1 if upper else k, dtype=bool)
    return where(~mask if upper else mask, x, 0.0)


@defcomposite("triu", domain=_cases(((3, 3), (), {}), ((2, 3, 4), (), {"k": 1})),
              doc="triu(x, k=0): zeros below the k-th diagonal of the last two axes (a where)")
def triu(x, k=0):
    return _triangle(x, k, True, "triu")


@defcomposite("tril", domain=_cases(((3, 3), (), {}), ((3, 4), (), {"k": -1})),
              doc="tril(x, k=0): zeros above the k-th diagonal of the last two axes (a where)")
def tril(x, k=0):
    return _triangle(x, k, False, "tril")


# -- gathering along an axis and sorting ---------------------------------------------------------

def _along_axis(x, indices, axis, opname):
    shape = shape_of(x)
    indices = np.asarray(indices)
    if axis is None:
        return take(reshape(x, (-1,)), indices.reshape(-1), axis=0)
    axis = _axis(axis, len(shape), opname)
    if indices.ndim != len(shape):
        raise ValueError(f"{opname}(): indices must have as many dimensions as x "
                         f"({len(shape)}), got {indices.ndim}")
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = np.where(indices < 0, indices + shape[axis], indices)  # numpy's negatives
    positions = np.ravel_multi_index(np.broadcast_arrays(*grid), shape)  # IndexError if out
    return take(reshape(x, (-1,)), positions, axis=0)


@defcomposite("take_along_axis",
              domain=_cases(((2, 3), (np.array([[2, 0], [1, 1]]), 1), {}),
                            ((3,), (np.array([2, 2, 0]), 0), {})),
              doc="take_along_axis(x, indices, axis): x at indices along axis (a take of the "
                  "flat positions; its transpose is a scatter-add)")
def take_along_axis(x, indices, axis):
    return _along_axis(x, indices, axis, "take_along_axis")


@defcomposite("sort", domain=lambda rng, dtype: [((dom.distinct(rng, s, dtype),), st) for s, st in
                                                ([(5,), {}], [(2, 4), {"axis": 0}],
                                                 [(2, 3), {"axis": None}])],
              kinks="a permutation of the entries: at ties the order is numpy's stable argsort "
                    "(the derivative follows that permutation)",
              doc="sort(x, axis=-1): take_along_axis(x, argsort(value of x)); the derivative "
                  "permutes the tangent (cotangent) the same way")
def sort(x, axis=-1):
    value = primal_value(x)
    if axis is None:
        order = np.argsort(value, axis=None, kind="stable")
        return take(reshape(x, (-1,)), order, axis=0)
    return _along_axis(x, np.argsort(value, axis=axis, kind="stable"), axis, "sort")


# -- differences, integration, diagonals -------------------------------------------------

@defcomposite("diff", domain=_cases(((5,), (), {}), ((3, 4), (), {"n": 2, "axis": 0})),
              doc="diff(x, n=1, axis=-1): x[1:] − x[:-1] along axis, n times (linear)")
def diff(x, n=1, axis=-1):
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"diff(): n must be a non-negative int, got {n!r}")
    ndim = ndim_of(x)
    axis = _axis(axis, ndim, "diff")
    for _ in range(n):
        x = subtract(getitem(x, slice_along(axis, ndim, slice(1, None))),
                     getitem(x, slice_along(axis, ndim, slice(None, -1))))
    return x


def _ediff1d_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(5),), {}), ((r(2, 3), r(2), r()), {}), ((r(4),), {"to_begin": 0.5}),
            ((r(3), None, r(1, 2)), {})]


def _edge(extra, dtype, name):
    """to_begin or to_end flattened and cast to ary's dtype, as numpy's ediff1d does."""
    given = np.result_type(primal_value(extra))
    if not np.can_cast(given, dtype, casting="same_kind"):
        raise TypeError(f"ediff1d(): {name} of dtype {given} cannot be cast to ary's dtype "
                        f"{dtype} under numpy's same_kind rule")
    extra = ravel(extra)
    if given == dtype:
        return extra
    return cast(extra, dtype=dtype) if isinstance(extra, Tracer) else extra.astype(dtype)


@defcomposite("ediff1d", domain=_ediff1d_domain,
              doc="ediff1d(ary, to_end=None, to_begin=None) = [to_begin, diff(ravel(ary)), "
                  "to_end] in ary's dtype (linear in all three)")
def ediff1d(ary, to_end=None, to_begin=None):
    flat = ravel(ary)
    dtype = np.result_type(primal_value(flat))
    parts = [diff(flat)]
    if to_begin is not None:
        parts.insert(0, _edge(to_begin, dtype, "to_begin"))
    if to_end is not None:
        parts.append(_edge(to_end, dtype, "to_end"))
    return parts[0] if len(parts) == 1 else concatenate(parts, axis=0)


def _trapezoid_domain(rng, dtype):
    x = np.sort(dom.real(rng, (5,), dtype))
    return [((dom.real(rng, (5,), dtype),), {}), ((dom.real(rng, (5,), dtype),), {"x": x}),
            ((dom.real(rng, (2, 4), dtype),), {"dx": 0.5, "axis": 0})]


@defcomposite("trapezoid", domain=_trapezoid_domain,
              doc="trapezoid(y, x=None, dx=1.0, axis=-1) = Σ_i (y_i + y_{i+1})/2 · Δx_i, the "
                  "trapezoidal rule (differentiable in y and in the sample points x)")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    ndim = ndim_of(y)
    axis = _axis(axis, ndim, "trapezoid")
    if x is None:
        widths = dx
    else:
        widths = diff(x, axis=-1 if ndim_of(x) == 1 else axis)
        if ndim_of(x) == 1 and ndim > 1:
            widths = reshape(widths, tuple(-1 if a == axis else 1 for a in range(ndim)))
    mids = add(getitem(y, slice_along(axis, ndim, slice(1, None))),
               getitem(y, slice_along(axis, ndim, slice(None, -1))))
    return multiply(sum_(multiply(mids, widths), axis=axis), 0.5)


@defcomposite("diagonal", domain=_cases(((3, 4), (), {}), ((3, 4), (), {"offset": 1}),
                                        ((2, 3, 3), (), {"axis1": 1, "axis2": 2}),
                                        ((3, 2, 4), (), {"offset": -1, "axis1": 2, "axis2": 0})),
              doc="diagonal(x, offset=0, axis1=0, axis2=1): the diagonal of the (axis1, axis2) "
                  "planes as the last axis, as numpy (a gather)")
def diagonal(x, offset=0, axis1=0, axis2=1):
    ndim = ndim_of(x)
    a1, a2 = _axis(axis1, ndim, "diagonal"), _axis(axis2, ndim, "diagonal")
    if a1 == a2:
        raise ValueError("diagonal(): axis1 and axis2 must differ")
    moved = moveaxis(x, (a1, a2), (-2, -1))
    rows, cols = shape_of(moved)[-2:]
    i = np.arange(max(0, -offset), max(0, min(rows, cols - offset)))
    return getitem(moved, (Ellipsis, i, i + offset))


@defcomposite("trace", domain=_cases(((3, 3), (), {}), ((2, 4), (), {"offset": 1}),
                                     ((2, 3, 3), (), {"axis1": 1, "axis2": 2}),
                                     ((3, 2, 4), (), {"offset": -1, "axis1": 2, "axis2": 0})),
              doc="trace(a, offset=0, axis1=0, axis2=1) = Σ_i a[..., i, i + offset] over the "
                  "(axis1, axis2) planes, as numpy: the sum of diagonal(a, offset, axis1, axis2) "
                  "over its last axis (dtype=, out= as sum's); linear, ā = ȳ on the diagonals")
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if out is not None and isinstance(a, Tracer):
        reject_out(out, "trace")
    d = diagonal(a, offset, axis1, axis2)
    if dtype is None and out is None:
        return sum_(d, axis=-1)
    return sum_(d, -1, dtype, out)  # numpy's dtype= and out=, as sum's


@defcomposite("diagflat", domain=_cases(((3,), (), {}), ((2, 2), (1,), {}),
                                        ((3,), (), {"k": -2})),
              doc="diagflat(v, k=0) = diag(ravel(v), k): the flattened v on diagonal k of a "
                  "square matrix of side v.size + |k| (a scatter)")
def diagflat(v, k=0):
    return diag(ravel(v), k)


def _convolve_domain(rng, dtype):
    return [((dom.real(rng, (5,), dtype), dom.real(rng, (3,), dtype)), {}),
            ((dom.real(rng, (2,), dtype), dom.real(rng, (4,), dtype)), {"mode": "same"}),
            ((dom.real(rng, (6,), dtype), dom.real(rng, (3,), dtype)), {"mode": "valid"}),
            ((dom.real(rng, (1,), dtype), dom.real(rng, (3,), dtype)), {})]


def signal_pair(a, v, mode, opname):
    """The lengths ``(n, m)`` of two non-empty 1-d arrays and the output length of ``mode``
    ('full': n + m − 1, 'same': max(n, m), 'valid': max(n, m) − min(n, m) + 1)."""
    n, m = shape_of(a), shape_of(v)
    if len(n) != 1 or len(m) != 1 or not n[0] or not m[0]:
        raise ValueError(f"{opname}: needs two non-empty 1-d arrays, got shapes {n} and {m}")
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{opname}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    n, m = n[0], m[0]
    return n, m, {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]


def gathered_products(a, v, positions):
    """``y_j = Σ_i a_i v[positions[j, i]]`` with v taken as 0 outside its range (positions
    within ±(len(a) − 1) of it): a gather of the zero-padded v times a, summed
    (O(positions.size) memory)."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    padded = index_basic_transpose(v, index=(slice(n - 1, n - 1 + m),), shape=(m + 2 * n - 2,))
    return sum_(multiply(take(padded, positions + (n - 1), axis=0), a), axis=1)


@defcomposite("convolve", domain=_convolve_domain,
              doc="convolve(a, v, mode='full'): y_k = Σ_i a_i v_{k−i} of two 1-d arrays, modes "
                  "'full', 'same', 'valid' as numpy; a gather of the zero-padded v times a, "
                  "summed (O(len(y)·len(a)) memory)")
def convolve(a, v, mode="full"):
    n, m, length = signal_pair(a, v, mode, "convolve")
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    k = np.arange(start, start + length)[:, None]
    return gathered_products(a, v, k - np.arange(n)[None, :])


# -- choosing and copying -------------------------------------------------------------------------

def _select_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)

    def conditions(*shape):
        return [rng.uniform(size=shape) < 0.4, rng.uniform(size=shape) < 0.6]
    return [((conditions(4), [r(4), r(4)]), {}),
            ((conditions(2, 3), [r(3), r(2, 1)]), {"default": 1.5}),
            ((conditions(2, 3), [r(), r(2, 3)], r(3)), {})]


@defcomposite("select", domain=_select_domain,
              doc="select(condlist, choicelist, default=0): choicelist[i] where condlist[i] is "
                  "the first true condition, default where none is (nested wheres, broadcast "
                  "as numpy); the boolean conditions are not differentiated")
def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError(f"select(): got {len(condlist)} conditions and {len(choicelist)} "
                         f"choices; condlist and choicelist must have the same length")
    if not condlist:
        raise ValueError("select(): needs at least one condition (condlist is empty)")
    conditions = [np.asarray(primal_value(c)) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype != bool:
            raise TypeError(f"select(): condlist[{i}] must be a boolean array, got dtype "
                            f"{c.dtype}")
    out = default
    for condition, choice in zip(reversed(conditions), reversed(list(choicelist))):
        out = where(condition, choice, out)
    return out


@defcomposite("copy", domain=_cases(((3,), (), {}), ((2, 3), (), {}), ((), (), {})),
              doc="copy(a): the identity on traced arrays (they are immutable); numpy's copy "
                  "of a plain array")
def copy(a):
    return a if isinstance(a, Tracer) else np.copy(a)
