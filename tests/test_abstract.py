"""ShapeDtypeStruct, eval_shape and linear_transpose (JAX's names and results): shapes and dtypes
of outputs without caring about values, and the transpose of a linear map by reverse mode at
zero, refused for maps that are not linear."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

RNG = np.random.default_rng(5)
A = RNG.standard_normal((3, 4))


def test_shape_dtype_struct_is_a_value():
    s = ad.ShapeDtypeStruct([2, 3], "float32")
    assert (s.shape, s.dtype, s.ndim, s.size) == ((2, 3), np.dtype(np.float32), 2, 6)
    assert s == ad.ShapeDtypeStruct((2, 3), np.float32) and len({s, ad.ShapeDtypeStruct(
        (2, 3), np.float32)}) == 1
    assert s != ad.ShapeDtypeStruct((2, 3), np.float64)
    assert repr(s) == "ShapeDtypeStruct(shape=(2, 3), dtype=float32)"
    with pytest.raises(TypeError, match=r"ShapeDtypeStruct: shape must be a sequence of ints, "
                                        r"got 3"):
        ad.ShapeDtypeStruct(3, np.float32)
    with pytest.raises(ValueError, match=re.escape("negative dimension in shape (2, -1)")):
        ad.ShapeDtypeStruct((2, -1), np.float32)


def test_eval_shape_of_a_pytree_with_placeholders_and_arrays():
    def f(x, y, scale=1.0):
        return {"product": scale * (x @ y), "parts": (anp.log(x), anp.sum(y, axis=0))}
    out = ad.eval_shape(f, np.ones((2, 3)), ad.ShapeDtypeStruct((3, 4), np.float32), scale=2.0)
    assert out == {"product": ad.ShapeDtypeStruct((2, 4), np.float64),
                   "parts": (ad.ShapeDtypeStruct((2, 3), np.float64),
                             ad.ShapeDtypeStruct((4,), np.float32))}


def test_eval_shape_inside_a_transform_and_of_a_gradient():
    shapes = ad.eval_shape(ad.grad(lambda w: anp.sum(anp.tanh(w) ** 2)),
                           ad.ShapeDtypeStruct((5,), np.float32))
    assert shapes == ad.ShapeDtypeStruct((5,), np.float32)

    def f(x):
        assert ad.eval_shape(anp.outer, x, x) == ad.ShapeDtypeStruct((3, 3), np.float64)
        return anp.sum(x)
    ad.grad(f)(np.ones(3))


def test_eval_shape_refuses_a_non_function():
    with pytest.raises(TypeError, match="eval_shape: fun must be callable, got int"):
        ad.eval_shape(3, np.ones(2))


@pytest.mark.parametrize("fun, primals, expected", [
    (lambda x: A @ x, (np.zeros(4),), lambda ct: (A.T @ ct,)),
    (lambda x: anp.cumsum(x), (np.zeros(3),), lambda ct: (np.cumsum(ct[::-1])[::-1],)),
    (lambda x, y: {"s": x + 2.0 * y, "t": anp.sum(x)}, (np.zeros(2), np.zeros(2)),
     lambda ct: (ct["s"] + ct["t"], 2.0 * ct["s"])),
])
def test_linear_transpose_is_the_adjoint(fun, primals, expected):
    transpose = ad.linear_transpose(fun, *primals)
    out = fun(*primals)
    ct = ad.tree.map(lambda o: RNG.standard_normal(np.shape(o)), out)
    got = transpose(ct)
    assert isinstance(got, tuple) and len(got) == len(primals)
    for g, e in zip(got, expected(ct)):
        np.testing.assert_allclose(g, e, rtol=1e-14)
    # <ct, f(x)> = <fᵀ(ct), x> at a random x
    x = tuple(RNG.standard_normal(np.shape(p)) for p in primals)
    lhs = sum(np.sum(c * o) for c, o in zip(ad.tree.leaves(ct), ad.tree.leaves(fun(*x))))
    rhs = sum(np.sum(g * xi) for g, xi in zip(got, x))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_linear_transpose_takes_placeholders_and_keeps_float32():
    transpose = ad.linear_transpose(lambda x: 3.0 * x, ad.ShapeDtypeStruct((2,), np.float32))
    (g,) = transpose(np.ones(2, np.float32))
    assert g.dtype == np.float32 and np.array_equal(g, [3.0, 3.0])


@pytest.mark.parametrize("fun", [lambda x: x + 1.0, lambda x: x * x, anp.abs, anp.sin],
                         ids=["affine", "square", "abs", "sin"])
def test_linear_transpose_refuses_a_function_that_is_not_linear(fun):
    with pytest.raises(ValueError, match=r"linear_transpose: fun is not linear"):
        ad.linear_transpose(fun, np.zeros(3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: ad.linear_transpose(lambda x: x, np.zeros(3, int)), TypeError,
     "linear_transpose: the primals must be floating-point arrays, got dtype int64"),
    (lambda: ad.linear_transpose(lambda x: x, np.zeros(3), reduce_axes=("batch",)), ValueError,
     "linear_transpose: reduce_axes is not supported"),
    (lambda: ad.linear_transpose(lambda x: (x, x), np.zeros(3))(np.ones(3)), ValueError,
     "linear_transpose: the cotangent has structure"),
])
def test_linear_transpose_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_against_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)

    def f(x):
        return anp.cumsum(A @ x)
    ours = ad.linear_transpose(f, np.zeros(4))(np.arange(3.0))[0]
    theirs = jax.linear_transpose(lambda x: jax.numpy.cumsum(A @ x), np.zeros(4))(
        np.arange(3.0))[0]
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-14)
    shapes = jax.eval_shape(lambda x: jax.numpy.outer(x, x), jax.ShapeDtypeStruct((3,), "float32"))
    assert ad.eval_shape(anp.outer, *(jax.ShapeDtypeStruct((3,), "float32"),) * 2) == \
        ad.ShapeDtypeStruct(shapes.shape, shapes.dtype)
