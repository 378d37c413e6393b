"""Behaviour of numpy 2.x's array-API names (admodes.ops.array_api, admodes.ops.aliases) and
of linalg.cond, tensorsolve and tensorinv (admodes.ops.tensor_linalg) that the generated
registry tests (one domain case at a time) do not reach: numpy's values on argument forms and edge cases outside
the domains, results without derivative, derivatives with a closed form, singular matrices,
numpy's own functions called on tracers, and every bad argument's error."""

import re
import warnings

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

_I32 = np.array([[3, -1, 2], [0, 4, -5]], dtype=np.int32)
_X = np.array([[1.5, -0.7, 2.2], [0.3, 1.1, -2.5]])
_SQUARE = np.array([[2.0, 1.0, 0.5], [-1.0, 3.0, 1.0], [0.5, 0.0, 1.5]])
_SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])   # LU meets an exactly zero pivot
_RANK_ONE = np.array([[1.0, 0.0], [0.0, 0.0]])   # and its smallest singular value is 0
_REGULAR = np.array([[2.0, 1.0], [0.5, 3.0]])


def _assert_same(ours, theirs, what):
    """Same type of container, and leaf by leaf numpy's shape, dtype and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for a, b in zip(ours, theirs):
            _assert_same(a, b, what)
        return
    a, b = np.asarray(ours), np.asarray(theirs)
    assert (a.shape, a.dtype) == (b.shape, b.dtype), \
        f"{what}: {a.shape} {a.dtype} vs numpy's {b.shape} {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=1e-13 if a.dtype == np.float64 else 1e-6, atol=1e-14,
                               err_msg=what)


# -- numpy's values where the domains do not go ---------------------------------------------------

_MATCHES_NUMPY = [
    ("concat", ([_I32, _X],), {}),                          # int and float: promoted
    ("concat", ((np.ones(2), np.zeros((2, 2)), np.arange(3.0)),), {"axis": None}),
    ("permute_dims", (np.ones((2, 3, 4)),), {"axes": (-1, 0, -2)}),
    ("true_divide", (np.array([1, 2, 3]), 2), {}),          # ints give float64
    ("matrix_transpose", (np.ones((2, 1, 3, 4)),), {}),
    ("vecdot", (_I32, _I32), {}),                           # integer dot products stay int
    ("vecdot", (np.ones((3, 2)), np.arange(3.0)), {"axis": 0}),  # axis counts per operand
    ("unstack", (_X,), {"axis": -1}),
    ("unstack", (np.ones((1, 2)),), {}),
    ("cumulative_sum", (_I32,), {"axis": 1}),
    ("cumulative_sum", (np.array([True, False, True]),), {"include_initial": True}),
    ("cumulative_sum", (_X,), {"axis": 0, "dtype": np.int64}),
    ("cumulative_sum", (np.zeros(0),), {"include_initial": True}),
    ("cumulative_sum", (np.float32(2.5),), {}),
    ("cumulative_prod", (np.array([2, 3, 4], dtype=np.int8),), {}),  # int8 -> numpy's int
    ("cumulative_prod", (_I32,), {"axis": 0, "include_initial": True}),
    ("cumulative_prod", (_X.astype(np.float32),), {"axis": 1, "dtype": np.float64}),
    ("linalg.trace", (_X,), {"dtype": np.int32}),
    ("linalg.trace", (_I32,), {"offset": 1}),
    ("linalg.trace", (np.ones((2, 3)),), {"offset": 5}),  # an empty diagonal sums to 0
    ("linalg.diagonal", (np.ones((2, 3)),), {"offset": -4}),
    ("linalg.cross", (np.array([1, 0, 0]), np.array([0, 1, 0])), {}),
    ("linalg.cross", (np.ones((3, 2)), np.arange(3.0)), {"axis": 0}),
    ("linalg.outer", (np.arange(3), np.ones(2, np.float32)), {}),
    ("linalg.matmul", (np.arange(6.0).reshape(2, 3), np.arange(3)), {}),
    ("linalg.tensordot", (np.ones((2, 3)), np.ones((3, 2))), {"axes": 1}),
    ("linalg.vecdot", (np.ones((2, 3)), np.ones((4, 1, 3))), {}),
    ("linalg.matrix_norm", (_I32,), {}),                    # ints: float64, as numpy
    ("linalg.matrix_norm", (_I32,), {"ord": np.inf}),
    ("linalg.matrix_norm", (_I32,), {"ord": 2}),
    ("linalg.matrix_norm", (_X,), {"ord": "f"}),
    ("linalg.matrix_norm", (_X,), {"ord": None, "keepdims": True}),
    ("linalg.vector_norm", (_I32,), {"ord": 1}),
    ("linalg.vector_norm", (_X,), {"ord": 0}),
    ("linalg.vector_norm", (np.ones((2, 3, 4)),), {"axis": (-1, 0), "keepdims": True}),
    ("linalg.vector_norm", (_X,), {"axis": ()}),
    ("linalg.vector_norm", (np.float64(-3.0),), {}),
    ("linalg.vector_norm", (_X,), {"ord": -2.5, "axis": 1}),
    ("linalg.vector_norm", (_X,), {"ord": None}),
    ("linalg.vector_norm", (_X.astype(np.float32),), {"ord": 3}),
    ("linalg.cond", (_I32[:, :2],), {"p": 1}),
    ("linalg.cond", (_SQUARE.astype(np.float32),), {"p": "nuc"}),
    ("linalg.cond", (_SQUARE.astype(np.float32),), {"p": -np.inf}),
    ("linalg.cond", (_X.T,), {"p": -2}),
    ("linalg.cond", (_SINGULAR,), {}),                     # finite: σ_min is not exactly 0
    ("linalg.cond", (_SINGULAR,), {"p": 1}),               # inf: LU meets a zero pivot
    ("linalg.cond", (np.stack([_REGULAR, _SINGULAR]),), {"p": "fro"}),
    ("linalg.cond", (_RANK_ONE,), {"p": 2}),
    ("linalg.cond", (_RANK_ONE,), {"p": -2}),              # 0 (σ_min/σ_max)
    ("linalg.cond", (np.zeros((2, 2)),), {"p": -2}),       # 0/0: numpy's inf
    ("linalg.tensorsolve", (np.eye(24).reshape(6, 4, 2, 3, 4), np.arange(24.0).reshape(6, 4)),
     {}),
    ("linalg.tensorsolve", (np.eye(6).reshape(2, 3, 6), np.arange(6.0)), {"axes": [1, 0]}),
    ("linalg.tensorinv", (np.eye(24).reshape(4, 6, 8, 3),), {}),
    ("linalg.tensorinv", (np.eye(24).reshape(24, 8, 3),), {"ind": 1}),
    ("matvec", (_I32, np.arange(3)), {}),                   # integers: numpy's int result
    ("matvec", (np.ones((2, 1, 2, 3)), np.ones((4, 3))), {}),
    ("vecmat", (np.arange(2.0), _X), {}),
    ("vecmat", (np.ones((3, 1, 2)), np.ones((4, 2, 5), np.float32)), {}),
    ("unique_values", (np.array([3.0, 1.0, 3.0, np.nan, np.nan]),), {}),  # each NaN distinct
    ("unique_counts", (_I32,), {}),
    ("unique_inverse", (np.array([[2.0, 1.0], [2.0, 0.5]]),), {}),
    ("unique_all", (np.array([1.5, -1.0, 1.5, 0.0], np.float32),), {}),
    ("acos", (np.array([0.5, -1.0]),), {}),
    ("atan2", (_I32, 2), {}),
    ("pow", (_I32, 2), {}),                                 # integer power stays int
]


def _ours_and_numpys(name):
    if name.startswith("linalg."):
        return getattr(anp.linalg, name[7:]), getattr(np.linalg, name[7:])
    return getattr(anp, name), getattr(np, name)


@pytest.mark.parametrize(("name", "args", "kwargs"), _MATCHES_NUMPY,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(_MATCHES_NUMPY)])
def test_matches_numpy(name, args, kwargs):
    ours, numpys = _ours_and_numpys(name)
    _assert_same(ours(*args, **kwargs), numpys(*args, **kwargs), f"{name}{kwargs}")


def test_cond_of_a_2d_matrix_is_numpys_scalar_and_keeps_float32():
    for p in (None, 1, "fro", -2):
        assert type(anp.linalg.cond(_SQUARE, p)) is type(np.linalg.cond(_SQUARE, p))
        assert anp.linalg.cond(_SQUARE.astype(np.float32), p).dtype == np.float32


def test_cond_nuc_of_a_singular_matrix_is_inf_where_numpy_raises():
    """numpy's 'nuc' takes the svd of the NaN-filled inverse and fails; the limit is inf."""
    with pytest.raises(np.linalg.LinAlgError, match="SVD did not converge"):
        np.linalg.cond(_SINGULAR, "nuc")
    np.testing.assert_array_equal(anp.linalg.cond(np.stack([_REGULAR, _SINGULAR]), "nuc"),
                                  [np.linalg.cond(_REGULAR, "nuc"), np.inf])


