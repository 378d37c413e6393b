"""User-declared derivative rules: custom_jvp, custom_vjp, checkpoint, stop_gradient."""

import functools

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp

RNG = np.random.default_rng(3)
X = RNG.uniform(-1.0, 1.0, 4)
W = RNG.standard_normal((4, 4)) / 2.0


# -- custom_jvp ---------------------------------------------------------------------------------

@ad.custom_jvp
def log1pexp(x):
    return anp.log(1.0 + anp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * ad.nn.sigmoid(x)


@ad.custom_jvp
def straight_through(x):
    """sign(x) forward; the identity's derivative (a rule that is not f's own derivative)."""
    return anp.sign(x)


@straight_through.defjvp
def _straight_through_jvp(primals, tangents):
    return straight_through(primals[0]), tangents[0]


def test_custom_jvp_values_are_the_function():
    np.testing.assert_array_equal(log1pexp(X), np.log(1.0 + np.exp(X)))
    assert isinstance(log1pexp(X), np.ndarray)


def test_custom_jvp_rule_gives_a_stable_gradient_where_the_function_would_not():
    with np.errstate(over="ignore", invalid="ignore"):  # exp(1000) overflows
        assert np.isnan(ad.grad(lambda x: anp.log(1.0 + anp.exp(x)))(1000.0))
        assert ad.grad(log1pexp)(1000.0) == 1.0


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev,
                                       functools.partial(ad.jacfwd, chunk_size=1),
                                       functools.partial(ad.jacrev, chunk_size=1)])
def test_both_modes_use_the_rule(transform):
    np.testing.assert_array_equal(transform(straight_through)(X), np.eye(4))
    sig = 1.0 / (1.0 + np.exp(-X))
    np.testing.assert_allclose(transform(log1pexp)(X), np.diag(sig), rtol=1e-15)


def test_custom_jvp_second_order_differentiates_the_rule():
    sig = 1.0 / (1.0 + np.exp(-X))
    expected = np.diag(sig * (1.0 - sig))
    for hess in (ad.hessian(lambda x: anp.sum(log1pexp(x))),
                 ad.jacrev(ad.grad(lambda x: anp.sum(log1pexp(x)))),
                 ad.jacfwd(ad.jacfwd(lambda x: anp.sum(log1pexp(x))))):
        np.testing.assert_allclose(hess(X), expected, rtol=1e-14)


def test_custom_jvp_passes_check_grads():
    ad.check_grads(lambda x: anp.sum(log1pexp(W @ x) ** 2), (X,), order=2)


@ad.custom_jvp
def scaled_pair(p, c):
    """Pytree in and out: ({'a': a, 'b': b}, c) -> (c a, a · b)."""
    return c * p["a"], anp.sum(p["a"] * p["b"])


@scaled_pair.defjvp
def _scaled_pair_jvp(primals, tangents):
    (p, c), (dp, dc) = primals, tangents
    out = scaled_pair(p, c)
    return out, (c * dp["a"] + dc * p["a"], anp.sum(dp["a"] * p["b"] + p["a"] * dp["b"]))


def _scaled_pair_plain(p, c):
    return c * p["a"], anp.sum(p["a"] * p["b"])


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_custom_jvp_pytrees_in_and_out(transform):
    p = {"a": X, "b": X[::-1].copy()}
    ours = transform(scaled_pair, argnums=(0, 1))(p, 1.5)
    plain = ad.jacrev(_scaled_pair_plain, argnums=(0, 1))(p, 1.5)
    for got, want in zip(ad.tree.flatten(ours)[0], ad.tree.flatten(plain)[0]):
        np.testing.assert_allclose(got, want, rtol=1e-15)


def test_custom_jvp_nondiff_argnums_come_first_in_the_rule():
    @functools.partial(ad.custom_jvp, nondiff_argnums=(0,))
    def power(n, x):
        return x ** n

    @power.defjvp
    def _power_jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return power(n, x), n * x ** (n - 1) * t

    np.testing.assert_allclose(ad.grad(power, argnums=1)(3, 2.0), 12.0)
    np.testing.assert_allclose(ad.jvp(lambda x: power(3, x), (2.0,), (1.0,))[1], 12.0)


