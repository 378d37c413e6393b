"""Reductions: sum, prod, max, min, cumsum (primitives) and cumprod, mean, var, std, average,
amax, amin (composites).

``axis`` is None (all axes), an int or a tuple of ints; ``keepdims`` as in numpy. In the rules
the reduced axes are shifted past the batch axis of tangents and cotangents. Each takes numpy's
full signature: ``dtype=``, ``out=``, ``initial=`` and ``where=`` (and var/std's ``mean=`` and
``correction=``) as :mod:`admodes.ops._numpy_keywords` describes; the primitives get them
through their ``numpy_signature``, composites of the primitives.

Reference (cumprod's scan): Hillis, W. D. & Steele, G. L. (1986). Data parallel algorithms.
Commun. ACM 29(12), 1170-1183. doi:10.1145/7902.7903
"""

from __future__ import annotations

import math

import numpy as np

from admodes import conventions
from admodes.ops import _domains as dom
from admodes.ops._flops import reduction
from admodes.ops._helpers import (
    as_array,
    batch_axes,
    expand_reduced,
    normalize_axes,
    slice_along,
)
from admodes.ops._numpy_keywords import (
    UNSET,
    given,
    is_discrete_dtype,
    mask_for,
    reject_out,
    traced,
)
from admodes.ops.elementwise import (
    add,
    as_dtype,
    divide,
    maximum,
    minimum,
    multiply,
    sqrt,
    subtract,
    where,
)
from admodes.ops.indexing import index_basic
from admodes.ops.shape import broadcast_to, concatenate, reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, primal_value, shape_of

where_ = where  # the op, where numpy's keyword where= hides it

_AXES = [None, 0, -1, (0, 2), (1,)]


def _reduction_domain(sampler=dom.real, shapes=((3,), (2, 3), (2, 3, 4))):
    def domain(rng, dtype):
        cases = []
        for shape in shapes:
            for axis in _AXES:
                if axis is not None and np.max(np.atleast_1d(axis)) >= len(shape):
                    continue
                for keepdims in (False, True):
                    cases.append(((sampler(rng, shape, dtype),),
                                  {"axis": axis, "keepdims": keepdims}))
        return cases
    return domain


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


# -- numpy's keywords (dtype, out, initial, where) -------------------------------------------------

def _numpy_reduction(op, numpy_function, identity, combine, a, axis, dtype, out, keepdims,
                     initial, where):
    """``op(a, axis, keepdims)`` with numpy's other keywords: ``dtype`` casts first, entries
    masked out by ``where`` become ``identity`` (``initial`` for max and min, which have
    none: numpy requires it there), and ``initial`` joins the result by ``combine``."""
    name = op.name
    if out is not None and not traced(a, initial):
        return numpy_function(a, axis=axis, out=out, **given(
            dtype=dtype, keepdims=keepdims, initial=initial, where=where))
    reject_out(out, name)
    keepdims = False if keepdims is UNSET else keepdims
    if is_discrete_dtype(None if dtype is UNSET else dtype, name):
        return numpy_function(primal_value(a), axis=axis, dtype=dtype, keepdims=keepdims,
                              **given(initial=primal_value(initial), where=where))
    x = as_array(a)
    if dtype not in (None, UNSET):
        x = as_dtype(x, np.dtype(dtype))
    mask = mask_for(where, x, name)
    if mask is not None:
        if identity is None and initial is UNSET:
            raise ValueError(f"{name}(): where= needs initial= (numpy's rule: {name} has no "
                             f"identity to put in the masked-out entries)")
        x = where_(mask, x, identity if identity is not None else initial)
    if initial is UNSET:
        return op(x, axis=axis, keepdims=keepdims)
    shape = shape_of(x)
    reduced = math.prod(shape[i] for i in normalize_axes(axis, len(shape), name))
    if identity is None and reduced == 0:  # an empty max or min: initial alone
        empty = numpy_function(np.zeros(shape, dtype=x.dtype), axis=axis, keepdims=keepdims,
                               initial=0)
        return add(np.zeros_like(empty), initial)
    return combine(op(x, axis=axis, keepdims=keepdims), initial)


def _sum_numpy(a, axis=None, dtype=None, out=None, keepdims=UNSET, initial=UNSET, where=UNSET):
    return _numpy_reduction(sum, np.sum, 0.0, add, a, axis, dtype, out, keepdims, initial,
                            where)