# -- results without derivative -------------------------------------------------------------------

@pytest.mark.parametrize(("fun", "numpy_value"), [
    (lambda x: anp.linalg.trace(x[:, :2], dtype=np.int32),
     np.linalg.trace(_X[:, :2], dtype=np.int32)),
    (lambda x: anp.cumulative_sum(x, axis=1, dtype=np.int64),
     np.cumulative_sum(_X, axis=1, dtype=np.int64)),
    (lambda x: anp.cumulative_prod(x, axis=0, dtype=np.int16, include_initial=True),
     np.cumulative_prod(_X, axis=0, dtype=np.int16, include_initial=True)),
    (lambda x: anp.linalg.vector_norm(x, ord=0, axis=0), np.linalg.vector_norm(_X, ord=0, axis=0)),
], ids=["trace-int", "cumulative_sum-int", "cumulative_prod-int", "vector_norm-ord0"])
def test_piecewise_constant_results_are_numpys_values_with_zero_derivative(fun, numpy_value):
    """An integer dtype (or the count of nonzeros) is piecewise constant in x: numpy's value,
    derivative zero (JAX's float0 convention), never a derivative of the unrounded sum."""
    _assert_same(fun(_X), numpy_value, "value")
    jac = ad.jacfwd(fun)(_X)
    assert jac.shape == np.shape(numpy_value) + _X.shape and not jac.any()
    grad = ad.grad(lambda x: anp.sum(anp.multiply(fun(x), x[0, 0])))(_X)
    np.testing.assert_array_equal(grad, np.where(np.arange(6).reshape(2, 3) == 0,
                                                 np.sum(numpy_value), 0.0))


