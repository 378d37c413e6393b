"""admodes.flatten_util.ravel_pytree (JAX's: values, dtypes, derivatives through both
directions) and admodes.scipy.optimize.minimize (scipy's minimizers with the engines'
gradients, Hessian-vector products and Hessians, on pytrees)."""

import re

import numpy as np
import pytest
import scipy.optimize

import admodes as ad
import admodes.numpy as anp
from admodes.flatten_util import ravel_pytree
from admodes.scipy.optimize import minimize, root

TREE = {"w": np.arange(6.0).reshape(2, 3), "b": (np.array([-1.0, 2.0]), 0.5), "none": None}


def test_ravel_concatenates_the_leaves_in_flatten_order_and_unravel_inverts_it():
    flat, unravel = ravel_pytree(TREE)
    leaves = ad.tree.leaves(TREE)
    np.testing.assert_array_equal(flat, np.concatenate([np.ravel(leaf) for leaf in leaves]))
    back = unravel(flat)
    assert ad.tree.structure(back) == ad.tree.structure(TREE)
    for a, b in zip(ad.tree.leaves(back), leaves):
        np.testing.assert_array_equal(a, b)
        assert np.shape(a) == np.shape(b)


def test_mixed_dtypes_ravel_to_numpys_result_type_and_unravel_to_each_leafs():
    flat, unravel = ravel_pytree({"a": np.ones(2, np.float32), "b": np.ones(1, np.float32)})
    assert flat.dtype == np.float32
    flat, unravel = ravel_pytree({"a": np.ones(2, np.float32), "n": np.arange(2)})
    assert flat.dtype == np.float64
    assert {k: v.dtype for k, v in unravel(flat).items()} == {"a": np.float32, "n": np.int64}
    flat, unravel = ravel_pytree({})
    assert flat.shape == (0,) and unravel(flat) == {}


def test_derivatives_through_ravel_and_unravel():
    params = {"w": TREE["w"], "b": TREE["b"][0]}
    flat, unravel = ravel_pytree(params)

    def loss(p):
        return anp.sum(anp.sin(p["w"]) @ anp.ones(3) * p["b"])
    g = ad.grad(lambda p: loss(p))(params)
    np.testing.assert_allclose(ad.grad(lambda v: loss(unravel(v)))(flat),
                               ravel_pytree(g)[0], rtol=1e-15)
    jac = ad.jacfwd(lambda p: ravel_pytree(p)[0])(params)  # {"b": (n, 2), "w": (n, 2, 3)}
    np.testing.assert_array_equal(
        np.concatenate([jac["b"], jac["w"].reshape(flat.size, -1)], axis=1), np.eye(flat.size))
    ad.check_grads(lambda v: loss(unravel(v)), (flat,), order=2)


def test_unravel_checks_the_vector_shape():
    _, unravel = ravel_pytree(TREE)
    with pytest.raises(ValueError, match=re.escape(
            "unravel: expected a vector of shape (9,) (the raveled pytree")):
        unravel(np.ones(8))


def test_ravel_pytree_equals_jaxs(jax_x64):
    from jax.flatten_util import ravel_pytree as jax_ravel
    np.testing.assert_array_equal(ravel_pytree(TREE)[0], jax_ravel(TREE)[0])


def _rosenbrock(p, scale=100.0):
    return (1 - p["x"]) ** 2 + scale * anp.sum((p["y"] - p["x"] ** 2) ** 2)


X0 = {"x": -1.2, "y": np.array([1.0, 0.8])}


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "trust-ncg",
                                    "trust-krylov", "trust-exact", "dogleg", "trust-constr",
                                    "SLSQP"])
def test_every_gradient_method_reaches_the_minimum_of_a_pytree_objective(method):
    tol = None if method == "trust-krylov" else 1e-12  # its default stops at fun ≈ 1e-13
    result = minimize(_rosenbrock, X0, method=method, tol=tol, options={"maxiter": 2000})
    assert result.success, result.message
    np.testing.assert_allclose(result.x["x"], 1.0, atol=1e-4)
    np.testing.assert_allclose(result.x["y"], [1.0, 1.0], atol=1e-4)
    gradient = result.grad if method == "trust-constr" else result.jac
    assert ad.tree.structure(gradient) == ad.tree.structure(X0)


