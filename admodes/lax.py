"""Structured control flow with ``jax.lax``'s names and signatures: scan, fori_loop, while_loop,
cond, switch, map, select, stop_gradient; and implicit differentiation, custom_linear_solve and
custom_root (from :mod:`admodes.implicit`).

admodes runs programs eagerly, so each is its Python loop or branch; derivatives go through
the iterations the loop actually ran, in both modes and to any order (also through
``while_loop``, which JAX cannot reverse-differentiate). JAX's checks on what the bodies
return are kept (the carry keeps its structure, shapes and dtypes), so code written for JAX
runs unchanged and code that runs here is valid for JAX. A branch that ``cond`` or ``switch``
does not take is not run (JAX traces every branch), and a loop's bounds and predicates are
concrete values.

>>> import numpy as np
>>> import admodes as ad
>>> from admodes import lax
>>> def horner(c, x):  # Σ c_i x^(n-1-i) with a scan over the coefficients
...     return lax.scan(lambda acc, ci: (acc * x + ci, None), 0.0, c)[0]
>>> ad.grad(horner, argnums=1)(np.array([1.0, 2.0, 3.0]), 2.0)  # 2x + 2 at x = 2
np.float64(6.0)
"""

from __future__ import annotations

import operator

import numpy as np

from admodes import tree as tree_util
from admodes.custom import stop_gradient
from admodes.implicit import custom_linear_solve, custom_root
from admodes.registry import lookup
from admodes.tracing import Tracer, primal_value, shape_of

__all__ = ["cond", "custom_linear_solve", "custom_root", "fori_loop", "map", "scan", "select",
           "stop_gradient", "switch", "while_loop"]

_NOT_GIVEN = object()


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """``(carry, ys)`` of ``carry, y_i = f(carry, x_i)`` over the leading axis of ``xs``.

    ``xs`` is a pytree of arrays with one leading length (or None, with ``length``); the
    ``y_i`` are stacked along a new leading axis (``ys`` None where ``f`` returns None).
    ``reverse`` scans from the last index, stacking in the original order. The carry must
    keep its structure, shapes and dtypes (as JAX checks). ``unroll`` is accepted and has no
    effect (every iteration is a Python step anyway). Over length 0 the carry is ``init`` and
    ``ys`` are empty: their shapes and dtypes come from one call of ``f`` on the plain values
    of ``init`` and zeros for ``x`` (JAX traces ``f`` abstractly; its result is discarded).
    """
    _check_callable(f, "scan", "f")
    if _split_transpose:
        raise ValueError("scan: _split_transpose is a JAX compiler option; admodes takes False")
    x_leaves, x_def = tree_util.flatten(xs)
    lengths = {shape_of(x)[0] for x in x_leaves if len(shape_of(x)) > 0}
    if any(len(shape_of(x)) == 0 for x in x_leaves):
        raise ValueError("scan: every leaf of xs needs a leading axis to scan over; got a "
                         "scalar")
    if length is not None:
        lengths.add(operator.index(length))
    if len(lengths) != 1:
        raise ValueError("scan: xs needs one leading length (and length= to agree), got "
                         + ("none: pass length=" if not lengths else
                            f"{sorted(lengths)} (leaf shapes "
                            f"{[shape_of(x) for x in x_leaves]}, length={length})"))
    n = lengths.pop()
    if n == 0:
        return init, _empty_outputs(f, init, x_leaves, x_def)
    carry = init
    ys = [None] * n
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        x = tree_util.unflatten(x_def, [leaf[i] for leaf in x_leaves])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"scan: f must return a pair (carry, y), got "
                            f"{type(out).__name__}")
        _check_carry(carry, out[0], "scan body function carry")
        carry, ys[i] = out
    return carry, _stack_outputs(ys, "scan")


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``.

    ``lower`` and ``upper`` are concrete integers; ``unroll`` has no effect.
    """
    _check_callable(body_fun, "fori_loop", "body_fun")
    lower, upper = (_concrete_int(b, "fori_loop", name)
                    for b, name in ((lower, "lower"), (upper, "upper")))
    val = init_val
    for i in range(lower, upper):
        new = body_fun(i, val)
        _check_carry(val, new, "fori_loop body_fun output")
        val = new
    return val


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)``; returns ``val``.

    ``cond_fun`` returns a boolean scalar (a comparison of traced values is a plain boolean).
    Unlike JAX, admodes differentiates through it in reverse mode too (over the iterations
    taken, which depend on the values and have derivative zero in them).
    """
    _check_callable(cond_fun, "while_loop", "cond_fun")
    _check_callable(body_fun, "while_loop", "body_fun")
    val = init_val
    while _predicate(cond_fun(val), "while_loop: cond_fun"):
        new = body_fun(val)
        _check_carry(val, new, "while_loop body_fun output")
        val = new
    return val


