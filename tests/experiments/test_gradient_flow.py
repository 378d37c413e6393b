"""The science of gradient_flow on small deep networks: the error vanishes geometrically through
plain sigmoid stacks and not through residual ones; He initialisation keeps ReLU flat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments.gradient_flow as gf

CONFIG = {"depth": 30, "width": 32, "batch": 8, "seeds": 2, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **gf.measure(p, CONFIG)) for p in gf.points(CONFIG)])


@pytest.fixture(scope="module")
def rates(data):
    return gf.rates(data).set_index(["activation", "init", "residual"])


def test_points_cover_every_combination_once():
    pts = list(gf.points(CONFIG))
    keys = {tuple(p[k] for k in gf.KEY_FIELDS) for p in pts}
    assert len(pts) == len(keys) == 3 * 4 * 2 * CONFIG["seeds"]


@pytest.mark.parametrize("init", ["small", "xavier", "he"])
def test_plain_sigmoid_error_vanishes_geometrically(rates, init):
    row = rates.loc[("sigmoid", init, False)]
    assert row["delta_rate"] > 2.5 and row["delta_r2"] > 0.99
    assert row["delta_first_over_last"] < 1e-10
    assert row["grad_rate"] > 2.5 and row["grad_first_over_last"] < 1e-10


@pytest.mark.parametrize("init", gf.INITS)
def test_residual_path_keeps_the_sigmoid_error_alive(rates, init):
    plain, residual = rates.loc[("sigmoid", init, False)], rates.loc[("sigmoid", init, True)]
    assert residual["delta_rate"] < 1.05
    assert residual["delta_first_over_last"] > 0.9
    assert residual["delta_first_over_last"] > 1e3 * plain["delta_first_over_last"]


def test_residual_error_never_shrinks_toward_the_input(rates):
    residual = rates.xs(True, level="residual")
    assert (residual["delta_first_over_last"] > 0.9).all()


def test_he_initialisation_keeps_relu_norms_roughly_constant(rates):
    row = rates.loc[("relu", "he", False)]
    assert 0.9 < row["delta_rate"] < 1.12 and 0.9 < row["grad_rate"] < 1.1
    assert 0.05 < row["delta_first_over_last"] < 20
    xavier = rates.loc[("relu", "xavier", False)]
    assert xavier["delta_rate"] > 1.3  # √2 per layer: half of the ReLUs are off


@pytest.mark.parametrize(("activation", "init"), [
    ("sigmoid", "small"), ("tanh", "small"), ("relu", "small"), ("relu", "xavier"),
    ("relu", "he"), ("relu", "unit")])
def test_error_rate_matches_the_linear_theory(rates, activation, init):
    row = rates.loc[(activation, init, False)]
    assert row["delta_rate"] == pytest.approx(row["linear_theory"], rel=0.1)


def test_plain_relu_weight_gradients_are_balanced_across_layers(rates):
    relu = rates.loc["relu"].xs(False, level="residual")
    assert ((relu["grad_rate"] > 0.9) & (relu["grad_rate"] < 1.1)).all()
    # but the scale σ moves all layers together, by many orders of magnitude
    assert relu.loc["unit", "grad_size"] > 1e20 * relu.loc["he", "grad_size"]
    assert relu.loc["small", "grad_size"] < 1e-20 * relu.loc["he", "grad_size"]


def test_forward_mode_agrees(data):
    assert data["forward_error"].max() < 1e-12


def _deltas_by_hand(net, activation, residual):
    """δ^l = ∂loss/∂a_l by the backpropagation recursion, written with numpy."""
    phi, phi_prime = {"tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
                      "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0) * 1.0)}[activation]
    hs, pre = [net["x"]], []
    for w in net["weights"]:
        pre.append(w @ hs[-1])
        hs.append(hs[-1] + phi(pre[-1]) if residual else phi(pre[-1]))
    batch = net["x"].shape[1]
    g = net["readout"].T @ (net["readout"] @ hs[-1] - net["y"]) / batch  # ∂loss/∂h_L
    deltas = []
    for w, a in zip(net["weights"][::-1], pre[::-1], strict=True):
        delta = phi_prime(a) * g
        deltas.append(delta)
        g = (g if residual else 0) + w.T @ delta
    return deltas[::-1], hs


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_layer_norms_are_the_backpropagated_errors(activation, residual):
    net = gf.make_network(4, 5, 3, "he", seed=3)
    grad_w, delta = gf.layer_norms(net, activation, residual)
    deltas, hs = _deltas_by_hand(net, activation, residual)
    np.testing.assert_allclose(delta, [np.linalg.norm(d) for d in deltas], rtol=1e-12)
    np.testing.assert_allclose(grad_w, [np.linalg.norm(d @ h.T) for d, h in
                                        zip(deltas, hs, strict=False)], rtol=1e-12)


def test_initialisations_share_one_draw_and_differ_by_scale():
    small = gf.make_network(3, 8, 2, "small", seed=1)
    he = gf.make_network(3, 8, 2, "he", seed=1)
    for a, b in zip(small["weights"], he["weights"], strict=True):
        np.testing.assert_allclose(b, a * gf.init_std("he", 8) / 0.01)
    np.testing.assert_array_equal(small["x"], he["x"])
    assert gf.init_std("xavier", 8) == pytest.approx(np.sqrt(1 / 8))
    assert gf.init_std("he", 8) == pytest.approx(np.sqrt(2 / 8))


def test_growth_rate_of_a_geometric_sequence():
    fit = gf.growth_rate(3.0 * 0.5 ** np.arange(10))
    assert fit["rate"] == pytest.approx(0.5, rel=1e-12) and fit["r2"] == pytest.approx(1.0)
    assert gf.growth_rate(np.full(5, 2.0)) == {"rate": pytest.approx(1.0), "r2": 1.0}


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: gf.init_std("lecun", 4), ValueError, "init must be one of"),
    (lambda: gf.make_network(0, 4, 2, "he", 0), ValueError, "depth must be a positive integer"),
    (lambda: gf.make_network(2, 4.5, 2, "he", 0), ValueError, "width must be a positive"),
    (lambda: gf.layer_norms(gf.make_network(2, 4, 2, "he", 0), "gelu", False), ValueError,
     "activation must be one of"),
    (lambda: gf.growth_rate([1.0, 0.0, 2.0]), ValueError, "positive finite norms"),
    (lambda: gf.growth_rate([1.0]), ValueError, "at least two"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_report_writes_figures_and_tables(data, tmp_path):
    written = data.copy()
    written["residual"] = written["residual"].map(str)  # as read back from data.csv
    result = gf.report(written, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "delta_norm_vs_layer.pdf", "delta_norm_vs_layer.png", "grad_norm_vs_layer.pdf",
        "grad_norm_vs_layer.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "rates.csv", "rates.md", "rates.tex"]
    table = result["rates"]
    assert len(table) == 24 and set(table["residual"]) == {False, True}
    assert any("Residual connections" in f for f in result["findings"])
