"""The science of manual_backprop on tiny networks: BP1-BP4 equal both engines, and the naive
per-parameter chain rule costs exponentially more than backpropagation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import experiments.manual_backprop as mb
from experiments.harness.fitting import loglog_slope

CONFIG = {"widths": [2, 3, 4, 8, 16], "width_depth": 3, "depths": [1, 2, 3, 4, 5, 6],
          "depth_width": 3, "batch": 4, "enumerate_max_paths": 2000, "jacfwd_max_params": 300,
          "directions": 2, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return mb.with_ratios(pd.DataFrame([dict(p, **mb.measure(p, CONFIG))
                                        for p in mb.points(CONFIG)]))


def _network(widths, batch=5, seed=1):
    params = mb.init_params(widths, seed)
    x, y = mb.make_batch(widths, batch, seed)
    return params, x, y


def _flat(grads):
    return np.concatenate([np.ravel(g) for pair in grads for g in pair])


@pytest.mark.parametrize("activation", sorted(mb.ACTIVATIONS))
@pytest.mark.parametrize("widths", [[3, 1], [3, 4, 2], [2, 5, 3, 4, 2]])
def test_four_equations_match_both_engines(widths, activation):
    params, x, y = _network(widths)
    hand = mb.backprop(params, x, y, activation)
    assert [(w.shape, b.shape) for w, b in hand] == [(w.shape, b.shape) for w, b in params]

    def f(p):
        return mb.loss(p, x, y, activation)

    reverse, forward = _flat(ad.grad(f)(params)), _flat(ad.jacfwd(f)(params))
    scale = np.linalg.norm(reverse)
    assert scale > 0
    assert np.linalg.norm(_flat(hand) - reverse) <= 1e-12 * scale
    assert np.linalg.norm(_flat(hand) - forward) <= 1e-12 * scale


def test_output_layer_gradient_is_error_times_activation():
    params, x, y = _network([3, 4, 2])
    hs, _, delta = mb.local_quantities(params, x, y)
    (_, _), (dw2, db2) = mb.backprop(params, x, y)
    np.testing.assert_allclose(delta, params[1][0] @ hs[1] + params[1][1] - y)
    np.testing.assert_allclose(dw2, sum(np.outer(delta[:, k], hs[1][:, k]) for k in range(5)))
    np.testing.assert_allclose(db2[:, 0], delta.sum(axis=1))


@pytest.mark.parametrize("widths", [[2, 1], [2, 3, 2], [3, 2, 3, 2], [2, 2, 2, 2, 1]])
def test_naive_paths_give_the_gradient_and_the_counted_operations(widths):
    params, x, y = _network(widths, batch=3)
    grads, counts = mb.naive_gradient(params, x, y)
    np.testing.assert_allclose(_flat(grads), _flat(mb.backprop(params, x, y)), rtol=1e-12,
                               atol=1e-13)
    assert counts == mb.naive_counts(widths, batch=3)


def test_naive_counts_by_hand_for_one_hidden_layer():
    # widths 2 -> 3 -> 2, one example: W_1 has 6 entries × 2 paths of 3 multiplications,
    # b_1 3 × 2 paths of 2; W_2 has 6 entries × 1 path of 1, b_2 nothing to multiply.
    counts = mb.naive_counts([2, 3, 2], batch=1)
    assert counts["paths"] == 6 * 2 + 3 * 2 + 6 + 2
    assert counts["multiplications"] == 6 * 2 * 3 + 3 * 2 * 2 + 6 * 1
    assert counts["additions"] == 9 * 1  # one addition joins the two paths of each layer-1 param


def test_naive_count_grows_exponentially_with_depth(data):
    depth = mb.depth_sweep(data)
    factors = depth["flops_naive"].to_numpy()[1:] / depth["flops_naive"].to_numpy()[:-1]
    assert (factors[2:] > 0.9 * CONFIG["depth_width"]).all()  # → w per layer
    hand = depth["flops_hand"].to_numpy()
    assert np.ptp(np.diff(hand)[1:]) == 0  # backprop: the same increment for every layer
    assert depth["naive_over_hand"].is_monotonic_increasing
    assert depth["naive_over_hand"].iloc[-1] > 50


def test_naive_and_forward_grow_faster_in_width_than_backprop(data):
    width = mb.width_sweep(data).tail(3)
    slope = {c: loglog_slope(width["width"], width[c])["slope"]
             for c in ("flops_naive", "flops_forward", "flops_hand", "flops_grad", "flops_f")}
    assert slope["flops_naive"] > 2.5 and slope["flops_forward"] > 3.2  # theory L = 3, 4
    for column in ("flops_hand", "flops_grad", "flops_f"):
        assert 1.7 < slope[column] < 2.1


def test_backprop_costs_a_small_constant_times_f(data):
    assert (data["hand_over_f"] < 4).all() and (data["hand_over_f"] > 1).all()
    assert (data["grad_over_f"] < 4).all()
    assert (data["flops_grad"] >= data["flops_hand"]).all()


def test_measured_gradients_agree_everywhere(data):
    assert data["error_reverse"].max() < 1e-12
    assert data["error_forward"].max() < 1e-12
    counted = data.dropna(subset=["naive_counted_flops"])
    assert len(counted) >= 5
    assert (counted["naive_counted_flops"] == counted["flops_naive"]).all()
    assert counted["naive_error"].max() < 1e-12


def test_forward_mode_cost_is_one_jvp_per_parameter():
    point = {"sweep": "depth", "width": 3, "depth": 2}
    row = mb.measure(point, CONFIG)
    widths = mb.layer_widths(3, 2)
    params = mb.init_params(widths, CONFIG["seed"])
    x, y = mb.make_batch(widths, CONFIG["batch"], CONFIG["seed"])
    with ad.cost.meter() as m:
        ad.jacfwd(lambda p: mb.loss(p, x, y), chunk_size=1)(params)
    assert row["params"] == sum(w.size + b.size for w, b in params)
    assert m.total_flops == row["flops_forward"]


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: mb.layer_widths(0, 3), ValueError, "width must be a positive integer"),
    (lambda: mb.init_params([4], 0), ValueError, "at least two positive layer sizes"),
    (lambda: mb.loss([(np.ones((2, 3)), np.ones((2, 1)))], np.ones((4, 5)), np.ones((2, 5))),
     ValueError, r"layer 1: expected W of shape \(n_1, 4\)"),
    (lambda: mb.loss([(np.ones((2, 3)), np.ones((2, 1)))], np.ones((3, 5)), np.ones((2, 4))),
     ValueError, r"targets Y must have shape"),
    (lambda: mb.loss([np.ones((2, 3))], np.ones((3, 5)), np.ones((2, 5))), TypeError,
     "list of \\(W, b\\) pairs"),
    (lambda: mb.backprop([(np.ones((2, 3)), np.ones((2, 1)))], np.ones((3, 5)), np.ones((2, 5)),
                         activation="relu"), ValueError, "activation must be one of"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_report_writes_figures_and_tables(data, tmp_path):
    result = mb.report(data, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "cost_vs_depth.pdf", "cost_vs_depth.png", "cost_vs_width.pdf", "cost_vs_width.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "exponents.csv", "exponents.md", "exponents.tex", "ratios.csv", "ratios.md",
        "ratios.tex"]
    fits = result["fits"].set_index("method")
    assert fits.loc["naive", "factor_per_layer"] > 2 > fits.loc["hand", "factor_per_layer"]
    assert any("exactly the operations the formula counts" in f for f in result["findings"])
