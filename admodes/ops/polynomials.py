"""Polynomials as numpy's coefficient arrays (highest power first): polyval (Horner's scheme),
vander, polyfit (least squares through linalg.lstsq), polyder, polyint, polyadd, polysub,
polymul, polydiv (numpy's long division), poly (the polynomial of given roots or of a matrix)
and roots (differentiated by the implicit function theorem where all roots are real and
simple).

Each is a composite of registry ops with numpy's signature and order of operations, so both
modes and every order come from their rules; the coefficients, the evaluation points, the
samples and weights of a fit and polyint's integration constants are all differentiable.
``np.poly1d`` objects are numpy's own: a call with one (and no traced array) is numpy's.

Reference (polyfit): Björck, Å. (1996). Numerical Methods for Least Squares Problems. SIAM.
doi:10.1137/1.9781611971484 (the covariance σ²(AᵀA)⁻¹ of the estimate, column scaling).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import require_concrete
from admodes.ops.arrangement import convolve, trace
from admodes.ops.decompositions import lstsq
from admodes.ops.discrete import with_derivative
from admodes.ops.elementwise import add, as_dtype, divide, multiply, sqrt, subtract
from admodes.ops.indexing import getitem
from admodes.ops.linalg import inv, matmul, outer
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import concatenate, reshape, stack, transpose
from admodes.registry import defcomposite, defop
from admodes.tracing import Tracer, ndim_of, primal_value, shape_of


def _dtype(x):
    return np.result_type(primal_value(x))


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
    x = as_dtype(x, dtype)
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
    w = as_dtype(w, common)
    product = multiply(as_dtype(a, common), w if ndim_of(a) == 1 else reshape(w, (-1, 1)))
    return as_dtype(product, _dtype(a))


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
    require_concrete("polyfit", deg=deg, rcond=rcond)
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
    rhs = as_dtype(rhs, np.result_type(_dtype(lhs), _dtype(rhs)))  # lstsq's common dtype
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


# -- calculus and arithmetic of coefficient arrays ---------------------------------------------

def _numpys(*values):
    """True where numpy's own function answers: a poly1d argument and no traced array."""
    return any(isinstance(v, np.poly1d) for v in values) and not any(
        isinstance(v, Tracer) for v in values)


def _coefficients(p, opname):
    """``p`` as a 1-d array of coefficients (numpy's atleast_1d of asarray)."""
    p = p if isinstance(p, Tracer) else np.asarray(p)
    if ndim_of(p) == 0:
        p = reshape(p, (1,))
    if ndim_of(p) != 1:
        raise ValueError(f"{opname}(): coefficients must be a 1-d array (highest power first), "
                         f"got shape {shape_of(p)}")
    return p


def _order(m, opname, inverse):
    if isinstance(m, Tracer) or not isinstance(m, numbers.Integral) and not (
            isinstance(m, numbers.Real) and float(m).is_integer()):
        raise TypeError(f"{opname}(): m must be an int, got {m!r}")
    m = int(m)
    if m < 0:
        raise ValueError(f"{opname}(): order m must be non-negative, got {m} (see {inverse})")
    return m


def _coefficient_domain(*shapes, **static):
    def domain(rng, dtype):
        return [(tuple(dom.real(rng, s, dtype) for s in shapes), dict(static))]
    return domain


def _joined(*domains):
    def domain(rng, dtype):
        return [case for d in domains for case in d(rng, dtype)]
    return domain


@defcomposite("polyder", domain=_joined(_coefficient_domain((5,)), _coefficient_domain((4,), m=2),
                                        _coefficient_domain((3,), m=0),
                                        _coefficient_domain((2,), m=3)),
              doc="polyder(p, m=1): the coefficients of the m-th derivative, p'[i] = "
                  "(n − 1 − i)·p[i] applied m times (numpy's p[:-1]·arange(n − 1, 0, −1)); "
                  "linear in p")