# -- derivatives with a closed form ---------------------------------------------------------------

def test_cumulative_prod_is_exactly_differentiable_at_zeros():
    """∂y_i/∂x_j = Π_{k≤i, k≠j} x_k, also where x_j = 0 (y·cumsum(ẋ/x) would give nan)."""
    x = np.array([2.0, 0.0, 3.0, 0.0])
    expected = np.array([[np.prod(np.delete(x[:i + 1], j)) if j <= i else 0.0 for j in range(4)]
                         for i in range(4)])
    expected = np.concatenate([np.zeros((1, 4)), expected])  # include_initial: the 1 in front
    for transform in (ad.jacfwd, ad.jacrev):
        jac = transform(lambda x: anp.cumulative_prod(x, include_initial=True))(x)
        np.testing.assert_array_equal(jac, expected)


def test_cond_gradient_is_the_singular_vector_formula(rng):
    """∇(σ_1/σ_n) = (u_1 v_1ᵀ σ_n − σ_1 u_n v_nᵀ)/σ_n², for a non-square matrix."""
    x = rng.standard_normal((4, 3))
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    expected = (np.outer(u[:, 0], vh[0]) * s[-1] - s[0] * np.outer(u[:, -1], vh[-1])) / s[-1] ** 2
    for transform in (ad.jacfwd, ad.jacrev):
        np.testing.assert_allclose(transform(anp.linalg.cond)(x), expected, rtol=1e-10)


