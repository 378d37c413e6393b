"""Order statistics and NaN-ignoring reductions of numpy's namespace: quantile, percentile,
median, their nan* variants, and nansum, nanprod, nanmean, nanvar, nanstd, nanmax, nanmin.

All are composites of registry primitives (sort's gather, where, sum, prod, max, min), so both
modes and every order follow from those rules.

* ``quantile`` is numpy's default method (``"linear"``, Hyndman & Fan 1996, definition 7): for
  the sorted values ``s_0 ≤ … ≤ s_{n−1}`` along the reduced axes and ``v = q (n − 1)``,
  ``Q(q) = s_⌊v⌋ + (v − ⌊v⌋)(s_⌊v⌋+1 − s_⌊v⌋)``. It is differentiable in ``x`` (the weights
  ``1 − g`` and ``g`` on the two order statistics) and in ``q`` (``∂Q/∂q = (n − 1)(s_hi −
  s_lo)``); a slice holding a NaN gives NaN, as in numpy.
* The ``nan*`` reductions replace NaN entries by the reduction's identity (0 for sums, 1 for
  products, ∓∞ for max and min) through ``where``, so NaN entries get a zero derivative; the
  mean and variance divide by the number of non-NaN entries, and an all-NaN slice gives NaN.

Reference: Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
American Statistician 50(4), 361-365. doi:10.2307/2684934
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes
from admodes.ops.arrangement import sort, take_along_axis
from admodes.ops.elementwise import add, divide, multiply, sqrt, subtract, where
from admodes.ops.reductions import max as max_
from admodes.ops.reductions import min as min_
from admodes.ops.reductions import prod
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import reshape, transpose
from admodes.registry import defcomposite
from admodes.tracing import Tracer, primal_value, shape_of

_QUANTILE_METHODS = ("linear",)


def _with_nans(rng, shape, dtype):
    """Real values with every third entry (flat index 1, 4, 7, ...) NaN."""
    x = dom.real(rng, shape, dtype)
    x.reshape(-1)[1::3] = np.nan
    return x


# -- quantiles ----------------------------------------------------------------------------------

def _reduced_last(x, axis, opname):
    """``x`` with the reduced axes moved last and merged: (kept axes..., n); and the shape of
    the result with keepdims (1 at the reduced axes)."""
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape), opname)
    kept = [a for a in range(len(shape)) if a not in axes]
    if axes != tuple(range(len(shape) - len(axes), len(shape))):
        x = transpose(x, tuple(kept) + tuple(axes))
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    x = reshape(x, tuple(shape[a] for a in kept) + (n,))
    return x, tuple(1 if a in axes else shape[a] for a in range(len(shape)))


def _quantile_domain(rng, dtype):
    x = dom.distinct(rng, (3, 5), dtype)
    return [((x, 0.3), {}), ((x, np.array([0.1, 0.55, 0.9], dtype=dtype)), {"axis": 1}),
            ((x, 0.75), {"axis": 0, "keepdims": True}),
            ((dom.distinct(rng, (2, 3, 4), dtype), 0.4), {"axis": (0, 2)}),
            ((dom.distinct(rng, (6,), dtype), dom.unit(rng, (), dtype) * 0.5 + 0.5), {})]


def _quantile(x, q, axis, method, keepdims, opname, skip_nan):
    """Hyndman & Fan's definition 7 over the reduced axes; with ``skip_nan`` over the non-NaN
    entries of each slice (n its count), else a slice holding a NaN gives NaN."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{opname}(): method={method!r} is not supported; admodes has "
                         f"{_QUANTILE_METHODS} (numpy's default)")
    if not isinstance(q, Tracer):  # a Python number is weakly typed (NEP 50), as in numpy
        q = np.asarray(q, dtype=np.result_type(primal_value(x), q)
                       if isinstance(q, numbers.Real) else None)
    qv = np.asarray(primal_value(q))
    if qv.dtype.kind not in "fiu":
        raise TypeError(f"{opname}(): q must be real numbers in [0, 1], got dtype {qv.dtype}")
    if np.any((qv < 0) | (qv > 1)) or np.any(np.isnan(qv)):
        raise ValueError(f"{opname}(): q must lie in [0, 1], got {qv}")
    rows, kept_shape = _reduced_last(x, axis, opname)  # (kept..., n)
    *kept, n = shape_of(rows)
    if n == 0:
        raise ValueError(f"{opname}(): the reduced axes are empty")
    nan = np.isnan(primal_value(rows))
    count = n - nan.sum(axis=-1, keepdims=True) if skip_nan else np.full(kept + [1], n)
    s = sort(rows, axis=-1)  # NaN last, as numpy sorts
    dtype = np.result_type(qv.dtype, np.float32)
    v = qv.ravel() * (count - 1)  # (kept..., q.size)
    lo = np.clip(np.floor(v), 0, n - 1).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    low, high = take_along_axis(s, lo, axis=-1), take_along_axis(s, hi, axis=-1)
    g = subtract(multiply(reshape(q, (-1,)), (count - 1).astype(dtype)), lo.astype(dtype))
    out = add(low, multiply(subtract(high, low), g))
    undefined = count == 0 if skip_nan else nan.any(axis=-1, keepdims=True)
    if undefined.any():
        out = where(undefined, np.nan, out)
    out = transpose(out, (len(kept),) + tuple(range(len(kept))))  # q's axis first, as numpy
    return reshape(out, qv.shape + (kept_shape if keepdims else tuple(kept)))


