"""admodes.scipy.sparse.linalg: ``cg``, ``gmres`` and ``bicgstab`` with the signatures of
``jax.scipy.sparse.linalg``, differentiable in ``A``, ``b`` and whatever ``A`` closes over.

Each solves ``A x = b`` with scipy's Krylov solver of the same name (on plain values; ``A``
and the preconditioner ``M`` are applied as functions, so ``A`` may be a matrix-free
operator) and returns ``(x, None)`` as JAX does. The derivatives are not those of the
iterations but of x = A⁻¹ b, by :func:`admodes.lax.custom_linear_solve`: a JVP solves
``A ẋ = ḃ − Ȧx`` and a VJP solves ``Aᵀ λ = x̄`` (then b̄ = λ, and ``A``'s parameters get
−(∂(Ax)/∂θ)ᵀ λ), with the same solver; ``cg`` treats ``A`` as symmetric positive definite
(its own transpose), ``gmres`` and ``bicgstab`` apply ``Aᵀ`` by a VJP of ``A``. The
derivatives are therefore as accurate as the solves: set ``tol``/``atol`` for them too.

``b`` and ``x0`` may be pytrees of floating-point arrays (of one structure); ``A`` is then a
function of such a pytree. Beyond JAX, ``A`` (and ``M``) may also be a plain scipy.sparse
matrix or ``LinearOperator``: a constant operator (derivatives in ``b`` only, to every order),
applied by its own ``@`` and its transpose's. A solve that stops at ``maxiter`` before reaching the tolerance
warns (``RuntimeWarning``; JAX returns silently), a breakdown raises. A cost meter
(:mod:`admodes.cost`) counts the applications of ``A`` and the registry ops around the
solver, not scipy's own vector updates inside it.

>>> import numpy as np, admodes as ad, admodes.numpy as anp
>>> from admodes.scipy.sparse.linalg import cg
>>> def energy(k):  # a spring chain with stiffness k: x = K(k)⁻¹ f
...     K = k * (2 * np.eye(3) - np.eye(3, k=1) - np.eye(3, k=-1))
...     return anp.sum(cg(K, np.ones(3), tol=1e-12)[0])
>>> float(ad.grad(energy)(2.0))  # sum(K⁻¹ 1) = 5/k, d/dk = -5/k²
-1.25

References: Hestenes, M. R. & Stiefel, E. (1952), conjugate gradients; Saad, Y. & Schultz,
M. H. (1986), GMRES; van der Vorst, H. A. (1992), Bi-CGSTAB; SciPy documentation,
``scipy.sparse.linalg``; JAX documentation, ``jax.scipy.sparse.linalg``.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from admodes import tree
from admodes.flatten_util import ravel_pytree
from admodes.implicit import check_floating, custom_linear_solve
from admodes.registry import Op, lookup
from admodes.tracing import Tracer, shape_of

__all__ = ["bicgstab", "cg", "gmres"]


def cg(A, b, x0=None, *, tol=1e-05, atol=0.0, maxiter=None, M=None):
    """Conjugate gradients for symmetric positive definite ``A``: ``(x, None)``.

    Stops when ``‖b − A x‖ ≤ max(tol · ‖b‖, atol)`` or after ``maxiter`` iterations.
    """
    return _isolve("cg", scipy.sparse.linalg.cg, A, b, x0, M, True,
                   {"rtol": tol, "atol": atol, "maxiter": maxiter})


def bicgstab(A, b, x0=None, *, tol=1e-05, atol=0.0, maxiter=None, M=None):
    """Biconjugate gradients stabilized for a general square ``A``: ``(x, None)``."""
    return _isolve("bicgstab", scipy.sparse.linalg.bicgstab, A, b, x0, M, False,
                   {"rtol": tol, "atol": atol, "maxiter": maxiter})


def gmres(A, b, x0=None, *, tol=1e-05, atol=0.0, restart=20, maxiter=None, M=None,
          solve_method="batched"):
    """Restarted GMRES for a general square ``A``: ``(x, None)``.

    ``restart`` is the Krylov subspace size and ``maxiter`` the number of restart cycles, as
    in JAX and scipy. ``solve_method`` ('batched' or 'incremental') selects how JAX updates
    its least-squares problem; scipy's solver has one way, so both give the same result.
    """
    if solve_method not in ("batched", "incremental"):
        raise ValueError(f"gmres: solve_method must be 'batched' or 'incremental', got "
                         f"{solve_method!r}")
    return _isolve("gmres", scipy.sparse.linalg.gmres, A, b, x0, M, False,
                   {"rtol": tol, "atol": atol, "restart": restart, "maxiter": maxiter})


def _isolve(name, solver, A, b, x0, M, symmetric, options):
    check_floating(b, name, "b")
    leaves = tree.flatten(b)[0]
    size = sum(int(np.prod(shape_of(leaf), dtype=np.int64)) for leaf in leaves)
    matvec = _linear_function(name, "A", A, b, size)
    precondition = None if M is None else _linear_function(name, "M", M, b, size)
    if x0 is not None:
        if tree.flatten(x0)[1] != tree.flatten(b)[1] or [
                shape_of(v) for v in tree.flatten(x0)[0]] != [shape_of(v) for v in leaves]:
            raise ValueError(f"{name}: x0 must have b's structure and shapes")
        if any(isinstance(v, Tracer) for v in tree.flatten(x0)[0]):
            raise TypeError(f"{name}: x0 is only an initial guess and must not be traced")

    def solve_from(guess):
        def solve(linear, rhs):
            flat, unravel = ravel_pytree(rhs)
            n = flat.shape[0]

            def apply(function):
                return lambda v: ravel_pytree(function(unravel(np.asarray(v, flat.dtype))))[0]
            operator = scipy.sparse.linalg.LinearOperator((n, n), apply(linear), dtype=flat.dtype)
            preconditioner = None if precondition is None else scipy.sparse.linalg.LinearOperator(
                (n, n), apply(precondition), dtype=flat.dtype)
            start = None if guess is None else ravel_pytree(guess)[0]
            x, info = solver(operator, flat, x0=start, M=preconditioner, **options)
            if info < 0:
                raise ValueError(f"{name}: the solver broke down (scipy info={info}); A may be "
                                 f"singular{' or not positive definite' if symmetric else ''}")
            if info > 0:
                warnings.warn(f"{name}: not converged to tol={options['rtol']}, "
                              f"atol={options['atol']} within {info} iterations; the solution "
                              f"and its derivatives are approximate (raise maxiter)",
                              RuntimeWarning, stacklevel=5)
            return unravel(x.astype(flat.dtype, copy=False))
        return solve
    x = custom_linear_solve(matvec, b, solve_from(x0), transpose_solve=solve_from(None),
                            symmetric=symmetric)
    return x, None


def _linear_function(name, what, A, b, size):
    """``A`` as a function of b's pytree: itself if callable, else ``v ↦ A @ v`` for a square
    matrix (plain or traced, or a plain scipy.sparse matrix or LinearOperator) and a 1-d
    ``b``."""
    sparse = scipy.sparse.issparse(A) or isinstance(A, scipy.sparse.linalg.LinearOperator)
    if callable(A) and not sparse:  # (a LinearOperator is callable too)
        return A
    shape = tuple(A.shape) if sparse else shape_of(A)
    if not ((sparse or isinstance(A, (np.ndarray, Tracer))) and len(shape) == 2):
        raise TypeError(f"{name}: {what} must be a function or a 2-d matrix, got "
                        f"{type(A).__name__} of shape {shape}")
    if tree.flatten(b)[1].kind != "leaf" or len(shape_of(b)) != 1:
        raise ValueError(f"{name}: a matrix {what} needs b to be one 1-d array; pass a "
                         f"function for pytrees")
    if shape != (size, size):
        raise ValueError(f"{name}: {what} has shape {shape}; expected ({size}, {size}) for b "
                         f"of size {size}")
    return _constant_operator(name, A) if sparse else (lambda v: A @ v)


def _constant_operator(name, A):
    """``v ↦ A v`` for a plain scipy.sparse matrix or LinearOperator ``A`` (a constant: the
    derivatives are in ``v`` only), as a linear op of the engines. Its JVP applies A and its
    VJP Aᵀ to each row, through this op and its transpose op, so both are differentiable
    again."""
    ops = {}

    def rules(this, other):
        def jvp(primals, tangents, out):
            return _each_row(ops[this], tangents[0])

        def vjp(ct, primals, out):
            return (_each_row(ops[other], ct),)
        return jvp, vjp
    for key, matrix, other in (("A", A, "Aᵀ"), ("Aᵀ", A.T, "A")):
        jvp, vjp = rules(key, other)
        nnz = getattr(matrix, "nnz", matrix.shape[0] * matrix.shape[1])
        ops[key] = Op(name=f"{name}:{key}", impl=lambda v, matrix=matrix: np.asarray(matrix @ v),
                      jvp=jvp, vjp=vjp, cost=lambda primals, out, nnz=nnz: 2 * int(nnz),
                      doc=f"y = {key} v, the constant sparse {key} of {name}; ẏ = {key} v̇, "
                          f"v̄ = {other} ȳ", domain=lambda rng, dtype: [], linear=True,
                      saves=(), namespace="internal")
    return ops["A"]


def _each_row(op, batch):
    return lookup("stack")([op(batch[j]) for j in range(shape_of(batch)[0])], axis=0)
