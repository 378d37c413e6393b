"""Sweeps on a dask cluster: the same rows as one process, each point written exactly once
when a worker dies mid-point, and a killed client resumed without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import experiments
import experiments.jacobian_scaling as js
from experiments.__main__ import main
from experiments.harness import distributed as dist
from experiments.harness.environment import host_columns
from experiments.harness.records import RecordFile
from experiments.harness.sweep import measure_point, run_sweep
from experiments.runner import run

ROOT = Path(__file__).resolve().parents[2]
NEEDS_DASK = "dask[distributed] is not installed (pip install -e \".[distributed]\")"

# A fake experiment with deterministic counters, a timing column and the measuring process's id.
# Files next to it steer point (2, "y"): "kill_once" makes the first try kill its worker process
# (renamed to "killed", holding the dead pid), "fail" makes it raise.
FAKE = textwrap.dedent('''
    import os
    import time
    from pathlib import Path

    TITLE = "Fake sweep"
    QUESTION = "Is every point of a distributed sweep written exactly once?"
    REFERENCES = ()
    KEY_FIELDS = ("a", "b")
    QUICK = FULL = {"size": 6, "sleep": 0.0}
    HERE = Path(__file__).parent


    def points(config):
        for a in range(config["size"]):
            for b in ("x", "y"):
                yield {"a": a, "b": b}


    def measure(point, config):
        start = time.perf_counter()
        if (point["a"], point["b"]) == (2, "y"):
            try:
                os.rename(HERE / "kill_once", HERE / "killed")  # only one try claims it
            except FileNotFoundError:
                pass
            else:
                (HERE / "killed").write_text(str(os.getpid()))
                os._exit(13)
            if (HERE / "fail").exists():
                raise ValueError("fake failure")
        time.sleep(config["sleep"])
        return {"ops": 10 * point["a"] + len(point["b"]), "flops": point["a"] ** 2,
                "pid": os.getpid(), "time": time.perf_counter() - start}


    def report(data, out_dir, config):
        return {"setup": "fake", "findings": [f"{len(data)} rows"], "figures": [], "tables": []}
''')

# Makes the fake importable as experiments.fake_sweep; a dask worker preload (run again in each
# restarted worker process) and the killed client's script run it too.
INSTALL = textwrap.dedent('''
    import experiments
    if {directory!r} not in experiments.__path__:
        experiments.__path__.append({directory!r})
    if "fake_sweep" not in experiments.NAMES:
        experiments.NAMES = (*experiments.NAMES, "fake_sweep")
''')

# The client that gets killed: the CLI on --scheduler, with slow points.
CLIENT = textwrap.dedent('''
    import sys

    import experiments
    import experiments.fake_sweep as fake
    from experiments.__main__ import main

    if __name__ == "__main__":
        fake.QUICK = dict(fake.QUICK, sleep=0.4)
        sys.exit(main(["run", "fake_sweep", "--quick", "--out", sys.argv[1],
                       "--scheduler", sys.argv[2]]))
''')

TIMING = ["time", "time_iqr", "time_f", "time_f_iqr", "repeats", "loops", "loops_f"]
HOST = ["host", "cpu", "blas"]


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fake")
    (directory / "fake_sweep.py").write_text(FAKE)
    (directory / "install_fake.py").write_text(INSTALL.format(directory=str(directory)))
    return directory


@pytest.fixture(scope="module")
def client(fake_dir):
    """A LocalCluster of 2 worker processes (one thread each) that know the fake experiment."""
    pytest.importorskip("distributed", reason=NEEDS_DASK)
    import dask.config

    with dask.config.set({"distributed.worker.preload": [str(fake_dir / "install_fake.py")]}), \
            dist.connect(workers=2, threads=1) as dask_client:
        dask_client.wait_for_workers(2, timeout=60)
        yield dask_client


@pytest.fixture
def fake(fake_dir, monkeypatch):
    """The fake experiment in this process, without markers; removed again afterwards."""
    monkeypatch.setattr(experiments, "__path__", [*experiments.__path__, str(fake_dir)])
    monkeypatch.setattr(experiments, "NAMES", (*experiments.NAMES, "fake_sweep"))
    for marker in ("kill_once", "killed", "fail"):
        (fake_dir / marker).unlink(missing_ok=True)
    yield experiments.load("fake_sweep")
    sys.modules.pop("experiments.fake_sweep", None)
    vars(experiments).pop("fake_sweep", None)


def _keys(data, key_fields):
    return [tuple(str(v) for v in row) for row in data[list(key_fields)].itertuples(index=False)]


def _quiet(*args):
    pass


def _data(out, name):
    return pd.read_csv(Path(out) / name / "data.csv")


def test_cluster_rows_equal_single_process_rows(client, tmp_path):
    # The two sweeps exactly as the runner calls them, on a tiny jacobian_scaling grid.
    config = {"sizes": {"dense": [3, 6], "elementwise": [4]}, "repeats": 1, "min_time": 0.0,
              "seed": 0, "threads": 1}
    points = list(js.points(config))
    one, spread = RecordFile(tmp_path / "one.csv"), RecordFile(tmp_path / "dask.csv")
    assert run_sweep(points, lambda p: measure_point("jacobian_scaling", p, config), one,
                     js.KEY_FIELDS, progress=False) == len(points) == 4 * 5 + 5
    assert dist.run_sweep(client, "jacobian_scaling", points, config, spread, js.KEY_FIELDS,
                          progress=False) == len(points)
    single, spread = one.read(), spread.read()
    assert list(spread.columns) == list(single.columns)  # one CSV schema
    assert list(single.columns[-3:]) == HOST
    expected = host_columns()
    for data in (single, spread):
        assert len(set(_keys(data, js.KEY_FIELDS))) == len(data) == len(points)
        for column in HOST:
            assert (data[column] == expected[column]).all(), column
    keys = list(js.KEY_FIELDS)
    same = [c for c in single.columns if c not in TIMING + HOST]
    assert {"flops", "ops", "flops_f", "ops_f", "max_abs_error"} <= set(same)
    pd.testing.assert_frame_equal(single[same].sort_values(keys).reset_index(drop=True),
                                  spread[same].sort_values(keys).reset_index(drop=True))


def test_worker_killed_mid_point_is_measured_again_and_written_once(client, fake, fake_dir,
                                                                   tmp_path):
    (fake_dir / "kill_once").touch()
    run("fake_sweep", quick=True, out=tmp_path, log=_quiet, client=client)
    dead = int((fake_dir / "killed").read_text())  # the first try did kill its worker
    data = _data(tmp_path, "fake_sweep")
    points = list(fake.points(fake.QUICK))
    assert sorted(_keys(data, fake.KEY_FIELDS)) == sorted(_keys(pd.DataFrame(points),
                                                                fake.KEY_FIELDS))
    assert len(data) == len(points) == 12
    row = data[(data["a"] == 2) & (data["b"] == "y")]
    assert len(row) == 1 and int(row["pid"].iloc[0]) != dead
    environment = json.loads((tmp_path / "fake_sweep" / "environment.json").read_text())
    assert environment["dask"]["scheduler"] == client.scheduler.address
    assert environment["dask"]["threads_per_worker"] == [1]
    assert (data["ops"] == 10 * data["a"] + data["b"].str.len()).all()
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the dead worker


def test_failed_point_names_itself_and_resume_completes(client, fake, fake_dir, tmp_path):
    (fake_dir / "fail").touch()
    with pytest.raises(RuntimeError, match=r"fake_sweep: measuring point \{'a': 2, 'b': 'y'\} "
                                           r"failed \(ValueError: fake failure\).*--resume"):
        run("fake_sweep", quick=True, out=tmp_path, log=_quiet, client=client)
    partial = _data(tmp_path, "fake_sweep")
    assert ("2", "y") not in _keys(partial, fake.KEY_FIELDS)
    assert len(set(_keys(partial, fake.KEY_FIELDS))) == len(partial)
    (fake_dir / "fail").unlink()
    run("fake_sweep", quick=True, out=tmp_path, resume=True, log=_quiet, client=client)
    data = _data(tmp_path, "fake_sweep")
    assert len(data) == len(set(_keys(data, fake.KEY_FIELDS))) == 12
    assert data.iloc[:len(partial)].equals(partial)


def test_killed_client_loses_only_points_in_flight_and_resume_completes(client, fake, fake_dir,
                                                                         tmp_path):
    script = tmp_path / "client.py"
    script.write_text(INSTALL.format(directory=str(fake_dir)) + CLIENT)
    out = tmp_path / "reports"
    data_path = out / "fake_sweep" / "data.csv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.Popen([sys.executable, str(script), str(out), client.scheduler.address],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not (data_path.exists() and len(data_path.read_text().splitlines()) > 4):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the client wrote no rows"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    partial = pd.read_csv(data_path)
    assert 4 <= len(partial) < 12  # killed mid-sweep, with every finished row on disk
    assert len(set(_keys(partial, fake.KEY_FIELDS))) == len(partial)

    assert main(["run", "fake_sweep", "--quick", "--out", str(out), "--resume",
                 "--scheduler", client.scheduler.address]) == 0
    data = pd.read_csv(data_path)
    assert len(data) == len(set(_keys(data, fake.KEY_FIELDS))) == 12
    assert data.iloc[:len(partial)].equals(partial)  # the rows before the kill kept as they were


def test_cluster_flags_without_the_extra_name_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ImportError, match=r'pip install -e "\.\[distributed\]"'):
        dist.require()
    for flags in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "jacobian_scaling", "--quick", *flags])
        assert exit_info.value.code == 2
        assert 'needs dask.distributed, which is not installed: pip install -e ".[distributed]"' \
            in capsys.readouterr().err


def test_connect_rejects_bad_arguments():
    bad = [({}, ValueError, "exactly one of scheduler= .* got scheduler=None, workers=None"),
           ({"scheduler": "tcp://127.0.0.1:8786", "workers": 2}, ValueError, "exactly one"),
           ({"scheduler": 8786}, TypeError, "scheduler must be an address string .* got 8786"),
           ({"scheduler": " "}, TypeError, "scheduler must be an address string")]
    bad += [({"workers": w}, ValueError, f"workers must be a positive int, got {w!r}")
            for w in (0, -1, 1.5, True)]
    for kwargs, error, message in bad:
        with pytest.raises(error, match=message), dist.connect(**kwargs):
            pass


def test_cli_refuses_both_cluster_flags_and_zero_workers(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "jacobian_scaling", "--workers", "2", "--scheduler", "tcp://h:8786"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "jacobian_scaling", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err
