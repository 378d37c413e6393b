"""Matrix decompositions: numpy.linalg's qr and svd (with svdvals), and pinv and lstsq written
with them.

Each factor is an internal primitive (``linalg.qr_q``, ``linalg.qr_r``, ``linalg.svd_u``,
``linalg.svd_s``, ``linalg.svd_vh``) whose rules call the others, as ``eigh`` does with
``eigh_values`` and ``eigh_vectors``: the rules are registry ops, so they are differentiable
again. Shapes: A is (..., m, n), k = min(m, n); QR needs m >= n and full column rank, the SVD's
vectors distinct nonzero singular values.
"""

from __future__ import annotations

import functools

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops._flops import size
from admodes.ops._helpers import swap_last
from admodes.ops._memo import memoized
from admodes.ops.arrangement import take_along_axis
from admodes.ops.elementwise import abs as abs_
from admodes.ops.elementwise import add, divide, multiply, negative, subtract
from admodes.ops.linalg import (
    _eigen_gaps,
    _lower_triangle_masks,
    _read_lower,
    eigh,
    eigvalsh,
    inv,
    matmul,
)
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import expand_dims, reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import primal_value, shape_of

_QR_REFS = (
    ("Walter, S. F. & Lehmann, L. (2010). Algorithmic differentiation of linear algebra "
     "functions with application in optimum experimental design (extended version). "
     "arXiv:1001.1654"),
    "Seeger, M. et al. (2017). Auto-differentiating linear algebra. arXiv:1710.08717",
    ("Liao, H.-J., Liu, J.-G., Wang, L. & Xiang, T. (2019). Differentiable programming tensor "
     "networks. Phys. Rev. X 9, 031041. doi:10.1103/PhysRevX.9.031041 (copyltu)"),
    ("Roberts, D. A. O. & Roberts, L. R. (2020). QR and LQ decomposition matrix "
     "backpropagation algorithms for square, wide, and deep matrices. arXiv:2009.10071"),
)
_SVD_REFS = (
    ("Townsend, J. (2016). Differentiating the singular value decomposition. Technical note, "
     "https://j-towns.github.io/papers/svd-derivative.pdf"),
    ("Giles, M. B. (2008). An extended collection of matrix derivative results for forward "
     "and reverse mode algorithmic differentiation. Oxford NA Report 08/01."),
)
_GVL = ("Golub, G. H. & Van Loan, C. F. (2013). Matrix Computations, 4th ed., sec. 5.3 "
        "(least squares by QR) and 8.6 (flop counts of the SVD).")


def _matrix_shape(a, opname):
    """(m, n) of a stack of matrices (..., m, n); a ValueError for fewer than 2 dimensions."""
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError(f"{opname}: needs matrices (..., m, n), got shape {shape}")
    return shape[-2:]


def _batch(a):
    """Number of matrices in the stack ``a`` (..., m, n)."""
    m, n = shape_of(a)[-2:]
    return size(a) // max(m * n, 1)


# -- linalg.qr -------------------------------------------------------------------------------------

_qr = memoized(np.linalg.qr)  # qr_q, qr_r and their rules share it


def _qr_impl(a, part):
    m, n = _matrix_shape(a, "linalg.qr")
    if m < n:
        raise ValueError(f"linalg.qr: needs m >= n (a tall or square matrix of full column "
                         f"rank), got shape {shape_of(a)}; the derivative of a wide matrix's "
                         f"QR is not supported (factor the transpose instead)")
    return _qr(a)[part]


def _qr_tangent(q, r, t):
    """(X, B) with X = Ȧ R⁻¹, C = Qᵀ X, Ω = tril(C, −1) − tril(C, −1)ᵀ (QᵀQ̇, skew) and
    B = C − Ω (Ṙ R⁻¹, upper triangular): Q̇ = X − Q B, Ṙ = B R."""
    x = matmul(t, inv(r))
    c = matmul(swap_last(q), x)
    below = multiply(c, _lower_triangle_masks(c)[0])
    return x, add(subtract(c, below), swap_last(below))


def _qr_cotangent(q, r, m, ct_q=None):
    """Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ for M = R R̄ᵀ − Q̄ᵀ Q; copyltu(M) = tril(M) + tril(M, −1)ᵀ
    is the symmetric matrix read from M's lower triangle."""
    s = matmul(q, _read_lower(m))
    if ct_q is not None:
        s = add(ct_q, s)
    return matmul(s, swap_last(inv(r)))


