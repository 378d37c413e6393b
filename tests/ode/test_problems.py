"""Every model problem is well formed: rhs shape, scalar loss, sizes and stiffness flags."""

from __future__ import annotations

import numpy as np
import pytest

from admodes import ode

PROBLEMS = ode.problems.problems()


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_problem_is_well_formed(name):
    problem = PROBLEMS[name]
    y0, params = problem.y0, problem.params
    assert y0.ndim == params.ndim == 1 and y0.dtype == params.dtype == np.float64
    t0, t1 = problem.t_span
    assert t0 < problem.t_obs[0] and problem.t_obs[-1] <= t1
    assert np.all(np.diff(problem.t_obs) > 0)
    dydt = np.asarray(problem.rhs(t0, y0, params))
    assert dydt.shape == y0.shape and np.all(np.isfinite(dydt))
    value = problem.loss(np.tile(y0, (problem.t_obs.size, 1)), params)
    assert np.shape(value) == () and np.isfinite(value)
    assert problem.description and problem.reference


def test_sizes_and_stiffness():
    assert ode.problems.neural_ode().n_params == 992
    assert ode.problems.neural_ode(dim=4).n_states == 4
    assert ode.problems.heat(12).n_params == ode.problems.heat(12).n_states == 12
    assert ode.problems.heat(100).stiff and not ode.problems.heat(32).stiff
    assert ode.problems.van_der_pol().stiff and not ode.problems.van_der_pol(mu=1.0).stiff
    assert ode.problems.lorenz(t_end=3.0).t_span == (0.0, 3.0)


def test_least_squares_loss_is_small_at_the_data_generating_solution():
    """The data are the solution plus seeded noise: the loss there is about ½·N·σ²."""
    problem = ode.problems.lotka_volterra()
    ys = ode.solve(problem.rhs, problem.y0, problem.params, problem.t_span, problem.t_obs,
                   rtol=1e-10, atol=1e-10)
    n_values = problem.t_obs.size * problem.n_states
    assert problem.loss(ys, problem.params) < 2 * 0.5 * n_values * 0.1**2
    assert problem.loss(ys, problem.params) == ode.problems.lotka_volterra().loss(
        ys, problem.params)  # seeded


@pytest.mark.parametrize("factory, bad", [(ode.problems.heat, 2), (ode.problems.neural_ode, 0),
                                          (ode.problems.van_der_pol, -1.0),
                                          (ode.problems.lorenz, 0.0)])
def test_bad_problem_sizes(factory, bad):
    with pytest.raises(ValueError, match=repr(bad)):
        factory(bad)
