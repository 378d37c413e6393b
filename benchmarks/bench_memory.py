"""Memory of reverse mode (the tape) vs forward mode on the chain of elementwise ops.

The chain of ``benchmarks.common`` runs on a vector of ``size`` copies of its input. Reverse
mode keeps residuals for every op until the sweep, O(n_ops · size) bytes; checkpointed
(``ad.checkpoint`` on segments of about √n_ops ops) it keeps the segments' inputs and one
segment's tape at a time, O(√n_ops · size); forward mode carries one tangent along, O(size).
``peakmem_`` is the peak resident memory of the benchmark process (asv's measure, imports and
setup included), so compare the methods with each other and with the numpy control; ``track_``
gives the tape's own bytes, exactly and machine-independently.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

import admodes as ad
import admodes.numpy as anp
from benchmarks import common


class TapeMemory(common.Benchmark):
    """Peak memory of grad vs jvp, and the bytes the tape keeps alive."""

    params: ClassVar[list] = [[1_000, 100_000], [10, 100]]
    param_names: ClassVar[list] = ["size", "n_ops"]

    def setup(self, size, n_ops):
        self.x = np.repeat(common.chain_input(), size)
        self.v = np.ones_like(self.x)

        def f(x):
            return common.chain(anp, x, n_ops)

        length = _segment_length(n_ops)
        segment = ad.checkpoint(lambda x: common.chain_ops(anp, x, length))

        def f_checkpointed(x):
            for _ in range(n_ops // length):
                x = segment(x)
            return anp.sum(x)

        self.f = f
        self.grad_f = ad.grad(f)
        self.grad_checkpointed = ad.grad(f_checkpointed)
        super().setup(size, n_ops)

    def peakmem_grad(self, size, n_ops):
        self.grad_f(self.x)

    def peakmem_grad_checkpointed(self, size, n_ops):
        self.grad_checkpointed(self.x)

    def peakmem_jvp(self, size, n_ops):
        ad.jvp(self.f, (self.x,), (self.v,))

    def peakmem_numpy_control(self, size, n_ops):
        common.chain(np, self.x, n_ops)

    def track_tape_bytes(self, size, n_ops):
        with ad.cost.meter() as meter:
            self.grad_f(self.x)
        return meter.tape_bytes

    track_tape_bytes.unit = "bytes"

    def track_tape_records(self, size, n_ops):
        with ad.cost.meter() as meter:
            self.grad_f(self.x)
        return meter.tape_records

    track_tape_records.unit = "records"

    def track_largest_tape_bytes_checkpointed(self, size, n_ops):
        with ad.cost.meter() as meter:
            self.grad_checkpointed(self.x)
        return meter.peak_tape_bytes

    track_largest_tape_bytes_checkpointed.unit = "bytes"


def _segment_length(n_ops):
    """Whole cycles of the chain's five ops, about √n_ops ops: 5 for 10 ops, 20 for 100."""
    return 5 * max(1, round(np.sqrt(n_ops / 5)))
