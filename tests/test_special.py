"""admodes.scipy.special and the jax.nn activations, beyond the generated registry tests
(``test_op_rules.py``: rules against finite differences, second order, float32): values equal
scipy.special's, numpy's and jax.nn's; derivatives at special points (the polygamma tower,
i1'(0), log_ndtr far in the left tail, xlogy at x = y = 0); JAX's derivatives at the kinks;
one_hot; and the errors."""

import math
import re

import numpy as np
import pytest
import scipy.special as sc
from test_op_rules import Case  # tests/ is on sys.path (pytest rootdir-relative imports)

import admodes as ad
import admodes.numpy as anp
import admodes.scipy.special as asp
from admodes import nn, registry
from admodes import tree as tree_util

SPECIAL = registry.entries("scipy.special")
ACTIVATION_NAMES = ("gelu", "silu", "swish", "mish", "elu", "celu", "selu", "leaky_relu", "relu6",
                    "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid",
                    "soft_sign", "squareplus", "sparse_plus", "sparse_sigmoid", "glu",
                    "log1mexp", "nn.tanh", "nn.identity", "standardize", "logmeanexp")
ACTIVATIONS = [registry.lookup(name) for name in ACTIVATION_NAMES]
DTYPES = (np.float64, np.float32)
VALUE_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}

by_special = pytest.mark.parametrize("entry", SPECIAL, ids=lambda e: e.name)
by_dtype = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)


def _float_dtype(args):
    """The floating dtype numpy's promotion gives the float array arguments."""
    return np.result_type(*[a for a in tree_util.flatten(tuple(args))[0]
                            if isinstance(a, (np.ndarray, np.floating)) and a.dtype.kind == "f"])


def _assert_values(ours, theirs, rtol, what):
    ours, theirs = tree_util.flatten(ours)[0], tree_util.flatten(theirs)[0]
    assert len(ours) == len(theirs), what
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b), initial=0),
                                   err_msg=what)


# -- values -----------------------------------------------------------------------------------------

@by_special
@by_dtype
def test_values_equal_scipys(entry, dtype, rng):
    """Every domain case: scipy.special's value, in the float inputs' dtype (float32 stays
    float32, also where scipy computes in float64, as in polygamma)."""
    reference = getattr(sc, entry.short_name)
    for args, static in entry.domain(rng, dtype):
        ours = entry(*args, **static)
        what = f"{entry.name}{static}"
        _assert_values(ours, reference(*args, **static), VALUE_RTOL[np.dtype(dtype)], what)
        for leaf in tree_util.flatten(ours)[0]:
            assert np.result_type(leaf) == _float_dtype(args), what


def test_integer_input_gives_float64_as_numpys_ufuncs():
    n = np.arange(1, 4)
    for ours, theirs in [(asp.erf(n), sc.erf(n)), (asp.gammaln(n), sc.gammaln(n)),
                         (asp.polygamma(1, n), sc.polygamma(1, n)), (anp.i0(n), np.i0(n)),
                         (anp.sin(n), np.sin(n))]:
        assert np.asarray(ours).dtype == np.float64
        np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_numpy_i0_is_numpys_value_with_i1_as_derivative(rng):
    x = rng.uniform(-3.0, 3.0, size=5)
    np.testing.assert_allclose(anp.i0(x), np.i0(x), rtol=1e-14)
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(anp.i0(x)))(x), sc.i1(x), rtol=1e-14)
    # numpy's own np.i0 on a traced array dispatches to it
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(np.i0(x)))(x), sc.i1(x), rtol=1e-14)


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=lambda e: e.name)
def test_activation_values_equal_jax(entry, rng, jax_x64):
    for args, static in entry.domain(rng, np.float64):
        _assert_values(entry(*args, **static),
                       getattr(jax_x64.nn, entry.short_name)(*args, **static), 1e-12,
                       f"{entry.name}{static}")


#: domain cases where JAX differs (JAX 0.10.2), by entry: ours are checked against the formulas
#: and finite differences below
JAX_DIFFERS = {
    "special.spence": lambda args, static: np.max(args[0]) > 1,  # JAX's derivative: nan
    "special.expn": lambda args, static: args[0] == 0,  # JAX's derivative of E₀: nan
    "special.boxcox": lambda args, static: np.any(args[1] == 0),  # JAX's ∂/∂λ at λ = 0: 0
    "special.boxcox1p": lambda args, static: np.any(args[1] == 0),
    "special.factorial": lambda args, static: "extend" in static,  # JAX lacks the keyword
}


@pytest.mark.slow
@pytest.mark.parametrize("entry", SPECIAL + ACTIVATIONS + [registry.lookup("i0")],
                         ids=lambda e: e.name)
