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


# Out-of-bounds modes: (index, {component: axis} of its integer components, how, values) on X
# (3 x 4); the values are distinct per entry, so no min/max update ties.
BOUNDS_CASES = {
    "rows": ((np.array([0, 5, -1]), 1), {0: 0, 1: 1}, "set", np.array([10.0, 20.0, 30.0])),
    "columns": ((slice(None), np.array([7, 1, -9])), {1: 1}, "multiply",
                np.array([[2.0], [3.0], [4.0]])),
    "ellipsis": ((Ellipsis, np.array([3, 4, -5])), {1: 1}, "max", np.array([5.0, 6.0, 7.0])),
    "int-and-array": ((1, np.array([[0, 9], [2, -1]])), {0: 0, 1: 1}, "add",
                      np.array([[1.0, 2.0], [3.0, 4.0]])),
    "repeated": ((np.array([0, 2, 2, 3]),), {0: 0}, "add", np.array([[1.0], [2.0], [3.0], [4.0]])),
    "mask-and-array": ((np.array([True, False, True]), np.array([1, 6])), {1: 1}, "subtract",
                       np.array([0.5, 0.25])),
    "none": ((None, np.array([1, 6]), Ellipsis, 0), {1: 0, 3: 1}, "divide",
             np.array([[2.0], [4.0]])),
}


def _padded_reference(x, index, axes, mode, how=None, values=None, fill=0.0):
    """numpy on x padded by one ``fill`` slot at the end of each integer-indexed axis: each index
    wrapped once, then clamped ('clip') or, out of bounds, sent to the slot ('drop', 'fill');
    an update is then numpy's (``_numpy_update``) on the padded array, cropped back."""
    padded = np.pad(x, [(0, int(axis in axes.values())) for axis in range(x.ndim)],
                    constant_values=fill)
    moved = list(index)
    for k, axis in axes.items():
        n = x.shape[axis]
        wrapped = np.where(np.asarray(index[k]) < 0, np.asarray(index[k]) + n, index[k])
        outside = (wrapped < 0) | (wrapped >= n)
        moved[k] = np.clip(wrapped, 0, n - 1) if mode == "clip" else np.where(outside, n, wrapped)
    if how is None:
        return padded[tuple(moved)]
    return _numpy_update(how, padded, tuple(moved), values)[tuple(slice(n) for n in x.shape)]


@pytest.mark.parametrize("mode", ["clip", "drop", "fill"])
@pytest.mark.parametrize("case", list(BOUNDS_CASES))
def test_out_of_bounds_modes_equal_numpy_on_a_padded_array(case, mode):
    index, axes, how, values = BOUNDS_CASES[case]
    expected = _padded_reference(X, index, axes, mode, how, values)
    np.testing.assert_array_equal(getattr(anp.at(X)[index], how)(values, mode=mode), expected)
    np.testing.assert_array_equal(
        _traced_value(lambda x: getattr(x.at[index], how)(values, mode=mode), X), expected)
    got = _padded_reference(X, index, axes, mode, fill=np.nan)
    np.testing.assert_array_equal(anp.at(X)[index].get(mode=mode), got)
    np.testing.assert_array_equal(anp.at(X)[index].get(mode="fill", fill_value=-7.0),
                                  _padded_reference(X, index, axes, "fill", fill=-7.0))


@pytest.mark.parametrize("case", list(BOUNDS_CASES))
def test_out_of_bounds_derivatives_equal_jaxs(case, jax_x64):
    jnp = jax_x64.numpy
    index, _, how, values = BOUNDS_CASES[case]
    x = np.abs(X) + 0.5
    # JAX's scatter_max gradient under mode='clip' is nan/inf at clamped repeats: not compared
    for mode in ("drop",) if how == "max" else ("clip", "drop"):
        def update(x, v, mode=mode):
            return getattr(x.at[index], how)(v, mode=mode,
                                           unique_indices=how in ("multiply", "divide"))

        def get(x, mode=mode):
            return x.at[index].get(mode="fill" if mode == "drop" else mode)
        theirs = jax_x64.jacrev(update, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(values))
        for transform in (ad.jacrev, ad.jacfwd):
            for a, b in zip(transform(update, argnums=(0, 1))(x, values), theirs):
                np.testing.assert_allclose(a, np.asarray(b), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(transform(get)(x), jax_x64.jacrev(get)(jnp.asarray(x)),
                                       rtol=1e-13, atol=1e-15)


def test_fill_values_default_to_jaxs_per_dtype():
    index = np.array([1, 9])
    assert np.isnan(anp.at(np.ones(3))[index].get(mode="fill")[1])
    assert anp.at(np.arange(3))[index].get(mode="fill")[1] == np.iinfo(np.int64).min
    assert anp.at(np.arange(3, dtype=np.uint8))[index].get(mode="fill")[1] == 255
    assert anp.at(np.zeros(3, bool))[index].get(mode="fill")[1]
    np.testing.assert_array_equal(
        anp.at(np.ones(3))[np.array([0, -1])].set(5.0, mode="drop", wrap_negative_indices=False),
        [5.0, 1.0, 1.0])


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
    (lambda x: x.at[0].set(1.0, mode="wrap"), ValueError,
     ("x.at[index].set(): mode='wrap' is not one of ('promise_in_bounds', 'clip', 'drop', "
      "'fill') (or None)")),
    (lambda x: x.at[0].get(fill_value=0.0), ValueError,
     "x.at[index].get(): fill_value is used only with mode='fill' (or 'drop'), got mode=None"),
    (lambda x: x.at[-1].add(1.0, wrap_negative_indices=False), IndexError,
     ("x.at[index].add(): index -1 is out of bounds for axis 0 with size 3 "
      "(wrap_negative_indices=False)")),
    (lambda x: x.at[x[0]].set(1.0), TypeError,
     ("x.at[index]: the index must be concrete (ints, slices, integer or boolean arrays), got a "
      "traced array")),
    (lambda x: x.at[0].apply(2.0), TypeError, "x.at[index].apply(): func must be callable, got float"),
    (lambda x: x.at[7].set(1.0), IndexError,
     "x.at[index].set(): index 7 is out of bounds for axis 0 with size 3"),
    (lambda x: x.at[np.array([0, -4])].get(mode="promise_in_bounds"), IndexError,
     "x.at[index].get(): index -4 is out of bounds for axis 0 with size 3"),
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
