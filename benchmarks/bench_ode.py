"""ODE gradients (``admodes.ode.gradient``) by method, against the plain solve.

- :class:`NeuralODEGradient`: the neural ODE dy/dt = tanh(W y + b) of
  ``admodes.ode.problems.neural_ode`` (p = dim² + dim; dim = 31 gives the 992 parameters of
  issue #5), rtol = atol = 1e-6: one gradient by each method, one plain solve with the same
  solver (dopri5 for the discrete adjoint, RK45 for the continuous methods), the ratio of the
  two (issue #5's target: ≤ 6 for the discrete and interpolating adjoints) and the admodes
  FLOPs of one gradient (deterministic).
- :class:`HeatGradient`: the heat equation with one diffusivity per grid point (p = n, stiff
  for n ≳ 60), implicit solvers (rosenbrock for the discrete adjoint, BDF for the continuous
  methods), the same quantities (issue #5's target: interpolating ≤ 5× the solve at p = 300).
"""

from __future__ import annotations

import functools
from typing import ClassVar

import admodes as ad
from admodes import ode
from benchmarks import common

TOL = 1e-6


@functools.cache
def _problem(kind, size):
    return ode.problems.neural_ode(size) if kind == "neural" else ode.problems.heat(size)


class _ODEGradient(common.Benchmark):
    """One gradient by ``method`` and one plain solve with the same solver."""

    kind: ClassVar[str] = ""
    solvers: ClassVar[dict] = {}

    def setup(self, method, size):
        problem = _problem(self.kind, size)
        solver = self.solvers[method]
        args = (problem.rhs, problem.y0, problem.params, problem.t_span, problem.t_obs)

        def gradient():
            return ode.gradient(problem.loss, *args, method=method, rtol=TOL, atol=TOL,
                                solver=solver)

        def solve():
            return ode.solve(*args, solver=solver, rtol=TOL, atol=TOL)

        self.gradient, self.solve = gradient, solve
        super().setup(method, size)

    def time_gradient(self, method, size):
        self.gradient()

    def time_solve(self, method, size):
        self.solve()

    def track_gradient_over_solve(self, method, size):
        gradient, solve = common.measure_interleaved([self.gradient, self.solve], repeats=5,
                                                     target=0.01)
        return (gradient / solve).median

    track_gradient_over_solve.unit = "ratio"

    def track_gradient_flops(self, method, size):
        with ad.cost.meter() as m:
            self.gradient()
        return m.total_flops

    track_gradient_flops.unit = "FLOPs"


class NeuralODEGradient(_ODEGradient):
    """Neural ODE, p = dim² + dim (6, 72, 342, 992): each method vs its plain solve."""

    kind = "neural"
    solvers: ClassVar[dict] = {"discrete": "dopri5", "interpolating": "RK45",
                               "backsolve": "RK45", "forward": "RK45"}
    params: ClassVar[list] = [list(solvers), [2, 8, 18, 31]]
    param_names: ClassVar[list] = ["method", "dim"]


class HeatGradient(_ODEGradient):
    """Heat equation, p = n (16, 100, 300), implicit solvers: each method vs its solve."""

    kind = "heat"
    solvers: ClassVar[dict] = {"discrete": "rosenbrock", "interpolating": "BDF",
                               "forward": "BDF"}
    params: ClassVar[list] = [list(solvers), [16, 100, 300]]
    param_names: ClassVar[list] = ["method", "n"]

    def setup(self, method, size):
        if method == "forward" and size > 100:
            raise NotImplementedError("forward sensitivities at n = 300: n² = 90 000 "
                                      "sensitivity equations, minutes per gradient")
        super().setup(method, size)