def test_jacobians_equal_jax_on_every_case(entry, jax_x64):
    """test_peers.py compares the first domain case; here every case (the keyword forms:
    logsumexp's b and return_sign, gelu's exact form, standardize's given moments)."""
    jax = jax_x64
    module = {"nn": jax.nn, "numpy": jax.numpy}.get(entry.namespace, jax.scipy.special)
    fun = getattr(module, entry.short_name, None)
    if fun is None:
        pytest.skip(f"{entry.name}: JAX {jax.__version__} has no such function")
    for args, static in entry.domain(np.random.default_rng(3), np.float64):
        if JAX_DIFFERS.get(entry.name, lambda args, static: False)(args, static):
            continue
        case = Case(entry, args, static)

        def theirs(*x, case=case, static=static):
            leaves = list(case._leaves)
            for i, value in zip(case._positions, x):
                leaves[i] = value
            return fun(*tree_util.unflatten(case._treedef, leaves), **static)
        expected = [np.asarray(j) for j in jax.tree_util.tree_leaves(
            jax.jacrev(theirs, argnums=case.argnums)(*case.x))]
        for transform in (ad.jacrev, ad.jacfwd):
            ours = tree_util.flatten(transform(case.f, argnums=case.argnums)(*case.x))[0]
            _assert_values(ours, expected, 1e-10, f"{case}: {transform.__name__}")


# -- derivatives at special points -------------------------------------------------------------

def _nth_derivative(f, order, mode):
    for _ in range(order):
        f = ad.grad(f) if mode == "rev" else ad.jacfwd(f)
    return f


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma_tower_to_third_order(n, mode):
    """d^k/dx^k ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺ᵏ⁾ for k = 1, 2, 3; the third derivative also against a central
    difference of the (automatic) second derivative and a third-order difference of values."""
    x, h = 1.7, 1e-5
    for k in (1, 2, 3):
        got = _nth_derivative(lambda x: asp.polygamma(n, x), k, mode)(x)
        np.testing.assert_allclose(got, sc.polygamma(n + k, x), rtol=1e-13)
    second = _nth_derivative(lambda x: asp.polygamma(n, x), 2, mode)
    third = _nth_derivative(lambda x: asp.polygamma(n, x), 3, mode)(x)
    np.testing.assert_allclose(third, (second(x + h) - second(x - h)) / (2 * h), rtol=1e-8)
    f, s = (lambda x: sc.polygamma(n, x)), 1e-2
    stencil = (f(x + 2 * s) - 2 * f(x + s) + 2 * f(x - s) - f(x - 2 * s)) / (2 * s ** 3)
    np.testing.assert_allclose(third, stencil, rtol=1e-3)


def test_gammaln_and_digamma_climb_the_same_tower():
    x = np.array([0.6, 1.5, 4.0])
    for k, expected in enumerate([sc.digamma(x), sc.polygamma(1, x), sc.polygamma(2, x)]):
        got = _nth_derivative(lambda x: asp.gammaln(x), k + 1, "rev")
        np.testing.assert_allclose([got(v) for v in x], expected, rtol=1e-13)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_i1_derivatives_at_zero(mode):
    """I₁(x) = x/2 + x³/16 + ...: I₁'(0) = ½ (the limit of I₀ − I₁/x), I₁''(0) = 0,
    I₁'''(0) = 3/8 -- from the recurrence form (I₀ + I₂)/2, no 0/0."""
    for order, expected in [(1, 0.5), (2, 0.0), (3, 0.375)]:
        assert _nth_derivative(asp.i1, order, mode)(0.0) == pytest.approx(expected, abs=1e-15)
    x = np.array([0.0, 1e-9, 0.5])
    np.testing.assert_allclose(ad.jacrev(asp.i1)(x).diagonal(),
                               [0.5, 0.5, sc.i0(0.5) - sc.i1(0.5) / 0.5], rtol=1e-14)
    assert _nth_derivative(asp.i1e, 1, mode)(0.0) == 0.5