def polyder(p, m=1):
    if _numpys(p):
        return np.polyder(p, m)
    m = _order(m, "polyder", "polyint")
    p = _coefficients(p, "polyder")
    for _ in range(m):
        n = shape_of(p)[0] - 1
        p = multiply(getitem(p, slice(None, -1)), np.arange(n, 0, -1))
    return p


def _polyint_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(4),), {}), ((r(3), 2), {}), ((r(3),), {"k": r()}), ((r(2), 3, r(3)), {}),
            ((r(3), 2, r(1)), {}), ((r(2),), {"m": 0})]


@defcomposite("polyint", domain=_polyint_domain,
              doc="polyint(p, m=1, k=None): the coefficients of the m-th antiderivative, each "
                  "step P[i] = p[i]/(n − i) with the integration constant k[j] appended "
                  "(numpy's order; k a scalar or one per step, default 0); linear in p and k")
def polyint(p, m=1, k=None):
    if _numpys(p, k):
        return np.polyint(p, m, k)
    m = _order(m, "polyint", "polyder")
    if k is None:
        k = np.zeros(m, float)
    k = k if isinstance(k, Tracer) else np.asarray(k)
    if ndim_of(k) == 0:
        k = reshape(k, (1,))
    if shape_of(k)[0] == 1 and m > 1:
        k = multiply(getitem(k, 0), np.ones(m, float))
    if ndim_of(k) != 1 or shape_of(k)[0] < m:
        raise ValueError(f"polyint(): k must be a scalar or a 1-d array of length 1 or at least "
                         f"m = {m}, got shape {shape_of(k)}")
    p = _coefficients(p, "polyint")
    for j in range(m):
        n = shape_of(p)[0]
        p = concatenate([divide(p, np.arange(n, 0, -1)), getitem(k, slice(j, j + 1))])
    return p


def _aligned(a1, a2, opname):
    """``a1``, ``a2`` as 1-d arrays of one length: the shorter one padded with leading zeros
    (numpy's concatenate of zeros in its dtype)."""
    a1, a2 = _coefficients(a1, opname), _coefficients(a2, opname)
    diff = shape_of(a2)[0] - shape_of(a1)[0]
    if diff > 0:
        a1 = concatenate([np.zeros(diff, _dtype(a1)), a1])
    elif diff < 0:
        a2 = concatenate([np.zeros(-diff, _dtype(a2)), a2])
    return a1, a2


_PAIRS = _joined(_coefficient_domain((3,), (3,)), _coefficient_domain((2,), (4,)),
                 _coefficient_domain((4,), (1,)), _coefficient_domain((), (2,)))


@defcomposite("polyadd", domain=_PAIRS,
              doc="polyadd(a1, a2): the coefficients of the sum, the shorter array padded with "
                  "leading zeros; linear")
def polyadd(a1, a2):
    if _numpys(a1, a2):
        return np.polyadd(a1, a2)
    return add(*_aligned(a1, a2, "polyadd"))


@defcomposite("polysub", domain=_PAIRS,
              doc="polysub(a1, a2): the coefficients of the difference a1 − a2, the shorter "
                  "array padded with leading zeros; linear")
def polysub(a1, a2):
    if _numpys(a1, a2):
        return np.polysub(a1, a2)
    return subtract(*_aligned(a1, a2, "polysub"))


@defcomposite("polymul", domain=_PAIRS,
              doc="polymul(a1, a2): the coefficients of the product, convolve(a1, a2); "
                  "bilinear")
def polymul(a1, a2):
    if _numpys(a1, a2):
        return np.polymul(a1, a2)
    return convolve(_coefficients(a1, "polymul"), _coefficients(a2, "polymul"))


# -- division, roots and the polynomial of given roots ------------------------------------------

def _remainder_start(r):
    """How many leading remainder coefficients numpy drops: those within 1e-8 of zero
    (``allclose(r[0], 0, rtol=1e-14)``) while more than one is left."""
    values = primal_value(r)
    start = 0
    while start < values.size - 1 and np.allclose(values[start], 0, rtol=1e-14):
        start += 1
    return start


