"""``solve``: the plain ODE solve, with admodes integrators or ``scipy.integrate.solve_ivp``.

admodes integrators (``"euler"``, ``"rk4"``, ``"dopri5"``; ``"rosenbrock"`` and ``"rodas4"``
for stiff problems) are written with :mod:`admodes.numpy`, so ``solve`` runs on traced
``y0``/``params`` and both engines differentiate it (reverse mode through it is the discrete
adjoint, taped op by op). scipy's methods (``"RK45"``, ``"DOP853"``, ``"Radau"``, ``"BDF"``,
``"LSODA"``, ``"RK23"``) take plain arrays only; the implicit ones get the Jacobian ∂f/∂y from
the forward engine.
"""

from __future__ import annotations

import numpy as np

from admodes.ode import _validate
from admodes.ode._ivp import SCIPY_SOLVERS
from admodes.ode.explicit import DOPRI5, EULER, RK4
from admodes.ode.implicit import RODAS4, ROSENBROCK
from admodes.ode.stepping import integrate

__all__ = ["ADMODES_SOLVERS", "SCIPY_SOLVERS", "check_options", "integrator", "integrator_options",
           "solve", "solve_scipy"]

ADMODES_SOLVERS = {"euler": EULER, "rk4": RK4, "dopri5": DOPRI5, "rosenbrock": ROSENBROCK,
                   "rodas4": RODAS4}


def integrator(solver: str):
    """The admodes integrator called ``solver``; a clear error for anything else."""
    if not isinstance(solver, str):
        raise TypeError(f"solver must be a string naming a solver, got {solver!r}")
    try:
        return ADMODES_SOLVERS[solver]
    except KeyError:
        hint = (" (a scipy solver: it works with solve and the continuous methods, not here)"
                if solver in SCIPY_SOLVERS else "")
        raise ValueError(f"unknown admodes solver {solver!r}{hint}; choose one of "
                         f"{sorted(ADMODES_SOLVERS)}") from None


def check_options(options, allowed, solver):
    """A TypeError naming any option ``solver`` does not accept."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"solver {solver!r} got unknown option(s) {unknown}; it accepts "
                        f"{sorted(allowed) or 'none'}")


def integrator_options(method) -> tuple:
    """The options :func:`admodes.ode.stepping.integrate` accepts for ``method``."""
    return ("max_steps", "first_step") if method.adaptive else ("steps",)


def solve_scipy(rhs, y0, params, t_span, t_obs, solver, rtol, atol, **options) -> np.ndarray:
    """``solve_ivp`` on plain arrays (the continuous methods' state solve, with their step
    limit and errors); states at ``t_obs`` as an array (len(t_obs), len(y0))."""
    from admodes.ode import continuous  # imports this module's package

    check_options(options, ("max_steps",), solver)
    return continuous.solve(rhs, y0, params, t_span, t_obs, rtol=rtol, atol=atol, solver=solver,
                            **options)


def solve(rhs, y0, params, t_span, t_obs, solver="dopri5", rtol=1e-8, atol=1e-8, **options):
    """States y(t_obs) of dy/dt = rhs(t, y, params), y(t_span[0]) = y0; shape (len(t_obs), n).

    Parameters
    ----------
    rhs : callable
        ``rhs(t, y, params)`` returning dy/dt shaped like ``y`` (written with admodes.numpy).
    y0, params : 1-D float arrays (tracers allowed with admodes solvers).
    t_span : (t0, t1), t0 < t1.
    t_obs : increasing times inside ``t_span``.
    solver : ``"dopri5"`` (default), ``"rk4"``, ``"euler"``, ``"rosenbrock"``, ``"rodas4"`` or a
        scipy name.
    rtol, atol : tolerances of the adaptive solvers.
    **options : ``steps=`` (fixed-step solvers, default 100), ``max_steps=`` (adaptive,
        default 10 000) and ``first_step=`` (admodes' adaptive solvers).

    Raises
    ------
    TypeError, ValueError
        Bad inputs, unknown solver or option.
    StepLimitError
        An adaptive solver ran out of ``max_steps`` (a stiff problem with an explicit solver).
    """
    t_span = _validate.check_t_span(t_span)
    t_obs = _validate.check_t_obs(t_obs, t_span)
    rtol, atol = _validate.check_tolerances(rtol, atol)
    if solver in SCIPY_SOLVERS:
        y0 = _validate.float_vector(y0, "y0")
        params = _validate.float_vector(params, "params", allow_empty=True)
        _validate.check_rhs(rhs, t_span[0], y0, params)
        return solve_scipy(rhs, y0, params, t_span, t_obs, solver, rtol, atol, **options)
    method = integrator(solver)
    y0 = _validate.float_vector(y0, "y0", allow_tracer=True)
    params = _validate.float_vector(params, "params", allow_tracer=True, allow_empty=True)
    _validate.check_rhs(rhs, t_span[0], y0, params)
    check_options(options, integrator_options(method), solver)
    trajectory = integrate(method, rhs, y0, params, t_span, t_obs, rtol=rtol, atol=atol,
                           **options)
    return trajectory.observed()
