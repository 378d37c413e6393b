"""vmap: jax.vmap's values and signature (in_axes/out_axes prefixes, keyword arguments,
axis_size), nesting with every transform, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

RNG = np.random.default_rng(5)
W = RNG.standard_normal((3, 4))
XS = RNG.standard_normal((5, 4))
YS = RNG.standard_normal(5)


def loss(w, x, y):
    return anp.sum((anp.tanh(w @ x) - y) ** 2)


def test_values_equal_a_loop():
    out = ad.vmap(loss, in_axes=(None, 0, 0))(W, XS, YS)
    np.testing.assert_array_equal(out, [loss(W, x, y) for x, y in zip(XS, YS)])


def test_per_example_gradients():
    grads = ad.vmap(ad.grad(loss), in_axes=(None, 0, 0))(W, XS, YS)
    assert grads.shape == (5, 3, 4)
    for g, x, y in zip(grads, XS, YS):
        np.testing.assert_array_equal(g, ad.grad(loss)(W, x, y))


@pytest.mark.parametrize(("in_axes", "out_axes", "args"), [
    (0, 0, (XS,)),
    (1, 0, (XS.T,)),
    (-1, 1, (XS.T,)),
    ((0, None), 0, (XS, W[0])),
    ((None, 1), -1, (W[0], XS.T)),
    ([0, None], 0, (XS, W[0])),
])
def test_against_jax(in_axes, out_axes, args, jax_x64):
    jnp = jax_x64.numpy

    def f(xp):
        def g(x, *rest):
            v = x * (rest[0] if rest else 1.0)
            return xp.stack([xp.sum(xp.sin(v)), xp.max(v)])
        return g
    ours = ad.vmap(f(anp), in_axes=in_axes, out_axes=out_axes)(*args)
    theirs = jax_x64.vmap(f(jnp), in_axes=in_axes, out_axes=out_axes)(*args)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    jac = ad.jacrev(lambda *a: ad.vmap(f(anp), in_axes=in_axes, out_axes=out_axes)(*a))(*args)
    jax_jac = jax_x64.jacrev(lambda *a: jax_x64.vmap(f(jnp), in_axes=in_axes,
                                                   out_axes=out_axes)(*a))(*args)
    np.testing.assert_allclose(jac, jax_jac, rtol=1e-14, atol=1e-15)


def test_pytree_prefixes_and_keywords():
    params = {"w": W, "b": RNG.standard_normal(3)}

    def predict(params, x, scale=1.0):
        return {"out": scale * anp.tanh(params["w"] @ x + params["b"]), "w": params["w"]}
    out = ad.vmap(predict, in_axes=({"w": None, "b": None}, 0),
                  out_axes={"out": 1, "w": None})(params, XS, scale=2.0 * np.ones(5))
    assert out["out"].shape == (3, 5) and out["w"] is W
    np.testing.assert_allclose(out["out"][:, 2], predict(params, XS[2], 2.0)["out"],
                               rtol=1e-15)


def test_nesting():
    """vmap of vmap, jvp of vmap, vmap of jacfwd and of hessian, grad of a vmapped sum."""
    def f(x, y):
        return anp.sin(x) * y
    table = ad.vmap(ad.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(XS[:, 0], YS)
    np.testing.assert_allclose(table, np.sin(XS[:, :1]) * YS, rtol=1e-15)
    _, t = ad.jvp(ad.vmap(anp.sin), (XS,), (np.ones_like(XS),))
    np.testing.assert_allclose(t, np.cos(XS), rtol=1e-15)
    jacs = ad.vmap(ad.jacfwd(lambda x: anp.tanh(W @ x)))(XS)
    np.testing.assert_allclose(jacs[1], ad.jacrev(lambda x: anp.tanh(W @ x))(XS[1]),
                               rtol=1e-13)
    hessians = ad.vmap(ad.hessian(lambda x: anp.sum(x ** 3)))(XS)
    np.testing.assert_allclose(hessians[3], np.diag(6 * XS[3]), rtol=1e-14)
    g = ad.grad(lambda w: anp.sum(ad.vmap(loss, in_axes=(None, 0, 0))(w, XS, YS)))(W)
    np.testing.assert_allclose(g, sum(ad.grad(loss)(W, x, y) for x, y in zip(XS, YS)),
                               rtol=1e-13)


def test_sum_match_sums_a_mapped_output_with_out_axes_none(jax_x64):
    ours = ad.vmap(lambda x: anp.sin(x), out_axes=None, sum_match=True)(XS)
    theirs = jax_x64.vmap(lambda x: jax_x64.numpy.sin(x), out_axes=None, sum_match=True)(XS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    g = ad.grad(lambda x: anp.sum(ad.vmap(anp.sin, out_axes=None, sum_match=True)(x)))(XS)
    np.testing.assert_allclose(g, np.cos(XS), rtol=1e-15)


def test_axis_size_with_nothing_mapped():
    out = ad.vmap(lambda x: x * 2.0, in_axes=None, axis_size=3)(np.ones(2))
    np.testing.assert_array_equal(out, np.full((3, 2), 2.0))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: ad.vmap(loss, in_axes=(None, 0, 0))(W, XS, YS[:4]), ValueError,
     (r"vmap got inconsistent sizes for the mapped axes: shape \(5, 4\) mapped along axis 0, "
     r"shape \(4,\) mapped along axis 0")),
    (lambda: ad.vmap(loss, in_axes=None)(W, XS[0], YS[0]), ValueError,
     r"vmap: no argument is mapped .* pass axis_size="),
    (lambda: ad.vmap(loss, in_axes=(None, 0))(W, XS, YS), ValueError,
     r"vmap: in_axes is a tuple of 2 entries but the function got 3 positional arguments"),
    (lambda: ad.vmap(anp.sin, in_axes=2)(XS), ValueError,
     (r"vmap: in_axes asks to map an argument of shape \(5, 4\) along axis 2, which needs at "
     r"least 3 dimensions")),
    (lambda: ad.vmap(anp.sin, in_axes=0)(1.0), ValueError,
     r"vmap: in_axes asks to map an argument of shape \(\) along axis 0"),
    (lambda: ad.vmap(anp.sin, in_axes=0.5), TypeError,
     r"vmap: in_axes must be an int, None, or a pytree of them, got 0.5"),
    (lambda: ad.vmap(anp.sin, axis_name="batch"), ValueError,
     r"vmap: axis_name='batch'; admodes has no collective operations"),
    (lambda: ad.vmap(anp.sin, out_axes=None)(XS), ValueError,
     r"vmap: out_axes is None for output 0, but it differs between indices"),
    (lambda: ad.vmap(anp.sin, out_axes=3)(XS), ValueError,
     r"vmap: out_axes=3 is out of bounds for an output of shape \(4,\)"),
    (lambda: ad.vmap(anp.sin)(np.zeros((0, 2))), ValueError,
     r"vmap: the mapped axis has size 0"),
    (lambda: ad.vmap(lambda x: (x,) if x[0] > 0 else [x])(np.array([[1.0], [-1.0]])),
     ValueError, (r"vmap: fun returned outputs of different structures in different "
                 r"iterations")),
    (lambda: ad.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": XS}), ValueError,
     r"vmap: in_axes entry \{'b': 0\} does not match the structure of its argument"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
