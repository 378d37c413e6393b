"""Full Jacobians of ``x ↦ tanh(W2 tanh(W1 x))`` (R^n → R^m, hidden 256): jacfwd vs jacrev.

Forward mode costs n JVPs, reverse mode m VJPs; ``chunk_size`` says how many directions go
through the engine per pass: ``None`` is vector mode (all of them in one batched pass), ``1``
is the classic one direction per pass, ``16`` is in between.
"""

from __future__ import annotations

from typing import ClassVar

import admodes as ad
import admodes.numpy as anp
from benchmarks import common


class Jacobian(common.Benchmark):
    """jacfwd and jacrev over an (n, m) grid, in vector mode and chunked."""

    params: ClassVar[list] = [[10, 100, 300], [10, 100, 300], [None, 16, 1]]
    param_names: ClassVar[list] = ["n", "m", "chunk_size"]

    def setup(self, n, m, chunk_size):
        self.x, W1, W2 = common.jacobian_problem(n, m)

        def f(x):
            return common.two_layer(anp, x, W1, W2)

        self.jacfwd = ad.jacfwd(f, chunk_size=chunk_size)
        self.jacrev = ad.jacrev(f, chunk_size=chunk_size)
        super().setup(n, m, chunk_size)

    def time_jacfwd(self, n, m, chunk_size):
        self.jacfwd(self.x)

    def time_jacrev(self, n, m, chunk_size):
        self.jacrev(self.x)
