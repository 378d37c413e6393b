"""The science of forward_gradient on small seeded inputs: (∇f·v) v is unbiased, its error
follows (n + 1)‖∇f‖²/K, and one forward-gradient step costs K JVPs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import admodes.numpy as anp
import experiments.forward_gradient as fg

CONFIG = {"dims": [4, 32], "directions": [1, 4], "draws": 60, "samples": 16, "steps": 40,
          "runs": [["backprop", 0, 0.05], ["forward", 1, 0.01], ["forward", 2, 0.01]],
          "curve_points": 20, "repeats": 1, "min_time": 0.0, "max_time": 0.05, "seed": 0,
          "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **fg.measure(p, CONFIG)) for p in fg.points(CONFIG)])


def test_gaussian_moments_behind_the_variance_formula():
    """Isserlis: E[g] = a, E[g gᵀ] = ‖a‖² I + 2 a aᵀ, so E‖g − a‖² = (n + 1)‖a‖²."""
    rng = np.random.default_rng(0)
    a = np.array([1.0, -2.0, 0.5])
    v = rng.standard_normal((400_000, 3))
    g = (v @ a)[:, None] * v
    np.testing.assert_allclose(g.mean(axis=0), a, atol=0.03)
    second = g.T @ g / len(g)
    np.testing.assert_allclose(second, a @ a * np.eye(3) + 2 * np.outer(a, a), atol=0.25)
    mse = np.mean(np.sum((g - a) ** 2, axis=1))
    assert mse == pytest.approx(fg.relative_mse_theory(3, 1) * (a @ a), rel=0.02)


def test_estimator_is_unbiased_and_uses_jvps():
    a = np.array([3.0, -1.0, 2.0, 0.5])

    def f(p):
        return anp.sum(p["w"] * a[:2]) + anp.sum(p["b"] * a[2:]) + 0.0 * anp.sum(p["w"] ** 2)
    params = {"w": np.zeros(2), "b": np.zeros(2)}
    rng = np.random.default_rng(1)
    draws = [fg.forward_gradient(f, params, rng, directions=5)[1] for _ in range(400)]
    mean = np.concatenate([np.mean([d["b"] for d in draws], axis=0),
                           np.mean([d["w"] for d in draws], axis=0)])
    exact = np.concatenate([a[2:], a[:2]])
    # the mean of 2000 directions is within 4 standard errors √((n + 1)/M)‖a‖ of ∇f
    assert np.linalg.norm(mean - exact) < 4 * np.sqrt(5 / 2000) * np.linalg.norm(a)
    value, _ = fg.forward_gradient(f, params, np.random.default_rng(2))
    assert float(value) == 0.0


def test_variance_matches_n_plus_one_over_k(data):
    var = data[data.part == "variance"]
    assert len(var) == 4
    ratio = var.mse_ratio / var.mse_theory
    assert ratio.between(0.7, 1.4).all()  # 60 draws: a few standard errors
    big, small = (var[var.n == n].set_index("directions").mse_ratio for n in (32, 4))
    assert big[1] > 4 * small[1]  # grows like n + 1
    assert big[1] > 2 * big[4]    # falls like 1/K
    assert (var.mean_error / var.mean_error_theory).between(0.3, 2.0).all()
    assert var.jvp_error.max() < 1e-13


def test_variance_fit_slope_is_minus_one(data):
    fits = fg.variance_fits(data[data.part == "variance"])
    assert list(fits.n) == [4, 32]
    assert fits.slope_vs_K.between(-1.3, -0.7).all()


def test_forward_gradient_step_costs_k_jvps(data):
    train = data[data.part == "training"].set_index("directions")
    one, two, bp = train.loc[1], train.loc[2], train.loc[0]
    assert two.flops_step == 2 * one.flops_step  # each direction is one full JVP pass
    # one JVP and one reverse-mode gradient both cost a small multiple of f
    assert 1 < one.flops_step / one.flops_f <= 4 and 1 < bp.flops_step / bp.flops_f <= 4
    with ad.cost.meter() as m:
        fg.forward_gradient(fg.make_mlp_loss(*fg.make_data(16)), fg.init_mlp(0),
                            np.random.default_rng(0), directions=3)
    assert m.tape_records == 0  # no tape: forward mode only


def test_training_decreases_the_loss(data):
    train = data[data.part == "training"]
    for _, row in train.iterrows():
        _, losses = fg.curve(row)
        assert losses[-1] < 0.8 * losses[0]
        assert row.final_loss == pytest.approx(losses[-1], rel=1e-4)
    assert train.n.iloc[0] == fg.num_params(fg.init_mlp(0)) == 1153


def test_training_is_seeded():
    a = fg.measure_training("forward", 1, 0.01, CONFIG)
    b = fg.measure_training("forward", 1, 0.01, CONFIG)
    assert a["loss_curve"] == b["loss_curve"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="directions must be a positive int, got 0"):
        fg.forward_gradient(anp.sum, np.ones(2), np.random.default_rng(0), directions=0)
    with pytest.raises(ValueError, match="unknown method 'finite'"):
        fg.gradient_estimator(anp.sum, "finite", 1, np.random.default_rng(0))


def test_report_writes_figures_and_tables(data, tmp_path):
    # Two hosts: `a` ran backprop and the variance points, `b` the forward-gradient training,
    # 10x slower: no time is compared across them.
    on_b = ((data.part == "training") & (data.method == "forward")).to_numpy()
    two = data.assign(host=np.where(on_b, "b", "a"), time_step=data["time_step"] * (1 + 9 * on_b))
    result = fg.report(two, tmp_path, CONFIG)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "training.pdf", "training.png", "variance.pdf", "variance.png"]
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "training.csv", "training.md", "training.tex", "variance.csv", "variance.md",
        "variance.tex"]
    assert any("(n + 1)/K" in f for f in result["findings"])
    [target] = [f for f in result["findings"] if "Target: twice backprop's best final" in f]
    assert "× the time" not in target  # a forward run's time is never divided by backprop's
    assert "2.01× the FLOPs (no time ratio: timed on `b`, that backprop run on `a`)" in target
    training = pd.read_csv(tmp_path / "tables" / "training.csv")
    assert dict(zip(training["method"], training["host"])) == {"backprop": "a", "forward": "b"}
    train = data[data.part == "training"]
    assert training["flops_step"].tolist() == pytest.approx(train["flops_step"].tolist())