# -- custom_vjp ---------------------------------------------------------------------------------

@ad.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (anp.clip(g, -1.0, 1.0),))


def test_custom_vjp_rule_is_used():
    assert ad.grad(lambda x: 5.0 * clip_gradient(x))(2.0) == 1.0
    np.testing.assert_array_equal(ad.jacrev(lambda x: 0.5 * clip_gradient(x))(X),
                                  0.5 * np.eye(4))


class _Counted:
    """``f(x) = W tanh(x)`` with fwd/bwd counting their calls."""

    def __init__(self):
        self.fwd_calls = self.bwd_calls = 0
        self.f = ad.custom_vjp(lambda x: W @ anp.tanh(x))
        self.f.defvjp(self.fwd, self.bwd)

    def fwd(self, x):
        self.fwd_calls += 1
        h = anp.tanh(x)
        return W @ h, h

    def bwd(self, h, g):
        self.bwd_calls += 1
        return ((W.T @ g) * (1.0 - h * h),)


def test_custom_vjp_runs_fwd_once_and_bwd_once_per_cotangent():
    counted = _Counted()
    jac = ad.jacrev(counted.f)(X)
    np.testing.assert_allclose(jac, W * (1.0 - np.tanh(X) ** 2), rtol=1e-14)
    assert (counted.fwd_calls, counted.bwd_calls) == (1, 4)
    out, pullback = ad.vjp(counted.f, X)
    np.testing.assert_allclose(out, W @ np.tanh(X), rtol=1e-15)
    pullback(np.ones(4))
    pullback(np.ones(4))
    assert (counted.fwd_calls, counted.bwd_calls) == (2, 6)  # the residuals are reused


def test_custom_vjp_second_order_differentiates_bwd():
    counted = _Counted()

    def loss(x):
        return anp.sum(counted.f(x) ** 2)

    def plain(x):
        return anp.sum((W @ anp.tanh(x)) ** 2)
    np.testing.assert_allclose(ad.jacrev(ad.grad(loss))(X), ad.hessian(plain)(X), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(loss)(X), ad.grad(plain)(X), rtol=1e-14)


@pytest.mark.parametrize("call", [lambda f: ad.jvp(f, (X,), (X,)), lambda f: ad.jacfwd(f)(X),
                                  lambda f: ad.hessian(lambda x: anp.sum(f(x)))(X)])
def test_custom_vjp_has_no_forward_mode(call):
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff .* to the "
                                        r"custom_vjp function <lambda>: it has reverse-mode "
                                        r"rules only\. Use custom_jvp"):
        call(_Counted().f)


def test_custom_vjp_none_cotangent_and_nondiff_argnums():
    @functools.partial(ad.custom_vjp, nondiff_argnums=(0,))
    def scale(c, x, y):
        return c * x + y

    scale.defvjp(lambda c, x, y: (scale(c, x, y), None), lambda c, res, g: (c * g, None))
    gx, gy = ad.grad(lambda x, y: anp.sum(scale(3.0, x, y)), argnums=(0, 1))(X, X)
    np.testing.assert_array_equal(gx, np.full(4, 3.0))
    np.testing.assert_array_equal(gy, np.zeros(4))


def test_custom_vjp_pytree_output():
    @ad.custom_vjp
    def moments(x):
        return {"mean": anp.mean(x), "centered": x - anp.mean(x)}

    def fwd(x):
        return moments(x), x.shape[0]

    def bwd(n, g):
        return (g["mean"] / n + g["centered"] - anp.sum(g["centered"]) / n,)
    moments.defvjp(fwd, bwd)

    def loss(x):
        m = moments(x)
        return m["mean"] * 2.0 + anp.sum(m["centered"] ** 2)
    np.testing.assert_allclose(
        ad.grad(loss)(X), ad.grad(lambda x: anp.mean(x) * 2.0
                                  + anp.sum((x - anp.mean(x)) ** 2))(X), rtol=1e-14)


