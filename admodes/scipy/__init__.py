"""admodes.scipy: scipy's modules with differentiation rules (``admodes.scipy.special``),
scipy's minimizers with exact derivatives (``admodes.scipy.optimize``) and its Krylov solvers
differentiated implicitly (``admodes.scipy.sparse.linalg``)."""

from admodes.scipy import optimize, sparse, special

__all__ = ["optimize", "sparse", "special"]
