"""admodes.scipy.linalg beyond the generated registry tests: values equal scipy.linalg's, the
triangle solve_triangular does not read gets no derivative, expm's derivative in closed form,
cholesky/cho_factor/cho_solve (scipy's upper default) differentiate like linalg.solve, and bad
input is a clear error."""

import re

import numpy as np
import pytest
import scipy.linalg as sl

import admodes as ad
import admodes.numpy as anp
import admodes.scipy.linalg as asl

RNG = np.random.default_rng(11)
B = RNG.standard_normal((4, 4))
SPD = B @ B.T + 4 * np.eye(4)
T = np.triu(RNG.uniform(-0.5, 0.5, (4, 4))) + 2 * np.eye(4) + np.tril(RNG.standard_normal(
    (4, 4)), -1)  # an upper triangle to use and noise below it
RHS = RNG.standard_normal(4)


@pytest.mark.parametrize("kwargs", [{}, {"lower": True}, {"trans": 1}, {"trans": "T"},
                                    {"unit_diagonal": True}, {"lower": True, "trans": 2}])
def test_solve_triangular_values_are_scipys(kwargs):
    np.testing.assert_array_equal(asl.solve_triangular(T, RHS, **kwargs),
                                  sl.solve_triangular(T, RHS, **kwargs))


def test_the_unread_triangle_has_no_derivative():
    g = ad.grad(lambda a: anp.sum(asl.solve_triangular(a, RHS) ** 2))(T)
    assert np.all(np.tril(g, -1) == 0) and np.any(g != 0)
    g = ad.grad(lambda a: anp.sum(asl.solve_triangular(a, RHS, unit_diagonal=True) ** 2))(T)
    assert np.all(np.tril(g) == 0)


def test_expm_values_and_the_derivative_of_a_rotation():
    np.testing.assert_array_equal(asl.expm(B), sl.expm(B))
    J = np.array([[0.0, 1.0], [-1.0, 0.0]])  # expm(tJ) = [[cos t, sin t], [−sin t, cos t]]
    d = ad.jacfwd(lambda t: asl.expm(t * J))(0.7)
    np.testing.assert_allclose(d, [[-np.sin(0.7), np.cos(0.7)], [-np.cos(0.7), -np.sin(0.7)]],
                               rtol=1e-13, atol=1e-15)
    second = ad.hessian(lambda t: asl.expm(t * J)[0, 0])(0.7)
    assert second == pytest.approx(-np.cos(0.7), rel=1e-12)


def test_expm_of_commuting_matrices_is_a_product_and_its_gradient_the_exponential():
    """d/dA tr(e^A) = (e^A)ᵀ (the trace of the Fréchet derivative)."""
    g = ad.grad(lambda a: anp.trace(asl.expm(a)))(B / 2)
    np.testing.assert_allclose(g, sl.expm(B / 2).T, rtol=1e-12)


def test_expm_frechet_and_block_diag_values_are_scipys():
    E = RNG.standard_normal((4, 4))
    for ours, theirs in zip(asl.expm_frechet(B / 2, E), sl.expm_frechet(B / 2, E)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(asl.expm_frechet(B / 2, E, compute_expm=False),
                               sl.expm_frechet(B / 2, E, compute_expm=False), rtol=1e-12,
                               atol=1e-14)
    parts = (np.ones((2, 2)), np.array([[1.0, 2.0, 3.0]]), np.array([5.0, 6.0]), np.float64(7))
    np.testing.assert_array_equal(asl.block_diag(*parts), sl.block_diag(*parts))
    assert asl.block_diag().shape == sl.block_diag().shape == (1, 0)
    with pytest.raises(ValueError, match="block_diag: argument 0 has 3 dimensions; at most 2"):
        asl.block_diag(np.ones((1, 1, 1)))


@pytest.mark.parametrize("lower", [False, True])
def test_cholesky_and_cho_solve_are_scipys_and_differentiate_like_solve(lower):
    np.testing.assert_allclose(asl.cholesky(SPD, lower=lower), sl.cholesky(SPD, lower=lower),
                               rtol=1e-14)
    c, flag = asl.cho_factor(SPD, lower=lower)
    assert flag is lower
    np.testing.assert_allclose(asl.cho_solve((c, flag), RHS), sl.cho_solve(
        sl.cho_factor(SPD, lower=lower), RHS), rtol=1e-13)

    def via_cholesky(a, b):
        return anp.sum(anp.sin(asl.cho_solve(asl.cho_factor(a, lower=lower), b)))

    def via_solve(a, b):  # the triangle cho_factor reads, symmetrized
        keep = np.tril(np.ones((4, 4))) if lower else np.triu(np.ones((4, 4)))
        half = a * keep
        sym = half + half.T - a * np.eye(4)
        return anp.sum(anp.sin(anp.linalg.solve(sym, b)))
    for argnum in (0, 1):
        for transform in (ad.grad, ad.hessian):
            np.testing.assert_allclose(transform(via_cholesky, argnum)(SPD, RHS),
                                       transform(via_solve, argnum)(SPD, RHS),
                                       rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: asl.solve_triangular(np.ones((2, 3)), np.ones(2)), ValueError,
     "solve_triangular: a must be a square 2-d matrix, got shape (2, 3)"),
    (lambda: asl.solve_triangular(np.eye(2), np.ones(3)), ValueError,
     "solve_triangular: b must have shape (2,) or (2, p), got (3,)"),
    (lambda: asl.solve_triangular(np.eye(2), np.ones(2), trans="X"), ValueError,
     "solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got 'X'"),
    (lambda: asl.expm(np.ones(3)), ValueError, ("expm: A must be a square 2-d matrix, got shape "
                                               "(3,)")),
    (lambda: asl.sqrtm, AttributeError, ("admodes.scipy.linalg.sqrtm is not available: "
                                        "scipy.linalg's sqrtm has no differentiation rule")),
    (lambda: ad.grad(lambda a: anp.sum(sl.expm(a)))(np.eye(2)), TypeError,  # scipy's own
     ("Converting to a numpy array (np.asarray, np.array) on a traced array would drop its "
     "derivative")),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
