"""Second derivatives of ``sum(log1p(exp(A x))) + x·x/2`` (``A`` of shape 200 × n).

- :class:`HessianVectorProduct`: ``H v`` three ways, all O(C): reverse-over-forward
  (``ad.hvp``, the gradient of the JVP ``∇f(x)·v``), forward-over-reverse (a JVP of the
  gradient, which also computes ``∇f(x)``) and reverse-over-reverse (the gradient of
  ``<∇f(x), v>``). The gradient alone is the control.
- :class:`Hessian`: the full n × n Hessian forward-over-reverse (``ad.hessian``, n JVPs of the
  gradient in one vectorized pass) vs reverse-over-reverse (``jacrev`` of ``grad``).
"""

from __future__ import annotations

from typing import ClassVar

import admodes as ad
import admodes.numpy as anp
from benchmarks import common


def _loss(n):
    """``(f, x, v)`` for the logistic-type loss of size ``n``."""
    x, v, A = common.hvp_problem(n)

    def f(z):
        return common.logistic_loss(anp, z, A)

    return f, x, v


class HessianVectorProduct(common.Benchmark):
    """One Hessian-vector product, two nestings of the engines."""

    params: ClassVar[list] = [[100, 1_000, 10_000]]
    param_names: ClassVar[list] = ["n"]

    def setup(self, n):
        self.f, self.x, self.v = _loss(n)
        self.grad_f = ad.grad(self.f)
        v = self.v
        grad_f = self.grad_f
        self.hvp_rev_over_rev = ad.grad(lambda z: anp.sum(grad_f(z) * v))
        super().setup(n)

    def time_rev_over_fwd(self, n):
        ad.hvp(self.f, self.x, self.v)

    def time_fwd_over_rev(self, n):
        ad.jvp(self.grad_f, (self.x,), (self.v,))

    def time_rev_over_rev(self, n):
        self.hvp_rev_over_rev(self.x)

    def time_gradient(self, n):
        self.grad_f(self.x)


class Hessian(common.Benchmark):
    """The full Hessian, two nestings of the engines."""

    params: ClassVar[list] = [[10, 30, 100]]
    param_names: ClassVar[list] = ["n"]

    def setup(self, n):
        f, self.x, _ = _loss(n)
        self.fwd_over_rev = ad.hessian(f)
        self.rev_over_rev = ad.jacrev(ad.grad(f))
        super().setup(n)

    def time_fwd_over_rev(self, n):
        self.fwd_over_rev(self.x)

    def time_rev_over_rev(self, n):
        self.rev_over_rev(self.x)