def _prod_numpy(a, axis=None, dtype=None, out=None, keepdims=UNSET, initial=UNSET,
                where=UNSET):
    return _numpy_reduction(prod, np.prod, 1.0, multiply, a, axis, dtype, out, keepdims,
                            initial, where)


def _max_numpy(a, axis=None, out=None, keepdims=UNSET, initial=UNSET, where=UNSET):
    return _numpy_reduction(max, np.max, None, maximum, a, axis, UNSET, out, keepdims,
                            initial, where)


def _min_numpy(a, axis=None, out=None, keepdims=UNSET, initial=UNSET, where=UNSET):
    return _numpy_reduction(min, np.min, None, minimum, a, axis, UNSET, out, keepdims,
                            initial, where)


def _keyword_domain(sampler=dom.real, *, identity=True):
    """Cases of numpy's extra keywords: dtype, initial, where (with initial where there is no
    identity), a positional dtype (sum and prod) and keepdims beside them."""
    def domain(rng, dtype):
        x = sampler(rng, (2, 3), dtype)
        mask = np.array([[True, False, True], [True, True, False]])
        other = np.float32 if np.dtype(dtype) == np.float64 else np.float64
        cases = [((x,), {"axis": 1, "initial": 0.5}),
                 ((x,), {"axis": 0, "where": mask, "initial": -0.25, "keepdims": True}),
                 ((x,), {"where": mask[0], "initial": 0.75})]
        if identity:
            cases += [((x,), {"dtype": other}), ((x,), {"axis": 1, "where": mask}),
                      ((x, 0, dtype), {"keepdims": True})]
        return cases
    return domain


def _with_keywords(base, keywords):
    def domain(rng, dtype):
        return base(rng, dtype) + keywords(rng, dtype)
    return domain


# -- sum ----------------------------------------------------------------------------------------

def _sum_jvp(primals, tangents, out, axis, keepdims):
    axes = normalize_axes(axis, ndim_of(primals[0]), "sum")
    return sum(tangents[0], axis=batch_axes(axes), keepdims=keepdims)


def _sum_vjp(ct, primals, out, axis, keepdims):
    x = primals[0]
    axes = normalize_axes(axis, x.ndim, "sum")
    return (expand_reduced(ct, x.shape, axes, keepdims),)


sum = defop(
    "sum", lambda x, axis, keepdims: x.sum(axis, keepdims=keepdims) if type(x) is np.ndarray
    else np.sum(x, axis=axis, keepdims=keepdims),
    jvp=_sum_jvp, vjp=_sum_vjp, cost=reduction(1),
    domain=_with_keywords(_reduction_domain(), _keyword_domain()), numpy_signature=_sum_numpy,
    static={"axis": None, "keepdims": False}, linear=True, saves=(),
    doc="y = Σ_axis x; ẏ = Σ_axis ẋ; x̄ = broadcast of ȳ over the reduced axes")


# -- prod ---------------------------------------------------------------------------------------

def _prod_others(x, out, axes):
    """∂y/∂x_i = Π_{j≠i} x_j over the reduced axes, exact also where some x_j = 0."""
    value = primal_value(x)
    zero = value == 0
    kshape = _kept_shape(shape_of(value), axes)
    if not zero.any():
        return divide(reshape(out, kshape), x)
    zeros = np.sum(zero, axis=axes, keepdims=True)
    nonzero = where(zero, 1.0, x)
    p = prod(nonzero, axis=axes, keepdims=True)
    return where(zeros == 0, divide(p, nonzero), where((zeros == 1) & zero, p, 0.0))


def _prod_jvp(primals, tangents, out, axis, keepdims):
    x = primals[0]
    axes = normalize_axes(axis, ndim_of(x), "prod")
    return sum(multiply(tangents[0], _prod_others(x, out, axes)), axis=batch_axes(axes),
               keepdims=keepdims)


def _prod_vjp(ct, primals, out, axis, keepdims):
    x = primals[0]
    axes = normalize_axes(axis, ndim_of(x), "prod")
    return (multiply(expand_reduced(ct, shape_of(x), axes, keepdims),
                     _prod_others(x, out, axes)),)


prod = defop(
    "prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    jvp=_prod_jvp, vjp=_prod_vjp, cost=reduction(1), numpy_signature=_prod_numpy,
    domain=_with_keywords(_reduction_domain(dom.away_from_zero),
                          _keyword_domain(dom.away_from_zero)),
    static={"axis": None, "keepdims": False},
    doc="y = Π_axis x; ẏ = Σ_i (Π_{j≠i} x_j)·ẋ_i; x̄_i = ȳ·Π_{j≠i} x_j (computed without "
        "dividing by zero entries; second derivatives at points with a zero entry are not exact)")


