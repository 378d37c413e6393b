"""numpy's ``pad`` for traced arrays, every mode of numpy's but a callable one.

numpy pads one axis after the other, each axis of the array already padded along the axes
before it (so a corner takes the values of the last axis' rule); this module does the same
with registry ops, in numpy's order of operations, so the values are numpy's bit for bit:

* ``constant`` (and ``empty``): the transpose of slicing plus a constant border; ``empty``
  leaves numpy's border undefined (uninitialized memory): on a traced array it is 0;
* ``edge``, ``wrap`` and the even ``reflect``/``symmetric``: a gather by numpy's own index
  pattern (``np.pad`` of ``arange(n)``), so x̄ scatter-adds the copies' cotangents;
* the odd ``reflect``/``symmetric`` (``reflect_type='odd'``): numpy's rounds of at most one
  period each, ``2·edge − mirrored values`` with the current end as the edge;
* ``linear_ramp``: ``end + j·(edge − end)/width`` (numpy's ``linspace``), linear in x;
* ``mean``, ``median``, ``maximum``, ``minimum``: the statistic of the first (last)
  ``stat_length`` entries of the axis, broadcast over the border.

A plain array is padded by numpy itself (every mode, callables included).

Reference: numpy documentation and source of numpy.pad (numpy/lib/_arraypad_impl.py).
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import require_concrete, slice_along
from admodes.ops.arrangement import sort
from admodes.ops.elementwise import add, as_dtype, divide, multiply, subtract
from admodes.ops.indexing import getitem, index_basic_transpose, take
from admodes.ops.reductions import amax, amin, mean
from admodes.ops.shape import broadcast_to, concatenate
from admodes.registry import defcomposite
from admodes.tracing import Tracer, primal_value, shape_of

__all__ = ["pad"]

#: numpy's modes and the keywords each takes
_KEYWORDS = {"constant": ("constant_values",), "empty": (), "edge": (), "wrap": (),
             "linear_ramp": ("end_values",), "maximum": ("stat_length",),
             "mean": ("stat_length",), "median": ("stat_length",),
             "minimum": ("stat_length",), "reflect": ("reflect_type",),
             "symmetric": ("reflect_type",)}
_GATHERS = ("edge", "reflect", "symmetric", "wrap")


def _pairs(value, ndim, name, as_index=False):
    """numpy's ``_as_pairs``: ``value`` broadcast to one (before, after) pair per axis (as
    rounded non-negative ints for ``as_index``), numpy scalars from one or two values as
    numpy's (their dtype takes part in linear_ramp's); None stays None."""
    if value is None:
        return [(None, None)] * ndim
    require_concrete("pad", **{name.replace(" ", "_"): value})
    pairs = np.array(value)
    if as_index:
        pairs = np.round(pairs).astype(np.intp)
        if np.any(pairs < 0):
            raise ValueError(f"pad(): {name} must be non-negative, got {value!r}")
    if pairs.ndim < 3 and pairs.size == 1:
        return [(pairs.ravel()[0],) * 2] * ndim
    if pairs.ndim < 3 and pairs.size == 2 and pairs.shape != (2, 1):
        return [tuple(pairs.ravel())] * ndim
    try:
        return np.broadcast_to(pairs, (ndim, 2)).tolist()
    except ValueError:
        raise ValueError(f"pad(): {name} must broadcast to one (before, after) pair per "
                         f"axis, shape ({ndim}, 2); got {value!r}") from None


def _check_keywords(mode, kwargs):
    if callable(mode):
        raise TypeError("pad(): a callable mode writes the border into numpy arrays in place, "
                        "which a traced array does not support; use one of numpy's modes "
                        f"{sorted(_KEYWORDS)} or build the border with concatenate")
    if mode not in _KEYWORDS:
        raise ValueError(f"pad(): mode must be one of numpy's modes {sorted(_KEYWORDS)}, got "
                         f"{mode!r}")
    unknown = sorted(set(kwargs) - set(_KEYWORDS[mode]))
    if unknown:
        raise ValueError(f"pad(): mode {mode!r} takes the keywords {list(_KEYWORDS[mode])}, "
                         f"got {unknown}")
    if kwargs.get("reflect_type", "even") not in ("even", "odd"):
        raise ValueError(f"pad(): reflect_type must be 'even' or 'odd', got "
                         f"{kwargs['reflect_type']!r}")


def _check_extendable(shape, widths, mode):
    """numpy's rule: only 'constant' and 'empty' extend an axis of length 0."""
    for axis, (n, (lo, hi)) in enumerate(zip(shape, widths)):
        if n == 0 and (lo or hi):
            raise ValueError(f"pad(): cannot extend the empty axis {axis} (shape {shape}) with "
                             f"mode {mode!r}; only 'constant' and 'empty' can")


# -- the border of one axis ----------------------------------------------------------------------

def _along(x, axis, start, stop):
    return getitem(x, slice_along(axis, len(shape_of(x)), slice(start, stop)))


