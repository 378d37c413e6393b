"""The science of scalar_loss on a tiny deterministic grid: ∇L costs O(C) reverse, O(nC) forward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import experiments.scalar_loss as sl
from experiments.harness.costs import with_cost_ratios
from experiments.harness.fitting import loglog_slope

CONFIG = {"widths": [1, 2, 4, 8], "max_n_forward": 10**6, "repeats": 1, "min_time": 0.0,
          "max_time": 1.0, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return with_cost_ratios(pd.DataFrame([dict(p, **sl.measure(p, CONFIG))
                                        for p in sl.points(CONFIG)]))


def _slope(data, method, column="flops_ratio"):
    sub = data[data.method == method]
    assert sub["n"].nunique() == len(CONFIG["widths"])
    return loglog_slope(sub["n"], sub[column])["slope"]


def test_parameters_are_one_flat_vector_of_the_family_size():
    for width in (1, 3, 10):
        loss, theta = sl.make_loss(width, seed=0)
        assert theta.shape == (sl.parameter_count(width),) == (width**2 + 8 * width + 2,)
        assert np.ndim(loss(theta)) == 0


def test_loss_flops_are_proportional_to_n(data):
    grad_rows = data[data.method == "grad"]
    assert 0.9 <= loglog_slope(grad_rows["n"], grad_rows["flops_f"])["slope"] <= 1.1


def test_reverse_mode_gradient_cost_is_flat_in_n(data):
    assert -0.1 <= _slope(data, "grad") <= 0.1
    ratios = data[data.method == "grad"]["flops_ratio"]
    assert ratios.between(2, 5).all()  # the cheap gradient principle, ω ≈ 3
    # the recorded program does not depend on n: the same ops at every width
    assert data[data.method == "grad"]["ops"].nunique() == 1


@pytest.mark.parametrize("method", ["jacfwd_1", "jacfwd_vec", "fd"])
def test_forward_mode_and_differences_grow_like_n(data, method):
    assert 0.9 <= _slope(data, method) <= 1.1


def test_one_direction_per_pass_makes_n_passes(data):
    fwd = data[data.method == "jacfwd_1"].sort_values("n")
    assert 0.95 <= loglog_slope(fwd["n"], fwd["ops"])["slope"] <= 1.05
    assert (fwd["flops_ratio"] > fwd["n"]).all()  # each JVP costs more than one L


def test_gradients_agree_with_reverse_mode(data):
    assert data[data.method.isin(["jacfwd_1", "jacfwd_vec"])]["max_abs_error"].max() < 1e-12
    assert data[data.method == "grad"]["max_abs_error"].max() == 0
    fd = data[data.method == "fd"]["max_abs_error"]
    assert 0 < fd.max() < 1e-6


def test_vector_mode_over_several_chunks_is_exact():
    width = 13  # n = 275 > CHUNK: two passes
    loss, theta = sl.make_loss(width, seed=1)
    assert theta.shape[0] > sl.CHUNK
    np.testing.assert_allclose(sl.gradient_method("jacfwd_vec", loss)(theta),
                               ad.grad(loss)(theta), rtol=0, atol=1e-13)


def test_counters_are_deterministic(data):
    point = {"n": sl.parameter_count(4), "width": 4, "method": "jacfwd_vec"}
    again = sl.measure(point, CONFIG)
    row = data[(data.n == point["n"]) & (data.method == "jacfwd_vec")].iloc[0]
    for key in ("flops", "ops", "flops_f", "ops_f"):
        assert again[key] == row[key]


def test_points_stop_forward_mode_at_max_n():
    config = dict(CONFIG, widths=[1, 30], max_n_forward=100)
    methods = {(p["width"], p["method"]) for p in sl.points(config)}
    assert methods == {(1, m) for m in sl.METHODS} | {(30, "grad")}


def test_report_writes_figures_and_tables(data, tmp_path):
    result = sl.report(data, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "gradient_cost_vs_n.pdf", "gradient_cost_vs_n.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "ratios.csv", "ratios.md", "ratios.tex", "slopes.csv", "slopes.md", "slopes.tex"]
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    assert [stem for _, stem in result["figures"]] == ["gradient_cost_vs_n"]
    assert "\\toprule" in (tmp_path / "tables" / "slopes.tex").read_text()
    fits = result["fits"].set_index("method")
    assert set(fits.index) == set(sl.METHODS)
    assert f"reverse mode slope {fits.loc['grad', 'flops_ratio_slope']:.2f}" in \
        result["findings"][0]
    assert result["setup"]
