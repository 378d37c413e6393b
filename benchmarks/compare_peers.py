"""admodes against HIPS autograd, JAX (eager and jit) and PyTorch (CPU) on four workloads.

Usage::

    python -m benchmarks.compare_peers [--quick] [--peers autograd,jax,torch] [--out FILE.csv]

Workloads (every engine differentiates the same code, written once in ``benchmarks.common``
against a numpy-like namespace):

1. ``overhead``: a chain of 1 000 scalar elementwise ops on a size-1 float64 array; µs per op
   for ``grad``, ``jvp`` and the undifferentiated function.
2. ``cheap_gradient``: t(value_and_grad)/t(f) for a tanh MLP with one flat parameter vector,
   batch 64, mean squared error, at ≈1e6 and ≈1e3 parameters (each engine's own f time as the
   denominator; the two are timed in alternation and the ratio is taken per round).
3. ``jacobian``: full Jacobians of x ↦ tanh(W2 tanh(W1 x)), hidden 256; jacfwd at n=1000,
   m=10, jacrev at n=10, m=1000, and both at n=m=1000 (ms).
4. ``hvp``: Hessian-vector product of sum(log1p(exp(A x))) + x·x/2, A of shape 200×1e4 (ms).

``--quick`` times fewer repeats on a 200-op chain and Jacobians with 300 in place of 1000 (the
case column says which); it takes under a minute, most of it JAX's compilation.

Everything runs in float64 with one BLAS thread, one PyTorch thread, and (on Linux) the whole
process pinned to one CPU, since XLA's CPU runtime does not keep to its thread-count flags.
Before timing, each engine's result is checked against a numpy closed form; a wrong result is
reported (status ``WRONG``) and, unless ``--time-wrong`` is given, not timed. The exit status is
1 if any admodes result is wrong or raised.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from typing import ClassVar

import numpy as np
import pandas as pd

from benchmarks import common

PEERS = ("autograd", "jax", "torch")
TOLERANCE = 1e-8  # max relative error accepted against the closed form (float64)


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes and timing parameters of one run."""

    quick: bool
    n_ops: int
    repeats: int
    target: float  # seconds per repeat (calls per repeat are chosen to reach it)
    budget: float  # seconds per measurement after which repeats stop (at least 3)
    mlp_sizes: tuple
    jacobian_cases: tuple  # (transform, n, m)
    hvp_n: int


FULL = Config(quick=False, n_ops=1000, repeats=11, target=0.05, budget=2.5,
              mlp_sizes=(common.MLP_SIZES_1E6, common.MLP_SIZES_1E3),
              jacobian_cases=(("jacfwd", 1000, 10), ("jacrev", 10, 1000),
                              ("jacfwd", 1000, 1000), ("jacrev", 1000, 1000)),
              hvp_n=10_000)
QUICK = dataclasses.replace(FULL, quick=True, n_ops=200, repeats=5, target=0.005, budget=0.2,
                            jacobian_cases=(("jacfwd", 300, 10), ("jacrev", 10, 300),
                                            ("jacfwd", 300, 300), ("jacrev", 300, 300)))

# Numbers given with the task (other machines): shown next to ours; the only use of one in a
# verdict is the hvp target when JAX is not installed here.
PUBLISHED = {
    ("overhead", "grad", "autograd"): "21.8",
    ("overhead", "grad", "torch"): "9.3",
    ("overhead", "grad", "jax"): "450",
    ("hvp", "hvp", "autograd"): "3.8",
    ("hvp", "hvp", "jax-jit"): "1.8",
    ("hvp", "hvp", "torch"): "16.5",
}
JACOBIAN_NOTE = ("published for reference (other machine): JAX-jit 13 / 12 / 23 ms, "
                 "PyTorch 19 / 23 ms")


# -- engines --------------------------------------------------------------------------------------

class Engine:
    """One AD system behind a common interface. Transforms return callables on engine arrays."""

    name: ClassVar[str] = ""
    methods: ClassVar[dict] = {}  # transform -> the call used, for the table

    def array(self, a):
        return a

    def numpy(self, r):
        return np.asarray(r)

    def wrap(self, fn):
        """Compilation (jax-jit) and synchronisation around a callable to be timed."""
        return fn

    def method(self, transform):
        return self.methods.get(transform, transform)


