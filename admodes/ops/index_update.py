"""Functional index updates, JAX's ``x.at[index].set(v)`` and its siblings, for traced arrays.

admodes arrays are immutable (``x[index] = v`` on a tracer is a TypeError); ``x.at[index]``
returns a new array instead. ``index`` is any numpy index (ints, slices, None, Ellipsis,
integer arrays, boolean masks); the flat positions it selects are numpy's own (``positions =
arange(x.size).reshape(x.shape)[index]``) and ``values`` broadcast to their shape, in x's
dtype. Every form is a composite of gathers and scatter-adds, so both modes and every order
come from their rules:

* ``set``: out = take(concatenate(ravel(x), ravel(values)), source), where ``source[p] = n + j``
  for the j-th selected position p (numpy's assignment, so at a repeated position the last
  value wins) and ``source[p] = p`` elsewhere; ∂out/∂x is 1 where x is kept, ∂out/∂values
  routes each output to the value that landed there.
* ``add`` / ``subtract``: out = x ± scatter-add(values) (repeated positions accumulate, as
  JAX and ``np.add.at``).
* ``multiply``, ``divide``, ``power``, ``min``, ``max`` and ``apply(f)``: numpy's ``ufunc.at``
  semantics: the updates of a repeated position apply one after another in index order (the
  k-th occurrences of all positions are applied together, as one gather and one ``set``).
  ``min``/``max`` are ``minimum``/``maximum``, so ties follow ``conventions.ties``.
* ``get``: ``x[index]``.

numpy arrays have no ``.at``: ``admodes.numpy.at(x)[index]`` is the same for any array, plain
or traced (:func:`at`), for functions that must also run undifferentiated.

Out-of-bounds integer indices follow ``mode`` (JAX's ``GatherScatterMode``):

* None or ``'promise_in_bounds'``: numpy's IndexError (JAX leaves the result unspecified;
  its default clamps in ``get`` and drops in updates);
* ``'clip'``: each index is clamped into ``[0, n − 1]`` along its axis;
* ``'drop'`` or ``'fill'``: updates at out-of-bounds indices are left out; ``get`` gives
  ``fill_value`` there (by default NaN for floating dtypes, the most negative integer for
  signed, the largest for unsigned, True for booleans).

Negative indices count from the end first (``wrap_negative_indices=True``, as numpy and JAX);
with ``wrap_negative_indices=False`` they are out of bounds. Slices and boolean masks cannot be
out of bounds. ``indices_are_sorted`` and ``unique_indices`` are hints, accepted and not
needed.

Reference: JAX documentation, ``jax.numpy.ndarray.at``,
https://docs.jax.dev/en/latest/_autosummary/jax.numpy.ndarray.at.html; numpy's ``ufunc.at``.
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops.elementwise import (
    add,
    as_dtype,
    divide,
    maximum,
    minimum,
    multiply,
    power,
    where,
)
from admodes.ops.elementwise import subtract as subtract_
from admodes.ops.indexing import getitem, take, take_transpose
from admodes.ops.shape import broadcast_to, concatenate, reshape
from admodes.registry import defcomposite
from admodes.tracing import Tracer, primal_value, shape_of, size_of

__all__ = ["IndexUpdateHelper", "IndexUpdateRef", "at", "index_update"]

_COMBINE = {"multiply": multiply, "divide": divide, "power": power, "min": minimum,
            "max": maximum}
_HOWS = ("set", "add", "subtract", *_COMBINE, "apply")
_MODES = (None, "promise_in_bounds", "clip", "drop", "fill")


def _is_integer_index(component):
    """An integer scalar or integer array index component (the kind that can be out of
    bounds)."""
    if isinstance(component, (bool, np.bool_)):
        return False
    return isinstance(component, (int, np.integer)) or (
        isinstance(component, np.ndarray) and component.dtype.kind in "iu")


def _component_axes(index, ndim):
    """The axis each component of ``index`` (a tuple) indexes if it is an integer index, else
    None (slices, None, Ellipsis and boolean masks: numpy's rules for the axes they take)."""
    taken = [0 if c is None or c is Ellipsis or isinstance(c, (bool, np.bool_))
             else c.ndim if isinstance(c, np.ndarray) and c.dtype == bool else 1
             for c in index]
    axes, axis = [], 0
    for component, count in zip(index, taken):
        axes.append(axis if _is_integer_index(component) else None)
        axis += ndim - sum(taken) if component is Ellipsis else count
    return axes


def _resolve_bounds(method, shape, index, mode, wrap_negative_indices):
    """``(index, outside)``: ``index`` with its integer components brought in bounds as
    ``mode`` says, and a boolean mask over ``x[index]`` of the selections that were out of
    bounds (None for the modes that leave none)."""
    index = tuple(np.asarray(c) if isinstance(c, list) else c for c in index)
    axes = _component_axes(index, len(shape))
    if all(axis is None for axis in axes):
        return index, None
    inside, marked, padded = [], [], list(shape)
    for component, axis in zip(index, axes):
        if axis is None:
            inside.append(component)
            marked.append(component)
            continue
        n = shape[axis]
        i = np.asarray(component)
        if wrap_negative_indices:
            i = np.where(i < 0, i + n, i)
        out = (i < 0) | (i >= n)
        if mode in (None, "promise_in_bounds"):
            if out.any():
                bad = np.asarray(component)[out].flat[0]
                raise IndexError(f"x.at[index].{method}(): index {bad} is out of bounds for "
                                 f"axis {axis} with size {n}"
                                 + ("" if wrap_negative_indices
                                    else " (wrap_negative_indices=False)"))
            inside.append(i)
            continue
        inside.append(np.clip(i, 0, n - 1))
        marked.append(np.where(out, n, i))
        padded[axis] = n + 1
    if mode in (None, "promise_in_bounds", "clip"):
        return tuple(inside), None
    marks = np.zeros(padded, dtype=bool)  # True in the extra slot of every padded axis
    for axis, (n, m) in enumerate(zip(shape, padded)):
        if m > n:
            marks[(slice(None),) * axis + (n,)] = True
    return tuple(inside), marks[tuple(marked)]


def _default_fill(dtype):
    """JAX's fill value of ``get`` for out-of-bounds indices."""
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "b":
        return True
    return np.iinfo(dtype).min if dtype.kind == "i" else np.iinfo(dtype).max


def _selected_positions(x, index):
    """The flat positions of x that ``x[index]`` selects, in the shape of ``x[index]``."""
    if isinstance(index, Tracer) or (isinstance(index, tuple)
                                     and any(isinstance(i, Tracer) for i in index)):
        raise TypeError("x.at[index]: the index must be concrete (ints, slices, integer or "
                        "boolean arrays), got a traced array")
    return np.arange(size_of(x)).reshape(shape_of(x))[index]


def _broadcasts(shape, target):
    """True if an array of ``shape`` broadcasts to ``target`` (numpy's rules)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _assign(flat, positions, values):
    """``flat`` (1-d) with ``flat[positions] = values`` (1-d, same length), numpy's order."""
    n = shape_of(flat)[0]
    source = np.arange(n)
    source[positions] = n + np.arange(positions.size)
    return take(concatenate([flat, values]), source, axis=0)


def _occurrence(positions):
    """For each entry of the 1-d ``positions``, how many equal entries come before it."""
    order = np.argsort(positions, kind="stable")
    ranked = positions[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ranked)) + 1]
    lengths = np.diff(np.r_[starts, ranked.size])
    rank = np.arange(ranked.size) - np.repeat(starts, lengths)
    occurrence = np.empty_like(rank)
    occurrence[order] = rank
    return occurrence


