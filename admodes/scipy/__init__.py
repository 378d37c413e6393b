"""admodes.scipy: scipy's modules with differentiation rules; so far ``admodes.scipy.special``."""

from admodes.scipy import special

__all__ = ["special"]