class Admodes(Engine):
    name = "admodes"
    methods: ClassVar[dict] = {
        "grad": "ad.grad", "jvp": "ad.jvp", "value_and_grad": "ad.value_and_grad",
        "jacfwd": "ad.jacfwd(chunk_size=None)", "jacrev": "ad.jacrev(chunk_size=None)",
        "hvp": "ad.hvp (rev-over-fwd)", "f": "admodes.numpy, no tracing"}

    def __init__(self):
        import admodes
        import admodes.numpy

        self.ad, self.xp = admodes, admodes.numpy

    def grad(self, f):
        return self.ad.grad(f)

    def jvp(self, f):
        ad = self.ad
        return lambda x, v: ad.jvp(f, (x,), (v,))[1]

    def value_and_grad(self, f):
        return self.ad.value_and_grad(f)

    def jacfwd(self, f):
        return self.ad.jacfwd(f, chunk_size=None)

    def jacrev(self, f):
        return self.ad.jacrev(f, chunk_size=None)

    def hvp(self, f):
        ad = self.ad
        return lambda x, v: ad.hvp(f, x, v)


class Numpy(Engine):
    """Control: the undifferentiated function in plain numpy."""

    name = "numpy"
    methods: ClassVar[dict] = {"f": "plain numpy"}
    xp = np


class Autograd(Engine):
    name = "autograd"
    methods: ClassVar[dict] = {
        "grad": "autograd.grad", "jvp": "autograd.make_jvp (forward)",
        "value_and_grad": "autograd.value_and_grad",
        "jacfwd": "autograd.jacobian (reverse, 1 VJP per row)",
        "jacrev": "autograd.jacobian (reverse, 1 VJP per row)",
        "hvp": "autograd.hessian_vector_product (rev-over-rev)",
        "f": "autograd.numpy, no tracing"}

    def __init__(self, autograd):
        self.ag, self.xp = autograd, autograd.numpy

    def grad(self, f):
        return self.ag.grad(f)

    def jvp(self, f):
        make_jvp = self.ag.make_jvp
        return lambda x, v: make_jvp(f)(x)(v)[1]

    def value_and_grad(self, f):
        return self.ag.value_and_grad(f)

    def jacfwd(self, f):
        return self.ag.jacobian(f)

    jacrev = jacfwd

    def hvp(self, f):
        return self.ag.hessian_vector_product(f)


class Jax(Engine):
    name = "jax"
    methods: ClassVar[dict] = {
        "grad": "jax.grad", "jvp": "jax.jvp", "value_and_grad": "jax.value_and_grad",
        "jacfwd": "jax.jacfwd", "jacrev": "jax.jacrev",
        "hvp": "jax.jvp(jax.grad) (fwd-over-rev)", "f": "jax.numpy"}

    def __init__(self, jax):
        import jax.numpy as jnp

        self.jax, self.xp = jax, jnp

    def array(self, a):
        return self.jax.numpy.asarray(a)

    def wrap(self, fn):
        block = self.jax.block_until_ready  # JAX dispatches asynchronously
        return lambda *args: block(fn(*args))

    def grad(self, f):
        return self.jax.grad(f)

    def jvp(self, f):
        jvp = self.jax.jvp
        return lambda x, v: jvp(f, (x,), (v,))[1]

    def value_and_grad(self, f):
        return self.jax.value_and_grad(f)

    def jacfwd(self, f):
        return self.jax.jacfwd(f)

    def jacrev(self, f):
        return self.jax.jacrev(f)

    def hvp(self, f):
        jax = self.jax
        return lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1]


class JaxJit(Jax):
    name = "jax-jit"
    methods: ClassVar[dict] = {k: f"jax.jit({v})" for k, v in Jax.methods.items()}

    def wrap(self, fn):
        return super().wrap(self.jax.jit(fn))


