"""The experiments' machinery: records, timing, fits, environment, resume after a kill, CLI."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.__main__ import main
from experiments.harness import environment, records
from experiments.harness.fitting import crossover, loglog_slope
from experiments.harness.records import RecordFile, point_key
from experiments.harness.sweep import measure_point, run_sweep
from experiments.harness.timing import time_call, time_calls
from experiments.reporting.readme import hosts_paragraph, hosts_seen, write_readme

ROOT = Path(__file__).resolve().parents[2]


# -- records --------------------------------------------------------------------------------------

def test_records_append_read_done(tmp_path):
    records = RecordFile(tmp_path / "sub" / "data.csv")
    assert not records.exists()
    assert records.read().empty
    assert records.done(("a",)) == set()
    records.append({"a": 1, "b": "x", "y": 0.5})
    records.append({"a": 2, "b": "y", "y": 1.5})
    data = records.read()
    assert list(data.columns) == ["a", "b", "y"]
    assert data["y"].tolist() == [0.5, 1.5]
    assert records.done(("a", "b")) == {("1", "x"), ("2", "y")}
    assert point_key({"a": 1, "b": "x", "y": 9}, ("a", "b")) in records.done(("a", "b"))
    records.reset()
    assert not records.exists()


def test_records_refuse_new_columns(tmp_path):
    records = RecordFile(tmp_path / "data.csv")
    records.append({"a": 1})
    with pytest.raises(ValueError, match="columns \\['z'\\]"):
        records.append({"a": 2, "z": 3})


def test_sweep_measures_each_point_once(tmp_path):
    records = RecordFile(tmp_path / "data.csv")
    points = [{"k": k} for k in range(5)]
    assert run_sweep(points, lambda p: {"sq": p["k"] ** 2}, records, ("k",), progress=False) == 5
    assert run_sweep(points, lambda p: {"sq": -1}, records, ("k",), resume=True,
                     progress=False) == 0
    assert records.read()["sq"].tolist() == [0, 1, 4, 9, 16]
    # Without resume the file starts over.
    assert run_sweep(points[:2], lambda p: {"sq": 7}, records, ("k",), progress=False) == 2
    assert records.read()["sq"].tolist() == [7, 7]


def test_measure_point_adds_the_measuring_host(monkeypatch):
    import experiments.jacobian_scaling as js

    monkeypatch.setattr(js, "measure", lambda point, config: {"ops": point["n"] * config["k"]})
    row = measure_point("jacobian_scaling", {"n": 3}, {"k": 2})
    assert row == {"ops": 6, **environment.host_columns()}
    assert list(row) == ["ops", "host", "cpu", "blas"]


# -- timing and fits ------------------------------------------------------------------------------

def test_time_call_returns_median_and_iqr():
    calls = []
    result = time_call(lambda: calls.append(1), repeats=5, warmup=2)
    assert result["time_samples"] == 5
    assert result["time_loops"] == 1
    assert len(calls) == 7
    assert result["time_median"] >= 0 and result["time_iqr"] >= 0
    assert result["timer"] == "time.perf_counter"


def test_time_call_loops_short_calls_to_min_time():
    result = time_call(lambda: None, repeats=3, min_time=1e-3)
    assert result["time_loops"] > 1
    assert result["time_median"] < 1e-3


def test_time_calls_samples_the_functions_in_alternation():
    order = []
    results = time_calls([lambda: order.append("a"), lambda: order.append("b")], repeats=4,
                         warmup=1)
    assert order == ["a", "b"] + ["a", "b"] * 4
    assert [r["time_samples"] for r in results] == [4, 4]
    assert all(r["time_median"] >= 0 and r["timer"] == "time.perf_counter" for r in results)


def test_loglog_slope_recovers_known_slope(rng):
    x = np.logspace(0, 3, 12)
    y = 3.0 * x ** 1.5 * np.exp(0.05 * rng.standard_normal(x.size))
    fit = loglog_slope(x, y)
    assert fit["ci_low"] < 1.5 < fit["ci_high"]
    assert abs(fit["slope"] - 1.5) < 0.05
    assert fit["points"] == 12 and fit["r2"] > 0.99
    exact = loglog_slope([1, 10], [2, 200])
    assert exact["slope"] == pytest.approx(2.0) and np.isnan(exact["ci_low"])
    with pytest.raises(ValueError, match="at least 2 positive points"):
        loglog_slope([1, 2], [1, 0])


def test_crossover():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    assert crossover(x, x / 30) == pytest.approx(30.0)
    assert crossover(x[::-1], (x / 30)[::-1]) == pytest.approx(30.0)
    assert crossover(x, np.full(4, 2.0)) is None


# -- environment ----------------------------------------------------------------------------------

def test_environment_has_the_required_keys(tmp_path):
    env = environment.collect(7, ["python", "-m", "experiments"], quick=True, blas_threads=1)
    for key in ("date", "command", "seed", "git_commit", "python", "platform", "cpu",
                "cpu_count", "blas", "packages", "env"):
        assert key in env, key
    assert env["seed"] == 7 and env["command"] == "python -m experiments"
    assert env["quick"] is True and env["blas_threads"] == 1
    assert env["python"] == sys.version.split()[0]
    assert {"numpy", "scipy", "admodes"} <= set(env["packages"])
    assert env["packages"]["numpy"] == np.__version__
    assert all("num_threads" in lib for lib in env["blas"])
    assert env["git_commit"] is None or len(env["git_commit"].split("-")[0]) == 40
    environment.write(tmp_path / "e" / "environment.json", env)
    assert json.loads((tmp_path / "e" / "environment.json").read_text()) == env


def test_host_columns_name_this_machine():
    host = environment.host_columns()
    assert list(host) == ["host", "cpu", "blas"]
    assert host["host"] == (platform.node() or "unknown")
    env = environment.collect(0)
    assert host["cpu"] == env["cpu"]
    # every BLAS of numpy and scipy, each once, sorted; the same in every process
    described = {f"{lib['internal_api']} {lib['version']}" for lib in env["blas"]
                 if lib["internal_api"] in ("openblas", "mkl", "blis")}
    assert host["blas"].split("; ") == sorted(host["blas"].split("; "))
    assert all(any(entry.startswith(d) for entry in host["blas"].split("; ")) for d in described)


# -- hosts in the README ----------------------------------------------------------------------------

def test_readme_explains_rows_from_several_hosts(tmp_path):
    data = pd.DataFrame({"n": [1, 2, 3], "flops": [4, 5, 6], "host": ["b", "a", "b"],
                         "cpu": ["Xeon", "EPYC", "Xeon"], "blas": ["openblas"] * 3})
    hosts = hosts_seen(data)
    assert hosts == [("a", "EPYC", 1), ("b", "Xeon", 2)]
    paragraph = hosts_paragraph(hosts)
    assert "2 hosts: `a` (EPYC, 1 points), `b` (Xeon, 2 points)" in paragraph
    assert "only within one host" in paragraph and "pooled across hosts" in paragraph
    assert hosts_paragraph(hosts[:1]) == "" and hosts_paragraph([]) == ""
    assert hosts_seen(data.drop(columns=["host", "cpu", "blas"])) == []
    assert hosts_seen(pd.DataFrame()) == []
    readme = {}
    for name, seen in (("several", hosts), ("one", hosts[:1])):
        (tmp_path / name).mkdir()
        write_readme(tmp_path / name, title="T", question="Q?", setup="S.", findings=["f"],
                     figures=[], tables=[], command="python -m experiments run x",
                     hosts=seen)
        readme[name] = (tmp_path / name / "README.md").read_text()
    assert "S.\n\n" + paragraph + "\n\n## Key numbers" in readme["several"]
    assert "**Hosts.**" not in readme["one"]


# -- resume after a kill ----------------------------------------------------------------------------

# Runs the real runner on a small jacobian_scaling grid; the measure function SIGKILLs its own
# process after KILL_AFTER points (a negative KILL_AFTER never kills).
_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import experiments.jacobian_scaling as js
    from experiments.runner import run

    out, kill_after, resume = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "resume"
    js.QUICK = {"sizes": {"elementwise": [4, 8], "dense": [4, 8]}, "repeats": 1,
                "min_time": 0.0}
    measure, count = js.measure, [0]

    def killing_measure(point, config):
        if count[0] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
        return measure(point, config)

    js.measure = killing_measure
    run("jacobian_scaling", quick=True, out=out, resume=resume, log=lambda *args: None)
""")

