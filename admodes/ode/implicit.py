"""Adaptive Rosenbrock methods for stiff problems: ``ode23s``'s 2(3) pair and RODAS4.

Rosenbrock methods are linearly implicit Runge-Kutta methods: each stage solves a linear system
with W = I − h γ J, J = ∂f/∂y(t_n, y_n), instead of a nonlinear one, and they are stable on
stiff problems (Hairer & Wanner, *Solving Ordinary Differential Equations II*, 2nd ed.,
Springer 1996, sec. IV.7, doi:10.1007/978-3-642-05221-7). J and T = ∂f/∂t(t_n, y_n) come from
one forward-mode pass (``admodes.jacfwd`` over (t, y), n + 1 directions), so a whole step is a
differentiable program: reverse mode through it (the discrete adjoint) differentiates the
Jacobian too (reverse-over-forward). Both methods land on the observation times (no dense
output).

``rosenbrock`` (:class:`Rosenbrock23`): the L-stable, second-order method with a third-order
error estimate of Shampine & Reichelt (*The MATLAB ODE Suite*, SIAM J. Sci. Comput. 18(1),
1-22, 1997, doi:10.1137/S1064827594276424), with d = 1/(2 + √2), e32 = 6 + √2, W = I − h d J:

    F0 = f(t_n, y_n)                  k1 = W⁻¹ (F0 + h d T)
    F1 = f(t_n + h/2, y_n + h k1/2)   k2 = W⁻¹ (F1 − k1) + k1
    y_{n+1} = y_n + h k2              F2 = f(t_n + h, y_{n+1})
    k3 = W⁻¹ (F2 − e32 (k2 − F1) − 2 (k1 − F0) + h d T)
    local error estimate: h (k1 − 2 k2 + k3) / 6.

F2 is reused as the next step's F0 (FSAL). Being of order 2 without local extrapolation, its
global error is about (number of steps)·tol, i.e. it scales like tol^(2/3): ask for a tighter
tolerance than with Dormand-Prince.

``rodas4`` (:class:`Rodas4`): Hairer & Wanner's six-stage RODAS, order 4 with an embedded
order-3 solution, both L-stable and stiffly accurate (y_{n+1} is the argument of a stage, so
R(∞) = 0 exactly); HW II sec. VI.4 constructs it, and the coefficients below are those of
their code ``rodas.f`` (METH = 1, http://www.unige.ch/~hairer/software.html). In the
stage-increment form of HW II sec. IV.7 (u_i = Σ_j γ_ij k_j, which needs no products with J),
with γ = 1/4 and W = I − h γ J:

    Y_i = y_n + Σ_{j<i} a_ij u_j,    F_i = f(t_n + c_i h, Y_i),
    W u_i = h γ F_i + γ Σ_{j<i} C_ij u_j + h² γ d_i T,                   i = 1..6,
    y_{n+1} = Y_6 + u_6 (a_6j = a_5j for j ≤ 4, a_65 = 1, c_5 = c_6 = 1, d_5 = d_6 = 0),

and the embedded solution is Y_6, so the local error estimate is u_6 = O(h⁴). The six systems
share W: W⁻¹ is formed once per step (``anp.linalg.inv``) and applied by matrix-vector
products, which both engines run faster than six ``anp.linalg.solve`` (see :func:`_inverse`).
A step costs one Jacobian pass (it also gives F_1) and five more evaluations of f, against
``rosenbrock``'s pass and two evaluations, and takes about four times fewer steps on stiff
problems at rtol = atol = 1e-6..1e-8 (stiff Van der Pol, μ = 1000: 58 against 266 steps at
1e-6, 360 against 1437 at 1e-8), with a far smaller global error.
"""

from __future__ import annotations

import numpy as np

import admodes.numpy as anp
from admodes.api import jacfwd
from admodes.ode.explicit import combine
from admodes.tracing import primal_value

__all__ = ["RODAS4", "ROSENBROCK", "Rodas4", "Rosenbrock23"]

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


def _lower(rows) -> np.ndarray:
    """A 6 × 6 strictly lower triangular matrix from its rows below the diagonal."""
    out = np.zeros((6, 6))
    for i, row in enumerate(rows, start=1):
        out[i, :i] = row
    return out


