"""The science of ode_parameter_fit on a small data set: L-BFGS-B with the adjoint gradient
recovers the Lotka-Volterra rates within their standard errors; Adam lowers the loss."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import experiments.ode_parameter_fit as pf
from admodes.ode import problems

CONFIG = {"optimizers": ["lbfgs", "adam"], "methods": ["discrete"], "observations": 12,
          "noise": 0.1, "start_spread": 0.3, "adam_steps": 8, "learning_rate": 0.05,
          "lbfgs_max_iter": 40, "rtol": 1e-6, "atol": 1e-6, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **pf.measure(p, CONFIG)) for p in pf.points(CONFIG)])


def test_lbfgs_recovers_the_rates_within_noise(data):
    run = data.set_index("optimizer").loc["lbfgs"]
    for name in pf.PARAM_NAMES:
        assert abs(run[f"{name}_z"]) < 3, (name, run[f"{name}_fit"], run[f"{name}_se"])
        assert run[f"{name}_se"] < 0.1 * run[f"{name}_true"]
    # at the optimum the residual variance estimates the noise variance
    assert 0.5 < run["residual_variance"] / run["noise_variance"] < 2
    assert run["loss_final"] < 0.01 * run["loss_start"]


def test_adam_lowers_the_loss_and_counts_one_gradient_per_step(data):
    run = data.set_index("optimizer").loc["adam"]
    losses = json.loads(run["losses"])
    assert run["evaluations"] == len(losses) == CONFIG["adam_steps"]
    assert losses[-1] < losses[0]


def test_observations_are_seeded_noisy_states():
    problem = problems.lotka_volterra()
    t, clean, noisy = pf.observations(problem, 10, 0.1, seed=0)
    assert t.shape == (10,) and clean.shape == noisy.shape == (10, 2)
    assert t[-1] == problem.t_span[1] and t[0] > problem.t_span[0]
    _, _, again = pf.observations(problem, 10, 0.1, seed=0)
    np.testing.assert_array_equal(noisy, again)
    assert 0.03 < np.std(noisy - clean) < 0.3


def test_objective_gradient_matches_central_differences():
    problem = problems.lotka_volterra()
    t, _, noisy = pf.observations(problem, 8, 0.1, seed=0)
    objective = pf.Objective(problem, t, noisy, "discrete", 1e-9, 1e-9)
    theta = np.log(problem.params) + 0.1
    value, grad = objective.value_and_grad(theta)
    assert value == pytest.approx(objective(theta), rel=1e-7)
    h = 1e-5
    fd = [(objective(theta + h * e) - objective(theta - h * e)) / (2 * h)
          for e in np.eye(theta.size)]
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-8)
    assert objective.evaluations == 1


def test_unknown_optimizer_raises():
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'lbfgs', got 'sgd'"):
        pf.measure({"optimizer": "sgd", "method": "discrete"}, CONFIG)


def test_report_writes_figures_and_tables(data, tmp_path):
    two = data.assign(host=np.where(data["optimizer"] == "adam", "b", "a"))  # two hosts
    result = pf.report(two, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "fitted_trajectories.pdf", "fitted_trajectories.png", "loss_curves.pdf",
        "loss_curves.png"]
    assert {p.stem for p in (tmp_path / "tables").iterdir()} == {"parameters", "runs"}
    assert len(result["findings"]) == len(data) + 1
    # each run's time is named by the host that measured it
    assert [f.split(":")[0] for f in result["findings"][:-1]] == [
        f"On host `{h}`" for h in two["host"]]
    runs = pd.read_csv(tmp_path / "tables" / "runs.csv")
    assert runs["host"].tolist() == two["host"].tolist()
