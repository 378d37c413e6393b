"""admodes.optim: each update rule against hand-computed steps, convergence, pytrees, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import optim


def steps_of(opt, params, grads_seq):
    """The params after applying ``opt`` to the gradients ``grads_seq`` one by one."""
    state = opt.init(params)
    out = []
    for g in grads_seq:
        params, state = opt.update(g, state, params)
        out.append(params)
    return out, state


# -- each rule by hand ----------------------------------------------------------------------------

def test_sgd_step():
    (p,), _ = steps_of(optim.sgd(0.1), np.array([1.0, 2.0]), [np.array([0.5, -1.0])])
    np.testing.assert_allclose(p, [0.95, 2.1], rtol=0, atol=1e-15)


def test_heavy_ball_steps():
    # v1 = -0.1*2 = -0.2, θ1 = 0.8; v2 = 0.9*(-0.2) - 0.1*1 = -0.28, θ2 = 0.52
    (p1, p2), state = steps_of(optim.momentum(0.1, beta=0.9), np.array(1.0),
                               [np.array(2.0), np.array(1.0)])
    assert p1 == pytest.approx(0.8, abs=1e-15) and p2 == pytest.approx(0.52, abs=1e-15)
    assert state.slot("velocity") == pytest.approx(-0.28, abs=1e-15)
    assert state.count == 2


def test_nesterov_steps():
    # θ1 = 1 + 0.9*(-0.2) - 0.2 = 0.62; v2 = -0.28, θ2 = 0.62 + 0.9*(-0.28) - 0.1 = 0.268
    (p1, p2), _ = steps_of(optim.momentum(0.1, beta=0.9, nesterov=True), np.array(1.0),
                           [np.array(2.0), np.array(1.0)])
    assert p1 == pytest.approx(0.62, abs=1e-15) and p2 == pytest.approx(0.268, abs=1e-15)


def test_nesterov_tracks_the_lookahead_point_of_sutskever_et_al():
    """Sutskever et al. (2013) eq. 3-4: v ← βv − η∇L(θ + βv), θ ← θ + v. Our iterate, which
    only ever sees the gradient at itself, is their look-ahead point θ + βv."""
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([1.0, -2.0])

    def gradient(x):
        return a @ (x - c)
    lr, beta = 0.05, 0.8
    theta, v = np.array([4.0, 3.0]), np.zeros(2)
    opt = optim.momentum(lr, beta=beta, nesterov=True)
    params, state = theta.copy(), opt.init(theta)
    for _ in range(25):
        v = beta * v - lr * gradient(theta + beta * v)
        theta = theta + v
        params, state = opt.update(gradient(params), state, params)
        np.testing.assert_allclose(params, theta + beta * v, rtol=1e-13, atol=1e-13)


def test_rmsprop_steps():
    lr, decay, eps = 0.01, 0.9, 1e-8
    (p1, p2), _ = steps_of(optim.rmsprop(lr, decay=decay, eps=eps), np.array(0.0),
                           [np.array(2.0), np.array(-1.0)])
    r1 = 0.1 * 2.0 ** 2                      # 0.4
    r2 = 0.9 * r1 + 0.1 * 1.0                # 0.46
    assert p1 == pytest.approx(-lr * 2 / (math.sqrt(r1) + eps), rel=1e-14)
    assert p2 == pytest.approx(float(p1) + lr / (math.sqrt(r2) + eps), rel=1e-14)


def test_adam_first_step_is_learning_rate_times_sign():
    # bias correction: m̂1 = g, ŝ1 = g², so the first step is -η g / (|g| + ε)
    (p,), _ = steps_of(optim.adam(0.01), np.array([1.0, 1.0, 1.0]),
                       [np.array([3.0, -0.5, 1e-3])])
    np.testing.assert_allclose(p, [0.99, 1.01, 0.99], rtol=0, atol=1e-7)


def test_adam_second_step():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    (p1, p2), state = steps_of(optim.adam(lr, b1=b1, b2=b2, eps=eps), np.array(0.0),
                               [np.array(3.0), np.array(1.0)])
    m = 0.9 * (0.1 * 3.0) + 0.1 * 1.0                  # 0.37
    s = 0.999 * (0.001 * 9.0) + 0.001 * 1.0             # 0.009991
    m_hat, s_hat = m / (1 - 0.9 ** 2), s / (1 - 0.999 ** 2)
    assert p2 == pytest.approx(float(p1) - lr * m_hat / (math.sqrt(s_hat) + eps), rel=1e-13)
    assert state.slot("m") == pytest.approx(m, rel=1e-15)
    assert state.slot("s") == pytest.approx(s, rel=1e-15)


def test_update_is_pure():
    params = {"w": np.array([1.0, 2.0])}
    grads = {"w": np.array([0.5, 0.5])}
    opt = optim.adam(0.1)
    state = opt.init(params)
    new, new_state = opt.update(grads, state, params)
    assert params["w"].tolist() == [1.0, 2.0] and grads["w"].tolist() == [0.5, 0.5]
    assert state.count == 0 and np.all(state.slots["m"][0] == 0)
    assert new_state.count == 1 and not np.allclose(new["w"], params["w"])


# -- convergence ----------------------------------------------------------------------------------

A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]])
CENTER = np.array([1.0, -2.0, 0.5])


def quadratic(x):
    d = x - CENTER
    return 0.5 * anp.sum(d * (A @ d))


@pytest.mark.parametrize("opt", [optim.sgd(0.2), optim.momentum(0.1, 0.8),
                                 optim.momentum(0.1, 0.8, nesterov=True),
                                 optim.rmsprop(0.01), optim.adam(0.05)], ids=repr)
def test_converges_on_a_quadratic(opt):
    params, losses = optim.minimize(quadratic, np.zeros(3), opt, 600)
    tol = 1e-8 if opt.name in ("sgd", "momentum") else 1e-2  # adaptive: stalls at ~η
    np.testing.assert_allclose(params, CENTER, atol=tol)
    assert losses[0] == pytest.approx(quadratic(np.zeros(3)))
    assert losses.shape == (600,) and losses[-1] < 1e-3 * losses[0]


def test_gradient_descent_and_heavy_ball_rates():
    """η = 1/L: error ≤ (1 − 1/κ)ᵗ; Polyak's heavy ball is faster, ~((√κ−1)/(√κ+1))ᵗ."""
    eig = np.linalg.eigvalsh(A)
    mu, big = eig[0], eig[-1]
    kappa = big / mu
    steps = 60
    gd, _ = optim.minimize(quadratic, np.zeros(3), optim.sgd(1 / big), steps)
    hb_lr = 4 / (math.sqrt(big) + math.sqrt(mu)) ** 2
    hb_beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    hb, _ = optim.minimize(quadratic, np.zeros(3), optim.momentum(hb_lr, hb_beta), steps)
    e0 = np.linalg.norm(CENTER)
    assert np.linalg.norm(gd - CENTER) <= (1 - 1 / kappa) ** steps * e0
    rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert np.linalg.norm(hb - CENTER) <= 10 * steps * rate ** steps * e0  # Jordan factor t
    assert np.linalg.norm(hb - CENTER) < 1e-3 * np.linalg.norm(gd - CENTER)


