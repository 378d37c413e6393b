"""polyder, polyint, polyadd, polysub, polymul: numpy's values (also on poly1d objects, which
are numpy's own), the calculus identities, and the errors. Derivatives on the domain cases
are in the generated tests; polyval, vander and polyfit in test_floating_and_fits.py."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

P = np.array([2.0, -1.0, 0.5, 3.0])


def test_polyint_then_polyder_is_the_identity():
    for m in (1, 2, 3):
        np.testing.assert_allclose(anp.polyder(anp.polyint(P, m), m), P, rtol=1e-15)
    _, t = ad.jvp(lambda p: anp.polyder(anp.polyint(p, 2, k=[1.0, 2.0]), 2), (P,), (P,))
    np.testing.assert_allclose(t, P, rtol=1e-15)


def test_integration_constants_are_differentiable():
    """The last coefficient of ∫p is k: its derivative in k is one."""
    jac = ad.jacrev(lambda k: anp.polyint(P, 2, k=k))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(jac[-2:], [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(jac[:-2], 0.0)


def test_polyval_of_a_derivative():
    """d/dx polyval(p, x) = polyval(polyder(p), x), through both transforms."""
    x = np.float64(0.7)
    assert ad.grad(lambda x: anp.polyval(P, x))(x) == pytest.approx(
        anp.polyval(anp.polyder(P), x), rel=1e-14)


def test_arithmetic_matches_numpy_and_gradients():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0, 4.0])
    for name in ("polyadd", "polysub", "polymul"):
        np.testing.assert_array_equal(getattr(anp, name)(a, b), getattr(np, name)(a, b))
    ga, gb = ad.grad(lambda a, b: anp.sum(anp.polymul(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, np.full(2, b.sum()))
    np.testing.assert_array_equal(gb, np.full(3, a.sum()))


def test_poly1d_is_numpys():
    p = np.poly1d(P)
    for name, args in (("polyder", (p,)), ("polyint", (p, 2)), ("polyadd", (p, p)),
                       ("polymul", (p, p))):
        ours = getattr(anp, name)(*args)
        assert isinstance(ours, np.poly1d) and ours == getattr(np, name)(*args)


def test_errors():
    with pytest.raises(ValueError, match=r"polyder\(\): order m must be non-negative, got -1 "
                                         r"\(see polyint\)"):
        ad.grad(lambda p: anp.sum(anp.polyder(p, -1)))(P)
    with pytest.raises(TypeError, match=r"polyint\(\): m must be an int, got 1.5"):
        ad.grad(lambda p: anp.sum(anp.polyint(p, 1.5)))(P)
    with pytest.raises(ValueError, match=r"polyint\(\): k must be a scalar or a 1-d array of "
                                         r"length 1 or at least m = 3"):
        ad.grad(lambda p: anp.sum(anp.polyint(p, 3, k=[1.0, 2.0])))(P)
    with pytest.raises(ValueError, match=r"polyadd\(\): coefficients must be a 1-d array"):
        ad.grad(lambda p: anp.sum(anp.polyadd(p.reshape(2, 2), p)))(P)


# -- polydiv, poly, roots -----------------------------------------------------------------------

DIVISIONS = [(P, np.array([1.0, -0.5])), (P, np.array([3.0, 1.0, -2.0])), (P[:2], P),
             (np.array([1.0, -3.0, 2.0]), np.array([1.0, -1.0])), (P, np.array([0.5])),
             (P.astype(np.float32), np.array([2.0, 1.0])),
             (P.astype(np.float32), np.array([2.0, 1.0], dtype=np.float32))]


@pytest.mark.parametrize(("u", "v"), DIVISIONS)
def test_polydiv_is_numpys_with_numpys_shapes(u, v):
    """Values, dtypes and the trimmed remainder's length; an exact division (x − 1 divides
    x² − 3x + 2) leaves numpy's remainder [0.]."""
    out = ad.jvp(lambda u, v: anp.polydiv(u, v), (u, v), (u, v))[0]
    for ours, theirs in zip(out, np.polydiv(u, v)):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_polydiv_derivatives_satisfy_u_equals_qv_plus_r():
    """u = q·v + r for every u, v: differentiating, u̇ = q̇·v + q·v̇ + ṙ."""
    u, v = P, np.array([3.0, 1.0, -2.0])
    du, dv = np.array([0.3, -1.0, 2.0, 0.5]), np.array([1.0, 0.2, -0.7])
    (q, _), (dq, dr) = ad.jvp(anp.polydiv, (u, v), (du, dv))
    np.testing.assert_allclose(np.polyadd(np.polymul(dq, v) + np.polymul(q, dv), dr), du,
                               atol=1e-14)
    g = ad.grad(lambda u, v: anp.sum(anp.polydiv(u, v)[0] ** 2), argnums=(0, 1))(u, v)
    numeric = ad.numerical_jvp(lambda u, v: anp.sum(anp.polydiv(u, v)[0] ** 2), (u, v),
                               (du, dv))
    np.testing.assert_allclose(g[0] @ du + g[1] @ dv, numeric, rtol=1e-8)