def _sequential(flat, positions, values, update):
    """numpy's ``ufunc.at``: ``flat[p] = update(flat[p], v)`` for each (p, v) in order; the
    k-th occurrences of the positions (distinct among themselves) are updated together."""
    occurrence = _occurrence(positions)
    for k in range(int(occurrence.max(initial=-1)) + 1):
        layer = occurrence == k
        at = positions[layer]
        current = take(flat, at, axis=0)
        new = update(current) if values is None else update(current, getitem(values, layer))
        flat = _assign(flat, at, as_dtype(new, np.result_type(primal_value(flat))))
    return flat


def _index_update_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)

    def p(*shape):
        return dom.positive(rng, shape, dtype)
    repeated = (np.array([2, 0, 2, 1]),)
    return [((r(5), (slice(1, 4),), r(3)), {"how": "set"}),
            ((r(3, 4), (1,), r()), {"how": "set"}),
            ((r(5), repeated, r(4)), {"how": "set"}),
            ((r(3, 4), (slice(None), np.array([0, 2])), r(3, 1)), {"how": "add"}),
            ((r(5), repeated, r(4)), {"how": "subtract"}),
            ((r(2, 3), (np.array([[True, False, True], [False, True, False]]),), r(3)),
             {"how": "multiply"}),
            ((r(5), repeated, p(4)), {"how": "divide"}),
            ((p(4), (np.array([3, 1, 3]),), r(3)), {"how": "power"}),
            ((dom.distinct(rng, (6,), dtype), (slice(0, 6, 2),),
              dom.distinct(rng, (3,), dtype) + np.asarray(0.01, dtype)), {"how": "min"}),
            ((dom.distinct(rng, (2, 3), dtype), (Ellipsis, 1),
              dom.distinct(rng, (2,), dtype) + np.asarray(0.01, dtype)), {"how": "max"})]


