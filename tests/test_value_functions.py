"""admodes.numpy's value-level functions (comparisons, logic, searching, integer-valued and
piecewise-constant functions, linalg.matrix_rank) and the entries of admodes/ops/discrete.py
(unique, the set functions, bincount, histogram, nextafter), beyond what the generated registry
tests reach: numpy's result on tracers of every transform and nesting level, the surrounding
derivative, plain numpy calls on tracers (also nested in tuples), derivatives at ties and of
coupled inputs, bit-exact values, and the errors."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.tracing import Tracer

X = np.array([0.7, -1.2, 0.0, 2.5, -0.3, 1.2])
ONES = np.ones_like(X)


def _m(x):
    return anp.reshape(x, (2, 3))


# Each call maps x (plain, or traced by any transform) to a value without derivative.
VALUE_CALLS = {
    "all": lambda x: anp.all(x > -2.0),
    "all-truthiness": lambda x: np.all(x),
    "all-axis": lambda x: anp.all(_m(x) > 0, axis=0),
    "all-where": lambda x: anp.all(x > -1, where=x < 2),
    "any-keepdims": lambda x: anp.any(_m(x) > 2, axis=1, keepdims=True),
    "any-truthiness": lambda x: np.any(x),
    "equal": lambda x: anp.equal(x, 0.0),
    "not_equal": lambda x: anp.not_equal(x, anp.flip(x)),
    "greater": lambda x: anp.greater(x, 0.5),
    "greater_equal": lambda x: anp.greater_equal(x, X[::-1]),
    "less": lambda x: anp.less(x, 1.2),
    "less_equal": lambda x: anp.less_equal(-1.2, x),
    "greater-outer": lambda x: np.greater.outer(x, x),
    "logical_and": lambda x: anp.logical_and(x > 0, x < 2),
    "logical_and-reduce": lambda x: np.logical_and.reduce(x, axis=0),
    "logical_or": lambda x: anp.logical_or(x < -1, x > 2),
    "logical_not": lambda x: anp.logical_not(x),
    "logical_xor": lambda x: anp.logical_xor(x > 0, x),
    "signbit": lambda x: anp.signbit(x),
    "isposinf": lambda x: anp.isposinf(anp.where(x > 1, np.inf, x)),
    "isneginf": lambda x: np.isneginf(anp.where(x > 1, -np.inf, x)),
    "packbits": lambda x: np.packbits(x > 0),
    "isreal": lambda x: anp.isreal(x),
    "iscomplex": lambda x: anp.iscomplex(x),
    "isrealobj": lambda x: anp.isrealobj(x),
    "iscomplexobj": lambda x: anp.iscomplexobj(x),
    "isscalar-sum": lambda x: anp.isscalar(anp.sum(x)),
    "isscalar-array": lambda x: anp.isscalar(x),
    "array_equal": lambda x: anp.array_equal(x, X),
    "array_equal-nan": lambda x: anp.array_equal(anp.where(x > 1, np.nan, x), np.where(
        X > 1, np.nan, X), equal_nan=True),
    "array_equiv": lambda x: anp.array_equiv(anp.reshape(x, (1, 6)), X),
    "around": lambda x: anp.around(x, 1),
    "round-negative-decimals": lambda x: anp.round(x * 10.3, -1),
    "argwhere": lambda x: anp.argwhere(_m(x) > 0),
    "flatnonzero": lambda x: anp.flatnonzero(x),
    "searchsorted": lambda x: anp.searchsorted(anp.sort(x), 0.5),
    "searchsorted-values": lambda x: anp.searchsorted(np.sort(X), x, side="right"),
    "searchsorted-sorter": lambda x: anp.searchsorted(x, [0.0, 1.0], sorter=anp.argsort(x)),
    "digitize": lambda x: anp.digitize(x, [-1.0, 0.0, 1.0]),
    "digitize-traced-bins": lambda x: anp.digitize(X, anp.sort(x), right=True),
    "isin": lambda x: anp.isin(x, [0.0, 2.5]),
    "isin-traced-test-elements": lambda x: anp.isin(x, x[:2], invert=True),
    "nanargmax": lambda x: anp.nanargmax(anp.where(x > 2, np.nan, x)),
    "nanargmin-axis": lambda x: anp.nanargmin(anp.where(_m(x) < -1, np.nan, _m(x)), axis=1),
    "argpartition": lambda x: anp.argpartition(x, 2),
    "argpartition-kths": lambda x: anp.argpartition(_m(x), (0, 2), axis=1),
    "lexsort": lambda x: anp.lexsort((x, anp.floor(x))),
    "lexsort-mixed-tuple": lambda x: np.lexsort((X, x), axis=0),
    "floor_divide": lambda x: anp.floor_divide(x, 0.5),
    "floordiv": lambda x: x // 0.7,
    "rfloordiv": lambda x: 2.0 // (x + 3.0),
    "ndarray-floordiv": lambda x: X // (x + 3.0),
    "fix": lambda x: anp.fix(x * 2.3),
    "angle": lambda x: anp.angle(x),
    "angle-deg": lambda x: anp.angle(x, deg=True),
    "spacing": lambda x: anp.spacing(x),
    "empty_like": lambda x: (anp.empty_like(x).shape, anp.empty_like(x, dtype=int).dtype),
    "indices": lambda x: anp.indices(_m(x).shape, sparse=True),
    "ix_": lambda x: anp.ix_(anp.flatnonzero(x > 0), [0, 1]),
    "broadcast_shapes": lambda x: anp.broadcast_shapes(x.shape, (2, 1, 6)),
    "unravel_index": lambda x: anp.unravel_index(anp.argmax(x), (2, 3)),
    "ravel_multi_index": lambda x: anp.ravel_multi_index(anp.nonzero(_m(x) > 0), (2, 3)),
    "matrix_rank": lambda x: anp.linalg.matrix_rank(anp.outer(x, x)),
    "matrix_rank-tol": lambda x: anp.linalg.matrix_rank(_m(x) @ anp.transpose(_m(x)), tol=0.5),
}

TRANSFORMS = {
    "grad": lambda f: ad.grad(f)(X),
    "jvp": lambda f: ad.jvp(f, (X,), (ONES,)),
    "jacfwd": lambda f: ad.jacfwd(f)(X),
    "jacrev": lambda f: ad.jacrev(f)(X),
    "hessian": lambda f: ad.hessian(f)(X),
    "jvp-of-grad": lambda f: ad.jvp(ad.grad(f), (X,), (ONES,)),
}


def primal(x):
    return ad.primal_value(x) if isinstance(x, Tracer) else x


def assert_same(got, expected):
    """Same type, shape, dtype and values (NaN equal to NaN), leaf by leaf; nothing traced."""
    assert not isinstance(got, Tracer), f"a traced result {got!r}"
    assert type(got) is type(expected), f"{type(got)} vs numpy's {type(expected)}"
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert_same(a, b)
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    else:
        assert got == expected


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("case", list(VALUE_CALLS))
def test_value_function_on_tracers_is_numpys_on_the_values(case, transform):
    call = VALUE_CALLS[case]
    seen = []

    def f(x):
        seen.append(call(x))
        return anp.sum(anp.sin(x) * x)
    TRANSFORMS[transform](f)
    assert seen
    for got in seen:
        assert_same(got, call(X))


def test_namespaces_hold_the_value_functions_as_numpys_own():
    for name in ["all", "any", "equal", "not_equal", "greater", "greater_equal", "less",
                 "less_equal", "logical_and", "logical_or", "logical_not", "logical_xor",
                 "signbit", "isreal", "iscomplex", "isrealobj", "iscomplexobj", "array_equal",
                 "array_equiv", "around", "argwhere", "flatnonzero", "searchsorted",
                 "digitize", "isin", "nanargmax", "nanargmin", "argpartition", "lexsort",
                 "floor_divide", "fix", "angle", "spacing", "gcd", "lcm", "unravel_index",
                 "ravel_multi_index", "indices", "ix_", "broadcast_shapes", "empty_like",
                 "isposinf", "isneginf", "bitwise_and", "invert", "packbits", "hanning",
                 "kaiser", "mgrid", "s_", "finfo", "issubdtype", "isdtype", "uint8",
                 "floating", "fromfunction"]:
        assert getattr(anp, name) is getattr(np, name) and name in anp.__all__
    assert anp.linalg.matrix_rank is np.linalg.matrix_rank
    assert "matrix_rank" in anp.linalg.__all__
    for name in ["isscalar", "unique", "intersect1d", "union1d", "setdiff1d", "setxor1d",
                 "bincount", "histogram", "nextafter"]:
        assert name in anp.__all__


def test_value_functions_on_plain_integers():
    a, b = np.array([12, 18, -8]), np.array([8, 27, 6])
    assert_same(anp.gcd(a, b), np.gcd(a, b))
    assert_same(anp.lcm(a, 4), np.lcm(a, 4))
    assert_same(anp.unravel_index([5, 1], (2, 3), order="F"),
                np.unravel_index([5, 1], (2, 3), order="F"))
    assert_same(anp.ravel_multi_index(([0, 3], [1, 2]), (3, 3), mode="clip"),
                np.ravel_multi_index(([0, 3], [1, 2]), (3, 3), mode="clip"))
    assert_same(anp.isscalar(3.0), True)
    assert_same(anp.isscalar(np.array(3.0)), False)


# -- the derivative around value functions ---------------------------------------------------------

def test_derivative_through_a_comparison_is_that_of_the_selected_branch():
    def f(x):
        return anp.sum(anp.where(anp.greater(x, 0), x ** 2, -x))
    expected = np.where(X > 0, 2 * X, -1.0)
    np.testing.assert_allclose(ad.grad(f)(X), expected, rtol=1e-15)
    np.testing.assert_allclose(ad.jvp(f, (X,), (ONES,))[1], expected.sum(), rtol=1e-15)
    np.testing.assert_allclose(ad.hessian(f)(X), np.diag(np.where(X > 0, 2.0, 0.0)))


def test_value_conditions_steer_traced_python_control_flow():
    def f(x):
        return anp.sum(x ** 3) if anp.all(x > -5) and not anp.any(anp.isnan(x)) else 0.0
    np.testing.assert_allclose(ad.hessian(f)(X), np.diag(6 * X), rtol=1e-15)


@pytest.mark.parametrize("quotient", [lambda x: x // 0.5, lambda x: anp.floor_divide(x, 0.5),
                                      lambda x: np.floor_divide(x, 0.5)])
def test_floor_division_is_a_constant_factor(quotient):
    def f(x):
        return anp.sum(quotient(x) * x)
    q = np.floor_divide(X, 0.5)
    np.testing.assert_array_equal(ad.grad(f)(X), q)
    np.testing.assert_array_equal(ad.jacfwd(ad.grad(f))(X), np.zeros((6, 6)))


def test_floor_division_matches_the_remainder_on_tracers():
    y = np.array([0.4, -0.7, 1.1, 0.3, 2.0, -1.5])

    def f(x):
        assert_same(x // y, X // y)
        assert_same(primal(x // y * y + x % y), X // y * y + X % y)
        return anp.sum(x % y)
    np.testing.assert_array_equal(ad.grad(f)(X), ONES)


def test_divmod_of_tracers_is_the_floor_division_and_the_remainder():
    y = np.array([0.4, -0.7, 1.1, 0.3, 2.0, -1.5])

    def f(x):
        for q, r in (divmod(x, y), divmod(y + 3.0, x + 3.0), divmod(2.0, x + 3.0)):
            assert not isinstance(q, Tracer) and isinstance(r, Tracer)
        q, r = divmod(x, y)
        assert_same((q, primal(r)), np.divmod(X, y))
        return anp.sum(r)
    np.testing.assert_array_equal(ad.grad(f)(X), ONES)
    np.testing.assert_array_equal(ad.grad(lambda x: anp.sum(divmod(2.0, x + 3.0)[1]))(X),
                                  -np.floor_divide(2.0, X + 3.0))


# -- numpy functions that would write into a tracer, or drop a derivative ------------------------

@pytest.mark.parametrize(("call", "match"), [
    (lambda x: np.round(x, 1, out=x), (r"numpy\.round with a traced out: traced arrays are "
                                       r"immutable .*use the returned array instead")),
    (lambda x: np.around(x, 1, x), r"numpy\.around with a traced out"),
    (lambda x: np.floor(x, out=x), r"numpy\.floor with a traced out"),
    (lambda x: np.floor_divide.at(x, [0], 2.0), r"numpy\.floor_divide\.at on a traced array"),
    (lambda x: anp.ix_(x), (r"numpy\.ix_ has no differentiation rule .*would drop the "
                            r"derivative")),
    # numpy's dispatch does not look inside a list of keys: the tracer is converted, and refuses
    (lambda x: anp.lexsort([X, x]), r"Converting to a numpy array .*would drop its derivative"),
    (lambda x: anp.gcd(x, 2), r"gcd"),
    (lambda x: anp.unravel_index(x, (6,)), r"only int indices permitted"),
    (lambda x: anp.bincount(x), r"Cannot cast array data from dtype\('float64'\)"),
])
@pytest.mark.parametrize("transform", ["grad", "jvp", "hessian"])
def test_unsupported_calls_on_tracers_raise(call, match, transform):
    def f(x):
        call(x)
        return anp.sum(x)  # pragma: no cover
    with pytest.raises(TypeError, match=match):
        TRANSFORMS[transform](f)


def test_a_refused_out_leaves_the_traced_value_unchanged():
    def f(x):
        with pytest.raises(TypeError, match="immutable"):
            np.fix(x, x)
        return anp.sum(x ** 2)
    np.testing.assert_array_equal(ad.grad(f)(X + 0.5), 2 * (X + 0.5))


# -- unique and the set functions -----------------------------------------------------------------

def _jacobians(f, x):
    """jacfwd and jacrev (agreeing to 1e-12) and the central finite-difference Jacobian."""
    forward, reverse = ad.jacfwd(f)(x), ad.jacrev(f)(x)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-12)
    columns = [ad.numerical_jvp(f, (x,), (np.eye(x.size)[j].reshape(x.shape),))
               for j in range(x.size)]
    return forward, np.stack(columns, axis=-1)


def test_unique_at_ties_follows_the_first_occurrence():
    x = np.array([1.0, 3.0, 1.0, 2.0, 3.0])
    assert_same(anp.unique(x), np.unique(x))
    first = np.unique(x, return_index=True)[1]
    expected = np.eye(5)[first]
    for jac in (ad.jacfwd(anp.unique)(x), ad.jacrev(anp.unique)(x), ad.jacfwd(np.unique)(x)):
        np.testing.assert_array_equal(jac, expected)
    np.testing.assert_allclose(ad.hessian(lambda x: anp.sum(anp.unique(x) ** 3))(x),
                               np.diag(np.where(np.isin(np.arange(5), first), 6 * x, 0.0)))


@pytest.mark.parametrize("kwargs", [
    {}, {"return_index": True}, {"return_inverse": True, "return_counts": True},
    {"return_index": True, "return_inverse": True, "return_counts": True, "axis": 1},
    {"axis": 0, "return_inverse": True}, {"equal_nan": False}, {"sorted": False},
])
def test_unique_of_a_tracer_is_numpys(kwargs):
    x = np.array([[2.0, np.nan, 2.0, -1.0], [np.nan, 0.5, np.nan, 0.5]])
    seen = []

    def f(x):
        seen.append(anp.unique(x, **kwargs))
        return anp.sum(x)
    ad.jvp(f, (x,), (np.ones_like(x),))
    expected = np.unique(x, **kwargs)
    got = seen[0]
    got = tuple(primal(g) for g in got) if isinstance(got, tuple) else primal(got)
    assert_same(got, expected)


def test_unique_inverse_rebuilds_the_input_with_its_derivative():
    x = np.array([0.5, -1.0, 0.5, 2.0])

    def rebuilt(x):
        values, inverse = anp.unique(x, return_inverse=True)
        return values[inverse]
    # the tie x[0] == x[2] is one value: both entries follow x[0], its first occurrence
    np.testing.assert_array_equal(ad.jacrev(rebuilt)(x), np.eye(4)[[0, 1, 0, 3]])


@pytest.mark.parametrize(("name", "call"), [
    ("intersect1d", lambda x: anp.intersect1d(x, x[1:3] * 1.0)),
    ("intersect1d-indices", lambda x: anp.intersect1d(x, x[::-2], return_indices=True)[0]),
    ("union1d", lambda x: anp.union1d(x[:4], _m(x)[1])),
    ("setdiff1d", lambda x: anp.setdiff1d(x, x[:2])),
    ("setdiff1d-assume-unique", lambda x: anp.setdiff1d(x, x[4:], assume_unique=True)),
    ("setxor1d", lambda x: anp.setxor1d(x[:4], x[2:])),
    ("setxor1d-assume-unique", lambda x: anp.setxor1d(x[:4], x[2:], assume_unique=True)),
    ("np.intersect1d", lambda x: np.intersect1d(x, x[1:3])),
    ("np.setxor1d", lambda x: np.setxor1d(x[:4], x[2:])),
])
def test_set_function_of_coupled_inputs(name, call):
    """Shared values of inputs computed from one x move together: the set function is
    differentiable there, and its derivative is a selection of x's entries."""
    jac, fd = _jacobians(call, X)
    np.testing.assert_allclose(jac, fd, rtol=1e-8, atol=1e-8)
    numpy_call = getattr(np, name.split("-")[0].removeprefix("np."))
    args = {"intersect1d": (X, X[1:3]), "intersect1d-indices": (X, X[::-2]),
            "union1d": (X[:4], X[3:]), "setdiff1d": (X, X[:2]),
            "setdiff1d-assume-unique": (X, X[4:]), "setxor1d": (X[:4], X[2:]),
            "setxor1d-assume-unique": (X[:4], X[2:]), "np.intersect1d": (X, X[1:3]),
            "np.setxor1d": (X[:4], X[2:])}[name]
    if name.endswith("indices"):
        expected = numpy_call(*args, return_indices=True)[0]
    else:
        expected = numpy_call(*args, **({"assume_unique": True} if "assume" in name else {}))
    seen = []
    ad.jvp(lambda x: seen.append(call(x)) or anp.sum(x), (X,), (ONES,))
    assert_same(primal(seen[0]), expected)