def _between(left, x, right, axis):
    """x with the borders ``left`` and ``right`` (None: no border) along ``axis``."""
    return concatenate([part for part in (left, x, right) if part is not None], axis=axis)


def _gathered(x, axis, lo, hi, mode):
    index = np.pad(np.arange(shape_of(x)[axis]), (lo, hi), mode=mode)
    return take(x, index, axis=axis)


def _odd_reflection(x, axis, lo, hi, mode):
    """numpy's rounds of ``2·edge − mirrored values``: each round mirrors at most the largest
    whole number of periods the current array holds (period n for 'symmetric', which repeats
    the edge, n − 1 for 'reflect'), about the current ends."""
    n = shape_of(x)[axis]
    if n == 1:  # numpy's legacy: a length-1 axis is extended with its edge
        return _gathered(x, axis, lo, hi, "edge")
    repeats_edge = int(mode == "symmetric")
    period = n - 1 + repeats_edge
    while lo or hi:
        length = shape_of(x)[axis]
        available = (length - 1 + repeats_edge) // period * period
        left, right = min(available, lo), min(available, hi)
        x = _between(_odd_mirror(x, axis, 0, np.arange(left, 0, -1) - repeats_edge), x,
                     _odd_mirror(x, axis, length - 1,
                                 np.arange(length - 2, length - 2 - right, -1) + repeats_edge),
                     axis)
        lo, hi = lo - left, hi - right
    return x


def _odd_mirror(x, axis, edge, mirrored):
    """``2·x[edge] − x[mirrored]`` along ``axis`` (None for no entries)."""
    if not mirrored.size:
        return None
    return subtract(multiply(2, _along(x, axis, edge, edge + 1)), take(x, mirrored, axis=axis))


def _ramp(edge, end, width, axis, dtype):
    """numpy's ``linspace(end, edge, width, endpoint=False)`` along ``axis``, in linspace's
    dtype (that of end and edge, at least float) and cast to x's ``dtype``."""
    work = np.result_type(end, primal_value(edge))
    if not np.issubdtype(work, np.inexact):
        work = np.dtype(np.float64)
    shape = [1] * len(shape_of(edge))
    shape[axis] = width
    steps = np.arange(width, dtype=work).reshape(shape)
    delta = subtract(as_dtype(edge, work), end)
    step = divide(delta, width)
    if np.any(primal_value(step) == 0):  # linspace's other order of operations
        ramp = multiply(steps / width, delta)
    else:
        ramp = multiply(steps, step)
    return as_dtype(add(ramp, end), dtype)


def _linear_ramp(x, axis, lo, hi, ends):
    n, dtype = shape_of(x)[axis], np.result_type(primal_value(x))
    left = _ramp(_along(x, axis, 0, 1), ends[0], lo, axis, dtype) if lo else None
    right = _ramp(_along(x, axis, n - 1, n), ends[1], hi, axis, dtype) if hi else None
    if right is not None:
        right = getitem(right, slice_along(axis, len(shape_of(x)), slice(None, None, -1)))
    return _between(left, x, right, axis)


def _median(chunk, axis):
    """numpy's median of the chunk along ``axis`` (keepdims): the mean of the middle one or
    two sorted values."""
    n = shape_of(chunk)[axis]
    return mean(_along(sort(chunk, axis=axis), axis, (n - 1) // 2, n // 2 + 1), axis=axis,
                keepdims=True)


def _extremum(statistic):
    def of(chunk, axis):
        return statistic(chunk, axis=axis, keepdims=True)
    return of


_STATISTICS = {"mean": lambda chunk, axis: mean(chunk, axis=axis, keepdims=True),
               "median": _median, "maximum": _extremum(amax), "minimum": _extremum(amin)}


def _stat_lengths(n, lengths, lo, hi, mode):
    """numpy's window lengths of the statistic on each side (None, or more than the axis'
    n entries: all of them), checked as numpy checks them."""
    first, last = (n if length is None else min(int(length), n) for length in lengths)
    for length, width in ((first, lo), (last, hi)):
        if length == 0 and (width or mode in ("maximum", "minimum")):
            outcome = "raises" if mode in ("maximum", "minimum") else "pads with NaN"
            raise ValueError(f"pad(): stat_length 0 gives no {mode} to pad with (numpy "
                             f"{outcome}); pass stat_length >= 1 or None")
    return first, last


def _statistic_border(x, axis, lo, hi, lengths, mode):
    """The statistic of the first ``lengths[0]`` and of the last ``lengths[1]`` entries along
    ``axis`` (numpy's ``_get_stats``), broadcast over the borders."""
    n = shape_of(x)[axis]
    first, last = lengths
    statistic = _STATISTICS[mode]
    left = statistic(_along(x, axis, 0, first), axis) if lo else None
    if hi and first == last == n and left is not None:
        right = left
    else:
        right = statistic(_along(x, axis, n - last, n), axis) if hi else None

    def spread(stat, width):
        shape = list(shape_of(x))
        shape[axis] = width
        return None if stat is None else broadcast_to(stat, tuple(shape))
    return _between(spread(left, lo), x, spread(right, hi), axis)


def _pad_axis(x, axis, lo, hi, mode, option):
    if mode in _STATISTICS:
        return _statistic_border(x, axis, lo, hi, option, mode)
    if mode == "linear_ramp":
        return _linear_ramp(x, axis, lo, hi, option)
    if option == "odd":
        return _odd_reflection(x, axis, lo, hi, mode)
    return _gathered(x, axis, lo, hi, mode)


# -- the whole array -------------------------------------------------------------------------------

def _constant(x, widths, constant_values):
    shape = shape_of(x)
    padded = tuple(int(n + lo + hi) for n, (lo, hi) in zip(shape, widths))
    index = tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape, widths))
    out = index_basic_transpose(x, index=index, shape=padded)
    require_concrete("pad", constant_values=constant_values)
    if np.any(np.asarray(constant_values) != 0):
        border = np.pad(np.zeros(shape, dtype=np.result_type(primal_value(x))), widths,
                        constant_values=constant_values)
        out = add(out, border)
    return out


