"""Numerical-analysis composites of numpy's namespace: polyval (Horner's scheme), vander,
gradient (finite differences, also on nonuniform grids) and correlate.

Each is written with registry ops, so both modes and every order come from their rules; each
follows numpy's signature and semantics (values, shapes, dtypes) for the arguments it accepts.

Reference (gradient on a nonuniform grid): Fornberg, B. (1988). Generation of finite difference
formulas on arbitrarily spaced grids. Math. Comp. 51(184), 699-706.
doi:10.1090/S0025-5718-1988-0935077-0
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes, slice_along
from admodes.ops.arrangement import diff, gathered_products, signal_pair
from admodes.ops.elementwise import add, astype, divide, multiply, subtract
from admodes.ops.indexing import getitem
from admodes.ops.shape import concatenate, reshape, stack
from admodes.registry import defcomposite
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of

_FORNBERG = (("Fornberg, B. (1988). Generation of finite difference formulas on arbitrarily "
              "spaced grids. Math. Comp. 51(184), 699-706. doi:10.1090/S0025-5718-1988-0935077-0"),
             "numpy.gradient documentation, 'Notes' (the nonuniform second-order formulas)")


def _dtype(x):
    return np.result_type(primal_value(x))


def _cast(x, dtype):
    """``x`` in ``dtype`` (numpy's promotion rules decide when it is needed)."""
    if _dtype(x) == dtype:
        return x
    return astype(x, dtype=dtype) if isinstance(x, Tracer) else np.asarray(x).astype(dtype)


# -- polynomials ----------------------------------------------------------------------------------

def _polyval_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(4), r(3)), {}), ((r(3), r(2, 3)), {}), ((r(1), r(2)), {}), ((r(3, 2), r(2)), {}),
            ((r(5), r()), {})]


@defcomposite("polyval", domain=_polyval_domain,
              doc="polyval(p, x) = p[0]·xⁿ⁻¹ + … + p[n−1] by Horner's scheme y ← y·x + p[i] "
                  "(numpy's order of operations; a p of more axes gives one polynomial per "
                  "trailing index); ∂y/∂p[i] = x^(n−1−i), ∂y/∂x = Σ_i (n−1−i) p[i] x^(n−2−i)")
def polyval(p, x):
    if isinstance(p, (list, tuple)):
        p = stack(list(p))
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    if ndim_of(p) == 0:
        raise TypeError(f"polyval(): p must be an array of coefficients (highest power first) "
                        f"with at least one axis, got shape {shape_of(p)}")
    # numpy starts from zeros_like(x): its shape and dtype take part in the result's
    y = np.zeros(shape_of(x), dtype=_dtype(x))
    for i in range(shape_of(p)[0]):
        y = add(y if i == 0 else multiply(y, x), getitem(p, i))
    return y


@defcomposite("vander", domain=lambda rng, dtype: [
                  ((dom.real(rng, (4,), dtype),), {}),
                  ((dom.real(rng, (3,), dtype), 5), {}),
                  ((dom.real(rng, (3,), dtype),), {"N": 2, "increasing": True}),
                  ((dom.real(rng, (2,), dtype),), {"N": 1})],
              doc="vander(x, N=None, increasing=False): columns x^(N−1), …, x, 1 (reversed if "
                  "increasing) by repeated multiplication, in numpy's promote_types(x.dtype, "
                  "int) (float64 for float32 x); ∂/∂x of column x^j is j·x^(j−1)")
def vander(x, N=None, increasing=False):
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    if ndim_of(x) != 1:
        raise ValueError(f"vander(): x must be a 1-d array, got shape {shape_of(x)}")
    n = shape_of(x)[0]
    N = n if N is None else N
    if not isinstance(N, numbers.Integral) or N < 0:
        raise ValueError(f"vander(): N must be a non-negative int or None, got {N!r}")
    dtype = np.promote_types(_dtype(x), int)
    x = _cast(x, dtype)
    if N == 0:
        return reshape(getitem(x, slice(0, 0)), (n, 0))
    columns = [np.ones(n, dtype=dtype), x][:N]
    while len(columns) < N:
        columns.append(multiply(columns[-1], x))
    return stack(columns if increasing else columns[::-1], axis=1)


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
        out.append(_cast(_along_axis(f, a, h, edge_order), dtype))
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
