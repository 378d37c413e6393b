"""The science of subgradients on small inputs: each mode returns the convention in force at a
kink and both agree; the convention changes a training run exactly where kinks are visited."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import admodes.numpy as anp
import experiments.subgradients as sg
from admodes import nn

CONFIG = {"epsilons": [1e-2, 1e-4, 1e-6], "train_eps": 1e-4, "inputs": 3, "hidden": 8,
          "examples": 32, "steps": 40, "learning_rate": 0.1, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    rows = pd.DataFrame([dict(p, **sg.measure(p, CONFIG)) for p in sg.points(CONFIG)])
    assert list(rows.columns) == list(sg.KEY_FIELDS) + list(sg.COLUMNS)  # one schema
    return rows


@pytest.fixture(scope="module")
def kinks(data):
    return data[data.part == "kink"].set_index(["case", "convention"])


@pytest.fixture(scope="module")
def summary(data):
    return sg.training_summary(data[data.part == "train"]).set_index(["setup", "convention"])


def test_points_cover_every_case_convention_and_setup():
    pts = list(sg.points(CONFIG))
    kink = [p for p in pts if p["part"] == "kink"]
    train = [p for p in pts if p["part"] == "train"]
    assert len(kink) == 3 * 3 + 2 * 2 + 2 * len(CONFIG["epsilons"])
    assert len(train) == len(sg.SETUPS) * 4
    assert len({tuple(p.values()) for p in pts}) == len(pts)


@pytest.mark.parametrize("case", ["relu", "abs"])
@pytest.mark.parametrize("convention", sg.RELU_CONVENTIONS)
def test_derivative_at_zero_is_the_convention_in_both_modes(kinks, case, convention):
    row = kinks.loc[(case, convention)]
    assert row.derivative_fwd == row.derivative_rev == float(convention)
    assert row.fwd_rev_diff == 0.0


@pytest.mark.parametrize("convention", sg.RELU_CONVENTIONS)
def test_chain_rule_through_subgradients_can_leave_the_subdifferential(kinks, convention):
    """relu(z) − relu(−z) = z, yet AD returns 2·relu'(0) at 0 (Kakade & Lee 2018)."""
    row = kinks.loc[("relu(z) - relu(-z)", convention)]
    assert row.derivative_fwd == row.derivative_rev == 2 * float(convention)


@pytest.mark.parametrize("case", ["maximum(z, 0)", "max"])
def test_ties_split_evenly_or_go_to_the_first(kinks, case):
    assert kinks.loc[(case, "split")].derivative_fwd == 0.5
    assert kinks.loc[(case, "first")].derivative_fwd == 1.0
    assert kinks.loc[case].fwd_rev_diff.max() == 0.0


def test_max_tie_gradient_sums_to_one():
    for ties, expected in (("split", [0.5, 0.5, 0.0]), ("first", [1.0, 0.0, 0.0])):
        with ad.conventions.use(ties=ties):
            np.testing.assert_array_equal(ad.grad(anp.max)(sg.TIE_POINT), expected)


@pytest.mark.parametrize("case, derivative, scale", [("relu", 0.5, 0.5), ("abs", 0.0, 1.0)])
def test_smooth_surrogates_pick_the_midpoint_and_converge_like_sqrt_eps(kinks, case,
                                                                       derivative, scale):
    for eps in CONFIG["epsilons"]:
        row = kinks.loc[(case, sg.smooth_label(eps))]
        assert row.derivative_fwd == pytest.approx(derivative, abs=1e-15)
        assert row.derivative_rev == pytest.approx(derivative, abs=1e-15)
        assert row.approx_error == pytest.approx(scale * np.sqrt(eps), rel=1e-9)


def test_zero_init_with_relu_prime_zero_kills_every_unit(summary):
    hidden = CONFIG["hidden"]
    dead = summary.loc[("zero_init", "0")]
    assert dead.kinks_initial == 1.0
    assert dead.dead_initial == dead.dead_final == hidden
    for convention in ("0.5", "1", sg.smooth_label(CONFIG["train_eps"])):
        alive = summary.loc[("zero_init", convention)]
        assert alive.dead_final == 0
        assert alive.final_loss < 0.5 * dead.final_loss


def test_zero_init_with_relu_prime_zero_never_moves_the_hidden_layer():
    x, target, params = sg.make_problem("zero_init", CONFIG)
    d, h = CONFIG["inputs"], CONFIG["hidden"]
    loss = sg.make_loss(x, target, d, h, nn.relu)
    with ad.conventions.use(relu=0.0):
        g = ad.grad(loss)(sg.pack(params))
    assert not g[:d * h + 2 * h].any()  # W1, b1 and w2 get exactly zero gradient
    assert g[-1] != 0                   # only the output bias learns


def test_quantized_inputs_visit_kinks_and_the_convention_changes_the_run(summary):
    runs = summary.loc["quantized"]
    assert (runs.kinks_initial > 0.1).all()
    assert runs.loc["0.5"].loss_gap_vs_0 > 0 and runs.loc["1"].loss_gap_vs_0 > 0
    assert runs.loc["0.5"].final_loss != runs.loc["1"].final_loss


def test_generic_inputs_visit_no_kinks_and_conventions_give_identical_runs(data, summary):
    runs = summary.loc["generic"]
    assert (runs.kink_visits == 0).all()
    curves = data[(data.case == "generic") & data.convention.isin(sg.RELU_CONVENTIONS)]
    assert curves.loss_curve.nunique() == 1  # bitwise identical loss curves
    assert runs.loc[sg.smooth_label(CONFIG["train_eps"])].loss_gap_vs_0 > 0


def test_forward_and_reverse_gradients_agree_at_kinked_points(summary):
    assert summary.grad_fwd_rev_diff.max() < 1e-14


def test_curves_round_trip_through_text(data):
    row = data[data.part == "train"].iloc[0]
    losses = sg.curve(row.loss_curve)
    assert len(losses) == CONFIG["steps"] + 1 and losses[0] == row.initial_loss


def test_report_writes_figures_and_tables(data, tmp_path):
    result = sg.report(data, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "kinks.pdf", "kinks.png", "training.pdf", "training.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "kinks.csv", "kinks.md", "kinks.tex", "training.csv", "training.md", "training.tex"]
    assert all(p.stat().st_size > 0 for p in tmp_path.rglob("*.*"))
    assert any("dead" in f for f in result["findings"])
    assert any("bitwise identical" in f for f in result["findings"])