def test_scaled_bessel_kink_follows_the_abs_convention():
    """i0e = e^(−|x|)I₀: slopes ∓1 on either side of 0; at 0 abs'(0) (default 0, as JAX)."""
    assert ad.grad(asp.i0e)(0.0) == 0.0
    with ad.conventions.use(abs=1.0):
        assert ad.grad(asp.i0e)(0.0) == -1.0
        assert ad.jacfwd(asp.i0e)(0.0) == -1.0
    np.testing.assert_allclose(ad.grad(asp.i0e)(-1.0), sc.i1e(-1.0) + sc.i0e(-1.0), rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_log_ndtr_gradient_far_in_the_left_tail(dtype):
    """d/dx log Φ(x) = φ(x)/Φ(x) = √(2/π)/erfcx(−x/√2) (an independent, accurate form): finite
    and accurate at x = −40, where Φ(x) ≈ 1e−350 underflows."""
    x = np.array([-40.0, -12.0, 0.0, 3.0, 40.0], dtype=dtype)
    expected = np.sqrt(2 / np.pi) / sc.erfcx(-x.astype(np.float64) / np.sqrt(2))
    rtol = {np.float64: 1e-12, np.float32: 2e-4}[dtype]
    for transform in (ad.jacrev, ad.jacfwd):
        got = transform(asp.log_ndtr)(x).diagonal()
        assert got.dtype == dtype and np.all(np.isfinite(got))
        np.testing.assert_allclose(got, expected, rtol=rtol)


def test_xlogy_at_the_origin():
    """xlogy(0, 0) = 0. ∂/∂x = log 0 = −inf, the one-sided limit (JAX's too); ∂/∂y = 0, since
    xlogy(0, y) = 0 for every y (JAX's x/y gives nan there). Forward mode over both arguments
    at once would form 0·(−inf) = nan in the y column, as JAX's does."""
    with np.errstate(divide="ignore"):
        assert asp.xlogy(0.0, 0.0) == 0.0
        for grad in (ad.grad, lambda f, argnums: ad.jacfwd(f, argnums=argnums)):
            assert grad(asp.xlogy, argnums=0)(0.0, 0.0) == -np.inf
            assert grad(asp.xlogy, argnums=1)(0.0, 0.0) == 0.0
            assert grad(asp.xlog1py, argnums=0)(0.0, -1.0) == -np.inf
            assert grad(asp.xlog1py, argnums=1)(0.0, -1.0) == 0.0
        assert ad.grad(asp.xlogy, argnums=(0, 1))(0.0, 0.0) == (-np.inf, 0.0)
    np.testing.assert_allclose(ad.grad(asp.xlogy, argnums=(0, 1))(0.0, 2.0), (math.log(2), 0.0))
    np.testing.assert_allclose(ad.grad(asp.xlogy, argnums=(0, 1))(3.0, 2.0),
                               (math.log(2), 1.5))


def test_xlogy_at_the_origin_against_jax(jax_x64):
    jax = jax_x64
    theirs = jax.grad(jax.scipy.special.xlogy, argnums=(0, 1))(0.0, 0.0)
    assert float(theirs[0]) == -np.inf and np.isnan(theirs[1])  # ours: (−inf, 0)


def test_entr_derivative_at_zero_is_plus_infinity_as_jax():
    with np.errstate(divide="ignore"):
        assert asp.entr(0.0) == 0.0
        assert ad.grad(asp.entr)(0.0) == np.inf


def test_python_number_operand_keeps_float32():
    x = np.float32(1.5)
    for f in (lambda x: asp.xlogy(x, 2.0), lambda x: asp.xlog1py(x, 2.0),
              lambda x: asp.betaln(x, 2.0)):
        assert ad.grad(f)(x).dtype == np.float32


# -- the softmax family in scipy's signatures ---------------------------------------------------

def test_logsumexp_with_b_and_sign(rng):
    a, b = rng.standard_normal((2, 3)), np.array([1.0, -2.0, 0.5])
    out, sign = asp.logsumexp(a, axis=1, b=b, return_sign=True)
    expected, expected_sign = sc.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    np.testing.assert_array_equal(sign, expected_sign)
    np.testing.assert_allclose(asp.logsumexp(a, b=np.abs(b), keepdims=True),
                               sc.logsumexp(a, b=np.abs(b), keepdims=True), rtol=1e-14)
    # ∂/∂b_j of log|Σ b e^a| = e^(a_j)/Σ b e^a
    grad_b = ad.grad(lambda b: anp.sum(asp.logsumexp(a, axis=1, b=b, return_sign=True)[0]))(b)
    totals = np.sum(b * np.exp(a), axis=1, keepdims=True)
    np.testing.assert_allclose(grad_b, np.sum(np.exp(a) / totals, axis=0), rtol=1e-13)


def test_softmax_defaults_to_all_axes_as_scipy(rng):
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(asp.softmax(x), sc.softmax(x), rtol=1e-14)
    np.testing.assert_allclose(asp.log_softmax(x, axis=0), sc.log_softmax(x, axis=0), rtol=1e-14)
    np.testing.assert_allclose(ad.jacrev(asp.softmax)(x), ad.jacrev(
        lambda x: anp.reshape(nn.softmax(anp.reshape(x, (6,))), (2, 3)))(x), rtol=1e-14)


# -- activations: JAX's forms and kinks -----------------------------------------------------------

@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_gradients_equal_jax(approximate, jax_x64):
    jax = jax_x64
    x = np.array([-6.0, -1.3, -0.2, 0.0, 0.4, 2.5, 7.0])

    def ours(x):
        return nn.gelu(x, approximate=approximate)

    def theirs(x):
        return jax.nn.gelu(x, approximate=approximate)
    # atol: in the tails both sides lose relative accuracy to cancellation (JAX's 1 + tanh(u)
    # for x ≪ 0: its slopes at −6 are off by 2e-6 relative; 1 − y in the sigmoid' and tanh'
    # of either for x ≫ 0), which leaves absolute differences of 1e-14 to 1e-13
    np.testing.assert_allclose(ad.jacrev(ours)(x).diagonal(),
                               np.asarray(jax.jacrev(theirs)(x)).diagonal(), rtol=1e-12,
                               atol=1e-13)
    for v in x:
        np.testing.assert_allclose(ad.grad(ad.grad(ours))(v), jax.grad(jax.grad(theirs))(v),
                                   rtol=1e-11, atol=1e-12)


#: jax.grad at the kinks (JAX 0.10.2, read from jax/_src/nn/functions.py and checked in
#: test_kink_table_is_jaxs): (function, keywords, point, derivative)
KINKS = [("relu6", {}, 0.0, 0.0), ("relu6", {}, 6.0, 0.0),
         ("leaky_relu", {}, 0.0, 1.0), ("leaky_relu", {"negative_slope": 0.2}, 0.0, 1.0),
         ("elu", {}, 0.0, 1.0), ("elu", {"alpha": 2.0}, 0.0, 2.0),
         ("celu", {}, 0.0, 1.0), ("celu", {"alpha": 2.0}, 0.0, 1.0),
         ("selu", {}, 0.0, 1.0507009873554805 * 1.6732632423543772),
         ("hard_tanh", {}, -1.0, 1.0), ("hard_tanh", {}, 1.0, 1.0),
         ("hard_sigmoid", {}, -3.0, 0.0), ("hard_sigmoid", {}, 3.0, 0.0),
         ("hard_silu", {}, -3.0, 0.0), ("hard_silu", {}, 3.0, 1.0),
         ("sparse_plus", {}, -1.0, 0.0), ("sparse_plus", {}, 1.0, 1.0),
         ("soft_sign", {}, 0.0, 1.0)]
KINK_IDS = [f"{name}{kw or ''}@{x}" for name, kw, x, _ in KINKS]


@pytest.mark.parametrize(("name", "kw", "x", "expected"), KINKS, ids=KINK_IDS)
def test_kinks_follow_jax(name, kw, x, expected):
    fun = getattr(nn, name)
    for transform in (ad.grad, ad.jacfwd):
        assert transform(lambda x: fun(x, **kw))(x) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("name", "kw", "x", "expected"), KINKS, ids=KINK_IDS)
