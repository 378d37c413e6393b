"""The science of tape_memory on tiny rollouts: the tape grows like T, forward mode does not."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import admodes.numpy as anp
import experiments.tape_memory as tm
from experiments.harness.fitting import loglog_slope
from experiments.harness.memory import traced_peak

CONFIG = {"steps": [16, 32, 64, 128, 256], "dim": 8, "dims": [4, 8, 16, 64], "dim_steps": 16,
          "repeats": 1, "min_time": 0.0, "max_time": 1.0, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return tm.with_ratios(pd.DataFrame([dict(p, **tm.measure(p, CONFIG))
                                        for p in tm.points(CONFIG)]))


@pytest.fixture(scope="module")
def by_steps(data):
    sweep = tm.step_sweep(data, CONFIG)
    assert list(sweep["steps"]) == CONFIG["steps"]
    return sweep


def _slope(sweep, column, axis="steps"):
    return loglog_slope(sweep[axis], sweep[column])["slope"]


def test_points_cover_both_sweeps_once():
    pts = list(tm.points(CONFIG))
    assert len(pts) == len({(p["steps"], p["dim"]) for p in pts}) == 5 + 4 - 1  # (8, 8) is in both
    assert {p["dim"] for p in pts if p["steps"] == CONFIG["dim_steps"]} == {4, 8, 16, 64}


def test_tape_grows_exactly_linearly_in_steps(by_steps):
    for column in ("tape_records", "tape_bytes"):
        per_step = by_steps[column + "_per_step"].iloc[0]
        assert per_step > 0
        constant = by_steps[column] - per_step * by_steps["steps"]
        assert constant.nunique() == 1  # column = constant + per_step·T, exactly
    assert 0.9 <= _slope(by_steps, "tape_bytes") <= 1.1
    assert (by_steps["peak_tape_bytes"] == by_steps["tape_bytes"]).all()  # one tape


def test_reverse_mode_traced_memory_grows_with_steps(by_steps):
    assert 0.8 <= _slope(by_steps, "mem_grad") <= 1.1  # below 1 by a constant offset only
    increments = np.diff(by_steps["mem_grad"]) / np.diff(by_steps["steps"])
    assert increments.min() > 0 and increments.max() / increments.min() < 1.1  # bytes/step
    # it holds at least the residual arrays the meter counts
    assert (by_steps["mem_grad"] >= by_steps["tape_bytes"]).all()


def test_forward_mode_memory_is_constant_in_steps(by_steps):
    assert -0.1 <= _slope(by_steps, "mem_jvp") <= 0.1
    assert -0.1 <= _slope(by_steps, "mem_f") <= 0.1
    assert (by_steps["jvp_tape_records"] == 0).all()
    top = by_steps.iloc[-1]
    assert top["mem_grad"] > 10 * top["mem_jvp"]


def test_checkpointing_every_sqrt_t_steps_grows_like_sqrt_t(by_steps):
    assert list(by_steps["segment"]) == [4, 6, 8, 11, 16]
    assert 0.3 <= _slope(by_steps, "mem_grad_ckpt") <= 0.7
    top = by_steps.iloc[-1]
    assert top["mem_grad_ckpt"] < top["mem_grad"] / 4
    assert (by_steps["ckpt_error"] < 1e-12).all()


def test_checkpointing_costs_one_more_rollout(by_steps):
    extra = by_steps["flops_grad_ckpt"] - by_steps["flops_grad"]
    y = np.ones(CONFIG["dim"])
    _, loss = ad.cost.measure(lambda y: 0.5 * anp.sum(y * y), y)  # after the rollout: not redone
    assert (extra == by_steps["flops_f"] - loss.total_flops).all()


def test_checkpointed_loss_is_the_loss():
    problem = tm.make_problem(8, seed=0)
    plain = tm.make_loss(problem, 10)(problem["r"])
    for segment in (1, 3, 10, 20):
        assert tm.make_loss(problem, 10, segment=segment)(problem["r"]) == plain


def test_residual_bytes_per_step_are_state_sized_arrays(data):
    by_dim = tm.dim_sweep(data, CONFIG)
    arrays = by_dim["tape_bytes_per_step"] / (8 * by_dim["dim"])  # float64 state vectors
    assert arrays.nunique() == 1 and float(arrays.iloc[0]).is_integer()
    assert by_dim["tape_records_per_step"].nunique() == 1


def test_forward_and_reverse_derivatives_agree(data):
    assert data["dot_error"].max() < 1e-12
    assert (data["grad_norm"] > 0).all()


def test_rollout_stays_bounded():
    problem = tm.make_problem(32, seed=0)
    loss = tm.make_loss(problem, 2000)
    value = loss(problem["r"])
    assert np.isfinite(value) and 0 < value < 1e3


def test_traced_peak_sees_numpy_buffers():
    assert traced_peak(lambda: np.ones(10**6)) >= 8 * 10**6
    assert traced_peak(lambda: None) < 10**4
    assert not tracemalloc.is_tracing()


def test_traced_peak_leaves_running_tracing_on():
    tracemalloc.start()
    try:
        assert traced_peak(lambda: np.ones(10**5)) >= 8 * 10**5
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_tape_counts_match_the_meter():
    problem = tm.make_problem(8, seed=0)
    records, nbytes = tm.tape_counts(problem, 3)
    with ad.cost.meter() as m:
        ad.grad(tm.make_loss(problem, 3))(problem["r"])
    assert (records, nbytes) == (m.tape_records, m.tape_bytes)


def test_report_writes_figures_and_tables(data, tmp_path):
    # Two hosts: `b` measured T >= 128, its derivatives 10x slower; `a` the rest.
    on_b = data["steps"] >= 128
    two = data.assign(host=np.where(on_b, "b", "a"), time_grad=data["time_grad"] * (1 + 9 * on_b),
                      time_jvp=data["time_jvp"] * (1 + 9 * on_b))
    result = tm.report(two, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "memory_per_step_vs_dim.pdf", "memory_per_step_vs_dim.png",
        "memory_vs_steps.pdf", "memory_vs_steps.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "memory.csv", "memory.md", "memory.tex", "slopes.csv", "slopes.md", "slopes.tex"]
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    fits = result["fits"]
    steps = fits[fits.versus == "steps"].set_index("quantity")
    assert 0.9 <= steps.loc["tape_bytes", "slope"] <= 1.1
    assert -0.1 <= steps.loc["mem_jvp", "slope"] <= 0.1
    assert any("tape bytes" in f for f in result["findings"])
    assert "\\toprule" in (tmp_path / "tables" / "slopes.tex").read_text()
    # memory pooled over both hosts (the one-host fit); each host's time ratios fitted alone
    single = tm.slopes(tm.step_sweep(data, CONFIG), "steps").set_index("quantity")
    pooled = steps[steps["host"].isna()]
    assert np.allclose(pooled["slope"], single.loc[pooled.index, "slope"], rtol=0, atol=1e-12)
    timed = steps[steps["host"].notna()]
    assert sorted(set(timed["host"])) == ["a", "b"]
    sweep = tm.step_sweep(data, CONFIG)
    for host, rows in (("a", sweep[sweep.steps <= 64]), ("b", sweep[sweep.steps >= 128])):
        fit = timed[timed.host == host].loc["time_grad_ratio", "slope"]
        assert fit == pytest.approx(_slope(rows, "time_grad_ratio"), abs=1e-9)
    assert [f.split(":")[0] for f in result["findings"] if "Time relative" in f] == [
        "On host `a`", "On host `b`"]
