"""Order statistics, NaN-ignoring reductions and covariances of numpy's namespace: quantile,
percentile, median, their nan* variants, nansum, nanprod, nancumsum, nancumprod, nanmean,
nanvar, nanstd, nanmax, nanmin, and ptp, cov, corrcoef.

All are composites of registry primitives (sort's gather, where, sum, prod, cumsum, max, min,
matmul), so both modes and every order follow from those rules.

* ``quantile`` is numpy's default method (``"linear"``, Hyndman & Fan 1996, definition 7): for
  the sorted values ``s_0 ≤ … ≤ s_{n−1}`` along the reduced axes and ``v = q (n − 1)``,
  ``Q(q) = s_⌊v⌋ + (v − ⌊v⌋)(s_⌊v⌋+1 − s_⌊v⌋)``. It is differentiable in ``x`` (the weights
  ``1 − g`` and ``g`` on the two order statistics) and in ``q`` (``∂Q/∂q = (n − 1)(s_hi −
  s_lo)``); a slice holding a NaN gives NaN, as in numpy.
* The ``nan*`` reductions and scans replace NaN entries by the reduction's identity (0 for
  sums, 1 for products, ∓∞ for max and min) through ``where``, so NaN entries get a zero
  derivative; the mean and variance divide by the number of non-NaN entries, and an all-NaN
  slice gives NaN (0 and 1 for the sums, products and their cumulative versions).
* ``cov`` and ``corrcoef`` follow numpy's algorithm step by step (centre each variable, one
  matmul, numpy's normalization with weights), so they compute numpy's values.

Reference: Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
American Statistician 50(4), 361-365. doi:10.2307/2684934
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes
from admodes.ops._numpy_keywords import UNSET, given, is_discrete_dtype, mask_for, reject_out
from admodes.ops.arrangement import diagonal, sort, take_along_axis
from admodes.ops.elementwise import (
    add,
    as_dtype,
    clip,
    divide,
    multiply,
    require_real,
    sqrt,
    subtract,
    where,
)
from admodes.ops.linalg import matmul
from admodes.ops.reductions import cumprod, cumsum, mean, prod, std, var
from admodes.ops.reductions import max as max_
from admodes.ops.reductions import min as min_
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import concatenate, reshape, squeeze, transpose
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of

where_ = where  # the op, where numpy's keyword where= hides it

_QUANTILE_METHODS = ("linear",)


def _with_nans(rng, shape, dtype, sampler=dom.real):
    """Values of ``sampler`` with every third entry (flat index 1, 4, 7, ...) NaN."""
    x = sampler(rng, shape, dtype)
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
    """Pairwise distinct values (no ties among the order statistics) with NaN holes."""
    return _with_nans(rng, shape, dtype, dom.distinct)


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

_NAN_CASES = [((5,), {}), ((2, 4), {"axis": 1}), ((4, 2), {"axis": 0, "keepdims": True}),
              ((2, 3, 4), {"axis": (0, 2)})]


def _nan_domain(rng, dtype):
    return [((_with_nans(rng, s, dtype),), st) for s, st in _NAN_CASES]


def _masked(x, fill):
    """``x`` with its NaN entries replaced by ``fill`` (their derivative is zero), and the
    mask of the entries kept. Integers and booleans have no NaN: as numpy, such an ``x`` is
    used as it is (a ``fill`` would make it float)."""
    value = np.asarray(primal_value(x))
    if not np.issubdtype(value.dtype, np.inexact):
        return x, np.ones(value.shape, dtype=bool)
    keep = ~np.isnan(value)
    return where(keep, x, fill), keep


def _all_nan(keep, axis, keepdims):
    return ~np.any(keep, axis=axis, keepdims=keepdims)


def _nan_keyword_domain(rng, dtype, sampler=dom.real):
    """numpy's extra keywords of the nan reductions: where, dtype (and initial for sums)."""
    other = np.float32 if np.dtype(dtype) == np.float64 else np.float64
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    return [((_with_nans(rng, (2, 4), dtype, sampler),), {"axis": 1, "where": mask}),
            ((_with_nans(rng, (2, 4), dtype, sampler),),
             {"axis": 0, "dtype": other, "keepdims": True})]