def test_vector_norm_gradient_is_the_p_norm_formula(rng):
    """∂‖x‖_p/∂x = sign(x)|x|^(p−1)/‖x‖_p^(p−1), over the merged axes of a tuple."""
    x, p = rng.standard_normal((2, 3, 4)), 3.0
    norms = np.linalg.vector_norm(x, axis=(0, 2), ord=p, keepdims=True)
    expected = np.sign(x) * np.abs(x) ** (p - 1) / norms ** (p - 1)
    g = ad.grad(lambda x: anp.sum(anp.linalg.vector_norm(x, axis=(2, 0), ord=p)))(x)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_matrix_norm_two_gradient_is_the_top_singular_pair(rng):
    x = rng.standard_normal((2, 3, 4))
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    expected = u[..., :, :1] * vh[..., :1, :]  # u_1 v_1ᵀ per matrix
    g = ad.grad(lambda x: anp.sum(anp.linalg.matrix_norm(x, ord=2)))(x)
    np.testing.assert_allclose(g, expected, rtol=1e-10)


# -- cond at singular matrices --------------------------------------------------------------------

@pytest.mark.parametrize("p", [None, 2, 1, -1, np.inf, -np.inf, "fro", "nuc"])
def test_cond_at_a_singular_matrix_is_a_constant_inf_and_the_stack_keeps_its_derivatives(p):
    """cond has no derivative at a singular matrix: numpy's inf there is a constant (its block
    of the Jacobian is 0), and the regular matrices of the stack keep their own Jacobians,
    in both modes and at second order (hessian: two nested levels); nothing warns."""
    stack = np.stack([_REGULAR, _RANK_ONE if p in (None, 2) else _SINGULAR])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = anp.linalg.cond(stack, p)
        alone = ad.jacrev(lambda x: anp.linalg.cond(x, p))(_REGULAR)
        hessian_alone = ad.hessian(lambda x: anp.linalg.cond(x, p))(_REGULAR)
        for transform in (ad.jacfwd, ad.jacrev):
            jac = transform(lambda x: anp.linalg.cond(x, p))(stack)
            np.testing.assert_allclose(jac[0, 0], alone, rtol=1e-12)
            np.testing.assert_array_equal(jac[0, 1], 0.0)
            np.testing.assert_array_equal(jac[1], 0.0)
        hessian = ad.hessian(lambda x: anp.linalg.cond(x, p)[0])(stack)
    assert value[0] == pytest.approx(np.linalg.cond(_REGULAR, p), rel=1e-13)
    assert value[1] == np.inf
    np.testing.assert_allclose(hessian[0, :, :, 0], hessian_alone, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(hessian[1], 0.0)


# -- tensorsolve and tensorinv solve what numpy says they solve -----------------------------------

def test_tensorsolve_solves_the_tensordot_equation(rng):
    a = (rng.uniform(-0.5, 0.5, (6, 6)) + 2 * np.eye(6)).reshape(2, 3, 3, 2)
    b = rng.standard_normal((2, 3))
    x = anp.linalg.tensorsolve(a, b)
    np.testing.assert_allclose(np.tensordot(a, x, x.ndim), b, rtol=1e-12, atol=1e-13)
    g = ad.grad(lambda b: anp.sum(anp.linalg.tensorsolve(a, b)))(b)  # b̄ = A⁻ᵀ 1
    np.testing.assert_allclose(g, np.linalg.solve(a.reshape(6, 6).T, np.ones(6)).reshape(2, 3),
                               rtol=1e-12)


def test_tensorinv_is_the_inverse_under_tensordot(rng):
    a = (rng.uniform(-0.5, 0.5, (6, 6)) + 2 * np.eye(6)).reshape(6, 2, 3)
    inverse = anp.linalg.tensorinv(a, ind=1)
    b = rng.standard_normal(6)
    np.testing.assert_allclose(np.tensordot(inverse, b, 1), np.linalg.tensorsolve(a, b),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["unique_counts", "unique_inverse", "unique_all"])
def test_unique_results_are_numpys_named_tuples_with_a_traced_values_field(name):
    x = np.array([[2.0, -1.0, 2.0], [0.5, -1.0, 3.0]])
    ours, numpys = getattr(anp, name), getattr(np, name)
    seen = []

    def first_values(v):
        result = ours(v)
        seen.append(result)
        return result.values
    jacobian = ad.jacrev(first_values)(x)
    expected = numpys(x)
    assert type(seen[0]) is type(expected) and seen[0]._fields == expected._fields
    for got, want in zip(seen[0][1:], expected[1:]):
        _assert_same(got, want, name)
    rows = np.zeros((4, 6))  # values [-1, 0.5, 2, 3] at their first flat positions [1, 3, 0, 5]
    rows[[0, 1, 2, 3], [1, 3, 0, 5]] = 1.0
    np.testing.assert_array_equal(jacobian.reshape(4, 6), rows)


# -- numpy's own functions on tracers dispatch here -----------------------------------------------

@pytest.mark.parametrize(("numpy_fun", "admodes_fun"), [
    (lambda x: np.linalg.vector_norm(x, ord=3), lambda x: anp.linalg.vector_norm(x, ord=3)),
    (lambda x: np.linalg.matrix_norm(x, ord="nuc"), lambda x: anp.linalg.matrix_norm(x, ord="nuc")),
    (lambda x: np.linalg.cond(x, 1), lambda x: anp.linalg.cond(x, 1)),
    (lambda x: np.linalg.trace(x, offset=1), lambda x: anp.linalg.trace(x, offset=1)),
    (lambda x: np.vecdot(x, x), lambda x: anp.vecdot(x, x)),
    (lambda x: np.sum(np.cumulative_sum(x, axis=0) ** 2), lambda x: anp.sum(
        anp.cumulative_sum(x, axis=0) ** 2)),
    (lambda x: np.unstack(x)[1] ** 2, lambda x: anp.unstack(x)[1] ** 2),
    (lambda x: np.matvec(x, x[0]), lambda x: anp.matvec(x, x[0])),
    (lambda x: np.vecmat(x[1], x), lambda x: anp.vecmat(x[1], x)),
    (lambda x: np.unique_all(x).values, lambda x: anp.unique_all(x).values),
    (lambda x: np.acos(x / 4) + np.pow(x, 2) + np.atan2(x, 1.5), lambda x: anp.acos(
        x / 4) + anp.pow(x, 2) + anp.atan2(x, 1.5)),
], ids=["vector_norm", "matrix_norm", "cond", "trace", "vecdot", "cumulative_sum", "unstack",
        "matvec", "vecmat", "unique_all", "aliases"])
def test_numpy_functions_on_tracers_are_the_admodes_entries(numpy_fun, admodes_fun):
    x = _SQUARE
    np.testing.assert_allclose(ad.jacrev(numpy_fun)(x), ad.jacfwd(admodes_fun)(x), rtol=1e-12)


# -- bad arguments --------------------------------------------------------------------------------

_L = anp.linalg


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: anp.matrix_transpose(np.ones(3)), ValueError,
     ("matrix_transpose(): x must be at least 2-d (a matrix or a stack of matrices (..., M, N)), "
     "got shape (3,)")),
    (lambda: _L.matrix_transpose(np.float64(1.0)), ValueError,
     ("linalg.matrix_transpose(): x must be at least 2-d (a matrix or a stack of matrices "
     "(..., M, N)), got shape ()")),
    (lambda: anp.vecdot(np.ones((2, 3)), np.ones(2)), ValueError,
     ("vecdot(): the operands have 3 and 2 entries along axis=-1 (shapes (2, 3) and (2,)); they "
     "must be equal")),
    (lambda: anp.vecdot(np.ones((2, 3)), np.ones(1)), ValueError,  # numpy's gufunc: no broadcast
     ("vecdot(): the operands have 3 and 1 entries along axis=-1 (shapes (2, 3) and (1,)); they "
     "must be equal")),
    (lambda: _L.vecdot(np.float64(1.0), np.ones(2)), ValueError,
     "linalg.vecdot(): operand 0 is 0-d; vecdot needs at least one axis"),
    (lambda: anp.vecdot(np.ones(3), np.ones(3), axis=1), ValueError,
     "vecdot(): axis 1 is out of bounds for an array of dimension 1"),
    (lambda: anp.vecdot(np.ones(3), np.ones(3), axis=1.0), TypeError,
     "vecdot(): axis must be an int, got 1.0"),
    (lambda: anp.vecdot(np.ones(3, complex), np.ones(3)), TypeError,
     ("vecdot(): admodes differentiates real-valued functions only; got a complex input of dtype "
     "complex128. Pass its real and imaginary parts as two real arrays.")),
    (lambda: anp.matvec(np.ones((2, 3)), np.ones(2)), ValueError,
     ("matvec(): the core dimensions do not match: shapes (2, 3) and (2,) (N = 2 in the vector, "
      "3 in the matrix)")),
    (lambda: anp.matvec(np.ones(3), np.ones(3)), ValueError,
     "matvec(): needs a matrix (..., M, N) and a vector (..., N); got shapes (3,) and (3,)"),
    (lambda: anp.vecmat(np.ones(2), np.ones((3, 2))), ValueError,
     ("vecmat(): the core dimensions do not match: shapes (2,) and (3, 2) (N = 2 in the vector, "
      "3 in the matrix)")),
    (lambda: anp.vecmat(np.float64(1.0), np.ones((1, 2))), ValueError,
     "vecmat(): needs a vector (..., N) and a matrix (..., N, M); got shapes () and (1, 2)"),
    (lambda: anp.unstack(np.float64(1.0)), ValueError,
     "unstack(): x is 0-d; it must have at least one axis"),
    (lambda: anp.unstack(np.ones(3), axis=1), ValueError,
     "unstack(): axis 1 is out of bounds for an array of dimension 1"),
    (lambda: anp.cumulative_sum(np.ones((2, 3))), ValueError,
     "cumulative_sum(): x has shape (2, 3); for more than one dimension give axis"),
    (lambda: anp.cumulative_prod(np.ones(3), dtype=np.complex128), TypeError,
     ("cumulative_prod(): dtype=complex128 is complex; admodes differentiates real-valued "
     "functions only (use a floating dtype)")),
    (lambda: anp.cumulative_prod(np.ones(3), axis=1), ValueError,
     "cumulative_prod(): axis 1 is out of bounds for an array of dimension 1"),
    (lambda: _L.cross(np.ones(2), np.ones(3)), ValueError,
     ("linalg.cross(): both operands must be (stacks of) 3-vectors along axis=-1; got shapes (2,) "
     "and (3,) (sizes 2 and 3); numpy.cross has the 2-vector form")),
    (lambda: _L.cross(np.float64(1.0), np.ones(3)), ValueError,
     "linalg.cross(): operand 0 must be at least 1-d, got shape ()"),
    (lambda: _L.outer(np.ones((2, 2)), np.ones(3)), ValueError,
     ("linalg.outer(): both operands must be 1-d, got shapes (2, 2) and (3,); numpy.outer "
     "flattens them")),
    (lambda: _L.diagonal(np.ones(3)), ValueError,
     ("linalg.diagonal(): x must be at least 2-d (a matrix or a stack of matrices (..., M, N)), "
     "got shape (3,)")),
    (lambda: _L.diagonal(np.ones((3, 3)), offset=1.5), TypeError,
     "linalg.diagonal(): offset must be an int, got 1.5"),
    (lambda: _L.trace(np.ones((2, 2)), dtype=np.complex64), TypeError,
     ("linalg.trace(): dtype=complex64 is complex; admodes differentiates real-valued functions "
     "only (use a floating dtype)")),
    (lambda: _L.tensordot(np.ones((2, 3)), np.ones((3, 2)), 1), TypeError,
     "tensordot() takes 2 positional arguments but 3 were given"),  # axes is keyword-only
    (lambda: _L.matrix_norm(np.ones(3)), ValueError,
     ("linalg.matrix_norm(): x must be at least 2-d (a matrix or a stack of matrices "
     "(..., M, N)), got shape (3,)")),
    (lambda: _L.matrix_norm(np.ones((2, 2)), ord=3), ValueError,
     ("linalg.matrix_norm(): ord=3 is not a matrix norm order; use 'fro', 'nuc', 1, -1, 2, -2, "
     "inf or -inf")),
    (lambda: _L.matrix_norm(np.ones((2, 2)), ord=np.array(2)), ValueError,
     ("linalg.matrix_norm(): ord=array(2) is not a matrix norm order; use 'fro', 'nuc', 1, -1, 2, "
     "-2, inf or -inf")),
    (lambda: _L.vector_norm(np.ones(3), ord="fro"), ValueError,
     ("linalg.vector_norm(): ord='fro' is not a vector norm order; use a real number (inf, -inf, "
     "0, 1, 2 or any p)")),
    (lambda: _L.vector_norm(np.ones(3), ord=[2]), TypeError,
     ("linalg.vector_norm(): ord=[2] is not a vector norm order; use a real number (inf, -inf, "
     "0, 1, 2 or any p)")),
    (lambda: _L.vector_norm(np.ones((2, 3)), axis=(0, 0)), ValueError,
     "linalg.vector_norm(): repeated axis in (0, 0)"),
    (lambda: _L.vector_norm(np.ones((2, 3)), axis=2), ValueError,
     "linalg.vector_norm(): axis 2 is out of bounds for an array of dimension 2"),
    (lambda: _L.cond(np.ones(3)), np.linalg.LinAlgError,
     "linalg.cond(): x must be a matrix or a stack of matrices (..., M, N), got shape (3,)"),
    (lambda: _L.cond(np.ones((0, 0))), np.linalg.LinAlgError,
     "linalg.cond(): cond is not defined on empty matrices, got shape (0, 0)"),
    (lambda: _L.cond(np.ones((2, 3)), 1), np.linalg.LinAlgError,
     ("linalg.cond(): p=1 needs square matrices (..., n, n), got shape (2, 3); p = None, 2 or -2 "
     "take any (..., M, N)")),
    (lambda: _L.cond(np.ones((2, 2)), 3), ValueError,
     ("linalg.cond(): p=3 is not supported; use None, 2 or -2 (from the singular values), 'fro', "
     "'nuc', 1, -1, inf or -inf")),
    (lambda: _L.tensorsolve(np.ones((2, 3, 4)), np.ones((2, 3))), np.linalg.LinAlgError,
     ("linalg.tensorsolve(): a of shape (2, 3, 4) and b of shape (2, 3) must satisfy "
     "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")),
    (lambda: _L.tensorsolve(np.ones((2, 3, 6)), np.ones(6), axes=(0, -1)), ValueError,
     ("linalg.tensorsolve(): axes must be distinct axes 0 ... 2 of a (shape (2, 3, 6)), got "
     "(0, -1)")),
    (lambda: _L.tensorinv(np.ones((2, 3)), ind=0), ValueError,
     "linalg.tensorinv(): ind must be a positive int, got 0"),
    (lambda: _L.tensorinv(np.ones((2, 3)), ind=1), np.linalg.LinAlgError,
     ("linalg.tensorinv(): a of shape (2, 3) with ind=1 gives a 3 × 2 matrix; it must be square "
     "(prod(a.shape[ind:]) == prod(a.shape[:ind]))")),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_bad_arguments_raise_the_same_errors_under_tracing():
    """The checks read shapes and static arguments only, so a tracer gets the same errors."""
    with pytest.raises(ValueError, match=re.escape("linalg.cond(): p=3 is not supported")):
        ad.grad(lambda x: anp.linalg.cond(x, 3))(_SQUARE)
    with pytest.raises(ValueError, match=re.escape("unstack(): x is 0-d")):
        ad.grad(lambda x: anp.sum(anp.unstack(x)))(1.0)


