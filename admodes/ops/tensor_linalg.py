"""numpy.linalg's cond, tensorsolve and tensorinv, written with registry ops.

* ``cond(x, p)`` for p = None, 2, −2 is the ratio σ_max/σ_min (−2: σ_min/σ_max) of
  ``svdvals`` for any stack (..., M, N); for p = 'fro', 'nuc', ±1, ±inf it is
  ‖x‖_p·‖x⁻¹‖_p by ``matrix_norm`` and ``inv`` of square matrices, with x⁻¹ in float64 and the
  result cast to x's precision, as numpy computes it. The derivative of the ratio is
  (σ̇_1 σ_n − σ_1 σ̇_n)/σ_n² with σ̇_i = u_iᵀ ẋ v_i (Giles 2008, Townsend 2016); of the product,
  the norms' rules with (x⁻¹)˙ = −x⁻¹ ẋ x⁻¹.
* ``tensorsolve(a, b, axes)`` moves ``axes`` of a to the end, reshapes a to the square matrix
  (prod(b.shape), prod(x.shape)), solves with the flattened b and reshapes to x's shape
  a.shape[b.ndim:]; ``tensorinv(a, ind)`` is inv of a reshaped to (prod(a.shape[ind:]), −1),
  reshaped to a.shape[ind:] + a.shape[:ind]: numpy's definitions, differentiable through
  solve's and inv's rules.

References: Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed.,
SIAM, ch. 6 (norms and condition numbers). doi:10.1137/1.9780898718027; Giles, M. B. (2008).
An extended collection of matrix derivative results for forward and reverse mode algorithmic
differentiation. Oxford NA Report 08/01.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._helpers import as_array
from admodes.ops.array_api import _inexact, _is_matrix_ord, matrix_norm
from admodes.ops.decompositions import _SVD_REFS, svdvals
from admodes.ops.elementwise import as_dtype, divide, multiply, require_real, where
from admodes.ops.indexing import getitem
from admodes.ops.linalg import _REFS as _GILES
from admodes.ops.linalg import inv, solve
from admodes.ops.shape import reshape, transpose
from admodes.registry import defcomposite
from admodes.tracing import ndim_of, primal_value, shape_of

_HIGHAM = ("Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed., "
           "SIAM, ch. 6. doi:10.1137/1.9780898718027")
_LinAlgError = np.linalg.LinAlgError


# -- cond -----------------------------------------------------------------------------------------

def _singular_value_ratio(x, p):
    """σ_max/σ_min (p = −2: σ_min/σ_max) per matrix; numpy's inf where the divisor is 0 (a
    constant: no derivative)."""
    s = svdvals(x)  # descending
    first, last = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
    top, bottom = (last, first) if p == -2 else (first, last)
    zero = np.asarray(primal_value(bottom) == 0)
    if not zero.any():
        return divide(top, bottom)
    return where(zero, np.inf, divide(top, where(zero, 1.0, bottom)))


def _not_invertible(a):
    """Per matrix of the stack ``a`` (..., n, n): True where numpy's inv fails (LU meets an
    exactly zero pivot), where numpy's cond is inf."""
    def fails(m):
        try:
            np.linalg.inv(m)
        except _LinAlgError:
            return True
        return False
    flat = a.reshape((-1,) + a.shape[-2:])
    return np.array([fails(m) for m in flat]).reshape(a.shape[:-2])


def _norm_product(x, p):
    """‖x‖_p·‖x⁻¹‖_p as numpy computes it: x⁻¹ in float64 (its inv signature 'd->d'), ‖x‖ in
    x's dtype, the product cast to x's dtype; inf (a constant) at the singular matrices, which
    are replaced by diag(1, ..., n) in the computation (its rules, every order, are finite)."""
    dtype = np.result_type(primal_value(x))
    x64 = as_dtype(x, np.float64)
    try:
        inverse, singular = inv(x64), None
    except _LinAlgError:
        singular = _not_invertible(primal_value(x64))
        stand_in = np.diag(np.arange(1.0, shape_of(x)[-1] + 1))  # distinct σ: rules finite
        inverse = inv(where(singular[..., None, None], stand_in, x64))
    # ‖x‖ cast exactly to float64 (numpy's promotion), so that its cotangent is cast back
    r = multiply(as_dtype(matrix_norm(x, ord=p), np.float64),
                 matrix_norm(inverse, ord=p))
    if singular is not None:
        r = where(singular, np.inf, r)
    return as_dtype(r, dtype)


