"""FLOP models by shape, used by the ``cost`` field of each op.

Counts follow the usual conventions (one multiply-add = 2 FLOPs; transcendental functions
counted as one FLOP each, as in Griewank & Walther's operation counts); shape-only ops cost 0.
"""

from __future__ import annotations

import numpy as np

from admodes.tracing import shape_of

__all__ = ["elementwise", "free", "matmul_flops", "reduction", "size"]


def size(x) -> int:
    return int(np.prod(shape_of(x), dtype=np.int64))


def elementwise(flops_per_element: int):
    """Cost of an op doing ``flops_per_element`` FLOPs per output element."""
    def cost(primals, out, **static):
        return flops_per_element * size(out)
    return cost


def reduction(flops_per_element: int = 1):
    """Cost of a reduction: ``flops_per_element`` per input element."""
    def cost(primals, out, **static):
        return flops_per_element * size(primals[0])
    return cost


def free(primals, out, **static):
    """Shape-only ops (reshape, transpose, indexing) move data but do no arithmetic."""
    return 0


def matmul_flops(a_shape, b_shape) -> int:
    """2·m·n·p per product of (m, n) by (n, p), times the broadcast batch size."""
    a = (1,) + tuple(a_shape) if len(a_shape) == 1 else tuple(a_shape)
    b = tuple(b_shape) + (1,) if len(b_shape) == 1 else tuple(b_shape)
    batch = np.broadcast_shapes(a[:-2], b[:-2])
    return 2 * int(np.prod(batch, dtype=np.int64)) * a[-2] * a[-1] * b[-1]
