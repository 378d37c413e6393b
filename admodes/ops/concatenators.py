"""numpy's index-expression concatenators ``r_`` and ``c_`` for traced arrays.

``r_[a, 1.0, 0:3, b]`` concatenates its items along the first axis; ``c_[a, b]`` stacks 1-d
items as columns (``r_['-1,2,0', ...]``). The items follow numpy's rules
(``numpy.lib._index_tricks_impl.AxisConcatenator``):

* an array (or tracer) is raised to ``ndmin`` dimensions by leading size-1 axes, and then its
  own axes moved to start at position ``trans1d`` (``-1``: they stay last);
* a slice ``start:stop:step`` is ``arange(start, stop, step)``, or ``linspace(start, stop,
  n)`` for an imaginary step ``nj``: constants;
* a Python number is a length-1 array; the result's dtype is numpy's ``result_type`` of the
  arrays' dtypes and the numbers (a number does not widen a float32 array).

A leading string ``'axis'``, ``'axis,ndmin'`` or ``'axis,ndmin,trans1d'`` sets the three.
The matrix directives ``'r'`` and ``'c'`` (numpy.matrix results) are not supported. The result
is one ``concatenate`` of the raised items, so both modes differentiate it through the
registry.
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops.elementwise import as_dtype
from admodes.ops.shape import concatenate, reshape, transpose
from admodes.tracing import Tracer, primal_value, shape_of

__all__ = ["AxisConcatenator", "c_", "r_"]


def _directive(text):
    """``(axis, ndmin, trans1d)`` of a directive string such as ``'0,2,-1'``."""
    if text in ("r", "c"):
        raise ValueError(f"r_/c_: the matrix directive {text!r} (a numpy.matrix result) is not "
                         f"supported; use an axis directive such as '0' or '-1,2,0'")
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"r_/c_: unknown directive {text!r}; expected 'axis', 'axis,ndmin' "
                         f"or 'axis,ndmin,trans1d' (integers)") from None
    if not 1 <= len(values) <= 3:
        raise ValueError(f"r_/c_: a directive has one to three integers, got {text!r}")
    axis, ndmin, trans1d = values + [1, -1][len(values) - 1:]
    return axis, ndmin, trans1d


def _raised(item, ndmin, trans1d):
    """``item`` with ``ndmin`` dimensions at least: numpy's leading size-1 axes, its own axes
    then moved to start at ``trans1d``."""
    shape = shape_of(item)
    missing = ndmin - len(shape)
    if missing <= 0:
        return item
    item = reshape(item, (1,) * missing + tuple(shape))
    if trans1d == -1:
        return item
    first = trans1d if trans1d >= 0 else trans1d + missing + 1
    axes = list(range(ndmin))
    return transpose(item, axes[:first] + axes[missing:] + axes[first:missing])


def _range(piece, ndmin, trans1d):
    """The constant 1-d array of a slice item (arange, or linspace for an imaginary step)."""
    start = 0 if piece.start is None else piece.start
    step = 1 if piece.step is None else piece.step
    if isinstance(piece.stop, Tracer) or isinstance(start, Tracer) or isinstance(step, Tracer):
        raise TypeError("r_/c_: slice items are constants (arange or linspace); their "
                        "bounds must be numbers, not traced arrays")
    if isinstance(step, (complex, np.complexfloating)):
        values = np.linspace(start, piece.stop, num=int(abs(step)))
    else:
        values = np.arange(start, piece.stop, step)
    if ndmin > 1:
        values = np.array(values, ndmin=ndmin)
        if trans1d != -1:
            values = values.swapaxes(-1, trans1d)
    return values


class AxisConcatenator:
    """``r_`` and ``c_``: indexing concatenates the items (see the module docstring)."""

    __slots__ = ("axis", "ndmin", "trans1d")

    def __init__(self, axis=0, ndmin=1, trans1d=-1):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items.pop(0))
        pieces, dtypes = [], []
        for item in items:
            if isinstance(item, str):  # numpy's error type for a misplaced directive
                raise ValueError(f"r_/c_: a directive string must come first, got {item!r} "  # noqa: TRY004
                                 f"later")
            if isinstance(item, slice):
                piece = _range(item, ndmin, trans1d)
                dtypes.append(piece.dtype)
            elif isinstance(item, numbers.Number) and not isinstance(item, np.ndarray):
                piece = np.array(item, ndmin=ndmin)
                dtypes.append(item)
            else:
                value = primal_value(item)
                piece = _raised(item if isinstance(item, Tracer) else np.asarray(value),
                                ndmin, trans1d)
                dtypes.append(np.result_type(value))
            pieces.append(piece)
        if not pieces:
            raise ValueError("r_/c_: need at least one item to concatenate")
        dtype = np.result_type(*dtypes)
        return concatenate([as_dtype(piece, dtype) for piece in pieces], axis=axis)

    def __repr__(self):
        return f"AxisConcatenator(axis={self.axis}, ndmin={self.ndmin}, trans1d={self.trans1d})"


r_ = AxisConcatenator()
c_ = AxisConcatenator(-1, ndmin=2, trans1d=0)