def _square_cond_matrix(rng, n):
    """An n × n matrix with singular values 1, 1.75, 2.5, ... whose entries and its inverse's
    are at least 0.1 in magnitude and whose column and row sums of |·| differ pairwise by at
    least 0.1 (both): away from the kinks of abs and max/min in the 1- and inf-norms."""
    while True:
        m = dom.separated_singular_values(rng, (n, n), np.float64)
        parts = (m, np.linalg.inv(m))
        if all(np.min(np.abs(b)) >= 0.1 for b in parts) and all(
                np.min(np.diff(np.sort(np.abs(b).sum(axis=axis)))) >= 0.1
                for b in parts for axis in (0, 1)):
            return m


def _kink_free(rng, shape, dtype):
    """A stack (..., n, n) of :func:`_square_cond_matrix` matrices in ``dtype``."""
    *batch, n, _ = shape
    mats = [_square_cond_matrix(rng, n) for _ in range(math.prod(batch))]
    return np.reshape(mats, shape).astype(dtype)


def _cond_domain(rng, dtype):
    sv = dom.separated_singular_values
    return [((sv(rng, (3, 3), dtype),), {}),
            ((sv(rng, (2, 3, 3), dtype),), {"p": 2}),
            ((sv(rng, (3, 2), dtype),), {}),
            ((sv(rng, (2, 3), dtype),), {"p": -2}),
            ((_kink_free(rng, (3, 3), dtype),), {"p": 1}),
            ((_kink_free(rng, (2, 3, 3), dtype),), {"p": -1}),
            ((_kink_free(rng, (3, 3), dtype),), {"p": np.inf}),
            ((_kink_free(rng, (3, 3), dtype),), {"p": -np.inf}),
            ((_kink_free(rng, (3, 3), dtype),), {"p": "fro"}),
            ((sv(rng, (3, 3), dtype),), {"p": "nuc"})]


@defcomposite("linalg.cond", namespace="numpy.linalg", domain=_cond_domain,
              refs=(_HIGHAM,) + _SVD_REFS,
              kinks="at a singular matrix cond is numpy's inf, a constant: its derivative "
                    "there is 0 (cond has none), and the other matrices of a stack keep "
                    "theirs; p = None, 2 is not differentiable where σ_max or σ_min is "
                    "repeated, p = −2 likewise and at σ_min = 0 (where it is 0); p = ±1, ±inf "
                    "inherit abs'(0) = 0 and max/min's ties; 'nuc' needs distinct σ",
              doc="cond(x, p=None): σ_max/σ_min of svdvals for p = None, 2 (−2: σ_min/σ_max), "
                  "any (..., M, N); ‖x‖_p·‖x⁻¹‖_p (matrix_norm, inv in float64 as numpy) for "
                  "p = 'fro', 'nuc', ±1, ±inf, square (..., n, n); inf at singular matrices "
                  "(also for 'nuc', where numpy's svd of the NaN inverse raises); "
                  "(σ_1/σ_n)˙ = (σ̇_1 σ_n − σ_1 σ̇_n)/σ_n², σ̇_i = u_iᵀ ẋ v_i")
def cond(x, p=None):
    x = _inexact(x)
    require_real("linalg.cond", x)
    shape = shape_of(x)
    if len(shape) < 2:
        raise _LinAlgError(f"linalg.cond(): x must be a matrix or a stack of matrices "
                           f"(..., M, N), got shape {shape}")
    if math.prod(shape) == 0 and math.prod(shape[-2:]) == 0:
        raise _LinAlgError(f"linalg.cond(): cond is not defined on empty matrices, got shape "
                           f"{shape}")
    if not _is_matrix_ord(p):
        raise ValueError(f"linalg.cond(): p={p!r} is not supported; use None, 2 or -2 (from "
                         f"the singular values), 'fro', 'nuc', 1, -1, inf or -inf")
    if p in (None, 2, -2):
        return _singular_value_ratio(x, p)
    if shape[-1] != shape[-2]:
        raise _LinAlgError(f"linalg.cond(): p={p!r} needs square matrices (..., n, n), got "
                           f"shape {shape}; p = None, 2 or -2 take any (..., M, N)")
    r = _norm_product(x, p)
    return r[()] if isinstance(r, np.ndarray) and r.ndim == 0 else r  # numpy's scalar


