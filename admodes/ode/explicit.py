"""Explicit Runge-Kutta methods written with :mod:`admodes.numpy`: Euler, RK4, Dormand-Prince 5(4).

An s-stage explicit method with Butcher tableau (A, b, c) advances y_n by

    Y_i = y_n + h Σ_{j<i} a_ij k_j,    k_i = f(t_n + c_i h, Y_i, p),    y_{n+1} = y_n + h Σ_i b_i k_i

(Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., Springer 1993,
sec. II.1, doi:10.1007/978-3-540-78862-1). The stages are computed with registry ops, so the
forward and reverse engines differentiate a step (discretize-then-differentiate).

Dormand-Prince 5(4) (Dormand & Prince, J. Comput. Appl. Math. 6(1), 19-26, 1980,
doi:10.1016/0771-050X(80)90013-3; HNW I, table II.5.2) has seven stages; the seventh is
evaluated at y_{n+1} itself (a_7j = b_j, "first same as last", FSAL), so an accepted step costs
six evaluations of f. The embedded 4th-order solution gives the local error estimate
h Σ (b_i − b̂_i) k_i. Its continuous extension of order 4 (Shampine, Math. Comp. 46(173),
135-150, 1986, doi:10.1090/S0025-5718-1986-0815836-3; HNW I, sec. II.6) gives
y(t_n + θh) ≈ y_n + h Σ_i b_i(θ) k_i with polynomial weights b_i(θ), b_i(1) = b_i.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import numpy as np

from admodes.tracing import primal_value

__all__ = ["DOPRI5", "EULER", "RK4", "ExplicitRK", "combine"]


def combine(y, h, weights, ks):
    """y + h Σ_j w_j k_j over the nonzero weights (registry ops, so it is differentiable)."""
    out = y
    for w, k in zip(weights, ks):
        if w != 0.0:
            out = out + (h * float(w)) * k
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class ExplicitRK:
    """An explicit Runge-Kutta method given by its Butcher tableau.

    ``a`` (s, s) strictly lower triangular, ``b`` and ``c`` (s,); ``error`` (s,) = b − b̂ for an
    embedded pair (adaptive), else None (fixed step); ``dense`` (s, d): b_i(θ) =
    Σ_m dense[i, m] θ^(m+1), or None; ``fsal``: the last stage is f(t + h, y_{n+1}) (its row of
    ``a`` equals ``b``); ``order`` of the solution; ``error_order`` of the pair's lower member.
    """

    name: str
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    order: int
    error: np.ndarray | None = None
    error_order: int | None = None
    dense: np.ndarray | None = None
    fsal: bool = False

    @property
    def stages(self) -> int:
        return len(self.b)

    @property
    def adaptive(self) -> bool:
        return self.error is not None

    @property
    def has_dense_output(self) -> bool:
        return self.dense is not None

    def step(self, rhs, t, h, y, params, first=None):
        """One step of size h from (t, y): returns (y_{n+1}, [k_1, ..., k_s]).

        ``first`` is k_1 = f(t, y, p) if already known (FSAL reuse).
        """
        ks = [rhs(t, y, params) if first is None else first]
        stage = y
        for i in range(1, self.stages):
            stage = combine(y, h, self.a[i, :i], ks)
            ks.append(rhs(t + self.c[i] * h, stage, params))
        y_new = stage if self.fsal else combine(y, h, self.b, ks)
        return y_new, ks

    def next_first(self, ks):
        """f(t_{n+1}, y_{n+1}) if the step computed it (FSAL), else None."""
        return ks[-1] if self.fsal else None

    def error_estimate(self, h, ks) -> np.ndarray:
        """The local error estimate h Σ (b_i − b̂_i) k_i on plain values (a step-size decision)."""
        return h * (self.error @ np.stack([primal_value(k) for k in ks]))

    def dense_weights(self, theta: float) -> np.ndarray:
        """b_i(θ), 0 < θ < 1, of the continuous extension."""
        powers = theta ** np.arange(1, self.dense.shape[1] + 1)
        return self.dense @ powers

    def interpolate(self, y, h, ks, theta: float):
        """y(t_n + θh) ≈ y_n + h Σ b_i(θ) k_i (differentiable, like the step)."""
        return combine(y, h, self.dense_weights(theta), ks)


def _array(rows):
    return np.array([[float(x) for x in row] for row in rows], dtype=float)


EULER = ExplicitRK("euler", a=np.zeros((1, 1)), b=np.ones(1), c=np.zeros(1), order=1)
"""Explicit Euler: y_{n+1} = y_n + h f(t_n, y_n) (order 1)."""

RK4 = ExplicitRK(
    "rk4",
    a=_array([[0, 0, 0, 0], [F(1, 2), 0, 0, 0], [0, F(1, 2), 0, 0], [0, 0, 1, 0]]),
    b=_array([[F(1, 6), F(1, 3), F(1, 3), F(1, 6)]])[0],
    c=_array([[0, F(1, 2), F(1, 2), 1]])[0],
    order=4)
"""The classical 4th-order Runge-Kutta method (Kutta 1901; HNW I, table II.1.2)."""

_DP_B = [F(35, 384), 0, F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), 0]
_DP_B_HAT = [F(5179, 57600), 0, F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100),
             F(1, 40)]

DOPRI5 = ExplicitRK(
    "dopri5",
    a=_array([
        [0, 0, 0, 0, 0, 0, 0],
        [F(1, 5), 0, 0, 0, 0, 0, 0],
        [F(3, 40), F(9, 40), 0, 0, 0, 0, 0],
        [F(44, 45), F(-56, 15), F(32, 9), 0, 0, 0, 0],
        [F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729), 0, 0, 0],
        [F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656), 0, 0],
        _DP_B]),
    b=_array([_DP_B])[0],
    c=_array([[0, F(1, 5), F(3, 10), F(4, 5), F(8, 9), 1, 1]])[0],
    order=5,
    error=_array([[b - bh for b, bh in zip(_DP_B, _DP_B_HAT)]])[0],
    error_order=4,
    # Shampine's (1986) 4th-order continuous extension, b_i(θ) = Σ_m dense[i, m] θ^(m+1).
    dense=_array([
        [1, F(-8048581381, 2820520608), F(8663915743, 2820520608),
         F(-12715105075, 11282082432)],
        [0, 0, 0, 0],
        [0, F(131558114200, 32700410799), F(-68118460800, 10900136933),
         F(87487479700, 32700410799)],
        [0, F(-1754552775, 470086768), F(14199869525, 1410260304),
         F(-10690763975, 1880347072)],
        [0, F(127303824393, 49829197408), F(-318862633887, 49829197408),
         F(701980252875, 199316789632)],
        [0, F(-282668133, 205662961), F(2019193451, 616988883), F(-1453857185, 822651844)],
        [0, F(40617522, 29380423), F(-110615467, 29380423), F(69997945, 29380423)]]),
    fsal=True)
"""Dormand-Prince 5(4) with FSAL and Shampine's dense output (adaptive)."""
