"""admodes.scipy.optimize: ``scipy.optimize.minimize`` and ``scipy.optimize.root`` with exact
derivatives from the engines (``root`` is documented on the function).

``minimize(fun, x0, args=(), *, method=None, ...)`` takes ``jax.scipy.optimize.minimize``'s
call (``fun(x, *args)`` a scalar written with admodes.numpy, ``x0`` any pytree of float
arrays) and runs scipy's minimizer with

* the gradient from one reverse sweep per evaluation (``value_and_grad``, scipy's
  ``jac=True``), for every method that uses a gradient;
* Hessian-vector products (forward over reverse, ``hvp``) for the methods that take
  ``hessp``: Newton-CG, trust-ncg, trust-krylov, trust-constr;
* the full Hessian (``hessian``) for those that need it: dogleg, trust-exact.

The pytree is raveled into scipy's vector and back (:func:`admodes.flatten_util.ravel_pytree`),
so ``result.x`` and the gradient ``result.jac`` (trust-constr: ``result.grad``) have ``x0``'s
structure; the other fields are scipy's
``OptimizeResult`` (``fun``, ``success``, ``status``, ``message``, ``nit``, ``nfev``, ...), which
has the attribute names of JAX's ``OptimizeResults``. Unlike JAX's (BFGS and an experimental
L-BFGS only), every scipy method is available, with scipy's ``bounds``, ``constraints`` and
``callback`` (called with the pytree).

Differentiable in ``args`` (beyond JAX's): with traced ``args`` (hyperparameters, data,
the outer variables of a bilevel problem) ``result.x`` is the minimizer x*(args) with the
derivatives of the implicit function theorem applied to the stationarity condition
∇ₓf(x*, args) = 0, ẋ = −H⁻¹ ∂ₐ(∇ₓf) ȧ with H the Hessian at x* (by
:func:`admodes.lax.custom_root`; the Hessian systems are solved by conjugate gradients on
Hessian-vector products, to a relative tolerance of 1e-10), and ``result.fun`` is
f(x*, args), traced. scipy's iterations are not differentiated. This needs a strict local
minimum (H positive definite) of an unconstrained problem: with traced ``args``, ``bounds``
and ``constraints`` are refused (at an active constraint ∇ₓf ≠ 0). ``x0`` is an initial guess
and must be plain.

>>> import numpy as np
>>> import admodes.numpy as anp
>>> from admodes.scipy.optimize import minimize
>>> def rosenbrock(p):
...     return (1 - p["x"]) ** 2 + 100 * (p["y"] - p["x"] ** 2) ** 2
>>> result = minimize(rosenbrock, {"x": -1.0, "y": 2.0}, method="BFGS")
>>> bool(result.success), np.round(result.x["x"], 6), np.round(result.x["y"], 6)
(True, np.float64(1.0), np.float64(1.0))

Reference: SciPy documentation, ``scipy.optimize.minimize``; JAX documentation,
``jax.scipy.optimize.minimize``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import scipy.optimize

from admodes import api, tree
from admodes.flatten_util import ravel_pytree
from admodes.implicit import custom_root
from admodes.scipy.sparse.linalg import cg
from admodes.tracing import Tracer, primal_value

__all__ = ["minimize", "root"]

_HESSP_METHODS = ("newton-cg", "trust-ncg", "trust-krylov", "trust-constr")
_HESS_METHODS = ("dogleg", "trust-exact")


def minimize(fun, x0, args=(), *, method=None, tol=None, options=None, bounds=None,
             constraints=(), callback=None):
    """Minimize the scalar ``fun(x, *args)`` over the pytree ``x`` from ``x0`` with scipy's
    ``method``; see the module docstring."""
    _check_call("minimize", "the minimizer", fun, x0, args)
    if any(isinstance(leaf, Tracer) for leaf in tree.leaves(args)):
        if bounds is not None or constraints:
            raise TypeError("minimize: differentiating the minimizer in args needs an "
                            "unconstrained problem (no bounds or constraints): at an active "
                            "constraint the gradient is not zero")
        return _differentiable_in_args(fun, x0, args, {
            "method": method, "tol": tol, "options": options, "callback": callback})
    flat0, unravel = _raveled("minimize", x0)

    def objective(v):
        return fun(unravel(v), *args)

    value_and_grad = api.value_and_grad(objective)

    def fun_and_jac(v):
        value, gradient = value_and_grad(v)
        return float(value), np.asarray(gradient, dtype=float)

    extra = {}
    name = method.lower() if isinstance(method, str) else None
    if name in _HESSP_METHODS:
        extra["hessp"] = lambda v, p: np.asarray(  # trust-constr may pass an integer p
            api.hvp(objective, v, np.asarray(p, dtype=float)), dtype=float)
    elif name in _HESS_METHODS:
        extra["hess"] = lambda v: np.asarray(api.hessian(objective)(v), dtype=float)
    if callback is not None:
        extra["callback"] = _pytree_callback(callback, unravel)
    result = scipy.optimize.minimize(fun_and_jac, np.asarray(flat0, dtype=float), jac=True,
                                     method=method, tol=tol, options=options, bounds=bounds,
                                     constraints=constraints, **extra)
    result.x = unravel(result.x)
    for key in ("jac", "grad"):  # the gradient (trust-constr: grad; its jac: constraints')
        if key in result and np.shape(result[key]) == flat0.shape:
            result[key] = unravel(np.asarray(result[key], dtype=float))
    return result


def _differentiable_in_args(fun, x0, args, settings):
    """:func:`minimize` with traced ``args``: scipy on their values, the minimizer given the
    implicit derivative of ∇ₓf(x, args) = 0 (see the module docstring)."""
    def hessian_solve(hvp, g):  # H z = g, H symmetric positive definite at a strict minimum
        return cg(hvp, g, tol=1e-10)[0]
    return _implicit_result(fun, x0, args, lambda guess, values: minimize(
        fun, guess, values, **settings), lambda x: api.grad(fun)(x, *args), hessian_solve)


def _implicit_result(fun, x0, args, run, equation, tangent_solve):
    """scipy's result of ``run(guess, args' values)`` with ``result.x`` the root of
    ``equation`` differentiated implicitly (``custom_root``) and ``result.fun`` = fun(x, *args)."""
    found = []

    def solve(f, guess):  # every transform is paused here: args are values
        found.append(run(guess, tree.tree_map(primal_value, args)))
        return found[-1].x
    x = custom_root(equation, x0, solve, tangent_solve)
    result = found[0]
    result.x, result.fun = x, fun(x, *args)
    return result


def _check_call(name, result, fun, x0, args):
    if not callable(fun):
        raise TypeError(f"{name}: fun must be callable, got {type(fun).__name__}")
    if not isinstance(args, tuple):
        raise TypeError(f"{name}: args must be a tuple, got {type(args).__name__}")
    if any(isinstance(leaf, Tracer) for leaf in tree.leaves(x0)):
        raise TypeError(f"{name}: x0 must be a plain value (an initial guess: {result} does "
                        f"not depend on it); args may be traced")


def _raveled(name, x0):
    """``ravel_pytree(x0)`` for scipy, refusing a pytree that is not floating-point."""
    flat0, unravel = ravel_pytree(x0)
    if np.result_type(flat0).kind != "f":
        raise TypeError(f"{name}: x0 must hold floating-point arrays, got dtype "
                        f"{np.result_type(flat0)}")
    return flat0, unravel


_JACOBIAN_METHODS = ("hybr", "lm")  # scipy.optimize.root's methods that use jac


def root(fun, x0, args=(), *, method="hybr", tol=None, options=None, callback=None):
    """A root of ``fun(x, *args)`` (a pytree like ``x0``) by ``scipy.optimize.root``.

    ``x0`` is any pytree of float arrays, raveled for scipy and back; ``method`` is any of
    scipy's (default 'hybr'); 'hybr' and 'lm' get the exact Jacobian by forward mode
    (``jacfwd``, one vectorized pass per evaluation), the quasi-Newton and Krylov methods use
    their own approximations. ``result.x`` and ``result.fun`` (the residual) have ``x0``'s
    structure; the other fields are scipy's.

    With traced ``args`` the root is differentiated implicitly (``lax.custom_root``: ẋ =
    −(∂f/∂x)⁻¹ ∂ₐf ȧ, the tangent systems solved densely with the Jacobian at the root),
    to every order; a solve that did not converge warns, since the derivative assumes a root.
    ``x0`` is an initial guess and must be plain.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> from admodes.scipy.optimize import root
    >>> def cube_root(a):  # x³ = a
    ...     return root(lambda x, a: x ** 3 - a, np.ones(1), (a,)).x[0]
    >>> round(float(ad.grad(cube_root)(8.0)), 12)  # 1 / (3 a^(2/3))
    0.083333333333
    """
    _check_call("root", "the root", fun, x0, args)
    settings = {"method": method, "tol": tol, "options": options, "callback": callback}
    if not any(isinstance(leaf, Tracer) for leaf in tree.leaves(args)):
        return _scipy_root(fun, x0, args, settings)
    def run(guess, values):
        result = _scipy_root(fun, guess, values, settings)
        if not result.success:
            warnings.warn(f"root: scipy's {method} did not converge ({result.message}); the "
                          f"derivatives assume a root", RuntimeWarning, stacklevel=7)
        return result
    return _implicit_result(fun, x0, args, run, lambda x: fun(x, *args), _dense_tangent_solve)


def _scipy_root(fun, x0, args, settings):
    flat0, unravel = _raveled("root", x0)

    def residual(v):
        out = fun(unravel(v), *args)
        flat = ravel_pytree(out)[0]
        if np.shape(flat) != np.shape(flat0):
            raise ValueError(f"root: fun must return {flat0.size} values (x0's size: a square "
                             f"system), got {np.size(flat)}")
        return flat

    extra = {}
    if isinstance(settings["method"], str) and settings["method"].lower() in _JACOBIAN_METHODS:
        extra["jac"] = lambda v: np.asarray(api.jacfwd(residual)(v), dtype=float)
    if settings["callback"] is not None:
        extra["callback"] = lambda xk, fk: settings["callback"](unravel(xk), unravel(fk))
    result = scipy.optimize.root(lambda v: np.asarray(residual(v), dtype=float),
                                 np.asarray(flat0, dtype=float), method=settings["method"],
                                 tol=settings["tol"], options=settings["options"], **extra)
    result.x = unravel(result.x)
    result.fun = unravel(np.asarray(result.fun, dtype=float))
    return result


def _dense_tangent_solve(g, y):
    """z with g(z) = y for the linear g (the linearization at the root), by its dense
    Jacobian (one forward pass in vector mode) and a dense solve."""
    flat, unravel = ravel_pytree(y)
    jacobian = api.jacfwd(lambda v: ravel_pytree(g(unravel(v)))[0])(np.zeros_like(flat))
    return unravel(np.linalg.solve(np.asarray(jacobian, dtype=float), flat))


def _pytree_callback(callback, unravel):
    """scipy's callback with the pytree in place of its vector: scipy passes
    ``intermediate_result`` (an OptimizeResult) to a callback with a parameter of that name,
    else the vector (and, for trust-constr, its state)."""
    if "intermediate_result" in inspect.signature(callback).parameters:
        def call(intermediate_result):
            intermediate_result.x = unravel(intermediate_result.x)
            return callback(intermediate_result=intermediate_result)
    else:
        def call(xk, *rest):
            return callback(unravel(xk), *rest)
    return call
