"""Behaviour of the editing and selection composites (admodes/ops/editing.py) that the
generated registry tests (one domain case at a time, derivatives by finite differences) do not
reach: numpy's values on edge cases (empty selections, negative indices, slices, boolean masks,
inserting at the end, ties, all-zero arrays), errors, derivatives with a closed form, traced
index arguments used by value, and nested transforms."""

import itertools
import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def assert_same(ours, theirs):
    """Equal to numpy's result in type of container, shape, dtype and value."""
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, \
        f"{ours.shape} {ours.dtype} vs numpy's {theirs.shape} {theirs.dtype}"
    np.testing.assert_array_equal(ours, theirs)


def jacobians(f, x):
    """jacfwd and jacrev of f at x, checked to agree exactly (selections have 0/1 entries)."""
    forward, reverse = ad.jacfwd(f)(x), ad.jacrev(f)(x)
    np.testing.assert_array_equal(forward, reverse)
    return forward


def selection_matrix(positions, size):
    """The Jacobian of x ↦ ravel(x)[positions]: row i has a 1 at column positions[i]."""
    positions = np.asarray(positions).reshape(-1)
    return (positions[:, None] == np.arange(size)).astype(float)


# -- delete ---------------------------------------------------------------------------------------

DELETE_CASES = [
    ((5,), 0, None), ((5,), -1, None), ((5,), np.int64(-5), None), ((5,), [], None),
    ((5,), np.array([], dtype=int), None), ((5,), [0, 0, -1], None), ((5,), slice(1, 4), None),
    ((5,), slice(None, None, -2), None), ((5,), slice(3, 1), None), ((5,), slice(-2, None), None),
    ((5,), np.array([True, False, True, False, True]), None), ((5,), np.zeros(5, bool), None),
    ((2, 3), 4, None), ((2, 3), [5, 0], None), ((), 0, None), ((3, 4), 1, 0),
    ((3, 4), [0, 3], 1), ((3, 4), slice(None, None, 2), -1), ((3, 4), np.ones(3, bool), 0),
    ((2, 3, 4), [1, -1], 2), ((0, 3), [], 0), ((3, 4), slice(0, 0), 1),
]


@pytest.mark.parametrize(("shape", "obj", "axis"), DELETE_CASES)
def test_delete_equals_numpy(shape, obj, axis, rng):
    arr = rng.standard_normal(shape)
    assert_same(anp.delete(arr, obj, axis=axis), np.delete(arr, obj, axis=axis))
    assert_same(anp.delete(arr.astype(np.float32), obj, axis),
                np.delete(arr.astype(np.float32), obj, axis))


def test_delete_gradient_is_one_on_the_kept_entries(rng):
    x = rng.standard_normal((3, 4))
    grad = ad.grad(lambda x: anp.sum(anp.delete(x, [0, -1], axis=1) ** 2))(x)
    expected = 2 * x
    expected[:, [0, -1]] = 0.0
    np.testing.assert_array_equal(grad, expected)


def test_delete_with_a_mask_computed_from_the_traced_array():
    x = np.array([0.0, 2.0, -1.0, 3.0])
    jac = jacobians(lambda x: anp.delete(x, x > 1.0), x)
    np.testing.assert_array_equal(jac, selection_matrix([0, 2], 4))


def test_delete_keeps_numpys_errors():
    for call in (lambda m: m.delete(np.ones(3), 5), lambda m: m.delete(np.ones(3), [True, False])):
        with pytest.raises((IndexError, ValueError)) as numpys:
            call(np)
        with pytest.raises(numpys.type, match=f"^{re.escape(str(numpys.value))}$"):
            call(anp)


# -- insert ---------------------------------------------------------------------------------------

INSERT_CASES = [
    ((4,), 4, 9.0, None),                     # at the end
    ((4,), -1, 9.0, None),                    # before the last
    ((4,), [4, 4, 0], [7.0, 8.0, 9.0], None),  # repeated, at the end, unsorted
    ((4,), [1, 1], 5.0, None),                # one value broadcast to both
    ((4,), slice(None), [1.0, 2.0, 3.0, 4.0], None),
    ((4,), slice(1, None, 2), [1.0, 2.0], None),
    ((4,), [], [], None),
    ((4,), np.array([True, False, True, False]), [1.0, 2.0], None),
    ((2, 3), 6, [1.0, 2.0], None),            # flattened, at the end
    ((2, 3), 1, [1.0, 2.0], 1),               # a scalar index: values become a column
    ((2, 3), [1], [[1.0], [2.0]], 1),         # a sequence index: values keep their axes
    ((2, 3), [1], [1.0, 2.0, 3.0], 0),
    ((2, 3), 0, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 0),  # two new rows
    ((2, 3), [0, 2], 7.0, -1),
    ((2, 3), -3, [[1.0], [2.0]], -1),
    ((2, 3, 2), [2, 0], np.arange(4.0).reshape(2, 2, 1), 1),
    ((), 0, 3.0, None),
]