def _inverse(w):
    """r ↦ W⁻¹ r for every stage of a step, from one ``anp.linalg.inv(W)``.

    Measured against one ``anp.linalg.solve`` per stage on a step of RODAS4 (one BLAS thread,
    n = 2..300): 10-35 % faster in a plain step for n ≤ 100 and as fast at n = 300 (W⁻¹ costs
    2n³ flops, six LU factorizations 4n³), and 10-30 % faster in reverse mode through the
    step, where the VJP of the inverse, −W⁻ᵀ Ḡ W⁻ᵀ, is two matrix products and six solves
    would need six more factorizations of Wᵀ.
    """
    w_inv = anp.linalg.inv(w)
    return lambda r: w_inv @ r


# rodas.f's a_5j, j = 1..4; row 6 repeats them (and adds a_65 = 1): stiffly accurate.
_RODAS_A5 = [0.1221224509226641e+01, 0.6019134481288629e+01, 0.1253708332932087e+02,
             -0.6878860361058950]


def _value_twice(value):
    return value, value


class Rodas4:
    """Hairer & Wanner's RODAS (``rodas.f``): an L-stable, stiffly accurate Rosenbrock 4(3)
    pair; lands on observation times.

    ``a`` (6, 6), ``coupling`` (6, 6) (rodas.f's C) strictly lower triangular, ``nodes`` c (6,)
    and ``time_weights`` d (6,) are the coefficients of the stage-increment form in the module
    docstring, ``gamma`` the diagonal γ = 1/4.
    """

    name = "rodas4"
    order = 4
    error_order = 3  # the estimate u_6 is O(h⁴): step-size exponent 1/4
    adaptive = True
    has_dense_output = False
    gamma = 0.25
    nodes = np.array([0.0, 0.386, 0.21, 0.63, 1.0, 1.0])
    time_weights = np.array([0.25, -0.1043, 0.1035, -0.3620000000000023e-01, 0.0, 0.0])
    a = _lower([[0.1544000000000000e+01],
                [0.9466785280815826, 0.2557011698983284],
                [0.3314825187068521e+01, 0.2896124015972201e+01, 0.9986419139977817],
                _RODAS_A5,
                _RODAS_A5 + [1.0]])
    coupling = _lower([
        [-0.5668800000000000e+01],
        [-0.2430093356833875e+01, -0.2063599157091915],
        [-0.1073529058151375, -0.9594562251023355e+01, -0.2047028614809616e+02],
        [0.7496443313967647e+01, -0.1024680431464352e+02, -0.3399990352819905e+02,
         0.1170890893206160e+02],
        [0.8083246795921522e+01, -0.7981132988064893e+01, -0.3152159432874371e+02,
         0.1631930543123136e+02, -0.6058818238834054e+01]])

    def step(self, rhs, t, h, y, params, first=None):
        """One step of size h: returns (y_{n+1}, (u_1, ..., u_6)).

        ``first`` (f(t_n, y_n), if known) is not needed: the Jacobian pass computes it.
        """
        time = np.asarray(t, dtype=float)
        (f_t, f_y), f0 = jacfwd(lambda s, u: _value_twice(rhs(s, u, params)), argnums=(0, 1),
                                has_aux=True)(time, y)
        hg = h * self.gamma
        solve = _inverse(np.eye(primal_value(y).size) - hg * f_y)
        us = []
        for i in range(6):
            if i == 0:
                f_i = f0
            else:
                f_i = rhs(t + self.nodes[i] * h, combine(y, 1.0, self.a[i, :i], us), params)
            r = combine(hg * f_i, self.gamma, self.coupling[i, :i], us)
            if self.time_weights[i] != 0.0:
                r = r + (hg * h * self.time_weights[i]) * f_t
            us.append(solve(r))
        return combine(y, 1.0, np.append(self.a[5, :5], 1.0), us), tuple(us)

    @staticmethod
    def next_first(stages):
        return None

    @staticmethod
    def error_estimate(h, stages) -> np.ndarray:
        return primal_value(stages[5])


RODAS4 = Rodas4()
