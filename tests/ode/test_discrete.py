"""The discrete adjoint is reverse mode through the integrator: exact for the discrete solution."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import admodes as ad
from admodes import ode
from admodes.ode import discrete
from admodes.ode.checkpointing import forward_steps
from admodes.ode.implicit import RODAS4
from admodes.ode.stepping import integrate

PENDULUM = ode.problems.damped_pendulum()
NEURAL = ode.problems.neural_ode(dim=4, seed=1)
STIFF_VDP = ode.problems.van_der_pol(mu=1000.0)
OPTIONS = {"euler": {"steps": 300}, "rk4": {"steps": 40}, "dopri5": {}, "rosenbrock": {},
           "rodas4": {}}
TOLERANCE = {"euler": 1e-6, "rk4": 1e-6, "dopri5": 1e-6, "rosenbrock": 1e-4,  # fewer steps
             "rodas4": 1e-6}


def _taped_gradient(problem, solver, tol):
    """ad.grad of the loss of a solve taped op by op (the reference reverse-mode result)."""
    def objective(y0, params):
        ys = ode.solve(problem.rhs, y0, params, problem.t_span, problem.t_obs, solver=solver,
                       rtol=tol, atol=tol, **OPTIONS[solver])
        return problem.loss(ys, params)
    return ad.value_and_grad(objective, argnums=(0, 1))(problem.y0, problem.params)


def _close(a, b, rtol):
    scale = max(np.abs(b).max(), 1e-300)
    return np.abs(a - b).max() <= rtol * scale


@pytest.mark.parametrize("problem, solver", [
    *((problem, solver) for problem in (PENDULUM, NEURAL) for solver in sorted(OPTIONS)),
    (STIFF_VDP, "rosenbrock"), (STIFF_VDP, "rodas4")], ids=lambda x: getattr(x, "name", x))
def test_discrete_adjoint_equals_reverse_mode_through_the_solve(problem, solver):
    tol = TOLERANCE[solver]
    value, (g_y0, g_params) = _taped_gradient(problem, solver, tol)
    result = discrete.adjoint(problem.loss, problem.rhs, problem.y0, problem.params,
                              problem.t_span, problem.t_obs, rtol=tol, atol=tol, solver=solver,
                              **OPTIONS[solver])
    assert result.value == pytest.approx(float(value), rel=1e-14)
    assert _close(result.grad_y0, g_y0, 1e-12) and _close(result.grad_params, g_params, 1e-12)


def test_discrete_adjoint_equals_finite_differences_of_the_discrete_solution():
    args = (PENDULUM.loss, PENDULUM.rhs, PENDULUM.y0, PENDULUM.params, PENDULUM.t_span,
            PENDULUM.t_obs)
    _, (g_y0, g_p) = ode.gradient(*args, method="discrete", solver="rk4", steps=60)
    _, (f_y0, f_p) = ode.gradient(*args, method="finite_difference", solver="rk4", steps=60)
    assert _close(g_y0, f_y0, 1e-7) and _close(g_p, f_p, 1e-7)


def test_rodas4_discrete_adjoint_is_the_derivative_of_its_stiff_solution():
    """Stiff Van der Pol (μ = 1000): the discrete adjoint through rodas4 equals central
    differences of the discrete solution with the accepted step sequence held fixed (what the
    adjoint differentiates; a new adaptive solve per perturbation would also move the steps)."""
    vdp = STIFF_VDP
    result = discrete.adjoint(vdp.loss, vdp.rhs, vdp.y0, vdp.params, vdp.t_span, vdp.t_obs,
                              rtol=1e-6, atol=1e-6, solver="rodas4")
    times = integrate(RODAS4, vdp.rhs, vdp.y0, vdp.params, vdp.t_span, vdp.t_obs, rtol=1e-6,
                      atol=1e-6).times
    assert result.steps == len(times) - 1 > 20

    def loss_on_fixed_steps(x):
        y, params, ys = x[:2], x[2:], []
        for t, t_next in itertools.pairwise(times):
            y = RODAS4.step(vdp.rhs, t, t_next - t, y, params)[0]
            if np.any(np.isclose(t_next, vdp.t_obs, rtol=0.0, atol=1e-14)):
                ys.append(y)
        return float(vdp.loss(np.stack(ys), params))

    x = np.concatenate([vdp.y0, vdp.params])
    deltas = 1e-6 * np.maximum(1.0, np.abs(x))
    differences = [(loss_on_fixed_steps(x + d * e) - loss_on_fixed_steps(x - d * e)) / (2 * d)
                   for d, e in zip(deltas, np.eye(3))]
    assert _close(np.concatenate([result.grad_y0, result.grad_params]), differences, 1e-8)


def test_tight_tolerance_gradient_approaches_the_true_gradient():
    """Discrete gradients of dopri5 at decreasing tolerance converge to the same limit."""
    args = (PENDULUM.loss, PENDULUM.rhs, PENDULUM.y0, PENDULUM.params, PENDULUM.t_span,
            PENDULUM.t_obs)
    grads = [np.concatenate(ode.gradient(*args, rtol=tol, atol=tol)[1])
             for tol in (1e-4, 1e-7, 1e-10)]
    assert np.abs(grads[1] - grads[2]).max() < np.abs(grads[0] - grads[2]).max() / 30
    assert _close(grads[1], grads[2], 1e-4)


@pytest.mark.parametrize("solver", ["dopri5", "rosenbrock", "rodas4"])
@pytest.mark.parametrize("checkpoints", [1, 2, 4, 1000])
def test_checkpointed_equals_stored_and_recomputes_as_revolve_predicts(solver, checkpoints):
    args = (NEURAL.loss, NEURAL.rhs, NEURAL.y0, NEURAL.params, NEURAL.t_span, NEURAL.t_obs)
    full = discrete.adjoint(*args, rtol=1e-7, atol=1e-7, solver=solver)
    saved = discrete.adjoint(*args, rtol=1e-7, atol=1e-7, solver=solver,
                             checkpoints=checkpoints)
    assert saved.steps == full.steps > 3
    np.testing.assert_allclose(saved.grad_y0, full.grad_y0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(saved.grad_params, full.grad_params, rtol=1e-12, atol=1e-14)
    assert saved.value == full.value
    assert saved.advances == forward_steps(full.steps, checkpoints)
    assert saved.max_stored == min(checkpoints, full.steps)
    assert full.advances == 0 and full.max_stored == full.steps + 1


def test_discrete_adjoint_runs_under_the_cost_meter():
    args = (NEURAL.loss, NEURAL.rhs, NEURAL.y0, NEURAL.params, NEURAL.t_span, NEURAL.t_obs)
    plain = ode.gradient(*args)
    with ad.cost.meter() as meter:
        metered = ode.gradient(*args)
    assert metered[0] == plain[0]
    np.testing.assert_array_equal(metered[1][1], plain[1][1])
    summary = meter.summary()
    assert summary["ops_primal"] > 0 and summary["ops_vjp"] > 0 and summary["tape_records"] > 0
    # one stage is taped at a time: the peak tape is a single evaluation of rhs
    assert summary["peak_tape_bytes"] < summary["tape_bytes"] / 10


def test_observation_at_t0_and_dense_observations():
    """An observation at t0 contributes ∂L/∂y(t0) = ∂L/∂ys[0] directly to grad_y0."""
    t_obs = np.array([0.0, 0.37, 1.0])
    args = (NEURAL.rhs, NEURAL.y0, NEURAL.params, NEURAL.t_span, t_obs)

    def loss(ys, params):
        return ad.numpy.sum(ys[0] * ys[1]) + ad.numpy.sum(ys[2] ** 2)

    _, (g_y0, g_p) = ode.gradient(loss, *args, rtol=1e-6, atol=1e-6)
    _, (t_y0, t_p) = ad.value_and_grad(
        lambda y0, p: loss(ode.solve(NEURAL.rhs, y0, p, NEURAL.t_span, t_obs, rtol=1e-6,
                                     atol=1e-6), p), argnums=(0, 1))(NEURAL.y0, NEURAL.params)
    assert _close(g_y0, t_y0, 1e-10) and _close(g_p, t_p, 1e-10)


def test_forward_mode_over_the_discrete_adjoint_gives_hessian_vector_products():
    """The adjoint sweep is itself written with registry ops, so it nests: jvp of the
    discrete gradient = (Hessian of the taped discrete loss) · v."""
    problem = ode.problems.neural_ode(dim=2, seed=3)

    def loss_of(params):
        ys = ode.solve(problem.rhs, problem.y0, params, problem.t_span, problem.t_obs,
                       rtol=1e-6, atol=1e-6)
        return problem.loss(ys, params)

    def gradient_of(params):
        return discrete.adjoint(problem.loss, problem.rhs, problem.y0, params, problem.t_span,
                                problem.t_obs, rtol=1e-6, atol=1e-6).grad_params

    v = np.linspace(-1.0, 1.0, problem.n_params)
    _, hv = ad.jvp(gradient_of, (problem.params,), (v,))
    expected = ad.hessian(loss_of)(problem.params) @ v
    np.testing.assert_allclose(hv, expected, rtol=1e-10, atol=1e-12)
