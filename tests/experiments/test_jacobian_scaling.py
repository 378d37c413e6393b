"""The science of jacobian_scaling on a tiny deterministic grid: forward O(nC), reverse O(mC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments.jacobian_scaling as js
from experiments.harness.fitting import loglog_slope

CONFIG = {"sizes": {"dense": [8, 32, 128], "elementwise": [8, 32]}, "repeats": 1,
          "min_time": 0.0, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **js.measure(p, CONFIG)) for p in js.points(CONFIG)])


def _ratio_slope(data, method):
    dense = data[(data.family == "dense") & (data.m == data.m.min()) & (data.method == method)]
    assert dense["n"].nunique() == 3
    return loglog_slope(dense["n"], dense["flops"] / dense["flops_f"])["slope"]


def test_forward_one_direction_per_pass_grows_like_n(data):
    assert 0.9 <= _ratio_slope(data, "jacfwd_1") <= 1.1


def test_reverse_one_row_per_sweep_is_flat_in_n(data):
    assert -0.1 <= _ratio_slope(data, "jacrev_1") <= 0.1


def test_jacobians_agree(data):
    ad_methods = data[data.method != "fd"]
    assert ad_methods["max_abs_error"].max() < 1e-10
    assert data[data.method == "fd"]["max_abs_error"].max() < 1e-6


def test_counters_are_deterministic(data):
    point = {"family": "dense", "n": 32, "m": 8, "method": "jacrev_vec"}
    again = js.measure(point, CONFIG)
    row = data[(data.family == "dense") & (data.n == 32) & (data.m == 8)
               & (data.method == "jacrev_vec")].iloc[0]
    for key in ("flops", "ops", "flops_f", "ops_f"):
        assert again[key] == row[key]


def test_report_writes_figures_and_tables(data, tmp_path):
    result = js.report(data, tmp_path, CONFIG)
    for stem in ("cost_vs_n", "cost_vs_m", "crossover_heatmap"):
        for ext in ("pdf", "png"):
            assert (tmp_path / "figures" / f"{stem}.{ext}").stat().st_size > 0
    for stem in ("slopes", "crossovers", "ratios"):
        for ext in ("csv", "tex", "md"):
            assert (tmp_path / "tables" / f"{stem}.{ext}").stat().st_size > 0
    assert {stem for _, stem in result["figures"]} == {"cost_vs_n", "cost_vs_m",
                                                       "crossover_heatmap"}
    assert result["findings"] and result["setup"]
    assert "\\toprule" in (tmp_path / "tables" / "slopes.tex").read_text()


def test_report_fits_time_per_host_and_pools_flops(data, tmp_path):
    # Two hosts: `a` measured the dense family, `b` the elementwise one, its Jacobians 10x slower.
    on_b = (data["family"] == "elementwise").to_numpy()
    two = data.assign(host=np.where(on_b, "b", "a"), time=data["time"] * (1 + 9 * on_b))
    result = js.report(two, tmp_path, CONFIG)
    fits = result["fits"]
    assert (fits["host"] == np.where(fits["family"] == "elementwise", "b", "a")).all()
    single = js.slopes(js.with_cost_ratios(data))
    for column in ("flops_ratio_slope", "time_ratio_slope"):  # a constant factor: same slope
        np.testing.assert_allclose(fits[column], single[column], atol=1e-9)
    assert "host" in (tmp_path / "tables" / "slopes.csv").read_text().splitlines()[0]
    assert [f.split(":")[0] for f in result["findings"] if "Wall-time" in f] == ["On host `a`"]
    assert "wall time only where both points ran on one host" in result["figures"][2][0]


def test_time_ratios_across_rows_need_one_host(data):
    dense = js.with_cost_ratios(data[data.family == "dense"])
    split = dense.assign(host=np.where(dense["method"] == "jacfwd_vec", "a", "b"))
    assert js._forward_over_reverse(split, "time").isna().all().all()
    flops = js._forward_over_reverse(split, "flops")
    np.testing.assert_allclose(flops, js._forward_over_reverse(dense, "flops"))
    assert flops.notna().all().all()
    cross = js._crossovers(split)
    assert cross["crossover_n_time"].isna().all() and cross["crossover_n_flops"].notna().any()
