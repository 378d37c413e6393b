"""The ode.gradient dispatcher: return types, methods agreeing, the running cost."""

from __future__ import annotations

import numpy as np
import pytest

import admodes.numpy as anp
from admodes import ode

RATES = np.array([-0.4, 0.3])
Y0 = np.array([1.0, 2.0])


def decay(t, y, params):
    """y' = a ⊙ y: y(t) = y0 ⊙ exp(a t)."""
    return params * y


def final_sum(ys, params):
    return anp.sum(ys[-1])


def test_returns_a_float_and_float_arrays():
    value, (g_y0, g_p) = ode.gradient(final_sum, decay, Y0, RATES, (0.0, 1.0), [1.0])
    assert type(value) is float
    assert g_y0.dtype == g_p.dtype == np.float64 and g_y0.shape == (2,) and g_p.shape == (2,)
    np.testing.assert_allclose(value, np.sum(Y0 * np.exp(RATES)), rtol=1e-7)
    np.testing.assert_allclose(g_y0, np.exp(RATES), rtol=1e-7)
    np.testing.assert_allclose(g_p, Y0 * np.exp(RATES), rtol=1e-7)


@pytest.mark.parametrize("method, solver", [("discrete", "dopri5"), ("discrete", "rosenbrock"),
                                            ("discrete", "rodas4"),
                                            ("finite_difference", "dopri5"),
                                            ("finite_difference", "rodas4"),
                                            ("finite_difference", "DOP853")])
def test_methods_agree_with_the_analytic_gradient(method, solver):
    _, (g_y0, g_p) = ode.gradient(final_sum, decay, Y0, RATES, (0.0, 2.0), [0.5, 2.0],
                                  method=method, solver=solver, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g_y0, np.exp(2 * RATES), rtol=1e-6)
    np.testing.assert_allclose(g_p, 2 * Y0 * np.exp(2 * RATES), rtol=1e-6)


def test_running_cost_is_added_and_differentiated():
    """L = Σ y(2) + ∫_0^2 ½‖y‖² dt with y = y0 e^{at}: ∫ = Σ ½ y0² (e^{4a} − 1)/(2a)."""
    def running(t, y, params):
        return 0.5 * anp.sum(y ** 2)

    def exact(y0, a):
        return np.sum(y0 * np.exp(2 * a)) + np.sum(0.5 * y0**2 * np.expm1(4 * a) / (2 * a))

    value, (g_y0, g_p) = ode.gradient(final_sum, decay, Y0, RATES, (0.0, 2.0), [1.0, 2.0],
                                      running=running, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(value, exact(Y0, RATES), rtol=1e-8)
    eye, step = np.eye(2), 1e-6
    fd_y0 = [(exact(Y0 + step * e, RATES) - exact(Y0 - step * e, RATES)) / (2 * step)
             for e in eye]
    fd_p = [(exact(Y0, RATES + step * e) - exact(Y0, RATES - step * e)) / (2 * step)
            for e in eye]
    np.testing.assert_allclose(g_y0, fd_y0, rtol=1e-7)
    np.testing.assert_allclose(g_p, fd_p, rtol=1e-7)


def test_running_cost_with_observations_before_the_end():
    """t_obs ending before t1: the running cost still integrates over the whole span."""
    def running(t, y, params):
        return anp.sum(y) * 0.0 + 1.0  # ∫ 1 dt = t1 − t0

    value, (g_y0, _) = ode.gradient(final_sum, decay, Y0, RATES, (0.0, 3.0), [1.0],
                                    running=running, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(value, np.sum(Y0 * np.exp(RATES)) + 3.0, rtol=1e-8)
    np.testing.assert_allclose(g_y0, np.exp(RATES), rtol=1e-7)