# -- astype ---------------------------------------------------------------------------------------

def test_astype_to_an_integer_dtype_is_a_value_without_derivative():
    """Truncation is piecewise constant: its value, and no derivative (JAX's float0), as trunc."""
    x = np.array([1.5, -2.5, 3.0])
    for cast in (lambda x: x.astype(np.int64), lambda x: anp.astype(x, np.int64)):
        def f(x, cast=cast):
            return anp.sum(x * cast(x))
        np.testing.assert_array_equal(ad.grad(f)(x), [1, -2, 3])
        out = ad.jvp(cast, (x,), (np.ones(3),))[0]
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, x.astype(np.int64))


def test_astype_to_float32_and_back_is_differentiable_in_both_modes():
    x = np.array([0.5, -1.25, 2.0])
    def f(x):
        return anp.sum(anp.astype(x, np.float32) ** 3)
    g = ad.grad(f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-6)
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag(6 * x), rtol=1e-6)
    assert ad.grad(lambda x: anp.sum(anp.array(x, dtype=np.float32)))(x).dtype == np.float64


def test_astype_on_plain_arrays_is_numpys():
    x = np.array([1.5, -2.5])
    assert anp.astype(x, np.float64, copy=False) is x
    assert anp.astype(x, np.float64) is not x
    np.testing.assert_array_equal(anp.astype(x, np.int32), x.astype(np.int32))
    with pytest.raises(ValueError, match=r"astype\(\): device='gpu'"):
        anp.astype(x, np.float32, device="gpu")
