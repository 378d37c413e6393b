"""The science of curve_fitting on a tiny fit: optimizers reach the least-squares optimum at
their theoretical rates, and forward- and reverse-mode gradients train identically."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import experiments.curve_fitting as cf

CONFIG = {"samples": 24, "noise": 0.1, "steps": 800, "adaptive_lrs": [0.1],
          "tolerances": [1e-2, 1e-4, 1e-8], "curve_points": 200, "repeats": 1,
          "min_time": 0.0, "max_time": 0.05, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **cf.measure(p, CONFIG)) for p in cf.points(CONFIG)])


@pytest.fixture(scope="module")
def problem():
    return cf.make_problem(CONFIG["samples"], CONFIG["noise"], CONFIG["seed"])


def row(data, optimizer, engine="reverse"):
    return data[(data.optimizer == optimizer) & (data.engine == engine)].iloc[0]


def test_points_cover_every_optimizer_and_engine():
    pts = list(cf.points(CONFIG))
    assert {p["optimizer"] for p in pts} == set(cf.OPTIMIZERS)
    assert len(pts) == 2 * (3 + 2 * len(CONFIG["adaptive_lrs"])) + 1
    assert [p["engine"] for p in pts if p["engine"] == cf.SINGLE_PASS] == [cf.SINGLE_PASS]
    assert len({(p["optimizer"], p["learning_rate"], p["engine"]) for p in pts}) == len(pts)


def test_least_squares_optimum_is_the_minimum(problem, data):
    loss = cf.make_loss(problem)
    assert np.linalg.norm(cf.exact_gradient(problem, problem["k_star"])) < 1e-12
    assert float(loss(problem["k_star"])) == pytest.approx(problem["loss_star"], rel=1e-14)
    assert (data.final_loss >= problem["loss_star"] * (1 - 1e-12)).all()
    assert (data.excess_min > -1e-12).all()


def test_engines_compute_the_exact_gradient(data):
    assert data.grad_error.max() < 1e-13


def test_forward_and_reverse_training_agree(data):
    agreement = cf.engine_agreement(data).set_index(["optimizer", "engine"])
    for name in ("gd", "momentum", "nesterov", "adam"):
        assert agreement.loc[(name, "forward"), "param_difference"] < 1e-12
    assert agreement.loc[("gd", cf.SINGLE_PASS), "param_difference"] < 1e-12
    assert len(agreement) == len(data) - len(data[data.engine == "reverse"])


def test_momentum_methods_converge_at_their_theoretical_rates(data, problem):
    for name in ("momentum", "nesterov"):
        r = row(data, name)
        assert r.excess_final < 1e-10 and r.param_error < 1e-5
        assert r.rate_measured == pytest.approx(cf.theory_rate(name, problem), rel=0.02)
    gd = row(data, "gd")
    assert gd.excess_final > 1e3 * row(data, "momentum").excess_final  # κ steps vs √κ
    for tol in CONFIG["tolerances"][1:]:
        assert row(data, "momentum")[f"steps_to_{tol:g}"] < CONFIG["steps"]


def test_gradient_descent_contracts_at_one_minus_one_over_kappa(problem):
    """η = 1/L on a quadratic: the slowest error mode shrinks by exactly 1 − μ/L per step."""
    from admodes import optim

    loss = cf.make_loss(problem)
    _, losses = optim.minimize(loss, np.zeros(cf.DEGREE + 1),
                               optim.sgd(1 / problem["lipschitz"]), 3000)
    excess = (losses - problem["loss_star"]) / problem["loss_star"]
    tail = np.arange(1500, 3000)
    rate = math.exp(0.5 * np.polyfit(tail, np.log(excess[tail]), 1)[0])
    assert rate == pytest.approx(cf.theory_rate("gd", problem), abs=1e-6)


def test_cost_per_step_reverse_is_cheapest_in_flops(data):
    costs = cf.engine_costs(data).set_index("engine")
    assert costs.loc["reverse", "flops_ratio"] <= 3  # cheap gradient: O(C)
    assert costs.loc["reverse", "flops_step"] < costs.loc["forward", "flops_step"] \
        < costs.loc[cf.SINGLE_PASS, "flops_step"]
    # one JVP per pass repeats the primal pass once per parameter
    assert costs.loc[cf.SINGLE_PASS, "flops_step"] >= (cf.DEGREE + 1) * costs.loc[
        cf.SINGLE_PASS, "flops_f"]


def test_input_scaling_condition_numbers(problem):
    kappas = [cf.condition_number(problem["u"], lo, hi) for lo, hi in ((-1, 1), (0, 1), (0, 10))]
    assert kappas[0] < 1e4 and 1e6 < kappas[1] < kappas[2]
    assert kappas[0] == pytest.approx(problem["lipschitz"] / problem["mu"], rel=1e-8)


def test_steps_to_and_measured_rate_helpers():
    excess = np.array([1.0, 0.5, 0.05, 0.2, 0.005, 0.001])
    assert cf.steps_to(excess, 0.1) == 4  # stays below 0.1 from step 4 on
    assert cf.steps_to(excess, 2.0) == 0
    assert math.isnan(cf.steps_to(excess, 1e-4))
    geometric = 0.5 * 0.9 ** (2 * np.arange(400))
    assert cf.measured_rate(geometric) == pytest.approx(0.9, rel=1e-12)
    assert math.isnan(cf.measured_rate(np.ones(50)))


def test_bad_names_raise():
    with pytest.raises(ValueError, match="unknown engine 'sideways'"):
        cf.value_and_grad(lambda k: k, "sideways")
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        cf.make_optimizer("lbfgs", 0.1, 0.9)
    with pytest.raises(ValueError, match="samples must exceed the degree 5"):
        cf.make_problem(4, 0.1, 0)


def test_report_writes_figures_and_tables(data, tmp_path):
    # Two hosts: `b` ran half the optimizers, 10x slower; costs per engine are per host.
    on_b = data["optimizer"].isin(cf.OPTIMIZERS[len(cf.OPTIMIZERS) // 2:]).to_numpy()
    two = data.assign(host=np.where(on_b, "b", "a"), time_step=data["time_step"] * (1 + 9 * on_b))
    result = cf.report(two, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        f"{name}.{ext}" for name in ("loss_curves", "final_fits", "adaptive_learning_rates",
                                     "cost_per_step") for ext in ("pdf", "png"))
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == sorted(
        f"{name}.{ext}" for name in ("optimizers", "engine_cost", "engine_agreement")
        for ext in ("csv", "md", "tex"))
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    assert any("κ(VᵀV)" in f for f in result["findings"])
    assert set(result["summary"].optimizer) == set(cf.OPTIMIZERS)
    costs = result["costs"].set_index(["engine", "host"])
    for engine in ("reverse", "forward"):
        for host, scale in (("a", 1), ("b", 10)):
            rows = data[(data.engine == engine) & ((two.host == host).to_numpy())]
            assert costs.loc[(engine, host), "time_step"] == pytest.approx(
                scale * rows["time_step"].median())
            assert costs.loc[(engine, host), "flops_step"] == rows["flops_step"].iloc[0]
    assert [f.split(":")[0] for f in result["findings"] if "Cost of one gradient" in f] == [
        "On host `a`", "On host `b`"]
