"""admodes.scipy.linalg: scipy.linalg's functions with differentiation rules, with the
signatures of ``jax.scipy.linalg``: ``solve_triangular``, ``expm``, ``expm_frechet``,
``block_diag`` (registry entries, see :mod:`admodes.ops.scipy_linalg`) and, built from them
and ``linalg.cholesky``, ``cholesky``, ``cho_factor`` and ``cho_solve``. A scipy.linalg name without a rule raises an AttributeError
that says so.

>>> import numpy as np, admodes as ad
>>> from admodes.scipy.linalg import expm
>>> ad.grad(lambda t: expm(t * np.array([[0.0, 1.0], [-1.0, 0.0]]))[0, 0])(0.5)  # d cos t
np.float64(-0.479425538604203)
"""

import scipy.linalg as _scipy_linalg

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import missing_attribute, populate
from admodes.registry import lookup as _lookup

__all__: list[str] = ["cho_factor", "cho_solve", "cholesky"]
__all__.extend(populate(globals(), "scipy.linalg"))


def cholesky(a, lower=False):
    """The Cholesky factor of the symmetric positive definite ``a``: upper U with a = UᵀU
    (scipy's and JAX's default), or lower L with a = LLᵀ. Only that triangle of ``a`` is
    read, as in scipy (numpy's cholesky reads the lower one)."""
    if lower:
        return _lookup("linalg.cholesky")(a)
    return _lookup("linalg.cholesky")(_lookup("matrix_transpose")(a)).T


def cho_factor(a, lower=False):
    """``(c, lower)`` for :func:`cho_solve`: c the Cholesky factor (its other triangle is zero
    here; scipy leaves whatever was there)."""
    return cholesky(a, lower), lower


def cho_solve(c_and_lower, b):
    """x with a x = b from ``cho_factor(a)``: two triangular solves, L y = b and Lᵀ x = y (or
    Uᵀ y = b and U x = y)."""
    c, lower = c_and_lower
    solve = _lookup("scipy.linalg.solve_triangular")
    y = solve(c, b, trans=0 if lower else 1, lower=lower)
    return solve(c, y, trans=1 if lower else 0, lower=lower)


def __getattr__(attr):
    raise missing_attribute(__name__, _scipy_linalg, attr)