class Torch(Engine):
    name = "torch"
    methods: ClassVar[dict] = {
        "grad": "torch.autograd.grad", "jvp": "torch.func.jvp",
        "value_and_grad": "torch.autograd.grad",
        "jacfwd": "torch.func.jacfwd (vmap)", "jacrev": "torch.func.jacrev (vmap)",
        "hvp": "torch.func.jvp(torch.func.grad) (fwd-over-rev)", "f": "torch"}

    def __init__(self, torch):
        self.torch = self.xp = torch

    def array(self, a):
        return self.torch.tensor(np.array(a), dtype=self.torch.float64)

    def numpy(self, r):
        return r.detach().numpy()

    def grad(self, f):
        autograd = self.torch.autograd

        def grad_f(x):
            x = x.detach().requires_grad_(True)
            return autograd.grad(f(x), x)[0]
        return grad_f

    def jvp(self, f):
        jvp = self.torch.func.jvp
        return lambda x, v: jvp(f, (x,), (v,))[1]

    def value_and_grad(self, f):
        autograd = self.torch.autograd

        def value_and_grad_f(x):
            x = x.detach().requires_grad_(True)
            value = f(x)
            return value.detach(), autograd.grad(value, x)[0]
        return value_and_grad_f

    def jacfwd(self, f):
        return self.torch.func.jacfwd(f)

    def jacrev(self, f):
        return self.torch.func.jacrev(f)

    def hvp(self, f):
        func = self.torch.func
        return lambda x, v: func.jvp(func.grad(f), (x,), (v,))[1]


def make_engines(peers):
    """admodes, then the requested peers that are installed; the missing ones are named."""
    engines, missing = [Admodes()], []
    guards = {"autograd": common.import_autograd, "jax": common.import_jax,
              "torch": common.import_torch}
    for peer in peers:
        module = guards[peer]()
        if module is None:
            missing.append(peer)
        elif peer == "autograd":
            engines.append(Autograd(module))
        elif peer == "jax":
            engines += [Jax(module), JaxJit(module)]
        else:
            engines.append(Torch(module))
    return engines, missing


# -- measuring ------------------------------------------------------------------------------------

# What a failing engine may raise (jax and torch errors derive from these); reported, not fatal.
ENGINE_ERRORS = (ArithmeticError, AttributeError, LookupError, NotImplementedError,
                 RuntimeError, TypeError, ValueError)


def _error_text(err):
    first = str(err).splitlines()[0] if str(err) else ""
    return f"error: {type(err).__name__}: {first[:80]}"


class Results:
    """Rows of the comparison, one per (workload, case, metric, engine)."""

    def __init__(self, config, time_wrong):
        self.config = config
        self.time_wrong = time_wrong
        self.rows = []

    def add(self, where, engine, unit, *, timing=None, error=None, status="ok", method=""):
        workload, case, metric = where
        transform = metric.split(" ")[0]
        row = {"workload": workload, "case": case, "metric": metric, "engine": engine.name,
               "method": method or engine.method(transform), "unit": unit,
               "median": np.nan, "q1": np.nan, "q3": np.nan, "iqr": np.nan,
               "repeats": 0, "calls_per_repeat": 0, "check_error": error, "status": status,
               "published": PUBLISHED.get((workload, transform, engine.name), ""),
               "config": "quick" if self.config.quick else "full"}
        if timing is not None:
            row.update(median=timing.median, q1=timing.q1, q3=timing.q3, iqr=timing.iqr,
                       repeats=len(timing.samples), calls_per_repeat=timing.number)
        self.rows.append(row)

    def checked(self, error):
        """Status of a result with this error, and whether to time it."""
        if error <= TOLERANCE:
            return "ok", True
        return f"WRONG (rel. err {error:.1e})", self.time_wrong

    # The checked call before each measurement is the warm-up (compilation included).
    def measure(self, fn):
        c = self.config
        return common.measure(fn, repeats=c.repeats, warmup=0, target=c.target, budget=c.budget)

    def measure_pair(self, f, g):
        c = self.config
        return common.measure_interleaved([f, g], repeats=c.repeats, warmup=0, target=c.target,
                                          budget=2 * c.budget)

    def frame(self):
        df = pd.DataFrame(self.rows)
        key = ["workload", "case", "metric"]
        base = df[df.engine == "admodes"].set_index(key)["median"]
        df["vs_admodes"] = [row["median"] / base.get(tuple(row[k] for k in key), np.nan)
                            for _, row in df.iterrows()]
        return df


