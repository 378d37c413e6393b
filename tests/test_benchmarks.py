"""The asv benchmark suite (``benchmarks/``) and its dashboard.

1. ``bench_ops`` covers the op registry: its parameter is the registry's list of names, and
   every op's benchmark case runs in both engines.
2. Every benchmark class runs: ``setup``, each ``time_``/``peakmem_``/``track_`` method once and
   ``teardown``, on the first (smallest) value of each parameter (every engine for the peers;
   a peer that is not installed is skipped, as asv skips it). No asv needed: the modules are
   imported and called directly, as asv's runner would.
3. End to end: a quick ``asv run`` of two benchmarks into a temporary directory, ``asv
   publish``, the html served on localhost and opened in headless Chromium, which must render
   the benchmark list and a graph. Skipped (with the reason) without asv, Chromium or the
   JavaScript libraries the page needs (see :data:`LOCAL_JAVASCRIPT`).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib
import importlib.util
import inspect
import itertools
import json
import math
import os
import re
import shutil
import site
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from admodes import registry

REPO = Path(__file__).resolve().parents[1]
BENCH_MODULES = sorted(p.stem for p in (REPO / "benchmarks").glob("bench_*.py"))
PREFIXES = ("time_", "peakmem_", "mem_", "track_")


def _methods(cls):
    return sorted(name for name, _ in inspect.getmembers(cls, callable)
                  if name.startswith(PREFIXES))


def _benchmark_classes():
    """The classes asv would discover: public, defined in a bench module, with benchmarks."""
    classes = []
    for name in BENCH_MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        classes += [cls for attr, cls in vars(module).items()
                    if inspect.isclass(cls) and not attr.startswith("_")
                    and cls.__module__ == module.__name__ and _methods(cls)]
    return classes


CLASSES = _benchmark_classes()


def _smallest(cls):
    """The first value of each parameter; every value of ``engine``."""
    grids = [values if name == "engine" else values[:1]
             for name, values in zip(cls.param_names, cls.params)]
    return list(itertools.product(*grids))


def _run_once(cls, params):
    """setup, each benchmark method once, teardown; ``{track_ method: value}``."""
    bench = cls()
    try:
        bench.setup(*params)
    except NotImplementedError as err:  # asv's skip: a peer that is not installed
        pytest.skip(f"{cls.__name__}{params}: {err}")
    tracked = {}
    try:
        for name in _methods(cls):
            value = getattr(bench, name)(*params)
            if name.startswith("track_"):
                tracked[name] = value
    finally:
        bench.teardown(*params)
    return tracked


# -- 1. bench_ops covers the registry --------------------------------------------------------------

def test_bench_ops_params_cover_the_registry():
    from benchmarks.bench_ops import OpOverhead

    names = [entry.name for entry in registry.entries()]
    (benchmarked,) = OpOverhead.params
    assert sorted(benchmarked) == sorted(names), (
        f"bench_ops.OpOverhead does not benchmark {sorted(set(names) - set(benchmarked))} and "
        f"benchmarks unknown {sorted(set(benchmarked) - set(names))}")
    assert {op.name for op in registry.ops()} <= set(benchmarked)


@pytest.mark.parametrize("name", [entry.name for entry in registry.entries()])
def test_bench_ops_case_runs_in_both_engines(name):
    from benchmarks.bench_ops import OpOverhead, op_case

    _, x = op_case(name)
    assert x, f"{name}: its first domain case has no floating-point array to differentiate"
    _run_once(OpOverhead, (name,))


# -- 2. every benchmark runs ------------------------------------------------------------------------

def test_every_bench_module_has_benchmarks():
    found = {cls.__module__.rsplit(".", 1)[-1] for cls in CLASSES}
    assert found == set(BENCH_MODULES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_benchmark_class_follows_asv_conventions(cls):
    assert len(cls.params) == len(cls.param_names), f"{cls.__name__}: params vs param_names"
    for name in _methods(cls):
        method = getattr(cls, name)
        n_args = len(inspect.signature(method).parameters) - 1  # self
        assert n_args == len(cls.params), f"{cls.__name__}.{name} takes {n_args} parameters"
        if name.startswith("track_"):
            unit = getattr(method, "unit", None)
            assert isinstance(unit, str) and unit, f"{cls.__name__}.{name} has no unit"


# PyTorch's torch.func.jvp imports a module that warns about its own use of torch.jit.script.
@pytest.mark.filterwarnings("ignore:.torch.jit.script. is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("cls", "params"),
    [pytest.param(cls, params, id=f"{cls.__name__}-{'-'.join(map(str, params))}")
     for cls in CLASSES for params in _smallest(cls)])
def test_benchmark_runs_on_smallest_params(cls, params):
    for name, value in _run_once(cls, params).items():
        assert isinstance(value, (int, float)), f"{cls.__name__}.{name} returned {value!r}"
        assert math.isfinite(value) and value >= 0, f"{cls.__name__}.{name} returned {value!r}"


# -- 3. the dashboard, end to end ------------------------------------------------------------------

#: The benchmarks run for the dashboard test (a time_ and a track_; about a second in all).
DASHBOARD_BENCHMARKS = ("bench_engines.ScalarChain.time_jvp",
                        "bench_counters.ChainCounts.track_ops_grad")

#: asv's pages load these libraries from CDNs, which the test machines cannot reach; the test
#: serves Debian's copies instead (packages libjs-jquery, libjs-jquery-flot, libjs-bootstrap,
#: libjs-jquery-stupidtable and node-blueimp-md5, installed by .ci/run with chromium).
#: orderBars has no Debian package; asv uses it only for bar charts over a parameter, not for
#: the graphs checked here, so its tag is dropped (None).
LOCAL_JAVASCRIPT = {
    "jquery-3.3.1.min.js": "/usr/share/javascript/jquery/jquery.min.js",
    "jquery.flot.min.js": "/usr/share/javascript/jquery-flot/jquery.flot.min.js",
    "jquery.flot.time.min.js": "/usr/share/javascript/jquery-flot/jquery.flot.time.min.js",
    "jquery.flot.selection.min.js":
        "/usr/share/javascript/jquery-flot/jquery.flot.selection.min.js",
    "jquery.flot.categories.min.js":
        "/usr/share/javascript/jquery-flot/jquery.flot.categories.min.js",
    "jquery.flot.orderBars.js": None,
    "stupidtable.min.js": "/usr/share/javascript/jquery-stupidtable/stupidtable.min.js",
    "md5.min.js": "/usr/share/javascript/blueimp-md5/md5.min.js",
    "bootstrap.min.js": "/usr/share/javascript/bootstrap/js/bootstrap.min.js",
    "bootstrap.min.css": "/usr/share/javascript/bootstrap/css/bootstrap.min.css",
}

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=10000")


def _chromium():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def _dashboard_skip_reason():
    if importlib.util.find_spec("asv") is None:
        return "asv is not installed (pip install asv)"
    if _chromium() is None:
        return "chromium is not installed (apt-get install chromium)"
    missing = sorted(p for p in LOCAL_JAVASCRIPT.values() if p and not Path(p).exists())
    if missing:
        return f"JavaScript libraries for asv's page are not installed: {missing}"
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return "asv needs the project's git repository and git"
    return None


def _asv_conf(tmp_path):
    """The repo's asv.conf.json with the repo and benchmarks absolute, outputs in tmp_path."""
    text = (REPO / "asv.conf.json").read_text()
    conf = json.loads("\n".join(line for line in text.splitlines()
                                if not line.lstrip().startswith("//")))
    conf.update(repo=str(REPO), benchmark_dir=str(REPO / "benchmarks"),
                env_dir=str(tmp_path / "env"), results_dir=str(tmp_path / "results"),
                html_dir=str(tmp_path / "html"))
    path = tmp_path / "asv.conf.json"
    path.write_text(json.dumps(conf, indent=2))
    return path