def _divided_out(r, k, d, v):
    """numpy's ``r[k:k + n + 1] -= d·v`` (n + 1 = len(v)) on an immutable r."""
    n1 = shape_of(v)[0]
    parts = [getitem(r, slice(0, k)), subtract(getitem(r, slice(k, k + n1)), multiply(d, v)),
             getitem(r, slice(k + n1, None))]
    return concatenate([part for part in parts if shape_of(part)[0]])


_POLYDIV_KINKS = ("the remainder's length is numpy's: its leading coefficients within 1e-8 of "
                  "0 are dropped (the first m − n + 1 vanish identically; in float32 their "
                  "rounding may exceed 1e-8 and numpy, so admodes, keeps them); a coefficient "
                  "dropped only because it is that small loses its derivative")


def _polydiv_domain(rng, dtype):
    """Divisors whose leading coefficient is a power of two: the entries the division zeroes
    are then exactly 0. In float32 numpy's 1e-8 trimming tolerance is below the rounding of
    those entries, so a perturbed v[0] would change the remainder's length: there v is a
    constant list of Python floats (float64 cases differentiate v)."""
    def divisor(n):
        v = dom.real(rng, (n,), dtype)
        v[0] = rng.choice([-2.0, -0.5, 1.0, 2.0])
        return v if np.dtype(dtype) == np.float64 else [float(c) for c in v]
    return [((dom.real(rng, (5,), dtype), divisor(3)), {}),
            ((dom.real(rng, (4,), dtype), divisor(4)), {}),
            ((dom.real(rng, (3,), dtype), divisor(1)), {}),
            ((dom.real(rng, (2,), dtype), divisor(3)), {})]


@defcomposite("polydiv", domain=_polydiv_domain, kinks=_POLYDIV_KINKS,
              doc="polydiv(u, v) -> (q, r), u = q·v + r, by numpy's long division: for k = 0, "
                  "…, m − n, q[k] = r[k]/v[0], r[k:k + n + 1] −= q[k]·v; r trimmed of its "
                  "leading (numerical) zeros as numpy; q of length max(m − n + 1, 1) (zeros "
                  "if deg u < deg v); differentiable in u and v through those steps")
def polydiv(u, v):
    if _numpys(u, v):
        return np.polydiv(u, v)
    u, v = (_as_float(_coefficients(a, "polydiv")) for a in (u, v))
    if primal_value(v)[0] == 0:
        raise ValueError(f"polydiv(): the divisor's leading coefficient v[0] is 0 (v = "
                         f"{primal_value(v)!r}); drop leading zeros first "
                         f"(np.trim_zeros(v, 'f'))")
    common = np.result_type(_dtype(u), _dtype(v))
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = divide(1.0, getitem(v, 0))
    r, quotient = as_dtype(u, common), []
    for k in range(m - n + 1):
        quotient.append(multiply(scale, getitem(r, k)))
        r = _divided_out(r, k, quotient[-1], v)
    q = stack(quotient) if quotient else np.zeros(1, common)
    return q, getitem(r, slice(_remainder_start(r), None))


def _product_of_factors(zeros, dtype):
    """Π (x − z_i) by numpy's recurrence a ← a * (1, −z) (a convolution), highest power
    first."""
    a = np.ones(1, dtype)
    zero = np.zeros(1, dtype)
    for i in range(shape_of(zeros)[0]):
        a = subtract(concatenate([a, zero]), multiply(getitem(zeros, i), concatenate([zero, a])))
    return a


def _characteristic_polynomial(a):
    """det(λI − A) by the Faddeev–LeVerrier recurrence M_1 = I, c_k = −tr(A M_k)/k,
    M_k+1 = A M_k + c_k I: a polynomial in A's entries (smooth, whatever its eigenvalues)."""
    n = shape_of(a)[0]
    identity = np.eye(n, dtype=_dtype(a))
    coefficients, m = [np.ones((), _dtype(a))], identity
    for k in range(1, n + 1):
        product = matmul(a, m)
        coefficients.append(divide(trace(product), -k))
        m = add(product, multiply(coefficients[-1], identity))
    return stack(coefficients)