def _percent(q):
    return q / 100.0 if isinstance(q, numbers.Real) else divide(q, 100.0)


_QUANTILE_KINKS = ("at ties among the sorted values the order is numpy's stable argsort; at "
                   "q (n − 1) an integer the derivative in q is the right-hand one")
_MEDIAN_KINKS = ("the middle order statistic: at ties numpy's stable argsort decides which "
                 "entry it is")


@defcomposite("quantile", domain=_quantile_domain, kinks=_QUANTILE_KINKS,
              doc="quantile(x, q, axis=None, method='linear', keepdims=False): "
                  "s_lo + g·(s_hi − s_lo) of the sorted values along axis, v = q(n − 1), "
                  "lo = ⌊v⌋, g = v − lo (Hyndman & Fan's definition 7, numpy's default); "
                  "differentiable in x and q; shape q.shape + the reduced shape")
def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, q, axis, method, keepdims, "quantile", skip_nan=False)


def _percentile_domain(rng, dtype, sampler=dom.distinct):
    x = sampler(rng, (3, 5), dtype)
    return [((x, 30.0), {}), ((x, np.array([10.0, 95.0], dtype=dtype)), {"axis": 1})]


@defcomposite("percentile", domain=_percentile_domain, kinks=_QUANTILE_KINKS,
              doc="percentile(x, q, ...) = quantile(x, q / 100, ...), q in [0, 100]")
def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, _percent(q), axis, method, keepdims, "percentile", skip_nan=False)


def _median_domain(rng, dtype, sampler=dom.distinct):
    return [((sampler(rng, (5,), dtype),), {}), ((sampler(rng, (3, 4), dtype),), {"axis": 1}),
            ((sampler(rng, (2, 3, 4), dtype),), {"axis": (0, 1), "keepdims": True})]


@defcomposite("median", domain=_median_domain, kinks=_MEDIAN_KINKS,
              doc="median(x, axis=None, keepdims=False) = quantile(x, 0.5): the middle sorted "
                  "value, or the mean of the two middle ones for an even count")
def median(x, axis=None, keepdims=False):
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", skip_nan=False)


def _distinct_with_nans(rng, shape, dtype):
    """Pairwise distinct values with every third entry (flat index 1, 4, 7, ...) NaN."""
    x = dom.distinct(rng, shape, dtype)
    x.reshape(-1)[1::3] = np.nan
    return x


@defcomposite("nanquantile", kinks=_QUANTILE_KINKS,
              domain=lambda rng, dtype: [
                  ((_distinct_with_nans(rng, (3, 5), dtype), 0.3), {}),
                  ((_distinct_with_nans(rng, (3, 6), dtype), np.array([0.1, 0.7], dtype=dtype)),
                   {"axis": 1})],
              doc="nanquantile(x, q, ...): quantile over the non-NaN entries of each slice "
                  "(n their count in v = q(n − 1)); NaN for an all-NaN slice")
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, q, axis, method, keepdims, "nanquantile", skip_nan=True)


@defcomposite("nanpercentile", kinks=_QUANTILE_KINKS,
              domain=lambda rng, dtype: _percentile_domain(rng, dtype, _distinct_with_nans),
              doc="nanpercentile(x, q, ...) = nanquantile(x, q / 100, ...)")
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, _percent(q), axis, method, keepdims, "nanpercentile", skip_nan=True)


@defcomposite("nanmedian", kinks=_MEDIAN_KINKS,
              domain=lambda rng, dtype: _median_domain(rng, dtype, _distinct_with_nans),
              doc="nanmedian(x, axis=None, keepdims=False) = nanquantile(x, 0.5)")
