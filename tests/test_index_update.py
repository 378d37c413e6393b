"""JAX's ``x.at[index]`` updates on traced arrays (admodes.ops.index_update), beyond the generated
registry tests of ``index_update``: numpy's values for every index form, numpy's ``ufunc.at``
order at repeated indices, JAX's derivatives, dtypes, higher order and the errors."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

X = np.array([[1.5, -0.7, 2.2, 0.4], [0.3, 1.1, -2.5, 0.9], [-1.2, 0.8, 1.7, -0.6]])
UFUNCS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
          "power": np.power, "min": np.minimum, "max": np.maximum}
INDICES = {
    "int": (1,),
    "negative": (-1, -2),
    "slice": (slice(None), slice(1, None, 2)),
    "ellipsis-none": (Ellipsis, None, 0),
    "fancy": (np.array([2, 0]), np.array([1, 3])),
    "fancy-2d": (np.array([[0, 2], [1, 1]]),),
    "mask": (X > 0.5,),
    "mixed": (slice(0, 2), np.array([3, 0, 3])),
    "repeated": (np.array([1, 1, 0]), np.array([2, 2, 2])),
}


def _traced_value(f, x):
    """``f`` evaluated on a traced ``x`` (the value of ``jvp``'s primal output)."""
    return ad.jvp(f, (x,), (np.ones_like(x),))[0]


def _numpy_update(how, x, index, values):
    out = x.copy()
    if how == "set":
        out[index] = values
    else:
        selected = np.arange(x.size).reshape(x.shape)[index]
        UFUNCS[how].at(out.reshape(-1), selected.ravel(),
                       np.broadcast_to(values, selected.shape).ravel())
    return out


@pytest.mark.parametrize("index", list(INDICES))
@pytest.mark.parametrize("how", ["set", *UFUNCS])
def test_values_are_numpys_assignment_and_ufunc_at(how, index):
    index = INDICES[index]
    shape = X[index].shape
    values = 0.5 + np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 7
    positive = np.abs(X) + 0.5  # power needs a positive base
    for update in (values, values[..., :1] if shape else values, 1.25):  # broadcasting too
        got = _traced_value(lambda x, u=update: getattr(x.at[index], how)(u), positive)
        np.testing.assert_allclose(got, _numpy_update(how, positive, index, update),
                                   rtol=1e-14)


def test_set_at_a_repeated_index_keeps_the_last_value_and_its_derivative():
    index, values, x = np.array([2, 0, 2]), np.array([10.0, 20.0, 30.0]), np.arange(4.0)
    f = lambda x, v: x.at[index].set(v)
    np.testing.assert_array_equal(_traced_value(lambda x: f(x, values), x), [20.0, 1, 30, 3])
    for transform in (ad.jacrev, ad.jacfwd):
        jac_x, jac_v = transform(f, argnums=(0, 1))(x, values)
        np.testing.assert_array_equal(jac_x, np.diag([0.0, 1.0, 0.0, 1.0]))
        np.testing.assert_array_equal(jac_v, [[0, 1, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]])


def test_apply_runs_once_per_occurrence():
    x = np.array([0.3, 2.0, -1.0])
    f = lambda x: x.at[np.array([1, 1, 2])].apply(anp.sin)
    np.testing.assert_allclose(_traced_value(f, x), [0.3, np.sin(np.sin(2.0)), np.sin(-1.0)])
    jac = ad.jacfwd(f)(x)
    np.testing.assert_allclose(np.diag(jac), [1.0, np.cos(np.sin(2.0)) * np.cos(2.0),
                                              np.cos(-1.0)], rtol=1e-14)
    np.testing.assert_allclose(ad.jacrev(f)(x), jac, rtol=1e-14)


def test_get_is_indexing():
    index = INDICES["mixed"]
    np.testing.assert_array_equal(_traced_value(lambda x: x.at[index].get(), X), X[index])


@pytest.mark.parametrize("how", ["set", *UFUNCS])
def test_derivatives_equal_jaxs(how, jax_x64):
    jnp = jax_x64.numpy
    index = (np.array([2, 0]), np.array([1, 3]))
    x, values = np.abs(X) + 0.5, np.array([0.7, 1.9])

    def f(x, v):  # JAX differentiates scatter_mul only with unique_indices=True
        return getattr(x.at[index], how)(v, unique_indices=True)
    theirs = jax_x64.jacrev(f, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(values))
    for transform in (ad.jacrev, ad.jacfwd):
        ours = transform(f, argnums=(0, 1))(x, values)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-13, atol=1e-15)