# -- max / min ----------------------------------------------------------------------------------

def _extremum_weights(x, out, axes):
    """Share of the derivative each entry gets: 1 at the unique extremum, ties by convention."""
    value = primal_value(x)
    mask = value == np.reshape(primal_value(out), _kept_shape(shape_of(value), axes))
    if conventions.current().ties == "split":
        return (mask / np.sum(mask, axis=axes, keepdims=True)).astype(value.dtype)
    tail = tuple(range(-len(axes), 0))
    moved = np.moveaxis(mask, axes, tail)
    flat = moved.reshape(moved.shape[:moved.ndim - len(axes)] + (-1,))
    first = np.zeros(flat.shape, dtype=value.dtype)
    np.put_along_axis(first, np.argmax(flat, axis=-1)[..., None], 1.0, axis=-1)
    return np.moveaxis(first.reshape(moved.shape), tail, axes)


def _extremum_op(name, impl, numpy_signature):
    def jvp(primals, tangents, out, axis, keepdims):
        x = primals[0]
        axes = normalize_axes(axis, ndim_of(x), name)
        return sum(multiply(tangents[0], _extremum_weights(x, out, axes)),
                   axis=batch_axes(axes), keepdims=keepdims)

    def vjp(ct, primals, out, axis, keepdims):
        x = primals[0]
        axes = normalize_axes(axis, ndim_of(x), name)
        return (multiply(expand_reduced(ct, shape_of(x), axes, keepdims),
                         _extremum_weights(x, out, axes)),)

    return defop(
        name, lambda x, axis, keepdims: impl(x, axis=axis, keepdims=keepdims),
        jvp=jvp, vjp=vjp, cost=reduction(1), numpy_signature=numpy_signature,
        domain=_with_keywords(_reduction_domain(),
                              _keyword_domain(dom.distinct, identity=False)),
        static={"axis": None, "keepdims": False},
        kinks="ties among extremal entries follow conventions.ties ('split': shared evenly, "
              "'first': all to the first in C order)",
        doc=f"y = {name}_axis x; ẏ = ẋ at the arg-{name}; x̄ = ȳ routed to the arg-{name} "
            f"(ties by conventions.ties)")


max = _extremum_op("max", np.max, _max_numpy)
min = _extremum_op("min", np.min, _min_numpy)


@defcomposite("amax", domain=_reduction_domain(), kinks=max.kinks,
              doc="numpy's other name of max")
def amax(x, axis=None, keepdims=False):
    return max(x, axis=axis, keepdims=keepdims)


@defcomposite("amin", domain=_reduction_domain(), kinks=min.kinks,
              doc="numpy's other name of min")
def amin(x, axis=None, keepdims=False):
    return min(x, axis=axis, keepdims=keepdims)


# -- cumsum -------------------------------------------------------------------------------------

def _reverse_cumsum(ct, axis):
    """Σ_{j ≥ i} along ``axis`` of a batched array: the adjoint of cumsum."""
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return index_basic(cumsum(index_basic(ct, index=flip), axis=axis), index=flip)


def _cumsum_jvp(primals, tangents, out, axis):
    t = tangents[0]
    if axis is None:
        return cumsum(reshape(t, (t.shape[0], -1)), axis=1)
    return cumsum(t, axis=normalize_axes(axis, ndim_of(primals[0]), "cumsum")[0] + 1)


def _cumsum_vjp(ct, primals, out, axis):
    x = primals[0]
    if axis is None:
        return (reshape(_reverse_cumsum(ct, 1), (ct.shape[0],) + x.shape),)
    return (_reverse_cumsum(ct, normalize_axes(axis, x.ndim, "cumsum")[0] + 1),)


def _cumsum_domain(rng, dtype):
    other = np.float32 if np.dtype(dtype) == np.float64 else np.float64
    return [((dom.real(rng, s, dtype),), {"axis": a})
            for s, a in [((4,), None), ((4,), 0), ((2, 3), 1), ((2, 3), None), ((2, 3), -2)]
            ] + [((dom.real(rng, (2, 3), dtype),), {"axis": 1, "dtype": other}),
                 ((dom.real(rng, (3,), dtype), 0, dtype), {})]


