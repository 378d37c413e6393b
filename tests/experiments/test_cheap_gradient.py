"""The cheap gradient principle on tiny inputs: cost(f and ∇f) <= ω·cost(f) for the whole zoo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import experiments.cheap_gradient as cg

SIZES = {"polynomial": [3, 30], "rosenbrock": [3, 30], "mlp": [2, 4], "ode_rk4": [1, 3],
         "logdet": [3, 12], "solve": [3, 12], "inv_trace": [3, 12]}
CONFIG = {"sizes": SIZES, "forward_sizes": SIZES, "ode_steps": 3, "repeats": 1,
          "min_time": 0.0, "seed": 0, "threads": 1}


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame([dict(p, **cg.measure(p, CONFIG)) for p in cg.points(CONFIG)])


def test_every_function_and_size_is_measured(data):
    reverse = data[data.method == "reverse"]
    assert sorted(set(reverse.function)) == sorted(cg.FUNCTIONS)
    assert len(reverse) == sum(len(v) for v in SIZES.values())
    assert set(data[data.method == "forward"].function) == set(cg.FUNCTIONS)


@pytest.mark.parametrize("function", list(cg.FUNCTIONS))
def test_gradient_flops_within_the_bound(data, function):
    rows = data[(data.function == function) & (data.method == "reverse")]
    ratio = rows["flops"] / rows["flops_f"]
    assert (ratio <= cg.OMEGA_HIGH).all(), ratio.tolist()
    assert (ratio >= 1.5).all()  # the adjoint is real work, not a no-op
    assert (rows["ops"] / rows["ops_f"] <= cg.OMEGA_HIGH).all()


def test_op_ratio_does_not_depend_on_size(data):
    reverse = data[data.method == "reverse"].assign(ratio=lambda d: d.ops / d.ops_f)
    assert (reverse.groupby("function")["ratio"].nunique() == 1).all()


def test_forward_full_gradient_grows_with_n(data):
    for function in ("polynomial", "rosenbrock", "inv_trace"):
        rows = data[(data.function == function) & (data.method == "forward")].sort_values("n")
        ratio = (rows["flops"] / rows["flops_f"]).to_numpy()
        n = rows["n"].to_numpy()
        assert ratio[-1] / ratio[0] > 0.5 * n[-1] / n[0], function


def test_gradients_are_right(data):
    assert data[data.method == "reverse"]["error"].max() < 1e-6
    assert data[data.method == "forward"]["error"].max() < 1e-12


@pytest.mark.parametrize("function", list(cg.FUNCTIONS))
def test_zoo_functions_are_seeded_and_scalar(function):
    f1, x1 = cg.make_function(function, 3, CONFIG)
    f2, x2 = cg.make_function(function, 3, CONFIG)
    np.testing.assert_array_equal(x1, x2)
    assert np.ndim(f1(x1)) == 0 and float(f1(x1)) == float(f2(x2))
    assert ad.grad(f1)(x1).shape == x1.shape


def test_unknown_function_is_an_error():
    with pytest.raises(ValueError, match="unknown function 'nope'"):
        cg.make_function("nope", 3, CONFIG)


def test_report_writes_its_files(data, tmp_path):
    # Two hosts: `b` measured the larger size of each function, its gradients 10x slower.
    on_b = data["size"] == data.groupby("function")["size"].transform("max")
    two = data.assign(host=np.where(on_b, "b", "a"), time=data["time"] * (1 + 9 * on_b))
    result = cg.report(two, tmp_path, CONFIG)
    for stem in ("ratios", "overhead", "forward_vs_reverse"):
        for ext in ("pdf", "png"):
            assert (tmp_path / "figures" / f"{stem}.{ext}").stat().st_size > 0
    for stem in ("ratios", "summary"):
        for ext in ("csv", "tex", "md"):
            assert (tmp_path / "tables" / f"{stem}.{ext}").stat().st_size > 0
    assert [stem for _, stem in result["figures"]] == ["ratios", "overhead",
                                                       "forward_vs_reverse"]
    assert result["setup"] and any("ω = 4" in f for f in result["findings"])
    table = pd.read_csv(tmp_path / "tables" / "ratios.csv")
    assert (table["FLOP ratio"] <= cg.OMEGA_HIGH).all()
    assert set(table["host"]) == {"a", "b"}
    # per function: FLOP ratios pooled over both hosts, wall-time ratios from each host's rows
    summary = pd.read_csv(tmp_path / "tables" / "summary.csv")
    assert summary.groupby("function")["host"].apply(sorted).tolist() == [["a", "b"]] * 7
    rev = cg.with_ratios(data)
    rev = rev[rev.method == "reverse"]
    for label, rows in summary.groupby("function"):
        fn = rev[rev.function.map(cg.LABELS) == label]
        assert rows["FLOP ratio (max)"].tolist() == pytest.approx([fn.flops_ratio.max()] * 2)
        b = rows[rows.host == "b"].iloc[0]
        assert b["time ratio (smallest size)"] == pytest.approx(
            10 * fn.time_ratio.iloc[-1], rel=1e-3)  # b's own (largest) size, b's clock
    assert [f.split(":")[0] for f in result["findings"] if "smallest → largest" in f] == [
        "On host `a`", "On host `b`"]