def test_kink_table_is_jaxs(name, kw, x, expected, jax_x64):
    fun = getattr(jax_x64.nn, name)
    assert float(jax_x64.grad(lambda x: fun(x, **kw))(x)) == pytest.approx(expected, rel=1e-15)


def test_relu_kinks_follow_the_relu_convention():
    """relu6 and hard_sigmoid/hard_silu reach relu's kink: conventions.relu decides there."""
    with ad.conventions.use(relu=1.0):
        assert ad.grad(nn.relu6)(0.0) == 1.0
        assert ad.grad(nn.hard_sigmoid)(-3.0) == pytest.approx(1 / 6)
        assert ad.grad(nn.hard_silu)(-3.0) == pytest.approx(-0.5)
        assert ad.grad(nn.relu6)(6.0) == 0.0


def test_log_sigmoid_is_stable_for_large_magnitudes():
    x = np.array([-1000.0, -40.0, 40.0, 1000.0])
    np.testing.assert_allclose(nn.log_sigmoid(x), [-1000.0, -40.0, -np.exp(-40.0), 0.0],
                               rtol=1e-15)
    np.testing.assert_allclose(ad.jacrev(nn.log_sigmoid)(x).diagonal(),
                               [1.0, 1.0, np.exp(-40.0), 0.0], rtol=1e-15)


def test_standardize_algorithms(rng):
    x = rng.standard_normal((3, 4)) + 5.0
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    for algorithm in ("fast", "stable"):
        np.testing.assert_allclose(nn.standardize(x, algorithm=algorithm), expected, rtol=1e-10)
    with pytest.raises(ValueError, match=r"standardize\(\): algorithm must be 'fast' or "
                                         r"'stable', got 'exact'"):
        nn.standardize(x, algorithm="exact")


# -- one_hot ---------------------------------------------------------------------------------------

def test_one_hot_values():
    x = np.array([[0, 2], [3, -1]])
    expected = np.zeros((2, 2, 3))
    expected[0, 0, 0] = expected[0, 1, 2] = 1.0
    out = nn.one_hot(x, 3)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(nn.one_hot(x, 3, axis=0), np.moveaxis(expected, -1, 0))
    np.testing.assert_array_equal(nn.one_hot(x, 3, axis=1), np.moveaxis(expected, -1, 1))
    assert nn.one_hot(np.int8(1), 2, dtype=np.int32).tolist() == [0, 1]


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot_equals_jax(axis, jax_x64):
    x = np.array([[0, 2, 5], [1, -1, 4]])
    np.testing.assert_array_equal(nn.one_hot(x, 5, axis=axis),
                                  jax_x64.nn.one_hot(x, 5, axis=axis))


