"""The shared workloads in admodes and its peers: HIPS autograd, JAX (eager and jit), PyTorch.

The engines are the ones of ``benchmarks.compare_peers`` (one interface over each AD system;
every engine differentiates the same workload code from ``benchmarks.common``). A peer that is
not installed is skipped in ``setup`` (``NotImplementedError``, asv's convention). For
``jax-jit`` the compilation happens in ``setup``; JAX's asynchronous dispatch is waited for
inside each timed call. For the full table with correctness checks run
``python -m benchmarks.compare_peers``.
"""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np

from benchmarks import common, compare_peers
from benchmarks.bench_engines import MLP_SIZES

ENGINES = ["admodes", "autograd", "jax", "jax-jit", "torch"]


def make_engine(name):
    """The engine called ``name``; ``NotImplementedError`` when its peer is not installed."""
    peer = name.split("-")[0]
    engines, missing = compare_peers.make_engines([] if peer == "admodes" else [peer])
    if missing:
        raise NotImplementedError(f"{peer} is not installed")
    return next(engine for engine in engines if engine.name == name)


class _Peer(common.Benchmark):
    def prepare(self, engine, f, calls):
        """``self.calls[t]``: ``engine``'s transform ``t`` of ``f`` (``"function"``: ``f`` itself)
        bound to the arguments ``calls[t]`` and called once (warm-up, compilation), so that the
        timed bodies only call it.
        """
        self.calls = {}
        for transform, args in calls.items():
            fn = f if transform == "function" else getattr(engine, transform)(f)
            call = functools.partial(engine.wrap(fn), *args)
            call()
            self.calls[transform] = call


class PeerChain(_Peer):
    """grad and jvp of the chain of 100 scalar ops."""

    params: ClassVar[list] = [ENGINES]
    param_names: ClassVar[list] = ["engine"]
    n_ops = 100

    def setup(self, engine):
        e = make_engine(engine)
        x = e.array(common.chain_input())
        v = e.array(np.ones_like(common.chain_input()))
        n_ops = self.n_ops

        def f(z):
            return common.chain(e.xp, z, n_ops)

        self.prepare(e, f, {"grad": (x,), "jvp": (x, v)})
        super().setup(engine)

    def time_grad(self, engine):
        self.calls["grad"]()

    def time_jvp(self, engine):
        self.calls["jvp"]()


class PeerMLP(_Peer):
    """value_and_grad of the MLP loss, and the function itself in each engine's namespace."""

    params: ClassVar[list] = [ENGINES, ["1e3", "1e6"]]
    param_names: ClassVar[list] = ["engine", "params"]

    def setup(self, engine, size):
        sizes = MLP_SIZES[size]
        e = make_engine(engine)
        theta, X, y = (e.array(a) for a in common.mlp_problem(sizes))

        def f(t):
            return common.mlp_forward_loss(e.xp, t, X, y, sizes)

        self.prepare(e, f, {"value_and_grad": (theta,), "function": (theta,)})
        super().setup(engine, size)

    def time_value_and_grad(self, engine, size):
        self.calls["value_and_grad"]()

    def time_function(self, engine, size):
        self.calls["function"]()


class PeerJacobian(_Peer):
    """Full Jacobians of the two-layer map (hidden 256): each engine's jacfwd and jacrev."""

    params: ClassVar[list] = [ENGINES, ["100x10", "10x100", "100x100"]]
    param_names: ClassVar[list] = ["engine", "n x m"]

    def setup(self, engine, shape):
        n, m = (int(k) for k in shape.split("x"))
        e = make_engine(engine)
        x, W1, W2 = (e.array(a) for a in common.jacobian_problem(n, m))

        def f(z):
            return common.two_layer(e.xp, z, W1, W2)

        self.prepare(e, f, {"jacfwd": (x,), "jacrev": (x,)})
        super().setup(engine, shape)

    def time_jacfwd(self, engine, shape):
        self.calls["jacfwd"]()

    def time_jacrev(self, engine, shape):
        self.calls["jacrev"]()


class PeerHVP(_Peer):
    """Hessian-vector product of the logistic-type loss (each engine's usual nesting)."""

    params: ClassVar[list] = [ENGINES, [1_000, 10_000]]
    param_names: ClassVar[list] = ["engine", "n"]

    def setup(self, engine, n):
        e = make_engine(engine)
        x, v, A = (e.array(a) for a in common.hvp_problem(n))

        def f(z):
            return common.logistic_loss(e.xp, z, A)

        self.prepare(e, f, {"hvp": (x, v)})
        super().setup(engine, n)

    def time_hvp(self, engine, n):
        self.calls["hvp"]()
