"""admodes.scipy: scipy's modules with differentiation rules (``admodes.scipy.special``) and
scipy's minimizers with exact derivatives (``admodes.scipy.optimize``)."""

from admodes.scipy import optimize, special

__all__ = ["optimize", "special"]
