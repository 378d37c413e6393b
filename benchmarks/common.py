"""Shared pieces of the benchmark suite and the peer comparison script.

- :func:`measure` / :func:`measure_interleaved`: warm-up, repeats, median and IQR with
  ``time.perf_counter``. The heap is collected before the repeats; the garbage collector
  then stays on, as in real use (asv's timeit turns it off).
- :func:`single_thread`: one BLAS thread (threadpoolctl), one PyTorch thread, and the whole
  process pinned to one CPU (XLA ignores its thread-count flags).
- Peer import guards :func:`import_autograd`, :func:`import_jax`, :func:`import_torch`: the
  module, or ``None`` when the peer is not installed. ``admodes`` itself never imports a peer.
- Seeded, cached workloads (plain read-only numpy arrays) and the workload functions written
  once against a numpy-like namespace ``xp`` (``admodes.numpy``, ``autograd.numpy``,
  ``jax.numpy`` or ``torch``), so every engine differentiates the same code.
- Closed-form numpy references for each workload's derivative.
- :class:`Benchmark`, the asv base class (timeout, goal time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import itertools
import os
import sys
import time

import numpy as np

__all__ = [
    "CHAIN_CYCLE",
    "MLP_SIZES_1E3",
    "MLP_SIZES_1E6",
    "Benchmark",
    "Timing",
    "chain",
    "chain_derivative",
    "chain_input",
    "hvp_problem",
    "hvp_reference",
    "import_autograd",
    "import_jax",
    "import_torch",
    "jacobian_problem",
    "jacobian_reference",
    "logistic_loss",
    "max_rel_error",
    "measure",
    "measure_interleaved",
    "mlp_forward_loss",
    "mlp_grad_reference",
    "mlp_n_params",
    "mlp_problem",
    "peer_versions",
    "single_thread",
    "two_layer",
]

SEED = 20240607


# -- timing ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call over the repeats: median, quartiles and the raw samples."""

    samples: tuple
    number: int  # calls per repeat

    @classmethod
    def from_samples(cls, samples, number=1):
        return cls(tuple(float(s) for s in samples), int(number))

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def q1(self) -> float:
        return float(np.percentile(self.samples, 25))

    @property
    def q3(self) -> float:
        return float(np.percentile(self.samples, 75))

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def scaled(self, factor):
        """The same timing in other units (e.g. ``1e6 / n_ops`` for µs per op)."""
        return Timing(tuple(s * factor for s in self.samples), self.number)

    def __truediv__(self, other):
        """Per-repeat ratio of two interleaved timings (same number of repeats)."""
        if len(self.samples) != len(other.samples):
            raise ValueError(f"Timing ratio needs the same number of repeats, got "
                             f"{len(self.samples)} and {len(other.samples)}")
        return Timing(tuple(a / b for a, b in zip(self.samples, other.samples)), 1)


_NICE_NUMBERS = tuple(step * 10**k for k in range(7) for step in (1, 2, 5))


def _calls_for(fn, target):
    """Calls per repeat (1, 2, 5, 10, 20, ...) so that one repeat lasts ``target`` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target or number >= _NICE_NUMBERS[-1]:
            return number
        wanted = target / max(elapsed, 1e-9) * number
        number = next((c for c in _NICE_NUMBERS if c >= wanted and c > number),
                      _NICE_NUMBERS[-1])


def measure(fn, *, repeats=7, warmup=1, number=None, target=0.02, budget=None):
    """Time ``fn()``: ``warmup`` calls, then ``repeats`` repeats of ``number`` calls.

    ``number=None`` picks the calls per repeat so that a repeat lasts ``target`` seconds.
    ``budget`` (seconds) stops early once spent, after at least three repeats.
    Returns a :class:`Timing` in seconds per call.
    """
    return measure_interleaved([fn], repeats=repeats, warmup=warmup, number=number,
                               target=target, budget=budget)[0]


def measure_interleaved(fns, *, repeats=7, warmup=1, number=None, target=0.02, budget=None):
    """Time several callables in alternation (one repeat of each per round).

    Interleaving makes per-round ratios (e.g. gradient time / function time) insensitive to
    slow drifts of the machine. ``number`` as in :func:`measure` (``None``: chosen per
    callable). Returns one :class:`Timing` per callable.
    """
    for fn in fns:
        for _ in range(warmup):
            fn()
    numbers = [number or _calls_for(fn, target) for fn in fns]
    gc.collect()
    samples = [[] for _ in fns]
    spent = 0.0
    for i in range(repeats):
        for fn, calls, out in zip(fns, numbers, samples):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            elapsed = time.perf_counter() - start
            out.append(elapsed / calls)
            spent += elapsed
        if budget is not None and spent > budget and i >= 2:
            break
    return [Timing.from_samples(s, n) for s, n in zip(samples, numbers)]


@contextlib.contextmanager
def single_thread():
    """One core for everything: BLAS/OpenMP (threadpoolctl), PyTorch, and XLA's thread pool.

    Thread-count settings do not bind XLA's CPU runtime (jax-ml/jax#1539: with
    ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``, JAX 0.10's jitted
    matmul still used about 1.75 of this machine's 2 cores), so on Linux every thread of the
    process is also pinned to one CPU (:func:`_one_cpu`); threads started inside inherit it.
    """
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1), _one_cpu():
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


@contextlib.contextmanager
def _one_cpu():
    """Pin every thread of this process to the first CPU it may run on; restore on exit.

    A no-op where the OS has no ``sched_setaffinity`` (macOS, Windows): there the peers'
    own thread settings are all that holds them to one thread.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    previous = os.sched_getaffinity(0)
    one = {min(previous)}

    def pin(cpus):
        for tid in _threads_of_this_process():
            with contextlib.suppress(OSError):  # a thread may end while we walk the list
                os.sched_setaffinity(tid, cpus)

    pin(one)
    try:
        yield
    finally:
        pin(previous)


