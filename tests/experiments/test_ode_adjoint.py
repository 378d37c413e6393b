"""The science of ode_adjoint on small problems: forward sensitivities cost O(p), adjoints do
not; the methods agree; checkpointing trades stored states for recomputation as revolve says;
backsolve fails on a stiff problem where the interpolating adjoint does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import experiments.ode_adjoint as oa
from admodes.ode import checkpointing
from experiments.harness.fitting import loglog_slope

CONFIG = {
    "cost_sizes": {"neural": [1, 2, 4, 8], "heat": [4, 8]},
    "forward_max_p": {"neural": 1000, "heat": 8},
    "cost_tol": 1e-6, "accuracy_tols": [1e-3, 1e-9],
    "memory": {"dim": 8, "steps": 40, "checkpoints": [0, 2, 5, 10]},
    "vdp_mu": [100.0], "lorenz_t": [1.0], "max_steps": 400, "target_dim": 2, "target_heat": 8,
    "repeats": 1, "min_time": 0.0, "max_time": 1.0, "seed": 0, "threads": 1,
}


@pytest.fixture(scope="module")
def data():
    rows = [dict(p, **oa.measure(p, CONFIG)) for p in oa.points(CONFIG)]
    return oa.with_ratios(pd.DataFrame(rows))


def _part(data, part):
    return data[data.part == part]


def test_points_are_unique_and_cover_every_part():
    pts = list(oa.points(CONFIG))
    keys = {tuple(p[k] for k in oa.KEY_FIELDS) for p in pts}
    assert len(keys) == len(pts)
    assert {p["part"] for p in pts} == {"cost", "accuracy", "memory", "robust", "target"}
    assert not any(p["method"] == "backsolve" and p["problem"] == "heat" for p in pts)


def test_forward_flops_grow_with_p_adjoint_flops_do_not(data):
    neural = _part(data, "cost").query("problem == 'neural'")
    slope = {m: loglog_slope(g["p"], g["flops_ratio"])["slope"]
             for m, g in neural.groupby("method")}
    assert slope["forward"] > 0.8
    for method in ("discrete", "interpolating", "backsolve"):
        assert slope[method] < 0.4, (method, slope)
    top = neural[neural.p == neural.p.max()].set_index("method")
    assert top.loc["forward", "flops"] > 5 * top.loc["discrete", "flops"]
    fits = oa.cost_fits(_part(data, "cost")).set_index(["problem", "method"])
    assert fits.loc[("neural", "forward"), "flops_ratio_slope"] == pytest.approx(
        slope["forward"])


def test_adjoints_overtake_forward_within_the_sweep(data):
    cross = oa.crossovers(_part(data, "cost")).set_index(["problem", "adjoint"])
    for adjoint in ("discrete", "interpolating", "backsolve"):
        row = cross.loc[("neural", adjoint)]
        assert row["flops_forward_over_adjoint_at_max_p"] > 5
        # a crossover is reported exactly when forward wins at the smallest p
        assert np.isnan(row["flops_crossover_p"]) == (
            row["flops_forward_over_adjoint_at_min_p"] > 1)


def test_methods_agree_with_the_reference_at_tight_tolerance(data):
    accuracy = _part(data, "accuracy")
    tight = accuracy[accuracy.tol == 1e-9].set_index("method")["error"]
    loose = accuracy[accuracy.tol == 1e-3].set_index("method")["error"]
    assert (tight < 1e-5).all(), tight
    assert (tight * 100 < loose).all()


def test_checkpointing_trades_states_for_recomputation(data):
    memory = _part(data, "memory")
    discrete = memory[memory.method == "discrete"].sort_values("checkpoints")
    full, checkpointed = discrete.iloc[0], discrete.iloc[1:]
    assert full["checkpoints"] == 0 and full["advances"] == 0
    assert full["max_stored"] == full["steps"] + 1
    assert (checkpointed["max_stored"] <= checkpointed["checkpoints"]).all()
    assert (checkpointed["error"] == 0).all()  # same gradient exactly
    assert (discrete["error"] == 0).all()
    steps = int(full["steps"])
    for _, row in checkpointed.iterrows():
        assert row["revolve_optimum"] == checkpointing.forward_steps(steps,
                                                                     int(row["checkpoints"]))
        assert row["advances"] >= row["revolve_optimum"]
    assert np.all(np.diff(checkpointed["advances"]) < 0)  # more checkpoints, less recomputing
    assert np.all(np.diff(checkpointed["rhs_calls"]) < 0)
    assert (checkpointed["rhs_calls"] > full["rhs_calls"]).all()


def test_backsolve_fails_on_stiff_van_der_pol_interpolating_does_not(data):
    vdp = _part(data, "robust").query("problem == 'vdp'").set_index(["method", "solver"])
    assert vdp.loc[("backsolve", "RK45"), "status"] != "ok"
    assert vdp.loc[("interpolating", "Radau"), "status"] == "ok"
    assert vdp.loc[("interpolating", "Radau"), "error"] < 1e-3
    assert vdp.loc[("forward", "Radau"), "error"] < 1e-3


def test_target_rows_measure_time_ratios_and_accuracy(data):
    heat = _part(data, "target").query("problem == 'heat'")
    assert sorted(zip(heat["solver_used"], heat["tol"])) == sorted(oa.HEAT_TARGETS)
    assert (heat["method"] == "interpolating").all()
    assert np.all(np.isfinite(heat["time_ratio"])) and (heat["time_ratio"] > 0).all()
    tight = heat.query("tol == 1e-8")["error"].iloc[0]
    assert tight < heat.query("tol == 1e-6 and solver_used == 'Radau'")["error"].iloc[0]
    assert tight < 1e-6
    target = _part(data, "target").query("problem == 'neural'").set_index("method")
    for method in ("discrete", "interpolating", "backsolve"):
        ratio = target.loc[method, "time_ratio"]  # measured: only that it was, not its size
        assert np.isfinite(ratio) and ratio > 0
        assert target.loc[method, "error"] < 1e-3
    peer = target.loc[oa.PEER]
    assert peer["status"] in ("ok", "not installed")
    if peer["status"] == "ok":
        assert peer["error"] < 1e-3


def test_neural_targets_are_the_least_squares_data():
    problem = oa.build("neural", 3)
    targets = oa.neural_targets(problem)
    assert targets.shape == (len(problem.t_obs), 3)
    assert float(problem.loss(targets, problem.params)) == 0.0


def test_relative_error_and_counted_rhs():
    assert oa.relative_error(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == 1.0
    assert oa.relative_error(np.array([np.nan]), np.array([1.0])) == np.inf
    problem = oa.build("lotka_volterra", 0)
    counted = oa.CountedRHS(problem.rhs)
    counted(0.0, problem.y0, problem.params)
    ad.grad(lambda y: counted(0.0, y, problem.params)[0])(problem.y0)
    assert counted.calls == 2


def test_unknown_problem_and_part_raise():
    with pytest.raises(ValueError, match="unknown problem 'nope'"):
        oa.build("nope", 1)
    point = dict(next(iter(oa.points(CONFIG))), part="nope")
    with pytest.raises(ValueError, match="unknown part 'nope'"):
        oa.measure(point, CONFIG)


def test_report_writes_figures_tables_and_findings(data, tmp_path):
    # Two hosts: `a` ran forward sensitivities and the discrete adjoint, `b` the continuous
    # adjoints 10x slower; a time crossover needs both methods' points from one host.
    on_b = data["method"].isin(["interpolating", "backsolve"]).to_numpy()
    two = data.assign(host=np.where(on_b, "b", "a"), time=data["time"] * (1 + 9 * on_b))
    result = oa.report(two, tmp_path, CONFIG)
    figures = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert figures == sorted(f"{stem}.{ext}" for stem in (
        "cost_vs_p", "accuracy_vs_tol", "memory_vs_checkpoints", "stiff_and_chaotic")
        for ext in ("pdf", "png"))
    tables = {p.stem for p in (tmp_path / "tables").iterdir()}
    assert tables == {"cost", "slopes", "crossover", "accuracy", "memory", "robust",
                      "targets"}
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    text = " ".join(result["findings"])
    for phrase in ("Crossover", "Checkpointing", "Van der Pol", "Target (neural ODE",
                   "Target (heat equation, p = 8, Radau, 1e-08)"):
        assert phrase in text
    slopes = pd.read_csv(tmp_path / "tables" / "slopes.csv")
    assert dict(zip(slopes["method"], slopes["host"])) == {
        "forward": "a", "discrete": "a", "interpolating": "b", "backsolve": "b"}
    cross = pd.read_csv(tmp_path / "tables" / "crossover.csv").set_index(["problem", "adjoint"])
    single = oa.crossovers(_part(data, "cost")).set_index(["problem", "adjoint"])
    assert np.allclose(cross["flops_crossover_p"], single.loc[cross.index, "flops_crossover_p"],
                       equal_nan=True)  # FLOPs pooled over both hosts
    assert cross.loc[("neural", "discrete"), "host"] == "a"
    assert cross.loc[("neural", "discrete"), "time_forward_over_adjoint_at_max_p"] == \
        pytest.approx(single.loc[("neural", "discrete"), "time_forward_over_adjoint_at_max_p"])
    across = cross.loc[("neural", "interpolating")]  # forward on `a`, adjoint on `b`
    assert pd.isna(across["host"]) and pd.isna(across["time_crossover_p"])
    assert any("interpolating adjoint overtakes forward sensitivities at n/a" in f
               for f in result["findings"])