@defcomposite("index_update", namespace="internal", domain=_index_update_domain,
              doc="index_update(x, index, values, how): x.at[index].<how>(values) as a new "
                  "array; set: a gather from [ravel x, ravel values] (last value wins at a "
                  "repeated position); add/subtract: x ± a scatter-add of values; multiply, "
                  "divide, power, min, max, apply: numpy's ufunc.at order, one gather and one "
                  "set per occurrence of a repeated position; outside: a mask over x[index] of "
                  "the selections left out (mode='drop')")
def index_update(x, index, values=None, how="set", outside=None):
    if how not in _HOWS:
        raise ValueError(f"x.at[index]: unknown update {how!r}; use one of {_HOWS}")
    index = index if isinstance(index, tuple) else (index,)
    positions = _selected_positions(x, index)
    shape, dtype = shape_of(x), np.result_type(primal_value(x))
    flat, at = reshape(x, (-1,)), positions.ravel()
    kept = None if outside is None else ~outside.ravel()  # the selections updated
    if kept is not None:
        at = at[kept]
    if how == "apply":
        return reshape(_sequential(flat, at, None, values), shape)
    if not _broadcasts(shape_of(values), positions.shape):
        raise ValueError(f"x.at[index].{how}(): values of shape {shape_of(values)} do not "
                         f"broadcast to the shape {positions.shape} that x[index] selects")
    spread = reshape(broadcast_to(as_dtype(values, dtype), positions.shape), (-1,))
    if kept is not None:
        spread = getitem(spread, kept)
    if how in ("add", "subtract"):
        scattered = reshape(take_transpose(spread, at, axis=0, size=size_of(x)), shape)
        return (add if how == "add" else subtract_)(x, scattered)
    if how == "set":
        return reshape(_assign(flat, at, spread), shape)
    return reshape(_sequential(flat, at, spread, _COMBINE[how]), shape)