def test_one_hot_refuses_float_input():
    with pytest.raises(TypeError, match=r"one_hot\(\): x must hold integer class indices, got "
                                        r"an array of dtype float64"):
        nn.one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(TypeError, match=r"one_hot\(\): x must hold integer class indices, got "
                                        r"a traced array"):
        ad.grad(lambda x: anp.sum(nn.one_hot(x, 3)))(np.array([1.0]))
    with pytest.raises(TypeError, match=r"num_classes must be a nonnegative int, got 2\.0"):
        nn.one_hot(np.array([0, 1]), 2.0)


def test_jax_deprecates_float_input_to_one_hot(jax_x64):
    """JAX still accepts float indices but warns (deprecated 2024-12-18); admodes refuses."""
    with pytest.warns(DeprecationWarning, match="one_hot input should be integer-typed"):
        jax_x64.nn.one_hot(np.array([0.0, 1.0]), 2)


# -- errors ----------------------------------------------------------------------------------------

def test_scipy_special_name_without_rule():
    with pytest.raises(AttributeError, match=r"admodes\.scipy\.special\.struve is not available: "
                                             r"scipy\.special's struve has no differentiation "
                                             r"rule"):
        asp.struve  # noqa: B018
    with pytest.raises(AttributeError, match=r"module 'admodes\.scipy\.special' has no "
                                             r"attribute 'sine' \(nor has scipy\.special\)"):
        asp.sine  # noqa: B018


@pytest.mark.parametrize(("n", "error", "match"), [
    (1.0, TypeError, r"n must be a nonnegative integer scalar .* got 1\.0 \(dtype float64"),
    (np.array([1, 2]), TypeError, r"n must be a nonnegative integer scalar .* shape \(2,\)"),
    (True, TypeError, r"n must be a nonnegative integer scalar"),
    (-1, ValueError, r"n must be nonnegative, got -1")])
def test_polygamma_order_must_be_a_nonnegative_int(n, error, match):
    with pytest.raises(error, match=rf"polygamma\(\): {match}"):
        asp.polygamma(n, np.array([1.5]))


def test_scipys_own_ufuncs_on_a_traced_array_are_admodes_entries():
    """scipy.special.erf(x) on a traced x dispatches to admodes' erf (as np.sin does); a
    scipy.special ufunc without a rule is an error naming scipy.special."""
    x = np.array([0.3, 0.7, 1.9])
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(sc.erf(x) * sc.digamma(x)))(x),
                               ad.grad(lambda x: anp.sum(asp.erf(x) * asp.digamma(x)))(x),
                               rtol=1e-15)
    with pytest.raises(TypeError, match=r"scipy\.special\.struve has no differentiation rule "
                                        r"in admodes; .* admodes\.scipy\.special\.__all__"):
        ad.grad(lambda x: anp.sum(sc.struve(1.0, x)))(x)


# -- sigmoid's derivative for large x -----------------------------------------------------------

def test_sigmoid_derivative_keeps_relative_accuracy_for_large_x():
    """σ'(x) = e^(−x)/(1 + e^(−x))²: the rule σ(x)·σ(−x) is accurate where y(1 − y) loses
    (1 − y has relative error ε·eˣ, and is 0 for x ≳ 37); second order too:
    σ'' = σ'·(σ(−x) − σ(x))."""
    x = np.array([-30.0, -5.0, 0.5, 5.0, 30.0, 40.0])
    e = np.exp(-x)
    first = e / (1 + e) ** 2
    second = first * (1 - 2 / (1 + e))
    for got in (ad.grad(lambda x: anp.sum(nn.sigmoid(x)))(x),
                ad.jvp(nn.sigmoid, (x,), (np.ones_like(x),))[1],
                ad.jacfwd(nn.sigmoid)(x).diagonal()):
        np.testing.assert_allclose(got, first, rtol=1e-14)
    for v, expected in zip(x, second):
        assert ad.grad(ad.grad(nn.sigmoid))(v) == pytest.approx(expected, rel=1e-13)
        assert ad.jacfwd(ad.grad(nn.sigmoid))(v) == pytest.approx(expected, rel=1e-13)


# -- the newer activations: JAX's forms, kinks and stability -------------------------------------

def test_sparse_sigmoid_kinks_follow_the_ties_convention(jax_x64):
    """sparse_sigmoid'(±1) = ¼ as JAX's (clip's tie splitting); ½ with ties='first'."""
    for x in (-1.0, 1.0):
        assert float(jax_x64.grad(jax_x64.nn.sparse_sigmoid)(x)) == 0.25
        for transform in (ad.grad, ad.jacfwd):
            assert transform(nn.sparse_sigmoid)(x) == 0.25
        with ad.conventions.use(ties="first"):
            assert ad.grad(nn.sparse_sigmoid)(x) == 0.5


