"""Derivative checks for users and tests: central finite differences and ``check_grads``.

``check_grads`` tests in a random direction (Griewank & Walther 2008, sec. 3.3; the same
"dot-product test" autograd and JAX use): forward mode against a central difference
``(f(x + εv) − f(x − εv)) / 2ε`` (error O(ε²)), and reverse mode by the adjoint identity
``⟨u, J v⟩ = ⟨Jᵀu, v⟩``, recursively up to ``order``.
"""

from __future__ import annotations

import numpy as np

from admodes import tree as tree_util
from admodes.api import jvp, vjp
from admodes.tracing import primal_value

__all__ = ["check_grads", "default_tolerance", "numerical_jvp"]

_EPS = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-3, np.dtype(np.float16): 1e-2}
_TOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 2e-2, np.dtype(np.float16): 1e-1}


def default_tolerance(dtype) -> float:
    """Relative and absolute tolerance ``check_grads`` uses for ``dtype``."""
    return _TOL.get(np.dtype(dtype), 1e-6)


def _leaf_dtype(leaves):
    dtypes = [np.result_type(primal_value(x)) for x in leaves]
    return np.result_type(*dtypes) if dtypes else np.dtype(np.float64)


def _axpy(alpha, v, x):
    return tree_util.tree_map(lambda a, b: b + alpha * a, v, x)


def numerical_jvp(fun, primals, tangents, eps=None):
    """Central finite difference of ``fun`` at ``primals`` in direction ``tangents``.

    Returns ``(f(x + εv) − f(x − εv)) / 2ε`` in the structure of ``fun``'s output.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    dtype = _leaf_dtype(tree_util.flatten(primals)[0])
    eps = _EPS.get(dtype, 1e-5) if eps is None else eps
    plus = fun(*_axpy(eps, tangents, primals))
    minus = fun(*_axpy(-eps, tangents, primals))
    return tree_util.tree_map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps),
                              plus, minus)


def _inner(a, b):
    la, _ = tree_util.flatten(a)
    lb, _ = tree_util.flatten(b)
    return float(sum(np.vdot(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
                     for x, y in zip(la, lb)))


def _random_like(tree, rng):
    return tree_util.tree_map(
        lambda x: rng.standard_normal(np.shape(x)).astype(np.result_type(x)), tree)


def _close(expected, actual, atol, rtol, what):
    le, _ = tree_util.flatten(expected)
    la, _ = tree_util.flatten(actual)
    for e, a in zip(le, la):
        e, a = np.asarray(e, dtype=np.float64), np.asarray(a, dtype=np.float64)
        if e.shape != a.shape or not np.allclose(a, e, atol=atol, rtol=rtol):
            err = np.max(np.abs(a - e)) if e.shape == a.shape else "shape mismatch"
            raise AssertionError(f"{what}: expected {e}, got {a} (max abs error {err}, "
                                 f"atol={atol}, rtol={rtol})")


def check_grads(fun, args, order=2, modes=("fwd", "rev"), atol=None, rtol=None, eps=None,
                seed=0):
    """Check ``fun``'s derivatives at ``args`` up to ``order`` in the given ``modes``.

    Parameters
    ----------
    fun : callable
        Function of ``len(args)`` positional float-array (pytree) arguments.
    args : tuple
        Where to check.
    order : int
        Highest derivative order to check (the derivative functions are checked recursively).
    modes : sequence of {"fwd", "rev"}
        Forward mode is compared with central finite differences; reverse mode with the
        adjoint identity ``⟨u, J v⟩ = ⟨Jᵀu, v⟩``.
    atol, rtol, eps : float, optional
        Tolerances and finite-difference step; by default chosen from the least precise
        dtype among the inputs and outputs.
    seed : int
        Seed of the random directions.

    Raises
    ------
    AssertionError
        Naming the failing check, e.g. "VJP of JVP of fun (order 2)".
    """
    modes = tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown or not modes:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), "
                         f"got {modes!r}")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    args = tuple(args)
    # The least precise of the inputs and outputs sets the default tolerance.
    tol = max(default_tolerance(_leaf_dtype(tree_util.flatten(args)[0])),
              default_tolerance(_leaf_dtype(tree_util.flatten(fun(*args))[0])))
    atol = tol if atol is None else atol
    rtol = tol if rtol is None else rtol
    rng = np.random.default_rng(seed)
    name = getattr(fun, "__name__", "fun")
    _check(fun, args, order, modes, atol, rtol, eps, rng, name, 1)


def _check(fun, args, order, modes, atol, rtol, eps, rng, name, level):
    tangents = _random_like(args, rng)
    numeric = numerical_jvp(fun, args, tangents, eps)
    if "fwd" in modes:
        _, analytic = jvp(fun, args, tangents)
        _close(numeric, analytic, atol, rtol, f"JVP of {name} (order {level}) vs finite "
                                              f"differences")
        if order > 1:
            def jvp_fun(*xs):
                return jvp(fun, xs, tangents)[1]
            jvp_fun.__name__ = f"JVP of {name}"
            _check(jvp_fun, args, order - 1, modes, atol, rtol, eps, rng, jvp_fun.__name__,
                   level + 1)
    if "rev" in modes:
        out, pullback = vjp(fun, *args)
        cotangent = _random_like(out, rng)
        pulled = pullback(cotangent)
        lhs = _inner(cotangent, numeric)
        rhs = _inner(pulled, tangents)
        scale = max(abs(lhs), abs(rhs), 1.0)
        if not abs(lhs - rhs) <= atol + rtol * scale:
            raise AssertionError(f"VJP of {name} (order {level}): <u, J v> = {lhs} from finite "
                                 f"differences but <J^T u, v> = {rhs}")
        if order > 1:
            def vjp_fun(*xs):
                return vjp(fun, *xs)[1](cotangent)
            vjp_fun.__name__ = f"VJP of {name}"
            _check(vjp_fun, args, order - 1, modes, atol, rtol, eps, rng, vjp_fun.__name__,
                   level + 1)