def test_minimize_with_forward_mode_gradients_matches_reverse():
    def forward_value_and_grad(x):
        g, value = ad.jacfwd(lambda y: (quadratic(y),) * 2, has_aux=True)(x)
        return value, g
    opt = optim.adam(0.05)
    p_rev, l_rev = optim.minimize(quadratic, np.zeros(3), opt, 40)
    p_fwd, l_fwd = optim.minimize(quadratic, np.zeros(3), opt, 40,
                                  value_and_grad=forward_value_and_grad)
    np.testing.assert_allclose(p_fwd, p_rev, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(l_fwd, l_rev, rtol=1e-13)


def test_callback_sees_each_step_and_can_stop():
    seen = []

    def callback(step, params, loss):
        seen.append((step, float(quadratic(params)), loss))
        return loss < 1e-3
    params, losses = optim.minimize(quadratic, np.zeros(3), optim.sgd(0.2), 500,
                                    callback=callback)
    assert [s for s, _, _ in seen] == list(range(len(losses)))
    assert all(a == pytest.approx(b) for _, a, b in seen)
    assert losses[-1] < 1e-3 <= losses[-2] and len(losses) < 500
    assert quadratic(params) == pytest.approx(losses[-1])  # the params of the last loss


def test_zero_steps_and_progress_bar(capsys):
    params, losses = optim.minimize(quadratic, np.ones(3), optim.sgd(0.1), 0)
    assert losses.shape == (0,) and np.all(params == 1)
    _, losses = optim.minimize(quadratic, np.ones(3), optim.sgd(0.1), 3, progress=True)
    assert len(losses) == 3


# -- pytrees --------------------------------------------------------------------------------------

def test_pytree_params_dict_tuple_list():
    target = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": (np.array(-1.0), [np.array([0.5])])}

    def loss(p):
        return (anp.sum((p["w"] - target["w"]) ** 2) + (p["b"][0] - target["b"][0]) ** 2
                + anp.sum((p["b"][1][0] - target["b"][1][0]) ** 2))
    start = {"w": np.zeros((2, 2)), "b": (np.array(0.0), [np.zeros(1)])}
    params, losses = optim.minimize(loss, start, optim.momentum(0.1, 0.5), 200)
    assert set(params) == {"w", "b"} and isinstance(params["b"], tuple)
    assert isinstance(params["b"][1], list)
    np.testing.assert_allclose(params["w"], target["w"], atol=1e-10)
    np.testing.assert_allclose(params["b"][1][0], target["b"][1][0], atol=1e-10)
    assert float(params["b"][0]) == pytest.approx(-1.0, abs=1e-10)
    assert losses[0] == pytest.approx(31.25)


def test_state_slot_has_the_params_structure():
    params = {"a": np.ones(2), "b": [np.ones((2, 3))]}
    state = optim.adam().init(params)
    m = state.slot("m")
    assert set(m) == {"a", "b"} and m["b"][0].shape == (2, 3)


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: optim.sgd(0.0), "learning_rate must be a positive finite number, got 0.0"),
    (lambda: optim.sgd(-1e-3), "learning_rate"),
    (lambda: optim.sgd(float("nan")), "learning_rate"),
    (lambda: optim.sgd(True), "learning_rate"),
    (lambda: optim.adam(b1=1.0), r"b1 must be a number in \[0, 1\), got 1.0"),
    (lambda: optim.adam(b2=-0.1), "b2"),
    (lambda: optim.adam(eps=0.0), "eps"),
    (lambda: optim.momentum(0.1, beta=1.5), "beta"),
    (lambda: optim.rmsprop(0.1, decay=1.0), "decay"),
    (lambda: optim.rmsprop("0.1"), "learning_rate"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_nesterov_flag_must_be_bool():
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        optim.momentum(0.1, nesterov="yes")


def test_bad_grads_and_params():
    opt = optim.sgd(0.1)
    params = {"a": np.ones(2), "b": np.ones(3)}
    state = opt.init(params)
    with pytest.raises(ValueError, match="grads leaf 0 has non-finite entries"):
        opt.update({"a": np.array([np.nan, 1.0]), "b": np.ones(3)}, state, params)
    with pytest.raises(ValueError, match="grads have tree structure"):
        opt.update({"a": np.ones(2)}, state, params)
    with pytest.raises(ValueError, match=r"grads leaf 1 has shape \(2,\) but params leaf 1"):
        opt.update({"a": np.ones(2), "b": np.ones(2)}, state, params)
    with pytest.raises(ValueError, match="state have tree structure"):
        opt.update(params, opt.init(np.ones(2)), params)
    with pytest.raises(ValueError, match="state slot 'velocity' leaf 0 has shape"):
        optim.momentum(0.1).update(np.ones(3), optim.momentum(0.1).init(np.ones(2)), np.ones(3))
    with pytest.raises(TypeError, match="dtype int64; expected a real floating-point"):
        opt.init(np.array([1, 2]))
    with pytest.raises(TypeError, match="leaf 0 is a str"):
        opt.init("abc")
    with pytest.raises(ValueError, match="has no array leaves"):
        opt.init({})
    with pytest.raises(TypeError, match="state must be the OptimizerState"):
        opt.update(params, optim.adam().init(params), params)
    with pytest.raises(TypeError, match="got dict"):
        opt.update(params, {}, params)


def test_bad_minimize_arguments():
    opt = optim.sgd(0.1)
    with pytest.raises(TypeError, match="fun must be callable"):
        optim.minimize(3.0, np.ones(2), opt, 1)
    with pytest.raises(TypeError, match="opt must be an Optimizer"):
        optim.minimize(quadratic, np.ones(3), "adam", 1)
    with pytest.raises(ValueError, match="steps must be a non-negative int, got -1"):
        optim.minimize(quadratic, np.ones(3), opt, -1)
    with pytest.raises(ValueError, match="steps must be a non-negative int, got 2.5"):
        optim.minimize(quadratic, np.ones(3), opt, 2.5)
    with pytest.raises(TypeError, match="callback must be callable or None"):
        optim.minimize(quadratic, np.ones(3), opt, 1, callback=1)


def test_divergence_is_reported():
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match=r"the loss is (inf|nan) at step \d+ \(sgd"):
        optim.minimize(quadratic, np.ones(3), optim.sgd(10.0), 2000)