def _run(command, cwd, env=None, timeout=600):
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {proc.returncode}:\n{output[-4000:]}")
    return output


def _use_local_javascript(html_dir):
    """Point the CDN tags of asv's index.html at local copies of the libraries."""
    vendor = html_dir / "vendor"
    vendor.mkdir()
    index = html_dir / "index.html"

    def local(match):
        tag, url = match.group(0), match.group(1)
        name = url.rsplit("/", 1)[-1]
        if name not in LOCAL_JAVASCRIPT:
            pytest.fail(f"asv's index.html loads {url}, which has no local copy: add it to "
                        f"LOCAL_JAVASCRIPT in {Path(__file__).name}")
        if LOCAL_JAVASCRIPT[name] is None:
            return ""
        shutil.copy(LOCAL_JAVASCRIPT[name], vendor / name)
        if tag.startswith("<link"):
            return f'<link rel="stylesheet" href="vendor/{name}">'
        return f'<script src="vendor/{name}"></script>'

    pattern = r'<(?:script|link)\b[^>]*?(?:src|href)="(https?://[^"]+)"[^>]*>(?:\s*</script>)?'
    index.write_text(re.sub(pattern, local, index.read_text()))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(directory):
    """Serve ``directory`` on a free localhost port, in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _browse(tmp_path, url, *options):
    """Headless Chromium on ``url`` with a fresh profile; its stdout (the DOM for --dump-dom)."""
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    command = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *options, url]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        pytest.fail(f"chromium exited {proc.returncode} on {url}:\n{proc.stderr[-3000:]}")
    return proc.stdout


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def test_asv_dashboard_renders(tmp_path):
    reason = _dashboard_skip_reason()
    if reason:
        pytest.skip(reason)
    before = _tree(REPO / ".asv")
    conf = _asv_conf(tmp_path)
    # asv keeps its machine description in ~/.asv-machine.json: a home of its own here.
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PYTHONUSERBASE": site.getuserbase()}
    asv = [sys.executable, "-m", "asv"]
    _run([*asv, "machine", "--yes", "--machine", "pytest"], tmp_path, env)
    # asv matches --bench against "name" and "name(params)"
    selected = [f"--bench=^{re.escape(name)}(\\(|$)" for name in DASHBOARD_BENCHMARKS]
    output = _run([*asv, "run", f"--config={conf}", "--python=same", "--quick", "--show-stderr",
                   "--machine=pytest", "--set-commit-hash=HEAD", *selected], tmp_path, env)
    for name in DASHBOARD_BENCHMARKS:
        assert re.search(rf"{re.escape(name)}\s+ok", output), f"{name} did not run:\n{output}"
    _run([*asv, "publish", f"--config={conf}"], tmp_path, env)
    html = tmp_path / "html"
    _use_local_javascript(html)

    with _serve(html) as base:
        index_dom = _browse(tmp_path, f"{base}/index.html", "--dump-dom")
        graph_url = f"{base}/index.html#{DASHBOARD_BENCHMARKS[0]}"
        graph_dom = _browse(tmp_path, graph_url, "--dump-dom")
        screenshot = tmp_path / "dash.png"
        _browse(tmp_path, graph_url, f"--screenshot={screenshot}", "--window-size=1400,1000")

    assert "failed to load" not in index_dom, "asv's page could not load its JavaScript"
    for module in BENCH_MODULES:  # the benchmark list: every module's benchmarks
        assert f"{module}." in index_dom, f"the dashboard does not list {module}"
    for name in DASHBOARD_BENCHMARKS:
        assert name in index_dom
    assert 'class="flot-base"' in graph_dom, f"no graph drawn on {graph_url}"
    assert screenshot.stat().st_size > 10_000, "the screenshot is (nearly) empty"
    assert _tree(REPO / ".asv") == before, "the dashboard test wrote under the repo's .asv/"
