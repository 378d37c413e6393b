"""Reductions: sum, prod, max, min, cumsum (primitives) and cumprod, mean, var, std, average,
amax, amin (composites).

``axis`` is None (all axes), an int or a tuple of ints; ``keepdims`` as in numpy. In the rules
the reduced axes are shifted past the batch axis of tangents and cotangents.

Reference (cumprod's scan): Hillis, W. D. & Steele, G. L. (1986). Data parallel algorithms.
Commun. ACM 29(12), 1170-1183. doi:10.1145/7902.7903
"""

from __future__ import annotations

import math

import numpy as np

from admodes import conventions
from admodes.ops import _domains as dom
from admodes.ops._flops import reduction
from admodes.ops._helpers import batch_axes, expand_reduced, normalize_axes, slice_along
from admodes.ops.elementwise import divide, multiply, sqrt, subtract, where
from admodes.ops.indexing import index_basic
from admodes.ops.shape import broadcast_to, concatenate, reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, primal_value, shape_of

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
    jvp=_sum_jvp, vjp=_sum_vjp, cost=reduction(1), domain=_reduction_domain(),
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
    jvp=_prod_jvp, vjp=_prod_vjp, cost=reduction(1),
    domain=_reduction_domain(dom.away_from_zero), static={"axis": None, "keepdims": False},
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


def _extremum_op(name, impl):
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
        jvp=jvp, vjp=vjp, cost=reduction(1), domain=_reduction_domain(),
        static={"axis": None, "keepdims": False},
        kinks="ties among extremal entries follow conventions.ties ('split': shared evenly, "
              "'first': all to the first in C order)",
        doc=f"y = {name}_axis x; ẏ = ẋ at the arg-{name}; x̄ = ȳ routed to the arg-{name} "
            f"(ties by conventions.ties)")


max = _extremum_op("max", np.max)
min = _extremum_op("min", np.min)


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
    return [((dom.real(rng, s, dtype),), {"axis": a})
            for s, a in [((4,), None), ((4,), 0), ((2, 3), 1), ((2, 3), None), ((2, 3), -2)]]


cumsum = defop(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis), jvp=_cumsum_jvp, vjp=_cumsum_vjp,
    cost=reduction(1), domain=_cumsum_domain, static={"axis": None}, linear=True, saves=(),
    doc="y_i = Σ_{j≤i} x_j along axis (flattened if None); ẏ = cumsum(ẋ); "
        "x̄_i = Σ_{j≥i} ȳ_j (a reversed cumsum)")


@defcomposite("cumprod", domain=_cumsum_domain,
              doc="y_i = Π_{j≤i} x_j along axis (flattened if None), by the Hillis–Steele scan "
                  "y_i ← y_i·y_{i−s} for s = 1, 2, 4, … (⌈log₂ n⌉ multiplies of the whole "
                  "array; Hillis & Steele 1986): exact derivatives also where entries are 0, "
                  "which y·cumsum(ẋ/x) is not")
def cumprod(x, axis=None):
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


@defcomposite("mean", domain=_reduction_domain(),
              doc="mean(x, axis) = sum(x, axis) / n, n the number of reduced entries")
def mean(x, axis=None, keepdims=False):
    return divide(sum(x, axis=axis, keepdims=keepdims), float(_count(x, axis)))


def _average_domain(rng, dtype):
    x = dom.real(rng, (2, 3), dtype)
    return [((x,), {}), ((x,), {"axis": 1, "weights": dom.positive(rng, (3,), dtype)}),
            ((x,), {"axis": 0, "weights": dom.positive(rng, (2, 3), dtype), "keepdims": True})]


@defcomposite("average", domain=_average_domain,
              doc="average(x, axis=None, weights=None) = Σ w·x / Σ w over axis (mean without "
                  "weights); 1-d weights along axis as numpy; differentiable in x and weights")
def average(x, axis=None, weights=None, keepdims=False):
    if weights is None:
        return mean(x, axis=axis, keepdims=keepdims)
    shape, wshape = shape_of(x), shape_of(weights)
    if wshape != shape:
        if axis is None or len(wshape) != 1 or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"average(): weights of shape {wshape} differ from x's {shape}; "
                             f"1-d weights need an int axis")
        a = normalize_axes(axis, len(shape), "average")[0]
        if wshape[0] != shape[a]:
            raise ValueError(f"average(): {wshape[0]} weights for an axis of length {shape[a]}")
        weights = reshape(weights, tuple(wshape[0] if i == a else 1 for i in range(len(shape))))
    total = sum(multiply(x, weights), axis=axis, keepdims=keepdims)
    return divide(total, sum(broadcast_to(weights, shape), axis=axis, keepdims=keepdims))


def _var_domain(rng, dtype):
    base = _reduction_domain()(rng, dtype)
    return base + [((dom.real(rng, (5,), dtype),), {"ddof": 1})]


@defcomposite("var", domain=_var_domain,
              doc="var(x) = Σ (x − mean x)² / (n − ddof); derivatives from its primitives")
def var(x, axis=None, ddof=0, keepdims=False):
    n = _count(x, axis)
    if n - ddof <= 0:
        raise ValueError(f"var(): ddof={ddof} leaves no degrees of freedom for {n} entries")
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return divide(sum(multiply(centered, centered), axis=axis, keepdims=keepdims),
                  float(n - ddof))


@defcomposite("std", domain=_var_domain,
              doc="std(x) = √var(x); its derivative is infinite where var(x) = 0")
def std(x, axis=None, ddof=0, keepdims=False):
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))
