"""admodes.lax: jax.lax's control flow (scan, fori_loop, while_loop, cond, switch, map,
select) with JAX's values and derivatives, through every transform, and JAX's errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import lax

RNG = np.random.default_rng(11)
XS = RNG.standard_normal((6, 3))
H0 = RNG.standard_normal(3)
A = RNG.standard_normal((3, 3)) / 2


def _rnn(lax_, xp):
    def run(a, h0, xs):
        def step(h, x):
            h = xp.tanh(a @ h + x)
            return h, xp.sum(h ** 2)
        return lax_.scan(step, h0, xs)
    return run


def _programs(lax_, xp):
    """The same programs for admodes.lax and jax.lax: each maps an array to an array."""
    return {
        "scan": lambda a: xp.concatenate([v.ravel() for v in _rnn(lax_, xp)(a, H0, XS)]),
        "scan-reverse": lambda a: lax_.scan(lambda c, x: (c * 0.5 + x, c), xp.zeros(3) + a[0],
                                            XS, reverse=True)[1].ravel(),
        "scan-length": lambda a: lax_.scan(lambda c, _: (a @ c, c[0]), H0, None,
                                           length=4)[1],
        "fori_loop": lambda a: lax_.fori_loop(0, 5, lambda i, v: xp.sin(a @ v) + i, H0),
        "while_loop": lambda a: lax_.while_loop(lambda v: v[1] < 4.0,
                                                lambda v: v * xp.stack([a[0, 0], 1.0])
                                                + xp.stack([0.0, 1.0]),
                                                xp.stack([1.0 + 0.0 * a[0, 0], 0.0])),
        "cond": lambda a: lax_.cond(a[0, 0] > 0, lambda x: xp.sin(x), lambda x: x ** 3, a),
        "switch": lambda a: lax_.switch(5, [xp.sin, xp.cos, xp.tanh], a),
        "map": lambda a: lax_.map(lambda x: a @ x, XS).ravel(),
        "select": lambda a: lax_.select(np.asarray(A) > 0, a, a ** 2),
    }


@pytest.mark.parametrize("name", list(_programs(lax, anp)))
def test_values_and_jacobians_equal_jax(name, jax_x64):
    ours = _programs(lax, anp)[name]
    theirs = _programs(jax_x64.lax, jax_x64.numpy)[name]
    np.testing.assert_allclose(ours(A), theirs(A), rtol=1e-14, atol=1e-15)
    if name != "while_loop":  # JAX cannot reverse-differentiate while_loop
        expected = jax_x64.jacrev(theirs)(A)
    else:
        expected = jax_x64.jacfwd(theirs)(A)
    for transform in (ad.jacrev, ad.jacfwd):
        np.testing.assert_allclose(transform(ours)(A), expected, rtol=1e-12, atol=1e-14)


def test_second_order_through_scan():
    def f(a):
        return anp.sum(_rnn(lax, anp)(a, H0, XS)[1])
    ad.check_grads(f, (A,), order=2, modes=("fwd", "rev"))


def test_while_loop_reverse_mode():
    """Newton's iteration for √c: the derivative of the converged value is 1/(2√c)."""
    def sqrt(c):
        return lax.while_loop(lambda x: abs(x * x - c) > 1e-14 * c,
                              lambda x: 0.5 * (x + c / x), c)
    assert ad.grad(sqrt)(np.float64(2.0)) == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-12)


def test_signatures_are_jaxs(jax_x64):
    for name in lax.__all__:
        ours = inspect.signature(getattr(lax, name)).parameters
        theirs = inspect.signature(getattr(jax_x64.lax, name)).parameters
        assert list(ours) == list(theirs), name


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: lax.scan(lambda c, x: (c + x, None), 0.0, XS), TypeError,
     (r"scan body function carry must have the structure of its input|scan body function "
     r"carry leaf 0 changed from shape \(\) dtype float64 to shape \(3,\)")),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, (XS, XS[:2])), ValueError,
     r"scan: xs needs one leading length"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, None), ValueError,
     r"scan: xs needs one leading length .*none: pass length="),
    (lambda: lax.scan(lambda c, x: c, 0.0, XS), TypeError,
     r"scan: f must return a pair \(carry, y\), got float"),
    (lambda: lax.fori_loop(0, 3, lambda i, v: (v, v), H0), TypeError,
     r"fori_loop body_fun output must have the structure of its input"),
    (lambda: lax.fori_loop(0.5, 3, lambda i, v: v, H0), TypeError,
     r"fori_loop: lower must be an integer scalar, got array\(0.5\)"),
    (lambda: lax.while_loop(lambda v: v, lambda v: v, H0), TypeError,
     r"while_loop: cond_fun must be a boolean or integer scalar, got shape \(3,\)"),
    (lambda: ad.grad(lambda x: lax.cond(x, anp.sin, anp.cos, x))(1.0), TypeError,
     (r"cond: pred must be a boolean or integer scalar, got a traced array of dtype float64 "
     r"\(compare it: x > 0\)")),
    (lambda: lax.cond(True, anp.sin, anp.cos, 1.0, operand=2.0), TypeError,
     r"cond: pass the operands positionally or as operand=, not both"),
    (lambda: lax.switch(0, [], 1.0), ValueError, r"switch: branches must be a non-empty"),
    (lambda: lax.select(np.ones(2, bool), np.ones(2), np.ones(3)), TypeError,
     r"select: pred must be a scalar or have the shape of on_true and on_false"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _zero_length_body(xp):
    def f(c, x):
        return c * 2.0, {"y": xp.sin(x) * c, "n": xp.sum(x)}
    return f


def test_scan_over_length_zero_returns_init_and_empty_outputs():
    f, h0 = _zero_length_body(anp), np.array([0.5, -1.0])
    carry, ys = lax.scan(f, h0, np.zeros((0, 2)))
    np.testing.assert_array_equal(carry, h0)
    assert ys["y"].shape == (0, 2) and ys["n"].shape == (0,) and ys["y"].dtype == np.float64
    np.testing.assert_array_equal(ad.jacrev(lambda h: lax.scan(f, h, np.zeros((0, 2)))[0])(h0),
                                  np.eye(2))
    _, ys = lax.scan(lambda c, _: (c, c), 1.0, None, length=0)
    assert ys.shape == (0,)
    assert lax.map(anp.sin, np.zeros((0, 3))).shape == (0, 3)


def test_scan_over_length_zero_has_jaxs_output_shapes(jax_x64):
    h0 = np.array([0.5, -1.0])
    ours = lax.scan(_zero_length_body(anp), h0, np.zeros((0, 2)))[1]
    theirs = jax_x64.lax.scan(_zero_length_body(jax_x64.numpy), h0, np.zeros((0, 2)))[1]
    assert {k: (v.shape, v.dtype) for k, v in ours.items()} == {
        k: (v.shape, v.dtype) for k, v in theirs.items()}


def test_single_operand_form_and_map_batch_size():
    assert lax.cond(False, anp.sin, anp.cos, operand=0.0) == 1.0
    np.testing.assert_array_equal(lax.map(anp.sin, XS, batch_size=2), np.sin(XS))