# -- tensorsolve, tensorinv -----------------------------------------------------------------------

def _moved_to_end(a, axes):
    """``a`` with ``axes`` moved to the end in the order given (numpy's tensorsolve)."""
    ndim = ndim_of(a)
    if not all(isinstance(k, numbers.Integral) and 0 <= k < ndim for k in axes) or len(
            set(axes)) != len(axes):
        raise ValueError(f"linalg.tensorsolve(): axes must be distinct axes 0 ... {ndim - 1} "
                         f"of a (shape {shape_of(a)}), got {axes!r}")
    order = [k for k in range(ndim) if k not in axes] + [int(k) for k in axes]
    return transpose(a, tuple(order))


def _well_conditioned(rng, n, dtype):
    return dom.full_column_rank(rng, (n, n), dtype)


def _tensorsolve_domain(rng, dtype):
    w = _well_conditioned
    return [((w(rng, 6, dtype).reshape(2, 3, 6), dom.real(rng, (2, 3), dtype)), {}),
            ((w(rng, 6, dtype).reshape(6, 2, 3), dom.real(rng, (6,), dtype)), {}),
            ((w(rng, 6, dtype).reshape(6, 2, 3).transpose(1, 2, 0), dom.real(rng, (6,), dtype)),
             {"axes": (0, 1)}),
            ((w(rng, 4, dtype).reshape(4, 2, 2), dom.real(rng, (4,), dtype)), {})]


@defcomposite("linalg.tensorsolve", namespace="numpy.linalg", domain=_tensorsolve_domain,
              refs=_GILES,
              doc="tensorsolve(a, b, axes=None): x with tensordot(a, x, x.ndim) = b, x of shape "
                  "a.shape[b.ndim:] (axes first moved to the end): solve(A, b.ravel()) with A "
                  "= a reshaped to (prod(b.shape), prod(x.shape)), square; ẋ = A⁻¹(ḃ − Ȧx), "
                  "b̄ = A⁻ᵀx̄, Ā = −b̄xᵀ")
def tensorsolve(a, b, axes=None):
    a, b = as_array(a), as_array(b)
    if axes is not None:
        a = _moved_to_end(a, tuple(axes))
    shape = shape_of(a)
    x_shape = shape[-(len(shape) - ndim_of(b)):]  # numpy's expression (all of a if equal ndim)
    n = math.prod(x_shape)
    if math.prod(shape) != n * n:
        raise _LinAlgError(f"linalg.tensorsolve(): a of shape {shape} and b of shape "
                           f"{shape_of(b)} must satisfy prod(a.shape[b.ndim:]) == "
                           f"prod(a.shape[:b.ndim])")
    return reshape(solve(reshape(a, (n, n)), reshape(b, (-1,))), x_shape)


def _tensorinv_domain(rng, dtype):
    w = _well_conditioned
    return [((w(rng, 6, dtype).reshape(2, 3, 6),), {}),
            ((w(rng, 6, dtype).reshape(6, 2, 3),), {"ind": 1}),
            ((w(rng, 4, dtype).reshape(4, 2, 2),), {"ind": 1}),
            ((w(rng, 3, dtype),), {"ind": 1})]


@defcomposite("linalg.tensorinv", namespace="numpy.linalg", domain=_tensorinv_domain,
              refs=_GILES,
              doc="tensorinv(a, ind=2): inv(A) of A = a reshaped to (prod(a.shape[ind:]), −1), "
                  "square, reshaped to a.shape[ind:] + a.shape[:ind]; Ẏ = −Y Ȧ Y, "
                  "Ā = −Yᵀ Ȳ Yᵀ (in the matrix shapes)")
def tensorinv(a, ind=2):
    a = as_array(a)
    if not isinstance(ind, numbers.Integral) or ind <= 0:
        raise ValueError(f"linalg.tensorinv(): ind must be a positive int, got {ind!r}")
    shape = shape_of(a)
    rows = math.prod(shape[ind:])
    if math.prod(shape) != rows * rows:
        raise _LinAlgError(f"linalg.tensorinv(): a of shape {shape} with ind={ind} gives a "
                           f"{rows} × {math.prod(shape) // max(rows, 1)} matrix; it must be "
                           f"square (prod(a.shape[ind:]) == prod(a.shape[:ind]))")
    return reshape(inv(reshape(a, (rows, rows))), shape[ind:] + shape[:ind])
