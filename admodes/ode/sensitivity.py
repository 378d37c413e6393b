"""``gradient``: one entry point for every ODE sensitivity method.

The dispatcher validates the inputs, folds a running cost into the state so that every method
handles it for free, and calls the chosen method with plain float arrays:

* ``"discrete"``: reverse mode through the integrator's steps (:mod:`admodes.ode.discrete`);
* ``"forward"``, ``"backsolve"``, ``"interpolating"``: forward sensitivities and continuous
  adjoints on ``scipy.integrate.solve_ivp`` (:mod:`admodes.ode.continuous`);
* ``"finite_difference"``: central differences of the plain solve
  (:mod:`admodes.ode.finite_difference`).

Running cost (Pontryagin's Lagrange term): L_total = loss(ys, p) + ∫_{t0}^{t1} r(t, y, p) dt
is rewritten as a terminal cost of the augmented state (y, q), q' = r(t, y, p), q(t0) = 0:
L_total = loss(ys, p) + q(t1), with t1 appended to the observation times if needed (Bryson &
Ho, *Applied Optimal Control*, 1975, sec. 2.8; Cao, Li, Petzold, Serban, SIAM J. Sci. Comput.
24(3), 2003, doi:10.1137/S1064827501380630).
"""

from __future__ import annotations

import importlib

import numpy as np

import admodes.numpy as anp
from admodes.ode import _validate
from admodes.ode.solvers import ADMODES_SOLVERS, SCIPY_SOLVERS

__all__ = ["METHODS", "gradient"]

# method name -> (module, function name)
METHODS = {
    "discrete": ("admodes.ode.discrete", "gradient"),
    "forward": ("admodes.ode.continuous", "forward_gradient"),
    "backsolve": ("admodes.ode.continuous", "backsolve_gradient"),
    "interpolating": ("admodes.ode.continuous", "interpolating_gradient"),
    "finite_difference": ("admodes.ode.finite_difference", "gradient"),
}
_SOLVERS_BY_METHOD = {
    "discrete": tuple(ADMODES_SOLVERS),
    "finite_difference": tuple(ADMODES_SOLVERS) + SCIPY_SOLVERS,
    "forward": SCIPY_SOLVERS,
    "backsolve": SCIPY_SOLVERS,
    "interpolating": SCIPY_SOLVERS,
}


def _method_function(method: str):
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    module_name, function = METHODS[method]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise ValueError(f"method {method!r} is not available: its module {module_name} is "
                         f"not installed") from None
    return getattr(module, function)


def _check_solver(method, options):
    solver = options.get("solver")
    if solver is None:
        return
    allowed = _SOLVERS_BY_METHOD[method]
    if solver not in allowed:
        raise ValueError(f"solver={solver!r} cannot be used with method={method!r}; choose one "
                         f"of {list(allowed)}")


def _with_running_cost(loss, rhs, y0, running, t_span, t_obs, params):
    """The augmented problem (rhs, y0, t_obs, loss) carrying q' = r as a last state."""
    _validate.check_loss(lambda y, p: running(t_span[0], y, p), y0, params, "running")
    n, n_obs = y0.size, t_obs.size
    append = t_obs[-1] < t_span[1]
    t_obs_aug = np.append(t_obs, t_span[1]) if append else t_obs

    def rhs_aug(t, y, p):
        state = y[:n]
        return anp.concatenate([rhs(t, state, p), anp.reshape(running(t, state, p), (1,))])

    def loss_aug(ys, p):
        return loss(ys[:n_obs, :n], p) + ys[-1, n]

    return rhs_aug, np.append(y0, 0.0), t_obs_aug, loss_aug


def gradient(loss, rhs, y0, params, t_span, t_obs, method="discrete", rtol=1e-8, atol=1e-8,
             running=None, **options):
    """Value and gradient of an ODE-constrained loss.

    L(y0, p) = loss(ys, p) [+ ∫ running(t, y, p) dt over t_span], where ys[i] = y(t_obs[i]) and
    dy/dt = rhs(t, y, p), y(t0) = y0.

    Parameters
    ----------
    loss : callable
        ``loss(ys, params)`` → scalar, ys of shape (len(t_obs), len(y0)) (admodes.numpy).
    rhs : callable
        ``rhs(t, y, params)`` → dy/dt, shaped like y (admodes.numpy).
    y0, params : 1-D float arrays.
    t_span : (t0, t1), t0 < t1.
    t_obs : strictly increasing times inside t_span.
    method : ``"discrete"`` (default), ``"forward"``, ``"backsolve"``, ``"interpolating"`` or
        ``"finite_difference"``.
    rtol, atol : solver tolerances.
    running : optional ``running(t, y, params)`` → scalar, integrated over t_span.
    **options : passed to the method, e.g. ``solver=`` (admodes names for "discrete", scipy
        names for the continuous methods, either for "finite_difference"), ``checkpoints=``
        ("discrete"), ``steps=``, ``max_steps=``.

    Returns
    -------
    (value, (grad_y0, grad_params)) : a float and two float arrays shaped like y0 and params.
    """
    function = _method_function(method)
    _check_solver(method, options)
    t_span = _validate.check_t_span(t_span)
    t_obs = _validate.check_t_obs(t_obs, t_span)
    rtol, atol = _validate.check_tolerances(rtol, atol)
    y0 = _validate.float_vector(y0, "y0")
    params = _validate.float_vector(params, "params", allow_empty=True)
    _validate.check_rhs(rhs, t_span[0], y0, params)
    _validate.check_loss(loss, np.tile(y0, (t_obs.size, 1)), params)
    if running is None:
        return _call(function, loss, rhs, y0, params, t_span, t_obs, rtol, atol, options)
    if not callable(running):
        raise TypeError(f"running must be callable as running(t, y, params) or None, got "
                        f"{running!r}")
    rhs_aug, y0_aug, t_obs_aug, loss_aug = _with_running_cost(loss, rhs, y0, running, t_span,
                                                              t_obs, params)
    value, (grad_y0, grad_params) = _call(function, loss_aug, rhs_aug, y0_aug, params, t_span,
                                          t_obs_aug, rtol, atol, options)
    return value, (grad_y0[:-1], grad_params)


def _call(function, loss, rhs, y0, params, t_span, t_obs, rtol, atol, options):
    value, (grad_y0, grad_params) = function(loss, rhs, y0, params, t_span, t_obs, rtol=rtol,
                                             atol=atol, **options)
    return float(value), (np.asarray(grad_y0, dtype=float), np.asarray(grad_params, dtype=float))
