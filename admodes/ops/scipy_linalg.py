"""scipy.linalg's triangular solve and matrix exponential, in the ``admodes.scipy.linalg``
namespace: ``solve_triangular`` and ``expm`` (ops), ``expm_frechet`` and ``block_diag``
(composites of them and of concatenations).

``solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False)`` solves op(T) x = b,
T the triangle of ``a`` that scipy reads (the other is ignored; with ``unit_diagonal`` the
diagonal is taken as ones), op(T) = T for ``trans`` 0 or 'N', Tᵀ for 1, 2, 'T' or 'C' (real
matrices). Its rules: ẋ = op(T)⁻¹(ḃ − op(Ṫ) x), b̄ = op(T)⁻ᵀ x̄, and Ā = mask(−b̄ xᵀ) (or
mask(−x b̄ᵀ) for the transposed system), mask keeping the triangle read (without the diagonal
for ``unit_diagonal``) (Giles 2008, sec. 2.3.1).

``expm(A)`` is e^A (scipy's scaling and squaring with Padé approximants, Al-Mohy & Higham
2009). Its derivative is the Fréchet derivative L(A, E), the upper-right block of
expm([[A, E], [0, A]]) (Higham 2008, Thm. 3.6; Najfeld & Havel 1995), and its adjoint is
L(Aᵀ, Ē) (Higham 2008, sec. 3.6: L(A, ·)* = L(Aᵀ, ·)). Both rules call ``expm`` itself on the
doubled matrix, so they are differentiable again (every order, at 2ⁿ× the size per order).

References: Giles, M. B. (2008), Oxford NA Report 08/01; Higham, N. J. (2008). Functions of
Matrices. SIAM, doi:10.1137/1.9780898717778; Al-Mohy, A. H. & Higham, N. J. (2009).
Computing the Fréchet derivative of the matrix exponential. SIAM J. Matrix Anal. Appl. 30(4),
1639-1657, doi:10.1137/080716426; Najfeld, I. & Havel, T. F. (1995). Derivatives of the
matrix exponential and their computation. Adv. Appl. Math. 16, 321-375.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from admodes.ops import _domains as dom
from admodes.ops.elementwise import multiply, negative, subtract
from admodes.ops.linalg import matmul, solve_rows
from admodes.ops.shape import concatenate, reshape, stack, transpose
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, primal_value, shape_of

NAMESPACE = "scipy.linalg"
_REFS = (("Giles, M. B. (2008). An extended collection of matrix derivative results for forward "
          "and reverse mode algorithmic differentiation. Oxford NA Report 08/01."),)
_EXPM_REFS = (("Higham, N. J. (2008). Functions of Matrices: Theory and Computation. SIAM, "
               "Thm. 3.6. doi:10.1137/1.9780898717778"),
              ("Al-Mohy, A. H. & Higham, N. J. (2009). Computing the Fréchet derivative of the "
               "matrix exponential. SIAM J. Matrix Anal. Appl. 30(4). doi:10.1137/080716426"))


# -- solve_triangular --------------------------------------------------------------------------

def _transposed(trans) -> bool:
    """``trans`` as scipy takes it: 0/'N' (T x = b) or 1/2/'T'/'C' (Tᵀ x = b, real)."""
    if trans in (0, "N", "n"):
        return False
    if trans in (1, 2, "T", "t", "C", "c"):
        return True
    raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def _check_triangular(a, b):
    a_shape, b_shape = shape_of(a), shape_of(b)
    if len(a_shape) != 2 or a_shape[0] != a_shape[1]:
        raise ValueError(f"solve_triangular: a must be a square 2-d matrix, got shape {a_shape}")
    if len(b_shape) not in (1, 2) or b_shape[0] != a_shape[0]:
        raise ValueError(f"solve_triangular: b must have shape ({a_shape[0]},) or "
                         f"({a_shape[0]}, p), got {b_shape}")


def _triangular_impl(a, b, trans=0, lower=False, unit_diagonal=False):
    _check_triangular(a, b)
    return scipy.linalg.solve_triangular(a, b, trans=1 if _transposed(trans) else 0,
                                         lower=lower, unit_diagonal=unit_diagonal)


def _mask(a, lower, unit_diagonal):
    """The 0/1 mask of the entries of ``a`` that the solve reads."""
    n = shape_of(a)[0]
    dtype = np.result_type(primal_value(a))
    keep = np.tril(np.ones((n, n), dtype)) if lower else np.triu(np.ones((n, n), dtype))
    return keep - np.eye(n, dtype=dtype) if unit_diagonal else keep


def _solve_rows(a, rhs, b_ndim, **static):
    """The solve for a batch of right-hand sides ``rhs`` of shape (k, n) or (k, n, p)."""
    return solve_rows(lambda columns: solve_triangular(a, columns, **static), rhs, b_ndim)


def _triangular_jvp(primals, tangents, out, trans=0, lower=False, unit_diagonal=False):
    a, b = primals
    ta, tb = tangents
    static = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    rhs = tb
    if ta is not None:
        t = multiply(ta, _mask(a, lower, unit_diagonal))
        op_t = transpose(t, (0, 2, 1)) if _transposed(trans) else t
        product = matmul(op_t, out)  # (k, n) or (k, n, p)
        rhs = negative(product) if rhs is None else subtract(rhs, product)
    return _solve_rows(a, rhs, ndim_of(b), **static)


def _triangular_vjp(ct, primals, out, wants=(True, True), trans=0, lower=False,
                    unit_diagonal=False):
    a, b = primals
    flipped = {"trans": 0 if _transposed(trans) else 1, "lower": lower,
               "unit_diagonal": unit_diagonal}
    gb = _solve_rows(a, ct, ndim_of(b), **flipped)  # op(T)⁻ᵀ x̄, needed for Ā too
    ga = None
    if wants[0]:
        k = shape_of(gb)[0]
        if ndim_of(b) == 1:
            outer = multiply(reshape(gb, (k, -1, 1)), reshape(out, (1, 1, -1)))  # b̄ xᵀ
        else:
            outer = matmul(gb, transpose(out, (1, 0)))
        if _transposed(trans):
            outer = transpose(outer, (0, 2, 1))
        ga = negative(multiply(outer, _mask(a, lower, unit_diagonal)))
    return ga, gb if wants[1] else None


def _triangular_domain(rng, dtype):
    def triangular(lower):
        m = rng.uniform(-0.5, 0.5, size=(3, 3)) + 2.0 * np.eye(3)
        return (m + rng.uniform(-0.5, 0.5, size=(3, 3))).astype(dtype)  # other triangle: noise
    cases = []
    for lower, trans, unit in ((True, 0, False), (False, 0, False), (True, 1, False),
                               (False, "T", True), (True, 2, True)):
        for b_shape in ((3,), (3, 2)):
            cases.append(((triangular(lower), dom.real(rng, b_shape, dtype)),
                          {"trans": trans, "lower": lower, "unit_diagonal": unit}))
    return cases


def _triangular_cost(primals, out, **static):
    n = shape_of(primals[0])[0]
    p = 1 if ndim_of(primals[1]) == 1 else shape_of(primals[1])[1]
    return n * n * p


solve_triangular = defop(
    "scipy.linalg.solve_triangular", _triangular_impl, jvp=_triangular_jvp,
    vjp=_triangular_vjp, cost=_triangular_cost, domain=_triangular_domain, nargs=2,
    static={"trans": 0, "lower": False, "unit_diagonal": False}, namespace=NAMESPACE,
    selective=True, refs=_REFS,
    doc="x = op(T)⁻¹ b, T the lower or upper triangle of a (unit diagonal if asked), op(T) = T "
        "or Tᵀ (trans); ẋ = op(T)⁻¹(ḃ − op(Ṫ) x); b̄ = op(T)⁻ᵀ x̄; Ā = mask(−b̄ xᵀ) "
        "(transposed for trans), the other triangle 0; cost n²p flops")


# -- expm --------------------------------------------------------------------------------------

def _check_square(a):
    shape = shape_of(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"expm: A must be a square 2-d matrix, got shape {shape}")


def _expm_impl(a):
    _check_square(a)
    return scipy.linalg.expm(a)


def _doubled_expm(a, e):
    """expm([[A, E], [0, A]]) = [[e^A, L(A, E)], [0, e^A]] (Higham 2008, Thm. 3.6)."""
    n = shape_of(a)[0]
    zeros = np.zeros((n, n), dtype=np.result_type(primal_value(a), primal_value(e)))
    return expm(concatenate([concatenate([a, e], axis=1), concatenate([zeros, a], axis=1)],
                            axis=0))


def _frechet(a, e):
    """L(A, E), the Fréchet derivative of expm at A in the direction E."""
    n = shape_of(a)[0]
    return _doubled_expm(a, e)[:n, n:]


def _expm_jvp(primals, tangents, out):
    a, t = primals[0], tangents[0]
    return stack([_frechet(a, t[j]) for j in range(shape_of(t)[0])], axis=0)


def _expm_vjp(ct, primals, out):
    a_t = transpose(primals[0], (1, 0))
    return (stack([_frechet(a_t, ct[j]) for j in range(shape_of(ct)[0])], axis=0),)


def _expm_domain(rng, dtype):
    matrices = [np.array([[0.3]])] + [0.5 * rng.standard_normal((n, n)) for n in (2, 3)]
    return [((m.astype(dtype),), {}) for m in matrices]


expm = defop(
    "scipy.linalg.expm", _expm_impl, jvp=_expm_jvp, vjp=_expm_vjp,
    cost=lambda p, out: 15 * shape_of(p[0])[0] ** 3, domain=_expm_domain, namespace=NAMESPACE,
    saves=("inputs",), refs=_EXPM_REFS,
    doc="Y = e^A (A square 2-d); Ẏ = L(A, Ȧ), the Fréchet derivative, = [expm([[A, Ȧ], "
        "[0, A]])]₁₂; Ā = L(Aᵀ, Ȳ); cost ≈ 15n³ flops (a degree-13 Padé approximant, without "
        "the squarings)")


# -- expm_frechet and block_diag ---------------------------------------------------------------

def _frechet_domain(rng, dtype):
    matrices = [0.5 * rng.standard_normal((n, n)) for n in (1, 2, 3)]
    return [((m.astype(dtype), rng.standard_normal(m.shape).astype(dtype)), {})
            for m in matrices] + [((matrices[1].astype(dtype),
                                    rng.standard_normal((2, 2)).astype(dtype)),
                                   {"compute_expm": False})]


@defcomposite("scipy.linalg.expm_frechet", namespace=NAMESPACE, domain=_frechet_domain,
              refs=_EXPM_REFS,
              doc="expm_frechet(A, E, compute_expm=True) = (e^A, L(A, E)) (or L(A, E) only), "
                  "both blocks of expm([[A, E], [0, A]]); derivatives through expm")
def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    _check_square(A)
    if shape_of(E) != shape_of(A):
        raise ValueError(f"expm_frechet: E must have A's shape {shape_of(A)}, got {shape_of(E)}")
    n = shape_of(A)[0]
    block = _doubled_expm(A, E)
    frechet = block[:n, n:]
    return (block[:n, :n], frechet) if compute_expm else frechet


def _block_diag_domain(rng, dtype):
    return [((rng.standard_normal((2, 2)).astype(dtype), rng.standard_normal((1, 3)).astype(
        dtype), rng.standard_normal(2).astype(dtype)), {}),
            ((rng.standard_normal((3, 1)).astype(dtype),), {})]


@defcomposite("scipy.linalg.block_diag", namespace=NAMESPACE, domain=_block_diag_domain,
              doc="block_diag(*arrs): the arrays (0-d, 1-d as a row, 2-d) on the diagonal of a "
                  "zero matrix; each block's derivative is its own (a concatenation)")
def block_diag(*arrs):
    blocks = []
    for i, a in enumerate(arrs):
        if ndim_of(a) > 2:
            raise ValueError(f"block_diag: argument {i} has {ndim_of(a)} dimensions; at most 2")
        blocks.append(reshape(a, (1, -1) if ndim_of(a) < 2 else shape_of(a)))
    if not blocks:
        return np.zeros((1, 0))
    dtype = np.result_type(*(primal_value(b) for b in blocks))
    cols = sum(shape_of(b)[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = shape_of(b)
        parts = [np.zeros((r, left), dtype), b, np.zeros((r, cols - left - c), dtype)]
        rows.append(concatenate(parts, axis=1))
        left += c
    return concatenate(rows, axis=0)
