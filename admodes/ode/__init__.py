"""admodes.ode: ODE integrators, sensitivity methods (adjoints) and model problems.

>>> import admodes.ode as ode
>>> p = ode.problems.lotka_volterra()
>>> ys = ode.solve(p.rhs, p.y0, p.params, p.t_span, p.t_obs)              # (10, 2)
>>> value, (g_y0, g_p) = ode.gradient(p.loss, p.rhs, p.y0, p.params, p.t_span, p.t_obs)

``solve`` integrates with admodes' own integrators (``"euler"``, ``"rk4"``, ``"dopri5"``, and
for stiff problems ``"rosenbrock"`` and ``"rodas4"``; written with admodes.numpy, so both
engines differentiate through them) or with scipy's ``solve_ivp`` methods. ``gradient``
computes the value and the gradient of an ODE-constrained loss with respect to (y0, params) by
``method="discrete"`` (reverse mode through the integrator, optional binomial checkpointing),
``"forward"`` (forward sensitivities), ``"backsolve"`` / ``"interpolating"`` (continuous
adjoints) or ``"finite_difference"``. ``odeint`` has ``jax.experimental.ode.odeint``'s call.
"""

from admodes.ode import problems
from admodes.ode.jax_odeint import odeint
from admodes.ode.problems import Problem
from admodes.ode.sensitivity import METHODS, gradient
from admodes.ode.solvers import ADMODES_SOLVERS, SCIPY_SOLVERS, solve
from admodes.ode.stepping import StepLimitError

__all__ = [
    "ADMODES_SOLVERS",
    "METHODS",
    "SCIPY_SOLVERS",
    "Problem",
    "StepLimitError",
    "gradient",
    "odeint",
    "problems",
    "solve",
]