def test_intersect1d_values_come_from_ar1_in_numpys_dtype():
    c = np.array([0.0, 2.5, 7.0])
    x32 = X.astype(np.float32)
    seen = []

    def f(x):
        seen.append((anp.intersect1d(x, c, return_indices=True),
                     anp.intersect1d(c, x, return_indices=True)))
        return anp.sum(x)
    ad.jvp(f, (x32,), (np.ones(6, np.float32),))
    assert_same(tuple(primal(o) for o in seen[0][0]), np.intersect1d(x32, c, return_indices=True))
    assert_same(seen[0][1], np.intersect1d(c, x32, return_indices=True))
    # ar2's values where they meet a constant ar1 are ar1's: no derivative
    np.testing.assert_array_equal(ad.jacfwd(lambda x: anp.intersect1d(c, x))(X), np.zeros((2, 6)))
    np.testing.assert_array_equal(ad.jacfwd(lambda x: anp.intersect1d(x, c))(X),
                                  np.eye(6)[[2, 3]])


def test_set_functions_keep_float32():
    x = X.astype(np.float32)
    for f in (anp.unique, lambda x: anp.union1d(x, x[:2]), lambda x: anp.setxor1d(x[:3], x[3:]),
              lambda x: anp.setdiff1d(x, x[:1]), lambda x: anp.intersect1d(x, x[2:])):
        assert ad.jvp(f, (x,), (np.ones(6, np.float32),))[1].dtype == np.float32
        assert ad.grad(lambda x, f=f: anp.sum(f(x)))(x).dtype == np.float32


