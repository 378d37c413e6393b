"""Implicit differentiation: lax.custom_linear_solve, lax.custom_root and the Krylov solvers of
admodes.scipy.sparse.linalg. Their derivatives (first and second order, every nesting of the
transforms) equal those of the explicit computation (``linalg.solve``, or differentiating
through a converged solver), the user's solvers run on plain values only, and bad input gets
a clear error."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import lax
from admodes.reverse import Tape
from admodes.scipy.sparse.linalg import bicgstab, cg, gmres
from admodes.tracing import Tracer, paused

RNG = np.random.default_rng(7)
N = 4
A0 = RNG.standard_normal((N, N)) + 4 * np.eye(N)
B0 = RNG.standard_normal(N)
P0 = RNG.standard_normal((N, N))  # a symmetric positive definite matrix: spd(P0)


def spd(P):
    return (P + P.T) / 2 + 6 * np.eye(N)


def dense_solve(matvec, b):
    """A solver admodes cannot differentiate: numpy on the matrix of ``matvec``."""
    assert not isinstance(b, Tracer)
    columns = [matvec(e) for e in np.eye(b.shape[0])]
    assert not any(isinstance(c, Tracer) for c in columns)
    return np.linalg.solve(np.stack(columns, axis=1), b)


def solved(A, b):
    return lax.custom_linear_solve(lambda v: A @ v, b, dense_solve, transpose_solve=dense_solve)


def loss(x):
    return anp.sum(anp.sin(x) * anp.arange(1.0, N + 1))


TRANSFORMS = {  # every first and second derivative, by each mode and each nesting
    "grad": ad.grad, "jacfwd": ad.jacfwd, "jacrev": ad.jacrev,
    "hessian": ad.hessian,
    "jacrev(grad)": lambda f, i: ad.jacrev(ad.grad(f, i), i),
    "jacfwd(jacfwd)": lambda f, i: ad.jacfwd(ad.jacfwd(f, i), i),
    "jacrev(jacfwd)": lambda f, i: ad.jacrev(ad.jacfwd(f, i), i),
}


@pytest.mark.parametrize("argnum", [0, 1])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_custom_linear_solve_has_the_derivatives_of_linalg_solve(name, argnum):
    transform = TRANSFORMS[name]
    got = transform(lambda A, b: loss(solved(A, b)), argnum)(A0, B0)
    want = transform(lambda A, b: loss(anp.linalg.solve(A, b)), argnum)(A0, B0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_mixed_second_derivative_and_jvp_of_grad():
    def f(A, b):
        return loss(solved(A, b))

    def g(A, b):
        return loss(anp.linalg.solve(A, b))
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f, 0), 1)(A0, B0),
                               ad.jacfwd(ad.grad(g, 0), 1)(A0, B0), rtol=1e-10, atol=1e-12)
    dA = RNG.standard_normal((N, N))
    got = ad.jvp(ad.grad(f, 1), (A0, B0), (dA, np.zeros(N)))[1]
    want = ad.jvp(ad.grad(g, 1), (A0, B0), (dA, np.zeros(N)))[1]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_check_grads_and_linearize_through_a_solve():
    ad.check_grads(lambda A, b: loss(solved(A, b)), (A0, B0), order=2)
    out, f_jvp = ad.linearize(lambda b: solved(A0, b), B0)
    np.testing.assert_allclose(out, np.linalg.solve(A0, B0), rtol=1e-12)
    np.testing.assert_allclose(f_jvp(np.ones(N)), np.linalg.solve(A0, np.ones(N)), rtol=1e-12)


def test_the_solution_is_solves_own_value():
    """The derivative machinery adds exactly zero to what ``solve`` returned."""
    def rough(matvec, b):
        return dense_solve(matvec, b) + 1e-3  # a deliberately inexact solver

    def f(b):
        x = lax.custom_linear_solve(lambda v: A0 @ v, b, rough, transpose_solve=rough)
        np.testing.assert_array_equal(ad.primal_value(x), np.linalg.solve(A0, B0) + 1e-3)
        return anp.sum(x)
    ad.grad(f)(B0)
    ad.jacfwd(f)(B0)


def test_pytree_right_hand_side_symmetric_and_has_aux():
    S = spd(P0)

    def f(scale, b):
        def matvec(v):
            return {"a": scale * (S[:2, :2] @ v["a"] + S[:2, 2:] @ v["c"]),
                    "c": scale * (S[2:, :2] @ v["a"] + S[2:, 2:] @ v["c"])}

        def solve(mv, rhs):
            flat = dense_solve(lambda u: np.concatenate(
                [mv({"a": u[:2], "c": u[2:]})[k] for k in ("a", "c")]),
                np.concatenate([rhs["a"], rhs["c"]]))
            return {"a": flat[:2], "c": flat[2:]}, "diagnostics"
        x, aux = lax.custom_linear_solve(matvec, b, lambda mv, r: solve(mv, r), symmetric=True,
                                         has_aux=True)
        assert aux == "diagnostics"
        return loss(anp.concatenate([x["a"], x["c"]]))

    def g(scale, b):
        return loss(anp.linalg.solve(scale * S, anp.concatenate([b["a"], b["c"]])))
    b = {"a": B0[:2], "c": B0[2:]}
    for argnum in (0, 1):
        for transform in (ad.grad, ad.hessian):
            got, want = transform(f, argnum)(2.0, b), transform(g, argnum)(2.0, b)
            for u, v in zip(ad.tree.leaves(got), ad.tree.leaves(want)):
                np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_reverse_mode_of_a_nonsymmetric_system_needs_transpose_solve():
    def f(b):
        return anp.sum(lax.custom_linear_solve(lambda v: A0 @ v, b, dense_solve))
    np.testing.assert_allclose(ad.jacfwd(f)(B0), np.ones(N) @ np.linalg.inv(A0), rtol=1e-12)
    with pytest.raises(TypeError, match=r"custom_linear_solve: reverse-mode differentiation "
                                        r"needs transpose_solve .* or symmetric=True"):
        ad.grad(f)(B0)


@pytest.mark.parametrize("call, error, message", [
    (lambda: lax.custom_linear_solve("A", B0, dense_solve), TypeError,
     "custom_linear_solve: matvec must be a function, got str"),
    (lambda: lax.custom_linear_solve(lambda v: v, np.arange(3), dense_solve), TypeError,
     "custom_linear_solve: b must be floating-point arrays, got dtype int64"),
    (lambda: lax.custom_linear_solve(lambda v: v, B0, lambda mv, b: b[:2]), ValueError,
     "solve(matvec, b) returned structure * with shapes [(2,)]; expected * with shapes [(4,)]"),
    (lambda: lax.custom_linear_solve(lambda v: v, B0, dense_solve, has_aux=True), TypeError,
     ("custom_linear_solve: with has_aux=True, solve must return a pair (solution, aux), got "
     "ndarray")),
    (lambda: lax.custom_root(lambda x: x, 1, lambda f, x: x, lambda g, y: y), TypeError,
     "custom_root: initial_guess must be floating-point arrays, got dtype int64"),
])
def test_bad_input(call, error, message):
    pattern = ".*".join(re.escape(part) for part in message.split("*"))
    with pytest.raises(error, match=pattern):
        ad.grad(lambda b: anp.sum(call()) + 0.0 * anp.sum(b))(B0)


def test_a_residual_of_the_wrong_shape_is_refused():
    def f(b):
        return anp.sum(lax.custom_linear_solve(lambda v: v[:2], b, lambda mv, r: r,
                                               symmetric=True))
    with pytest.raises(ValueError, match=re.escape("matvec(x) returned structure")):
        ad.grad(f)(B0)


# -- custom_root -------------------------------------------------------------------------------

def newton(f, x):
    """Newton's method with the engines' Jacobian (inside the solve, on plain values)."""
    for _ in range(40):
        x = x - np.linalg.solve(ad.jacfwd(f)(x), f(x))
    return x


def dense_tangent_solve(g, y):
    return np.linalg.solve(ad.jacfwd(g)(y), y)


W = 0.5 * RNG.standard_normal((N, N))


def equation(x, theta):
    """F(x, θ) = x + tanh(W x) − θ: a root for every θ (x + tanh(Wx) is monotone here)."""
    return x + anp.tanh(W @ x) - theta


def root(theta):
    return lax.custom_root(lambda x: equation(x, theta), np.zeros(N), newton,
                           dense_tangent_solve)


def unrolled(theta):
    """The same root by differentiating through 40 Newton steps (converged: same derivatives)."""
    x = anp.zeros(N)
    for _ in range(40):
        x = x - anp.linalg.solve(ad.jacfwd(lambda z: equation(z, theta))(x), equation(x, theta))
    return x


@pytest.mark.parametrize("name", TRANSFORMS)
def test_custom_root_has_the_derivatives_of_the_converged_solver(name):
    theta = RNG.standard_normal(N)
    transform = TRANSFORMS[name]
    got = transform(lambda t: loss(root(t)), 0)(theta)
    want = transform(lambda t: loss(unrolled(t)), 0)(theta)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_custom_root_scalar_derivatives_in_closed_form():
    def cbrt(a):
        def scalar_newton(f, x):
            for _ in range(60):
                x = x - f(x) / ad.grad(f)(x)
            return x
        return lax.custom_root(lambda x: x ** 3 - a, 1.0, scalar_newton,
                               lambda g, y: y / g(1.0))
    a = 8.0
    assert ad.grad(cbrt)(a) == pytest.approx(a ** (-2 / 3) / 3, rel=1e-14)
    for second in (ad.grad(ad.grad(cbrt)), ad.jacfwd(ad.grad(cbrt)), ad.grad(ad.jacfwd(cbrt))):
        assert second(a) == pytest.approx(-2 / 9 * a ** (-5 / 3), rel=1e-13)


def test_custom_root_has_aux_and_the_solver_sees_plain_values():
    seen = []

    def solve(f, x):
        seen.append(isinstance(x, Tracer))
        return newton(f, x), {"steps": 40}

    def f(theta):
        x, aux = lax.custom_root(lambda x: equation(x, theta), np.zeros(N), solve,
                                 dense_tangent_solve, has_aux=True)
        assert aux == {"steps": 40}
        return loss(x)
    ad.hessian(f)(np.ones(N))
    assert seen and not any(seen)


# -- the Krylov solvers ------------------------------------------------------------------------

SOLVERS = {"cg": cg, "gmres": gmres, "bicgstab": bicgstab}


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("transform", ["grad", "jacfwd", "hessian", "jacrev(grad)"])
def test_krylov_solvers_have_the_derivatives_of_linalg_solve(name, transform):
    solver, transform = SOLVERS[name], TRANSFORMS[transform]
    matrix = spd if name == "cg" else (lambda P: P + 4 * np.eye(N))  # cg: symmetric A only

    def f(P, b):
        return loss(solver(matrix(P), b, tol=1e-13)[0])

    def g(P, b):
        return loss(anp.linalg.solve(matrix(P), b))
    for argnum in (0, 1):
        np.testing.assert_allclose(transform(f, argnum)(P0, B0), transform(g, argnum)(P0, B0),
                                   rtol=1e-8, atol=1e-10)


def test_krylov_solvers_return_x_and_none_and_take_functions_of_pytrees():
    x, info = gmres(A0, B0, tol=1e-12)
    assert info is None
    np.testing.assert_allclose(x, np.linalg.solve(A0, B0), rtol=1e-10)

    def f(k):
        def operator(v):
            return {"u": k * v["u"] + 0.1 * v["w"], "w": 2.0 * v["w"] + 0.1 * v["u"]}
        x, _ = bicgstab(operator, {"u": np.ones(2), "w": np.ones(2)}, tol=1e-13)
        return anp.sum(x["u"]) + anp.sum(x["w"] ** 2)
    ad.check_grads(f, (3.0,), order=2)


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("kind", ["csr", "LinearOperator"])
def test_a_constant_sparse_operator(name, kind):
    """A plain scipy.sparse matrix or LinearOperator as A: derivatives in b, to second order."""
    import scipy.sparse as sp
    n = 12
    off = -1.0 if name == "cg" else -0.6  # cg: symmetric positive definite
    G = sp.diags([-np.ones(n - 1), 2.5 * np.ones(n), off * np.ones(n - 1)], [-1, 0, 1],
                 format="csr")
    A = G if kind == "csr" else sp.linalg.aslinearoperator(G)
    b = np.linspace(0.0, 1.0, n)

    def f(b):
        return anp.sum(anp.sin(SOLVERS[name](A, b, tol=1e-13)[0]))

    def g(b):
        return anp.sum(anp.sin(anp.linalg.solve(G.toarray(), b)))
    for transform in (ad.grad, ad.jacfwd, ad.hessian):
        np.testing.assert_allclose(transform(f)(b), transform(g)(b), rtol=1e-9, atol=1e-12)


def test_a_preconditioner_and_an_initial_guess_leave_the_solution_unchanged():
    S = spd(P0)
    M = np.diag(1 / np.diag(S))
    x, _ = cg(S, B0, x0=np.ones(N), M=M, tol=1e-13)
    np.testing.assert_allclose(x, np.linalg.solve(S, B0), rtol=1e-10)
    g = ad.grad(lambda b: anp.sum(cg(S, b, M=lambda v: M @ v, tol=1e-13)[0]))(B0)
    np.testing.assert_allclose(g, np.linalg.solve(S, np.ones(N)), rtol=1e-9)


def test_a_solve_stopped_by_maxiter_warns():
    with pytest.warns(RuntimeWarning, match=r"gmres: not converged to tol=1e-14, atol=0.0 "
                                            r"within 1 iterations"):
        gmres(A0 + 10 * RNG.standard_normal((N, N)), B0, tol=1e-14, restart=1, maxiter=1)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cg("A", B0), TypeError, ("cg: A must be a function or a 2-d matrix, got str of "
                                     "shape ()")),
    (lambda: cg(np.eye(3), B0), ValueError, ("cg: A has shape (3, 3); expected (4, 4) for b of "
                                            "size 4")),
    (lambda: cg(np.eye(4), np.arange(4)), TypeError, ("cg: b must be floating-point arrays, "
                                                     "got dtype int64")),
    (lambda: cg(np.eye(4), B0, x0=np.ones(3)), ValueError, ("cg: x0 must have b's structure and"
                                                           " shapes")),
    (lambda: cg(np.eye(4), B0, M=np.eye(2)), ValueError, "cg: M has shape (2, 2)"),
    (lambda: gmres(np.eye(4), B0, solve_method="qr"), ValueError,
     "gmres: solve_method must be 'batched' or 'incremental', got 'qr'"),
    (lambda: cg(np.eye(4), {"a": B0}), ValueError, ("cg: a matrix A needs b to be one 1-d "
                                                   "array")),
])
def test_krylov_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("name", SOLVERS)
def test_krylov_solvers_agree_with_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.sparse.linalg as jsl

    S = spd(P0)
    ours, theirs = SOLVERS[name], getattr(jsl, name)
    mine = ad.grad(lambda s: anp.sum(anp.sin(ours(s * S, B0, tol=1e-13)[0])))(1.5)
    ref = jax.grad(lambda s: jnp.sum(jnp.sin(theirs(s * S, B0, tol=1e-13)[0])))(1.5)
    np.testing.assert_allclose(mine, float(ref), rtol=1e-8)


# -- pausing a trace ---------------------------------------------------------------------------

def test_a_paused_trace_records_nothing_and_its_tracers_act_as_their_values():
    with Tape() as tape:
        x = tape.new_input(np.array([1.0, 2.0]))
        y = anp.sin(x)
        before = len(tape.records)
        with paused([tape]):
            z = anp.exp(y) * x
        assert type(z) is np.ndarray and len(tape.records) == before
        np.testing.assert_allclose(z, np.exp(np.sin([1.0, 2.0])) * [1.0, 2.0])
        assert tape.active is True
    with pytest.raises(RuntimeError, match="leaked tracer"):
        anp.sin(x)  # after the trace returned (and not paused): still the leaked-tracer error


def test_a_transform_the_solution_does_not_depend_on_is_left_out():
    """An inner grad over x while the solve depends on the outer variable only."""
    def outer(solve_with):
        def f(a):
            b = a * B0
            return anp.sum(ad.grad(lambda x: anp.sum(x ** 2) * loss(solve_with(A0, b)))(B0))
        return f
    for transform in (ad.jacfwd, ad.grad):
        np.testing.assert_allclose(transform(outer(solved))(1.5),
                                   transform(outer(anp.linalg.solve))(1.5), rtol=1e-12)
