"""The admodes integrators: convergence orders, error estimates, tolerances, differentiability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import admodes as ad
import admodes.numpy as anp
from admodes import ode
from admodes.ode.explicit import DOPRI5, EULER, RK4
from admodes.ode.implicit import ROSENBROCK
from admodes.ode.stepping import integrate

RATES = np.array([-0.7, 0.4, 1.3])
Y0 = np.array([1.0, -0.5, 2.0])


def rhs(t, y, params):
    """y' = a ⊙ y cos t: y(t) = y0 ⊙ exp(a sin t) (linear, non-autonomous)."""
    return params * y * anp.cos(t)


def exact(t, y0=Y0, rates=RATES):
    return y0 * np.exp(rates * np.sin(t))


def _fixed_step_error(method, n_steps, t_end=1.0):
    h = t_end / n_steps
    y = Y0
    for n in range(n_steps):
        y = method.step(rhs, n * h, h, y, RATES)[0]
    return np.abs(y - exact(t_end)).max()


@pytest.mark.parametrize("method, order", [(EULER, 1), (RK4, 4), (DOPRI5, 5), (ROSENBROCK, 2)])
def test_global_error_converges_at_the_method_order(method, order):
    steps = np.array([8, 16, 32])
    errors = np.array([_fixed_step_error(method, n) for n in steps])
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (method.name, slope, errors)


@pytest.mark.parametrize("method, order", [(DOPRI5, 5), (ROSENBROCK, 3)])
def test_embedded_error_estimate_is_of_the_next_lower_order(method, order):
    """The local error estimate of one step scales like h^order (order = q + 1)."""
    steps = np.array([0.1, 0.05, 0.025])
    sizes = [np.abs(method.error_estimate(h, method.step(rhs, 0.3, h, Y0, RATES)[1])).max()
             for h in steps]
    slope = np.polyfit(np.log(steps), np.log(sizes), 1)[0]
    assert abs(slope - order) < 0.3, (method.name, slope)


def _local_exact(t0, t, y0):
    return y0 * np.exp(RATES * (np.sin(t) - np.sin(t0)))


def test_dopri5_dense_output_is_fourth_order_and_exact_at_the_ends():
    steps, errors = (0.2, 0.1, 0.05), []
    for h in steps:
        y_new, ks = DOPRI5.step(rhs, 0.3, h, Y0, RATES)
        mid = DOPRI5.interpolate(Y0, h, ks, 0.5)
        errors.append(np.abs(mid - _local_exact(0.3, 0.3 + 0.5 * h, Y0)).max())
        np.testing.assert_allclose(DOPRI5.interpolate(Y0, h, ks, 1.0), y_new, rtol=1e-14)
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope > 4.6  # local error of a 4th-order continuous extension: O(h^5)


def test_dense_output_matches_the_local_solution():
    h = 0.05
    _, ks = DOPRI5.step(rhs, 0.3, h, Y0, RATES)
    for theta in (0.25, 0.5, 0.75):
        np.testing.assert_allclose(DOPRI5.interpolate(Y0, h, ks, theta),
                                   _local_exact(0.3, 0.3 + theta * h, Y0), rtol=1e-9)


@pytest.mark.parametrize("solver, factor", [("dopri5", 10.0), ("rosenbrock", 1e3)])
def test_adaptive_solvers_meet_the_tolerance(solver, factor):
    """Global error within factor·tol·(1 + |y|). The local error per step is controlled to tol;
    the order-2 Rosenbrock method takes ~tol^(-1/3) steps whose errors add up."""
    t_obs = np.linspace(0.0, 4.0, 9)
    errors = []
    for tol in (1e-5, 1e-7):
        ys = ode.solve(rhs, Y0, RATES, (0.0, 4.0), t_obs, solver=solver, rtol=tol, atol=tol)
        np.testing.assert_allclose(ys[0], Y0)  # t_obs[0] == t0 observes y0 itself
        truth = exact(t_obs[:, None])
        errors.append(np.abs(ys - truth).max())
        assert np.all(np.abs(ys - truth) <= factor * tol * (1 + np.abs(truth)))
    assert errors[1] < errors[0] / 10  # tolerance proportionality


def test_rosenbrock_solves_stiff_van_der_pol_like_radau():
    problem = ode.problems.van_der_pol(mu=1000.0)
    ys = ode.solve(problem.rhs, problem.y0, problem.params, problem.t_span, problem.t_obs,
                   solver="rosenbrock", rtol=1e-6, atol=1e-6)
    ref = solve_ivp(lambda t, y: np.asarray(problem.rhs(t, y, problem.params)), problem.t_span,
                    problem.y0, method="Radau", t_eval=problem.t_obs, rtol=1e-11,
                    atol=1e-11).y.T
    assert np.abs(ys - ref).max() < 1e-4


def test_adaptive_step_sequence_and_observations():
    trajectory = integrate(DOPRI5, rhs, Y0, RATES, (0.0, 2.0), [0.5, 1.0, 2.0], rtol=1e-6,
                           atol=1e-6, keep_states=True)
    assert trajectory.times[0] == 0.0 and trajectory.times[-1] == 2.0
    assert np.all(np.diff(trajectory.times) > 0)
    assert len(trajectory.states) == trajectory.n_steps + 1
    assert trajectory.observations[-1] == (trajectory.n_steps, None)  # t1 is a state
    for (n, theta), t in zip(trajectory.observations[:2], (0.5, 1.0)):  # dense, no shortening
        assert theta is not None and 0 < theta < 1
        assert trajectory.times[n] < t < trajectory.times[n + 1]
    landed = integrate(ROSENBROCK, rhs, Y0, RATES, (0.0, 2.0), [0.5, 1.0], rtol=1e-6,
                       atol=1e-6)
    assert all(theta is None for _, theta in landed.observations)
    assert {0.5, 1.0} <= set(landed.times)


def test_fixed_step_grid_includes_observation_times():
    trajectory = integrate(RK4, rhs, Y0, RATES, (0.0, 1.0), [0.33], steps=4)
    assert trajectory.n_steps == 5 and 0.33 in trajectory.times
    assert trajectory.rhs_evaluations == 4 * 5


def test_solve_with_scipy_names_agrees():
    t_obs = np.linspace(0.5, 3.0, 6)
    for solver in ("RK45", "DOP853", "Radau", "BDF", "LSODA"):
        ys = ode.solve(rhs, Y0, RATES, (0.0, 3.0), t_obs, solver=solver, rtol=1e-9, atol=1e-9)
        assert np.abs(ys - exact(t_obs[:, None])).max() < 1e-6, solver


@pytest.mark.parametrize("solver", ["rk4", "dopri5", "rosenbrock"])
def test_both_engines_differentiate_through_a_solve(solver):
    """y(t) = y0 exp(a sin t): ∂y/∂y0 = diag(exp(a sin t)) for the discrete solution too."""
    tol = 1e-7 if solver == "rosenbrock" else 1e-10

    def final(y0, rates):
        return ode.solve(rhs, y0, rates, (0.0, 1.0), [1.0], solver=solver, rtol=tol,
                         atol=tol, **({"steps": 200} if solver == "rk4" else {}))[0]
    jf = ad.jacfwd(final, argnums=0)(Y0, RATES)
    jr = ad.jacrev(final, argnums=0)(Y0, RATES)
    np.testing.assert_allclose(jf, jr, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jf, np.diag(np.exp(RATES * np.sin(1.0))), rtol=1e-4, atol=1e-12)