def at(x):
    """``x.at`` for any array: ``at(x)[index].set(v)`` is ``x.at[index].set(v)``.

    Traced arrays have the ``.at`` property, as JAX arrays do; numpy arrays cannot have it, so
    a function that must also run on plain arrays (undifferentiated, or in ``check_grads``'
    finite differences) writes ``admodes.numpy.at(x)[index]...``. On plain arrays and plain
    values the result is a plain array.

    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> anp.at(np.zeros(3))[1].set(2.0)
    array([0., 2., 0.])
    >>> ad.grad(lambda p: anp.sum(anp.at(np.zeros(3))[1:].set(p * p)))(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    return IndexUpdateHelper(x)


class IndexUpdateHelper:
    """``x.at``: indexing it gives the :class:`IndexUpdateRef` of that index."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"IndexUpdateHelper({self.array!r})"


def _check_options(method, mode, out_sharding=None, fill_value=None):
    if mode not in _MODES:
        raise ValueError(f"x.at[index].{method}(): mode={mode!r} is not one of {_MODES[1:]} "
                         f"(or None)")
    if out_sharding is not None:
        raise ValueError(f"x.at[index].{method}(): out_sharding is not supported (admodes "
                         f"arrays live on the CPU)")
    if fill_value is not None and mode not in ("fill", "drop"):
        raise ValueError(f"x.at[index].{method}(): fill_value is used only with mode='fill' "
                         f"(or 'drop'), got mode={mode!r}")


class IndexUpdateRef:
    """``x.at[index]``: JAX's update methods, each returning a new array (see the module
    docstring for their semantics at repeated indices)."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None,
            out_sharding=None, wrap_negative_indices=True):
        """``x[index]``; with mode 'fill' (or 'drop'), ``fill_value`` at out-of-bounds
        indices."""
        _check_options("get", mode, out_sharding, fill_value)
        index = self.index if isinstance(self.index, tuple) else (self.index,)
        index, outside = _resolve_bounds("get", shape_of(self.array), index, mode,
                                         wrap_negative_indices)
        got = getitem(self.array, index)
        if outside is None or not outside.any():
            return got
        dtype = np.result_type(primal_value(self.array))
        fill = _default_fill(dtype) if fill_value is None else fill_value
        return where(outside, np.asarray(fill, dtype=dtype), got)

    def _update(self, how, values, mode, wrap_negative_indices, out_sharding):
        _check_options(how, mode, out_sharding)
        index = self.index if isinstance(self.index, tuple) else (self.index,)
        index, outside = _resolve_bounds(how, shape_of(self.array), index, mode,
                                         wrap_negative_indices)
        return index_update(self.array, index, values, how=how, outside=outside)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] = values`` (the last value at a repeated index)."""
        return self._update("set", values, mode, wrap_negative_indices, out_sharding)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] += values`` (repeated indices accumulate)."""
        return self._update("add", values, mode, wrap_negative_indices, out_sharding)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] -= values`` (repeated indices accumulate)."""
        return self._update("subtract", values, mode, wrap_negative_indices, out_sharding)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] *= values`` (``np.multiply.at``)."""
        return self._update("multiply", values, mode, wrap_negative_indices, out_sharding)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
               out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] /= values`` (``np.divide.at``)."""
        return self._update("divide", values, mode, wrap_negative_indices, out_sharding)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
              out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] **= values`` (``np.power.at``)."""
        return self._update("power", values, mode, wrap_negative_indices, out_sharding)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] = minimum(x[index], values)`` (``np.minimum.at``)."""
        return self._update("min", values, mode, wrap_negative_indices, out_sharding)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """x with ``x[index] = maximum(x[index], values)`` (``np.maximum.at``)."""
        return self._update("max", values, mode, wrap_negative_indices, out_sharding)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None,
              wrap_negative_indices=True):
        """x with ``x[index] = func(x[index])``, once per occurrence of an index (numpy's
        unary ``ufunc.at``); ``func`` must be written with admodes.numpy."""
        if not callable(func):
            raise TypeError(f"x.at[index].apply(): func must be callable, got "
                            f"{type(func).__name__}")
        return self._update("apply", func, mode, wrap_negative_indices, None)
