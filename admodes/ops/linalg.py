"""Linear algebra: matmul and numpy.linalg's solve, inv, det, slogdet, cholesky, eigh, eigvalsh,
norm; with dot, outer, diag, tensordot, kron, inner, vdot, cross, linalg.matrix_power and
linalg.multi_dot as composites (qr, svd, pinv, lstsq: :mod:`admodes.ops.decompositions`).

Matrix-calculus rules from Giles, "An extended collection of matrix derivative results for
forward and reverse mode algorithmic differentiation" (2008), sections 2.2-2.3.
"""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._flops import matmul_flops, size
from admodes.ops._helpers import align, swap_last, unbroadcast
from admodes.ops._memo import memoized
from admodes.ops.einsum import einsum
from admodes.ops.elementwise import abs as abs_
from admodes.ops.elementwise import add, divide, multiply, negative, power, sqrt, subtract
from admodes.ops.indexing import take, take_transpose
from admodes.ops.reductions import max as max_
from admodes.ops.reductions import min as min_
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import expand_dims, reshape, stack, transpose
from admodes.registry import defcomposite, defop, lookup
from admodes.tracing import ndim_of, primal_value, shape_of

_REFS = (("Giles, M. B. (2008). An extended collection of matrix derivative results for forward "
          "and reverse mode algorithmic differentiation. Oxford NA Report 08/01."),)


# -- matmul ---------------------------------------------------------------------------------------

def _as_matrices(a, b):
    """numpy's promotion of 1-d operands: a (n,) -> (1, n), b (n,) -> (n, 1)."""
    a2 = reshape(a, (1,) + shape_of(a)) if ndim_of(a) == 1 else a
    b2 = reshape(b, shape_of(b) + (1,)) if ndim_of(b) == 1 else b
    return a2, b2


def _promote_tangent(t, ndim, first):
    """The batched tangent of a 1-d operand, promoted the same way."""
    if ndim != 1:
        return t
    k, n = t.shape
    return reshape(t, (k, 1, n) if first else (k, n, 1))


def _rows_times(t, b, k, out_shape):
    """A batched left factor t of shape (k, [m,] n) times b, the batch folded into the rows
    of one matrix product: (k·m, n) @ b (for k = 1 and a matrix t, t @ b as it is)."""
    if k == 1 and t.ndim == 3:  # one direction (grad): matmul broadcasts b over it
        return matmul(t, b)
    rows = reshape(t, (-1, t.shape[-1]))
    return reshape(matmul(rows, b), (k,) + out_shape)


def _times_columns(a, t):
    """a ((m, n) or (n,)) times each of the k matrices t[i] of shape (n, p), as one product
    over the columns: a @ (n, k·p)."""
    k, n, p = t.shape
    if k == 1:  # one direction (grad): no batch to fold in; matmul broadcasts a over it
        return matmul(a, t)
    product = matmul(a, reshape(transpose(t, (1, 0, 2)), (n, k * p)))
    if ndim_of(a) == 1:
        return reshape(product, (k, p))
    return transpose(reshape(product, (shape_of(a)[0], k, p)), (1, 0, 2))


def _matmul_jvp(primals, tangents, out):
    a, b = primals
    ta, tb = tangents
    if ndim_of(a) <= 2 and ndim_of(b) <= 2:  # vectors and matrices: batch in one product
        result = None if ta is None else _rows_times(ta, b, ta.shape[0], shape_of(out))
        if tb is not None:
            if ndim_of(b) == 2:
                term = _times_columns(a, tb)
            else:
                term = matmul(tb, transpose(a) if ndim_of(a) == 2 else a)
            result = term if result is None else add(result, term)
        return result
    a2, b2 = _as_matrices(a, b)
    nd = max(a2.ndim, b2.ndim)
    result = None
    if ta is not None:
        result = matmul(align(_promote_tangent(ta, ndim_of(a), True), nd), b2)
    if tb is not None:
        term = matmul(a2, align(_promote_tangent(tb, ndim_of(b), False), nd))
        result = term if result is None else add(result, term)
    return reshape(result, (result.shape[0],) + shape_of(out))


