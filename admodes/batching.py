"""``vmap``: a function mapped over an axis of its arguments, with ``jax.vmap``'s signature.

``vmap(f, in_axes, out_axes)(*args)`` evaluates ``f`` once per index ``b`` of the mapped axis,
on the slices ``x[..., b, ...]`` of the mapped arguments (the others passed whole), and stacks
the results along ``out_axes``: the same values as ``jax.vmap``, also nested inside and around
every other transform (``vmap(grad(loss), in_axes=(None, 0, 0))`` gives per-example gradients),
since slicing and stacking are differentiable ops.

It is a loop, not a batching interpreter: the cost is the batch size times one call of ``f``
(JAX's batching rules turn the map into one call of a batched program). A batching trace
needs a batching rule for every op and rules that never read values: admodes' JVP and VJP
rules compute masks and constants from the primal values (``relu``'s ``x > 0``, the ties of
``max``), which a batched value would give with the wrong shape.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from admodes import tree as tree_util
from admodes.registry import lookup
from admodes.tracing import ndim_of, primal_value, shape_of

__all__ = ["vmap"]


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None,
         sum_match=False):
    """Map ``fun`` over an axis of its arguments, as ``jax.vmap``.

    Parameters
    ----------
    fun : callable
        Function of pytrees of arrays.
    in_axes : int, None or a tuple with one entry per positional argument
        The axis of each argument to map over (None: passed whole to every call); an entry
        may be a pytree prefix of its argument (``{"w": None, "b": 0}``). Keyword arguments
        are mapped over their axis 0, as in JAX.
    out_axes : int, None or a pytree prefix of the output
        Where the mapped axis goes in each output; None for an output that is the same for
        every index (an error otherwise; JAX decides by the output's dependence on the mapped
        arguments, admodes by its values).
    axis_size : int, optional
        The size of the mapped axis, needed when no argument is mapped.
    axis_name, spmd_axis_name
        Collective operations are not supported: None only.
    sum_match : bool
        As JAX's: an output with out_axes None that differs between indices is summed over
        the mapped axis instead of being an error.

    Returns
    -------
    The mapped function. One call costs the axis size times one call of ``fun``.

    Examples
    --------
    >>> import numpy as np
    >>> import admodes as ad
    >>> import admodes.numpy as anp
    >>> per_example = ad.vmap(ad.grad(lambda w, x: anp.sum(w * x) ** 2), in_axes=(None, 0))
    >>> per_example(np.ones(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 6., 12.],
           [42., 56.]])
    """
    if not callable(fun):
        raise TypeError(f"vmap: fun must be callable, got {type(fun).__name__}")
    for name, value in (("axis_name", axis_name), ("spmd_axis_name", spmd_axis_name)):
        if value is not None:
            raise ValueError(f"vmap: {name}={value!r}; admodes has no collective operations "
                             f"over named axes (use None)")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)  # JAX: a list of in_axes is read as a tuple
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    if axis_size is not None and (isinstance(axis_size, bool)
                                  or not isinstance(axis_size, numbers.Integral)
                                  or axis_size < 0):
        raise ValueError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap: in_axes is a tuple of {len(in_axes)} entries but the "
                             f"function got {len(args)} positional arguments; give one entry "
                             f"per argument (or an int or None for all)")
        leaves, treedef = tree_util.flatten((args, kwargs))
        axes = _leaf_axes(in_axes, args, "in_axes") + [0] * (len(leaves) - len(
            tree_util.flatten(args)[0]))
        axes = [None if a is None else _normalized(a, leaf, "in_axes")
                for a, leaf in zip(axes, leaves)]
        size = _mapped_size(leaves, axes, axis_size)
        if size == 0:
            raise ValueError("vmap: the mapped axis has size 0; vmap evaluates fun once per "
                             "index and cannot tell the shape of an empty result")
        outs = []
        for b in range(size):
            sliced = [leaf if a is None else leaf[(slice(None),) * a + (b,)]
                      for leaf, a in zip(leaves, axes)]
            call_args, call_kwargs = tree_util.unflatten(treedef, sliced)
            outs.append(fun(*call_args, **call_kwargs))
        return _stacked(outs, out_axes, sum_match)

    return vmapped


def _check_axes_spec(spec, what):
    """An axes spec is an int, None, or a pytree of them."""
    for leaf in tree_util.flatten(spec)[0]:
        if isinstance(leaf, bool) or not isinstance(leaf, numbers.Integral):
            raise TypeError(f"vmap: {what} must be an int, None, or a pytree of them, got "
                            f"{spec!r}")


def _leaf_axes(spec, tree, what):
    """The axis of each leaf of ``tree`` (flatten order) from ``spec``, a pytree prefix of it."""
    if spec is None or isinstance(spec, numbers.Integral):
        return [spec] * len(tree_util.flatten(tree)[0])
    if isinstance(spec, dict):
        if not isinstance(tree, dict) or set(spec) != set(tree):
            raise ValueError(f"vmap: {what} entry {spec!r} does not match the structure of "
                             f"its argument, {tree_util.flatten(tree)[1]}")
        return [a for key in sorted(tree) for a in _leaf_axes(spec[key], tree[key], what)]
    if not isinstance(tree, (tuple, list)) or len(spec) != len(tree):
        raise ValueError(f"vmap: {what} entry {spec!r} does not match the structure of its "
                         f"argument, {tree_util.flatten(tree)[1]}")
    return [a for s, t in zip(spec, tree) for a in _leaf_axes(s, t, what)]


def _normalized(axis, x, what):
    """``axis`` of ``x`` as a non-negative int; the error JAX gives for a rank too small."""
    ndim = ndim_of(x)
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: {what} asks to map an argument of shape {shape_of(x)} along "
                         f"axis {axis}, which needs at least {max(axis + 1, -axis)} "
                         f"dimensions")
    return axis % ndim


def _mapped_size(leaves, axes, axis_size):
    sizes = {shape_of(leaf)[a] for leaf, a in zip(leaves, axes) if a is not None}
    if axis_size is not None:
        sizes.add(axis_size)
    if len(sizes) > 1:
        described = ", ".join(f"shape {shape_of(leaf)} mapped along axis {a}"
                              for leaf, a in zip(leaves, axes) if a is not None)
        raise ValueError(f"vmap got inconsistent sizes for the mapped axes: {described}"
                         f"{'' if axis_size is None else f', axis_size={axis_size}'}")
    if not sizes:
        raise ValueError("vmap: no argument is mapped (every in_axes is None) and axis_size "
                         "is not given; pass axis_size= to set the size of the mapped axis")
    return sizes.pop()


def _stacked(outs, out_axes, sum_match):
    """The per-index outputs stacked along their ``out_axes`` (summed for an out_axes of None
    with ``sum_match``)."""
    treedef, cols = tree_util.columns(outs, "vmap: fun")
    axes = _leaf_axes(out_axes, outs[0], "out_axes")
    stack = lookup("stack")
    stacked = []
    for i, (column, axis) in enumerate(zip(cols, axes)):
        leaf = column[0]
        if axis is None:
            if all(np.array_equal(primal_value(c), primal_value(leaf)) for c in column):
                stacked.append(leaf)
            elif sum_match:
                stacked.append(lookup("sum")(stack(column), axis=0))
            else:
                raise ValueError(f"vmap: out_axes is None for output {i}, but it differs "
                                 f"between indices of the mapped axis (sum_match=True sums "
                                 f"it)")
            continue
        ndim = ndim_of(leaf) + 1
        if not -ndim <= axis < ndim:
            raise ValueError(f"vmap: out_axes={axis} is out of bounds for an output of shape "
                             f"{shape_of(leaf)} with the mapped axis added")
        stacked.append(stack(column, axis=axis % ndim))
    return tree_util.unflatten(treedef, stacked)