def _numpy_scan(scan, numpy_function, a, axis, dtype, out):
    """``scan(a, axis)`` with numpy's ``dtype`` (a cast first) and ``out``."""
    name = numpy_function.__name__
    if out is not None and not traced(a):
        return numpy_function(a, axis=axis, dtype=dtype, out=out)
    reject_out(out, name)
    if is_discrete_dtype(dtype, name):
        return numpy_function(primal_value(a), axis=axis, dtype=dtype)
    x = as_array(a)
    return scan(x if dtype is None else as_dtype(x, np.dtype(dtype)), axis=axis)


def _cumsum_numpy(a, axis=None, dtype=None, out=None):
    return _numpy_scan(cumsum, np.cumsum, a, axis, dtype, out)


cumsum = defop(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis), jvp=_cumsum_jvp, vjp=_cumsum_vjp,
    cost=reduction(1), domain=_cumsum_domain, static={"axis": None}, linear=True, saves=(),
    numpy_signature=_cumsum_numpy,
    doc="y_i = Σ_{j≤i} x_j along axis (flattened if None); ẏ = cumsum(ẋ); "
        "x̄_i = Σ_{j≥i} ȳ_j (a reversed cumsum)")


@defcomposite("cumprod", domain=_cumsum_domain,
              doc="y_i = Π_{j≤i} x_j along axis (flattened if None; dtype= casts first), by "
                  "the Hillis–Steele scan "
                  "y_i ← y_i·y_{i−s} for s = 1, 2, 4, … (⌈log₂ n⌉ multiplies of the whole "
                  "array; Hillis & Steele 1986): exact derivatives also where entries are 0, "
                  "which y·cumsum(ẋ/x) is not")
def cumprod(x, axis=None, dtype=None, out=None):
    if dtype is not None or out is not None:
        return _numpy_scan(cumprod, np.cumprod, x, axis, dtype, out)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"cumprod: axis must be an int or None, got {axis!r}")
    ndim = ndim_of(x)
    axis = normalize_axes(axis, ndim, "cumprod")[0]
    n, shift = shape_of(x)[axis], 1
    while shift < n:
        head = index_basic(x, index=slice_along(axis, ndim, slice(None, shift)))
        tail = index_basic(x, index=slice_along(axis, ndim, slice(shift, None)))
        before = index_basic(x, index=slice_along(axis, ndim, slice(None, n - shift)))
        x = concatenate([head, multiply(tail, before)], axis=axis)
        shift *= 2
    return x


# -- composites ---------------------------------------------------------------------------------

def _count(x, axis):
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape), "mean")
    return int(math.prod(shape[a] for a in axes))


def _mean_domain(rng, dtype):
    x = dom.real(rng, (2, 3), dtype)
    mask = np.array([[True, False, True], [True, True, False]])
    other = np.float32 if np.dtype(dtype) == np.float64 else np.float64
    return _reduction_domain()(rng, dtype) + [
        ((x,), {"axis": 1, "where": mask}), ((x,), {"where": mask[0], "keepdims": True}),
        ((x,), {"axis": 0, "dtype": other}), ((x, 1, dtype), {})]


@defcomposite("mean", domain=_mean_domain,
              doc="mean(x, axis) = sum(x, axis) / n, n the number of reduced entries (with "
                  "where=, of the entries kept; dtype= casts first)")
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    if dtype is not None or out is not None or where is not True:
        return _mean_keywords(a, axis, dtype, out, keepdims, where)
    return divide(sum(a, axis=axis, keepdims=keepdims), float(_count(a, axis)))


