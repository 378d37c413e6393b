"""``odeint`` with the signature of ``jax.experimental.ode.odeint``.

``odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=inf, hmax=inf)`` integrates
dy/dt = func(y, t, *args) from y(t[0]) = y0 with admodes' adaptive Dormand–Prince 5(4)
(``solver="dopri5"`` of :func:`admodes.ode.solve`) and returns y at every time of ``t``, a
pytree like ``y0`` whose leaves have the leading axis ``len(t)``. ``y0`` and ``args`` are any
pytrees of float arrays (raveled into the solver's state and parameter vectors and back).

The derivatives differ in kind from JAX's: JAX differentiates ``odeint`` by the continuous
adjoint (reverse mode only), while here both engines differentiate the integrator's steps
(discretize-then-differentiate: the exact derivative of the computed solution, in forward
and reverse mode and to any order; see ``admodes.ode.gradient`` for the continuous adjoints
and checkpointing). Both agree to the solver's tolerance. The times ``t`` are not
differentiated, and ``hmax`` (a step-size cap) is accepted at its default only.

>>> import numpy as np, admodes as ad, admodes.numpy as anp
>>> from admodes.ode import odeint
>>> t = np.linspace(0.0, 1.0, 3)
>>> g = ad.grad(lambda k: anp.sum(odeint(lambda y, t, k: -k * y, np.ones(1), t, k)[-1]))(0.5)
>>> round(float(g), 6)  # d/dk e^(−k) = −e^(−k) at k = 0.5
-0.606531
"""

from __future__ import annotations

import math

import numpy as np

from admodes.batching import vmap
from admodes.flatten_util import ravel_pytree
from admodes.ode.solvers import solve
from admodes.registry import lookup
from admodes.tracing import Tracer

__all__ = ["odeint"]


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=math.inf, hmax=math.inf):
    """y at the times ``t`` of dy/dt = func(y, t, *args), y(t[0]) = y0 (see the module)."""
    if not callable(func):
        raise TypeError(f"odeint: func must be callable, got {type(func).__name__}")
    if isinstance(t, Tracer):
        raise TypeError("odeint: t must be plain times (derivatives with respect to the times "
                        "are not available)")
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size < 1:
        raise ValueError(f"odeint: t must be a 1-d array of times, got shape {t.shape}")
    if hmax != math.inf:
        raise ValueError(f"odeint: hmax={hmax!r} is not supported (the default inf only)")
    options = {}
    if mxstep != math.inf:
        if not float(mxstep).is_integer() or mxstep < 1:
            raise ValueError(f"odeint: mxstep must be a positive integer or inf, got {mxstep!r}")
        options["max_steps"] = int(mxstep)
    y_flat, unravel_y = ravel_pytree(y0)
    p_flat, unravel_args = ravel_pytree(args)

    def rhs(s, y, p):
        return ravel_pytree(func(unravel_y(y), s, *unravel_args(p)))[0]

    if t.size == 1:
        ys = lookup("reshape")(y_flat, (1, -1))
    else:
        ys = solve(rhs, y_flat, p_flat, (float(t[0]), float(t[-1])), t, solver="dopri5",
                   rtol=rtol, atol=atol, **options)
    return vmap(unravel_y)(ys)  # each row back into y0's pytree, stacked along axis 0