def _nan_sum_domain(sampler):
    def domain(rng, dtype):
        return [((_with_nans(rng, shape, dtype, sampler),), st) for shape, st in _NAN_CASES
                ] + _nan_keyword_domain(rng, dtype, sampler) + [
            ((_with_nans(rng, (2, 4), dtype, sampler),), {"axis": 1, "initial": 0.5})]
    return domain


def _refuse_traced_out(a, out, opname):
    """``out=`` (numpy's in-place result) is for plain arrays only."""
    if isinstance(a, Tracer):
        reject_out(None if out is UNSET else out, opname)


@defcomposite("nansum", domain=_nan_sum_domain(dom.real),
              doc="nansum(x, axis=None, keepdims=False) = Σ over the non-NaN entries (0 if "
                  "none); NaN entries have derivative 0; numpy's dtype=, out=, initial=, "
                  "where= as sum's")
def nansum(a, axis=None, dtype=UNSET, out=UNSET, keepdims=False, initial=UNSET, where=UNSET):
    _refuse_traced_out(a, out, "nansum")
    return sum_(_masked(a, 0.0)[0], axis=axis, keepdims=keepdims,
                **given(dtype=dtype, out=out, initial=initial, where=where))


@defcomposite("nanprod", domain=_nan_sum_domain(dom.away_from_zero),
              doc="nanprod(x, axis=None, keepdims=False) = Π over the non-NaN entries (1 if "
                  "none); NaN entries have derivative 0; numpy's dtype=, out=, initial=, "
                  "where= as prod's")
def nanprod(a, axis=None, dtype=UNSET, out=UNSET, keepdims=False, initial=UNSET, where=UNSET):
    _refuse_traced_out(a, out, "nanprod")
    return prod(_masked(a, 1.0)[0], axis=axis, keepdims=keepdims,
                **given(dtype=dtype, out=out, initial=initial, where=where))


def _nan_scan_domain(rng, dtype):
    return [((_with_nans(rng, s, dtype),), st) for s, st in
            [((5,), {}), ((2, 4), {"axis": 1}), ((3, 2), {"axis": -2}), ((2, 3, 2), {}),
             ((4, 2), {"axis": 0, "dtype": np.float64}), ((3,), {"dtype": np.float32})]]


def _nan_scan(name, scan, fill):
    """``name(a, axis=None, dtype=None, out=None)``: ``scan`` (cumsum or cumprod) of ``a`` with
    its NaN entries replaced by ``fill``, with numpy's ``dtype`` and ``out`` (scan's)."""
    @defcomposite(name, domain=_nan_scan_domain,
                  doc=f"{name}(a, axis=None, dtype=None) = {scan.name} of a with NaN entries "
                      f"as {fill:g} (flattened if axis is None; {fill:g} before the first "
                      f"non-NaN entry, throughout an all-NaN slice); the derivative at a NaN "
                      f"entry is 0, elsewhere {scan.name}'s")
    def nan_scan(a, axis=None, dtype=None, out=None):
        _refuse_traced_out(a, out, name)
        filled = _masked(a, fill)[0]
        if axis is not None:
            if not isinstance(axis, numbers.Integral):
                raise TypeError(f"{name}(): axis must be None or an int, got {axis!r}")
            normalize_axes(axis, ndim_of(filled), name)  # its bounds, in name's words
        return scan(filled, axis=axis, **{k: v for k, v in (("dtype", dtype), ("out", out))
                                          if v is not None})
    return nan_scan


nancumsum = _nan_scan("nancumsum", cumsum, 0.0)
nancumprod = _nan_scan("nancumprod", cumprod, 1.0)