def test_squareplus_and_log1mexp_are_stable(jax_x64):
    """squareplus(−1e8) = b/(2(√(x² + b) − x)) ≈ 1e−8 (JAX's x + √(x² + b) cancels to 7.45e−9);
    log1mexp on both sides of log 2 and its slope 1/expm1(x), JAX's custom rule."""
    np.testing.assert_allclose(nn.squareplus(-1e8), 1e-8, rtol=1e-15)
    np.testing.assert_allclose(ad.grad(nn.squareplus)(-1e4), 1 / 1e8, rtol=1e-7)
    x = np.array([1e-8, 1e-3, 0.5, 0.7, 5.0, 40.0])
    np.testing.assert_allclose(nn.log1mexp(x[:4]), np.log(-np.expm1(-x[:4])), rtol=1e-15)
    np.testing.assert_allclose(nn.log1mexp(x[3:]), np.log1p(-np.exp(-x[3:])), rtol=1e-15)
    np.testing.assert_allclose(ad.jacrev(nn.log1mexp)(x).diagonal(), 1 / np.expm1(x), rtol=1e-15)
    np.testing.assert_allclose(ad.jacrev(nn.log1mexp)(x).diagonal(),
                               jax_x64.vmap(jax_x64.grad(jax_x64.nn.log1mexp))(x), rtol=1e-14)


def test_glu_and_logmeanexp_errors():
    with pytest.raises(ValueError, match=r"glu\(\): the axis -1 of x \(shape \(2, 3\)\) has odd "
                                         r"length 3"):
        nn.glu(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"logmeanexp\(\): where must be a boolean mask"):
        nn.logmeanexp(np.ones(3), where=np.array([1.0, 0.0, 1.0]))


def test_jax_nn_aliases():
    x = np.array([-0.5, 0.3])
    np.testing.assert_array_equal(nn.tanh(x), np.tanh(x))
    np.testing.assert_array_equal(nn.identity([1.0, 2.0]), [1.0, 2.0])
    np.testing.assert_allclose(ad.jacfwd(nn.identity)(x), np.eye(2))


# -- the newer special functions: derivatives by their formulas --------------------------------

_FORMULAS = [
    ("erfcx", lambda x: 2 * x * sc.erfcx(x) - 2 / np.sqrt(np.pi), [-1.5, 0.0, 0.7, 8.0]),
    ("dawsn", lambda x: 1 - 2 * x * sc.dawsn(x), [-1.5, 0.0, 0.7, 8.0]),
    ("exp1", lambda x: -np.exp(-x) / x, [0.1, 1.0, 20.0]),
    ("expi", lambda x: np.exp(x) / x, [-3.0, -0.2, 0.4, 5.0]),
    ("spence", lambda z: np.log(z) / (1 - z), [0.2, 0.9, 0.999, 1.0005, 1.5, 7.0]),
    ("loggamma", sc.digamma, [0.3, 2.0, 40.0]),
]


@pytest.mark.parametrize(("name", "slope", "points"), _FORMULAS, ids=[f[0] for f in _FORMULAS])
def test_derivatives_equal_their_formulas(name, slope, points):
    x = np.array(points)
    for transform in (ad.jacrev, ad.jacfwd):
        np.testing.assert_allclose(transform(getattr(asp, name))(x).diagonal(), slope(x),
                                   rtol=1e-13)


# erfcx'(x) and dawsn'(x) at large |x| by mpmath (60 digits) from their definitions; the
# formulas 2x·erfcx(x) − 2/√π and 1 − 2x·D(x) lose about x² units of relative accuracy there.
_LARGE_X_SLOPES = [
    (9.5, -0.0061502783967986477, -0.0056349014068872824),
    (10.5, -0.0050492724176661227, -0.0045982955584822053),
    (40.0, -0.00035228842528748392, -0.00031279342751785595),
    (1e4, -5.6418957508491275e-9, -5.0000000750000019e-9),
    (1e8, -5.641895835477562e-17, -5.0000000000000007e-17),
]


@pytest.mark.parametrize("transform", [ad.jacrev, ad.jacfwd])
def test_erfcx_and_dawsn_slopes_keep_relative_accuracy_for_large_x(transform):
    x, erfcx_slope, dawsn_slope = map(np.array, zip(*_LARGE_X_SLOPES))
    np.testing.assert_allclose(transform(asp.erfcx)(x).diagonal(), erfcx_slope, rtol=2e-14)
    np.testing.assert_allclose(transform(asp.dawsn)(x).diagonal(), dawsn_slope, rtol=2e-14)
    np.testing.assert_allclose(transform(asp.dawsn)(-x).diagonal(), dawsn_slope, rtol=2e-14)


def test_erfcx_and_dawsn_second_derivatives_across_the_switch():
    """erfcx'' = 2y + 2x·erfcx' and D'' = −2D − 2x·D' (the ODEs differentiated): on both
    sides of |x| = 10, where the series and the direct form meet; float32 keeps its dtype
    (just below the switch the direct form has lost two of its seven digits)."""
    x = np.array([9.99, 10.0, 10.01, 25.0])
    for f, second in [(asp.erfcx, lambda x, y, s: 2 * y + 2 * x * s),
                      (asp.dawsn, lambda x, y, s: -2 * y - 2 * x * s)]:
        slope = ad.jacfwd(f)(x).diagonal()
        expected = second(x, f(x), slope)
        np.testing.assert_allclose(ad.hessian(lambda u, f=f: anp.sum(f(u)))(x).diagonal(),
                                   expected, rtol=1e-10)
        x32 = x.astype(np.float32)
        np.testing.assert_allclose(ad.jacrev(f)(x32).diagonal(), slope, rtol=5e-5)
        assert ad.jacrev(f)(x32).dtype == np.float32