def _matmul_vjp(ct, primals, out, wants=(True, True)):
    a, b = primals
    k = ct.shape[0]
    if ndim_of(a) <= 2 and ndim_of(b) <= 2:  # vectors and matrices: batch in one product
        ga = gb = None
        if wants[0]:
            if ndim_of(b) == 2:
                ga = _rows_times(ct, transpose(b), k, shape_of(a))
            else:
                ga = multiply(reshape(ct, ct.shape + (1,)), b)
        if wants[1]:
            if ndim_of(b) == 1:
                gb = matmul(ct, a) if ndim_of(a) == 2 else multiply(reshape(ct, (k, 1)), a)
            elif ndim_of(a) == 2:
                gb = _times_columns(transpose(a), ct)
            else:
                gb = multiply(reshape(a, (-1, 1)), reshape(ct, (k, 1, -1)))
        return ga, gb
    a2, b2 = _as_matrices(a, b)
    out2 = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1])
    ct2 = reshape(ct, (k,) + out2)
    ga = gb = None
    if wants[0]:
        ga = reshape(unbroadcast(matmul(ct2, swap_last(b2)), a2.shape), (k,) + shape_of(a))
    if wants[1]:
        gb = reshape(unbroadcast(matmul(swap_last(a2), ct2), b2.shape), (k,) + shape_of(b))
    return ga, gb


def _matmul_impl(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        raise ValueError(f"matmul: operands must be at least 1-d, got shapes {shape_of(a)} and "
                         f"{shape_of(b)}; use multiply for scalars")
    return np.matmul(a, b)


def _matmul_domain(rng, dtype):
    r = dom.real
    pairs = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
             ((2, 2, 3), (3, 4)), ((1, 2, 3), (2, 3, 2)), ((3,), (2, 3, 4))]
    return [((r(rng, a, dtype), r(rng, b, dtype)), {}) for a, b in pairs]


matmul = defop(
    "matmul", _matmul_impl, jvp=_matmul_jvp, vjp=_matmul_vjp,
    cost=lambda p, out: matmul_flops(shape_of(p[0]), shape_of(p[1])),
    domain=_matmul_domain, nargs=2, saves=("inputs",), selective=True, refs=_REFS,
    doc="Y = A @ B (numpy's 1-d promotion and batch broadcasting); Ẏ = Ȧ B + A Ḃ; "
        "Ā = Ȳ Bᵀ, B̄ = Aᵀ Ȳ (unbroadcast); cost 2mnp flops")


# -- linalg.solve ---------------------------------------------------------------------------------

def solve_rows(solve_columns, rhs, b_ndim):
    """A solve for a batched right-hand side R of shape (k, n) or (k, n, p), as one solve of
    its columns: ``solve_columns`` maps an (n, K) matrix of right-hand sides to the (n, K)
    solutions (K = k or k·p)."""
    k, n = rhs.shape[0], rhs.shape[1]
    if b_ndim == 1:
        return transpose(solve_columns(transpose(rhs, (1, 0))), (1, 0))
    x = solve_columns(reshape(transpose(rhs, (1, 0, 2)), (n, -1)))
    return transpose(reshape(x, (n, k, rhs.shape[2])), (1, 0, 2))


def _solve_many(a, rhs, b_ndim):
    """solve(A, R) for a batched right-hand side R of shape (k, n) or (k, n, p)."""
    return solve_rows(lambda columns: solve(a, columns), rhs, b_ndim)


def _solve_jvp(primals, tangents, out):
    a, b = primals
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        product = matmul(ta, out)          # (k, n) or (k, n, p)
        rhs = negative(product) if rhs is None else add(rhs, negative(product))
    return _solve_many(a, rhs, ndim_of(b))


def _solve_vjp(ct, primals, out, wants=(True, True)):
    a, b = primals
    gb = _solve_many(transpose(a, (1, 0)), ct, ndim_of(b))  # needed for Ā too
    ga = None
    if wants[0]:
        if ndim_of(b) == 1:
            ga = negative(multiply(reshape(gb, gb.shape + (1,)), reshape(out, (1, 1, -1))))
        else:
            ga = negative(matmul(gb, swap_last(out)))
    return ga, gb if wants[1] else None


def _solve_impl(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"linalg.solve: A must be a square 2-d matrix, got shape {a.shape}")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"linalg.solve: b must have shape ({a.shape[0]},) or "
                         f"({a.shape[0]}, p), got {b.shape}")
    return np.linalg.solve(a, b)