def _kept(x, where, opname):
    """``(filled, keep)``: ``x`` with NaN entries as 0 and the mask of the entries that count,
    non-NaN and (numpy's ``where=``) selected."""
    filled, keep = _masked(x, 0.0)
    mask = mask_for(where, filled, opname)
    return filled, keep if mask is None else keep & mask


@defcomposite("nanmean", domain=lambda rng, dtype: _nan_domain(rng, dtype)
              + _nan_keyword_domain(rng, dtype),
              doc="nanmean(x) = nansum(x) / (number of non-NaN entries); NaN for an all-NaN "
                  "slice (numpy warns there); dtype=, out=, where= as mean's")
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    if out is not None or is_discrete_dtype(dtype, "nanmean"):
        return _numpy_value("nanmean", a, out, axis=axis, dtype=dtype, keepdims=keepdims,
                            where=where)
    x = a if dtype is None else as_dtype(a, np.dtype(dtype))
    filled, keep = _kept(x, where, "nanmean")
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean(filled, axis=axis, keepdims=keepdims, where=keep)


def _numpy_value(name, a, out, **keywords):
    """numpy's ``name`` where admodes gives numpy's result: ``out=`` on plain arrays, or an
    integer ``dtype`` (a value without derivative)."""
    if out is not None:
        _refuse_traced_out(a, out, name)
        return getattr(np, name)(a, out=out, **keywords)
    return getattr(np, name)(primal_value(a), **keywords)


def _nan_var_domain(rng, dtype):
    mask = np.array([[True, True, False, True, True, True], [True, False, True, True, True,
                                                              False]])
    return _nan_domain(rng, dtype) + [
        ((_with_nans(rng, (6,), dtype),), {"ddof": 1}),
        ((_with_nans(rng, (2, 6), dtype),), {"axis": 1, "where": mask, "correction": 1}),
        # float32: numpy's nanvar subtracts the mean in the input's dtype, not in dtype=
        ((_with_nans(rng, (2, 6), dtype),), {"axis": 1, "dtype": np.float32})]


def _nan_variance(name, a, axis, dtype, out, ddof, keepdims, where, mean_, correction):
    if out is not None or is_discrete_dtype(dtype, name):
        return _numpy_value(name, a, out, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                            where=where, **given(mean=primal_value(mean_),
                                                  correction=correction))
    x = a if dtype is None else as_dtype(a, np.dtype(dtype))
    filled, keep = _kept(x, where, name)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (std if name == "nanstd" else var)(filled, axis=axis, ddof=ddof,
                                                  keepdims=keepdims, where=keep,
                                                  **given(mean=mean_, correction=correction))


