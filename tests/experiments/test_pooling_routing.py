"""The science of pooling_routing on small inputs: max pooling routes each window's cotangent to
its arg-max, average pooling splits it evenly, overlaps accumulate, ties follow the convention,
and forward and reverse mode agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments.pooling_routing as pr

CONFIG = {"length": 16, "size": 8, "geometries": [(2, 2), (3, 1), (2, 3)], "seed": 0,
          "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **pr.measure(p, CONFIG)) for p in pr.points(CONFIG)])


def _select(data, **where):
    return pr.select(data, **where)


def test_points_cover_signals_pools_geometries_and_both_tie_conventions():
    pts = list(pr.points(CONFIG))
    # 3 signals x 2 pools x 3 geometries, plus 'first' for max pooling of the tied map
    assert len(pts) == 3 * 2 * 3 + 3
    assert {p["ties"] for p in pts if p["signal"] == "2d_levels" and p["pool"] == "max"} == \
        {"split", "first"}


def test_inputs_are_seeded_and_only_the_quantized_map_has_ties():
    for signal in pr.SIGNALS:
        np.testing.assert_array_equal(pr.make_signal(signal, CONFIG),
                                      pr.make_signal(signal, CONFIG))
    levels = pr.make_signal("2d_levels", CONFIG)
    assert set(np.unique(levels)) == set(range(pr.LEVELS))
    assert pr.tied_fraction(levels, 2, 2) > 0.3
    assert pr.tied_fraction(pr.make_signal("2d", CONFIG), 2, 2) == 0.0


def test_max_pool_routes_each_window_to_one_entry(data):
    rows = _select(data[data.signal != "2d_levels"], pool="max")
    assert (rows.shares_per_window_min == 1).all() and (rows.shares_per_window_max == 1).all()
    assert (rows.largest_share_min == 1.0).all()
    disjoint = rows[rows.window == rows.stride]  # one receiving input per window
    np.testing.assert_allclose(disjoint.frac_receiving, disjoint.outputs / disjoint.inputs,
                               rtol=1e-15)
    np.testing.assert_allclose(disjoint.frac_receiving, 1 / disjoint.window_size, rtol=1e-15)


def test_avg_pool_splits_evenly_over_every_covered_input(data):
    rows = _select(data, pool="avg")
    assert (rows.shares_per_window_min == rows.window_size).all()
    assert (rows.shares_per_window_max == rows.window_size).all()
    np.testing.assert_allclose(rows.largest_share_max, 1 / rows.window_size, rtol=1e-15)
    np.testing.assert_array_equal(rows.frac_receiving, rows.frac_covered)
    gaps = rows[rows.stride > rows.window]
    assert (gaps.frac_covered < 1).all()  # stride > window: some inputs in no window


def test_overlapping_windows_accumulate(data):
    overlap = _select(data[data.signal == "2d"], window=3, stride=1)
    maxed = overlap[overlap.pool == "max"].iloc[0]
    assert maxed.max_windows_per_input > 1 and maxed.max_gradient_ones > 1
    assert maxed.winners_per_window < 1  # some entry wins several windows
    avg = overlap[overlap.pool == "avg"].iloc[0]
    assert avg.max_windows_per_input == 9  # an interior entry lies in 3 x 3 windows
    assert avg.max_gradient_ones == pytest.approx(1.0)  # 9 windows x 1/9


def test_ties_split_evenly_or_go_to_the_first(data):
    tied = _select(data, signal="2d_levels", pool="max")
    split, first = _select(tied, ties="split"), _select(tied, ties="first")
    assert (split.tied_windows > 0).all()
    assert (split.shares_per_window_max > 1).all() and (split.largest_share_min < 1).all()
    assert (first.shares_per_window_max == 1).all() and (first.largest_share_min == 1).all()
    assert (split.frac_receiving.to_numpy() > first.frac_receiving.to_numpy()).all()


def test_cotangent_is_conserved_and_engines_agree(data):
    assert data.row_sum_error.max() < 1e-15
    assert data.sum_error.max() < 1e-14
    assert data.fwd_rev_diff.max() == 0.0
    assert data.grad_vs_jacfwd.max() < 1e-14


def test_report_writes_figures_and_tables(data, tmp_path):
    result = pr.report(data, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "routing_1d.pdf", "routing_1d.png", "routing_2d.pdf", "routing_2d.png",
        "ties_2d.pdf", "ties_2d.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "routing.csv", "routing.md", "routing.tex"]
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    assert any("exactly one entry" in f for f in result["findings"])
    assert any("Ties" in f for f in result["findings"])
