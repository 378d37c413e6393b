"""admodes.scipy: scipy's modules with differentiation rules (``admodes.scipy.special``,
``admodes.scipy.linalg``),
scipy's minimizers with exact derivatives (``admodes.scipy.optimize``) and its Krylov solvers
differentiated implicitly (``admodes.scipy.sparse.linalg``)."""

from admodes.scipy import linalg, optimize, sparse, special

__all__ = ["linalg", "optimize", "sparse", "special"]