# -- checkpoint ---------------------------------------------------------------------------------

def _layer(x):
    return anp.tanh(W @ anp.sin(x) + 0.1)


def _deep(layer, depth=8):
    def loss(x):
        for _ in range(depth):
            x = layer(x)
        return anp.sum(x ** 2)
    return loss


def test_checkpoint_gives_the_same_derivatives():
    plain, remat = _deep(_layer), _deep(ad.checkpoint(_layer))
    np.testing.assert_allclose(remat(X), plain(X), rtol=0)
    np.testing.assert_allclose(ad.grad(remat)(X), ad.grad(plain)(X), rtol=1e-14)
    np.testing.assert_allclose(ad.hessian(remat)(X), ad.hessian(plain)(X), rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(ad.grad(remat))(X), ad.hessian(plain)(X), rtol=1e-12)
    assert ad.remat is ad.checkpoint


def test_checkpoint_trades_tape_memory_for_recomputation():
    x = RNG.standard_normal(4)
    plain, remat = _deep(_layer), _deep(ad.checkpoint(_layer))
    with ad.cost.meter() as m_plain:
        ad.grad(plain)(x)
    with ad.cost.meter() as m_remat:
        ad.grad(remat)(x)
    # the outer tape keeps each layer's input, not its three intermediates
    assert m_remat.peak_tape_bytes < m_plain.peak_tape_bytes / 2
    # the same primal work, and each of the 8 layers evaluated once more during the sweep
    _, m_layer = ad.cost.measure(_layer, x)
    assert m_remat.flops["primal"] == m_plain.flops["primal"]
    assert m_remat.flops["vjp"] == m_plain.flops["vjp"] + 8 * m_layer.flops["primal"]


def test_checkpoint_takes_jax_arguments():
    @functools.partial(ad.checkpoint, static_argnums=1, prevent_cse=False)
    def power(x, n):
        return x ** n

    assert ad.grad(power)(2.0, 3) == 12.0
    with pytest.raises(ValueError, match=r"checkpoint: policy='dots' is not supported"):
        ad.checkpoint(_layer, policy="dots")


# -- stop_gradient ------------------------------------------------------------------------------

def test_stop_gradient_is_a_constant_to_every_level():
    assert ad.grad(lambda x: x * ad.stop_gradient(x))(3.0) == 3.0
    assert ad.grad(ad.grad(lambda x: x ** 3 * ad.stop_gradient(x)))(2.0) == 6.0 * 2.0 * 2.0
    tree = ad.stop_gradient({"a": X, "b": (X, 2.0)})
    assert ad.tree.flatten(tree)[1] == ad.tree.flatten({"a": X, "b": (X, 2.0)})[1]
    jac = ad.jacfwd(lambda x: x - ad.stop_gradient(x))(X)
    np.testing.assert_array_equal(jac, np.eye(4))


# -- bad use ------------------------------------------------------------------------------------

