"""Numerical-analysis composites of numpy's namespace: polyval (Horner's scheme), vander,
polyfit (least squares through linalg.lstsq), gradient (finite differences, also on nonuniform
grids), correlate and unwrap.

Each is written with registry ops, so both modes and every order come from their rules; each
follows numpy's signature and semantics (values, shapes, dtypes) for the arguments it accepts.

References: (gradient on a nonuniform grid) Fornberg, B. (1988). Generation of finite
difference formulas on arbitrarily spaced grids. Math. Comp. 51(184), 699-706.
doi:10.1090/S0025-5718-1988-0935077-0; (polyfit) Björck, Å. (1996). Numerical Methods for Least
Squares Problems. SIAM. doi:10.1137/1.9781611971484 (the covariance σ²(AᵀA)⁻¹ of the
estimate, column scaling).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import normalize_axes, slice_along
from admodes.ops.arrangement import diff, gathered_products, signal_pair
from admodes.ops.decompositions import lstsq
from admodes.ops.elementwise import add, cast, divide, multiply, sqrt, subtract
from admodes.ops.indexing import getitem
from admodes.ops.linalg import inv, matmul, outer
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import concatenate, reshape, stack, transpose
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
    return cast(x, dtype=dtype) if isinstance(x, Tracer) else np.asarray(x).astype(dtype)


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


_BJORCK = (("Björck, Å. (1996). Numerical Methods for Least Squares Problems. SIAM. "
            "doi:10.1137/1.9781611971484"),
           "numpy.polyfit documentation (column scaling, rcond, the covariance's chi²/dof)")


def _as_float(a):
    """numpy's ``asarray(a) + 0.0`` (integers become float64); a tracer holds floats already."""
    return a if isinstance(a, Tracer) else np.asarray(a) + 0.0


def _require_concrete(opname, **values):
    """A TypeError for a traced argument that the result is not differentiable in."""
    for name, value in values.items():
        if isinstance(value, Tracer):
            raise TypeError(f"{opname}(): {name} must be a concrete number, not a traced "
                            f"array (the result is not differentiable in it)")


def _fit_order(deg):
    """deg + 1 as numpy computes it (int(deg) + 1), for deg >= 0."""
    if deg < 0:
        raise ValueError(f"polyfit(): deg must be >= 0, got {deg!r}")
    return int(deg) + 1


def _check_samples(x, y, w):
    """numpy's checks of the shapes (TypeError, as numpy), with what was passed."""
    if ndim_of(x) != 1 or shape_of(x)[0] == 0:
        raise TypeError(f"polyfit(): x must be a non-empty 1-d vector of sample points, got "
                        f"shape {shape_of(x)}")
    m = shape_of(x)[0]
    if ndim_of(y) not in (1, 2) or shape_of(y)[0] != m:
        raise TypeError(f"polyfit(): y must be 1-d, or 2-d with one data set per column, with "
                        f"one row per sample point ({m}), got shape {shape_of(y)}")
    if w is not None and (ndim_of(w) != 1 or shape_of(w)[0] != m):
        raise TypeError(f"polyfit(): w must be 1-d with one weight per sample point ({m}), "
                        f"got shape {shape_of(w)}")


def _weighted(a, w):
    """numpy's in-place ``a *= w`` (one weight per row of ``a``): the product in the common
    dtype, cast to ``a``'s (each operand cast explicitly, so that each cotangent is cast back
    to its operand's dtype)."""
    common = np.result_type(_dtype(a), _dtype(w))
    w = _cast(w, common)
    product = multiply(_cast(a, common), w if ndim_of(a) == 1 else reshape(w, (-1, 1)))
    return _cast(product, _dtype(a))


def _check_rank(lhs, rhs, rcond, deg):
    """numpy's rank of the scaled Vandermonde matrix (the lstsq call numpy makes); below
    min(m, deg + 1) numpy warns and returns a truncated minimum-norm fit, which linalg.lstsq
    does not differentiate."""
    rank = np.linalg.lstsq(primal_value(lhs), primal_value(rhs), rcond=rcond)[2]
    m, order = shape_of(lhs)
    if rank < min(m, order):
        raise ValueError(f"polyfit(): the fit of degree {deg} to {m} points is rank deficient "
                         f"(rank {rank} < {min(m, order)} at rcond={rcond:.3g}: too few distinct "
                         f"x for the degree); numpy warns (RankWarning) and truncates, which "
                         f"has no derivative here. Lower deg or use more distinct points")


def _covariance(lhs, scale, resids, order, cov, several):
    """numpy's covariance of the coefficients: (AᵀA)⁻¹ / (scale scaleᵀ) for the scaled
    Vandermonde matrix A, times resids/(m − order) unless ``cov='unscaled'``; a trailing axis
    for several data sets (one per column of y)."""
    m = shape_of(lhs)[0]
    base = divide(inv(matmul(transpose(lhs), lhs)), outer(scale, scale))
    if several:
        base = reshape(base, (order, order, 1))
    if cov == "unscaled":
        return base
    if m <= order:
        raise ValueError(f"polyfit(): the number of data points ({m}) must exceed order "
                         f"({order}) to scale the covariance matrix; pass cov='unscaled' for "
                         f"(AᵀA)⁻¹")
    return multiply(base, divide(resids, m - order))


