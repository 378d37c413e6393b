"""The peer comparison script (``benchmarks/compare_peers.py``) and its one-core setting.

The timings themselves are benchmarks, not tests; here: the script runs end to end on a quick
setting and checks its results, and :func:`benchmarks.common.single_thread` holds every thread
of the process to one CPU (XLA ignores its thread-count flags) and gives the CPUs back after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import common

REPO = Path(__file__).resolve().parents[1]


def _affinities():
    return {int(tid): os.sched_getaffinity(int(tid)) for tid in os.listdir("/proc/self/task")}


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or not os.path.isdir("/proc/self/task"),
                    reason="CPU pinning needs Linux's sched_setaffinity and /proc")
def test_single_thread_pins_every_thread_to_one_cpu_and_restores():
    before = os.sched_getaffinity(0)
    release = threading.Event()
    started_before = threading.Thread(target=release.wait)
    started_before.start()
    try:
        with common.single_thread():
            inside = _affinities()
            seen = []
            started_inside = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
            started_inside.start()
            started_inside.join()
        after = _affinities()
    finally:
        release.set()
        started_before.join()
    one = {min(before)}
    assert started_before.native_id in inside
    assert all(cpus == one for cpus in inside.values()), inside
    assert seen == [one]
    assert all(cpus == before for cpus in after.values()), after


def test_quick_run_checks_and_reports_admodes(tmp_path):
    out = tmp_path / "peers.csv"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare_peers", "--quick", "--peers", "none",
         "--workloads", "overhead,hvp", "--out", str(out)],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "## admodes targets" in run.stdout
    assert "pinned to one CPU" in run.stdout or "not pinned" in run.stdout
    rows = pd.read_csv(out)
    admodes = rows[rows["engine"] == "admodes"]
    assert set(admodes["workload"]) == {"overhead", "hvp"}
    assert (admodes["status"] == "ok").all(), admodes
    assert (admodes["median"] > 0).all()