def test_custom_errors():
    undefined = ad.custom_jvp(lambda x: x)
    with pytest.raises(TypeError, match=r"custom_jvp function <lambda> has no JVP rule: call "
                                        r"\.defjvp\(rule\) first"):
        ad.grad(undefined)(1.0)
    undefined_vjp = ad.custom_vjp(lambda x: x)
    with pytest.raises(TypeError, match=r"has no VJP rules: call \.defvjp\(fwd, bwd\) first"):
        undefined_vjp(1.0)
    with pytest.raises(TypeError, match=r"custom_jvp: expected a function, got int"):
        ad.custom_jvp(3)

    bad_fwd = ad.custom_vjp(lambda x: x)
    bad_fwd.defvjp(lambda x: x, lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"fwd must return a pair \(output, residuals\), got "
                                        r"ndarray"):
        ad.grad(lambda x: anp.sum(bad_fwd(x)))(X)

    bad_bwd = ad.custom_vjp(lambda x, y: x * y)
    bad_bwd.defvjp(lambda x, y: (x * y, None), lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"bwd must return a tuple of 2 cotangent\(s\), one per "
                                        r"argument, got 1 of them"):
        ad.grad(bad_bwd)(1.0, 2.0)

    bad_shape = ad.custom_vjp(lambda x: anp.sum(x))
    bad_shape.defvjp(lambda x: (anp.sum(x), None), lambda res, g: (g,))
    with pytest.raises(ValueError, match=r"bwd's cotangent 0 has shape \(\) but argument 0 has "
                                         r"shape \(4,\)"):
        ad.grad(bad_shape)(X)

    bad_tangent = ad.custom_jvp(lambda x: anp.sum(x))
    bad_tangent.defjvp(lambda p, t: (anp.sum(p[0]), t[0]))
    with pytest.raises(ValueError, match=r"the JVP rule's tangent has structure \* and shapes "
                                         r"\[\(4,\)\]; the output has \* and \[\(\)\]"):
        ad.jvp(bad_tangent, (X,), (X,))

    integer_out = ad.custom_jvp(lambda x: anp.sum(x) > 0)
    integer_out.defjvp(lambda p, t: (p[0], t[0]))
    with pytest.raises(TypeError, match=r"output leaf 0 has dtype bool; the outputs of a "
                                        r"function with custom derivatives must be "
                                        r"floating-point arrays"):
        ad.grad(lambda x: 1.0 * integer_out(x))(X)

    traced_static = functools.partial(ad.custom_jvp, nondiff_argnums=(0,))(lambda c, x: c * x)
    traced_static.defjvp(lambda c, p, t: (c * p[0], c * t[0]))
    with pytest.raises(TypeError, match=r"argument 0 is in nondiff_argnums but is a traced "
                                        r"array"):
        ad.grad(lambda x: traced_static(x, x))(1.0)


# -- functions that close over a traced value --------------------------------------------------

def _closing_custom_vjp(a):
    @ad.custom_vjp
    def f(x):
        return a * x
    f.defvjp(lambda x: (a * x, x), lambda x, g: (a * g,))
    return f(a)


def _closing_custom_jvp(a):
    @ad.custom_jvp
    def f(x):
        return a * anp.sin(x)
    f.defjvp(lambda p, t: (f(p[0]), a * anp.cos(p[0]) * t[0]))
    return f(a)


@pytest.mark.parametrize("fun, kind", [(_closing_custom_vjp, "custom_vjp"),
                                       (_closing_custom_jvp, "custom_jvp")])
def test_a_custom_rule_closing_over_a_tracer_is_a_clear_error(fun, kind):
    with pytest.raises(TypeError, match=rf"{kind} function f closes over a traced value of an "
                                        rf"enclosing transform .* Pass the value as an argument"):
        ad.grad(fun)(3.0)
    assert fun(3.0) == pytest.approx(3.0 * (3.0 if kind == "custom_vjp" else np.sin(3.0)))


def test_checkpoint_closing_over_a_tracer_is_differentiated_as_it_is_with_a_warning():
    def f(a):
        return anp.sum(ad.checkpoint(lambda x: a * anp.sin(x))(a * np.ones(2)))
    with pytest.warns(RuntimeWarning, match="without rematerialization"):
        g = ad.grad(f)(3.0)
    assert g == pytest.approx(2 * (np.sin(3.0) + 3.0 * np.cos(3.0)), rel=1e-14)
    with pytest.warns(RuntimeWarning):
        h = ad.hessian(f)(3.0)
    assert h == pytest.approx(2 * (2 * np.cos(3.0) - 3.0 * np.sin(3.0)), rel=1e-13)


def test_a_cost_meter_sees_a_closure_over_its_own_values_as_values():
    """cost.measure routes values through the registry as tracers; a custom function closing
    over one of them is not the closure error."""
    def f(x):
        c = 2.0 * x
        g = ad.checkpoint(lambda y: anp.sum(c * anp.sin(y)))
        return g(x)
    x = np.array([0.5, 1.5])
    out, meter = ad.cost.measure(f, x)
    assert out == pytest.approx(float(np.sum(2 * x * np.sin(x))), rel=1e-15)
    assert meter.ops > 0
