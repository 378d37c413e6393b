"""Implicit differentiation: the derivative of a solution from the equation it solves, not
from the steps that found it. JAX's ``lax.custom_linear_solve`` and ``lax.custom_root``.

If x(θ) solves F(x, θ) = 0 and ∂F/∂x is invertible there, the implicit function theorem gives

    ẋ = −(∂F/∂x)⁻¹ (∂F/∂θ) θ̇   (JVP),        θ̄ = −(∂F/∂θ)ᵀ (∂F/∂x)⁻ᵀ x̄   (VJP),

whatever solver produced x: its iterations are neither recorded nor differentiated (memory
independent of the number of iterations; derivatives as accurate as the solves). For a linear
system A(θ) x = b(θ) this is ẋ = A⁻¹(ḃ − Ȧx), and b̄ = A⁻ᵀ x̄, θ̄ = −(∂(Ax)/∂θ)ᵀ b̄: the
adjoint-state method in one step.

θ is whatever the user's functions close over (a matrix in ``matvec``, the parameters of
``f``), so the transforms to serve are the active ones on the trace stack. For the highest of
them, T, the solution x₀ is computed with T paused (:func:`admodes.tracing.paused`; recursively
so for the transforms below T, which thereby get their derivatives of x₀), the residual
r = −F(x₀, θ) is evaluated with T active, and the result is

    x = x₀ + Z(r),

where Z is a linear op of T alone whose value is 0 and whose derivative is M = (∂F/∂x)⁻¹ at
x₀ (Mᵀ in reverse mode). Since ṙ = −(∂F/∂θ) θ̇ for T (x₀ is constant to T), T sees the
theorem's ẋ = M ṙ; the transforms below see x₀ and Z's derivative, which depends on them
through M and ṙ. M is applied by the user's solver (``solve``, ``transpose_solve`` or
``tangent_solve``) through :func:`custom_linear_solve` again, so the rules are differentiable
themselves and the functions nest to any order (Hessians through a solve, ``grad`` of
``grad``, ``jacfwd`` of ``jacrev``).

References: Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed., SIAM, ch. 15
(implicit and iterative functions). Blondel, M. et al. (2022). Efficient and modular implicit
differentiation. NeurIPS.
"""

from __future__ import annotations

import numpy as np

from admodes import tree
from admodes.flatten_util import ravel_pytree
from admodes.forward import Dual, ForwardTrace
from admodes.registry import Op, lookup
from admodes.reverse import Node, Tape
from admodes.tracing import Tracer, _stack, paused, paused_traces, primal_value, shape_of

__all__ = ["custom_linear_solve", "custom_root"]


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False,
                        has_aux=False):
    """The solution x of ``matvec(x) = b`` computed by ``solve(matvec, b)``, differentiated
    as ``A⁻¹ b`` (``A`` the linear map ``matvec``) instead of through ``solve``'s steps.

    Signature and meaning as ``jax.lax.custom_linear_solve``. ``matvec`` is linear in its
    argument and may close over traced arrays (its parameters); ``b`` and the solution are
    pytrees of floating-point arrays of one structure and shapes. Forward mode solves
    ``A ẋ = ḃ − Ȧx`` with ``solve``; reverse mode solves ``Aᵀ λ = x̄`` with
    ``transpose_solve(vecmat, x̄)`` (``vecmat`` the transpose of ``matvec``, by one VJP), or
    with ``solve`` and ``matvec`` if ``symmetric``; reverse mode of a non-symmetric system
    needs ``transpose_solve``. With ``has_aux`` both solvers return ``(x, aux)`` and the
    result is ``(x, aux)``; ``aux`` (e.g. solver diagnostics) is not differentiated.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> def x_of(a):  # (a I) x = 1, solved by a solver admodes need not differentiate
    ...     return ad.lax.custom_linear_solve(lambda v: a * v, np.ones(2),
    ...                                       solve=lambda mv, b: b / mv(np.ones(2)),
    ...                                       symmetric=True)
    >>> ad.grad(lambda a: anp.sum(x_of(a)))(2.0)  # d/da 2/a = -2/a²
    np.float64(-0.5)
    """
    _check_callable(matvec, "custom_linear_solve", "matvec")
    _check_callable(solve, "custom_linear_solve", "solve")
    if transpose_solve is not None:
        _check_callable(transpose_solve, "custom_linear_solve", "transpose_solve")
    check_floating(b, "custom_linear_solve", "b")
    system = _LinearSystem(matvec, solve, transpose_solve, symmetric, has_aux)
    x, aux = _solution("custom_linear_solve", lambda: system.solve_values(b),
                       lambda x: _tree_subtract(b, _checked(matvec(x), b, "matvec(x)")),
                       lambda x: system)
    return (x, aux) if has_aux else x


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    """The root x of ``f(x) = 0`` found by ``solve(f, initial_guess)``, differentiated by the
    implicit function theorem: ``ẋ = −(∂f/∂x)⁻¹ ḟ`` (``ḟ`` the derivative of ``f`` through
    what it closes over), whatever ``solve`` does.

    Signature and meaning as ``jax.lax.custom_root``. ``x`` and ``f(x)`` are pytrees of
    floating-point arrays of ``initial_guess``'s structure and shapes. ``tangent_solve(g, y)``
    solves the linear system ``g(z) = y`` for ``g`` the linearization of ``f`` at the root (a
    linear function; e.g. ``lambda g, y: y / g(1.0)`` for a scalar, or a dense solve with the
    Jacobian ``ad.jacfwd(g)(y)``); reverse mode calls it with the transpose of ``g``. With
    ``has_aux``, ``solve`` returns ``(x, aux)``, the result is ``(x, aux)`` and ``aux`` is not
    differentiated.

    >>> import numpy as np, admodes as ad
    >>> def newton(f, x):  # any solver: its steps are not differentiated
    ...     for _ in range(30):
    ...         x = x - f(x) / ad.grad(f)(x)
    ...     return x
    >>> def sqrt(a):  # the root of x² − a
    ...     return ad.lax.custom_root(lambda x: x ** 2 - a, 1.0, newton,
    ...                               lambda g, y: y / g(1.0))
    >>> float(ad.grad(sqrt)(4.0))  # 1 / (2 √a)
    0.25
    """
    _check_callable(f, "custom_root", "f")
    _check_callable(solve, "custom_root", "solve")
    _check_callable(tangent_solve, "custom_root", "tangent_solve")
    check_floating(initial_guess, "custom_root", "initial_guess")

    def values():
        out = solve(f, tree.tree_map(primal_value, initial_guess))
        x, aux = _split_aux(out, has_aux, "custom_root", "solve")
        return _checked(tree.tree_map(primal_value, x), initial_guess,
                        "solve(f, initial_guess)"), aux

    def residual(x):
        return tree.tree_map(lambda v: -v, _checked(f(x), initial_guess, "f(x)"))

    def linearized(x0):
        from admodes.api import jvp

        def g(v):
            return jvp(f, (x0,), (v,))[1]
        return _LinearSystem(g, tangent_solve, tangent_solve, False, False)
    x, aux = _solution("custom_root", values, residual, linearized)
    return (x, aux) if has_aux else x