@defcomposite("nanvar", domain=_nan_var_domain,
              doc="nanvar(x, axis=None, ddof=0) = Σ' (x − nanmean x)² / (n' − ddof) over the "
                  "n' non-NaN entries; NaN where n' ≤ ddof; var's keywords (dtype=, out=, "
                  "where=, mean=, correction=)")
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=UNSET, correction=UNSET):
    return _nan_variance("nanvar", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


@defcomposite("nanstd", domain=_nan_var_domain,
              doc="nanstd(x) = √nanvar(x); infinite derivative where the variance is 0; "
                  "var's keywords")
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=UNSET, correction=UNSET):
    return _nan_variance("nanstd", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


def _nan_extremum(name, reduce, fill):
    @defcomposite(name, domain=lambda rng, dtype: [
                      ((dom.distinct(rng, s, dtype),), st) for s, st in
                      [((5,), {}), ((2, 4), {"axis": 1}), ((2, 3, 4), {"axis": (0, 2)})]]
                  + [((_distinct_with_nans(rng, (2, 4), dtype),), {"axis": 0}),
                     ((_distinct_with_nans(rng, (2, 4), dtype),),
                      {"axis": 1, "initial": 0.25, "where": np.array([True, False, True, True])}),
                     ((_distinct_with_nans(rng, (3, 1), dtype),), {"axis": 1, "initial": -0.25})],
                  kinks=reduce.kinks,
                  doc=f"{name}(x, axis=None, keepdims=False) = {reduce.name} over the non-NaN "
                      f"entries (NaN entries as {fill}); NaN for an all-NaN slice, initial= "
                      f"there if given; out=, initial=, where= as {reduce.name}'s")
    def extremum(a, axis=None, out=UNSET, keepdims=False, initial=UNSET, where=UNSET):
        _refuse_traced_out(a, out, name)
        filled, keep = _masked(a, fill)
        result = reduce(filled, axis=axis, keepdims=keepdims,
                        **given(out=out, initial=initial, where=where))
        if initial is not UNSET:
            return result
        mask = mask_for(where, filled, name)
        empty = _all_nan(keep if mask is None else keep & mask, axis, keepdims)
        return where_(empty, np.nan, result) if empty.any() else result
    return extremum


nanmax = _nan_extremum("nanmax", max_, -np.inf)
nanmin = _nan_extremum("nanmin", min_, np.inf)


# -- spread and covariance ----------------------------------------------------------------------

@defcomposite("ptp", kinks=max_.kinks,
              domain=lambda rng, dtype: [
                  ((dom.distinct(rng, s, dtype),), st) for s, st in
                  [((5,), {}), ((2, 4), {"axis": 1}), ((3, 4), {"axis": 0, "keepdims": True}),
                   ((2, 3, 4), {"axis": (0, 2)}), ((2, 3), {"keepdims": True})]],
              doc="ptp(x, axis=None, keepdims=False) = max(x, axis) − min(x, axis); ties "
                  "among the extremal entries as max's and min's (conventions.ties)")
def ptp(x, axis=None, keepdims=False):
    return subtract(max_(x, axis=axis, keepdims=keepdims), min_(x, axis=axis, keepdims=keepdims))


def _variables(x, what, dtype, flip):
    """``x`` (at most 2-d) as a 2-d array of ``dtype``, transposed if ``flip(x2d)``."""
    shape = shape_of(x)
    if len(shape) > 2:
        raise ValueError(f"cov(): {what} has more than 2 dimensions, got shape {shape}")
    x = as_dtype(x, dtype)
    if len(shape) < 2:
        x = reshape(x, (1, -1))
    return transpose(x) if flip(shape, shape_of(x)) else x


def _check_weights(name, w, n):
    if np.ndim(w) != 1 or np.shape(w)[0] != n:
        raise ValueError(f"cov(): {name} must be 1-d with one weight per observation ({n}), "
                         f"got shape {np.shape(w)}")
    if np.any(w < 0):
        raise ValueError(f"cov(): {name} cannot be negative")


def _cov_weights(fweights, aweights, n):
    """numpy's product w of the frequency and the (float64) analytic weights, and the
    analytic ones; aweights may be traced, fweights (integers) are constants."""
    w = None
    if fweights is not None:
        if isinstance(fweights, Tracer):
            raise TypeError("cov(): fweights are integer frequencies and carry no derivative; "
                            "pass them as a plain array")
        w = np.asarray(fweights, dtype=np.float64)
        if not np.all(w == np.around(w)):
            raise TypeError(f"cov(): fweights must be integers, got {w}")
        _check_weights("fweights", w, n)
    if aweights is not None:
        aweights = as_dtype(aweights, np.float64)
        _check_weights("aweights", primal_value(aweights), n)
        w = aweights if w is None else multiply(w, aweights)
    return w, aweights


def _cov_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (3, 5), dtype),), {}),
            ((r(rng, (5,), dtype),), {}),
            ((r(rng, (6, 2), dtype),), {"rowvar": False}),
            ((r(rng, (2, 4), dtype), r(rng, (4,), dtype)), {"bias": True}),
            ((r(rng, (4, 2), dtype), r(rng, (4, 1), dtype)), {"rowvar": False, "ddof": 2}),
            ((r(rng, (2, 5), dtype),), {"fweights": np.array([2, 1, 0, 3, 1]), "ddof": 0}),
            ((r(rng, (2, 5), dtype), None, True, True, None, None,
              dom.positive(rng, (5,), dtype)), {}),
            ((r(rng, (2, 5), dtype), None, True, False, None, np.array([1, 2, 1, 3, 1]),
              dom.positive(rng, (5,), dtype)), {})]


