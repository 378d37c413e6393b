"""Per-op overhead of both engines, for every entry of the op registry.

The parameter is the registry's list of names, read when the module is imported, so a newly
registered op is benchmarked without editing this file (``tests/test_benchmarks.py`` checks
that the list covers the registry). Each op is called on the first case of its own ``domain``
sampler (float64, the smallest shapes: a scalar or a short vector), so the times are dominated
by per-op overhead, not by arithmetic:

- ``time_call``: the op on plain arrays (the undifferentiated control);
- ``time_forward``: one JVP through the forward engine (dual numbers);
- ``time_reverse``: one VJP through the reverse engine (record the tape, sweep it back).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

import admodes as ad
from admodes import registry
from admodes import tree as tree_util
from benchmarks import common

#: Every registry entry (primitives and composites), in registration order.
OP_NAMES = [entry.name for entry in registry.entries()]


def _is_float_leaf(x):
    return isinstance(x, (np.ndarray, np.floating)) and np.issubdtype(x.dtype, np.floating)


def op_case(name):
    """``(f, x)``: the op's first domain case as a function of its float array leaves ``x``.

    Everything else in the case (integer indices, masks, subscripts, static keywords) is a
    constant closed over by ``f``.
    """
    entry = registry.lookup(name)
    args, static = entry.domain(np.random.default_rng(common.SEED), np.float64)[0]
    leaves, treedef = tree_util.flatten(tuple(args))
    positions = [i for i, leaf in enumerate(leaves) if _is_float_leaf(leaf)]

    def f(*x):
        filled = list(leaves)
        for i, value in zip(positions, x):
            filled[i] = value
        return entry(*tree_util.unflatten(treedef, filled), **static)

    return f, tuple(leaves[i] for i in positions)


class OpOverhead(common.Benchmark):
    """One call of each registry op: plain, forward mode (JVP), reverse mode (VJP)."""

    params: ClassVar[list] = [OP_NAMES]
    param_names: ClassVar[list] = ["op"]

    def setup(self, name):
        self.f, self.x = op_case(name)
        self.tangents = tuple(np.ones_like(x) for x in self.x)
        out = self.f(*self.x)
        leaves, treedef = tree_util.flatten(out)
        self.cotangent = tree_util.unflatten(treedef, [np.ones_like(o) for o in leaves])
        super().setup(name)

    def time_call(self, name):
        self.f(*self.x)

    def time_forward(self, name):
        ad.jvp(self.f, self.x, self.tangents)

    def time_reverse(self, name):
        _, pullback = ad.vjp(self.f, *self.x)
        pullback(self.cotangent)