@pytest.mark.parametrize(("shape", "obj", "values", "axis"), INSERT_CASES)
def test_insert_equals_numpy(shape, obj, values, axis, rng):
    arr = rng.standard_normal(shape)
    assert_same(anp.insert(arr, obj, values, axis=axis), np.insert(arr, obj, values, axis=axis))


def test_insert_casts_values_to_arrs_dtype_and_keeps_their_derivative(rng):
    arr, values = rng.standard_normal(4).astype(np.float32), rng.standard_normal(2)
    assert_same(anp.insert(arr, [1, 3], values), np.insert(arr, [1, 3], values))
    ints = np.arange(4)
    assert_same(anp.insert(ints, 1, 2.7), np.insert(ints, 1, 2.7))
    grad = ad.grad(lambda v: anp.sum(anp.insert(arr, [1, 3], v)))(values)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, [1.0, 1.0])


def test_insert_derivatives_in_arr_and_values_are_their_positions(rng):
    arr, values = rng.standard_normal((2, 3)), rng.standard_normal(3)
    out = np.insert(arr, [0, 2], values[:2], axis=1)

    def f(arr, v):
        return anp.insert(arr, [0, 2], v[:2], axis=1)
    d_arr, d_values = ad.jacrev(f, argnums=(0, 1))(arr, values)
    assert d_arr.shape == out.shape + arr.shape and d_values.shape == out.shape + (3,)
    # the (2, 5) output holds v0, a0, a1, v1, a2 in each row
    np.testing.assert_array_equal(d_values.sum(axis=(0, 1)), [2.0, 2.0, 0.0])
    np.testing.assert_array_equal(d_arr.reshape(10, 6).sum(axis=0), np.ones(6))
    broadcast = ad.grad(lambda v: anp.sum(anp.insert(arr, [1, 1, 3], v, axis=1)))(values[:1])
    np.testing.assert_array_equal(broadcast, [6.0])  # one value in 3 columns of 2 rows


def test_insert_traced_values_into_an_integer_array_raises():
    with pytest.raises(TypeError, match=re.escape(
            "insert(): values is traced but the result has dtype int64; a cast to an integer "
            "or boolean dtype has no derivative. Pass the data as a floating-point array.")):
        ad.grad(lambda v: anp.sum(anp.insert(np.arange(3), 1, v)))(1.0)


def test_insert_keeps_numpys_errors():
    for call in (lambda m: m.insert(np.ones((2, 3)), 4, 1.0, axis=1),
                 lambda m: m.insert(np.ones(3), [[0, 1]], 1.0)):
        with pytest.raises((IndexError, ValueError)) as numpys:
            call(np)
        with pytest.raises(numpys.type, match=f"^{re.escape(str(numpys.value))}$"):
            call(anp)


# -- resize ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "new_shape"), [
    ((3,), 7), ((3,), (2, 4)), ((2, 3), 2), ((2, 3), (0,)), ((2, 3), (3, 0)), ((0,), (2, 2)),
    ((), (2,)), ((4,), ()), ((5,), np.int64(3)),
])
def test_resize_equals_numpy(shape, new_shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    assert_same(anp.resize(a, new_shape), np.resize(a, new_shape))


def test_resize_gradient_counts_the_copies(rng):
    x = rng.standard_normal(3)
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(anp.resize(x, (2, 4))))(x),
                                  [3.0, 3.0, 2.0])


def test_resize_rejects_negative_shapes_as_numpy():
    with pytest.raises(ValueError, match="all elements of `new_shape` must be non-negative"):
        anp.resize(np.ones(2), (-1, 2))


# -- trim_zeros -----------------------------------------------------------------------------------