def _mean_keywords(a, axis, dtype, out, keepdims, where):
    if out is not None and not traced(a):
        return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)
    reject_out(out, "mean")
    if is_discrete_dtype(dtype, "mean"):
        return np.mean(primal_value(a), axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    x = as_array(a)
    if dtype is not None:
        x = as_dtype(x, np.dtype(dtype))
    mask = mask_for(where, x, "mean")
    if mask is None:
        return mean(x, axis=axis, keepdims=keepdims)
    total = sum(where_(mask, x, 0.0), axis=axis, keepdims=keepdims)
    count = np.sum(mask, axis=axis, keepdims=keepdims)
    return divide(total, count.astype(np.result_type(primal_value(total))))


def _average_domain(rng, dtype):
    x = dom.real(rng, (2, 3), dtype)
    # weights positionally, so the generated tests differentiate them too
    return [((x,), {}), ((x, 1, dom.positive(rng, (3,), dtype)), {}),
            ((x, 0, dom.positive(rng, (2, 3), dtype)), {"keepdims": True}),
            ((x, 1, dom.positive(rng, (3,), dtype), True), {}),
            ((x,), {"axis": 0, "returned": True})]


@defcomposite("average", domain=_average_domain,
              doc="average(x, axis=None, weights=None) = Σ w·x / Σ w over axis (mean without "
                  "weights); 1-d weights along axis as numpy; differentiable in x and weights; "
                  "returned=True adds Σ w (the count without weights) in the average's shape")
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    shape = shape_of(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        total = np.full(shape_of(avg), _count(a, axis), dtype=np.result_type(primal_value(avg)))
        return (avg, total) if returned else avg
    wshape = shape_of(weights)
    if wshape != shape:
        if axis is None or len(wshape) != 1 or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"average(): weights of shape {wshape} differ from x's {shape}; "
                             f"1-d weights need an int axis")
        ax = normalize_axes(axis, len(shape), "average")[0]
        if wshape[0] != shape[ax]:
            raise ValueError(f"average(): {wshape[0]} weights for an axis of length {shape[ax]}")
        weights = reshape(weights, tuple(wshape[0] if i == ax else 1 for i in range(len(shape))))
    total = sum(broadcast_to(weights, shape), axis=axis, keepdims=keepdims)
    avg = divide(sum(multiply(a, weights), axis=axis, keepdims=keepdims), total)
    return (avg, broadcast_to(total, shape_of(avg))) if returned else avg


def _var_domain(rng, dtype):
    x = dom.real(rng, (3, 4), dtype)
    mask = np.array([[True, False, True, True], [True, True, False, True],
                     [False, True, True, True]])
    return _reduction_domain()(rng, dtype) + [
        ((dom.real(rng, (5,), dtype),), {"ddof": 1}),
        ((dom.real(rng, (5,), dtype),), {"correction": 1}),
        ((x,), {"axis": 1, "where": mask, "ddof": 1}),
        ((x,), {"where": mask, "keepdims": True}),
        ((x,), {"axis": 0, "dtype": np.float64})]


def _variance(a, axis, dtype, out, ddof, keepdims, where, mean_, correction, opname):
    """``opname`` ("var" or "std", its square root) with numpy's keywords; ``mean_`` is
    numpy's ``mean=``, the mean over axis with kept dims, if given."""
    if correction is not UNSET:
        if ddof != 0:
            raise ValueError(f"{opname}(): ddof and correction can't be provided "
                             f"simultaneously (numpy's rule; correction is the array API's "
                             f"name of ddof)")
        ddof = correction
    numpy_function = getattr(np, opname)
    if out is not None and not traced(a, mean_):
        return numpy_function(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                              where=where, **given(mean=mean_))
    reject_out(out, opname)
    if is_discrete_dtype(dtype, opname):
        return numpy_function(primal_value(a), axis=axis, dtype=dtype, ddof=ddof,
                              keepdims=keepdims, where=where,
                              **given(mean=primal_value(mean_)))
    x = as_array(a)
    if dtype is not None:
        x = as_dtype(x, np.dtype(dtype))
    mask = mask_for(where, x, opname)
    if mean_ is UNSET:
        mean_ = mean(x, axis=axis, keepdims=True, where=True if mask is None else mask)
    centered = subtract(x, mean_)
    if mask is None:
        n = _count(x, axis)
        if n - ddof <= 0:
            raise ValueError(f"{opname}(): ddof={ddof} leaves no degrees of freedom for {n} "
                             f"entries")
        dof = float(n - ddof)
    else:  # per slice; numpy's inf or nan where a slice keeps ddof entries or fewer
        centered = where_(mask, centered, 0.0)
        dof = np.maximum(np.sum(mask, axis=axis, keepdims=keepdims) - ddof, 0).astype(
            np.result_type(primal_value(centered)))
    variance = divide(sum(multiply(centered, centered), axis=axis, keepdims=keepdims), dof)
    return sqrt(variance) if opname == "std" else variance


@defcomposite("var", domain=_var_domain,
              doc="var(x) = Σ (x − mean x)² / (n − ddof) (correction= is ddof's array-API name; "
                  "where= keeps entries, mean= supplies the mean); derivatives from its "
                  "primitives")
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=UNSET,
        correction=UNSET):
    return _variance(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "var")


@defcomposite("std", domain=_var_domain,
              doc="std(x) = √var(x) (var's keywords); its derivative is infinite where "
                  "var(x) = 0")
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=UNSET,
        correction=UNSET):
    return _variance(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "std")