def _run(results, where, engine, unit, scale, make, args, reference):
    """Build ``fn = make()``, check ``fn(*args)`` against ``reference``, then time it.

    ``scale`` converts seconds per call into ``unit``.
    """
    try:
        fn = make()
        error = common.max_rel_error(engine.numpy(fn(*args)), reference)
    except ENGINE_ERRORS as err:  # a peer without the feature, or an engine bug
        results.add(where, engine, unit, status=_error_text(err))
        return
    status, timed = results.checked(error)
    timing = results.measure(lambda: fn(*args)).scaled(scale) if timed else None
    results.add(where, engine, unit, timing=timing, error=error, status=status)


# -- 1. per-op overhead ---------------------------------------------------------------------------

def overhead(results, engines, control):
    n = results.config.n_ops
    case = f"chain of {n} ops, size-1 float64"
    x0 = common.chain_input()
    v0 = np.ones_like(x0)
    derivative = common.chain_derivative(x0, n)
    value = common.chain(np, x0, n)
    for engine in [*engines, control]:
        _overhead(results, engine, case, n, x0, v0, derivative, value)


def _overhead(results, engine, case, n, x0, v0, derivative, value):
    def f(x):
        return common.chain(engine.xp, x, n)

    x, v = engine.array(x0), engine.array(v0)
    per_op = 1e6 / n
    if engine.name != "numpy":
        _run(results, ("overhead", case, "grad per op"), engine, "µs/op", per_op,
             lambda: engine.wrap(engine.grad(f)), (x,), derivative)
        _run(results, ("overhead", case, "jvp per op"), engine, "µs/op", per_op,
             lambda: engine.wrap(engine.jvp(f)), (x, v), np.sum(derivative * v0))
    if engine.name != "jax-jit":  # a compiled undifferentiated chain says nothing about AD
        _run(results, ("overhead", case, "f per op"), engine, "µs/op", per_op,
             lambda: engine.wrap(f), (x,), value)


# -- 2. cheap-gradient ratio ----------------------------------------------------------------------

def cheap_gradient(results, engines, control):
    for sizes in results.config.mlp_sizes:
        theta, X, y = common.mlp_problem(sizes)
        case = f"MLP {list(sizes)}, {common.mlp_n_params(sizes):,} params, batch {X.shape[0]}"
        gradient = common.mlp_grad_reference(theta, X, y, sizes)
        loss = common.mlp_forward_loss(np, theta, X, y, sizes)
        for engine in [*engines, control]:
            _cheap_gradient(results, engine, case, sizes, (theta, X, y), loss, gradient)


def _cheap_gradient(results, engine, case, sizes, data, loss, gradient):
    theta, X, y = (engine.array(a) for a in data)

    def f(t):
        return common.mlp_forward_loss(engine.xp, t, X, y, sizes)

    ratio, t_vg, t_f = (("cheap_gradient", case, metric)
                        for metric in ("value_and_grad / f", "value_and_grad", "f"))
    if engine.name == "numpy":
        _run(results, t_f, engine, "ms", 1e3, lambda: f, (theta,), loss)
        return
    try:
        f_call = engine.wrap(f)
        f_error = common.max_rel_error(engine.numpy(f_call(theta)), loss)
        vg = engine.wrap(engine.value_and_grad(f))
        value, g = vg(theta)
        error = max(f_error, common.max_rel_error(engine.numpy(value), loss),
                    common.max_rel_error(engine.numpy(g), gradient))
    except ENGINE_ERRORS as err:
        results.add(ratio, engine, "ratio", status=_error_text(err))
        return
    status, timed = results.checked(error)
    timings = [None, None, None]
    if timed:
        f_time, vg_time = results.measure_pair(lambda: f_call(theta), lambda: vg(theta))
        timings = [vg_time / f_time, vg_time.scaled(1e3), f_time.scaled(1e3)]
    method = engine.method("value_and_grad")
    results.add(ratio, engine, "ratio", timing=timings[0], error=error, status=status,
                method=method)
    results.add(t_vg, engine, "ms", timing=timings[1], error=error, status=status,
                method=method)
    results.add(t_f, engine, "ms", timing=timings[2], error=f_error,
                status=results.checked(f_error)[0])


