"""Bad input to admodes.ode raises a clear error naming what was passed and what was expected."""

from __future__ import annotations

import time

import numpy as np
import pytest

import admodes.numpy as anp
from admodes import ode

LV = ode.problems.lotka_volterra()
ARGS = {"loss": LV.loss, "rhs": LV.rhs, "y0": LV.y0, "params": LV.params, "t_span": LV.t_span,
        "t_obs": LV.t_obs}


def _gradient(**changes):
    return ode.gradient(**{**ARGS, **changes})


@pytest.mark.parametrize("changes, error, match", [
    ({"y0": np.ones((2, 1))}, ValueError, r"y0 must be 1-D, got shape \(2, 1\)"),
    ({"y0": np.array([1, 1])}, TypeError, "y0 has int64 dtype"),
    ({"y0": "ab"}, TypeError, "y0 must be a 1-D float array"),
    ({"y0": np.array([1.0, np.nan])}, ValueError, "non-finite"),
    ({"y0": np.ones(3)}, ValueError, r"y0 .*shape \(3,\)"),
    ({"params": np.ones(2)}, ValueError, r"params of shape \(2,\).*lengths rhs expects"),
    ({"rhs": lambda t, y, p: anp.stack([y[0]])}, ValueError, r"returned shape \(1,\)"),
    ({"rhs": lambda t, y, p: [y[0], y[1]]}, TypeError, "returned a list"),
    ({"rhs": 3}, TypeError, "rhs must be callable"),
    ({"t_obs": [1.0, 11.0]}, ValueError, "inside t_span"),
    ({"t_obs": [2.0, 1.0]}, ValueError, "strictly increasing"),
    ({"t_obs": [1.0, 1.0]}, ValueError, "strictly increasing"),
    ({"t_span": (10.0, 0.0)}, ValueError, "t0 < t1"),
    ({"t_span": 10.0}, TypeError, r"pair \(t0, t1\)"),
    ({"loss": lambda ys, p: ys}, ValueError, "must return a scalar"),
    ({"method": "adjoint"}, ValueError, "unknown method 'adjoint'"),
    ({"solver": "RK45"}, ValueError, "solver='RK45' cannot be used with method='discrete'"),
    ({"method": "finite_difference", "solver": "rk5"}, ValueError, "cannot be used"),
    ({"checkpoints": 0}, ValueError, "checkpoints must be a positive int"),
    ({"rtol": -1.0}, ValueError, "must be positive"),
    ({"running": 1.0}, TypeError, "running must be callable"),
    ({"running": lambda t, y, p: y}, ValueError, "running.* must return a scalar"),
    ({"tolerance": 1e-3}, TypeError, "unknown option"),
    ({"max_steps": 0}, ValueError, "max_steps must be a positive int"),
    ({"first_step": -0.1}, ValueError, "first_step must be a positive float"),
])
def test_bad_gradient_input(changes, error, match):
    with pytest.raises(error, match=match):
        _gradient(**changes)


def test_bad_solve_input():
    with pytest.raises(ValueError, match="unknown admodes solver 'rk5'"):
        ode.solve(LV.rhs, LV.y0, LV.params, LV.t_span, LV.t_obs, solver="rk5")
    with pytest.raises(ValueError, match="steps must be a positive int"):
        ode.solve(LV.rhs, LV.y0, LV.params, LV.t_span, LV.t_obs, solver="rk4", steps=0)
    with pytest.raises(TypeError, match="unknown option"):
        ode.solve(LV.rhs, LV.y0, LV.params, LV.t_span, LV.t_obs, solver="rk4", max_steps=3)
    with pytest.raises(TypeError, match="unknown option"):
        ode.solve(LV.rhs, LV.y0, LV.params, LV.t_span, LV.t_obs, solver="Radau", steps=3)


def test_stiff_problem_with_an_explicit_solver_fails_fast_and_suggests_the_fix():
    vdp = ode.problems.van_der_pol(mu=1e6)
    start = time.perf_counter()
    with pytest.raises(ode.StepLimitError, match="solver='rodas4' or 'rosenbrock'.*Radau"):
        ode.gradient(vdp.loss, vdp.rhs, vdp.y0, vdp.params, vdp.t_span, vdp.t_obs,
                     max_steps=300)
    assert time.perf_counter() - start < 10  # generous: a shared, loaded machine
    ys = ode.solve(vdp.rhs, vdp.y0, vdp.params, vdp.t_span, vdp.t_obs[:2], solver="rosenbrock",
                   rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(ys))
