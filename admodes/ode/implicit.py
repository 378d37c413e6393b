"""An adaptive Rosenbrock method for stiff problems: the 2(3) pair of MATLAB's ``ode23s``.

Rosenbrock methods are linearly implicit Runge-Kutta methods: each stage solves a linear system
with W = I − h d J, J = ∂f/∂y(t_n, y_n), instead of a nonlinear one, and they are stable on
stiff problems (Hairer & Wanner, *Solving Ordinary Differential Equations II*, 2nd ed.,
Springer 1996, sec. IV.7, doi:10.1007/978-3-642-05221-7). The pair used here is the
L-stable, second-order method with a third-order error estimate of Shampine & Reichelt
(*The MATLAB ODE Suite*, SIAM J. Sci. Comput. 18(1), 1-22, 1997, doi:10.1137/S1064827594276424),
with d = 1/(2 + √2), e32 = 6 + √2, T = ∂f/∂t(t_n, y_n):

    F0 = f(t_n, y_n)                  k1 = W⁻¹ (F0 + h d T)
    F1 = f(t_n + h/2, y_n + h k1/2)   k2 = W⁻¹ (F1 − k1) + k1
    y_{n+1} = y_n + h k2              F2 = f(t_n + h, y_{n+1})
    k3 = W⁻¹ (F2 − e32 (k2 − F1) − 2 (k1 − F0) + h d T)
    local error estimate: h (k1 − 2 k2 + k3) / 6.

J and T come from one forward-mode pass (``admodes.jacfwd`` over (t, y), n + 1 directions) and
the linear systems are solved by ``admodes.numpy.linalg.solve``, so the whole step is a
differentiable program: reverse mode through it (the discrete adjoint) differentiates the
Jacobian too (reverse-over-forward). F2 is f at the new point, reused as the next step's F0
(FSAL). The step-size control keeps the local error near the tolerance; being of order 2
without local extrapolation, the global error is about (number of steps)·tol, i.e. it scales
like tol^(2/3): ask for a tighter tolerance than with Dormand-Prince.
"""

from __future__ import annotations

import numpy as np

import admodes.numpy as anp
from admodes.api import jacfwd
from admodes.tracing import primal_value

__all__ = ["ROSENBROCK", "Rosenbrock23"]

_D = 1.0 / (2.0 + np.sqrt(2.0))
_E32 = 6.0 + np.sqrt(2.0)


class Rosenbrock23:
    """Shampine & Reichelt's Rosenbrock 2(3) pair (``ode23s``); lands on observation times."""

    name = "rosenbrock"
    order = 2
    error_order = 2  # the estimate is O(h³): step-size exponent 1/3
    adaptive = True
    has_dense_output = False

    def step(self, rhs, t, h, y, params, first=None):
        """One step of size h: returns (y_{n+1}, (F0, k1, F1, k2, F2, k3))."""
        f0 = rhs(t, y, params) if first is None else first
        time = np.asarray(t, dtype=float)
        f_t, f_y = jacfwd(lambda s, u: rhs(s, u, params), argnums=(0, 1))(time, y)
        w = np.eye(primal_value(y).size) - (h * _D) * f_y
        hdt = (h * _D) * f_t
        k1 = anp.linalg.solve(w, f0 + hdt)
        f1 = rhs(t + 0.5 * h, y + (0.5 * h) * k1, params)
        k2 = anp.linalg.solve(w, f1 - k1) + k1
        y_new = y + h * k2
        f2 = rhs(t + h, y_new, params)
        k3 = anp.linalg.solve(w, f2 - _E32 * (k2 - f1) - 2.0 * (k1 - f0) + hdt)
        return y_new, (f0, k1, f1, k2, f2, k3)

    @staticmethod
    def next_first(stages):
        return stages[4]

    @staticmethod
    def error_estimate(h, stages) -> np.ndarray:
        k1, k2, k3 = (primal_value(stages[i]) for i in (1, 3, 5))
        return (h / 6.0) * (k1 - 2.0 * k2 + k3)


ROSENBROCK = Rosenbrock23()