def test_same_iterates_as_scipy_with_a_hand_written_gradient():
    def f(v):
        return (1 - v[0]) ** 2 + 100 * np.sum((v[1:] - v[0] ** 2) ** 2)

    def df(v):
        r = v[1:] - v[0] ** 2
        return np.concatenate([[-2 * (1 - v[0]) - 400 * v[0] * np.sum(r)], 200 * r])
    flat0 = ravel_pytree(X0)[0]
    expected = scipy.optimize.minimize(f, flat0, jac=df, method="BFGS")
    ours = minimize(_rosenbrock, X0, method="BFGS")
    assert ours.nit == expected.nit and ours.nfev == expected.nfev
    np.testing.assert_allclose(ravel_pytree(ours.x)[0], expected.x, rtol=1e-10)


def test_args_bounds_and_callbacks_with_the_pytree():
    seen, states = [], []
    result = minimize(_rosenbrock, X0, (10.0,), method="L-BFGS-B",
                      bounds=[(-2.0, 0.5)] * 3, callback=seen.append)
    np.testing.assert_allclose(result.x["x"], 0.5, atol=1e-6)  # on the bound
    assert seen and all(set(p) == {"x", "y"} for p in seen)
    minimize(_rosenbrock, X0, method="BFGS",
             callback=lambda intermediate_result: states.append(intermediate_result))
    assert states and set(states[-1].x) == {"x", "y"}


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: minimize(_rosenbrock, {"x": 1, "y": np.array([1, 2])}, method="BFGS"), TypeError,
     "minimize: x0 must hold floating-point arrays, got dtype int64"),
    (lambda: minimize(lambda p: p, np.ones(2), method="BFGS"), TypeError,
     "grad requires a scalar output"),
    (lambda: minimize(_rosenbrock, X0, 10.0), TypeError, "minimize: args must be a tuple"),
    (lambda: minimize("f", X0), TypeError, "minimize: fun must be callable, got str"),
    (lambda: ad.grad(lambda s: minimize(_rosenbrock, {"x": s, "y": np.ones(2)}).fun)(1.0),
     TypeError, "minimize: x0 must be a plain value (an initial guess"),
    (lambda: ad.grad(lambda s: minimize(lambda x, s: anp.sum((x - s) ** 2), np.ones(2), (s,),
                                        bounds=[(0, 1)] * 2).fun)(1.0),
     TypeError, "minimize: differentiating the minimizer in args needs an unconstrained problem"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# -- the minimizer differentiated in args (implicit function theorem) ----------------------------

_A = np.random.default_rng(2).standard_normal((20, 5))
_B = np.random.default_rng(3).standard_normal(20)
_VAL_A = np.random.default_rng(4).standard_normal((10, 5))
_VAL_B = np.random.default_rng(5).standard_normal(10)


def _ridge(w, lam):
    return 0.5 * anp.sum((_A @ w - _B) ** 2) + 0.5 * lam * anp.sum(w ** 2)


def _validation(w):
    return 0.5 * anp.sum((_VAL_A @ w - _VAL_B) ** 2)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Newton-CG", "trust-exact"])
def test_hyperparameter_gradient_through_the_minimizer_equals_the_closed_form(method):
    """d/dλ of a validation loss at w*(λ) = argmin ridge(w, λ), to second order: the
    implicit function theorem on ∇ridge = 0 against w* = (AᵀA + λI)⁻¹Aᵀb."""
    def bilevel(lam):
        options = {"gtol": 1e-12} if method == "trust-exact" else None
        result = minimize(_ridge, np.zeros(5), (lam,), method=method, tol=1e-13,
                          options=options)
        return _validation(result.x)

    def closed(lam):
        return _validation(anp.linalg.solve(_A.T @ _A + lam * np.eye(5), _A.T @ _B))
    for transform in (ad.grad, ad.jacfwd, ad.hessian):
        np.testing.assert_allclose(transform(bilevel)(0.7), transform(closed)(0.7), rtol=1e-6)


def test_a_pytree_of_traced_args_and_the_value_at_the_minimum():
    def inner(p, data):
        return anp.sum((p["w"] * data["x"] + p["b"] - data["y"]) ** 2) + 0.1 * anp.sum(
            p["w"] ** 2)
    data = {"x": np.linspace(0.0, 1.0, 8), "y": np.sin(np.linspace(0.0, 1.0, 8))}

    def value(y):
        result = minimize(inner, {"w": 0.0, "b": 0.0}, ({"x": data["x"], "y": y},),
                          method="BFGS", tol=1e-13)
        assert set(result.x) == {"w", "b"}
        return result.fun  # f(x*, y): its gradient is ∂f/∂y at x* (the envelope theorem)

    w_b = minimize(inner, {"w": 0.0, "b": 0.0}, (data,), method="BFGS", tol=1e-13).x
    residual = w_b["w"] * data["x"] + w_b["b"] - data["y"]
    np.testing.assert_allclose(ad.grad(value)(data["y"]), -2 * residual, rtol=1e-6, atol=1e-9)


# -- root --------------------------------------------------------------------------------------

_W = 0.4 * np.random.default_rng(6).standard_normal((3, 3))


def _equilibrium(x, theta):
    return x + anp.tanh(_W @ x) - theta


@pytest.mark.parametrize("method", ["hybr", "lm", "broyden1", "krylov"])
def test_root_finds_scipys_root_and_its_implicit_jacobian(method):
    theta = np.array([0.3, -0.2, 0.5])
    tol = {"hybr": 1e-13, "lm": 1e-13}.get(method, 1e-12)
    plain = root(_equilibrium, np.zeros(3), (theta,), method=method, tol=tol)
    assert plain.success
    np.testing.assert_allclose(_equilibrium(plain.x, theta), 0.0, atol=1e-9)
    x = plain.x
    J = np.eye(3) + (1 - np.tanh(_W @ x) ** 2)[:, None] * _W  # ∂F/∂x; ∂F/∂θ = −I
    jac = ad.jacfwd(lambda t: root(_equilibrium, np.zeros(3), (t,), method=method,
                                   tol=tol).x)(theta)
    np.testing.assert_allclose(jac, np.linalg.inv(J), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.jacrev(lambda t: root(_equilibrium, np.zeros(3), (t,),
                                                        method=method, tol=tol).x)(theta),
                               np.linalg.inv(J), rtol=1e-6, atol=1e-8)


def test_root_second_derivative_and_pytrees():
    def cube_root(a):
        out = root(lambda p, a: {"x": p["x"] ** 3 - a}, {"x": np.ones(1)}, (a,), tol=1e-14)
        assert set(out.x) == {"x"} and set(out.fun) == {"x"}
        return out.x["x"][0]
    a = 8.0
    assert ad.grad(cube_root)(a) == pytest.approx(a ** (-2 / 3) / 3, rel=1e-10)
    assert ad.hessian(cube_root)(a) == pytest.approx(-2 / 9 * a ** (-5 / 3), rel=1e-8)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: root(lambda x: x[:1], np.ones(2)), ValueError,
     "root: fun must return 2 values (x0's size: a square system), got 1"),
    (lambda: root(lambda x: x, np.ones(2, int)), TypeError,
     "root: x0 must hold floating-point arrays, got dtype int64"),
    (lambda: root(lambda x, a: x - a, np.ones(1), 1.0), TypeError,
     "root: args must be a tuple"),
    (lambda: ad.grad(lambda s: root(lambda x: x - 1.0, s * np.ones(1)).x[0])(1.0), TypeError,
     "root: x0 must be a plain value"),
])
def test_root_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_root_that_does_not_converge_warns_when_differentiated():
    with pytest.warns(RuntimeWarning, match="root: scipy's hybr did not converge"):
        ad.grad(lambda a: root(lambda x, a: x ** 3 - a, 10.0 * np.ones(1), (a,),
                               options={"maxfev": 2}).x[0])(1.0)