class _LinearSystem:
    """A linear map (``matvec``) with the solvers of ``matvec(x) = b`` and of its transpose.

    ``apply(t)`` and ``apply_transpose(c)`` are M t = A⁻¹ t and Mᵀ c = A⁻ᵀ c by
    :func:`custom_linear_solve` (differentiable again), for the rules of :func:`_solution`.
    """

    def __init__(self, matvec, solve, transpose_solve, symmetric, has_aux):
        self.matvec, self.solve, self.transpose_solve = matvec, solve, transpose_solve
        self.symmetric, self.has_aux = symmetric, has_aux

    def solve_values(self, b):
        """``solve(matvec, b)`` on b's values (every transform is paused when this runs)."""
        out = self.solve(self.matvec, tree.tree_map(primal_value, b))
        x, aux = _split_aux(out, self.has_aux, "custom_linear_solve", "solve")
        return _checked(tree.tree_map(primal_value, x), b, "solve(matvec, b)"), aux

    def apply(self, t):
        return custom_linear_solve(self.matvec, t, self._without_aux(self.solve),
                                   self._without_aux(self._transposed_solve()),
                                   self.symmetric)

    def apply_transpose(self, c):
        transposed = self._transposed_solve()
        if transposed is None:
            raise TypeError("custom_linear_solve: reverse-mode differentiation needs "
                            "transpose_solve (a solver for the transposed system), or "
                            "symmetric=True if matvec is symmetric")
        if self.symmetric:
            return custom_linear_solve(self.matvec, c, self._without_aux(self.solve),
                                       symmetric=True)
        return custom_linear_solve(_transpose(self.matvec, c), c,
                                   self._without_aux(transposed),
                                   self._without_aux(self.solve))

    def _transposed_solve(self):
        return self.solve if self.symmetric else self.transpose_solve

    def _without_aux(self, solver):
        if solver is None or not self.has_aux:
            return solver
        return lambda matvec, b: solver(matvec, b)[0]


def _solution(name, values, residual, linearized):
    """``(x, aux)``: the solution with the derivatives of the implicit function theorem for
    every active transform (see the module docstring).

    ``values()`` solves with every transform paused; ``residual(x)`` is r = −F(x, θ);
    ``linearized(x0)`` is the :class:`_LinearSystem` of ∂F/∂x at ``x0``.
    """
    traces = [t for t in dict.fromkeys(_stack + paused_traces())
              if isinstance(t, (ForwardTrace, Tape))]
    levels = sorted((t for t in traces if t.active is True), key=lambda t: t.level)
    return _at_levels(name, traces, levels, len(levels), values, residual, linearized)