def nanmedian(x, axis=None, keepdims=False):
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", skip_nan=True)


# -- reductions ignoring NaN --------------------------------------------------------------------

def _nan_domain(rng, dtype):
    return [((_with_nans(rng, s, dtype),), st) for s, st in
            [((5,), {}), ((2, 4), {"axis": 1}), ((4, 2), {"axis": 0, "keepdims": True}),
             ((2, 3, 4), {"axis": (0, 2)})]]


def _masked(x, fill):
    """``x`` with its NaN entries replaced by ``fill`` (their derivative is zero), and the
    mask of the entries kept."""
    keep = ~np.isnan(primal_value(x))
    return where(keep, x, fill), keep


def _all_nan(keep, axis, keepdims):
    return ~np.any(keep, axis=axis, keepdims=keepdims)


@defcomposite("nansum", domain=_nan_domain,
              doc="nansum(x, axis=None, keepdims=False) = Σ over the non-NaN entries (0 if "
                  "none); NaN entries have derivative 0")
def nansum(x, axis=None, keepdims=False):
    return sum_(_masked(x, 0.0)[0], axis=axis, keepdims=keepdims)


@defcomposite("nanprod", domain=_nan_domain,
              doc="nanprod(x, axis=None, keepdims=False) = Π over the non-NaN entries (1 if "
                  "none); NaN entries have derivative 0")
def nanprod(x, axis=None, keepdims=False):
    return prod(_masked(x, 1.0)[0], axis=axis, keepdims=keepdims)


@defcomposite("nanmean", domain=_nan_domain,
              doc="nanmean(x) = nansum(x) / (number of non-NaN entries); NaN for an all-NaN "
                  "slice (numpy warns there)")
def nanmean(x, axis=None, keepdims=False):
    filled, keep = _masked(x, 0.0)
    count = np.sum(keep, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return divide(sum_(filled, axis=axis, keepdims=keepdims),
                      count.astype(primal_value(x).dtype))


def _nan_var_domain(rng, dtype):
    return _nan_domain(rng, dtype) + [((_with_nans(rng, (6,), dtype),), {"ddof": 1})]


@defcomposite("nanvar", domain=_nan_var_domain,
              doc="nanvar(x, axis=None, ddof=0) = Σ' (x − nanmean x)² / (n' − ddof) over the "
                  "n' non-NaN entries; NaN where n' ≤ ddof")
def nanvar(x, axis=None, ddof=0, keepdims=False):
    filled, keep = _masked(x, 0.0)
    count = np.sum(keep, axis=axis, keepdims=keepdims).astype(primal_value(x).dtype)
    centered = where(keep, subtract(filled, nanmean(x, axis=axis, keepdims=True)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(count > ddof, count - ddof, np.nan)
        return divide(sum_(multiply(centered, centered), axis=axis, keepdims=keepdims), dof)


@defcomposite("nanstd", domain=_nan_var_domain,
              doc="nanstd(x) = √nanvar(x); infinite derivative where the variance is 0")
def nanstd(x, axis=None, ddof=0, keepdims=False):
    return sqrt(nanvar(x, axis=axis, ddof=ddof, keepdims=keepdims))


def _nan_extremum(name, reduce, fill):
    @defcomposite(name, domain=lambda rng, dtype: [
                      ((dom.distinct(rng, s, dtype),), st) for s, st in
                      [((5,), {}), ((2, 4), {"axis": 1}), ((2, 3, 4), {"axis": (0, 2)})]]
                  + [((_masked_distinct(rng, (2, 4), dtype),), {"axis": 0})],
                  kinks=reduce.kinks,
                  doc=f"{name}(x, axis=None, keepdims=False) = {reduce.name} over the non-NaN "
                      f"entries (NaN entries as {fill}); NaN for an all-NaN slice")
    def extremum(x, axis=None, keepdims=False):
        filled, keep = _masked(x, fill)
        out = reduce(filled, axis=axis, keepdims=keepdims)
        empty = _all_nan(keep, axis, keepdims)
        return where(empty, np.nan, out) if empty.any() else out
    return extremum


def _masked_distinct(rng, shape, dtype):
    x = dom.distinct(rng, shape, dtype)
    x[0, 1] = np.nan
    return x


nanmax = _nan_extremum("nanmax", max_, -np.inf)
nanmin = _nan_extremum("nanmin", min_, np.inf)