def _qr_q_jvp(primals, tangents, out):
    x, b = _qr_tangent(out, qr_r(primals[0]), tangents[0])
    return subtract(x, matmul(out, b))


def _qr_r_jvp(primals, tangents, out):
    _, b = _qr_tangent(qr_q(primals[0]), out, tangents[0])
    return matmul(b, out)


def _qr_q_vjp(ct, primals, out):
    return (_qr_cotangent(out, qr_r(primals[0]), negative(matmul(swap_last(ct), out)), ct),)


def _qr_r_vjp(ct, primals, out):
    return (_qr_cotangent(qr_q(primals[0]), out, matmul(out, swap_last(ct))),)


def _qr_cost(factors):
    """Householder QR: 2n²(m − n/3) flops for R, as much again to form the thin Q."""
    def cost(primals, out):
        m, n = shape_of(primals[0])[-2:]
        return factors * (2 * n * n * m - (2 * n ** 3) // 3) * _batch(primals[0])
    return cost


def _qr_domain(rng, dtype):
    return [((dom.full_column_rank(rng, shape, dtype),), {})
            for shape in ((1, 1), (3, 3), (4, 2), (2, 4, 3))]


_QR_DOC = ("A = QR, m >= n, full column rank, R's diagonal signs LAPACK's (fixed locally); "
           "X = Ȧ R⁻¹, C = Qᵀ X, B = triu(C) + tril(C, −1)ᵀ; Ā = (Q̄ + Q copyltu(R R̄ᵀ − "
           "Q̄ᵀ Q)) R⁻ᵀ, copyltu(M) = tril(M) + tril(M, −1)ᵀ")

qr_q = defop(
    "linalg.qr_q", lambda a: _qr_impl(a, 0), jvp=_qr_q_jvp, vjp=_qr_q_vjp, cost=_qr_cost(2),
    domain=_qr_domain, namespace="internal", saves=("inputs", "out"), refs=_QR_REFS,
    doc="Q (..., m, n) of the reduced QR; Q̇ = X − Q B; " + _QR_DOC + " (R̄ = 0); cost "
        "4n²(m − n/3) flops")

qr_r = defop(
    "linalg.qr_r", lambda a: _qr_impl(a, 1), jvp=_qr_r_jvp, vjp=_qr_r_vjp, cost=_qr_cost(1),
    domain=_qr_domain, namespace="internal", saves=("inputs", "out"), refs=_QR_REFS,
    doc="R (..., n, n) of the reduced QR; Ṙ = B R; " + _QR_DOC + " (Q̄ = 0); cost "
        "2n²(m − n/3) flops")

_QR_RESULT = type(np.linalg.qr(np.eye(1)))  # numpy's namedtuple (Q, R)


def _qr_composite_domain(rng, dtype):
    r = dom.full_column_rank
    return [((r(rng, (4, 3), dtype),), {}), ((r(rng, (3, 3), dtype),), {"mode": "r"}),
            ((r(rng, (2, 4, 3), dtype),), {"mode": "reduced"})]


@defcomposite("linalg.qr", namespace="numpy.linalg", domain=_qr_composite_domain,
              refs=_QR_REFS, kinks="undefined where A loses full column rank (R singular)",
              doc="qr(a, mode='reduced'): numpy's named pair (Q, R), A = QR with Q (..., m, n) "
                  "orthonormal columns and R (..., n, n) upper triangular, for m >= n; "
                  "mode='r' gives R only")
def qr(a, mode="reduced"):
    """The reduced QR decomposition, differentiable for matrices of full column rank.

    Parameters
    ----------
    a : array (..., m, n), m >= n
    mode : {"reduced", "r"}
        ``"reduced"``: numpy's ``QRResult(Q, R)``; ``"r"``: R only. ``"complete"`` is not
        supported: the last m − n columns of the complete Q are any orthonormal basis of the
        complement of A's range, which has no derivative.

    Returns
    -------
    QRResult (Q (..., m, n), R (..., n, n)), or R

    Raises
    ------
    ValueError
        For another mode, or m < n.

    Notes
    -----
    With X = Ȧ R⁻¹ and C = Qᵀ X (the skew part QᵀQ̇ is read from C's strict lower triangle):
    Ṙ = (triu(C) + tril(C, −1)ᵀ) R, Q̇ = X − Q (triu(C) + tril(C, −1)ᵀ); reverse mode
    Ā = (Q̄ + Q copyltu(R R̄ᵀ − Q̄ᵀ Q)) R⁻ᵀ with copyltu(M) = tril(M) + tril(M, −1)ᵀ, which
    holds for m > n too (the part of Q̄ outside A's range passes through Q̄ R⁻ᵀ).

    References
    ----------
    Walter & Lehmann (2010), arXiv:1001.1654; Seeger et al. (2017), arXiv:1710.08717;
    Liao et al. (2019), doi:10.1103/PhysRevX.9.031041; Roberts & Roberts (2020),
    arXiv:2009.10071.
    """
    if mode == "r":
        return qr_r(a)
    if mode != "reduced":
        raise ValueError(f"linalg.qr: mode={mode!r} is not supported; use 'reduced' (Q and R) "
                         f"or 'r' (R only) ('complete' adds columns to Q that are not unique, "
                         f"so have no derivative)")
    return _QR_RESULT(qr_q(a), qr_r(a))


# -- linalg.svd ------------------------------------------------------------------------------------

_singular_values = memoized(functools.partial(np.linalg.svd, compute_uv=False))
_reduced_svd = memoized(functools.partial(np.linalg.svd, full_matrices=False))


def _svd_impl(a, part):
    """Part 0, 1 or 2 of the reduced SVD (U, s, Vh): s alone by the cheaper values-only
    routine (numpy's svdvals), U and Vh from one factorization that the rules share."""
    _matrix_shape(a, "linalg.svd")
    if part == 1:
        return _singular_values(a)
    return _reduced_svd(a)[part]


def _diagonal(x):
    """The diagonals of a stack of square matrices, (..., k, k) -> (..., k)."""
    return sum_(multiply(x, _lower_triangle_masks(x)[1]), axis=-1)


def _times_cols(x, s):
    """X Σ: column j of X times s_j."""
    return multiply(x, expand_dims(s, -2))


def _left_vectors_jvp(u, s, v, t):
    """U̇ of A = U Σ Vᵀ: with P = Uᵀ Ȧ V and F_ij = 1/(s_j² − s_i²) (0 on the diagonal),
    U̇ = U (F ∘ (P Σ + Σ Pᵀ)) + (I − U Uᵀ) Ȧ V Σ⁻¹ (the last term only where m > k). The
    right vectors are the left ones of Aᵀ = V Σ Uᵀ."""
    tv = matmul(t, v)
    p = matmul(swap_last(u), tv)
    sym = add(_times_cols(p, s), multiply(expand_dims(s, -1), swap_last(p)))
    du = matmul(u, multiply(_eigen_gaps(multiply(s, s)), sym))
    if shape_of(u)[-2] > shape_of(u)[-1]:
        du = add(du, divide(subtract(tv, matmul(u, p)), expand_dims(s, -2)))
    return du


def _left_vectors_vjp(u, s, v, ct):
    """Ā for the cotangent Ū of U: with G = Uᵀ Ū, Ā = [U (F ∘ (G − Gᵀ)) Σ + (I − U Uᵀ) Ū Σ⁻¹]
    Vᵀ (the transpose of :func:`_left_vectors_jvp`)."""
    g = matmul(swap_last(u), ct)
    left = matmul(u, _times_cols(multiply(_eigen_gaps(multiply(s, s)),
                                          subtract(g, swap_last(g))), s))
    if shape_of(u)[-2] > shape_of(u)[-1]:
        left = add(left, divide(subtract(ct, matmul(u, g)), expand_dims(s, -2)))
    return matmul(left, swap_last(v))


def _svd_s_jvp(primals, tangents, out):
    a = primals[0]
    return _diagonal(matmul(matmul(swap_last(svd_u(a)), tangents[0]), swap_last(svd_vh(a))))


def _svd_s_vjp(ct, primals, out):
    a = primals[0]
    return (matmul(_times_cols(svd_u(a), ct), svd_vh(a)),)


def _svd_u_jvp(primals, tangents, out):
    a = primals[0]
    return _left_vectors_jvp(out, svd_s(a), swap_last(svd_vh(a)), tangents[0])


def _svd_u_vjp(ct, primals, out):
    a = primals[0]
    return (_left_vectors_vjp(out, svd_s(a), swap_last(svd_vh(a)), ct),)


def _svd_vh_jvp(primals, tangents, out):
    a = primals[0]
    return swap_last(_left_vectors_jvp(swap_last(out), svd_s(a), svd_u(a),
                                       swap_last(tangents[0])))


def _svd_vh_vjp(ct, primals, out):
    a = primals[0]
    return (swap_last(_left_vectors_vjp(swap_last(out), svd_s(a), svd_u(a), swap_last(ct))),)


def _svd_cost(values_only):
    """Golub-Reinsch SVD of an (M, N) matrix, M >= N: 4MN² − 4N³/3 flops for the singular
    values, 14MN² + 8N³ with the thin U and V."""
    def cost(primals, out):
        big, small = sorted(shape_of(primals[0])[-2:], reverse=True)
        flops = (4 * big * small ** 2 - (4 * small ** 3) // 3 if values_only
                 else 14 * big * small ** 2 + 8 * small ** 3)
        return flops * _batch(primals[0])
    return cost


def _svd_domain(rng, dtype):
    return [((dom.separated_singular_values(rng, shape, dtype),), {})
            for shape in ((3, 3), (4, 2), (2, 3), (2, 4, 3))]


_SVD_DOC = ("A = U diag(s) Vh, the reduced SVD (k = min(m, n)); P = Uᵀ Ȧ V, F_ij = 1/(s_j² − "
            "s_i²), 0 on the diagonal (distinct nonzero singular values)")

svd_s = defop(
    "linalg.svd_s", lambda a: _svd_impl(a, 1), jvp=_svd_s_jvp, vjp=_svd_s_vjp,
    cost=_svd_cost(True), domain=_svd_domain, namespace="internal", saves=("inputs",),
    refs=_SVD_REFS,
    doc="s (..., k), descending; ṡ = diag(Uᵀ Ȧ V); Ā = U diag(s̄) Vh; " + _SVD_DOC)


def _svd_vectors(name, part, jvp, vjp, doc):
    return defop(name, lambda a: _svd_impl(a, part), jvp=jvp, vjp=vjp, cost=_svd_cost(False),
                 domain=_svd_domain, namespace="internal", saves=("inputs", "out"),
                 refs=_SVD_REFS, doc=doc + _SVD_DOC)


svd_u = _svd_vectors(
    "linalg.svd_u", 0, _svd_u_jvp, _svd_u_vjp,
    "U (..., m, k); U̇ = U (F ∘ (P Σ + Σ Pᵀ)) + (I − U Uᵀ) Ȧ V Σ⁻¹; G = Uᵀ Ū, "
    "Ā = [U (F ∘ (G − Gᵀ)) Σ + (I − U Uᵀ) Ū Σ⁻¹] Vh; ")

svd_vh = _svd_vectors(
    "linalg.svd_vh", 2, _svd_vh_jvp, _svd_vh_vjp,
    "Vh (..., k, n): the rules of U applied to Aᵀ = V Σ Uᵀ, V̇ = V (F ∘ (Σ P + Pᵀ Σ)) + "
    "(I − V Vᵀ) Ȧᵀ U Σ⁻¹; ")

_SVD_RESULT = type(np.linalg.svd(np.eye(1)))  # numpy's namedtuple (U, S, Vh)


def _hermitian_svd(a, compute_uv):
    """numpy's ``hermitian=True``: from A_s = W diag(λ) Wᵀ (the lower triangle, as eigh),
    s = |λ| descending, U = W in that order, Vh = (U diag(sign λ))ᵀ."""
    if not compute_uv:
        w = eigvalsh(a)
        order = np.argsort(np.abs(primal_value(w)), axis=-1)[..., ::-1]
        return take_along_axis(abs_(w), order, axis=-1)
    w, vectors = eigh(a)
    values = primal_value(w)
    order = np.argsort(np.abs(values), axis=-1)[..., ::-1]
    u = take_along_axis(vectors, np.broadcast_to(order[..., None, :], shape_of(vectors)),
                        axis=-1)
    signs = np.take_along_axis(np.sign(values), order, axis=-1)
    return _SVD_RESULT(u, take_along_axis(abs_(w), order, axis=-1),
                       swap_last(multiply(u, signs[..., None, :])))


def _signed_symmetric(rng, n, dtype):
    """Symmetric n × n matrices with eigenvalues of distinct magnitudes and both signs."""
    w = np.linalg.qr(rng.standard_normal((n, n)))[0]
    values = (1.0 + 0.75 * np.arange(n)) * np.where(np.arange(n) % 2, -1.0, 1.0)
    return ((w * values) @ w.T).astype(dtype)


def _svd_composite_domain(rng, dtype):
    sv = dom.separated_singular_values
    return [((sv(rng, (4, 3), dtype),), {"full_matrices": False}),
            ((sv(rng, (3, 3), dtype),), {}),
            ((sv(rng, (2, 3, 4), dtype),), {"full_matrices": False}),
            ((sv(rng, (3, 2), dtype),), {"compute_uv": False}),
            ((_signed_symmetric(rng, 3, dtype),), {"hermitian": True}),
            ((_signed_symmetric(rng, 3, dtype),), {"hermitian": True, "compute_uv": False})]


@defcomposite("linalg.svd", namespace="numpy.linalg", domain=_svd_composite_domain,
              refs=_SVD_REFS,
              kinks="the vectors are undefined where singular values coincide or vanish (F "
                    "and Σ⁻¹ have 1/0); the singular values are not differentiable where they "
                    "coincide, nor at 0 for hermitian=True (|λ|)",
              doc="svd(a, full_matrices, compute_uv, hermitian): numpy's SVDResult (U, S, Vh) "
                  "of the reduced SVD (full_matrices=False, or a square a), or S alone; "
                  "hermitian=True as numpy, through eigh; the vectors' signs are LAPACK's")
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition A = U diag(S) Vh, differentiable in both modes.

    Parameters
    ----------
    a : array (..., m, n)
    full_matrices : bool
        Must be False for a non-square ``a`` when ``compute_uv`` (the full U or Vh is not
        unique: see Raises); for a square ``a`` both give the same factors.
    compute_uv : bool
        False gives the singular values only (numpy's array S).
    hermitian : bool
        As numpy: ``a`` is symmetric (its lower triangle is read) and the SVD comes from its
        eigendecomposition, S = |λ| in descending order.

    Returns
    -------
    SVDResult (U (..., m, k), S (..., k), Vh (..., k, n)), k = min(m, n); or S

    Raises
    ------
    ValueError
        ``full_matrices=True`` with ``compute_uv=True`` on a non-square ``a``: the extra
        columns of U (or rows of Vh) are any orthonormal basis of a complement, which has no
        derivative. JAX, too, differentiates only the reduced SVD.

    Notes
    -----
    With P = Uᵀ Ȧ V and F_ij = 1/(s_j² − s_i²) (0 on the diagonal): ṡ = diag(P),
    U̇ = U (F ∘ (P Σ + Σ Pᵀ)) + (I − U Uᵀ) Ȧ V Σ⁻¹, V̇ = V (F ∘ (Σ P + Pᵀ Σ)) +
    (I − V Vᵀ) Ȧᵀ U Σ⁻¹. Reverse mode:
    Ā = U [(F ∘ (UᵀŪ − ŪᵀU)) Σ + diag(s̄) + Σ (F ∘ (VᵀV̄ − V̄ᵀV))] Vᵀ
    + (I − U Uᵀ) Ū Σ⁻¹ Vᵀ + U Σ⁻¹ V̄ᵀ (I − V Vᵀ). The vectors' rules need distinct nonzero
    singular values; the signs of the vectors are LAPACK's, which are locally continuous.

    References
    ----------
    Townsend (2016), "Differentiating the singular value decomposition"; Giles (2008),
    Oxford NA Report 08/01.
    """
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return svd_s(a)
    m, n = _matrix_shape(a, "linalg.svd")
    if full_matrices and m != n:
        raise ValueError(f"linalg.svd: full_matrices=True for a non-square matrix of shape "
                         f"{shape_of(a)}: the full U (or Vh) extends the reduced one by any "
                         f"orthonormal basis of a complement, which is not unique and has no "
                         f"derivative; pass full_matrices=False (JAX, too, differentiates only "
                         f"the reduced SVD)")
    return _SVD_RESULT(svd_u(a), svd_s(a), svd_vh(a))


@defcomposite("linalg.svdvals", namespace="numpy.linalg",
              domain=lambda rng, dtype: [((dom.separated_singular_values(rng, s, dtype),), {})
                                         for s in ((3, 2), (2, 4, 3))],
              refs=_SVD_REFS, kinks="not differentiable where singular values coincide",
              doc="the singular values (..., k), descending; ṡ = diag(Uᵀ Ȧ V), "
                  "Ā = U diag(s̄) Vh")
def svdvals(x):
    return svd_s(x)


# -- linalg.pinv, linalg.lstsq ---------------------------------------------------------------------

def _pinv_domain(rng, dtype):
    r = dom.full_column_rank
    return [((r(rng, (4, 3), dtype),), {}), ((r(rng, (3, 3), dtype),), {}),
            ((np.swapaxes(r(rng, (4, 2), dtype), -1, -2),), {}),
            ((r(rng, (2, 4, 3), dtype),), {})]


@defcomposite("linalg.pinv", namespace="numpy.linalg", domain=_pinv_domain,
              refs=_QR_REFS + (_GVL,), kinks="undefined where A loses full rank",
              doc="pinv(a) of a full-rank (..., m, n): R⁻¹ Qᵀ with A = QR (m >= n), Q R⁻ᵀ with "
                  "Aᵀ = QR (m < n); no singular-value cutoff")
def pinv(a):
    """The Moore-Penrose pseudoinverse of a matrix of full rank, through QR.

    A⁺ = R⁻¹ Qᵀ for A = QR (m >= n) and A⁺ = Q R⁻ᵀ for Aᵀ = QR (m < n): this has A's
    condition number (the normal equations (AᵀA)⁻¹Aᵀ square it) and, unlike the SVD route,
    its derivative needs no distinct singular values. numpy's ``rcond``/``rtol`` cutoff is
    not applied: full rank is assumed.
    """
    m, n = _matrix_shape(a, "linalg.pinv")
    if m >= n:
        q, r = qr(a)
        return matmul(inv(r), swap_last(q))
    q, r = qr(swap_last(a))
    return matmul(q, swap_last(inv(r)))


def _lstsq_domain(rng, dtype):
    r, full = dom.real, dom.full_column_rank
    return [((full(rng, (4, 2), dtype), r(rng, (4,), dtype)), {}),
            ((full(rng, (4, 3), dtype), r(rng, (4, 2), dtype)), {"rcond": None}),
            ((full(rng, (3, 3), dtype), r(rng, (3,), dtype)), {}),
            ((np.swapaxes(full(rng, (3, 2), dtype), -1, -2), r(rng, (2,), dtype)), {})]


@defcomposite("linalg.lstsq", namespace="numpy.linalg", domain=_lstsq_domain,
              refs=_QR_REFS + (_SVD_REFS[0], _GVL),
              kinks="undefined where A loses full rank (rank-deficient A is an error)",
              doc="lstsq(a, b, rcond=None) -> (x, residuals, rank, s) as numpy: x = pinv(a) @ b "
                  "(QR), residuals = Σ (b − a x)² per column (empty for m <= n), rank (int, "
                  "no derivative), s = svdvals(a)")
def lstsq(a, b, rcond=None):
    """Least squares min ‖b − a x‖ for a full-rank (m, n) ``a`` and ``b`` (m,) or (m, k).

    Returns numpy's tuple ``(x, residuals, rank, s)``: x = A⁺ b through QR (see :func:`pinv`;
    for m < n the minimum-norm solution), residuals = ‖b − A x‖² per column ((1,) for a 1-d b,
    empty for m <= n), rank (an int, numpy's, no derivative) and s = svdvals(a); x, residuals
    and s are differentiable in a and b.

    Raises
    ------
    ValueError
        If ``a`` is rank deficient (numpy's rank for ``rcond``): x through QR would not be
        numpy's minimum-norm solution, and it has no derivative there.
    """
    _, numpy_residuals, rank, _ = np.linalg.lstsq(primal_value(a), primal_value(b), rcond=rcond)
    m, n = shape_of(a)
    if rank < min(m, n):
        raise ValueError(f"linalg.lstsq: a of shape {shape_of(a)} has rank {rank} < "
                         f"{min(m, n)} (rcond={rcond!r}); the differentiable lstsq needs a of "
                         f"full rank")
    x = matmul(pinv(a), b)
    residuals = numpy_residuals  # empty for m <= n
    if m > n:
        r = subtract(b, matmul(a, x))
        residuals = reshape(sum_(multiply(r, r), axis=0), shape_of(numpy_residuals))
    return x, residuals, rank, svd_s(a)