def test_spence_at_one():
    """spence'(1) = −1, spence''(1) = ½, spence'''(1) = −2/3 (log z/(1 − z) = −Σ (−u)^k/(k + 1),
    u = z − 1): the series, where the quotient is 0/0."""
    for order, expected in [(1, -1.0), (2, 0.5), (3, -2 / 3)]:
        for mode in ("rev", "fwd"):
            assert _nth_derivative(asp.spence, order, mode)(1.0) == pytest.approx(expected,
                                                                                rel=1e-14)


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_expn_derivative_is_the_next_lower_order(n):
    x = np.array([0.3, 1.0, 3.0])
    expected = -(np.exp(-x) / x) * (1 + 1 / x) if n == 0 else -sc.expn(n - 1, x)
    np.testing.assert_allclose(ad.jacrev(lambda x: asp.expn(n, x))(x).diagonal(), expected,
                               rtol=1e-13)
    np.testing.assert_allclose(ad.grad(lambda x: sc.expn(n, x))(1.3),  # scipy's ufunc, traced
                               -sc.expn(n - 1, 1.3) if n else -np.exp(-1.3) / 1.3 * (1 + 1 / 1.3))


@pytest.mark.parametrize("fun", [asp.boxcox, asp.boxcox1p], ids=["boxcox", "boxcox1p"])
def test_boxcox_lambda_derivative_near_zero(fun):
    """∂/∂λ ((b^λ − 1)/λ) = (L·b^λ − y)/λ → L²/2 at λ = 0 (L = log b): the series, where the
    quotient cancels; JAX's where(λ == 0, log, ...) gives 0 at λ = 0."""
    x = 1.7
    logarithm = np.log(x) if fun is asp.boxcox else np.log1p(x)
    for lmbda in (0.0, 1e-9, -1e-4, 0.3, 1.2):
        u = lmbda * logarithm
        exact = logarithm ** 2 / 2 if lmbda == 0 else (
            (logarithm * np.exp(u) * lmbda - np.expm1(u)) / lmbda ** 2)
        reference = logarithm ** 2 * sum((k + 1) / math.factorial(k + 2) * u ** k
                                         for k in range(20))
        assert ad.grad(fun, argnums=1)(x, lmbda) == pytest.approx(reference, rel=1e-14)
        if abs(u) > 0.5:
            assert reference == pytest.approx(exact, rel=1e-13)
    second = ad.grad(ad.grad(fun, argnums=1), argnums=1)(x, 0.0)
    assert second == pytest.approx(logarithm ** 3 / 3, rel=1e-14)  # 2·L³·(1/3)/2


def test_factorial_is_zero_for_negative_n_as_scipy():
    n = np.array([-2.0, -0.5, 0.0, 0.5, 4.0])
    np.testing.assert_allclose(asp.factorial(n), sc.factorial(n), rtol=1e-15)
    np.testing.assert_allclose(ad.jacrev(asp.factorial)(n).diagonal(),
                               np.where(n < 0, 0.0, sc.gamma(n + 1) * sc.digamma(n + 1)),
                               rtol=1e-14)
    assert asp.factorial(5, exact=True) == 120
    with pytest.raises(TypeError, match=r"factorial\(\): exact=True computes integers"):
        ad.grad(lambda n: asp.factorial(n, exact=True))(3.0)
    with pytest.raises(ValueError, match=r"extend must be 'zero' or 'complex', got 'one'"):
        asp.factorial(3.0, extend="one")


def test_loggamma_is_nan_for_negative_real_input_as_scipy():
    with np.errstate(invalid="ignore"):
        assert np.isnan(asp.loggamma(-0.5)) and np.isnan(sc.loggamma(-0.5))
        assert np.isnan(ad.grad(asp.loggamma)(-0.5))


def test_multigammaln_checks_as_scipy():
    a = np.array([2.5, 4.0])
    np.testing.assert_allclose(ad.grad(lambda a: anp.sum(asp.multigammaln(a, 3)))(a),
                               sum(sc.digamma(a - j / 2) for j in range(3)), rtol=1e-14)
    with pytest.raises(ValueError, match=r"multigammaln\(\): a must exceed \(d − 1\)/2 = 1\.0"):
        asp.multigammaln(np.array([0.9, 2.0]), 3)
    with pytest.raises(TypeError, match=r"multigammaln\(\): d must be a positive integer "
                                        r"scalar \(the dimension\), got 2\.0"):
        asp.multigammaln(3.0, 2.0)
    with pytest.raises(ValueError, match=r"multigammaln\(\): d must be positive, got 0"):
        asp.multigammaln(3.0, 0)


