"""Where a result came from: versions, CPU, BLAS, threads, git commit, date, command, seed.

``collect`` describes the process that runs the sweep (``environment.json``); ``host_columns``
describes the machine that measured one point (three columns of every row of ``data.csv``), which
on a cluster differs from point to point.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from threadpoolctl import threadpool_info

__all__ = ["collect", "host_columns", "write"]

_PACKAGES = ("admodes", "numpy", "scipy", "pandas", "matplotlib", "threadpoolctl", "tqdm")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        # Regenerated reports are outputs, not sources: they do not make the tree dirty.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)reports"],
                               cwd=root, capture_output=True, text=True, timeout=10,
                               check=False).stdout
        return commit + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _blas_summary() -> str:
    """numpy's and scipy's BLAS, e.g. ``openblas 0.3.27 (pthreads, Haswell)``, sorted."""
    # threadpool_info sees only loaded libraries: load both, so the answer does not depend on
    # what the process happened to import before.
    importlib.import_module("numpy")
    importlib.import_module("scipy.linalg")
    libraries = {f"{info.get('internal_api')} {info.get('version')} "
                 f"({info.get('threading_layer')}, {info.get('architecture')})"
                 for info in threadpool_info() if info.get("user_api") == "blas"}
    return "; ".join(sorted(libraries)) or "none"


@functools.lru_cache(maxsize=1)
def _host() -> tuple[str, str, str]:
    return platform.node() or "unknown", _cpu_model(), _blas_summary()


def host_columns() -> dict:
    """The machine measuring here: ``host`` (network name), ``cpu`` (model) and ``blas``.

    Every row of a sweep carries them, so times are compared within one host while the
    deterministic counters can be pooled across hosts. Read once per process: the libraries
    loaded do not change while it runs.
    """
    host, cpu, blas = _host()
    return {"host": host, "cpu": cpu, "blas": blas}


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def collect(seed: int, command: list[str] | None = None, **extra) -> dict:
    """The environment of this run, as a JSON-ready dict."""
    blas = [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
            for info in threadpool_info()]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(command if command is not None else sys.argv),
        "seed": seed,
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "blas": blas,
        "packages": {name: _version(name) for name in _PACKAGES},
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                            "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
                if k in os.environ},
        **extra,
    }


def write(path, environment: dict):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(environment, indent=2, sort_keys=True) + "\n")