# -- 3. full Jacobians ----------------------------------------------------------------------------

def jacobian(results, engines):
    for transform, n, m in results.config.jacobian_cases:
        data = common.jacobian_problem(n, m)
        reference = common.jacobian_reference(*data)
        case = f"n={n}, m={m}, hidden {data[1].shape[0]}"
        for engine in engines:
            _jacobian(results, engine, transform, case, data, reference)


def _jacobian(results, engine, transform, case, data, reference):
    x, W1, W2 = (engine.array(a) for a in data)

    def f(z):
        return common.two_layer(engine.xp, z, W1, W2)

    _run(results, ("jacobian", case, transform), engine, "ms", 1e3,
         lambda: engine.wrap(getattr(engine, transform)(f)), (x,), reference)


# -- 4. Hessian-vector product --------------------------------------------------------------------

def hvp(results, engines):
    data = common.hvp_problem(results.config.hvp_n)
    reference = common.hvp_reference(*data)
    case = f"A {data[2].shape[0]}×{data[2].shape[1]}"
    for engine in engines:
        _hvp(results, engine, case, data, reference)


def _hvp(results, engine, case, data, reference):
    x, v, A = (engine.array(a) for a in data)

    def f(z):
        return common.logistic_loss(engine.xp, z, A)

    _run(results, ("hvp", case, "hvp"), engine, "ms", 1e3,
         lambda: engine.wrap(engine.hvp(f)), (x, v), reference)


WORKLOADS = ("overhead", "cheap_gradient", "jacobian", "hvp")


# -- report ---------------------------------------------------------------------------------------

def _targets(df):
    """admodes' targets: ``(workload, metric, limit text, value, verdict)``.

    Only a checked-correct result can meet a target; a wrong one is "WRONG" even if timed.
    """
    def admodes_row(workload, metric, case_start=""):
        rows = df[(df.workload == workload) & (df.metric == metric) & (df.engine == "admodes")
                  & df.case.str.startswith(case_start)]
        return (rows["median"].iloc[0], rows["status"].iloc[0]) if len(rows) else (np.nan, "")

    out = [("overhead", "grad per op", "≤ 5 µs/op", *admodes_row("overhead", "grad per op"),
            5.0),
           ("overhead", "jvp per op", "≤ 3 µs/op", *admodes_row("overhead", "jvp per op"), 3.0)]
    for sizes, limit in ((common.MLP_SIZES_1E6, 3.5), (common.MLP_SIZES_1E3, 5.0)):
        out.append(("cheap_gradient", f"value_and_grad / f, MLP {list(sizes)}", f"≤ {limit}",
                    *admodes_row("cheap_gradient", "value_and_grad / f", f"MLP {list(sizes)}"),
                    limit))
    jit = df[(df.workload == "hvp") & (df.engine == "jax-jit") & (df.status == "ok")]["median"]
    if len(jit) and np.isfinite(jit.iloc[0]):
        limit, text = 2 * jit.iloc[0], f"≤ 2 × JAX-jit here ({2 * jit.iloc[0]:.2f} ms)"
    else:
        limit, text = 3.6, "≤ 2 × published JAX-jit (3.6 ms; JAX-jit not measured here)"
    out.append(("hvp", "hvp", text, *admodes_row("hvp", "hvp"), limit))

    def verdict(value, status, limit):
        if status and status != "ok":
            return status.split(" (")[0]
        if not np.isfinite(value):
            return "not measured"
        return "met" if value <= limit else "MISSED"
    return [(w, m, text, value, verdict(value, status, limit))
            for w, m, text, value, status, limit in out]


def _pinning():
    if hasattr(os, "sched_setaffinity"):
        return "all threads pinned to one CPU"
    return "threads not pinned (no sched_setaffinity here: XLA may use more than one core)"