def _well_conditioned(rng, n, dtype):
    return (rng.uniform(-0.5, 0.5, size=(n, n)) + 2.0 * np.eye(n)).astype(dtype)


def _solve_domain(rng, dtype):
    return [((_well_conditioned(rng, 3, dtype), dom.real(rng, (3,), dtype)), {}),
            ((_well_conditioned(rng, 3, dtype), dom.real(rng, (3, 2), dtype)), {})]


def _solve_cost(primals, out):
    n = shape_of(primals[0])[0]
    p = 1 if ndim_of(primals[1]) == 1 else shape_of(primals[1])[1]
    return (2 * n ** 3) // 3 + 2 * n * n * p


solve = defop(
    "linalg.solve", _solve_impl, jvp=_solve_jvp, vjp=_solve_vjp, cost=_solve_cost,
    domain=_solve_domain, nargs=2, namespace="numpy.linalg", selective=True, refs=_REFS,
    doc="X = A⁻¹B (A square 2-d, B (n,) or (n, p)); Ẋ = A⁻¹(Ḃ − Ȧ X); B̄ = A⁻ᵀ X̄, "
        "Ā = −B̄ Xᵀ; cost ⅔n³ + 2n²p flops")


# -- linalg.inv / det / slogdet -------------------------------------------------------------------

def _square_domain(rng, dtype):
    return [((_well_conditioned(rng, n, dtype),), {}) for n in (1, 2, 4)]


def _batched_square_check(opname):
    def check(a):
        a = np.asarray(a)
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise ValueError(f"{opname}: needs square matrices (..., n, n), got shape {a.shape}")
        return a
    return check


_check_inv = _batched_square_check("linalg.inv")
_check_det = _batched_square_check("linalg.det")
_check_slogdet = _batched_square_check("linalg.slogdet")

_inv = memoized(np.linalg.inv)  # det's and logabsdet's rules invert their matrix again


inv = defop(
    "linalg.inv", lambda a: _inv(_check_inv(a)),
    jvp=lambda p, t, out: negative(matmul(matmul(out, t[0]), out)),
    vjp=lambda ct, p, out: (negative(matmul(matmul(swap_last(out), ct), swap_last(out))),),
    cost=lambda p, out: 2 * shape_of(p[0])[-1] ** 3 * (size(p[0]) // shape_of(p[0])[-1] ** 2),
    domain=_square_domain, namespace="numpy.linalg", saves=("out",), refs=_REFS,
    doc="Y = A⁻¹; Ẏ = −Y Ȧ Y; Ā = −Yᵀ Ȳ Yᵀ; cost 2n³ flops")


# -- linalg.cholesky --------------------------------------------------------------------------------

def _lower_triangle_masks(x):
    """(strictly lower, identity) n × n masks in the dtype of ``x`` (..., n, n)."""
    n = shape_of(x)[-1]
    dtype = np.result_type(primal_value(x))
    return np.tri(n, n, -1, dtype=dtype), np.eye(n, dtype=dtype)


def _read_lower(t):
    """The symmetric matrix a lower-triangle routine (numpy's cholesky, eigh, eigvalsh) reads
    from a perturbation: A_s = tril(A) + tril(A, −1)ᵀ."""
    strict, eye = _lower_triangle_masks(t)
    below = multiply(t, strict)
    return add(add(below, multiply(t, eye)), swap_last(below))


def _lower_adjoint(s):
    """The cotangent of A for a function of A_s = tril(A) + tril(A, −1)ᵀ whose cotangent with
    respect to A_s is ``s`` (the adjoint of :func:`_read_lower`): tril(s + sᵀ, −1) + diag(s)
    (the upper triangle is not read)."""
    strict, eye = _lower_triangle_masks(s)
    return add(multiply(add(s, swap_last(s)), strict), multiply(s, eye))


def _cholesky_impl(a):
    a = _check_cholesky(a)
    return np.linalg.cholesky(a)


def _phi_mask(x):
    """Φ's mask for n × n: 1 below the diagonal, ½ on it, 0 above."""
    strict, eye = _lower_triangle_masks(x)
    return strict + 0.5 * eye


def _cholesky_jvp(primals, tangents, out):
    l_inv = inv(out)
    x = matmul(matmul(l_inv, _read_lower(tangents[0])), swap_last(l_inv))
    return matmul(out, multiply(x, _phi_mask(out)))


def _cholesky_vjp(ct, primals, out):
    l_inv = inv(out)
    phi = multiply(matmul(swap_last(out), ct), _phi_mask(out))
    return (_lower_adjoint(matmul(matmul(swap_last(l_inv), phi), l_inv)),)


def _spd_domain(rng, dtype):
    cases = []
    for shape in ((1, 1), (3, 3), (2, 3, 3)):
        b = rng.standard_normal(shape)
        a = b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])
        cases.append(((a.astype(dtype),), {}))
    return cases


