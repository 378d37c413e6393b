"""Numerical-analysis composites of numpy's namespace: gradient (finite differences, also on
nonuniform grids), correlate and unwrap (polynomials are in :mod:`admodes.ops.polynomials`).

Each is written with registry ops, so both modes and every order come from their rules; each
follows numpy's signature and semantics (values, shapes, dtypes) for the arguments it accepts.

Reference (gradient on a nonuniform grid): Fornberg, B. (1988). Generation of finite
difference formulas on arbitrarily spaced grids. Math. Comp. 51(184), 699-706.
doi:10.1090/S0025-5718-1988-0935077-0
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes, require_concrete, slice_along
from admodes.ops.arrangement import diff, gathered_products, signal_pair
from admodes.ops.elementwise import add, as_dtype, divide, multiply, subtract
from admodes.ops.indexing import getitem
from admodes.ops.shape import concatenate, reshape
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of

_FORNBERG = (("Fornberg, B. (1988). Generation of finite difference formulas on arbitrarily "
              "spaced grids. Math. Comp. 51(184), 699-706. doi:10.1090/S0025-5718-1988-0935077-0"),
             "numpy.gradient documentation, 'Notes' (the nonuniform second-order formulas)")


def _dtype(x):
    return np.result_type(primal_value(x))


# -- finite differences -------------------------------------------------------------------------

def _grid(rng, n, dtype):
    """n increasing, irregularly spaced coordinates (steps in [0.5, 1.5])."""
    return (np.cumsum(rng.uniform(0.5, 1.5, size=n)) - 2.0).astype(dtype)


def _gradient_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    h = dom.positive(rng, (), dtype)
    return [((r(5),), {}),
            ((r(2, 4), h), {}),
            ((r(5), _grid(rng, 5, dtype)), {"edge_order": 2}),
            ((r(3, 4), _grid(rng, 3, dtype), _grid(rng, 4, dtype)), {}),
            ((r(3, 4), h), {"axis": 1, "edge_order": 2}),
            ((r(2, 3, 4), _grid(rng, 4, dtype), 0.5), {"axis": (2, 0)}),
            ((r(3, 2), _grid(rng, 3, dtype)), {"axis": 0, "edge_order": 2})]


def _spacings(varargs, f_shape, axes):
    """Per axis: a scalar step (a number, a 0-d array or tracer) or the 1-d array of steps
    ``diff(x)`` of coordinates ``x``; as numpy, untraced coordinates with equal steps become
    the scalar step. Traced coordinates keep their steps, so that the derivative in them is the
    nonuniform formula's (the function on any neighbourhood of the grid)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and ndim_of(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(f"gradient(): got {len(varargs)} spacing arguments for {len(axes)} "
                        f"axes; pass none, one scalar for all axes, or one scalar or 1-d "
                        f"coordinate array per axis")
    steps = []
    for i, (spacing, axis) in enumerate(zip(varargs, axes)):
        if ndim_of(spacing) == 0:
            steps.append(spacing)
            continue
        if ndim_of(spacing) != 1 or shape_of(spacing)[0] != f_shape[axis]:
            raise ValueError(f"gradient(): spacing argument {i} must be a scalar or 1-d "
                             f"coordinates of length {f_shape[axis]} (axis {axis}), got shape "
                             f"{shape_of(spacing)}")
        if not isinstance(spacing, Tracer):
            spacing = np.asarray(spacing)
            if np.issubdtype(spacing.dtype, np.integer):
                spacing = spacing.astype(np.float64)
        dx = diff(spacing)
        if not isinstance(dx, Tracer) and (dx == dx[0]).all():
            dx = dx[0]
        steps.append(dx)
    return steps


def _combine(a, f0, b, f1, c, f2):
    return add(add(multiply(a, f0), multiply(b, f1)), multiply(c, f2))


