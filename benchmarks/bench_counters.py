"""The claims as numbers that machine noise does not move: counts, FLOPs and time ratios.

- Op counts and FLOPs come from ``admodes.cost`` meters: deterministic, identical on every
  machine, so any change in them is a change in the code.
- Time ratios are measured in one call, the two callables timed in alternation
  (``common.measure_interleaved``) and the ratio taken per round (median over rounds): the
  gradient costs a small constant times the function (the cheap-gradient principle), and
  jacfwd / jacrev follows n / m.

One quantity, one unit per method.
"""

from __future__ import annotations

from typing import ClassVar

import admodes as ad
import admodes.numpy as anp
from benchmarks import common
from benchmarks.bench_engines import MLP_SIZES, ChainSetup

JACOBIAN_SIZES = [10, 100, 300]


def _time_ratio(numerator, denominator):
    """Median over interleaved rounds of ``time(numerator()) / time(denominator())``."""
    t_den, t_num = common.measure_interleaved([denominator, numerator], repeats=7, target=0.02,
                                              budget=2.0)
    return (t_num / t_den).median


class _MLP(common.Benchmark):
    params: ClassVar[list] = [list(MLP_SIZES)]
    param_names: ClassVar[list] = ["params"]

    def setup(self, size):
        sizes = MLP_SIZES[size]
        self.theta, X, y = common.mlp_problem(sizes)

        def f(theta):
            return common.mlp_forward_loss(anp, theta, X, y, sizes)

        self.f = f
        self.value_and_grad = ad.value_and_grad(f)
        super().setup(size)


class _TwoLayer(common.Benchmark):
    params: ClassVar[list] = [JACOBIAN_SIZES, JACOBIAN_SIZES]
    param_names: ClassVar[list] = ["n", "m"]

    def setup(self, n, m):
        self.x, W1, W2 = common.jacobian_problem(n, m)

        def f(x):
            return common.two_layer(anp, x, W1, W2)

        self.jacfwd = ad.jacfwd(f)
        self.jacrev = ad.jacrev(f)
        super().setup(n, m)


class ChainCounts(ChainSetup):
    """Primitive evaluations of grad and jvp on the chain of scalar ops (all phases)."""

    def track_ops_grad(self, n_ops):
        with ad.cost.meter() as meter:
            self.grad_f(self.x)
        return meter.ops

    track_ops_grad.unit = "ops"

    def track_ops_jvp(self, n_ops):
        with ad.cost.meter() as meter:
            ad.jvp(self.f, (self.x,), (self.v,))
        return meter.ops

    track_ops_jvp.unit = "ops"


class MLPFlops(_MLP):
    """FLOPs of the MLP loss and of its gradient (cost models, all phases)."""

    def track_flops_function(self, size):
        _, meter = ad.cost.measure(self.f, self.theta)
        return meter.total_flops

    track_flops_function.unit = "flops"

    def track_flops_value_and_grad(self, size):
        with ad.cost.meter() as meter:
            self.value_and_grad(self.theta)
        return meter.total_flops

    track_flops_value_and_grad.unit = "flops"

    def track_flops_ratio_value_and_grad_over_function(self, size):
        _, function = ad.cost.measure(self.f, self.theta)
        with ad.cost.meter() as gradient:
            self.value_and_grad(self.theta)
        return gradient.total_flops / function.total_flops

    track_flops_ratio_value_and_grad_over_function.unit = "ratio"


class JacobianFlops(_TwoLayer):
    """FLOPs of the full Jacobian by forward and by reverse mode (vector mode)."""

    def track_flops_jacfwd(self, n, m):
        with ad.cost.meter() as meter:
            self.jacfwd(self.x)
        return meter.total_flops

    track_flops_jacfwd.unit = "flops"

    def track_flops_jacrev(self, n, m):
        with ad.cost.meter() as meter:
            self.jacrev(self.x)
        return meter.total_flops

    track_flops_jacrev.unit = "flops"


class GradientTimeRatio(_MLP):
    """t(value_and_grad) / t(f), f being the untraced admodes.numpy function."""

    def track_value_and_grad_over_function(self, size):
        return _time_ratio(lambda: self.value_and_grad(self.theta), lambda: self.f(self.theta))

    track_value_and_grad_over_function.unit = "ratio"


class JacobianTimeRatio(_TwoLayer):
    """t(jacfwd) / t(jacrev), both in vector mode: about n / m for large n and m."""

    def track_jacfwd_over_jacrev(self, n, m):
        return _time_ratio(lambda: self.jacfwd(self.x), lambda: self.jacrev(self.x))

    track_jacfwd_over_jacrev.unit = "ratio"