_check_cholesky = _batched_square_check("linalg.cholesky")

cholesky = defop(
    "linalg.cholesky", _cholesky_impl, jvp=_cholesky_jvp, vjp=_cholesky_vjp,
    cost=lambda p, out: shape_of(p[0])[-1] ** 3 // 3 * (size(p[0]) // shape_of(p[0])[-1] ** 2),
    domain=_spd_domain, namespace="numpy.linalg", saves=("out",),
    refs=(("Murray, I. (2016). Differentiation of the Cholesky decomposition. "
           "arXiv:1602.07527"),),
    doc="A = L Lᵀ, L lower triangular (A symmetric positive definite; as numpy, only the "
        "lower triangle of A is read, A_s = tril(A) + tril(A, −1)ᵀ, where JAX symmetrizes "
        "(A + Aᵀ)/2 instead); L̇ = L Φ(L⁻¹ Ȧ_s L⁻ᵀ), "
        "Φ = lower triangle with half the diagonal; S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹, "
        "Ā = tril(S + Sᵀ, −1) + diag(S); cost n³/3 flops")


# -- linalg.eigh / eigvalsh ---------------------------------------------------------------------------

_eigh = memoized(np.linalg.eigh)  # eigh_values, eigh_vectors and their rules share it


def _eigh_impl(a, part):
    return _eigh(_check_eigh(a))[part]


def _eigen_gaps(w):
    """F_ij = 1/(w_j − w_i) off the diagonal, 0 on it (distinct eigenvalues)."""
    n = shape_of(w)[-1]
    eye = np.eye(n, dtype=np.result_type(primal_value(w)))
    gaps = subtract(expand_dims(w, -2), expand_dims(w, -1))
    return multiply(divide(1.0, add(gaps, eye)), 1.0 - eye)


def _eigh_rotated(a, t):
    """(Vᵀ Ȧ_s V, V) for the batched perturbation ``t`` of A (the lower triangle it reads)."""
    v = eigh_vectors(a)
    return matmul(matmul(swap_last(v), _read_lower(t)), v), v


def _eigh_values_jvp(primals, tangents, out):
    rotated, _ = _eigh_rotated(primals[0], tangents[0])
    return sum_(multiply(rotated, _lower_triangle_masks(rotated)[1]), axis=-1)


def _eigh_values_vjp(ct, primals, out):
    v = eigh_vectors(primals[0])
    return (_lower_adjoint(matmul(multiply(v, expand_dims(ct, -2)), swap_last(v))),)  # V diag(w̄) Vᵀ


def _eigh_vectors_jvp(primals, tangents, out):
    rotated, v = _eigh_rotated(primals[0], tangents[0])
    return matmul(v, multiply(_eigen_gaps(eigh_values(primals[0])), rotated))


def _eigh_vectors_vjp(ct, primals, out):
    gaps = _eigen_gaps(eigh_values(primals[0]))
    s = matmul(matmul(out, multiply(gaps, matmul(swap_last(out), ct))), swap_last(out))
    return (_lower_adjoint(s),)


def _symmetric_domain(rng, dtype):
    cases = []
    for shape in ((1, 1), (3, 3), (2, 3, 3)):
        b = rng.standard_normal(shape)
        spread = np.diag(np.arange(1.0, shape[-1] + 1.0) * 1.5)  # well-separated eigenvalues
        a = (b + np.swapaxes(b, -1, -2)) * 0.2 + spread
        cases.append(((a.astype(dtype),), {}))
    return cases