def _polyfit_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)

    def x(n):  # well separated, not symmetric about 0 (distinct singular values)
        return (dom.distinct(rng, (n,), np.float64) + rng.uniform(0.2, 0.4)).astype(dtype)

    def w(n):
        return dom.positive(rng, (n,), dtype)
    return [((x(6), r(6), 2), {}), ((x(7), r(7, 2), 1), {}), ((x(5), r(5), 0), {}),
            ((x(6), r(6), 3, None, False, w(6)), {}),
            ((x(6), r(6, 2), 2, None, False, w(6)), {}),
            ((x(6), r(6), 2), {"full": True}),
            ((x(5), r(5, 2), 1), {"rcond": np.float64(1e-10), "full": True, "w": w(5)}),
            ((x(6), r(6), 1), {"cov": True}), ((x(6), r(6, 3), 2), {"cov": True}),
            ((x(5), r(5, 2), 2, None, False, w(5), "unscaled"), {}),
            ((x(4), r(4), 1), {"cov": "unscaled"})]


@defcomposite("polyfit", domain=_polyfit_domain, refs=_BJORCK,
              kinks="undefined where the fit is rank deficient (an error); a fit with fewer "
                    "points than coefficients (warned, as numpy) is the minimum-norm one",
              doc="polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False): numpy's "
                  "least-squares coefficients, highest power first: A = diag(w) vander(x, "
                  "deg + 1), columns scaled to unit norm (scale_j = ‖A_j‖), c = lstsq(A/scale, "
                  "w·y)/scale (QR); full: (c, residuals, rank, singular values, rcond); cov: "
                  "(c, (AᵀA)⁻¹/(scale scaleᵀ)·resids/(m − deg − 1)); differentiable in x, y "
                  "and w through vander, lstsq and inv")
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit, as numpy's, differentiable in x, y and w.

    Parameters
    ----------
    x : array (m,)
    y : array (m,) or (m, k)
        k data sets, one per column, fitted at once.
    deg : int
    rcond : float, optional
        Relative cutoff of the singular values for the rank; default ``m · eps`` of x's
        dtype.
    full : bool
        Also return ``(residuals, rank, singular_values, rcond)`` as numpy.
    w : array (m,), optional
        Weights of the unsquared residuals.
    cov : bool or 'unscaled'
        Also return the coefficients' covariance, scaled by χ²/(m − deg − 1) unless
        ``'unscaled'``: (deg + 1, deg + 1), or (deg + 1, deg + 1, k) for a 2-d y.

    Returns
    -------
    c : array (deg + 1,) or (deg + 1, k), float64 for float32 input as numpy; and the extras
    of ``full`` or ``cov``.

    Raises
    ------
    ValueError
        For deg < 0; for a rank-deficient fit (rank < min(m, deg + 1): numpy warns and
        truncates the pseudo-inverse, whose derivative linalg.lstsq does not give).
    TypeError
        For x not 1-d, y not 1-d or 2-d, w not 1-d, or lengths that differ.

    Warns
    -----
    RankWarning
        As numpy, when the rank is below deg + 1 (fewer points than coefficients) and not
        ``full``; the coefficients are then the minimum-norm fit.

    Notes
    -----
    With A = diag(w) V (V the Vandermonde matrix of x), S = diag(‖A_j‖) and b = w·y, the
    coefficients are c = S⁻¹ (AS⁻¹)⁺ b, the pseudo-inverse through QR (``linalg.lstsq``):
    ∂c/∂y = S⁻¹ (AS⁻¹)⁺ diag(w) = A⁺ diag(w) for full column rank. Column scaling only
    improves the conditioning; it does not change the least-squares solution.

    Examples
    --------
    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> bool(np.allclose(anp.polyfit(x, 2 * x + 1, 1), [2.0, 1.0]))
    True
    >>> slope = ad.grad(lambda y: anp.polyfit(x, y, 1)[0])(2 * x + 1)  # (x − x̄)/Σ(x − x̄)²
    >>> np.round(slope, 12)
    array([-0.3, -0.1,  0.1,  0.3])

    References
    ----------
    Björck (1996), Numerical Methods for Least Squares Problems, doi:10.1137/1.9781611971484.
    """
    _require_concrete("polyfit", deg=deg, rcond=rcond)
    order = _fit_order(deg)
    x, y = _as_float(x), _as_float(y)
    w = None if w is None else _as_float(w)
    _check_samples(x, y, w)
    if rcond is None:
        rcond = shape_of(x)[0] * np.finfo(_dtype(x)).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        lhs, rhs = _weighted(lhs, w), _weighted(rhs, w)
    scale = sqrt(sum_(multiply(lhs, lhs), axis=0))
    lhs = divide(lhs, scale)
    rhs = _cast(rhs, np.result_type(_dtype(lhs), _dtype(rhs)))  # lstsq's common dtype
    _check_rank(lhs, rhs, rcond, deg)
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = divide(c, scale if ndim_of(c) == 1 else reshape(scale, (-1, 1)))
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=3)
    if full:
        return c, resids, rank, s, rcond
    if cov:
        return c, _covariance(lhs, scale, resids, order, cov, ndim_of(y) == 2)
    return c


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
    _require_concrete("unwrap", discont=discont, period=period)
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"unwrap(): axis must be an int, got {axis!r}")
    if not isinstance(p, Tracer):
        p = np.asarray(p)
    ndim = ndim_of(p)
    if ndim == 0:
        raise ValueError("unwrap(): p must have at least one axis, got shape ()")
    axis = normalize_axes(axis, ndim, "unwrap")[0]
    correction, dtype = _unwrap_correction(primal_value(p), discont, axis, period)
    p = _cast(p, dtype)
    head = getitem(p, slice_along(axis, ndim, slice(None, 1)))
    tail = getitem(p, slice_along(axis, ndim, slice(1, None)))
    # as numpy's up[1:] = p[1:] + cumsum(c): the first entry is p's own (−0.0 stays −0.0)
    return concatenate([head, add(tail, correction)], axis=axis)
