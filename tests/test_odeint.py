"""admodes.ode.odeint (jax.experimental.ode.odeint's call): values against closed forms and
JAX, pytrees of states and arguments, derivatives in both modes and to second order (through
the integrator's steps), and bad input."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.ode import StepLimitError, odeint

T = np.linspace(0.0, 2.0, 5)


def decay(y, t, k):
    return -k * y


def test_values_and_derivatives_of_exponential_decay():
    y0 = np.array([1.0, 2.0])
    ys = odeint(decay, y0, T, 0.7, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ys, np.exp(-0.7 * T)[:, None] * y0, rtol=1e-10)

    def final(k):
        return anp.sum(odeint(decay, y0, T, k, rtol=1e-12, atol=1e-12)[-1])
    exact = 3.0 * np.exp(-0.7 * 2.0)  # Σ y0 e^(−2k); d/dk = −2·that, d²/dk² = 4·that
    for transform in (ad.grad, ad.jacfwd):
        assert transform(final)(0.7) == pytest.approx(-2 * exact, rel=1e-9)
    assert ad.hessian(final)(0.7) == pytest.approx(4 * exact, rel=1e-8)
    assert ad.grad(lambda y: anp.sum(odeint(decay, y, T, 0.7)[-1]))(y0) == pytest.approx(
        np.exp(-1.4) * np.ones(2), rel=1e-7)


def test_pytree_state_and_arguments():
    def oscillator(y, t, params):
        return {"x": y["v"], "v": -params["omega"] ** 2 * y["x"]}
    y0 = {"x": np.array([1.0]), "v": np.array([0.0])}
    ys = odeint(oscillator, y0, T, {"omega": 1.5}, rtol=1e-12, atol=1e-12)
    assert set(ys) == {"x", "v"} and ys["x"].shape == (5, 1)
    np.testing.assert_allclose(ys["x"][:, 0], np.cos(1.5 * T), atol=1e-9)
    g = ad.grad(lambda p: ys_x_end(oscillator, y0, p))({"omega": 1.5})
    assert g["omega"] == pytest.approx(-2.0 * np.sin(3.0), rel=1e-7)  # d/dω cos(2ω)


def ys_x_end(oscillator, y0, params):
    return odeint(oscillator, y0, T, params, rtol=1e-12, atol=1e-12)["x"][-1, 0]


def test_a_single_time_is_the_initial_state():
    np.testing.assert_array_equal(odeint(decay, np.ones(2), np.array([0.5]), 1.0),
                                  [[1.0, 1.0]])


def test_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax.experimental.ode import odeint as jax_odeint

    def damped(y, t, k, c):
        return anp.stack([y[1], -k * y[0] - c * y[1]])

    def damped_jax(y, t, k, c):
        return jax.numpy.stack([y[1], -k * y[0] - c * y[1]])
    y0 = np.array([1.0, 0.0])
    ours = odeint(damped, y0, T, 2.0, 0.3)
    theirs = np.asarray(jax_odeint(damped_jax, y0, T, 2.0, 0.3))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)
    mine = ad.grad(lambda k: anp.sum(odeint(damped, y0, T, k, 0.3) ** 2))(2.0)
    ref = jax.grad(lambda k: jax.numpy.sum(jax_odeint(damped_jax, y0, T, k, 0.3) ** 2))(2.0)
    assert mine == pytest.approx(float(ref), rel=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda: odeint("f", np.ones(1), T), TypeError, "odeint: func must be callable, got str"),
    (lambda: odeint(decay, np.ones(1), np.ones((2, 2)), 1.0), ValueError,
     "odeint: t must be a 1-d array of times, got shape (2, 2)"),
    (lambda: odeint(decay, np.ones(1), T, 1.0, hmax=0.1), ValueError,
     "odeint: hmax=0.1 is not supported"),
    (lambda: odeint(decay, np.ones(1), T, 1.0, mxstep=2.5), ValueError,
     "odeint: mxstep must be a positive integer or inf, got 2.5"),
    (lambda: ad.grad(lambda s: anp.sum(odeint(decay, np.ones(1), s * T, 1.0)))(1.0), TypeError,
     "odeint: t must be plain times"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_mxstep_limits_the_steps():
    with pytest.raises(StepLimitError):
        odeint(decay, np.ones(1), np.linspace(0.0, 50.0, 3), 30.0, mxstep=3)