def test_second_order_through_updates():
    v = np.array([0.4, -1.3, 0.8])

    def f(x):
        y = anp.at(anp.at(x)[1:].multiply(x[:2]))[0].add(x[2] ** 2)
        return anp.sum(anp.sin(y))
    hessian = ad.hessian(f)(v)
    check = ad.jacrev(ad.grad(f))(v)
    np.testing.assert_allclose(hessian, check, rtol=1e-13)
    ad.check_grads(f, (v,), order=2)


def test_values_take_the_arrays_dtype_and_their_gradient_their_own():
    x, values = np.ones(4, np.float32), np.array([2.0, 3.0])
    assert _traced_value(lambda x: x.at[1:3].set(values), x).dtype == np.float32
    grad_v = ad.grad(lambda v: anp.sum(anp.at(x)[1:3].set(v) * 2))(values)
    assert grad_v.dtype == np.float64
    np.testing.assert_array_equal(grad_v, [2.0, 2.0])


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: x.at[0].set(1.0, mode="drop"), ValueError,
     ("x.at[index].set(): mode='drop' is not supported; admodes follows numpy (an out-of-bounds "
      "index is an IndexError): use mode None or 'promise_in_bounds'")),
    (lambda x: x.at[0].get(fill_value=0.0), ValueError,
     "x.at[index].get(): fill_value needs mode='fill', which is not supported"),
    (lambda x: x.at[0].add(1.0, wrap_negative_indices=False), ValueError,
     ("x.at[index].add(): wrap_negative_indices=False is not supported; negative indices count "
      "from the end, as in numpy")),
    (lambda x: x.at[x[0]].set(1.0), TypeError,
     ("x.at[index]: the index must be concrete (ints, slices, integer or boolean arrays), got a "
      "traced array")),
    (lambda x: x.at[0].apply(2.0), TypeError, "x.at[index].apply(): func must be callable, got float"),
    (lambda x: x.at[7].set(1.0), IndexError, "index 7 is out of bounds for axis 0 with size 3"),
    (lambda x: x.at[:2].set(np.ones(3)), ValueError,
     ("x.at[index].set(): values of shape (3,) do not broadcast to the shape (2,) that "
      "x[index] selects")),
])
def test_bad_updates(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ad.grad(lambda x: anp.sum(call(x)))(np.array([1.0, 2.0, 3.0]))


def test_at_of_plain_arrays_is_numpys_update_and_differentiable_in_the_values():
    x = np.arange(5.0)
    out = anp.at(x)[np.array([1, 1, 3])].add(np.array([1.0, 2.0, 3.0]))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [0.0, 4.0, 2.0, 6.0, 4.0])
    np.testing.assert_array_equal(x, np.arange(5.0))  # not modified
    grad = ad.grad(lambda v: anp.sum(anp.at(x)[::2].multiply(v) ** 2))(np.ones(3))
    np.testing.assert_allclose(grad, 2 * np.array([0.0, 2.0, 4.0]) ** 2)


def test_in_place_assignment_points_to_at():
    def f(x):
        x[0] = 1.0
        return anp.sum(x)
    with pytest.raises(TypeError, match=re.escape("use x.at[index].set(value)")):
        ad.grad(f)(np.ones(2))
