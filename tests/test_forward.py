"""The forward engine: vector mode (a batch of k tangents per pass), chunked jacfwd and
symbolic zero tangents."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import nn, tracing
from admodes.forward import Dual, ForwardTrace


@pytest.fixture
def rng():
    return np.random.default_rng(2)


def mlp(x, W1, W2):
    h = anp.tanh(W1 @ x)
    return nn.log_softmax(W2 @ h) * anp.sum(anp.exp(-x ** 2))


def push(fun, primals, batched_tangents):
    """Run ``fun`` once in the forward engine with k tangents per primal; (out, (k,)+out)."""
    with ForwardTrace() as trace:
        duals = [Dual(p, t, trace) for p, t in zip(primals, batched_tangents)]
        out = fun(*duals)
    assert isinstance(out, Dual) and out._trace is trace
    return out._primal, out.tangent


@pytest.mark.parametrize("k", [1, 2, 5])
def test_vector_mode_equals_k_single_jvps(k, rng):
    x, W1, W2 = rng.standard_normal(4), rng.standard_normal((3, 4)), rng.standard_normal((2, 3))
    tangents = [rng.standard_normal((k,) + np.shape(p)) for p in (x, W1, W2)]
    out, batched = push(mlp, (x, W1, W2), tangents)
    assert batched.shape == (k, 2)
    np.testing.assert_allclose(out, mlp(x, W1, W2))
    for i in range(k):
        out_i, t_i = ad.jvp(mlp, (x, W1, W2), tuple(t[i] for t in tangents))
        np.testing.assert_allclose(out_i, out)
        np.testing.assert_allclose(batched[i], t_i, rtol=1e-12, atol=1e-14)
    assert tracing._stack == []


def test_vector_mode_through_broadcasting_reductions_and_indexing(rng):
    x = rng.standard_normal((3, 4))
    b = rng.standard_normal(4)

    def f(x):
        y = anp.maximum(x, 0.1) * b + anp.sum(x, axis=0, keepdims=True)
        return anp.concatenate([y[1:, ::2].reshape(-1), anp.max(y, axis=1), y[[0, 2], [3, 1]]])
    k = 3
    T = rng.standard_normal((k, 3, 4))
    _, batched = push(f, (x,), (T,))
    for i in range(k):
        _, t_i = ad.jvp(f, (x,), (T[i],))
        np.testing.assert_allclose(batched[i], t_i, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 3, 7, 100])
def test_jacfwd_chunks_equal_column_by_column_jvps(chunk_size, rng):
    x = rng.standard_normal(7)
    A = rng.standard_normal((5, 7))

    def f(x):
        return anp.sin(A @ x) * anp.sum(x ** 2)
    J = ad.jacfwd(f, chunk_size=chunk_size)(x)
    columns = np.stack([ad.jvp(f, (x,), (e,))[1] for e in np.eye(7)], axis=1)
    np.testing.assert_allclose(J, columns, rtol=1e-12, atol=1e-14)


def test_tangent_keeps_dtype_float32(rng):
    x = rng.standard_normal(3).astype(np.float32)
    t = np.ones(3, dtype=np.float32)
    out, tangent = ad.jvp(lambda x: anp.tanh(x) * 2.0, (x,), (t,))
    assert out.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, 2 * (1 - np.tanh(x) ** 2), rtol=1e-6)


# -- symbolic zeros -------------------------------------------------------------------------------

def test_constant_computation_stays_untraced_in_the_forward_engine(rng):
    x, c = rng.standard_normal(3), rng.standard_normal(3)
    seen = {}

    def f(x):
        const = anp.exp(c) * 2.0 + anp.sum(c)
        seen["const"] = const
        return x * const
    _, tangent = ad.jvp(f, (x,), (np.ones(3),))
    assert isinstance(seen["const"], np.ndarray)
    np.testing.assert_allclose(tangent, np.exp(c) * 2.0 + np.sum(c))


def test_undifferentiated_argument_gives_exact_zeros(rng):
    x, y = rng.standard_normal(3), rng.standard_normal((2, 2))

    def f(x, y):
        return anp.sin(x) * 2.0
    Jx, Jy = ad.jacfwd(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(Jx, np.diag(2 * np.cos(x)))
    assert Jy.shape == (3, 2, 2)
    np.testing.assert_array_equal(Jy, np.zeros((3, 2, 2)))
    _, tangent = ad.jvp(f, (x, y), (np.zeros(3), np.ones((2, 2))))
    np.testing.assert_array_equal(tangent, np.zeros(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_independent_of_input_gives_zeros_of_right_shape_and_dtype(dtype, rng):
    x = rng.standard_normal(3).astype(dtype)
    c = np.arange(6.0).reshape(2, 3).astype(dtype)

    def f(x):
        return {"const": c * 2, "scalar": 1.5, "dep": x * 3}
    out, tangent = ad.jvp(f, (x,), (np.ones(3, dtype=dtype),))
    np.testing.assert_array_equal(out["const"], c * 2)
    assert tangent["const"].shape == (2, 3) and tangent["const"].dtype == dtype
    np.testing.assert_array_equal(tangent["const"], 0.0)
    assert np.shape(tangent["scalar"]) == () and np.asarray(tangent["scalar"]) == 0.0
    np.testing.assert_allclose(tangent["dep"], 3 * np.ones(3))

    J = ad.jacfwd(f)(x)
    assert J["const"].shape == (2, 3, 3) and J["const"].dtype == dtype
    np.testing.assert_array_equal(J["const"], 0.0)
    assert np.shape(J["scalar"]) == (3,)
    np.testing.assert_array_equal(J["scalar"], 0.0)


def test_zero_tangent_rules_are_skipped(rng):
    # Inputs whose tangents are symbolic zeros carry no Dual: the function sees the plain value
    # for an argument it is not differentiated with respect to.
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    seen = {}

    def f(x, y):
        seen["x"], seen["y"] = type(x), type(y)
        return x * y
    ad.jacfwd(f, argnums=0)(x, y)
    assert seen["x"] is Dual
    assert seen["y"] is np.ndarray


def test_deep_forward_chain(rng):
    x = 0.3
    n = 5000

    def f(x):
        y = x
        for _ in range(n):
            y = y * 0.999 + 0.001 * anp.sin(x)
        return y
    _, tangent = ad.jvp(f, (x,), (1.0,))
    expected = 0.999 ** n + (1 - 0.999 ** n) * np.cos(x)
    assert float(tangent) == pytest.approx(expected, rel=1e-10)