# -- bincount and histogram ---------------------------------------------------------------------

IDX = np.array([0, 2, 2, 5, 0, 2])


def test_bincount_is_a_scatter_add_of_the_weights():
    w = np.array([0.5, -1.0, 2.0, 0.25, 3.0, 1.5])
    counts = np.bincount(IDX, w)

    def f(w):
        return anp.sum(anp.bincount(IDX, weights=w) ** 2)
    np.testing.assert_allclose(ad.grad(f)(w), 2 * counts[IDX], rtol=1e-15)
    np.testing.assert_array_equal(ad.jacrev(lambda w: np.bincount(IDX, w, minlength=8))(w),
                                  np.eye(8)[:, IDX])
    np.testing.assert_allclose(ad.hessian(f)(w), 2.0 * (IDX[:, None] == IDX[None, :]))


def test_bincount_values_and_dtypes_are_numpys(rng):
    idx = rng.integers(0, 50, size=5000)
    w = rng.standard_normal(5000).astype(np.float32)
    out, tangent = ad.jvp(lambda w: anp.bincount(idx, w, minlength=60), (w,),
                          (np.ones(5000, np.float32),))
    assert_same(primal(out), np.bincount(idx, w, minlength=60))
    assert tangent.dtype == np.float64 and ad.grad(
        lambda w: anp.sum(anp.bincount(idx, w)))(w).dtype == np.float32
    assert_same(anp.bincount(idx), np.bincount(idx))
    with pytest.raises(ValueError, match="The weights and list don't have the same length"):
        ad.grad(lambda w: anp.sum(anp.bincount(idx[:3], w)))(w)


