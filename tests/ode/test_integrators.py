"""The admodes integrators: convergence orders, error estimates, tolerances, differentiability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import admodes as ad
import admodes.numpy as anp
from admodes import ode
from admodes.ode.explicit import DOPRI5, EULER, RK4
from admodes.ode.implicit import RODAS4, ROSENBROCK, Rodas4
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


@pytest.mark.parametrize("method, order", [(EULER, 1), (RK4, 4), (DOPRI5, 5), (ROSENBROCK, 2),
                                           (RODAS4, 4)])
def test_global_error_converges_at_the_method_order(method, order):
    steps = np.array([8, 16, 32])
    errors = np.array([_fixed_step_error(method, n) for n in steps])
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (method.name, slope, errors)


@pytest.mark.parametrize("method, order", [(DOPRI5, 5), (ROSENBROCK, 3), (RODAS4, 4)])
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


@pytest.mark.parametrize("solver, factor", [("dopri5", 10.0), ("rosenbrock", 1e3),
                                            ("rodas4", 10.0)])
def test_adaptive_solvers_meet_the_tolerance(solver, factor):
    """Global error within factor·tol·(1 + |y|). The local error per step is controlled to tol;
    the order-2 Rosenbrock method takes ~tol^(-1/3) steps whose errors add up, while the
    order-4 solutions of dopri5 and rodas4 are more accurate than their error estimates."""
    t_obs = np.linspace(0.0, 4.0, 9)
    errors = []
    for tol in (1e-5, 1e-7):
        ys = ode.solve(rhs, Y0, RATES, (0.0, 4.0), t_obs, solver=solver, rtol=tol, atol=tol)
        np.testing.assert_allclose(ys[0], Y0)  # t_obs[0] == t0 observes y0 itself
        truth = exact(t_obs[:, None])
        errors.append(np.abs(ys - truth).max())
        assert np.all(np.abs(ys - truth) <= factor * tol * (1 + np.abs(truth)))
    assert errors[1] < errors[0] / 10  # tolerance proportionality


@pytest.mark.parametrize("solver, error", [("rosenbrock", 1e-4), ("rodas4", 1e-6)])
def test_rosenbrock_methods_solve_stiff_van_der_pol_like_radau(solver, error):
    problem = ode.problems.van_der_pol(mu=1000.0)
    ys = ode.solve(problem.rhs, problem.y0, problem.params, problem.t_span, problem.t_obs,
                   solver=solver, rtol=1e-6, atol=1e-6)
    ref = solve_ivp(lambda t, y: np.asarray(problem.rhs(t, y, problem.params)), problem.t_span,
                    problem.y0, method="Radau", t_eval=problem.t_obs, rtol=1e-11,
                    atol=1e-11).y.T
    assert np.abs(ys - ref).max() < error


def test_rodas4_needs_far_fewer_steps_than_rosenbrock_at_tight_tolerances():
    """Order 4 against order 2 on stiff Van der Pol (μ = 1000) at rtol = atol = 1e-8: about
    four times fewer steps (360 against 1437 when written)."""
    problem = ode.problems.van_der_pol(mu=1000.0)
    steps = {solver: integrate(ode.solvers.integrator(solver), problem.rhs, problem.y0,
                               problem.params, problem.t_span, problem.t_obs, rtol=1e-8,
                               atol=1e-8).n_steps for solver in ("rosenbrock", "rodas4")}
    assert steps["rodas4"] < steps["rosenbrock"] / 3, steps


def _rodas4_standard_form():
    """RODAS4 as a Rosenbrock method k_i = h f(y + Σ α_ij k_j) + h J Σ γ_ij k_j,
    y' = y + Σ b_j k_j (HW II sec. IV.7): the increments are u = Γ k, so Γ = (I/γ − C)⁻¹,
    α = a Γ, b = m Γ with m = (a_61..a_65, 1), and the embedded b̂ = (a_61..a_65, 0) Γ."""
    gamma_matrix = np.linalg.inv(np.eye(6) / Rodas4.gamma - Rodas4.coupling)
    alpha = Rodas4.a @ gamma_matrix
    b = np.append(Rodas4.a[5, :5], 1.0) @ gamma_matrix
    b_hat = Rodas4.a[5] @ gamma_matrix
    return alpha, gamma_matrix, b, b_hat


def _order_conditions(alpha, gamma_matrix, b):
    """Residuals of the eight conditions for order 4, one per rooted tree up to order 4
    (HW II sec. IV.7, with β = α + Γ including the diagonal γ)."""
    beta, one = alpha + gamma_matrix, np.ones(len(b))
    c = alpha @ one
    return np.array([b @ one - 1, b @ beta @ one - 1 / 2,
                     b @ c**2 - 1 / 3, b @ beta @ beta @ one - 1 / 6,
                     b @ c**3 - 1 / 4, b @ (c * (alpha @ beta @ one)) - 1 / 8,
                     b @ beta @ c**2 - 1 / 12, b @ beta @ beta @ beta @ one - 1 / 24])


def test_rodas4_coefficients_satisfy_the_order_conditions():
    """Order 4 (all eight trees), embedded order 3 (the first four only), and the nodes
    c_i = Σ_j α_ij and time weights d_i = Σ_j γ_ij of the step are those of the tableau."""
    alpha, gamma_matrix, b, b_hat = _rodas4_standard_form()
    np.testing.assert_allclose(_order_conditions(alpha, gamma_matrix, b), 0.0, atol=1e-13)
    embedded = _order_conditions(alpha, gamma_matrix, b_hat)
    np.testing.assert_allclose(embedded[:4], 0.0, atol=1e-13)
    assert np.abs(embedded[4:]).max() > 1e-3
    np.testing.assert_allclose(alpha.sum(axis=1), Rodas4.nodes, atol=1e-14)
    np.testing.assert_allclose(gamma_matrix.sum(axis=1), Rodas4.time_weights, atol=1e-14)


def test_rodas4_pair_is_l_stable():
    """R(z) = 1 + z bᵀ (I − z β)⁻¹ 1 (HW II sec. IV.7): |R(iy)| ≤ 1 on the imaginary axis (its
    poles are at 1/γ > 0, so A-stable by the maximum principle) and R(∞) = 1 − bᵀβ⁻¹1 = 0,
    for the method and its embedded solution."""
    alpha, gamma_matrix, b, b_hat = _rodas4_standard_form()
    beta, one = alpha + gamma_matrix, np.ones(6)
    for weights in (b, b_hat):
        ys = np.logspace(-3, 4, 300)
        r = [1 + 1j * y * weights @ np.linalg.solve(np.eye(6) - 1j * y * beta, one) for y in ys]
        assert np.abs(r).max() <= 1 + 1e-12
        assert abs(1 - weights @ np.linalg.solve(beta, one)) < 1e-12


def test_rodas4_step_damps_infinitely_stiff_modes():
    """y' = λ y and a rotating pair y' = (λ ± |λ| i) y: one step of the integrator itself gives
    y₁ = R(hλ) y₀ → 0 as hλ → −∞ (L-stability), like R(z) = O(1/z)."""
    def linear(t, y, params):
        return anp.stack([params[0] * y[0], params[0] * y[1] + params[0] * y[2],
                          -params[0] * y[1] + params[0] * y[2]])
    y0 = np.array([1.0, 1.0, -2.0])
    sizes = [np.abs(RODAS4.step(linear, 0.0, 1.0, y0, np.array([rate]))[0]).max()
             for rate in (-1e6, -1e8)]
    assert sizes[1] < 1e-6
    assert sizes[0] / sizes[1] == pytest.approx(100.0, rel=0.01)


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


@pytest.mark.parametrize("solver", ["rk4", "dopri5", "rosenbrock", "rodas4"])
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
