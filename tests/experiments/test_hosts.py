"""Rows from several hosts: reports fit time per host and pool the counters (issue 7).

The claim is checked on a built scalar_loss frame whose times follow exact power laws: host
`a` measured the small sizes, host `b` the large ones on a machine 10× slower for the
derivative (2× for the numpy-bound loss). Per host the fitted time slopes are the true ones;
pooled, the jump between the hosts would bend them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments.scalar_loss as sl
from experiments.harness import hosts
from experiments.harness.costs import with_cost_ratios
from experiments.reporting.readme import hosts_paragraph, hosts_seen

SIZES = (10, 20, 40, 80, 160, 320)
TIME_SLOPE = {"grad": 0.2, "jacfwd_1": 1.0, "jacfwd_vec": 0.7, "fd": 1.0}  # of time / time(L)
CONFIG = {"widths": [1, 2, 4], "max_n_forward": 10**6, "repeats": 1, "max_time": 1.0,
          "seed": 0, "threads": 1}


def _scalar_loss_rows(host_of=None):
    """A scalar_loss frame: FLOPs(∇L)/FLOPs(L) = 3 (reverse) or n, time(∇L) = 1 ms · n^s with
    time(L) = 0.1 ms; host ``b`` (n ≥ 80 when ``host_of`` is given) 10× slower for ∇L, 2× for L."""
    rows = []
    for method in sl.METHODS:
        for n in SIZES:
            host = host_of(n) if host_of else "a"
            derivative, loss = (10.0, 2.0) if host == "b" else (1.0, 1.0)
            rows.append({"n": n, "method": method, "flops_f": 100 * n, "ops_f": 20,
                         "flops": 100 * n * (3 if method == "grad" else n),
                         "ops": 20 * (3 if method == "grad" else n),
                         "time": derivative * 1e-3 * n ** TIME_SLOPE[method],
                         "time_f": loss * 1e-4, "max_abs_error": 1e-16,
                         "host": host, "cpu": f"cpu {host}", "blas": "openblas"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def two_hosts():
    return _scalar_loss_rows(lambda n: "a" if n <= 40 else "b")


def test_per_host_time_slopes_are_the_true_ones_where_pooling_is_not(two_hosts):
    data = with_cost_ratios(two_hosts)
    fits = sl.slopes(data)
    assert list(fits.columns[:2]) == ["method", "host"]
    for (method, host), row in fits.set_index(["method", "host"]).iterrows():
        assert row["time_ratio_slope"] == pytest.approx(TIME_SLOPE[method], abs=1e-9), host
        assert row["time_ratio_ci"] == pytest.approx(0.0, abs=1e-6)
    pooled = sl._slopes(data, ("time_ratio",)).set_index("method")["time_ratio_slope"]
    for method, slope in pooled.items():  # the 5× jump at n = 80 steepens every pooled fit
        assert slope - TIME_SLOPE[method] > 0.3


def test_report_names_both_hosts_and_pools_flop_counters(two_hosts, tmp_path):
    result = sl.report(two_hosts, tmp_path, CONFIG)
    single = sl.slopes(with_cost_ratios(_scalar_loss_rows())).set_index("method")
    fits = result["fits"]
    for method, rows in fits.groupby("method"):  # both hosts' rows carry the pooled fit
        assert set(rows["host"]) == {"a", "b"}
        for column in ("flops_ratio_slope", "ops_ratio_slope", "n_min", "n_max", "points"):
            assert (rows[column] == single.loc[method, column]).all(), (method, column)
    assert single.loc["grad", "flops_ratio_slope"] == pytest.approx(0.0, abs=1e-12)
    assert single.loc["fd", "flops_ratio_slope"] == pytest.approx(1.0, abs=1e-12)
    findings = result["findings"]
    assert findings[0].startswith("FLOPs(∇L)/FLOPs(L) vs n: reverse mode slope 0.00 ± 0.00")
    time_findings = [f for f in findings if "Wall-time ratio vs n" in f]
    assert [f.split(":")[0] for f in time_findings] == ["On host `a`", "On host `b`"]
    for finding in time_findings:
        assert "reverse 0.20 ± 0.00" in finding and "forward 1/pass 1.00 ± 0.00" in finding
    # the extrapolation of forward mode's time uses one host's clock: slope 1, not the jump
    extrapolations = [f for f in findings if "extrapolating its fitted time" in f]
    assert len(extrapolations) == 2 and all("∝ n^1.00" in f for f in extrapolations)
    table = (tmp_path / "tables" / "slopes.csv").read_text().splitlines()
    assert table[0].startswith("method,host,")
    assert "host" in (tmp_path / "tables" / "ratios.csv").read_text().splitlines()[0]


def test_readme_says_time_is_per_host_and_counters_pooled(two_hosts):
    paragraph = hosts_paragraph(hosts_seen(two_hosts))
    assert "`a` (cpu a, 12 points), `b` (cpu b, 12 points)" in paragraph
    assert "made per host" in paragraph and "separate series" in paragraph
    assert "pooled across hosts" in paragraph


# -- the helpers --------------------------------------------------------------------------------

def test_one_host_or_no_host_column_is_one_unlabelled_group():
    frame = pd.DataFrame({"n": [1, 2], "host": ["a", "a"]})
    for data in (frame, frame.drop(columns="host"), frame.iloc[:0]):
        [(host, rows)] = hosts.by_host(data)
        assert host is None and rows is data
    assert hosts.host_names(frame.drop(columns="host")) == [] and hosts.host_column(frame) == []
    assert hosts.host_handles(frame) == []


def test_several_hosts_are_grouped_by_name():
    data = pd.DataFrame({"n": [1, 2, 3, 4], "host": ["b", "a", "b", None]})
    assert hosts.host_names(data) == ["a", "b"] and hosts.host_column(data) == ["host"]
    groups = hosts.by_host(data)
    assert [(h, list(rows["n"])) for h, rows in groups] == [("a", [2]), ("b", [1, 3])]
    assert [h.get_label() for h in hosts.host_handles(data)] == ["a", "b"]


def test_figure_legend_lists_the_axes_artists_then_the_hosts():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="forward")
    data = pd.DataFrame({"n": [1, 2], "host": ["b", "a"]})
    legend = hosts.figure_legend(fig, ax, data)
    assert [t.get_text() for t in legend.get_texts()] == ["forward", "a", "b"]
    one = hosts.figure_legend(fig, ax, data.drop(columns="host"))
    assert [t.get_text() for t in one.get_texts()] == ["forward"]
    plt.close(fig)


def test_per_host_labels_results_only_with_several_hosts():
    def count(rows):
        return pd.DataFrame({"points": [len(rows)]}) if len(rows) > 1 else pd.DataFrame()

    two = pd.DataFrame({"n": [1, 2, 3], "host": ["a", "a", "b"]})
    assert hosts.per_host(two, count).to_dict("list") == {"host": ["a"], "points": [2]}
    assert hosts.per_host(two.assign(host="a"), count).to_dict("list") == {"points": [3]}
    assert hosts.per_host(two.iloc[:1], count).empty


def test_pooled_and_per_host_joins_counter_fits_to_each_hosts_time_fits():
    data = pd.DataFrame({"k": ["x"] * 4, "flops": [1, 2, 3, 4], "time": [1.0, 2.0, 30.0, 40.0],
                         "host": ["a", "a", "b", "b"]})

    def total(rows, columns):
        return rows.groupby("k").agg(**{c: (c, "sum") for c in columns}).reset_index()

    joined = hosts.pooled_and_per_host(data, total, ("flops",), ("time",), on=("k",))
    assert joined.to_dict("list") == {"k": ["x", "x"], "host": ["a", "b"], "flops": [10, 10],
                                      "time": [3.0, 70.0]}
    one = hosts.pooled_and_per_host(data.assign(host="a"), total, ("flops",), ("time",),
                                    on=("k",))
    assert one.to_dict("list") == total(data, ("flops", "time")).to_dict("list")

    def needs_three(rows, columns):  # no host has enough points for a time fit alone
        return total(rows, columns) if len(rows) >= 3 else pd.DataFrame()

    lonely = hosts.pooled_and_per_host(data, needs_three, ("flops",), ("time",), on=("k",))
    assert lonely["flops"].tolist() == [10] and lonely["time"].isna().all()


def test_findings_per_host_prefix_each_hosts_findings():
    data = pd.DataFrame({"n": [1, 2, 3], "host": ["b", "a", "b"]})
    assert hosts.findings_per_host(data, lambda rows: f"{len(rows)} points") == [
        "On host `a`: 1 points", "On host `b`: 2 points"]
    assert hosts.findings_per_host(data, lambda rows: None if len(rows) < 2 else ["x", "y"]) \
        == ["On host `b`: x", "On host `b`: y"]
    assert hosts.findings_per_host(data.drop(columns="host"), lambda rows: "all") == ["all"]
    assert hosts.on_host(None, "t") == "t" and hosts.on_host(np.nan, "t") == "t"


def test_host_style_marks_each_host_and_keeps_the_method_look():
    style = {"color": "tab:red", "marker": "D", "linestyle": "-", "label": "reverse"}
    assert hosts.host_style(style, None, 0) == style
    second = hosts.host_style(style, "b", 1)
    assert second == {"color": "tab:red", "marker": hosts.HOST_MARKERS[1], "linestyle": "-",
                      "label": "reverse [b]"}
    assert style["label"] == "reverse"  # not modified in place


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="DataFrame.*got list"):
        hosts.by_host([{"host": "a"}])
    with pytest.raises(ValueError, match="index must be a non-negative int, got -1"):
        hosts.host_style({}, "a", -1)
