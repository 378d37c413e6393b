"""Lean derivatives of an ODE right-hand side ``f(t, y, p)`` for the continuous methods.

The continuous sensitivity methods call these once per evaluation of the system they integrate
(thousands of times per solve), so they go to the engines directly and skip what the public
transforms of :mod:`admodes.api` do once per call (pytree flattening, input checks, argnums):

* :func:`linearize`: ``(value, pullback)`` of any function of arrays from one recorded tape
  (the discrete adjoint's per-stage VJPs; the interpolating adjoint keeps the pullback of
  ``f`` at one time and sweeps it again, for ``J_yᵀ λ``, ``J_pᵀ λ`` and, with the d unit
  cotangents as one batch, the Jacobian rows ``[J_y, J_p]``);
* :func:`value_and_vjp`: ``f``, ``J_yᵀ λ`` and ``J_pᵀ λ`` from one recorded tape and one
  reverse sweep (reverse engine);
* :func:`value_and_jvps`: ``f`` and ``J_y T_y + J_p T_p`` for ``k`` directions at once, the
  tangents carried with a leading batch axis (forward engine, vector mode);

``y`` and ``p`` are 1-D float arrays (or tracers of an enclosing transform, for the
forward-over-reverse Jacobian of the backsolve system); ``f`` returns a 1-D array of the shape
of ``y``.
"""

from __future__ import annotations

import numpy as np

from admodes.forward import Dual, ForwardTrace
from admodes.reverse import record

__all__ = ["linearize", "value_and_jvps", "value_and_vjp"]


def linearize(fun, *args):
    """Record ``fun(*args)`` on one tape: ``(value, pullback)``; reusable.

    ``pullback(ct)`` -> the list of VJPs ``ctᵀ ∂fun/∂args[i]``, one per argument (zeros where
    ``fun`` does not depend on it). ``pullback(cts, batched=True)`` sweeps k cotangents at
    once (``cts`` of shape (k,) + shape(value)) and returns the VJPs with a leading axis k:
    with ``cts = I`` the rows of the Jacobian.
    """
    value, pull = record(fun, args)

    def pullback(ct, batched=False):
        return pull(ct) if batched else [v[0] for v in pull(_batch1(ct))]
    return value, pullback


def value_and_vjp(rhs, t, y, p, lam):
    """``(f(t, y, p), J_yᵀ λ, J_pᵀ λ)`` by one tape and one reverse sweep, O(cost of f).

    A right-hand side that does not depend on ``y`` (or ``p``) gives a zero array there.
    """
    value, pullback = linearize(lambda u, q: rhs(t, u, q), y, p)
    return (value, *pullback(lam))


def value_and_jvps(rhs, t, y, p, tangent_y, tangent_p):
    """``(f, T)`` with ``T[j] = J_y tangent_y[j] + J_p tangent_p[j]``, all j in one pass.

    ``tangent_y`` has shape (k, d); ``tangent_p`` shape (k, m), or None for zero tangents
    (``p`` is then a constant of the pass). ``T`` has shape (k, d).
    """
    k = tangent_y.shape[0]
    with ForwardTrace() as trace:
        dual_p = p if tangent_p is None else Dual(p, tangent_p, trace)
        out = rhs(t, Dual(y, tangent_y, trace), dual_p)
    if not (isinstance(out, Dual) and out._trace is trace):
        return out, np.zeros((k,) + np.shape(out))
    return out._primal, out.tangent


def _batch1(x):
    """``x`` with a leading batch axis of one (the engines' cotangent layout)."""
    return x[None] if isinstance(x, np.ndarray) else x.reshape((1,) + x.shape)