def test_divergences_at_x_zero():
    """kl_div(0, y) = y, rel_entr(0, y) = 0: ∂/∂x = −inf (the one-sided limit), ∂/∂y = 1 and 0."""
    with np.errstate(divide="ignore"):
        assert ad.grad(asp.kl_div, argnums=(0, 1))(0.0, 2.0) == (-np.inf, 1.0)
        assert ad.grad(asp.rel_entr, argnums=(0, 1))(0.0, 2.0) == (-np.inf, 0.0)
    np.testing.assert_allclose(ad.grad(asp.kl_div, argnums=(0, 1))(3.0, 2.0),
                               (np.log(1.5), 1 - 1.5))


def test_python_number_parameters_keep_float32():
    x = np.float32(0.4)
    for f in (lambda x: asp.gammainc(1.5, x), lambda x: asp.gammaincc(2.5, x),
              lambda x: asp.betainc(1.5, 2.0, x), lambda x: asp.zeta(2.5, x),
              lambda x: asp.beta(x, 2.0), lambda x: asp.boxcox(x, 0.5),
              lambda x: asp.boxcox1p(2.0, x), lambda x: asp.expn(2, x)):
        assert np.asarray(f(x)).dtype == np.float32
        assert ad.grad(f)(x).dtype == np.float32


# -- arguments without a closed-form derivative --------------------------------------------------

@pytest.mark.parametrize(("call", "argnums", "name", "position"), [
    (asp.zeta, 0, "zeta", "x (argument 0)"), (asp.gammainc, 0, "gammainc", "a (argument 0)"),
    (asp.gammaincc, 0, "gammaincc", "a (argument 0)"),
    (asp.betainc, 0, "betainc", "a (argument 0)"), (asp.betainc, 1, "betainc", "b (argument 1)")])
@pytest.mark.parametrize("transform", [ad.grad, ad.jacfwd], ids=["rev", "fwd"])
def test_parameter_derivatives_without_closed_form_are_errors(call, argnums, name, position,
                                                              transform):
    """A derivative admodes does not have is a TypeError naming the argument, never a dropped
    (zero) derivative; the other arguments are differentiated as usual."""
    args = (2.5, 1.5, 0.3) if name == "betainc" else (2.5, 1.5)
    with pytest.raises(TypeError, match=rf"{name}\(\): no derivative with respect to "
                                        rf"{re.escape(position)} is available"):
        transform(call, argnums=argnums)(*args)
    with pytest.raises(TypeError, match=r"Pass .* as a constant"):
        transform(call, argnums=(argnums, len(args) - 1))(*args)
    assert np.isfinite(transform(call, argnums=len(args) - 1)(*args))


def test_incomplete_functions_and_zeta_derivatives():
    x = np.array([0.2, 1.0, 3.5])
    for a in (0.6, 2.5):
        density = x ** (a - 1) * np.exp(-x) / sc.gamma(a)
        np.testing.assert_allclose(ad.jacrev(lambda x, a=a: asp.gammainc(a, x))(x).diagonal(),
                                   density, rtol=1e-13)
        np.testing.assert_allclose(ad.jacfwd(lambda x, a=a: asp.gammaincc(a, x))(x).diagonal(),
                                   -density, rtol=1e-13)
    p = np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose(ad.jacrev(lambda p: asp.betainc(1.5, 2.5, p))(p).diagonal(),
                               p ** 0.5 * (1 - p) ** 1.5 / sc.beta(1.5, 2.5), rtol=1e-13)
    np.testing.assert_allclose(ad.jacrev(lambda q: asp.zeta(3.0, q))(x + 1).diagonal(),
                               -3.0 * sc.zeta(4.0, x + 1), rtol=1e-13)
    np.testing.assert_allclose(asp.zeta(np.array([2.0, 4.0])), sc.zeta(np.array([2.0, 4.0])),
                               rtol=1e-15)
    np.testing.assert_allclose(asp.zeta(2.0, q=np.array([1.0, 2.0])),
                               sc.zeta(2.0, np.array([1.0, 2.0])), rtol=1e-15)


def test_scipys_new_ufuncs_on_a_traced_array_are_admodes_entries():
    x = np.array([0.3, 0.7, 1.9])
    for theirs, ours in [(lambda x: sc.erfcx(x), asp.erfcx), (lambda x: sc.dawsn(x), asp.dawsn),
                         (lambda x: sc.gammainc(1.5, x), lambda x: asp.gammainc(1.5, x)),
                         (lambda x: sc.boxcox(x, 0.3), lambda x: asp.boxcox(x, 0.3))]:
        np.testing.assert_allclose(ad.grad(lambda x, f=theirs: anp.sum(f(x)))(x),
                                   ad.grad(lambda x, f=ours: anp.sum(f(x)))(x), rtol=1e-15)