def _along_axis(f, axis, h, edge_order):
    """numpy's gradient of ``f`` along one axis with step(s) ``h``. The coefficients are
    numpy's expressions, evaluated on plain values or tracers alike (the operators of a tracer
    are registry ops)."""
    ndim = ndim_of(f)

    def part(start, stop=None):
        return getitem(f, slice_along(axis, ndim, slice(start, stop)))
    uniform = ndim_of(h) == 0
    if uniform:
        interior = divide(subtract(part(2), part(None, -2)), 2. * h)
    else:
        dx1, dx2 = h[0:-1], h[1:]
        shape = tuple(-1 if a == axis else 1 for a in range(ndim))
        a = reshape(-(dx2) / (dx1 * (dx1 + dx2)), shape)
        b = reshape((dx2 - dx1) / (dx1 * dx2), shape)
        c = reshape(dx1 / (dx2 * (dx1 + dx2)), shape)
        interior = _combine(a, part(None, -2), b, part(1, -1), c, part(2))
    if edge_order == 1:
        first = divide(subtract(part(1, 2), part(0, 1)), h if uniform else h[0])
        last = divide(subtract(part(-1), part(-2, -1)), h if uniform else h[-1])
    else:
        if uniform:
            a, b, c = -1.5 / h, 2. / h, -0.5 / h
        else:
            dx1, dx2 = h[0], h[1]
            a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
            b = (dx1 + dx2) / (dx1 * dx2)
            c = - dx1 / (dx2 * (dx1 + dx2))
        first = _combine(a, part(0, 1), b, part(1, 2), c, part(2, 3))
        if uniform:
            a, b, c = 0.5 / h, -2. / h, 1.5 / h
        else:
            dx1, dx2 = h[-2], h[-1]
            a = (dx2) / (dx1 * (dx1 + dx2))
            b = - (dx2 + dx1) / (dx1 * dx2)
            c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
        last = _combine(a, part(-3, -2), b, part(-2, -1), c, part(-1))
    return concatenate([first, interior, last], axis=axis)


@defcomposite("gradient", domain=_gradient_domain, refs=_FORNBERG,
              doc="gradient(f, *varargs, axis=None, edge_order=1): numpy's finite differences "
                  "per axis. Interior (steps h₁ = x_i − x_{i−1}, h₂ = x_{i+1} − x_i): f′_i ≈ "
                  "[−h₂/(h₁(h₁+h₂))] f_{i−1} + [(h₂−h₁)/(h₁h₂)] f_i + [h₁/(h₂(h₁+h₂))] "
                  "f_{i+1} (second order; (f_{i+1} − f_{i−1})/2h when uniform); edges one-sided, "
                  "first or second order (edge_order); in f's dtype, a tuple for several axes. "
                  "Linear in f, rational in the steps (Fornberg 1988)")
def gradient(f, *varargs, axis=None, edge_order=1):
    if not isinstance(f, Tracer):
        f = np.asarray(f)
        if not np.issubdtype(f.dtype, np.inexact):
            f = f.astype(np.float64)
    if edge_order not in (1, 2):
        raise ValueError(f"gradient(): edge_order must be 1 or 2, got {edge_order!r}")
    shape, dtype = shape_of(f), _dtype(f)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        given = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        normalize_axes(given, len(shape), "gradient")  # bounds and repeats
        axes = tuple(int(a) % len(shape) for a in given)  # numpy keeps the order given
    out = []
    for a, h in zip(axes, _spacings(varargs, shape, axes)):
        if shape[a] < edge_order + 1:
            raise ValueError(f"gradient(): axis {a} has {shape[a]} points; "
                             f"edge_order={edge_order} needs at least {edge_order + 1}")
        out.append(as_dtype(_along_axis(f, a, h, edge_order), dtype))
    return out[0] if len(out) == 1 else tuple(out)


# -- correlation ----------------------------------------------------------------------------------

def _correlate_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(5), r(3)), {}), ((r(2), r(4)), {"mode": "same"}), ((r(4), r(3)), {"mode": "full"}),
            ((r(3), r(5)), {}), ((r(4), r(6)), {"mode": "same"}), ((r(5), r(2)), {"mode": "same"}),
            ((r(1), r(1)), {"mode": "full"})]


@defcomposite("correlate", domain=_correlate_domain,
              doc="correlate(a, v, mode='valid'): c_k = Σ_n a_{n+k} v_n of two real 1-d arrays "
                  "(numpy's definition), for k from −(len(v)−1) ('full'), within the 'same' or "
                  "'valid' window as numpy aligns it (when a is the shorter, 'same' starts at "
                  "len(a)//2 of the full output, not convolve's (len(a)−1)//2); a gather of the "
                  "zero-padded v times a, summed")