def test_poly_of_roots_and_of_a_matrix():
    z = np.array([1.5, -0.5, 2.0])
    np.testing.assert_array_equal(ad.jvp(anp.poly, (z,), (z,))[0], np.poly(z))
    jac = ad.jacrev(anp.poly)(z)  # ∂c_k/∂z_i = −(coefficients of the others' product)_(k−1)
    for i in range(3):
        np.testing.assert_allclose(jac[1:, i], -np.poly(np.delete(z, i)), rtol=1e-14)
    a = np.array([[1.0, 2.0], [-3.0, 0.5]])  # complex eigenvalues, a real polynomial
    np.testing.assert_array_equal(ad.jvp(anp.poly, (a,), (a,))[0], np.poly(a))
    # det(λI − A) = λ² − tr(A) λ + det(A)
    np.testing.assert_allclose(ad.jacfwd(anp.poly)(a)[1], -np.eye(2), atol=1e-15)
    np.testing.assert_allclose(ad.jacfwd(anp.poly)(a)[2], [[0.5, 3.0], [-2.0, 1.0]],
                               rtol=1e-14)
    assert anp.poly(np.zeros(0)) == 1.0
    with pytest.raises(ValueError):
        ad.grad(lambda z: anp.sum(anp.poly(anp.reshape(z, (1, 3)))))(z)


def test_roots_are_numpys_with_the_implicit_derivative():
    p = np.array([2.0, -1.0, -3.0, 1.5])
    r = ad.jvp(anp.roots, (p,), (p,))[0]
    np.testing.assert_array_equal(r, np.roots(p))
    # scaling p leaves the roots alone; ∂r_i/∂p_k = −r_i^(n−k)/p'(r_i)
    _, tangent = ad.jvp(anp.roots, (p,), (p,))
    np.testing.assert_allclose(tangent, 0.0, atol=1e-13)
    expected = -np.vander(r, 4) / np.polyval(np.polyder(p), r)[:, None]
    np.testing.assert_allclose(ad.jacrev(anp.roots)(p), expected, rtol=1e-13)
    with_zero = np.array([1.0, -1.0, -2.0, 0.0])  # trailing zero: numpy appends the root 0
    np.testing.assert_array_equal(anp.roots(with_zero), np.roots(with_zero))
    np.testing.assert_allclose(ad.jacfwd(anp.roots)(with_zero)[-1], [0, 0, 0, 0.5],
                               atol=1e-15)  # −1/p'(0) in the constant term, p'(0) = −2
    p32 = p.astype(np.float32)
    assert ad.jvp(anp.roots, (p32,), (p32,))[0].dtype == np.roots(p32).dtype == np.float32


def test_roots_errors():
    with pytest.raises(TypeError, match=r"roots\(\): the polynomial .* has complex roots .*"
                                        r"admodes is real-valued"):
        ad.grad(lambda p: anp.sum(anp.roots(p)))(np.array([1.0, 0.0, 1.0]))
    with pytest.raises(TypeError, match=r"admodes is real-valued"):
        ad.jvp(anp.roots, (np.array([1.0, 0.0, 1.0]),), (np.ones(3),))
    with pytest.raises(ValueError, match=r"roots\(\): the polynomial .* has a multiple root"):
        ad.grad(lambda p: anp.sum(anp.roots(p)))(np.array([1.0, -2.0, 1.0]))
    np.testing.assert_array_equal(anp.roots(np.array([1.0, 0.0, 1.0])),
                                  np.roots([1.0, 0.0, 1.0]))  # plain: numpy's complex roots
    with pytest.raises(ValueError, match=r"polydiv\(\): the divisor's leading coefficient"):
        ad.grad(lambda v: anp.sum(anp.polydiv(P, v)[0]))(np.array([0.0, 1.0]))
