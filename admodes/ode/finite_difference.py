"""Central finite differences of the plain solve: the baseline sensitivity method.

∂L/∂x_i ≈ (L(x + δ_i e_i) − L(x − δ_i e_i)) / (2 δ_i) for every entry x_i of (y0, p): 2(n + p)
plain solves. The truncation error is O(δ²) and rounding adds O(ε/δ); balancing the two gives
δ_i = ε^(1/3) · max(1, |x_i|) ≈ 6e-6 · max(1, |x_i|) (Nocedal & Wright, *Numerical
Optimization*, 2nd ed., Springer 2006, sec. 8.1, doi:10.1007/978-0-387-40065-5).

With an adaptive solver the differences see the solve as computed, step-size control included:
the accepted step sizes are smooth functions of x (through the error estimates), so the quotient
also differentiates how the steps move, which the discrete adjoint (steps held fixed) does not.
The two gradients then differ by more than the tolerance on stiff problems: 6e-6 relative with
rodas4 at rtol = atol = 1e-8 on ``problems.van_der_pol()`` (μ = 1000). When x ± δ changes the
*number* of accepted steps, L jumps by up to about rtol and the quotient is off by O(rtol/δ):
pass a larger ``step=`` (δ relative to max(1, |x_i|)) then, or use a fixed-step solver.
"""

from __future__ import annotations

import numpy as np

from admodes.ode.solvers import solve

__all__ = ["gradient"]


def gradient(loss, rhs, y0, params, t_span, t_obs, *, rtol=1e-8, atol=1e-8, solver="dopri5",
             step=None, **options):
    """Value and gradient of ``loss(ys, params)`` by central differences of :func:`solve`.

    ``solver`` may be any name :func:`admodes.ode.solve` accepts (scipy's included); other
    options go to it. Returns ``(value, (grad_y0, grad_params))``; see the module docstring for
    the step δ.
    """
    if step is None:
        step = np.finfo(float).eps ** (1.0 / 3.0)
    elif isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0:
        raise ValueError(f"step must be a positive float (relative finite-difference step), "
                         f"got {step!r}")
    n = y0.size

    def objective(x):
        state, p = x[:n], x[n:]
        ys = solve(rhs, state, p, t_span, t_obs, solver=solver, rtol=rtol, atol=atol, **options)
        return float(loss(ys, p))

    x = np.concatenate([y0, params])
    value = objective(x)
    grad = np.empty_like(x)
    for i in range(x.size):
        delta = step * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += delta
        down[i] -= delta
        grad[i] = (objective(up) - objective(down)) / (up[i] - down[i])
    return value, (grad[:n], grad[n:])
