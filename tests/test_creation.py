"""linspace with traced endpoints: numpy's values bit for bit, derivatives in both modes, and
numpy's behaviour (plain numpy) when no endpoint is traced."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

CASES = [  # (start, stop, keyword arguments)
    (1.0, 3.0, {"num": 7}),
    (-2.0, 5.0, {"num": 4, "endpoint": False}),
    (np.array([0.0, 1.0]), 2.0, {"num": 5, "axis": -1}),
    (np.array([[0.5], [1.5]]), np.array([2.0, 4.0, 8.0]), {"num": 3, "axis": 1}),
    (1.0, 1.0 + 1e-310, {"num": 3}),  # a denormal step: numpy's other branch
    (0.25, 4.0, {"num": 1}),
    (0.25, 4.0, {"num": 0}),
]


@pytest.mark.parametrize(("start", "stop", "kwargs"), CASES)
def test_traced_linspace_equals_numpys_bit_for_bit(start, stop, kwargs):
    out = ad.jvp(lambda s: anp.linspace(s, stop, **kwargs), (np.asarray(start),),
                 (np.ones_like(np.asarray(start)),))[0]
    expected = np.linspace(start, stop, **kwargs)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_derivatives_are_the_interpolation_weights():
    """y_i = start + (i/div)·(stop − start): ∂y/∂start = 1 − i/div, ∂y/∂stop = i/div."""
    jac = ad.jacfwd(lambda ab: anp.linspace(ab[0], ab[1], 5))(np.array([1.0, 3.0]))
    t = np.arange(5) / 4
    np.testing.assert_allclose(jac, np.stack([1 - t, t], axis=1), atol=1e-15)
    np.testing.assert_allclose(ad.jacrev(lambda ab: anp.linspace(ab[0], ab[1], 5))(
        np.array([1.0, 3.0])), jac, atol=1e-15)


def test_retstep_is_differentiable_and_nan_without_an_interval():
    def step(s, num):
        return anp.linspace(s, 2.0, num, retstep=True)[1]
    assert ad.jvp(lambda s: step(s, 5), (np.float64(0.0),), (np.float64(1.0),)) == (0.5, -0.25)
    assert ad.grad(lambda s: step(s, 5))(np.float64(0.0)) == -0.25
    y, nan_step = ad.jvp(lambda s: anp.linspace(s, 2.0, 1, retstep=True), (np.float64(0.0),),
                         (np.float64(1.0),))[0]
    np.testing.assert_array_equal(y, [0.0])
    assert np.isnan(nan_step)


def test_numpy_call_on_a_tracer_and_plain_calls():
    g = ad.grad(lambda s: np.sum(np.linspace(s, 1.0, 3)))(np.float64(0.0))
    assert g == 1.5  # (1 + 0.5 + 0)
    np.testing.assert_array_equal(anp.linspace(0, 10, 4, dtype=int), np.linspace(0, 10, 4,
                                                                                 dtype=int))


def test_errors():
    with pytest.raises(TypeError, match=r"linspace\(\): dtype=int64 with a traced start"):
        ad.grad(lambda s: anp.sum(anp.linspace(s, 1.0, 3, dtype=np.int64)))(np.float64(0.0))
    with pytest.raises(ValueError, match=r"linspace\(\): number of samples, -1, must be "
                                         r"non-negative"):
        ad.grad(lambda s: anp.sum(anp.linspace(s, 1.0, -1)))(np.float64(0.0))