@defcomposite("cov", domain=_cov_domain,
              doc="cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, "
                  "aweights=None, *, dtype=None) = X_c (w X_c)ᵀ / f, X the variables (rows; "
                  "columns if not rowvar) of m and y, X_c = X − its (w-weighted) mean, f = n − "
                  "ddof or numpy's weighted normalization (ddof = 0 if bias else 1); float64 "
                  "unless dtype is given, squeezed as numpy (0-d for one variable); "
                  "differentiable in m, y and aweights")
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    if ddof is not None and ddof != int(ddof):
        raise ValueError(f"cov(): ddof must be an integer, got {ddof!r}")
    inputs = (m,) if y is None else (m, y)
    require_real("cov", *inputs)
    if dtype is None:
        dtype = np.result_type(*(np.asarray(primal_value(x)).dtype for x in inputs), np.float64)
    elif np.dtype(dtype).kind != "f":
        raise TypeError(f"cov(): dtype must be a real floating dtype, got {np.dtype(dtype)}")
    # numpy's rules: m is transposed unless 1-d, y unless it has a single row
    x = _variables(m, "m", dtype, lambda shape, shape2d: not rowvar and len(shape) != 1)
    if y is not None:
        y = _variables(y, "y", dtype, lambda shape, shape2d: not rowvar and shape2d[0] != 1)
        x = concatenate([x, y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(x)[1]
    w, a = _cov_weights(fweights, aweights, n)
    if w is None:
        centered = subtract(x, mean(x, axis=1, keepdims=True))
        weighted, fact = centered, n - ddof
    else:
        w_sum = sum_(w)
        centered = subtract(x, divide(sum_(multiply(x, w), axis=1, keepdims=True), w_sum))
        weighted = multiply(centered, w)
        if ddof == 0:
            fact = w_sum
        elif a is None:
            fact = subtract(w_sum, float(ddof))
        else:
            fact = subtract(w_sum, multiply(float(ddof), divide(sum_(multiply(w, a)), w_sum)))
    if primal_value(fact) <= 0:
        raise ValueError(f"cov(): ddof={ddof} leaves no degrees of freedom (normalization "
                         f"{primal_value(fact)} for {n} observations)")
    scale = 1.0 / fact if isinstance(fact, numbers.Real) else divide(1.0, fact)
    return squeeze(multiply(matmul(centered, transpose(weighted)), scale))


@defcomposite("corrcoef",
              domain=lambda rng, dtype: [
                  ((dom.real(rng, (3, 5), dtype),), {}), ((dom.real(rng, (5,), dtype),), {}),
                  ((dom.real(rng, (6, 2), dtype),), {"rowvar": False}),
                  ((dom.real(rng, (2, 4), dtype), dom.real(rng, (4,), dtype)), {})],
              kinks="numpy clips the result to [−1, 1] (clip: derivative 1 on the closed "
                    "interval): only the diagonal, 1 up to rounding, can be clipped, where the "
                    "exact derivative is 0 anyway",
              doc="corrcoef(x, y=None, rowvar=True, *, dtype=None) = C_ij / (√C_ii √C_jj), "
                  "C = cov(x, y, rowvar), clipped to [−1, 1] as numpy; C/C for one variable "
                  "(1, derivative 0)")
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return divide(c, c)
    stddev = sqrt(diagonal(c))
    c = divide(divide(c, reshape(stddev, (-1, 1))), reshape(stddev, (1, -1)))
    return clip(c, -1.0, 1.0)
