"""The reverse engine: fan-out accumulation, reusable pullbacks, deep tapes, clean state after
errors, leaked tracers and batched cotangents."""

import gc
import sys
import threading

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import tracing
from admodes.reverse import Node, Tape, _DeferredCollection, backward_pass


@pytest.fixture
def rng():
    return np.random.default_rng(3)


# -- fan-out --------------------------------------------------------------------------------------

def test_fan_out_accumulates(rng):
    x = rng.standard_normal(4)

    def f(x):
        return anp.sum(x * x * x + x + anp.sin(x) * x)
    np.testing.assert_allclose(ad.grad(f)(x), 3 * x ** 2 + 1 + np.cos(x) * x + np.sin(x))


def _pieces(theta):
    """A flat vector read back as slices, a reshaped block, a strided slice and a gather with
    repeats: every cotangent lands in the same buffer of the sweep."""
    W = theta[0:6].reshape(2, 3)
    b = theta[6:8]
    s = theta[::3]
    g = anp.take(theta, np.array([9, 1, 9, -1]))
    m = theta.reshape(2, 5)[:, 1]
    return anp.sum(anp.tanh(W @ theta[7:10]) * b[0]) + anp.sum(s * s) + anp.sum(g ** 3) + \
        anp.prod(m) + theta[2] * b


def _pieces_dense(theta):
    """The same function with every piece formed by a constant selection matrix."""
    eye = np.eye(10)
    W = (eye[0:6] @ theta).reshape(2, 3)
    b = eye[6:8] @ theta
    s = eye[::3] @ theta
    g = eye[[9, 1, 9, -1]] @ theta
    m = eye.reshape(2, 5, 10)[:, 1] @ theta
    return anp.sum(anp.tanh(W @ (eye[7:10] @ theta)) * b[0]) + anp.sum(s * s) + \
        anp.sum(g ** 3) + anp.prod(m) + (eye[2] @ theta) * b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_slices_of_one_vector_accumulate_in_place_correctly(dtype, rng):
    theta = rng.standard_normal(10).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ad.jacrev(_pieces)(theta), ad.jacfwd(_pieces_dense)(theta),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(ad.hessian(lambda t: _pieces(t)[1])(theta),
                               ad.hessian(lambda t: _pieces_dense(t)[1])(theta),
                               rtol=tol, atol=tol)


def test_in_place_accumulation_leaves_caller_arrays_alone(rng):
    theta, u = rng.standard_normal(10), rng.standard_normal((3, 2))
    kept = u.copy()
    _, pullback = ad.vjp(lambda t: anp.stack([t[0:2], t[1:3] * 2.0, t[0:2]]), theta)
    first = pullback(u)[0]
    np.testing.assert_array_equal(u, kept)  # the seed was not written into
    np.testing.assert_array_equal(pullback(u)[0], first)  # reusable, same answer
    expected = np.zeros(10)
    expected[0:2] += u[0] + u[2]
    expected[1:3] += 2 * u[1]
    np.testing.assert_allclose(first, expected)


def test_meter_counts_in_place_accumulation_as_reverse_work(rng):
    theta = rng.standard_normal(12)

    def f(t):
        return anp.sum(t[0:4]) + anp.sum(t[4:8]) + anp.sum(t[8:12])
    with ad.cost.meter() as m:
        ad.grad(f)(theta)
    # three slices scattered into one buffer (4 flops each) instead of 3 dense cotangents
    assert m.evaluations[("vjp", "index_basic")] == 3
    assert m.evaluations[("vjp", "index_basic_transpose")] == 0
    assert m.flops["vjp"] == 12  # sums' cotangents are broadcasts (free)


def test_value_used_many_times(rng):
    x = rng.standard_normal(3)

    def f(x):
        total = 0.0
        for i in range(50):
            total = total + anp.sum(x * float(i))
        return total
    np.testing.assert_allclose(ad.grad(f)(x), np.full(3, sum(range(50))))


def test_fan_out_through_reduced_scalars(rng):
    # sum(x) is a 0-d value; using it twice must accumulate both contributions
    x = rng.standard_normal(3)
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(x) * anp.sum(x))(x),
                               np.full(3, 2 * np.sum(x)))
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(x) + anp.sum(x))(x), np.full(3, 2.0))
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(x * anp.sum(x)))(x),
                               np.full(3, 2 * np.sum(x)))


