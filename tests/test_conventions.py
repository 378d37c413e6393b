"""Conventions at kinks (relu'(0), abs'(0), ties in max/maximum): documented defaults,
selectable, identical in forward and reverse mode, captured on the tape."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import conventions, nn
from admodes.conventions import Conventions


@pytest.fixture(autouse=True)
def _restore_conventions():
    before = conventions.current()
    yield
    assert conventions.current() == before, "a test left the conventions changed"


# Each mode computes the full derivative (Jacobian, out.shape + in.shape) of f at x.
def by_jacrev(f, x):
    return ad.jacrev(f)(x)


def by_jacrev_rows(f, x):
    return ad.jacrev(f, chunk_size=1)(x)


def by_jacfwd(f, x):
    return ad.jacfwd(f)(x)


def by_jacfwd_columns(f, x):
    return ad.jacfwd(f, chunk_size=1)(x)


def by_jvp(f, x):
    x = np.asarray(x, dtype=float)
    cols = [ad.jvp(f, (x,), (e.reshape(x.shape),))[1] for e in np.eye(x.size)]
    return np.reshape(np.stack(cols, axis=-1), np.shape(f(x)) + x.shape)


def by_vjp(f, x):
    out, pullback = ad.vjp(f, x)
    rows = [pullback(e.reshape(np.shape(out)))[0] for e in np.eye(np.size(out))]
    return np.reshape(np.stack(rows), np.shape(out) + np.shape(x))


MODES = {"jacrev": by_jacrev, "jacrev-rows": by_jacrev_rows, "jacfwd": by_jacfwd,
         "jacfwd-columns": by_jacfwd_columns, "jvp": by_jvp, "vjp": by_vjp}


def derivative(mode, f, x):
    return np.asarray(MODES[mode](f, x))


# -- defaults -------------------------------------------------------------------------------------

def test_documented_defaults():
    assert Conventions() == Conventions(relu=0.0, abs=0.0, ties="split")
    assert conventions.current() == Conventions()
    for word in ("relu", "abs", "ties", "split", "first"):
        assert word in conventions.__doc__


@pytest.mark.parametrize("mode", list(MODES))
def test_relu_at_zero_default_and_selected(mode):
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(derivative(mode, nn.relu, x), np.diag([0.0, 0.0, 1.0]))
    for value in (1.0, 0.5):
        with conventions.use(relu=value):
            np.testing.assert_array_equal(derivative(mode, nn.relu, x),
                                          np.diag([0.0, value, 1.0]))


@pytest.mark.parametrize("mode", list(MODES))
def test_abs_at_zero_default_and_selected(mode):
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(derivative(mode, anp.abs, x), np.diag([-1.0, 0.0, 1.0]))
    for value in (1.0, -1.0, 0.25):
        with conventions.use(abs=value):
            np.testing.assert_array_equal(derivative(mode, anp.abs, x),
                                          np.diag([-1.0, value, 1.0]))


def test_scalar_gradients_at_kinks():
    assert float(ad.grad(nn.relu)(0.0)) == 0.0
    assert float(ad.grad(anp.abs)(0.0)) == 0.0
    with conventions.use(relu=1.0, abs=-1.0):
        assert float(ad.grad(nn.relu)(0.0)) == 1.0
        assert float(ad.grad(anp.abs)(0.0)) == -1.0
        assert float(ad.jvp(nn.relu, (0.0,), (1.0,))[1]) == 1.0
        assert float(ad.jvp(anp.abs, (0.0,), (1.0,))[1]) == -1.0


# -- ties -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("reduce", ["max", "min"])
def test_reduction_ties(mode, reduce):
    sign = 1.0 if reduce == "max" else -1.0
    x = sign * np.array([1.0, 3.0, 3.0, 0.0, 3.0])

    def f(x):
        return getattr(anp, reduce)(x)
    np.testing.assert_allclose(derivative(mode, f, x), [0, 1 / 3, 1 / 3, 0, 1 / 3], rtol=1e-15)
    with conventions.use(ties="first"):
        np.testing.assert_array_equal(derivative(mode, f, x), [0, 1, 0, 0, 0])
    with conventions.use(ties="split"):
        np.testing.assert_allclose(derivative(mode, f, x), [0, 1 / 3, 1 / 3, 0, 1 / 3])


@pytest.mark.parametrize("mode", list(MODES))
def test_reduction_ties_along_an_axis(mode):
    X = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 4.0]])
    J = derivative(mode, lambda X: anp.max(X, axis=1), X)
    expected = np.zeros((2, 2, 3))
    expected[0, 0, :2] = 0.5
    expected[1, 1, 1] = 1.0
    np.testing.assert_array_equal(J, expected)
    with conventions.use(ties="first"):
        expected[0, 0, :2] = [1.0, 0.0]
        np.testing.assert_array_equal(derivative(mode, lambda X: anp.max(X, axis=1), X),
                                      expected)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_elementwise_ties(mode, name):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 4.0])
    fun = getattr(anp, name)
    bigger_a = [0.0, 1.0, 0.0] if name == "maximum" else [0.0, 0.0, 1.0]

    def da(a):
        return fun(a, b)

    def db(b):
        return fun(a, b)
    np.testing.assert_array_equal(derivative(mode, da, a), np.diag([0.5] + bigger_a[1:]))
    np.testing.assert_array_equal(derivative(mode, db, b),
                                  np.diag([0.5] + [1 - v for v in bigger_a[1:]]))
    with conventions.use(ties="first"):
        np.testing.assert_array_equal(derivative(mode, da, a), np.diag([1.0] + bigger_a[1:]))
        np.testing.assert_array_equal(derivative(mode, db, b),
                                      np.diag([0.0] + [1 - v for v in bigger_a[1:]]))


@pytest.mark.parametrize("ties", ["split", "first"])
def test_maximum_of_a_value_with_itself_has_derivative_one(ties):
    x = np.array([0.5, -2.0])
    with conventions.use(ties=ties):
        for mode in MODES:
            np.testing.assert_array_equal(derivative(mode, lambda x: anp.maximum(x, x), x),
                                          np.eye(2))


@pytest.mark.parametrize("setting", [{"relu": 1.0}, {"abs": 1.0}, {"ties": "first"}],
                         ids=["relu", "abs", "ties"])
def test_forward_and_reverse_agree_on_a_network_with_kinks(setting):
    x = np.array([0.0, 1.0, 1.0, -2.0])
    W = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 1.0, -1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])

    def f(x):
        h = nn.relu(W @ x) + anp.abs(x[:3])           # kinks at 0 in both
        return anp.array([anp.max(h), anp.sum(anp.maximum(h, x[1:]))])
    for config in ({}, setting):
        with conventions.use(**config):
            ref = derivative("jacrev", f, x)
            for mode in MODES:
                np.testing.assert_array_equal(derivative(mode, f, x), ref, err_msg=mode)


# -- the tape keeps the conventions it was recorded with ------------------------------------------

def test_pullback_uses_conventions_of_recording():
    x = np.array([0.0, 0.0])

    def f(x):
        return nn.relu(x) + anp.max(x)
    with conventions.use(relu=1.0, ties="first"):
        _, pullback = ad.vjp(f, x)
    (g,) = pullback(np.ones(2))
    np.testing.assert_array_equal(g, [1.0 + 2.0, 1.0])   # relu'(0) = 1; the max goes to x[0]
    with conventions.use(relu=0.0, ties="split"):
        np.testing.assert_array_equal(pullback(np.ones(2))[0], g)
    _, pullback_split = ad.vjp(f, x)
    np.testing.assert_array_equal(pullback_split(np.ones(2))[0], [1.0, 1.0])

    _, pullback_default = ad.vjp(nn.relu, np.array([0.0, 1.0]))
    with conventions.use(relu=1.0):
        np.testing.assert_array_equal(pullback_default(np.ones(2))[0], [0.0, 1.0])


def test_grad_and_jacrev_use_conventions_in_force_at_the_call():
    f = ad.grad(lambda x: anp.sum(nn.relu(x)))
    J = ad.jacrev(nn.relu)
    x = np.zeros(2)
    np.testing.assert_array_equal(f(x), [0.0, 0.0])
    with conventions.use(relu=1.0):
        np.testing.assert_array_equal(f(x), [1.0, 1.0])
        np.testing.assert_array_equal(J(x), np.eye(2))
    np.testing.assert_array_equal(J(x), np.zeros((2, 2)))


# -- selecting conventions ------------------------------------------------------------------------

def test_use_nests_and_restores_even_after_an_exception():
    with conventions.use(relu=1.0):
        with conventions.use(ties="first") as inner:
            assert inner == Conventions(relu=1.0, abs=0.0, ties="first")
            assert conventions.current() is inner
        assert conventions.current() == Conventions(relu=1.0)
    assert conventions.current() == Conventions()
    with pytest.raises(KeyError), conventions.use(abs=1.0):
        raise KeyError("boom")
    assert conventions.current() == Conventions()


def test_use_accepts_a_conventions_instance():
    chosen = Conventions(relu=0.5, abs=1.0, ties="first")
    with conventions.use(chosen) as active:
        assert active == chosen
        assert float(ad.grad(nn.relu)(0.0)) == 0.5
    with conventions.use(chosen, relu=1.0) as active:
        assert active == Conventions(relu=1.0, abs=1.0, ties="first")


def test_set_conventions_changes_globally_and_returns_the_old_ones():
    old = conventions.set_conventions(relu=1.0)
    try:
        assert old == Conventions()
        assert conventions.current().relu == 1.0
        assert float(ad.grad(nn.relu)(0.0)) == 1.0
    finally:
        conventions.set_conventions(**vars(old))
    assert conventions.current() == Conventions()


@pytest.mark.parametrize(("changes", "match"), [
    ({"relu": 1.5}, r"relu'\(0\) convention must lie in \[0, 1\].*1\.5"),
    ({"relu": -0.1}, r"relu'\(0\) convention must lie in \[0, 1\]"),
    ({"abs": 2.0}, r"abs'\(0\) convention must lie in \[-1, 1\].*2\.0"),
    ({"ties": "last"}, r"ties convention must be one of \('split', 'first'\).*'last'"),
    ({"ties": None}, r"ties convention must be one of"),
    ({"relu": np.nan}, r"relu'\(0\) convention must lie in \[0, 1\]"),
], ids=["relu-high", "relu-low", "abs", "ties", "ties-none", "relu-nan"])
def test_invalid_values_raise_value_error(changes, match):
    with pytest.raises(ValueError, match=match), conventions.use(**changes):
        pass  # pragma: no cover
    with pytest.raises(ValueError, match=match):
        conventions.set_conventions(**changes)
    with pytest.raises(ValueError, match=match):
        Conventions(**changes)
    assert conventions.current() == Conventions()


def test_non_numeric_value_raises_type_error():
    with pytest.raises(TypeError, match=r"relu'\(0\) convention must be a number, got 'high'"):
        conventions.set_conventions(relu="high")
    with pytest.raises(TypeError, match=r"abs'\(0\) convention must be a number, got None"):
        Conventions(abs=None)
    assert conventions.current() == Conventions()


def test_unknown_convention_name():
    leaky = r"unknown convention 'leaky'.*abs, relu, ties"
    with pytest.raises(TypeError, match=leaky), conventions.use(leaky=0.1):
        pass  # pragma: no cover
    with pytest.raises(TypeError, match=r"unknown convention 'leaky'"):
        conventions.set_conventions(leaky=0.1)
    assert conventions.current() == Conventions()