A = np.array([0.1, 1.45, 0.32, 2.9, -0.4, 0.77, 2.2, 1.06])  # off the edges of 4 and 3 bins


def test_histogram_edges_follow_the_data_extremes():
    def edges(a):
        return anp.histogram(a, 4)[1]
    jac, fd = _jacobians(edges, A)
    share = np.arange(5) / 4
    expected = np.zeros((5, 8))
    expected[:, np.argmin(A)], expected[:, np.argmax(A)] = 1 - share, share
    np.testing.assert_allclose(jac, expected, rtol=1e-15)
    np.testing.assert_allclose(fd, expected, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("bins", ["auto", "fd", "sturges", 7])
def test_histogram_of_a_tracer_is_numpys(bins):
    seen = []

    def f(a):
        seen.append(anp.histogram(a, bins))
        seen.append(np.histogram(a, bins, range=(-1.0, 3.0), density=True))
        return anp.sum(a)
    ad.hessian(f)(A)
    for got, expected in zip(seen, [np.histogram(A, bins),
                                    np.histogram(A, bins, range=(-1.0, 3.0), density=True)]):
        assert_same(tuple(primal(g) for g in got), expected)


def test_histogram_values_are_numpys_bit_for_bit(rng):
    a = rng.standard_normal(70_000)  # more than numpy's block of 65536
    w = rng.standard_normal(70_000)
    for kwargs in [{"bins": 13}, {"bins": np.sort(rng.standard_normal(9))},
                   {"bins": 5, "range": (-1.0, 2.0), "density": True}]:
        out = ad.jvp(lambda a, w, kwargs=kwargs: anp.histogram(a, weights=w, **kwargs), (a, w),
                     (np.ones_like(a), np.ones_like(w)))[0]
        assert_same(tuple(primal(o) for o in out), np.histogram(a, weights=w, **kwargs))


def test_histogram_of_constant_data_widens_its_range_like_numpy():
    a = np.full(3, 0.25)
    out, jac = anp.histogram(a, 2)[1], ad.jacfwd(lambda a: anp.histogram(a, 2)[1])(a)
    assert_same(out, np.histogram(a, 2)[1])
    np.testing.assert_allclose(jac.sum(axis=1), np.ones(3))  # every edge moves with the data


def test_histogram_derivatives_in_weights_range_and_bins():
    w = np.array([0.5, -1.0, 2.0, 0.25, 3.0, 1.5, -0.5, 1.0])
    edges = np.array([-1.0, 0.5, 1.2, 3.0])
    cases = {
        "weights": lambda w: anp.histogram(A, 4, weights=w)[0],
        "weights-density": lambda w: anp.histogram(A, edges, weights=w, density=True)[0],
        "range": lambda r: anp.concatenate(anp.histogram(A, 3, range=(r[0], r[1]),
                                                         density=True)),
        "bins": lambda e: anp.concatenate(anp.histogram(A, e, density=True)),
        "traced-range-array": lambda r: anp.histogram(A, 3, range=r)[1],
    }
    points = {"weights": w, "weights-density": w, "range": np.array([-1.0, 3.2]),
              "bins": edges, "traced-range-array": np.array([-1.0, 3.2])}
    for name, f in cases.items():
        jac, fd = _jacobians(f, points[name])
        np.testing.assert_allclose(jac, fd, rtol=1e-8, atol=1e-8, err_msg=name)
    np.testing.assert_array_equal(ad.jacfwd(lambda e: anp.histogram(A, e)[1])(edges), np.eye(4))


def test_histogram_with_weights_refuses_automatic_bins_like_numpy():
    with pytest.raises(TypeError, match="Automated estimation of the number of bins is not "
                                        "supported for weighted data"):
        ad.grad(lambda w: anp.sum(anp.histogram(A, "auto", weights=w)[0]))(A)


# -- nextafter ----------------------------------------------------------------------------------

def test_nextafter_is_numpys_value_with_derivative_one_in_x1():
    x1 = np.array([1.0, -0.0, 0.0, np.inf, 3.0, -2.5])
    x2 = np.array([2.0, 1.0, -1.0, 0.0, np.inf, -2.5])

    def check(x):
        assert_same(primal(anp.nextafter(x, x2)), np.nextafter(x1, x2))
        return anp.sum(anp.nextafter(x, x2))
    expected = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])  # inf steps to a finite number
    np.testing.assert_array_equal(ad.grad(check)(x1), expected)
    np.testing.assert_array_equal(ad.jvp(check, (x1,), (np.ones(6),))[1], expected.sum())
    np.testing.assert_array_equal(ad.grad(lambda y: anp.sum(np.nextafter(X, y)))(X + 1), 0 * X)
    np.testing.assert_array_equal(ad.hessian(lambda x: anp.sum(np.nextafter(x, 9.0) ** 2))(X),
                                  2 * np.eye(6))


def test_nextafter_keeps_float32():
    x = X.astype(np.float32)
    out, tangent = ad.jvp(lambda x: anp.nextafter(x, np.float32(5)), (x,),
                          (np.ones(6, np.float32),))
    assert_same(primal(out), np.nextafter(x, np.float32(5)))
    assert tangent.dtype == np.float32


def test_where_of_a_condition_alone_is_nonzero():
    """numpy's where(c) is nonzero(c): integer indices, usable to index a traced array."""
    a = np.array([[1.5, -1.0], [0.5, 2.0]])
    for cond in (a > 1, np.asarray(a > 1)):
        for ours, theirs in zip(anp.where(cond), np.where(a > 1)):
            np.testing.assert_array_equal(ours, theirs)
    g = ad.grad(lambda x: anp.sum(x[anp.where(x > 1)] ** 2))(a)
    np.testing.assert_array_equal(g, np.where(a > 1, 2 * a, 0.0))
    with pytest.raises(ValueError, match=r"where\(\): either both or neither of x and y"):
        ad.grad(lambda x: anp.sum(anp.where(x > 1, x)))(a)