def test_fan_out_of_scalar_input():
    def f(t):
        return t * t * t + anp.sin(t) * t
    assert float(ad.grad(f)(0.5)) == pytest.approx(3 * 0.25 + np.cos(0.5) * 0.5 + np.sin(0.5),
                                                   rel=1e-14)


def test_diamond_graph(rng):
    x = rng.standard_normal(5)

    def f(x):
        a = anp.exp(x)
        b, c = anp.sin(a), anp.cos(a)
        return anp.sum(b * c + a)
    a = np.exp(x)
    np.testing.assert_allclose(ad.grad(f)(x), (np.cos(2 * a) + 1) * a, rtol=1e-12)


# -- pullbacks ------------------------------------------------------------------------------------

def test_pullback_reuse_gives_identical_results(rng):
    x, A = rng.standard_normal(4), rng.standard_normal((3, 4))
    _, pullback = ad.vjp(lambda x: anp.tanh(A @ x) * anp.sum(x), x)
    u, w = rng.standard_normal(3), rng.standard_normal(3)
    first = pullback(u)[0]
    other = pullback(w)[0]
    again = pullback(u)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    ad.grad(lambda x: anp.sum(x ** 2))(x)  # another transform in between
    np.testing.assert_array_equal(pullback(u)[0], first)
    assert tracing._stack == []


def test_pullback_is_linear_and_differentiable_in_the_cotangent(rng):
    x, A = rng.standard_normal(4), rng.standard_normal((3, 4))
    _, pullback = ad.vjp(lambda x: anp.sin(A @ x), x)
    u, du = rng.standard_normal(3), rng.standard_normal(3)
    _, tangent = ad.jvp(lambda c: pullback(c)[0], (u,), (du,))
    np.testing.assert_allclose(tangent, pullback(du)[0], rtol=1e-12, atol=1e-14)


def test_only_dependent_ops_are_recorded(rng):
    x, c = rng.standard_normal(3), rng.standard_normal(3)
    with Tape() as tape:
        node = tape.new_input(x)
        const = anp.exp(c) * 2.0            # no input involved: not recorded
        out = anp.sum(anp.sin(node) * const)
    assert isinstance(out, Node) and not isinstance(const, Node)
    names = [rec.op.name for rec in tape.records if rec is not None]
    assert names == ["sin", "multiply", "sum"]


# -- deep graphs ----------------------------------------------------------------------------------

def test_deep_graph_no_recursion_error():
    n = 20000
    assert n > sys.getrecursionlimit()

    def f(x):
        y = x
        for _ in range(n):
            y = y + 1e-4 * y       # 2 ops per step: 40 000 records
        return anp.sum(y)
    x = np.ones(2)
    np.testing.assert_allclose(ad.grad(f)(x), np.full(2, (1 + 1e-4) ** n), rtol=1e-10)


def test_deep_nonlinear_chain():
    n = 20000

    def f(x):
        y = x
        for _ in range(n):
            y = anp.sin(y)
        return y
    x0 = 0.5
    ys = [x0]
    for _ in range(n):
        ys.append(np.sin(ys[-1]))
    expected = np.prod(np.cos(ys[:-1]))
    assert float(ad.grad(f)(x0)) == pytest.approx(expected, rel=1e-9)


# -- state after errors ---------------------------------------------------------------------------

class Boom(Exception):
    pass


def test_no_tape_left_after_an_exception(rng):
    x = rng.standard_normal(3)

    def bad(x):
        anp.sin(x) * 2.0                  # something is recorded first
        raise Boom("inside the function")
    for transform in (ad.grad, ad.jacrev, ad.jacfwd, ad.hessian):
        with pytest.raises(Boom, match="inside the function"):
            transform(bad)(x)
        assert tracing._stack == []
    with pytest.raises(Boom):
        ad.vjp(bad, x)
    with pytest.raises(Boom):
        ad.jvp(bad, (x,), (x,))
    assert tracing._stack == []
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(anp.sin(x)))(x), np.cos(x))
    _, pullback = ad.vjp(lambda x: anp.sum(x ** 2), x)
    np.testing.assert_allclose(pullback(1.0)[0], 2 * x)


