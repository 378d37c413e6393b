"""numpy's functions with a discrete part whose outputs still carry their inputs' values:
unique and the set functions (intersect1d, union1d, setdiff1d, setxor1d), bincount,
histogram, histogram_bin_edges, histogram2d, histogramdd, nextafter.

Their discrete part (which entries are kept, in which bin a value falls, the one-ulp step) is
computed by numpy on the values and is piecewise constant; what remains is differentiable:

* the set functions are gathers, ``take(x, indices)`` at the indices numpy's algorithm picks
  (its first occurrences), so they compute numpy's values exactly and their derivative moves
  each tangent with its value (at ties, values come from the first occurrence; see ``kinks``);
* ``bincount(x, weights)`` and a weighted ``histogram`` are scatter-adds of the weights into
  their bins, linear in the weights; histogram's bin edges are ``lo + (hi − lo)·i/n`` of its
  range (given, or the data's minimum and maximum) or the given edges; ``density`` divides the
  counts by the bin widths and their sum;
* ``nextafter(x1, x2)`` is ``x1`` plus a piecewise-constant one-ulp step: derivative 1 in x1.

Where numpy's own algorithm computes those values in another order of operations (histogram's
edges are a ``linspace``, its weighted counts a cumulative sum), the result is numpy's value
carrying the derivatives of the registry-op expression (:func:`with_derivative`), so the values
are numpy's bit for bit.

Reference: numpy documentation of numpy.unique, numpy.lib.arraysetops (the set functions),
numpy.bincount, numpy.histogram, numpy.nextafter.
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._numpy_keywords import traced
from admodes.ops.arrangement import diff
from admodes.ops.elementwise import (
    add,
    as_dtype,
    divide,
    multiply,
    require_real,
    subtract,
    where,
)
from admodes.ops.indexing import getitem, take, take_transpose
from admodes.ops.reductions import amax, amin, sum
from admodes.ops.shape import concatenate, reshape, stack
from admodes.registry import defcomposite
from admodes.tracing import Tracer, primal_value, shape_of, size_of

_NUMPY_DOCS = ("numpy documentation: numpy.unique, intersect1d, union1d, setdiff1d, setxor1d",
               "numpy documentation: numpy.bincount, numpy.histogram, numpy.nextafter")


def _flat(x):
    return reshape(x, (-1,))


def with_derivative(value, expr):
    """numpy's ``value`` carrying the derivatives of ``expr``, registry ops computing the same
    numbers up to rounding: ``value − (expr's value − expr)``. The subtracted term is an exact
    +0.0 wherever ``expr`` is finite, so the result is ``value`` bit for bit (−0.0 included);
    where it is not (an infinite expr), the entry is ``value`` without derivative."""
    if not isinstance(expr, Tracer):
        return value
    with np.errstate(invalid="ignore"):  # ∞ − ∞
        offset = subtract(primal_value(expr), as_dtype(expr, value.dtype))
    exact = primal_value(offset) == 0
    if exact.all():
        return subtract(value, offset)
    return where(exact, subtract(value, offset), value)


# -- unique and the set functions ------------------------------------------------------------------

_FIRST_OCCURRENCE = ("a gather at numpy's first occurrences: at ties (equal values, where the "
                     "output jumps when they separate) each output value takes the derivative "
                     "of its first occurrence")


def _unique_domain(rng, dtype):
    def d(*shape):
        return dom.distinct(rng, shape, dtype)
    every = {"return_index": True, "return_inverse": True, "return_counts": True}
    return [((d(6),), {}), ((d(2, 3),), every), ((d(3, 2),), {"axis": 0, "return_counts": True}),
            ((d(2, 3),), {"axis": -1, "return_inverse": True})]


@defcomposite("unique", domain=_unique_domain, kinks=_FIRST_OCCURRENCE, refs=_NUMPY_DOCS,
              doc="unique(ar, return_index, return_inverse, return_counts, axis, *, "
                  "equal_nan, sorted): the sorted distinct values (slices along axis) = "
                  "take(ar, first occurrences) with numpy's indices; the index, inverse and "
                  "count outputs are integers (no derivative)")
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    options = {"return_inverse": return_inverse, "return_counts": return_counts, "axis": axis,
               "equal_nan": equal_nan, "sorted": sorted}
    if not isinstance(ar, Tracer):
        return np.unique(ar, return_index=return_index, **options)
    found = np.unique(primal_value(ar), return_index=True, **options)
    values = take(ar, found[1], axis=axis)
    extras = found[1:] if return_index else found[2:]
    return (values, *extras) if extras else values


def _two_sets(rng, dtype, n1, n2):
    """Two 1-d arrays of pairwise distinct values, none shared."""
    values = dom.distinct(rng, (n1 + n2,), dtype)
    return values[:n1], values[n1:]


def _set_domain(rng, dtype):
    a, b = _two_sets(rng, dtype, 4, 3)
    c, d = _two_sets(rng, dtype, 3, 4)
    return [((a, b), {}), ((c, d.reshape(2, 2)), {}), ((a, b), {"assume_unique": True})]


@defcomposite("union1d", domain=lambda rng, dtype: _set_domain(rng, dtype)[:2],
              kinks=_FIRST_OCCURRENCE, refs=_NUMPY_DOCS,
              doc="union1d(ar1, ar2) = unique(concatenate(ravel(ar1), ravel(ar2))): a gather "
                  "of the distinct values (ar1's at a value both hold)")
def union1d(ar1, ar2):
    if not traced(ar1, ar2):
        return np.union1d(ar1, ar2)
    return unique(concatenate([_flat(ar1), _flat(ar2)]))


@defcomposite("setdiff1d", domain=_set_domain, kinks=_FIRST_OCCURRENCE, refs=_NUMPY_DOCS,
              doc="setdiff1d(ar1, ar2, assume_unique) = the values of unique(ar1) (ravel(ar1) "
                  "if assume_unique) not in ar2: a gather from ar1; ar2 only decides "
                  "membership (no derivative)")
def setdiff1d(ar1, ar2, assume_unique=False):
    if not isinstance(ar1, Tracer):
        return np.setdiff1d(ar1, primal_value(ar2), assume_unique)
    kept = _flat(ar1) if assume_unique else unique(ar1)
    others = primal_value(ar2) if assume_unique else np.unique(primal_value(ar2))
    return getitem(kept, np.isin(primal_value(kept), others, assume_unique=True, invert=True))


@defcomposite("setxor1d", domain=_set_domain, kinks=_FIRST_OCCURRENCE, refs=_NUMPY_DOCS,
              doc="setxor1d(ar1, ar2, assume_unique): the sorted values in exactly one of "
                  "unique(ar1), unique(ar2): a gather from their concatenation")
def setxor1d(ar1, ar2, assume_unique=False):
    if not traced(ar1, ar2):
        return np.setxor1d(ar1, ar2, assume_unique)
    if assume_unique:
        both = concatenate([_flat(ar1), _flat(ar2)])
    else:
        both = concatenate([_flat(unique(ar1)), _flat(unique(ar2))])
    if size_of(both) == 0:
        return both
    order = np.argsort(primal_value(both), kind="stable")
    values = primal_value(both)[order]
    alone = np.concatenate(([True], values[1:] != values[:-1], [True]))
    return getitem(take(both, order, axis=0), alone[1:] & alone[:-1])


def _intersect_domain(rng, dtype):
    # Values common to two independent inputs are ties: perturbing either one separately
    # empties the intersection, so only a disjoint pair has a derivative a test can check.
    a, b = _two_sets(rng, dtype, 4, 3)
    return [((a, b), {}), ((a, b), {"return_indices": True})]


@defcomposite("intersect1d", domain=_intersect_domain, refs=_NUMPY_DOCS,
              kinks="a common value is a tie of ar1 and ar2: it has a derivative only where "
                    "both move together (ar2 computed from ar1), and it is then ar1's; the "
                    "output takes the derivative of ar1's first occurrence, ar2 gets none",
              doc="intersect1d(ar1, ar2, assume_unique, return_indices): the sorted values in "
                  "both = take(ravel(ar1), numpy's ar1_indices), in numpy's result dtype; the "
                  "indices are integers (no derivative)")
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    if not isinstance(ar1, Tracer):
        return np.intersect1d(ar1, primal_value(ar2), assume_unique, return_indices)
    common, first, second = np.intersect1d(primal_value(ar1), primal_value(ar2),
                                           assume_unique, return_indices=True)
    values = as_dtype(take(ar1, first, axis=None), common.dtype)
    return (values, first, second) if return_indices else values


# -- counts and histograms ----------------------------------------------------------------------

def _bincount_domain(rng, dtype):
    x = np.array([0, 3, 1, 3, 3, 0])
    return [((x, dom.real(rng, (6,), dtype)), {}),
            ((x, dom.real(rng, (6,), dtype)), {"minlength": 6})]


@defcomposite("bincount", domain=_bincount_domain, refs=_NUMPY_DOCS,
              doc="bincount(x, weights=None, minlength=0): y[j] = Σ_{i: x_i = j} w_i in "
                  "float64 (the number of i without weights: integers, no derivative); "
                  "linear in the weights: ẏ = the same scatter-add of ẇ, w̄_i = ȳ[x_i]")
def bincount(x, weights=None, minlength=0):
    counts = np.bincount(primal_value(x), primal_value(weights), minlength)
    if not isinstance(weights, Tracer):
        return counts
    scattered = take_transpose(as_dtype(weights, np.float64), indices=np.asarray(x), axis=0,
                               size=counts.size)
    return with_derivative(counts, scattered)


def _edges_expression(a, bins, range, edges):
    """The bin edges as registry ops of whatever is traced (None if nothing is): the given
    edges, or lo + (hi − lo)·i/n, i = 0, …, n, of the range or of the data's extremes."""
    if np.ndim(primal_value(bins)) == 1:
        return bins if isinstance(bins, Tracer) else None
    if range is not None:
        lo, hi = range
    elif isinstance(a, Tracer) and size_of(a) > 0:
        lo, hi = amin(a), amax(a)
    else:
        return None
    if not traced(lo, hi):
        return None
    share = (np.arange(edges.size) / (edges.size - 1)).astype(edges.dtype)
    return add(multiply(lo, 1 - share), multiply(hi, share))


def _bin_indices(values, edges):
    """numpy's bin of each value: j for [e_j, e_j+1) (the last bin closed), −1 below and
    len(edges) − 1 above the edges."""
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = edges.size - 2
    return index


def _weighted_counts(a, weights, edges):
    """Σ of the weights in each bin [e_j, e_j+1) (the last bin closed), as a scatter-add."""
    bins = edges.size - 1
    index = _bin_indices(np.ravel(primal_value(a)), edges)
    inside = (index >= 0) & (index < bins)
    chosen = take(weights, np.flatnonzero(inside), axis=None)
    return take_transpose(chosen, indices=index[inside], axis=0, size=bins)


def _histogram_domain(rng, dtype):
    # data at fixed fractions of its range, away from the edges of 4 (or 3) equal bins, which
    # finite differences would otherwise cross
    fractions = np.array([0.0, 0.13, 0.37, 0.62, 0.9, 1.0, 0.55, 0.2])

    def data(lo, hi):
        return (lo + (hi - lo) * fractions[rng.permutation(8)]).astype(dtype)
    edges = np.array([-1.0, -0.2, 0.5, 2.0], dtype=dtype)
    # weights positionally (after range and density), so the generated tests differentiate them
    return [((data(-1.0, 1.5), 4), {}),
            ((data(-0.9, 1.9), edges, None, None, dom.real(rng, (8,), dtype)), {}),
            ((data(-1.0, 2.0).reshape(2, 4), 3),
             {"range": (np.float64(-1.2), np.float64(2.3)), "density": True}),
            ((data(0.0, 1.0), 4, None, True, dom.real(rng, (8,), dtype)), {})]


@defcomposite("histogram", domain=_histogram_domain, refs=_NUMPY_DOCS,
              kinks="the counts jump where a value crosses an edge, and the edges of the "
                    "data's range follow its min and max (ties: conventions.ties)",
              doc="histogram(a, bins=10, range=None, density=None, weights=None) -> (hist, "
                  "edges), numpy's values: edges = the given bins, or lo + (hi − lo)·i/n of "
                  "range or (min a, max a) (differentiable in those); hist = Σ of the weights "
                  "in each bin (a scatter-add, linear in weights; unweighted counts are "
                  "integers without derivative); density: hist / Δedges / Σ hist")
def histogram(a, bins=10, range=None, density=None, weights=None):
    plain_range = _plain_range(range)
    hist, edges = np.histogram(primal_value(a), primal_value(bins), plain_range, density,
                               primal_value(weights))
    traced_edges = _edges_expression(a, bins, range, edges)
    counts = _weighted_counts(a, weights, edges) if isinstance(weights, Tracer) else None
    if density and (counts is not None or traced_edges is not None):
        if counts is None:  # constant weights or none: the counts carry no derivative
            counts = np.histogram(primal_value(a), edges, weights=primal_value(weights))[0]
        widths = diff(as_dtype(edges if traced_edges is None else traced_edges, np.float64))
        counts = divide(divide(counts, widths), sum(counts))
    return with_derivative(hist, counts), with_derivative(edges, traced_edges)


def _plain_range(range):
    return None if range is None else tuple(primal_value(r) for r in range)


def _bin_edges_domain(rng, dtype):
    cases = _histogram_domain(rng, dtype)
    (a, _), _ = cases[0]
    return [((a, 4), {}), ((cases[1][0][0], cases[1][0][1]), {}),
            ((cases[2][0][0], 3), {"range": cases[2][1]["range"]}),
            ((a,), {"bins": "sturges"})]


@defcomposite("histogram_bin_edges", domain=_bin_edges_domain,
              refs=_NUMPY_DOCS, kinks="the edges of the data's range follow its min and max "
                                      "(ties: conventions.ties)",
              doc="histogram_bin_edges(a, bins=10, range=None, weights=None): histogram's "
                  "edges, numpy's values: the given bins, or lo + (hi − lo)·i/n of range or "
                  "(min a, max a) (n from numpy's estimator for a string bins); "
                  "differentiable in those")
def histogram_bin_edges(a, bins=10, range=None, weights=None):
    edges = np.histogram_bin_edges(primal_value(a), primal_value(bins), _plain_range(range),
                                   primal_value(weights))
    return with_derivative(edges, _edges_expression(a, bins, range, edges))


def _sample_columns(sample):
    """numpy's (N, D) sample: an (N, D) array, or a sequence of D arrays of N values (a 1-d
    array: D = 1)."""
    if isinstance(sample, (list, tuple)):
        columns = [_flat(column) for column in sample]
        return stack(columns, axis=1) if traced(*columns) else np.stack(columns, axis=1)
    if len(shape_of(sample)) > 2:
        raise ValueError(f"histogramdd(): sample must be an (N, D) array or a sequence of D "
                         f"arrays of N values, got shape {shape_of(sample)}")
    return sample if len(shape_of(sample)) == 2 else reshape(sample, (-1, 1))


def _bins_per_dimension(bins, count):
    """numpy's reading of bins: one entry per dimension if it has a length, else the same
    number of bins for all."""
    if isinstance(bins, (list, tuple, Tracer, np.ndarray)):
        if len(bins) != count:
            raise ValueError(f"histogramdd(): bins must be one number or one entry per "
                             f"dimension ({count}), got {len(bins)} entries")
        return list(bins)
    return [bins] * count


def _ranges_per_dimension(range, count):
    if range is None:
        return [None] * count
    if len(range) != count:
        raise ValueError(f"histogramdd(): range must have one (lo, hi) or None per dimension "
                         f"({count}), got {len(range)} entries")
    return list(range)


def _cell_counts(columns, weights, edges):
    """The weights summed in each cell of the grid of bins (outliers dropped), a scatter-add
    in numpy's C order of cells."""
    shape = tuple(e.size - 1 for e in edges)
    indices = [_bin_indices(primal_value(columns)[:, i], e) for i, e in enumerate(edges)]
    inside = np.logical_and.reduce([(j >= 0) & (j < n) for j, n in zip(indices, shape)])
    cells = np.ravel_multi_index([j[inside] for j in indices], shape)
    chosen = take(_flat(weights), np.flatnonzero(inside), axis=0)
    return reshape(take_transpose(as_dtype(chosen, np.float64), indices=cells, axis=0,
                                  size=int(np.prod(shape))), shape)


def _cell_density(counts, edges, traced_edges):
    """numpy's density: counts / Π of the cell's widths / Σ counts."""
    total = sum(counts)
    for i, (plain, expression) in enumerate(zip(edges, traced_edges)):
        widths = diff(as_dtype(plain if expression is None else expression, np.float64))
        shape = [1] * len(edges)
        shape[i] = -1
        counts = divide(counts, reshape(widths, tuple(shape)))
    return divide(counts, total)


def _columns(rng, dtype, *spans):
    """Samples at fixed fractions of each (lo, hi) span, away from the edges of 2, 3 or 4
    equal bins of it and from the edges (−1, −0.2, 0.5, 2) for a span inside (−1, 2)."""
    fractions = np.array([0.0, 0.13, 0.37, 0.62, 0.9, 1.0, 0.55, 0.2])
    return [(lo + (hi - lo) * fractions[rng.permutation(8)]).astype(dtype) for lo, hi in spans]


_EDGES = np.array([-1.0, -0.2, 0.5, 2.0])


def _histogramdd_domain(rng, dtype):
    x, y, z = _columns(rng, dtype, (-1.0, 1.5), (-0.9, 1.9), (-2.0, -0.5))
    w = dom.real(rng, (8,), dtype)
    edges = _EDGES.astype(dtype)
    # first a density case: jnp's unweighted counts (the peers' test) are integers, and jnp
    # takes weights before density
    return [((np.stack([x, y], axis=1), 3), {"density": True}),
            ((np.stack([x, y], axis=1), 3, None, None, w), {}),
            (([x, y, z],), {"bins": (2, edges, 3)}),
            ((np.stack([x, y], axis=1), 4),
             {"range": ((np.float64(-1.2), np.float64(1.7)), None), "density": True}),
            (([y, z], [edges, 2], None, True, w), {})]


@defcomposite("histogramdd", domain=_histogramdd_domain, refs=_NUMPY_DOCS,
              kinks=histogram.kinks,
              doc="histogramdd(sample, bins=10, range=None, density=None, weights=None) -> "
                  "(hist, edges), numpy's values: per dimension, edges as histogram's (given, "
                  "or of range or the column's min and max; differentiable in those); hist "
                  "(float64, numpy's dtype) = Σ of the weights in each cell (a scatter-add, "
                  "linear in weights; without weights counts without derivative); density: "
                  "hist / Π Δedges / Σ hist")
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    columns = _sample_columns(sample)
    count = shape_of(columns)[1]
    bins = _bins_per_dimension(bins, count)
    ranges = _ranges_per_dimension(range, count)
    hist, edges = np.histogramdd(primal_value(columns), [primal_value(b) for b in bins],
                                 [_plain_range(r) for r in ranges], density,
                                 primal_value(weights))
    traced_edges = [_edges_expression(getitem(columns, (slice(None), i)), b, r, e)
                    for i, (b, r, e) in enumerate(zip(bins, ranges, edges))]
    counts = _cell_counts(columns, weights, edges) if isinstance(weights, Tracer) else None
    if density and (counts is not None or any(e is not None for e in traced_edges)):
        if counts is None:  # constant weights or none: the counts carry no derivative
            counts = np.histogramdd(primal_value(columns), edges,
                                    weights=primal_value(weights))[0]
        counts = _cell_density(counts, edges, traced_edges)
    return with_derivative(hist, counts), [with_derivative(e, t)
                                           for e, t in zip(edges, traced_edges)]


def _histogram2d_domain(rng, dtype):
    x, y, other = _columns(rng, dtype, (-1.0, 1.5), (-0.9, 1.9), (-0.9, 1.9))
    w = dom.real(rng, (8,), dtype)
    edges = _EDGES.astype(dtype)
    return [((x, y, 3), {"density": True}), ((x, y, 3, None, None, w), {}),
            ((x, y), {"bins": (2, edges)}),
            ((x, y, 4), {"range": ((np.float64(-1.2), np.float64(1.7)), (-0.5, 2.5)),
                         "density": True}),
            ((other, y, edges, None, True, w), {})]


@defcomposite("histogram2d", domain=_histogram2d_domain, refs=_NUMPY_DOCS,
              kinks=histogram.kinks,
              doc="histogram2d(x, y, bins=10, range=None, density=None, weights=None) -> "
                  "(hist, xedges, yedges) = histogramdd([x, y], ...) as numpy (one array of "
                  "edges, not a pair of bin counts, is used for both axes)")
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    if shape_of(x) != shape_of(y) or len(shape_of(x)) != 1:
        raise ValueError(f"histogram2d(): x and y must be 1-d arrays of the same length, got "
                         f"shapes {shape_of(x)} and {shape_of(y)}")
    if isinstance(bins, (list, tuple, np.ndarray, Tracer)) and len(bins) not in (1, 2):
        bins = [bins, bins]  # numpy's rule: one array of edges, for both axes
    hist, (xedges, yedges) = histogramdd([x, y], bins, range, density, weights)
    return hist, xedges, yedges


# -- nextafter ----------------------------------------------------------------------------------

@defcomposite("nextafter", domain=dom.binary(), refs=_NUMPY_DOCS,
              kinks="x1 plus a one-ulp step that is piecewise constant (it flips sign where x2 "
                    "crosses x1, and is 0 at x1 = x2); the step is not differentiated",
              doc="nextafter(x1, x2): the floating-point number after x1 towards x2 (numpy's "
                  "value), x1 plus a piecewise-constant step: ∂/∂x1 = 1, ∂/∂x2 = 0")
def nextafter(x1, x2):
    require_real("nextafter", x1, x2)
    value = np.nextafter(primal_value(x1), primal_value(x2))
    return with_derivative(value, x1) if isinstance(x1, Tracer) else value