def cond(pred, true_fun, false_fun, *operands, operand=_NOT_GIVEN):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    ``pred`` is a boolean or integer scalar (nonzero: true); only the branch taken runs.
    ``operand=`` is JAX's older single-operand form.
    """
    operands = _operands(operands, operand, "cond")
    _check_callable(true_fun, "cond", "true_fun")
    _check_callable(false_fun, "cond", "false_fun")
    return (true_fun if _predicate(pred, "cond: pred") else false_fun)(*operands)


def switch(index, branches, *operands, operand=_NOT_GIVEN):
    """``branches[index](*operands)``, ``index`` clamped to ``[0, len(branches) − 1]`` as in
    JAX; only the branch taken runs."""
    operands = _operands(operands, operand, "switch")
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    for i, branch in enumerate(branches):
        _check_callable(branch, "switch", f"branches[{i}]")
    i = _concrete_int(index, "switch", "index")
    return branches[min(max(i, 0), len(branches) - 1)](*operands)


def map(f, xs, *, batch_size=None):
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked; the
    same as ``scan`` with a carry of None. ``batch_size`` has no effect on the result."""
    _check_callable(f, "map", "f")
    if batch_size is not None and (isinstance(batch_size, bool) or operator.index(batch_size)
                                   < 1):
        raise ValueError(f"map: batch_size must be a positive int, got {batch_size!r}")
    return scan(lambda carry, x: (carry, f(x)), None, xs)[1]


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false``, elementwise, as ``lax.select``: the three
    have one shape (``pred`` may be a scalar); no other broadcasting."""
    shapes = [shape_of(on_true), shape_of(on_false)]
    pred_shape = np.shape(primal_value(pred))
    if shapes[0] != shapes[1] or pred_shape not in ((), shapes[0]):
        raise TypeError(f"select: pred must be a scalar or have the shape of on_true and "
                        f"on_false, which must agree; got shapes {pred_shape}, {shapes[0]}, "
                        f"{shapes[1]}")
    if isinstance(pred, Tracer) or np.result_type(pred) != np.bool_:
        raise TypeError(f"select: pred must be a boolean array, got dtype "
                        f"{np.result_type(primal_value(pred))}")
    return lookup("where")(pred, on_true, on_false)


# -- checks ---------------------------------------------------------------------------------------

def _check_callable(fun, where, name):
    if not callable(fun):
        raise TypeError(f"{where}: {name} must be callable, got {type(fun).__name__}")


def _concrete_int(value, where, name):
    if isinstance(value, Tracer):
        raise TypeError(f"{where}: {name} must be a concrete integer, not a traced array")
    value = np.asarray(value)
    if value.shape != () or value.dtype.kind not in "iub":
        raise TypeError(f"{where}: {name} must be an integer scalar, got {value!r}")
    return int(value)


def _predicate(pred, where):
    """``pred`` as a Python bool: a boolean or integer scalar, as JAX's ``cond`` takes."""
    if isinstance(pred, Tracer):
        raise TypeError(f"{where} must be a boolean or integer scalar, got a traced array of "
                        f"dtype {pred.dtype} (compare it: x > 0)")
    value = np.asarray(pred)
    if value.shape != () or value.dtype.kind not in "biu":
        raise TypeError(f"{where} must be a boolean or integer scalar, got shape "
                        f"{value.shape} and dtype {value.dtype}")
    return bool(value)


def _operands(operands, operand, where):
    if operand is _NOT_GIVEN:
        return operands
    if operands:
        raise TypeError(f"{where}: pass the operands positionally or as operand=, not both")
    return (operand,)


def _carry_types(tree):
    leaves, treedef = tree_util.flatten(tree)
    return treedef, [(shape_of(x), np.result_type(primal_value(x))) for x in leaves]


def _check_carry(before, after, what):
    """JAX's rule: a loop's carry keeps its pytree structure, and each leaf its shape and dtype."""
    (def_in, types_in), (def_out, types_out) = _carry_types(before), _carry_types(after)
    if def_in != def_out:
        raise TypeError(f"{what} must have the structure of its input, {def_in}; got "
                        f"{def_out}")
    for i, (a, b) in enumerate(zip(types_in, types_out)):
        if a != b:
            raise TypeError(f"{what} leaf {i} changed from shape {a[0]} dtype {a[1]} to shape "
                            f"{b[0]} dtype {b[1]}; a loop's carry keeps its shapes and dtypes "
                            f"(cast the initial value, e.g. init as a float array)")


def _empty_outputs(f, init, x_leaves, x_def):
    """The ``ys`` of a scan over length 0: arrays of shape ``(0,) + shape(y)`` in y's dtype,
    from ``f`` on the plain values of ``init`` and zeros in place of one slice of ``xs``."""
    carry_leaves, carry_def = tree_util.flatten(init)
    carry = tree_util.unflatten(carry_def, [primal_value(c) for c in carry_leaves])
    x = tree_util.unflatten(x_def, [np.zeros(shape_of(leaf)[1:], np.result_type(
        primal_value(leaf))) for leaf in x_leaves])
    with np.errstate(all="ignore"):
        out = f(carry, x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
    _check_carry(carry, out[0], "scan body function carry")
    y_leaves, y_def = tree_util.flatten(out[1])
    return tree_util.unflatten(y_def, [
        np.zeros((0,) + shape_of(y), np.result_type(primal_value(y))) for y in y_leaves])


def _stack_outputs(ys, where):
    """The per-iteration outputs (pytrees of one structure) stacked along a new axis 0."""
    treedef, cols = tree_util.columns(ys, f"{where}: f")
    stack = lookup("stack")
    return tree_util.unflatten(treedef, [
        stack([v if isinstance(v, Tracer) else np.asarray(v) for v in column])
        for column in cols])