def test_no_state_left_after_an_exception_in_a_nested_transform(rng):
    x = rng.standard_normal(3)

    def inner_fails(x):
        def g(y):
            anp.sum(y * x)                # records on both levels, then fails
            raise Boom("in the inner function")
        return ad.grad(g)(x)
    with pytest.raises(Boom, match="inner"):
        ad.jacfwd(inner_fails)(x)
    assert tracing._stack == []
    np.testing.assert_allclose(ad.hessian(lambda x: anp.sum(x ** 3))(x), np.diag(6 * x))


# -- the garbage collector while recording --------------------------------------------------------

def test_collector_threshold_raised_while_recording_and_restored_after(rng):
    x = rng.standard_normal(3)
    before = gc.get_threshold()
    seen = []

    def f(x):
        seen.append(gc.get_threshold()[0])
        return anp.sum(anp.sin(x))

    def nested(x):  # an inner tape inside an outer one: the outer level's value comes back
        g = ad.grad(f)(x)
        seen.append(gc.get_threshold()[0])
        return anp.sum(g * x)
    ad.grad(nested)(x)
    assert seen == [_DeferredCollection.THRESHOLD] * 2
    assert gc.get_threshold() == before
    with pytest.raises(Boom):  # restored after an error too
        ad.grad(lambda x: (_ for _ in ()).throw(Boom("x")))(x)
    assert gc.get_threshold() == before


def test_collector_threshold_restored_after_tapes_in_several_threads(rng):
    before = gc.get_threshold()
    x = rng.standard_normal(3)
    results = []

    def work():
        results.extend(ad.grad(lambda x: anp.sum(x * x))(x) for _ in range(200))
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 800
    np.testing.assert_allclose(np.array(results), np.tile(2 * x, (800, 1)))
    assert gc.get_threshold() == before


def test_collector_left_alone_when_disabled_by_threshold(rng):
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        ad.grad(lambda x: anp.sum(x * x))(rng.standard_normal(3))
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


# -- leaked tracers -------------------------------------------------------------------------------

def test_leaked_tracer_raises_runtime_error(rng):
    x = rng.standard_normal(3)
    leaked = []

    def leak(x):
        leaked.append(x)
        return anp.sum(x ** 2)
    ad.grad(leak)(x)
    assert isinstance(leaked[0], Node)
    with pytest.raises(RuntimeError, match="leaked tracer"):
        ad.grad(lambda y: anp.sum(y * leaked[0]))(x)
    assert tracing._stack == []
    with pytest.raises(RuntimeError, match="transform that has already returned"):
        anp.sin(leaked[0])
    with pytest.raises(RuntimeError, match="leaked tracer"):
        leaked[0] + 1.0


def test_leaked_forward_tracer_raises_runtime_error(rng):
    x = rng.standard_normal(3)
    leaked = []
    ad.jvp(lambda x: leaked.append(x) or anp.sin(x), (x,), (x,))
    with pytest.raises(RuntimeError, match="leaked tracer"):
        ad.jvp(lambda y: y * leaked[0], (x,), (x,))
    assert tracing._stack == []


# -- batched cotangents ---------------------------------------------------------------------------

def f_rows(x):
    A = np.arange(35.0).reshape(5, 7) / 10.0
    return anp.tanh(A @ x) * anp.sum(x ** 2)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 3, 5, 100])
def test_jacrev_chunks_equal_row_by_row_vjps(chunk_size, rng):
    x = rng.standard_normal(7)
    J = ad.jacrev(f_rows, chunk_size=chunk_size)(x)
    _, pullback = ad.vjp(f_rows, x)
    rows = np.stack([pullback(e)[0] for e in np.eye(5)])
    np.testing.assert_allclose(J, rows, rtol=1e-12, atol=1e-14)


def test_backward_pass_with_k_cotangents_equals_k_sweeps(rng):
    x = rng.standard_normal(7)
    with Tape() as tape:
        node = tape.new_input(x)
        out = f_rows(node)
    k = 4
    U = rng.standard_normal((k, 5))
    batched = backward_pass(tape.records, [(out.index, U)])[node.index]
    assert batched.shape == (k, 7)
    for i in range(k):
        single = backward_pass(tape.records, [(out.index, U[i:i + 1])])[node.index]
        np.testing.assert_allclose(batched[i], single[0], rtol=1e-12, atol=1e-14)
    _, pullback = ad.vjp(f_rows, x)
    np.testing.assert_allclose(batched, np.stack([pullback(u)[0] for u in U]), rtol=1e-12)
