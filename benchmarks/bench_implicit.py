"""Gradients through an iterative linear solver: implicit differentiation vs unrolling.

A 1-D diffusion problem Dᵀ diag(e^θ) D x = b with n + 1 log-conductivities θ, solved by k
conjugate-gradient iterations written with admodes.numpy (the problem and solver of
``experiments.implicit_differentiation``); the loss is ½‖x − target‖². Timed: one plain solve
(the control), the gradient by reverse mode through the k iterations (``unrolled``) and by the
implicit function theorem (``ad.lax.custom_linear_solve`` with the same CG for the adjoint
solve; nothing recorded inside, ``implicit``). Tracked: the tape bytes of each gradient
(``admodes.cost``): O(k·n) unrolled, O(n) implicit.
"""

from __future__ import annotations

from typing import ClassVar

import admodes as ad
from benchmarks import common
from experiments import implicit_differentiation as imp


class CGGradient(common.Benchmark):
    """One gradient through k CG iterations on n = 128 cells."""

    params: ClassVar[list] = [[16, 64, 128]]
    param_names: ClassVar[list] = ["iterations"]

    def setup(self, iterations):
        self.problem = imp.poisson_problem(128, seed=0)
        self.theta = self.problem["theta"]
        self.plain = imp.make_loss("poisson", self.problem, "unrolled", iterations)
        self.grads = {method: ad.grad(imp.make_loss("poisson", self.problem, method,
                                                    iterations), has_aux=True)
                      for method in imp.METHODS}
        super().setup(iterations)

    def time_solve(self, iterations):
        self.plain(self.theta)

    def time_grad_unrolled(self, iterations):
        self.grads["unrolled"](self.theta)

    def time_grad_implicit(self, iterations):
        self.grads["implicit"](self.theta)

    def _tape_bytes(self, method):
        with ad.cost.meter() as meter:
            self.grads[method](self.theta)
        return meter.peak_tape_bytes

    def track_tape_bytes_unrolled(self, iterations):
        return self._tape_bytes("unrolled")

    track_tape_bytes_unrolled.unit = "bytes"

    def track_tape_bytes_implicit(self, iterations):
        return self._tape_bytes("implicit")

    track_tape_bytes_implicit.unit = "bytes"