def _options(mode, kwargs, ndim):
    """One option per axis for the per-axis rules: the stat_length or end_values pair, or
    reflect_type."""
    if mode in _STATISTICS:
        return _pairs(kwargs.get("stat_length"), ndim, "stat_length", as_index=True)
    if mode == "linear_ramp":
        return _pairs(kwargs.get("end_values", 0), ndim, "end_values")
    return [kwargs.get("reflect_type", "even")] * ndim


def _pad_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)

    def d(*shape):  # pairwise distinct: no ties in a maximum, minimum or median
        return dom.distinct(rng, shape, dtype)
    return [((r(3), 1), {}),
            ((r(2, 3), ((1, 0), (2, 1))), {"constant_values": 1.5}),
            ((r(4), 2), {"mode": "edge"}),
            ((r(2, 3), ((1, 2), (3, 1))), {"mode": "reflect"}),
            ((r(3, 2), (2, 5)), {"mode": "symmetric"}),
            ((r(2, 3), ((0, 3), (4, 2))), {"mode": "wrap"}),
            ((r(2, 3), ((1, 2), (5, 4))), {"mode": "reflect", "reflect_type": "odd"}),
            ((r(3, 2), ((4, 1), (3, 0))), {"mode": "symmetric", "reflect_type": "odd"}),
            ((r(2, 3), ((1, 2), (3, 1))), {"mode": "linear_ramp"}),
            ((r(4), (2, 3)), {"mode": "linear_ramp", "end_values": (0.5, -1.0)}),
            ((r(3, 4), ((1, 1), (2, 1))), {"mode": "mean"}),
            ((r(3, 4), 2), {"mode": "mean", "stat_length": ((1, 2), (3, 9))}),
            ((d(3, 4), ((2, 1), (1, 2))), {"mode": "median"}),
            ((d(5,), 2), {"mode": "median", "stat_length": (2, 3)}),
            ((d(3, 4), ((1, 0), (2, 1))), {"mode": "maximum", "stat_length": 2}),
            ((d(3, 4), 1), {"mode": "minimum"})]


@defcomposite("pad", domain=_pad_domain,
              refs=("numpy documentation and source of numpy.pad (numpy/lib/_arraypad_impl.py)",),
              kinks="maximum/minimum: the border takes the derivative of the extremal entry "
                    "of its stat_length window, ties shared by conventions.ties (as max and "
                    "min); median: the middle order statistic(s), at ties numpy's stable "
                    "argsort decides which entry (as sort)",
              doc="pad(x, pad_width, mode='constant', **kwargs), numpy's modes and values, one "
                  "axis after the other: 'constant' (constant_values) and 'empty' (0 on a "
                  "traced array) place x in a constant array (the transpose of slicing); "
                  "'edge', 'wrap', 'reflect', 'symmetric' gather x by numpy's index pattern "
                  "(x̄ scatter-adds the copies); reflect_type='odd': 2·edge − mirrored values; "
                  "'linear_ramp' (end_values): end + j·(edge − end)/width; 'mean', 'median', "
                  "'maximum', 'minimum' (stat_length): the statistic of the first (last) "
                  "stat_length entries broadcast over the border; linear in x but for "
                  "median, maximum, minimum")
def pad(array, pad_width, mode="constant", **kwargs):
    if not isinstance(array, Tracer):
        return np.pad(array, pad_width, mode, **kwargs)
    _check_keywords(mode, kwargs)
    shape = shape_of(array)
    widths = [(int(lo), int(hi)) for lo, hi in _pairs(pad_width, len(shape), "pad widths",
                                                      as_index=True)]
    if mode in ("constant", "empty"):
        return _constant(array, widths, kwargs.get("constant_values", 0))
    _check_extendable(shape, widths, mode)
    options = _options(mode, kwargs, len(shape))
    for axis, ((lo, hi), option) in enumerate(zip(widths, options)):
        if mode in _STATISTICS:
            option = _stat_lengths(shape[axis], option, lo, hi, mode)
        if lo or hi:
            array = _pad_axis(array, axis, lo, hi, mode, option)
    return array