def _fmt(x):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _table(df):
    show = pd.DataFrame({
        "case": df.case, "metric": df.metric, "engine": df.engine,
        "median": [_fmt(v) for v in df["median"]], "IQR": [_fmt(v) for v in df.iqr],
        "unit": df.unit, "× admodes": [_fmt(v) for v in df.vs_admodes],
        "published": df.published, "check": df.status, "method": df.method})
    if "published" in show and not show.published.astype(bool).any():
        show = show.drop(columns="published")
    try:
        return show.to_markdown(index=False)
    except ImportError:  # tabulate is not installed
        return show.to_string(index=False)


def report(df, header):
    print(header)
    for workload in WORKLOADS:
        part = df[df.workload == workload]
        if part.empty:
            continue
        print(f"\n## {workload}\n")
        print(_table(part))
        if workload == "jacobian":
            print(f"\n({JACOBIAN_NOTE})")
    print("\n## admodes targets\n")
    for workload, metric, text, value, verdict in _targets(df):
        print(f"- {workload} / {metric}: {_fmt(value) or 'n/a'} (target {text}): {verdict}")


def _header(config, engines, missing, elapsed, loads):
    versions = common.peer_versions([p for p in PEERS if any(e.name.startswith(p)
                                                             for e in engines)])

    def label(engine):
        version = versions.get(engine.name.split("-")[0])
        return f"{engine.name} {version}" if version else engine.name

    sizes = "QUICK: fewer repeats, smaller sizes" if config.quick else "full run"
    lines = [
        f"# admodes vs peers ({sizes})",
        "",
        (f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
         f"{os.cpu_count()} CPUs, load average {loads[0]:.1f} at start, {loads[1]:.1f} at end"),
        "engines: " + ", ".join(label(e) for e in engines),
        (f"one BLAS/torch thread, {_pinning()}; float64; median and IQR over repeats; "
         "'× admodes' = engine / admodes (> 1: admodes is faster)"),
    ]
    if missing:
        lines.append("not installed (skipped): " + ", ".join(missing))
    lines.append(f"wall time {elapsed:.0f} s")
    return "\n".join(lines)


# -- command line ---------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_peers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, a 200-op chain and Jacobians with 300 instead of 1000 "
                             "(well under a minute)")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated subset of {','.join(PEERS)} (default: all "
                             f"installed; 'none' for admodes alone)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--out", metavar="FILE.csv",
                        help="write one row per workload × case × metric × engine")
    parser.add_argument("--time-wrong", action="store_true",
                        help="time results that fail the check too (still marked WRONG)")
    args = parser.parse_args(argv)
    peers = [] if args.peers.strip() in ("", "none") else \
        [p.strip() for p in args.peers.split(",")]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f"--peers: unknown peer(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(PEERS)}")
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"--workloads: unknown workload(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(WORKLOADS)}")
    return args, peers, workloads


def main(argv=None):
    args, peers, workloads = parse_args(argv)
    config = QUICK if args.quick else FULL
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    engines, missing = make_engines(peers)
    results = Results(config, args.time_wrong)
    control = Numpy()
    with common.single_thread():
        for workload in workloads:
            tic = time.perf_counter()
            print(f"running {workload} ...", end=" ", file=sys.stderr, flush=True)
            if workload == "overhead":
                overhead(results, engines, control)
            elif workload == "cheap_gradient":
                cheap_gradient(results, engines, control)
            elif workload == "jacobian":
                jacobian(results, engines)
            else:
                hvp(results, engines)
            print(f"{time.perf_counter() - tic:.1f} s", file=sys.stderr, flush=True)
    df = results.frame()
    loads = (load_start, os.getloadavg()[0])
    report(df, _header(config, engines, missing, time.perf_counter() - start, loads))
    if args.out:
        df.to_csv(args.out, index=False)
        print(f"\nwrote {args.out}")
    wrong = df[(df.engine == "admodes") & ~df.status.eq("ok")]
    return 1 if len(wrong) else 0


if __name__ == "__main__":
    sys.exit(main())