def _threads_of_this_process():
    """Thread ids of this process (Linux ``/proc/self/task``; just this thread elsewhere)."""
    try:
        return [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


# -- peer import guards ---------------------------------------------------------------------------

@functools.cache
def import_autograd():
    """HIPS autograd, or None."""
    try:
        import autograd
        import autograd.numpy
    except ImportError:
        return None
    return autograd


@functools.cache
def import_jax():
    """JAX on the CPU in float64 with one XLA intra-op thread (best effort), or None.

    The flags are the ones the JAX maintainers suggest (jax-ml/jax#743); XLA may still use
    helper threads while compiling. They only take effect if JAX was not imported before.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
        import jax.numpy
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


@functools.cache
def import_torch():
    """PyTorch (any build, used on the CPU in float64), or None."""
    try:
        import torch
    except ImportError:
        return None
    with contextlib.suppress(RuntimeError):  # only allowed before any parallel work
        torch.set_num_interop_threads(1)
    return torch


def peer_versions(peers=("autograd", "jax", "torch")):
    """``{name: version}`` of those of ``peers`` that are installed (importing them)."""
    from importlib.metadata import PackageNotFoundError, version

    guards = {"autograd": import_autograd, "jax": import_jax, "torch": import_torch}
    versions = {}
    for name in peers:
        if guards[name]() is not None:
            try:
                versions[name] = version(name)
            except PackageNotFoundError:
                versions[name] = "unknown"
    return versions


# -- workloads ------------------------------------------------------------------------------------

def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays if len(arrays) > 1 else arrays[0]


def _rng(*key):
    return np.random.default_rng([SEED, *key])


# 1. chain of scalar elementwise ops (per-op overhead)

#: One cycle of the chain; the chain repeats it. Values stay in a bounded range.
CHAIN_CYCLE = ("sin", "mul 2.0", "cos", "add 0.1", "tanh")


def chain(xp, x, n_ops):
    """``n_ops`` elementwise ops on ``x`` (cycling through :data:`CHAIN_CYCLE`), then a sum."""
    return xp.sum(chain_ops(xp, x, n_ops))


def chain_ops(xp, x, n_ops):
    """The ``n_ops`` elementwise ops of :func:`chain`, without the sum."""
    sin, cos, tanh = xp.sin, xp.cos, xp.tanh
    for i in range(n_ops):
        k = i % 5
        if k == 0:
            x = sin(x)
        elif k == 1:
            x = x * 2.0
        elif k == 2:
            x = cos(x)
        elif k == 3:
            x = x + 0.1
        else:
            x = tanh(x)
    return x


@functools.cache
def chain_input():
    """The size-1 float64 input of the chain."""
    return _frozen(np.array([0.3]))


def chain_derivative(x, n_ops):
    """Closed form: d chain / dx by the chain rule in numpy."""
    x = np.array(x, dtype=float)
    d = np.ones_like(x)
    for i in range(n_ops):
        k = i % 5
        if k == 0:
            d, x = d * np.cos(x), np.sin(x)
        elif k == 1:
            d, x = d * 2.0, x * 2.0
        elif k == 2:
            d, x = -d * np.sin(x), np.cos(x)
        elif k == 3:
            x = x + 0.1
        else:
            x = np.tanh(x)
            d = d * (1 - x * x)
    return d


# 2. MLP with a flat parameter vector (cheap-gradient ratio)

#: Layer sizes [in, hidden, hidden, out]: 998 991 and 1 001 parameters.
MLP_SIZES_1E6 = (706, 706, 706, 1)
MLP_SIZES_1E3 = (24, 28, 10, 1)


def mlp_n_params(sizes):
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def mlp_forward_loss(xp, theta, X, y, sizes):
    """Mean squared error of a tanh MLP whose weights are sliced out of the flat ``theta``.

    Layer ``l`` is ``h @ W_l + b_l`` with ``W_l`` of shape ``(sizes[l], sizes[l+1])``; tanh on
    every layer but the last.
    """
    h, offset = X, 0
    last = len(sizes) - 2
    for layer, (a, b) in enumerate(itertools.pairwise(sizes)):
        W = theta[offset:offset + a * b].reshape(a, b)
        offset += a * b
        bias = theta[offset:offset + b]
        offset += b
        h = h @ W + bias
        if layer < last:
            h = xp.tanh(h)
    r = h - y
    return xp.mean(r * r)


@functools.cache
def mlp_problem(sizes, batch=64):
    """``(theta, X, y)``: Glorot-scaled flat parameters, inputs and targets (seeded)."""
    rng = _rng(1, *sizes, batch)
    parts = []
    for a, b in itertools.pairwise(sizes):
        parts.append(rng.standard_normal(a * b) / np.sqrt(a))
        parts.append(0.1 * rng.standard_normal(b))
    theta = np.concatenate(parts)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.standard_normal((batch, sizes[-1]))
    return _frozen(theta, X, y)


def mlp_grad_reference(theta, X, y, sizes):
    """Closed form: the gradient of :func:`mlp_forward_loss` by hand-written backprop."""
    weights, offset = [], 0
    for a, b in itertools.pairwise(sizes):
        W = theta[offset:offset + a * b].reshape(a, b)
        offset += a * b
        weights.append((W, theta[offset:offset + b]))
        offset += b
    hs = [X]
    for layer, (W, bias) in enumerate(weights):
        z = hs[-1] @ W + bias
        hs.append(np.tanh(z) if layer < len(weights) - 1 else z)
    delta = 2.0 * (hs[-1] - y) / y.size
    pieces = [None] * (2 * len(weights))
    for layer in range(len(weights) - 1, -1, -1):
        pieces[2 * layer] = (hs[layer].T @ delta).ravel()
        pieces[2 * layer + 1] = delta.sum(axis=0)
        if layer:
            delta = (delta @ weights[layer][0].T) * (1 - hs[layer] ** 2)
    return np.concatenate(pieces)


# 3. Jacobians of a two-layer map

def two_layer(xp, x, W1, W2):
    """``x ↦ tanh(W2 tanh(W1 x))``."""
    return xp.tanh(W2 @ xp.tanh(W1 @ x))


@functools.cache
def jacobian_problem(n, m, hidden=256):
    """``(x, W1, W2)`` with ``W1`` of shape (hidden, n) and ``W2`` of shape (m, hidden)."""
    rng = _rng(2, n, m, hidden)
    x = rng.standard_normal(n)
    W1 = rng.standard_normal((hidden, n)) / np.sqrt(n)
    W2 = rng.standard_normal((m, hidden)) / np.sqrt(hidden)
    return _frozen(x, W1, W2)


def jacobian_reference(x, W1, W2):
    """Closed form: ``diag(1 - y²) W2 diag(1 - h²) W1``, shape (m, n)."""
    h = np.tanh(W1 @ x)
    y = np.tanh(W2 @ h)
    return ((1 - y * y)[:, None] * W2) @ ((1 - h * h)[:, None] * W1)


# 4. Hessian-vector product of a logistic-type loss

def logistic_loss(xp, x, A):
    """``sum(log1p(exp(A x))) + x·x/2``."""
    return xp.sum(xp.log1p(xp.exp(A @ x))) + 0.5 * xp.sum(x * x)


@functools.cache
def hvp_problem(n, rows=200):
    """``(x, v, A)`` with ``A`` of shape (rows, n) scaled so that ``A x`` is O(1)."""
    rng = _rng(3, n, rows)
    A = rng.standard_normal((rows, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    v = rng.standard_normal(n)
    return _frozen(x, v, A)


def hvp_reference(x, v, A):
    """Closed form: ``Aᵀ (s(1-s) ⊙ A v) + v`` with ``s = sigmoid(A x)``."""
    s = 1.0 / (1.0 + np.exp(-(A @ x)))
    return A.T @ (s * (1 - s) * (A @ v)) + v


def max_rel_error(result, reference):
    """``max |result - reference| / max |reference|`` (``inf`` on a shape mismatch or a nan).

    Relative to the largest reference entry (absolute where the reference is all zeros), so
    a derivative that is tiny everywhere is still checked to full precision.
    """
    result = np.asarray(result, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if result.shape != reference.shape:
        return float("inf")
    if not reference.size:
        return 0.0
    scale = float(np.max(np.abs(reference))) or 1.0
    err = float(np.max(np.abs(result - reference))) / scale
    return err if np.isfinite(err) else float("inf")


# -- asv ------------------------------------------------------------------------------------------

class Benchmark:
    """Base of the asv suites: a generous timeout, a short goal time per sample, one thread.

    Suites build their inputs in ``setup`` from the cached workload functions above and raise
    ``NotImplementedError`` there to skip a peer that is not installed. The base ``setup``
    holds BLAS, PyTorch and the process to one thread and one CPU (:func:`single_thread`, as
    for the comparison script), and ``teardown`` restores them; a suite with its own ``setup``/``teardown`` calls
    these through ``super()`` (after any skip, so that a skipped benchmark pins nothing).
    """

    timeout = 300.0
    goal_time = 0.1
    warmup_time = 0.05

    def setup(self, *params):
        self._threads = contextlib.ExitStack()
        self._threads.enter_context(single_thread())

    def teardown(self, *params):
        threads = self.__dict__.pop("_threads", None)
        if threads is not None:
            threads.close()