_check_eigh = _batched_square_check("linalg.eigh")
_EIGH_DOC = ("as numpy, only the lower triangle of A is read, A_s = tril(A) + tril(A, −1)ᵀ; "
             "distinct eigenvalues; F_ij = 1/(w_j − w_i), 0 on the diagonal")
_EIGH_REFS = (("Giles, M. B. (2008). An extended collection of matrix derivative results for "
               "forward and reverse mode algorithmic differentiation, sec. 3.1."),)

eigh_values = defop(
    "linalg.eigh_values", lambda a: _eigh_impl(a, 0), jvp=_eigh_values_jvp,
    vjp=_eigh_values_vjp, cost=lambda p, out: 9 * shape_of(p[0])[-1] ** 3 * (
        size(p[0]) // shape_of(p[0])[-1] ** 2),
    domain=_symmetric_domain, namespace="internal", saves=("inputs",), refs=_EIGH_REFS,
    doc="w of A_s = V diag(w) Vᵀ; ẇ = diag(Vᵀ Ȧ_s V); S = V diag(w̄) Vᵀ, Ā = tril(S + Sᵀ, −1) "
        "+ diag(S); " + _EIGH_DOC)

eigh_vectors = defop(
    "linalg.eigh_vectors", lambda a: _eigh_impl(a, 1), jvp=_eigh_vectors_jvp,
    vjp=_eigh_vectors_vjp, cost=lambda p, out: 9 * shape_of(p[0])[-1] ** 3 * (
        size(p[0]) // shape_of(p[0])[-1] ** 2),
    domain=_symmetric_domain, namespace="internal", saves=("inputs", "out"), refs=_EIGH_REFS,
    doc="V of A_s = V diag(w) Vᵀ; V̇ = V (F ∘ Vᵀ Ȧ_s V); S = V (F ∘ Vᵀ V̄) Vᵀ, "
        "Ā = tril(S + Sᵀ, −1) + diag(S); " + _EIGH_DOC)

_EIGH_RESULT = type(np.linalg.eigh(np.eye(1)))  # numpy's namedtuple (eigenvalues, eigenvectors)


@defcomposite("linalg.eigh", namespace="numpy.linalg", domain=_symmetric_domain,
              refs=_EIGH_REFS, kinks="undefined where eigenvalues coincide (F has 1/0)",
              doc="(w, V) with A_s = V diag(w) Vᵀ, numpy's named pair (.eigenvalues, "
                  ".eigenvectors); the eigenvectors' signs are LAPACK's")
def eigh(a):
    return _EIGH_RESULT(eigh_values(a), eigh_vectors(a))


@defcomposite("linalg.eigvalsh", namespace="numpy.linalg", domain=_symmetric_domain,
              refs=_EIGH_REFS, kinks="eigenvalues are not differentiable where they coincide",
              doc="the eigenvalues w of symmetric A_s (ascending)")
def eigvalsh(a):
    return eigh_values(a)


def _expand_scalar(ct):
    """A batched cotangent of per-matrix scalars, (k, ...) -> (k, ..., 1, 1)."""
    return reshape(ct, ct.shape + (1, 1))


_slogdet = memoized(np.linalg.slogdet)  # slogdet's sign and logabsdet share it


def _logabsdet_impl(a):
    return _slogdet(_check_slogdet(a))[1]


logabsdet = defop(
    "linalg.logabsdet", _logabsdet_impl,
    jvp=lambda p, t, out: sum_(multiply(swap_last(inv(p[0])), t[0]), axis=(-2, -1)),
    vjp=lambda ct, p, out: (multiply(_expand_scalar(ct), swap_last(inv(p[0]))),),
    cost=lambda p, out: (2 * shape_of(p[0])[-1] ** 3) // 3, domain=_square_domain,
    namespace="internal", saves=("inputs",), refs=_REFS,
    doc="y = log|det A|; ẏ = tr(A⁻¹ Ȧ); Ā = ȳ A⁻ᵀ; cost ⅔n³ flops (LU)")

det = defop(
    "linalg.det", lambda a: np.linalg.det(_check_det(a)),
    jvp=lambda p, t, out: multiply(out, sum_(multiply(swap_last(inv(p[0])), t[0]),
                                             axis=(-2, -1))),
    vjp=lambda ct, p, out: (multiply(_expand_scalar(multiply(ct, out)),
                                     swap_last(inv(p[0]))),),
    cost=lambda p, out: (2 * shape_of(p[0])[-1] ** 3) // 3, domain=_square_domain,
    namespace="numpy.linalg", saves=("inputs", "out"), refs=_REFS,
    doc="y = det A; ẏ = y·tr(A⁻¹ Ȧ); Ā = ȳ·y·A⁻ᵀ (A must be invertible for the rule); "
        "cost ⅔n³ flops (LU)")


@defcomposite("linalg.slogdet", namespace="numpy.linalg", domain=_square_domain, refs=_REFS,
              doc="(sign, log|det A|) as numpy's named pair (.sign, .logabsdet): the sign is "
                  "piecewise constant (no derivative), log|det A| has derivative A⁻ᵀ")
def slogdet(a):
    sign = _slogdet(_check_slogdet(primal_value(a)))[0]
    return _SLOGDET_RESULT(sign, logabsdet(a))


_SLOGDET_RESULT = type(np.linalg.slogdet(np.eye(1)))  # numpy's namedtuple (sign, logabsdet)


# -- linalg.norm ----------------------------------------------------------------------------------

def _norm_domain(rng, dtype):
    r = dom.away_from_zero
    return [((r(rng, (4,), dtype),), {}), ((r(rng, (2, 3), dtype),), {}),
            ((r(rng, (4,), dtype),), {"ord": 1}), ((r(rng, (4,), dtype),), {"ord": np.inf}),
            ((r(rng, (2, 3), dtype),), {"axis": 1}), ((r(rng, (4,), dtype),), {"ord": 3}),
            ((r(rng, (2, 3), dtype),), {"ord": "fro", "keepdims": True}),
            ((r(rng, (3, 2), dtype),), {"ord": 2}), ((r(rng, (2, 3), dtype),), {"ord": 2}),
            ((r(rng, (3, 3), dtype),), {"ord": 1}), ((r(rng, (2, 3), dtype),), {"ord": -np.inf}),
            ((r(rng, (2, 2), dtype),), {"ord": np.inf, "keepdims": True}),
            ((dom.separated_singular_values(rng, (3, 2), dtype),), {"ord": "nuc"}),
            ((dom.separated_singular_values(rng, (2, 3), dtype),), {"ord": -2})]


def _matrix_norm(x, ord, keepdims):
    """‖A‖₁ = max column sum of |A|, ‖A‖∞ = max row sum (−1, −inf: the min), ‖A‖₂ = σ_max =
    √λ_max of the smaller Gram matrix (AᵀA or AAᵀ; accurate for the largest singular value),
    ‖A‖_nuc = Σ σ_i and ord=−2 σ_min from svdvals (the Gram matrix would lose small σ)."""
    if ord in ("nuc", -2):
        s = lookup("linalg.svdvals")(x)  # registered by ops.decompositions, which imports this
        value = sum_(s) if ord == "nuc" else take(s, np.array(-1), axis=0)
    elif ord == 2:
        rows, cols = shape_of(x)
        gram = matmul(swap_last(x), x) if cols <= rows else matmul(x, swap_last(x))
        value = sqrt(take(eigvalsh(gram), np.array(-1), axis=0))  # eigenvalues ascend
    else:
        sums = sum_(abs_(x), axis=0 if abs(ord) == 1 else 1)
        value = max_(sums) if ord > 0 else min_(sums)
    return reshape(value, (1, 1)) if keepdims else value


@defcomposite("linalg.norm", namespace="numpy.linalg", domain=_norm_domain,
              kinks="at x = 0 the 2-norm's derivative x/‖x‖ is undefined (nan); ord=±1 and "
                    "ord=±inf inherit the abs and max/min conventions; the matrix 2-norm is not "
                    "differentiable where the largest singular value is repeated, ord=-2 where "
                    "the smallest is, 'nuc' where a singular value is 0",
              doc="vector norms (ord None/2, 1, inf, p > 0 along axis); matrix norms 'fro', ±1, "
                  "±inf (column and row sums), 2 (the largest singular value, from eigvalsh "
                  "of the Gram matrix), -2 (the smallest) and 'nuc' (their sum), these two "
                  "from svdvals; written with registry ops")
def norm(x, ord=None, axis=None, keepdims=False):
    ndim = ndim_of(x)
    matrix = axis is None and ndim == 2 or isinstance(axis, tuple) and len(axis) == 2
    if matrix:
        if ord in (None, "fro"):
            return sqrt(sum_(multiply(x, x), axis=axis, keepdims=keepdims))
        if ord in (1, -1, np.inf, -np.inf, 2, -2, "nuc") and axis is None:
            return _matrix_norm(x, ord, keepdims)
        raise ValueError(f"linalg.norm: matrix norm ord={ord!r} is not supported; use None, "
                         f"'fro', 1, -1, inf, -inf, 2, -2 or 'nuc' (all but None and 'fro' "
                         f"with axis=None)")
    if axis is None and ndim != 1:
        raise ValueError(f"linalg.norm: for a {ndim}-d array give axis (an int, or a pair for "
                         f"the Frobenius norm)")
    if ord is None or ord == 2:
        return sqrt(sum_(multiply(x, x), axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum_(abs_(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return max_(abs_(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        return power(sum_(power(abs_(x), float(ord)), axis=axis, keepdims=keepdims), 1.0 / ord)
    raise ValueError(f"linalg.norm: vector ord={ord!r} is not supported; use None, 1, 2, "
                     f"np.inf or p > 0")


# -- composites: dot, outer, diag ----------------------------------------------------------------

def _pair_domain(pairs):
    def domain(rng, dtype):
        return [((dom.real(rng, a, dtype), dom.real(rng, b, dtype)), {}) for a, b in pairs]
    return domain


@defcomposite("linalg.matrix_power", namespace="numpy.linalg",
              domain=lambda rng, dtype: [((_well_conditioned(rng, 3, dtype), k), {})
                                         for k in (0, 1, 3, 6, -2)],
              doc="matrix_power(A, n): Aⁿ by repeated squaring (n < 0: of A⁻¹), a chain of "
                  "matmuls")
def matrix_power(a, n):
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"linalg.matrix_power: needs square matrices, got shape {shape}")
    if n < 0:
        a, n = inv(a), -int(n)
    result, square = None, a
    while n:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if n:
            square = matmul(square, square)
    if result is None:  # A⁰ = I: no dependence on A
        return np.broadcast_to(np.eye(shape[-1], dtype=np.result_type(primal_value(a))),
                               shape).copy()
    return result


@defcomposite("linalg.multi_dot", namespace="numpy.linalg",
              domain=lambda rng, dtype: [(([dom.real(rng, s, dtype) for s in shapes],), {})
                                         for shapes in (((3,), (3, 4), (4, 2)),
                                                        ((2, 3), (3, 3), (3,)))],
              doc="multi_dot([A, B, C, ...]) = A @ B @ C ... (1-d ends as vectors), matmuls "
                  "from the left (numpy picks the cheapest order: equal up to rounding)")
def multi_dot(arrays):
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"linalg.multi_dot: needs at least two arrays, got {len(arrays)}")
    result = arrays[0]
    for b in arrays[1:]:
        result = matmul(result, b)
    return result


@defcomposite("dot", domain=_pair_domain([((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)),
                                          ((), (3,))]),
              doc="dot(a, b) for arrays of at most 2 dimensions: matmul, or multiply if one "
                  "is a scalar")
def dot(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return multiply(a, b)
    if ndim_of(a) > 2 or ndim_of(b) > 2:
        raise ValueError(f"dot: admodes supports operands of at most 2 dimensions, got shapes "
                         f"{shape_of(a)} and {shape_of(b)}; use matmul or einsum")
    return matmul(a, b)


@defcomposite("outer", domain=_pair_domain([((3,), (2,)), ((2, 2), (3,))]),
              doc="outer(a, b)_ij = a_i b_j of the flattened inputs (a multiply)")
def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def _tensordot_domain(rng, dtype):
    r = dom.real
    return [((r(rng, (2, 3, 4), dtype), r(rng, (3, 4, 2), dtype)), {}),
            ((r(rng, (2, 3), dtype), r(rng, (3, 2), dtype)), {"axes": 1}),
            ((r(rng, (2, 3, 4), dtype), r(rng, (4, 2, 3), dtype)), {"axes": ([1, 2], [2, 0])}),
            ((r(rng, (2,), dtype), r(rng, (3,), dtype)), {"axes": 0})]


@defcomposite("tensordot", domain=_tensordot_domain,
              doc="tensordot(a, b, axes=2): Σ over paired axes (the last N of a with the first "
                  "N of b, or two lists), as an einsum")
def tensordot(a, b, axes=2):
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(na, nb):
            raise ValueError(f"tensordot(): axes={axes} for operands of {na} and {nb} dims")
        pairs = (list(range(na - axes, na)), list(range(axes)))
    else:
        pairs = tuple([int(i) % n for i in np.atleast_1d(side)] for side, n in
                      zip(axes, (na, nb)))
        if len(pairs[0]) != len(pairs[1]):
            raise ValueError(f"tensordot(): axes {axes!r} pair {len(pairs[0])} axes of a with "
                             f"{len(pairs[1])} of b")
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(*pairs):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in pairs[0]] + \
          [c for j, c in enumerate(sb) if j not in pairs[1]]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


@defcomposite("kron", domain=_pair_domain([((2, 2), (3, 2)), ((3,), (2,)), ((2,), (2, 3))]),
              doc="kron(a, b): the Kronecker product, block (i, j) = a_ij b (a broadcast "
                  "multiply of interleaved axes, reshaped)")
def kron(a, b):
    sa, sb = shape_of(a), shape_of(b)
    d = max(len(sa), len(sb))
    sa, sb = (1,) * (d - len(sa)) + tuple(sa), (1,) * (d - len(sb)) + tuple(sb)
    product = multiply(reshape(a, tuple(v for n in sa for v in (n, 1))),
                       reshape(b, tuple(v for n in sb for v in (1, n))))
    return reshape(product, tuple(m * n for m, n in zip(sa, sb)))


@defcomposite("inner", domain=_pair_domain([((3,), (3,)), ((2, 3), (4, 3)), ((), (3,))]),
              doc="inner(a, b): Σ over the last axes of a and b (a tensordot); a scalar "
                  "operand multiplies")
def inner(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@defcomposite("vdot", domain=_pair_domain([((3,), (3,)), ((2, 3), (3, 2))]),
              doc="vdot(a, b) = Σ a_i b_i over the flattened arrays (real inputs)")
def vdot(a, b):
    return sum_(multiply(reshape(a, (-1,)), reshape(b, (-1,))))


@defcomposite("cross", domain=_pair_domain([((3,), (3,)), ((2, 3), (3,)), ((4, 3), (4, 3))]),
              doc="cross(a, b): the cross product of 3-vectors along the last axis "
                  "(broadcasting), c = (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁)")
def cross(a, b):
    if shape_of(a)[-1:] != (3,) or shape_of(b)[-1:] != (3,):
        raise ValueError(f"cross: admodes supports 3-vectors along the last axis, got shapes "
                         f"{shape_of(a)} and {shape_of(b)}")

    def part(x, i):
        return take(x, np.array(i), axis=-1)
    parts = [add(multiply(part(a, i), part(b, j)), negative(multiply(part(a, j), part(b, i))))
             for i, j in ((1, 2), (2, 0), (0, 1))]
    return stack(parts, axis=-1)


def _diagonal_positions(rows, cols, offset):
    i = np.arange(max(0, -offset), min(rows, cols - offset))
    return i * cols + i + offset


@defcomposite("diag", domain=lambda rng, dtype: [((dom.real(rng, s, dtype),), st) for s, st in
                                                 [((3,), {}), ((3, 3), {}), ((2,), {"k": 1}),
                                                  ((3, 4), {"k": -1})]],
              doc="diag(v, k): a 1-d v placed on diagonal k of a square matrix (scatter), or "
                  "diagonal k of a 2-d matrix (take)")
def diag(v, k=0):
    shape = shape_of(v)
    if len(shape) == 1:
        n = shape[0] + abs(k)
        flat = take_transpose(v, _diagonal_positions(n, n, k), axis=0, size=n * n)
        return reshape(flat, (n, n))
    if len(shape) == 2:
        return take(reshape(v, (-1,)), _diagonal_positions(shape[0], shape[1], k), axis=0)
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {shape}")
