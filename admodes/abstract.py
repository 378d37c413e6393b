"""Functions of shapes and of linear maps, with JAX's names: ``ShapeDtypeStruct``,
``eval_shape`` and ``linear_transpose``.

admodes runs programs eagerly, so ``eval_shape`` evaluates ``fun`` (on zeros where it is given
``ShapeDtypeStruct``s) and reports the shapes and dtypes of what it returned; JAX traces
abstractly and computes nothing. ``linear_transpose`` is reverse mode at zero: for a linear
f(x) = A x the VJP ``ct ↦ Aᵀ ct`` is the same at every point.

>>> import numpy as np, admodes as ad, admodes.numpy as anp
>>> ad.eval_shape(lambda x: anp.outer(x, x), ad.ShapeDtypeStruct((3,), np.float32))
ShapeDtypeStruct(shape=(3, 3), dtype=float32)
>>> transpose = ad.linear_transpose(lambda x: anp.cumsum(x), np.zeros(3))
>>> transpose(np.array([1.0, 0.0, 0.0]))  # cumsumᵀ e₀ = e₀ (only x₀ reaches y₀)
(array([1., 0., 0.]),)
"""

from __future__ import annotations

import numpy as np

from admodes import tree
from admodes.tracing import primal_value, shape_of

__all__ = ["ShapeDtypeStruct", "eval_shape", "linear_transpose"]


class ShapeDtypeStruct:
    """The shape and dtype of an array, standing in for it (``jax.ShapeDtypeStruct``)."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape, dtype):
        try:
            self.shape = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(f"ShapeDtypeStruct: shape must be a sequence of ints, got "
                            f"{shape!r}") from None
        if any(d < 0 for d in self.shape):
            raise ValueError(f"ShapeDtypeStruct: negative dimension in shape {self.shape}")
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes of ``fun(*args, **kwargs)``, a pytree of :class:`ShapeDtypeStruct`
    like its output. Arguments may be arrays or ``ShapeDtypeStruct``s (or anything with
    ``shape`` and ``dtype``), which are passed as zeros; ``fun`` is run once, with numpy's
    floating-point warnings silenced (zeros are rarely a meaningful input). Code that branches
    on the values sees those zeros (JAX would refuse to branch)."""
    if not callable(fun):
        raise TypeError(f"eval_shape: fun must be callable, got {type(fun).__name__}")
    args, kwargs = tree.tree_map(_concrete, (args, kwargs))
    with np.errstate(all="ignore"):
        out = fun(*args, **kwargs)
    return tree.tree_map(lambda leaf: ShapeDtypeStruct(shape_of(leaf),
                                                        np.result_type(primal_value(leaf))), out)


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function ``fun`` (``jax.linear_transpose``).

    ``primals`` (arrays or ``ShapeDtypeStruct``s) give the input shapes and dtypes only.
    Returns ``transpose(*cotangents)``: with ``fun(*xs) = A·xs`` it maps a cotangent of the
    output to the tuple ``Aᵀ·ct`` shaped like the primals, by one reverse sweep of ``fun``
    recorded at zero. ``fun`` is checked to be linear at a random point r (``fun(0) = 0`` and
    ``fun(r) = J·r``, J its Jacobian at 0), so an affine or nonlinear function is an error
    instead of a wrong transpose (a check at one point: it cannot prove linearity).
    ``reduce_axes`` is accepted at its default ``()`` only.
    """
    from admodes.api import jvp, vjp

    if not callable(fun):
        raise TypeError(f"linear_transpose: fun must be callable, got {type(fun).__name__}")
    if reduce_axes != ():
        raise ValueError("linear_transpose: reduce_axes is not supported (its default () only)")
    zeros = tree.tree_map(_concrete, primals)
    for leaf in tree.flatten(zeros)[0]:
        if np.result_type(leaf).kind != "f":
            raise TypeError(f"linear_transpose: the primals must be floating-point arrays, got "
                            f"dtype {np.result_type(leaf)}")
    out, pullback = vjp(fun, *zeros)
    _check_linear(fun, zeros, out, jvp)
    out_def = tree.flatten(out)[1]

    def transpose(cotangent):
        ct_def = tree.flatten(cotangent)[1]
        if ct_def != out_def:
            raise ValueError(f"linear_transpose: the cotangent has structure {ct_def}; fun's "
                             f"output has {out_def}")
        return pullback(cotangent)
    return transpose


def _check_linear(fun, zeros, out, jvp):
    """``fun(0) = 0`` and ``fun(r) = J r`` at a seeded random r, else a ValueError."""
    rng = np.random.default_rng(0)
    leaves, treedef = tree.flatten(zeros)
    r = tree.unflatten(treedef, [rng.standard_normal(np.shape(z)).astype(np.result_type(z))
                                 for z in leaves])
    tangent = jvp(fun, zeros, r)[1]
    for value, image, jr in zip(tree.flatten(out)[0], tree.flatten(fun(*r))[0],
                                tree.flatten(tangent)[0]):
        tolerance = 1e-5 if np.result_type(primal_value(image)) == np.float32 else 1e-10
        value, image, jr = (np.asarray(primal_value(v), dtype=float) for v in (value, image, jr))
        scale = max(float(np.max(np.abs(image), initial=0.0)), 1.0)
        if (np.max(np.abs(value), initial=0.0) > tolerance * scale
                or np.max(np.abs(image - jr), initial=0.0) > tolerance * scale):
            raise ValueError("linear_transpose: fun is not linear (fun(0) ≠ 0 or fun(r) ≠ J·r "
                             "at a random point r); transpose its linearization instead "
                             "(ad.vjp at the point of interest)")


def _concrete(x):
    """Zeros for a shape-and-dtype placeholder; an array's own value otherwise."""
    if isinstance(x, ShapeDtypeStruct) or (hasattr(x, "shape") and hasattr(x, "dtype")
                                           and not isinstance(x, (np.ndarray, np.generic))
                                           and not hasattr(x, "_primal")):
        return np.zeros(x.shape, x.dtype)
    return x