def correlate(a, v, mode="valid"):
    n, m, length = signal_pair(a, v, mode, "correlate")
    start = {"full": 0, "valid": min(n, m) - 1, "same": (m - 1) // 2 if n >= m else n // 2}[mode]
    lags = np.arange(start, start + length)[:, None] - (m - 1)
    return gathered_products(a, v, np.arange(n)[None, :] - lags)


# -- phase unwrapping -----------------------------------------------------------------------------

def _unwrap_correction(p, discont, axis, period):
    """numpy's corrections, on values and in its order of operations: the cumulative sum along
    ``axis`` of c = d′ − d, d = diff(p), d′ = d moved into [−period/2, period/2) by a multiple
    of period (a jump of exactly +period/2 keeps its sign), c = 0 where |d| < discont; and
    the result's dtype, result_type(d, period)."""
    d = np.diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(d, period)
    if np.issubdtype(dtype, np.integer):
        high, rem = period // 2, period % 2
        ambiguous = rem == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    moved = np.mod(d - low, period) + low
    if ambiguous:
        np.copyto(moved, high, where=(moved == low) & (d > 0))
    correction = moved - d
    np.copyto(correction, 0, where=np.abs(d) < discont)
    return np.cumsum(correction, axis=axis), dtype


def _wrapped_phase(rng, shape, dtype, axis=-1, period=2 * np.pi):
    """A phase with steps of at most 0.24·period along ``axis``, wrapped into [−period/2,
    period/2): its differences are within 0.24·period of a multiple of period, far from
    unwrap's thresholds (a discont between 0.24 and 0.76 periods, and the boundaries ±period/2
    of the moved differences), so its correction is constant nearby."""
    steps = rng.uniform(-0.24, 0.24, size=shape) * period
    phase = np.cumsum(steps, axis=axis) + rng.uniform(-0.5, 0.5) * period
    return (np.mod(phase + period / 2, period) - period / 2).astype(dtype)


def _unwrap_domain(rng, dtype):
    def wrapped(shape, **kwargs):
        return _wrapped_phase(rng, shape, dtype, **kwargs)
    return [((wrapped((8,)),), {}), ((wrapped((3, 6)),), {}),
            ((wrapped((6, 3), axis=0),), {"axis": 0}),
            ((wrapped((7,), period=360.0),), {"period": 360.0}),
            ((wrapped((2, 5, 3), axis=1), 4.0), {"axis": 1}),
            ((wrapped((6,), period=4.0), 2.5), {"period": 4.0})]


@defcomposite("unwrap", domain=_unwrap_domain,
              kinks="the correction jumps (by ±period) where a difference |d| crosses discont "
                    "or d crosses an odd multiple of period/2: not differentiated (the "
                    "derivative is the identity everywhere)",
              doc="unwrap(p, discont=None, axis=-1, *, period=2π) = p + C along axis, C_0 = 0, "
                  "C_i = Σ_{j≤i} c_j, c = d′ − d for d = diff(p), d′ = d moved into "
                  "[−period/2, period/2) by multiples of period (+period/2 kept), c = 0 where "
                  "|d| < discont (default period/2); C is piecewise constant in p, so ∂/∂p = "
                  "I; numpy's values and dtype, bit for bit")
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    require_concrete("unwrap", discont=discont, period=period)
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"unwrap(): axis must be an int, got {axis!r}")
    if not isinstance(p, Tracer):
        p = np.asarray(p)
    ndim = ndim_of(p)
    if ndim == 0:
        raise ValueError("unwrap(): p must have at least one axis, got shape ()")
    axis = normalize_axes(axis, ndim, "unwrap")[0]
    correction, dtype = _unwrap_correction(primal_value(p), discont, axis, period)
    p = as_dtype(p, dtype)
    head = getitem(p, slice_along(axis, ndim, slice(None, 1)))
    tail = getitem(p, slice_along(axis, ndim, slice(1, None)))
    # as numpy's up[1:] = p[1:] + cumsum(c): the first entry is p's own (−0.0 stays −0.0)
    return concatenate([head, add(tail, correction)], axis=axis)
