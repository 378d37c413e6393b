"""Lean derivatives of an ODE right-hand side ``f(t, y, p)`` for the continuous methods.

The continuous sensitivity methods call these once per evaluation of the system they integrate
(thousands of times per solve), so they go to the engines directly and skip what the public
transforms of :mod:`admodes.api` do once per call (pytree flattening, input checks, argnums):

* :func:`linearize`: ``(value, pullback)`` of any function of arrays from one recorded tape
  (the discrete adjoint's per-stage VJPs);
* :func:`value_and_vjp`: ``f``, ``J_yᵀ λ`` and ``J_pᵀ λ`` from one recorded tape and one
  reverse sweep (reverse engine);
* :func:`value_and_jvps`: ``f`` and ``J_y T_y + J_p T_p`` for ``k`` directions at once, the
  tangents carried with a leading batch axis (forward engine, vector mode);
* :func:`jacobians`: ``J_y = ∂f/∂y`` (d × d) and ``J_p = ∂f/∂p`` (d × m) from one vector-mode
  forward pass with the d + m unit directions.

``y`` and ``p`` are 1-D float arrays (or tracers of an enclosing transform, for the
forward-over-reverse Jacobian of the backsolve system); ``f`` returns a 1-D array of the shape
of ``y``.
"""

from __future__ import annotations

import numpy as np

from admodes.forward import Dual, ForwardTrace
from admodes.reverse import Node, Tape, backward_pass
from admodes.tracing import primal_value

__all__ = ["jacobians", "linearize", "value_and_jvps", "value_and_vjp"]


def linearize(fun, *args):
    """Record ``fun(*args)`` on one tape: ``(value, pullback)``, ``pullback(ct)`` -> the list
    of VJPs, one per argument (zeros where ``fun`` does not depend on it); reusable."""
    with Tape() as tape:
        nodes = [tape.new_input(a) for a in args]
        out = fun(*nodes)
    if not (isinstance(out, Node) and out._trace is tape):
        return out, lambda ct: [_zeros(a) for a in args]

    def pullback(ct):
        cts = backward_pass(tape.records, [(out.index, _batch1(ct))])
        return [_zeros(a) if cts[n.index] is None else cts[n.index][0]
                for a, n in zip(args, nodes)]
    return out._primal, pullback


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


def jacobians(rhs, t, y, p):
    """``(J_y, J_p)``, shapes (d, d) and (d, m), from one forward pass of d + m directions."""
    d, m = y.shape[0], p.shape[0]
    seeds = np.eye(d + m)
    _, tangents = value_and_jvps(rhs, t, y, p, seeds[:, :d], seeds[:, d:])
    jac = tangents.T
    return jac[:, :d], jac[:, d:]


def _zeros(x):
    return np.zeros(np.shape(primal_value(x)))


def _batch1(x):
    """``x`` with a leading batch axis of one (the engines' cotangent layout)."""
    return x[None] if isinstance(x, np.ndarray) else x.reshape((1,) + x.shape)
