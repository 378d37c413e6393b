"""The two engines on the shared workloads of ``benchmarks.common``.

- :class:`ScalarChain`: a chain of ``n_ops`` scalar elementwise ops (size-1 float64): ``grad``
  (reverse) and ``jvp`` (forward), with the untraced function and plain numpy as controls. The
  cost per op is the time divided by ``n_ops``; at ``n_ops = 1000`` milliseconds read as µs/op.
- :class:`MLPGradient`: the gradient of a tanh MLP's mean squared error with respect to its
  flat parameter vector, at three sizes. The forward pass (recording the tape), the backward
  sweep (one pullback of the recorded tape) and the total (``value_and_grad``) are timed
  separately, with the untraced function and plain numpy as controls.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

import admodes as ad
import admodes.numpy as anp
from benchmarks import common

#: MLP layer sizes by approximate parameter count (1 001, 94 251 and 998 991 parameters).
MLP_SIZES = {
    "1e3": common.MLP_SIZES_1E3,
    "1e5": (250, 250, 125, 1),
    "1e6": common.MLP_SIZES_1E6,
}


class ChainSetup(common.Benchmark):
    """Inputs of the chain suites: ``x`` (size 1), direction ``v``, ``f`` of ``n_ops`` scalar
    ops then a sum, and ``grad_f``."""

    params: ClassVar[list] = [[10, 100, 1000]]
    param_names: ClassVar[list] = ["n_ops"]

    def setup(self, n_ops):
        self.x = common.chain_input()
        self.v = np.ones_like(self.x)

        def f(x):
            return common.chain(anp, x, n_ops)

        self.f = f
        self.grad_f = ad.grad(f)
        super().setup(n_ops)


class ScalarChain(ChainSetup):
    """``n_ops`` scalar ops then a sum: per-op overhead of each engine."""

    def time_grad(self, n_ops):
        self.grad_f(self.x)

    def time_jvp(self, n_ops):
        ad.jvp(self.f, (self.x,), (self.v,))

    def time_function(self, n_ops):
        self.f(self.x)

    def time_numpy_control(self, n_ops):
        common.chain(np, self.x, n_ops)


class MLPGradient(common.Benchmark):
    """Reverse-mode gradient of an MLP loss: forward pass, backward sweep, total."""

    params: ClassVar[list] = [list(MLP_SIZES)]
    param_names: ClassVar[list] = ["params"]

    def setup(self, size):
        sizes = MLP_SIZES[size]
        self.theta, X, y = common.mlp_problem(sizes)

        def f(theta):
            return common.mlp_forward_loss(anp, theta, X, y, sizes)

        self.f = f
        self.numpy_args = (self.theta, X, y, sizes)
        self.value_and_grad = ad.value_and_grad(f)
        _, self.pullback = ad.vjp(f, self.theta)
        super().setup(size)

    def time_forward_pass(self, size):
        ad.vjp(self.f, self.theta)

    def time_backward_sweep(self, size):
        self.pullback(1.0)

    def time_total(self, size):
        self.value_and_grad(self.theta)

    def time_function(self, size):
        self.f(self.theta)

    def time_numpy_control(self, size):
        common.mlp_forward_loss(np, *self.numpy_args)
