"""admodes.scipy.sparse: the iterative solvers of ``jax.scipy.sparse.linalg``, differentiated
implicitly (``admodes.scipy.sparse.linalg``)."""

from admodes.scipy.sparse import linalg

__all__ = ["linalg"]