_DETERMINISTIC = ["family", "n", "m", "method", "flops", "ops", "flops_f", "ops_f"]


def _run_script(tmp_path, out, kill_after, mode):
    script = tmp_path / "sweep.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, str(script), str(out), str(kill_after), mode],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_killed_sweep_resumes_without_losing_or_duplicating_points(tmp_path):
    import experiments.jacobian_scaling as js

    out = tmp_path / "reports"
    killed = _run_script(tmp_path, out, 7, "fresh")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    data_path = out / "jacobian_scaling" / "data.csv"
    partial = pd.read_csv(data_path)
    assert len(partial) == 7  # every finished point was on disk before the kill
    assert not (out / "jacobian_scaling" / "README.md").exists()

    resumed = _run_script(tmp_path, out, -1, "resume")
    assert resumed.returncode == 0, resumed.stderr
    data = pd.read_csv(data_path)
    config = {"seed": 0, "threads": 1, "sizes": {"elementwise": [4, 8], "dense": [4, 8]}}
    expected = list(js.points(config))
    keys = [tuple(str(p[k]) for k in js.KEY_FIELDS) for p in expected]
    got = [tuple(str(v) for v in row) for row in data[list(js.KEY_FIELDS)].itertuples(index=False)]
    assert sorted(got) == sorted(keys) and len(set(got)) == len(got)
    assert data.iloc[:7].equals(partial)  # the rows measured before the kill were kept as is
    assert (out / "jacobian_scaling" / "README.md").exists()

    # Same deterministic columns as an uninterrupted run (measured here, in-process).
    config.update(repeats=1, min_time=0.0)
    reference = pd.DataFrame([dict(p, **js.measure(p, config)) for p in expected])
    merge = data[_DETERMINISTIC].merge(reference[_DETERMINISTIC], how="outer", indicator=True)
    assert (merge["_merge"] == "both").all() and len(merge) == len(expected)


# -- command line -----------------------------------------------------------------------------------

def test_cli_list_names_every_experiment():
    result = subprocess.run([sys.executable, "-m", "experiments", "list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == list(experiments.NAMES)


def test_cli_unknown_experiment_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "no_such_experiment", "--quick"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown experiment 'no_such_experiment'" in err
    assert "jacobian_scaling" in err


def test_load_unknown_experiment_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown experiment 'nope'; known: jacobian_scaling"):
        experiments.load("nope")


def test_thin_curve_round_trip_keeps_the_last_step():
    values = np.linspace(1.0, 2.0, 11)  # steps 0..10
    every, text = records.thin_curve(values, 4)
    steps, thinned = records.unthin_curve(text, every, 10)
    assert every == 3 and list(steps) == [0, 3, 6, 9, 10]
    np.testing.assert_allclose(thinned, values[steps], rtol=1e-5)