_FADDEEV = ("Hou, S.-H. (1998). Classroom note: A simple proof of the Leverrier–Faddeev "
            "characteristic polynomial algorithm. SIAM Review 40(3), 706–709. "
            "doi:10.1137/S003614459732076X")


def _poly_domain(rng, dtype):
    def matrix(n):
        return (dom.real(rng, (n, n), dtype) + 2 * np.eye(n)).astype(dtype)
    return [((dom.real(rng, (3,), dtype),), {}), ((dom.real(rng, (1,), dtype),), {}),
            ((matrix(3),), {}), ((matrix(2),), {})]


@defcomposite("poly", domain=_poly_domain, refs=(_FADDEEV,),
              doc="poly(seq_of_zeros): the coefficients of Π (x − z_i) (numpy's values: a ← "
                  "a * (1, −z_i)), or of det(λI − A) for a square matrix A (numpy's from A's "
                  "eigenvalues; the derivative is that of the Faddeev–LeVerrier recurrence "
                  "c_k = −tr(A M_k)/k, smooth in A even where eigenvalues are complex or "
                  "repeated); 1.0 for no zeros")
def poly(seq_of_zeros):
    """The monic polynomial with the given roots, as numpy's, differentiable in them.

    Parameters
    ----------
    seq_of_zeros : array (n,) of real roots, or a square matrix (n, n)
        For a matrix, the coefficients of its characteristic polynomial det(λI − A).

    Returns
    -------
    c : array (n + 1,), highest power first (c[0] = 1), in the roots' float dtype; 1.0 for no
        roots.

    Raises
    ------
    ValueError
        For an argument that is neither 1-d nor a non-empty square matrix (numpy's rule).
    TypeError
        Where numpy's value of a matrix's polynomial is complex (eigenvalues that are not
        exact conjugate pairs): admodes is real-valued.

    Notes
    -----
    The values are numpy's bit for bit; the derivatives are those of Π (x − z_i) by the
    same recurrence, or of Faddeev–LeVerrier's c_k = −tr(A M_k)/k, M_k+1 = A M_k + c_k I,
    which are exact polynomials in the entries of A (Hou 1998).

    Examples
    --------
    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> anp.poly(np.array([1.0, 2.0]))
    array([ 1., -3.,  2.])
    >>> ad.jacfwd(anp.poly)(np.array([1.0, 2.0]))  # ∂/∂z of (1, −z1 − z2, z1 z2)
    array([[ 0.,  0.],
           [-1., -1.],
           [ 2.,  1.]])

    References
    ----------
    Hou (1998), doi:10.1137/S003614459732076X.
    """
    if not isinstance(seq_of_zeros, Tracer):
        return np.poly(seq_of_zeros)
    zeros = reshape(seq_of_zeros, (1,)) if ndim_of(seq_of_zeros) == 0 else seq_of_zeros
    value = np.poly(primal_value(zeros))
    if np.iscomplexobj(value):
        raise TypeError(f"poly(): the characteristic polynomial numpy computes for this matrix "
                        f"is complex ({value!r}); admodes is real-valued")
    shape = shape_of(zeros)
    if len(shape) == 2:
        expression = _characteristic_polynomial(zeros)
    elif shape[0]:
        expression = _product_of_factors(zeros, _dtype(zeros))
    else:
        return value
    return with_derivative(value, expression)


def _real_simple_roots(p):
    """numpy's roots of p, refused where they are complex or (numerically) multiple, where
    they have no real derivative."""
    found = np.roots(p)
    if np.iscomplexobj(found):
        raise TypeError(f"roots(): the polynomial {p!r} has complex roots {found!r}; admodes "
                        f"is real-valued and differentiates roots only where all are real")
    if found.size > 1:
        gaps = np.abs(found[:, None] - found[None, :]) + np.diag(np.full(found.size, np.inf))
        if gaps.min() <= np.sqrt(np.finfo(found.dtype).eps) * max(1.0, np.abs(found).max()):
            raise ValueError(f"roots(): the polynomial {p!r} has a multiple root (roots "
                             f"{found!r}); a multiple root has no derivative (p'(r) = 0)")
    return found