TRIM_1D = [[0, 0, 1.5, 0, 2, 0], [1.0, 0.0], [0.0, 0.0, 0.0], [], [3.0], [0.0, -0.0, 1.0]]


@pytest.mark.parametrize("trim", ["fb", "f", "b", "BF", "F"])
@pytest.mark.parametrize("filt", TRIM_1D, ids=str)
def test_trim_zeros_of_1d_arrays_and_lists_equals_numpy(filt, trim):
    assert_same(anp.trim_zeros(np.array(filt), trim), np.trim_zeros(np.array(filt), trim))
    ours, theirs = anp.trim_zeros(filt, trim), np.trim_zeros(filt, trim)
    assert type(ours) is type(theirs) is list and ours == theirs  # a list stays a list


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("trim", ["fb", "f", "b"])
def test_trim_zeros_of_2d_arrays_equals_numpy(axis, trim):
    b = np.array([[0, 0, 2, 3, 0, 0], [0, 1, 0, 3, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=float)
    for filt in (b, np.zeros((2, 3)), b[:, ::-1], np.zeros((0, 3))):
        assert_same(anp.trim_zeros(filt, trim, axis=axis), np.trim_zeros(filt, trim, axis=axis))
    assert anp.trim_zeros(np.float64(0.0)) == np.trim_zeros(np.float64(0.0))


def test_trim_zeros_derivative_is_the_slice_kept():
    x = np.array([[0.0, 0.0, 2.0, 3.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    jac = jacobians(lambda x: anp.trim_zeros(x), x)  # keeps rows 0..1, columns 1..3
    kept = np.arange(12).reshape(3, 4)[0:2, 1:4]
    np.testing.assert_array_equal(jac.reshape(6, 12), selection_matrix(kept, 12))
    assert ad.jacrev(lambda x: anp.trim_zeros(x))(np.zeros(3)).shape == (0, 3)


def test_trim_zeros_bad_trim():
    with pytest.raises(ValueError, match=re.escape(
            "trim_zeros(): trim must be 'f', 'b' or 'fb', got 'front'")):
        anp.trim_zeros(np.ones(3), "front")


# -- compress and extract -------------------------------------------------------------------------

COMPRESS_CASES = [
    ([True, False, True], None), ([False, False], 0), ([True], 1), ([0, 2, 1], -1),
    (np.zeros(0, bool), 0), ([1.5, 0.0, 1.0], 1), ([True, True, False, True, True, False], None),
]


@pytest.mark.parametrize(("condition", "axis"), COMPRESS_CASES)
def test_compress_equals_numpy(condition, axis, rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    assert_same(anp.compress(condition, a, axis=axis), np.compress(condition, a, axis=axis))


def test_compress_with_a_traced_condition_uses_its_value():
    x = np.array([0.0, 2.0, 0.0, 3.0])  # numpy's compress: nonzero counts as true
    np.testing.assert_array_equal(jacobians(lambda x: anp.compress(x, x), x),
                                  selection_matrix([1, 3], 4))


def test_compress_and_choose_reject_out():
    for call in (lambda: anp.compress([True], np.ones(2), out=np.empty(1)),
                 lambda: anp.choose([0], [np.ones(1)], out=np.empty(1))):
        with pytest.raises(TypeError, match=r"\(\): out= is not supported \(admodes arrays are "
                                            r"immutable\); use the returned array, got out of "
                                            r"type ndarray$"):
            call()


@pytest.mark.parametrize("condition", [
    np.array([[True, False, True], [False, False, True]]), np.zeros((2, 3), bool),
    np.array([[2, 0, -1], [0, 1, 0]]), np.array([True, False, True]), np.array(True),
    np.ones((3, 2), bool),
])
def test_extract_equals_numpy(condition, rng):
    arr = rng.standard_normal((2, 3))
    assert_same(anp.extract(condition, arr), np.extract(condition, arr))


def test_extract_gradient_is_the_mask(rng):
    x = rng.standard_normal((3, 3))
    mask = x > 0
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(anp.extract(mask, x)))(x),
                                  mask.astype(float))


# -- choose ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_equals_numpy(mode, rng):
    choices = [rng.standard_normal(4), rng.standard_normal((3, 1)), rng.standard_normal(())]
    for a in (np.array([0, 1, 2, 1]), np.array([[2], [0], [1]]), np.int64(1), [0, 2, 1, 0]):
        assert_same(anp.choose(a, choices, mode=mode), np.choose(a, choices, mode=mode))
    if mode != "raise":
        a = np.array([-3, 0, 4, 7])
        assert_same(anp.choose(a, choices, mode=mode), np.choose(a, choices, mode=mode))
    stacked, a = rng.standard_normal((3, 2, 4)), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    assert_same(anp.choose(a, stacked, mode=mode), np.choose(a, stacked, mode=mode))
    assert_same(anp.choose(a, tuple(stacked), mode=mode), np.choose(a, tuple(stacked), mode=mode))


def test_choose_dtype_follows_numpys_promotion(rng):
    f32 = rng.standard_normal(3).astype(np.float32)
    for choices in ([f32, 2.0], [f32, np.float64(2.0)], [f32, f32.astype(np.float64)],
                    [f32, 2], [[1.0, 2.0, 3.0], f32]):
        assert_same(anp.choose([0, 1, 0], choices), np.choose([0, 1, 0], choices))


def test_choose_gradient_goes_to_the_chosen_choice(rng):
    a = np.array([[0, 1, 1], [2, 0, 1]])
    c0, c1, c2 = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(())
    grads = ad.grad(lambda c0, c1, c2: anp.sum(anp.choose(a, [c0, c1, c2])),
                    argnums=(0, 1, 2))(c0, c1, c2)
    np.testing.assert_array_equal(grads[0], (a == 0).astype(float))
    np.testing.assert_array_equal(grads[1], (a == 1).sum(axis=0).astype(float))  # broadcast
    np.testing.assert_array_equal(grads[2], 1.0)


def test_choose_out_of_range_raises_as_numpy():
    with pytest.raises(ValueError, match="^invalid entry in choice array$"):
        anp.choose([0, 2], [np.ones(2), np.ones(2)])


# -- piecewise ------------------------------------------------------------------------------------

def _numpy_and_ours(x, condlist, funclist, *args, **kw):
    return anp.piecewise(x, condlist, funclist, *args, **kw), \
        np.piecewise(x, condlist, funclist, *args, **kw)


def test_piecewise_equals_numpy_on_edge_cases(rng):
    x = rng.standard_normal(6)
    calls = []

    def counted(v):
        calls.append(v.size)
        return v * 2.0
    cases = [
        (x, x > 0, [counted]),                                # one condition, not in a list
        (x, [x > 0, x > -0.5], [lambda v: v, lambda v: -v]),  # the later condition wins
        (x, [x > 10.0], [counted, 4.0]),                      # empty selection: f not called
        (x, [x > 0], [np.sin, np.array([1.0])]),              # a constant of shape (1,)
        (np.float64(2.0), [True, False], [lambda v: v ** 2, 3.0]),
        (np.float64(-2.0), [np.bool_(False)], [lambda v: v, 3.0]),
        (np.arange(5), [np.arange(5) > 2], [lambda v: v * 1.7]),  # cast to int as numpy
        (x.astype(np.float32), [x > 0, x < -1], [lambda v: v * np.float64(3.0), 1, 7.0]),
        ([1.0, -2.0], [[True, False]], [lambda v: v + 1]),
    ]
    for args in cases:
        ours, theirs = _numpy_and_ours(*args)
        assert_same(ours, theirs)
    assert calls == [int((x > 0).sum())] * 2  # once by admodes, once by numpy
    ours, theirs = _numpy_and_ours(x.reshape(2, 3), [x.reshape(2, 3) > 0],
                                   [lambda v, c, k=1: v * c + k, 0.0], 2.0, k=5)
    assert_same(ours, theirs)


def test_piecewise_derivative_is_the_derivative_of_the_piece(rng):
    x = rng.standard_normal(7)
    pieces = [lambda v: v ** 3, lambda v: anp.sin(v), 0.5]
    conditions = [x > 0.5, x < -0.5]

    def f(x):
        return anp.piecewise(x, conditions, pieces)
    expected = np.where(x > 0.5, 3 * x ** 2, np.where(x < -0.5, np.cos(x), 0.0))
    np.testing.assert_allclose(np.diag(jacobians(f, x)), expected, rtol=1e-15)
    second = np.where(x > 0.5, 6 * x, np.where(x < -0.5, -np.sin(x), 0.0))
    for hessian in (ad.hessian(lambda x: anp.sum(f(x))),
                    ad.jacfwd(ad.jacfwd(lambda x: anp.sum(f(x)))),
                    ad.jacrev(ad.jacrev(lambda x: anp.sum(f(x))))):
        np.testing.assert_allclose(hessian(x), np.diag(second), rtol=1e-14, atol=1e-15)


def test_piecewise_differentiates_traced_args_and_conditions_of_the_traced_x(rng):
    x = rng.standard_normal(5)
    grad = ad.grad(lambda c: anp.sum(anp.piecewise(x, [x > 0], [lambda v, c: v * c, 1.0], c)))
    np.testing.assert_allclose(grad(2.0), np.sum(x[x > 0]), rtol=1e-15)
    absolute = ad.grad(lambda x: anp.sum(anp.piecewise(x, [x < 0], [lambda v: -v, lambda v: v])))
    np.testing.assert_array_equal(absolute(x), np.sign(x))


def test_piecewise_with_a_wrong_number_of_functions_raises():
    x = np.ones(3)
    with pytest.raises(ValueError, match=re.escape(
            "piecewise(): with 2 condition(s), either 2 or 3 functions are expected, got 1")):
        anp.piecewise(x, [x > 0, x < 0], [np.sin])
    with pytest.raises(IndexError):  # numpy's boolean index of the wrong shape
        anp.piecewise(x, [np.array([True, False])], [np.sin])


def test_piecewise_traced_values_into_an_integer_x_raise():
    with pytest.raises(TypeError, match=r"^piecewise\(\): the value of .* is traced but the "
                                        r"result has dtype int64"):
        ad.grad(lambda c: anp.sum(anp.piecewise(np.arange(3), [np.arange(3) > 0],
                                                [lambda v, c: v * c], c)))(2.0)


# -- partition ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [5, 17, 64, 257, 1000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_partition_equals_numpy_element_for_element(n, dtype, rng):
    """numpy's SIMD partition and argpartition order the other entries differently on many
    machines; the result must be numpy.partition's, not take_along_axis(argpartition)."""
    for _ in range(5):
        x = rng.standard_normal(n).astype(dtype)
        kth = [int(k) for k in rng.integers(-n, n, size=2)]
        assert_same(anp.partition(x, kth[0]), np.partition(x, kth[0]))
        assert_same(anp.partition(x, kth), np.partition(x, kth))


def test_partition_with_ties_nans_axes_and_kth_arrays_equals_numpy(rng):
    ties = rng.integers(0, 3, size=(4, 9)).astype(float)
    with_nans = rng.standard_normal((3, 8))
    with_nans[0, 2] = with_nans[2, [1, 5]] = np.nan
    for x in (ties, with_nans):
        for kth, axis in [(0, -1), (np.array([2, 5]), 1), ((0, 2), 0), (7, None), (-1, 1)]:
            assert_same(anp.partition(x, kth, axis=axis), np.partition(x, kth, axis=axis))
    empty = np.ones((0, 3))
    assert_same(anp.partition(empty, 1), np.partition(empty, 1))


def test_partition_derivative_is_the_permutation_of_numpys_result(rng):
    x = rng.permutation(np.linspace(-1.0, 1.0, 30))
    jac = jacobians(lambda x: anp.partition(x, [3, 20]), x)
    assert np.all(jac.sum(axis=0) == 1) and np.all(jac.sum(axis=1) == 1)
    np.testing.assert_array_equal(jac @ x, np.partition(x, [3, 20]))


def test_partition_keeps_numpys_errors():
    with pytest.raises(ValueError, match=re.escape("kth(=3) out of bounds (3)")):
        anp.partition(np.ones(3), 3)
    with pytest.raises(ValueError):
        anp.partition(np.ones(3), 1, kind="quicksort")


# -- hsplit, vsplit, dsplit ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "shape", "sections"), [
    ("hsplit", (6,), 3), ("hsplit", (2, 6), [1, 4]), ("hsplit", (2, 4, 3), [3, 1]),
    ("hsplit", (2, 4), [0, 9]), ("vsplit", (4, 3), 2), ("vsplit", (4, 3, 2), [1, 1, 3]),
    ("vsplit", (2, 3), []), ("dsplit", (2, 2, 4), 4), ("dsplit", (1, 2, 5, 2), [2, -1]),
])
def test_splits_equal_numpy(name, shape, sections, rng):
    ary = rng.standard_normal(shape).astype(np.float32)
    assert_same(getattr(anp, name)(ary, sections), getattr(np, name)(ary, sections))


@pytest.mark.parametrize(("name", "shape", "least"), [
    ("hsplit", (), 1), ("vsplit", (4,), 2), ("dsplit", (2, 4), 3)])
def test_splits_need_enough_dimensions(name, shape, least):
    with pytest.raises(ValueError, match=re.escape(
            f"{name}(): only works on arrays of {least} or more dimensions, got shape {shape}")):
        getattr(anp, name)(np.ones(shape), 2)


def test_split_gradients_reassemble(rng):
    x = rng.standard_normal((2, 4, 3))
    grad = ad.grad(lambda x: sum(anp.sum(p * (i + 1)) for i, p in enumerate(anp.dsplit(x, 3))))
    np.testing.assert_array_equal(grad(x), np.broadcast_to([1.0, 2.0, 3.0], x.shape))


# -- rollaxis -------------------------------------------------------------------------------------

def test_rollaxis_equals_numpy_for_every_axis_and_start(rng):
    a = rng.standard_normal((2, 3, 4, 5))
    for axis, start in itertools.product(range(-4, 4), range(-4, 5)):
        assert_same(anp.rollaxis(a, axis, start), np.rollaxis(a, axis, start))


def test_rollaxis_derivative_is_the_transpose(rng):
    a = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((4, 2, 3))
    grad = ad.grad(lambda a: anp.sum(anp.rollaxis(a, 2) * w))(a)
    np.testing.assert_array_equal(grad, np.moveaxis(w, 0, 2))


@pytest.mark.parametrize("start", [4, -4, 1.0])
def test_rollaxis_bad_start(start):
    with pytest.raises(ValueError, match=re.escape(
            f"rollaxis(): start must be an int with -3 <= start <= 3 for an array of "
            f"dimension 3, got {start!r}")):
        anp.rollaxis(np.ones((2, 3, 4)), 0, start)


# -- in-place functions are not in the namespace --------------------------------------------------

@pytest.mark.parametrize("name", ["put", "place", "put_along_axis", "copyto", "fill_diagonal"])
def test_in_place_functions_raise_the_namespaces_attribute_error(name):
    with pytest.raises(AttributeError, match=f"numpy's {name} has no differentiation rule"):
        getattr(anp, name)


# -- nested transforms ----------------------------------------------------------------------------

def test_selections_under_nested_transforms(rng):
    """Second derivatives through gathers of a nonlinear function, in all four nestings, and a
    jvp of a grad (the inner level's tracers are the outer level's primals)."""
    x = rng.standard_normal(5)

    def f(x):
        y = anp.insert(anp.delete(x, 1), [0, 2], anp.choose([1, 0], [x[:2], x[3:]]))
        return anp.sum(anp.sin(anp.partition(anp.resize(y, 9), 4)))
    # the entries of y, as entries of x: the same edits of x's positions
    s = np.arange(5)
    sources = np.insert(np.delete(s, 1), [0, 2], np.choose([1, 0], [s[:2], s[3:]]))
    copies = np.bincount(np.resize(sources, 9), minlength=5)  # partition only permutes
    expected = np.diag(-np.sin(x) * copies)
    for transform in (ad.hessian, lambda g: ad.jacfwd(ad.jacfwd(g)),
                      lambda g: ad.jacrev(ad.jacrev(g)), lambda g: ad.jacrev(ad.jacfwd(g))):
        np.testing.assert_allclose(transform(f)(x), expected, rtol=1e-14, atol=1e-15)
    v = rng.standard_normal(5)
    _, tangent = ad.jvp(ad.grad(f), (x,), (v,))
    np.testing.assert_allclose(tangent, expected @ v, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(("shape", "axis"), [((), 0), ((2, 3), 2), ((2, 3), -3)])
def test_rollaxis_axis_out_of_bounds(shape, axis):
    """numpy raises its AxisError (a ValueError): a 0-d array has no axis to roll."""
    with pytest.raises(ValueError, match=rf"rollaxis\(\): axis {axis} is out of bounds for an "
                                         rf"array of dimension {len(shape)}"):
        anp.rollaxis(np.ones(shape), axis)


def test_rollaxis_axis_must_be_an_int():
    with pytest.raises(TypeError, match=r"rollaxis\(\): axis must be an int, got None"):
        anp.rollaxis(np.ones((2, 3)), None)
