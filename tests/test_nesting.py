"""Nested transforms: no perturbation confusion, and every forward/reverse nesting gives the
analytic second (and third) derivatives."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import tracing


@pytest.fixture
def rng():
    return np.random.default_rng(1)


# -- scalar derivative operators built from each transform ----------------------------------------

def d_grad(f):
    return ad.grad(f)


def d_jvp(f):
    return lambda x: ad.jvp(f, (x,), (1.0,))[1]


def d_jacfwd(f):
    return ad.jacfwd(f)


def d_jacrev(f):
    return ad.jacrev(f)


def d_vjp(f):
    return lambda x: ad.vjp(f, x)[1](1.0)[0]


DERIVATIVES = {"grad": d_grad, "jvp": d_jvp, "jacfwd": d_jacfwd, "jacrev": d_jacrev,
               "vjp": d_vjp}
PAIRS = [(o, i) for o in DERIVATIVES for i in DERIVATIVES]


@pytest.mark.parametrize(("outer", "inner"), PAIRS, ids=[f"{o}-of-{i}" for o, i in PAIRS])
def test_no_perturbation_confusion(outer, inner):
    # d/dx [x * d/dy (x + y)] at x = 1: the inner derivative is 1 whatever x is, so the answer
    # is 1. Confusing the two perturbations gives 2.
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]

    def f(x):
        return x * D_in(lambda y: x + y)(1.0)
    assert float(ad.primal_value(D_out(f)(1.0))) == pytest.approx(1.0, abs=1e-14)
    assert tracing._stack == []


@pytest.mark.parametrize(("outer", "inner"), PAIRS, ids=[f"{o}-of-{i}" for o, i in PAIRS])
def test_inner_derivative_depending_on_outer_variable(outer, inner):
    # d/dx [x * d/dy (x * y)] = d/dx [x^2] = 2x
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]

    def f(x):
        return x * D_in(lambda y: x * y)(3.0)
    assert float(D_out(f)(1.5)) == pytest.approx(3.0, abs=1e-13)


# -- Hessians by every nesting --------------------------------------------------------------------

def sin_cube(x):
    return anp.sum(anp.sin(x) * x ** 3)


def sin_cube_hessian(x):
    return np.diag(-x ** 3 * np.sin(x) + 6 * x ** 2 * np.cos(x) + 6 * x * np.sin(x))


NESTINGS = {
    "jacfwd(grad)": lambda f: ad.jacfwd(ad.grad(f)),
    "jacrev(grad)": lambda f: ad.jacrev(ad.grad(f)),
    "jacfwd(jacrev)": lambda f: ad.jacfwd(ad.jacrev(f)),
    "jacrev(jacrev)": lambda f: ad.jacrev(ad.jacrev(f)),
    "jacfwd(jacfwd)": lambda f: ad.jacfwd(ad.jacfwd(f)),
    "jacrev(jacfwd)": lambda f: ad.jacrev(ad.jacfwd(f)),
    "jacfwd(jacrev, chunk 1)": lambda f: ad.jacfwd(ad.jacrev(f, chunk_size=1), chunk_size=1),
    "jacrev(jacfwd, chunk 2)": lambda f: ad.jacrev(ad.jacfwd(f, chunk_size=2), chunk_size=2),
    "hessian": ad.hessian,
}


@pytest.mark.parametrize("nest", list(NESTINGS), ids=list(NESTINGS))
def test_hessian_of_sin_times_cube(nest, rng):
    x = rng.standard_normal(4)
    H = NESTINGS[nest](sin_cube)(x)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, sin_cube_hessian(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nest", list(NESTINGS), ids=list(NESTINGS))
def test_hessian_of_quadratic_form_is_symmetric_part(nest, rng):
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)

    def q(x):
        return x @ (A @ x) / 2.0
    np.testing.assert_allclose(NESTINGS[nest](q)(x), (A + A.T) / 2, rtol=1e-12, atol=1e-14)


def test_grad_of_grad_scalar(rng):
    x = float(rng.standard_normal())

    def f(x):
        return anp.sin(x) * x ** 3
    h = sin_cube_hessian(np.array([x]))[0, 0]
    assert float(ad.grad(ad.grad(f))(x)) == pytest.approx(h, rel=1e-12)


def test_grad_of_directional_gradient_is_hessian_vector(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    H = sin_cube_hessian(x)
    rev_rev = ad.grad(lambda x: ad.grad(sin_cube)(x) @ v)(x)
    np.testing.assert_allclose(rev_rev, H @ v, rtol=1e-10, atol=1e-12)


def test_jvp_of_grad_is_hvp(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    _, hv = ad.jvp(ad.grad(sin_cube), (x,), (v,))
    np.testing.assert_allclose(hv, sin_cube_hessian(x) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ad.hvp(sin_cube, x, v), sin_cube_hessian(x) @ v, rtol=1e-10,
                               atol=1e-12)


def test_vjp_of_jvp_is_hessian_vector(rng):
    x, v = rng.standard_normal(4), rng.standard_normal(4)

    def directional(x):
        return ad.jvp(sin_cube, (x,), (v,))[1]
    _, pullback = ad.vjp(directional, x)
    np.testing.assert_allclose(pullback(1.0)[0], sin_cube_hessian(x) @ v, rtol=1e-10,
                               atol=1e-12)


def test_hessian_of_matrix_function(rng):
    # f(X) = sum(X @ X): H[i,j,k,l] = d2 f / dX_ij dX_kl = delta_jk + delta_il
    X = rng.standard_normal((2, 2))
    eye = np.eye(2)
    expected = np.einsum("jk,il->ijkl", eye, np.ones((2, 2))) + \
        np.einsum("il,jk->ijkl", eye, np.ones((2, 2)))
    for nest in ("jacfwd(jacrev)", "jacrev(jacrev)", "jacfwd(jacfwd)", "hessian"):
        H = NESTINGS[nest](lambda X: anp.sum(X @ X))(X)
        assert H.shape == (2, 2, 2, 2)
        np.testing.assert_allclose(H, expected, atol=1e-14)


# -- third and fourth derivatives -----------------------------------------------------------------

def test_third_derivative_of_sin_by_grad_grad_grad():
    for x in (0.0, 0.7, -2.3):
        assert float(ad.grad(ad.grad(ad.grad(anp.sin)))(x)) == pytest.approx(-np.cos(x),
                                                                              abs=1e-14)


def test_third_and_fourth_derivatives_by_mixed_nestings():
    x = 0.4
    third = [
        ad.jacfwd(ad.jacrev(ad.grad(anp.sin))),
        ad.jacrev(ad.jacfwd(ad.jacfwd(anp.sin))),
        lambda x: ad.jvp(ad.grad(ad.grad(anp.sin)), (x,), (1.0,))[1],
    ]
    for d3 in third:
        assert float(d3(x)) == pytest.approx(-np.cos(x), abs=1e-14)
    d4 = ad.grad(ad.jacfwd(ad.grad(ad.jacfwd(anp.sin))))
    assert float(d4(x)) == pytest.approx(np.sin(x), abs=1e-14)


def test_third_derivative_tensor_of_cubic(rng):
    # f(x) = sum(x^3) / 6 has third-derivative tensor T[i,j,k] = delta_ijk
    x = rng.standard_normal(3)
    T = ad.jacfwd(ad.hessian(lambda x: anp.sum(x ** 3) / 6.0))(x)
    expected = np.zeros((3, 3, 3))
    expected[np.arange(3), np.arange(3), np.arange(3)] = 1.0
    np.testing.assert_allclose(T, expected, atol=1e-14)


def test_closure_over_outer_tracer_in_inner_jacobian(rng):
    # g(x) = jacrev(y -> sin(x * y))(y0) depends on x; its Jacobian in x by jacfwd
    x, y0 = rng.standard_normal(3), rng.standard_normal(3)

    def g(x):
        return ad.jacrev(lambda y: anp.sin(x * y))(y0)   # diag(x cos(x y0))
    J = ad.jacfwd(g)(x)
    expected = np.zeros((3, 3, 3))
    i = np.arange(3)
    expected[i, i, i] = np.cos(x * y0) - x * y0 * np.sin(x * y0)
    np.testing.assert_allclose(J, expected, atol=1e-13)
    np.testing.assert_allclose(ad.jacrev(g)(x), expected, atol=1e-13)