def _powers(r, count):
    """The (m, count) matrix of r_i^(count − 1), …, r_i, 1 in r's dtype."""
    columns = [np.ones(shape_of(r), _dtype(r)), r]
    while len(columns) < count:
        columns.append(multiply(columns[-1], r))
    return stack(columns[:count][::-1], axis=1)


def _negative_slopes(p, r):
    """−p'(r) at each root, in the roots' dtype."""
    return as_dtype(multiply(polyval(polyder(p), r), -1.0), _dtype(r))


def _roots_jvp(primals, tangents, out):
    p = primals[0]
    return divide(matmul(tangents[0], transpose(_powers(out, shape_of(p)[0]))),
                  _negative_slopes(p, out))


def _roots_vjp(ct, primals, out):
    p = primals[0]
    return (matmul(divide(ct, _negative_slopes(p, out)), _powers(out, shape_of(p)[0])),)


def _polynomial_with_roots(rng, dtype, zeros, trailing=0):
    scale = rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0])
    return (np.concatenate([scale * np.poly(zeros), np.zeros(trailing)]).astype(dtype),)


def _roots_domain(rng, dtype):
    return [(_polynomial_with_roots(rng, dtype, [-1.5, 0.4, 1.7]), {}),
            (_polynomial_with_roots(rng, dtype, [-0.8, 1.1]), {}),
            (_polynomial_with_roots(rng, dtype, [2.0, -1.2], trailing=1), {}),
            (_polynomial_with_roots(rng, dtype, [0.6]), {})]


_IMPLICIT = ("the implicit function theorem on p(r) = Σ_k p_k r^(n−k) = 0: ∂r/∂p_k = "
             "−r^(n−k)/p'(r) at a simple root; e.g. Wilkinson, J. H. (1963). Rounding Errors "
             "in Algebraic Processes, ch. 2 (the sensitivity of polynomial roots)")
_ROOTS_KINKS = ("defined where every root is real and simple: complex roots are a TypeError, "
                "multiple roots (p'(r) = 0, infinite derivative) a ValueError; a leading zero "
                "coefficient (stripped by numpy) gets the derivative of the finite roots")

polynomial_roots = defop(
    "polynomial_roots", _real_simple_roots, jvp=_roots_jvp, vjp=_roots_vjp,
    cost=lambda primals, out: 10 * max(shape_of(primals[0])[0] - 1, 0) ** 3,
    domain=_roots_domain, namespace="internal", refs=(_IMPLICIT,), kinks=_ROOTS_KINKS,
    doc="r = numpy's roots of p (eigenvalues of the companion matrix), all real and simple; "
        "ṙ = −(Σ_k ṗ_k r^(n−k))/p'(r); p̄_k = −Σ_i r̄_i r_i^(n−k)/p'(r_i); cost ~10 n³ "
        "flops")


@defcomposite("roots", domain=_roots_domain, refs=(_IMPLICIT,), kinks=_ROOTS_KINKS,
              doc="roots(p): numpy's roots of the polynomial p (highest power first), their "
                  "values, order and dtype; differentiable where all are real and simple: "
                  "∂r/∂p_k = −r^(n−k)/p'(r) (implicit function theorem); a plain p may have "
                  "complex roots (numpy's)")
def roots(p):
    if not isinstance(p, Tracer):
        return np.roots(p)
    if ndim_of(p) != 1:
        raise ValueError(f"roots(): p must be a 1-d array of coefficients (highest power "
                         f"first), got shape {shape_of(p)}")
    if not np.any(primal_value(p)):
        return np.roots(primal_value(p))
    return polynomial_roots(p)
