"""``ravel_pytree``, as ``jax.flatten_util``: a pytree of arrays as one flat vector and back.

``flat, unravel = ravel_pytree(tree)``: ``flat`` concatenates the raveled leaves (in
:func:`admodes.tree.flatten`'s order) in the leaves' common dtype (numpy's ``result_type``),
and ``unravel(v)`` splits a vector of that length into the leaves' shapes and dtypes in the
same structure. Both are registry ops (reshape, concatenate, slicing and casts), so both modes
differentiate through them: a function of a parameter tree can be handed to code that wants a
vector (``scipy.optimize``, a Hessian as one matrix) and the other way round.

>>> import numpy as np
>>> import admodes as ad
>>> from admodes.flatten_util import ravel_pytree
>>> flat, unravel = ravel_pytree({"w": np.ones((2, 2)), "b": np.zeros(2)})
>>> flat
array([0., 0., 1., 1., 1., 1.])
>>> unravel(flat)["w"].shape
(2, 2)
"""

from __future__ import annotations

import numpy as np

from admodes import tree
from admodes.ops.elementwise import as_dtype
from admodes.registry import lookup
from admodes.tracing import primal_value, shape_of

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree):
    """``(flat, unravel)`` of ``pytree``; see the module docstring."""
    leaves, treedef = tree.flatten(pytree)
    shapes = [tuple(shape_of(leaf)) for leaf in leaves]
    dtypes = [np.result_type(primal_value(leaf)) for leaf in leaves]
    dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
    sizes = [int(np.prod(shape, dtype=np.int64)) for shape in shapes]
    reshape = lookup("reshape")
    if leaves:
        flat = lookup("concatenate")([as_dtype(reshape(leaf, (-1,)), dtype) for leaf in leaves])
    else:
        flat = np.zeros(0, dtype=dtype)
    total = sum(sizes)

    def unravel(vector):
        if shape_of(vector) != (total,):
            raise ValueError(f"unravel: expected a vector of shape ({total},) (the raveled "
                             f"pytree {treedef}), got shape {shape_of(vector)}")
        parts, start = [], 0
        for shape, size, leaf_dtype in zip(shapes, sizes, dtypes):
            part = reshape(vector[start:start + size], shape)
            parts.append(as_dtype(part, leaf_dtype))
            start += size
        return tree.unflatten(treedef, parts)
    return flat, unravel
