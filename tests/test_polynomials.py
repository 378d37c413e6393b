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