def _at_levels(name, traces, levels, n, values, residual, linearized):
    """The solution differentiated by ``levels[:n]`` (the others paused). ``traces``: every
    derivative trace on the stack and every paused one (also those that returned, paused by
    an enclosing rule): what the functions close over may hold tracers of any of them."""
    if n == 0:
        with paused(levels):
            return values()
    top = levels[n - 1]
    with paused([top]):
        x0, aux = _at_levels(name, traces, levels, n - 1, values, residual, linearized)
    r = residual(x0)
    r_flat, unravel_r = ravel_pytree(r)
    if not _depends_on(r_flat, top):  # top does not differentiate this solution
        return x0, aux
    if r_flat._trace is not top:  # under a tracer that is not a derivative (a cost meter)
        raise NotImplementedError(f"{name}: the residual is a "
                                  f"{type(r_flat).__name__} over the transform's values; "
                                  f"differentiating through it here is not supported")
    unravel = ravel_pytree(x0)[1]
    step = _derivative_only(name, top, traces, linearized(x0), unravel, unravel_r)
    return tree.tree_map(lambda a, d: a + d, x0, unravel(step(_lifted(r_flat, top)))), aux


def _derivative_only(name, top, traces, system, unravel_x, unravel_r):
    """The op Z of trace ``top``: value 0, derivative M (Mᵀ in reverse), on flat vectors.

    Its rules run with ``top`` and every transform above it paused, so that what the user's
    functions close over is a value to them; the transforms below differentiate the rules.
    """
    above = [t for t in traces if t.level >= top.level]

    def each(linear_map, unravel, batch):
        with paused(above):
            rows = [ravel_pytree(linear_map(unravel(batch[j])))[0]
                    for j in range(shape_of(batch)[0])]
        return lookup("stack")(rows, axis=0)

    def jvp(primals, tangents, out):  # tangents[0]: (k,) + r's flat shape
        return each(system.apply, unravel_r, tangents[0])

    def vjp(ct, primals, out):  # ct: (k,) + x's flat shape
        return (each(system.apply_transpose, unravel_x, ct),)

    return Op(name=f"implicit:{name}", impl=np.zeros_like, jvp=jvp, vjp=vjp,
              cost=lambda primals, out: 0,  # the solves in its rules are counted as they run
              doc=f"the implicit derivative of {name}: value 0, derivative (∂F/∂x)⁻¹",
              domain=lambda rng, dtype: [], linear=True, saves=(), namespace="internal")


def _depends_on(x, trace):
    """Whether a tracer of ``trace`` is among the levels of ``x``."""
    while isinstance(x, Tracer):
        if x._trace is trace:
            return True
        x = x._primal
    return False


def _lifted(r, top):
    """A tracer of ``top`` with ``r``'s derivative there and a plain value (so that the
    transforms below do not see the op applied to it)."""
    value = primal_value(r)
    if isinstance(r, Dual):
        return Dual(value, r.tangent, top)
    if isinstance(r, Node):
        return Node(value, top, r.index)
    raise TypeError(f"implicit differentiation: unexpected tracer {type(r).__name__}")


def _transpose(linear, like):
    """``w ↦ Aᵀ w`` for the linear function ``linear`` (A), by one VJP at ``like``'s shape."""
    from admodes.api import vjp

    zeros = tree.tree_map(lambda v: np.zeros(shape_of(v), np.result_type(primal_value(v))),
                          like)
    pullback = vjp(linear, zeros)[1]
    return lambda w: pullback(w)[0]


def _tree_subtract(a, b):
    return tree.tree_map(lambda u, v: u - v, a, b)


def _split_aux(out, has_aux, name, what):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"{name}: with has_aux=True, {what} must return a pair (solution, "
                        f"aux), got {type(out).__name__}")
    return out[0], tree.tree_map(primal_value, out[1])


def _checked(value, like, what):
    """``value`` if it has ``like``'s pytree structure and leaf shapes, else a ValueError."""
    v_leaves, v_def = tree.flatten(value)
    l_leaves, l_def = tree.flatten(like)
    v_shapes = [shape_of(v) for v in v_leaves]
    l_shapes = [shape_of(v) for v in l_leaves]
    if v_def != l_def or v_shapes != l_shapes:
        raise ValueError(f"{what} returned structure {v_def} with shapes {v_shapes}; expected "
                         f"{l_def} with shapes {l_shapes} (a square system)")
    return value


def _check_callable(fun, name, what):
    if not callable(fun):
        raise TypeError(f"{name}: {what} must be a function, got {type(fun).__name__}")


def check_floating(value, name, what):
    """A TypeError naming ``what`` unless every leaf of ``value`` is floating-point."""
    for leaf in tree.flatten(value)[0]:
        dtype = np.result_type(primal_value(leaf))
        if dtype.kind != "f":
            raise TypeError(f"{name}: {what} must be floating-point arrays, got dtype {dtype}")
