"""The JAX-signature transforms: signatures, argnums, has_aux, chunk_size, layouts, pytrees,
and the numpy-like front end they are used with."""

import collections

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.tracing import Tracer


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def f_issue(x, W):
    return anp.sum(anp.tanh(W @ x) ** 2)


def issue_closed_forms(x, W):
    """Value, gradients and x-Hessian of sum(tanh(Wx)^2)."""
    t = np.tanh(W @ x)
    d = 2 * t * (1 - t ** 2)                       # d f / d z, z = W x
    d2 = 2 * (1 - t ** 2) * (1 - 3 * t ** 2)       # d^2 f / d z^2 (diagonal)
    return np.sum(t ** 2), W.T @ d, np.outer(d, x), W.T @ (d2[:, None] * W)


# -- the example from the issue -------------------------------------------------------------------

def test_issue_example_runs_as_written():
    np.random.seed(0)

    def f(x, W):
        return anp.sum(anp.tanh(W @ x) ** 2)
    x, W = np.random.randn(5), np.random.randn(3, 5)
    dx, dW, v = np.ones(5), np.zeros((3, 5)), np.ones(5)
    g = ad.grad(f)(x, W)
    jx, jW = ad.jacfwd(f, argnums=(0, 1))(x, W)
    out, tangent = ad.jvp(f, (x, W), (dx, dW))
    out2, pullback = ad.vjp(f, x, W)
    gx, gW = pullback(1.0)
    H = ad.hessian(f)(x, W)
    hv = ad.hvp(lambda x: f(x, W), x, v)

    value, grad_x, grad_W, hess = issue_closed_forms(x, W)
    np.testing.assert_allclose(g, grad_x, rtol=1e-12)
    np.testing.assert_allclose(jx, grad_x, rtol=1e-12)
    np.testing.assert_allclose(jW, grad_W, rtol=1e-12)
    np.testing.assert_allclose(out, value, rtol=1e-12)
    np.testing.assert_allclose(out2, value, rtol=1e-12)
    np.testing.assert_allclose(tangent, grad_x @ dx + np.sum(grad_W * dW), rtol=1e-12)
    np.testing.assert_allclose(gx, grad_x, rtol=1e-12)
    np.testing.assert_allclose(gW, grad_W, rtol=1e-12)
    assert H.shape == (5, 5)
    np.testing.assert_allclose(H, hess, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hv, hess @ v, rtol=1e-10, atol=1e-12)


# -- jvp ------------------------------------------------------------------------------------------

def test_jvp_signature_and_value(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((3, 4))
    tx, tW = rng.standard_normal(4), rng.standard_normal((3, 4))
    out, tangent = ad.jvp(f_issue, (x, W), (tx, tW))
    value, gx, gW, _ = issue_closed_forms(x, W)
    np.testing.assert_allclose(out, value)
    np.testing.assert_allclose(tangent, gx @ tx + np.sum(gW * tW))
    # lists are accepted for primals and tangents, as in JAX
    out_l, tangent_l = ad.jvp(f_issue, [x, W], [tx, tW])
    np.testing.assert_allclose(out_l, out)
    np.testing.assert_allclose(tangent_l, tangent)


def test_jvp_vector_output_is_linear_in_the_tangent(rng):
    x, t = rng.standard_normal(3), rng.standard_normal(3)
    out, tangent = ad.jvp(anp.sin, (x,), (t,))
    np.testing.assert_allclose(out, np.sin(x))
    np.testing.assert_allclose(tangent, np.cos(x) * t)
    _, tangent3 = ad.jvp(anp.sin, (x,), (3.0 * t,))
    np.testing.assert_allclose(tangent3, 3.0 * tangent)


def test_jvp_has_aux(rng):
    x, t = rng.standard_normal(3), rng.standard_normal(3)

    def f(x):
        y = anp.exp(x)
        return anp.sum(y), {"y": y, "label": "exp"}
    out, tangent, aux = ad.jvp(f, (x,), (t,), has_aux=True)
    np.testing.assert_allclose(out, np.sum(np.exp(x)))
    np.testing.assert_allclose(tangent, np.exp(x) @ t)
    assert aux["label"] == "exp"
    assert not isinstance(aux["y"], Tracer)
    np.testing.assert_allclose(aux["y"], np.exp(x))


def test_jvp_scalar_python_floats():
    out, tangent = ad.jvp(lambda a, b: a * b + anp.sin(a), (2.0, 3.0), (1.0, 0.0))
    np.testing.assert_allclose(out, 6.0 + np.sin(2.0))
    np.testing.assert_allclose(tangent, 3.0 + np.cos(2.0))


# -- vjp ------------------------------------------------------------------------------------------

def test_vjp_returns_one_entry_per_primal(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((3, 4))
    out, pullback = ad.vjp(f_issue, x, W)
    value, gx, gW, _ = issue_closed_forms(x, W)
    np.testing.assert_allclose(out, value)
    cts = pullback(1.0)
    assert isinstance(cts, tuple) and len(cts) == 2
    np.testing.assert_allclose(cts[0], gx)
    np.testing.assert_allclose(cts[1], gW)
    assert cts[0].shape == x.shape and cts[1].shape == W.shape

    _, pullback1 = ad.vjp(anp.sin, x)
    single = pullback1(np.ones(4))
    assert isinstance(single, tuple) and len(single) == 1
    np.testing.assert_allclose(single[0], np.cos(x))


def test_vjp_pullback_callable_many_times(rng):
    A, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    _, pullback = ad.vjp(lambda x: anp.tanh(A @ x), x)
    J = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    for _ in range(3):
        for i in range(3):
            (row,) = pullback(np.eye(3)[i])
            np.testing.assert_allclose(row, J[i])
    u = rng.standard_normal(3)
    np.testing.assert_allclose(pullback(2.0 * u)[0], 2.0 * (u @ J))


def test_vjp_cotangent_of_an_integer_output_is_unused(rng):
    """lstsq returns numpy's integer rank: its cotangent may be the output itself (or any
    value of its shape); a float output still needs a float cotangent."""
    a, b = rng.standard_normal((4, 2)), rng.standard_normal(4)
    out, pullback = ad.vjp(anp.linalg.lstsq, a, b)
    assert isinstance(out[2], np.integer) and out[2] == 2
    _, gb = pullback((np.ones(2), np.zeros(1), out[2], np.zeros(2)))
    np.testing.assert_allclose(gb, np.linalg.pinv(a).T @ np.ones(2), rtol=1e-12)
    with pytest.raises(TypeError, match=r"vjp pullback: cotangent leaf 0 has integer dtype"):
        pullback((np.ones(2, dtype=int), np.zeros(1), out[2], np.zeros(2)))


def test_vjp_has_aux(rng):
    x = rng.standard_normal(3)
    out, pullback, aux = ad.vjp(lambda x: (anp.sin(x), anp.cos(x)), x, has_aux=True)
    np.testing.assert_allclose(out, np.sin(x))
    np.testing.assert_allclose(aux, np.cos(x))
    assert not isinstance(aux, Tracer)
    np.testing.assert_allclose(pullback(np.ones(3))[0], np.cos(x))


# -- grad / value_and_grad ------------------------------------------------------------------------

def test_grad_argnums_int_tuple_and_negative(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((3, 4))
    _, gx, gW, _ = issue_closed_forms(x, W)
    np.testing.assert_allclose(ad.grad(f_issue)(x, W), gx)
    np.testing.assert_allclose(ad.grad(f_issue, argnums=1)(x, W), gW)
    np.testing.assert_allclose(ad.grad(f_issue, argnums=-1)(x, W), gW)
    both = ad.grad(f_issue, argnums=(0, 1))(x, W)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(both[0], gx)
    np.testing.assert_allclose(both[1], gW)
    (only,) = ad.grad(f_issue, argnums=(1,))(x, W)
    np.testing.assert_allclose(only, gW)
    reversed_ = ad.grad(f_issue, argnums=(1, 0))(x, W)
    np.testing.assert_allclose(reversed_[0], gW)
    np.testing.assert_allclose(reversed_[1], gx)


def test_grad_has_aux(rng):
    x = rng.standard_normal(3)

    def loss(x):
        pred = anp.sin(x)
        return anp.sum(pred ** 2), {"pred": pred}
    g, aux = ad.grad(loss, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x))
    assert not isinstance(aux["pred"], Tracer)
    np.testing.assert_allclose(aux["pred"], np.sin(x))


def test_value_and_grad(rng):
    x, W = rng.standard_normal(4), rng.standard_normal((3, 4))
    value, g = ad.value_and_grad(f_issue)(x, W)
    v_ref, gx, gW, _ = issue_closed_forms(x, W)
    assert not isinstance(value, Tracer)
    np.testing.assert_allclose(value, v_ref)
    np.testing.assert_allclose(g, gx)
    value2, (g0, g1) = ad.value_and_grad(f_issue, argnums=(0, 1))(x, W)
    np.testing.assert_allclose(value2, v_ref)
    np.testing.assert_allclose(g0, gx)
    np.testing.assert_allclose(g1, gW)

    (value3, aux), g3 = ad.value_and_grad(lambda x: (anp.sum(x ** 3), x * 2), has_aux=True)(x)
    np.testing.assert_allclose(value3, np.sum(x ** 3))
    np.testing.assert_allclose(aux, 2 * x)
    np.testing.assert_allclose(g3, 3 * x ** 2)


def test_grad_keeps_float32(rng):
    x = rng.standard_normal(3).astype(np.float32)
    g = ad.grad(lambda x: anp.sum(anp.sin(x)))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)


MIXED_PRECISION = {  # float64 constants promote the float32 input's values
    "multiply": lambda x: np.arange(3.0) * x,
    "matmul": lambda x: np.eye(3) @ x,
    "add": lambda x: np.arange(3.0) + x,
}


@pytest.mark.parametrize("name", sorted(MIXED_PRECISION))
def test_derivatives_have_their_primals_dtype_under_promotion(name):
    """As in JAX: cotangents of a float32 input are float32, tangents of a float64 output are
    float64, also where the program promotes float32 to float64."""
    f = MIXED_PRECISION[name]
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    jac = np.diag(np.arange(3.0)) if name == "multiply" else np.eye(3)
    assert ad.grad(lambda x: anp.sum(f(x)))(x).dtype == np.float32
    _, pullback = ad.vjp(f, x)
    assert pullback(np.ones(3))[0].dtype == np.float32
    rows = ad.jacrev(f)(x)
    assert rows.dtype == np.float32
    np.testing.assert_array_equal(rows, jac)
    columns = ad.jacfwd(f)(x)
    assert columns.dtype == np.float64
    np.testing.assert_array_equal(columns, jac)
    assert ad.jvp(f, (x,), (np.ones(3, np.float32),))[1].dtype == np.float64
    assert ad.linearize(f, x)[1](np.ones(3, np.float32)).dtype == np.float64
    assert ad.hessian(lambda x: anp.sum(f(x) ** 2))(x).dtype == np.float32


def test_python_number_output_has_a_float64_zero_derivative():
    x = np.ones(2)
    for jac in (ad.jacrev, ad.jacfwd):
        jx, j1 = jac(lambda x: (x, 1.0))(x)
        np.testing.assert_array_equal(jx, np.eye(2))
        assert j1.dtype == np.float64 and j1.shape == (2,) and not j1.any()
    assert ad.jvp(lambda x: 1.0, (x,), (x,))[1].dtype == np.float64


def test_grad_of_function_ignoring_its_input_is_zero(rng):
    x = rng.standard_normal(3)
    g = ad.grad(lambda x: anp.sum(np.ones(3)))(x)
    assert g.shape == (3,)
    np.testing.assert_array_equal(g, 0.0)


# -- jacfwd / jacrev ------------------------------------------------------------------------------

JACOBIANS = [ad.jacfwd, ad.jacrev]


@pytest.mark.parametrize("jac", JACOBIANS, ids=["jacfwd", "jacrev"])
@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_jacobian_layout_out_shape_plus_in_shape(jac, chunk_size, rng):
    A = rng.standard_normal((4, 2, 2, 3))
    X = rng.standard_normal((2, 3))

    def f(X):  # (2, 3) -> (4, 2)
        return anp.einsum("abij,ij->ab", A, anp.sin(X))
    J = jac(f, chunk_size=chunk_size)(X)
    assert J.shape == (4, 2, 2, 3)
    np.testing.assert_allclose(J, A * np.cos(X), rtol=1e-12)


@pytest.mark.parametrize("jac", JACOBIANS, ids=["jacfwd", "jacrev"])
@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_jacobian_argnums(jac, chunk_size, rng):
    x, y = rng.standard_normal(3), rng.standard_normal(2)

    def f(x, y):  # R^3 x R^2 -> R^(3,2)
        return anp.outer(anp.sin(x), y)
    Jx_ref = np.zeros((3, 2, 3))
    Jy_ref = np.zeros((3, 2, 2))
    for i in range(3):
        for j in range(2):
            Jx_ref[i, j, i] = np.cos(x[i]) * y[j]
            Jy_ref[i, j, j] = np.sin(x[i])
    np.testing.assert_allclose(jac(f, chunk_size=chunk_size)(x, y), Jx_ref)
    np.testing.assert_allclose(jac(f, argnums=1, chunk_size=chunk_size)(x, y), Jy_ref)
    Jx, Jy = jac(f, argnums=(0, 1), chunk_size=chunk_size)(x, y)
    assert Jx.shape == (3, 2, 3) and Jy.shape == (3, 2, 2)
    np.testing.assert_allclose(Jx, Jx_ref)
    np.testing.assert_allclose(Jy, Jy_ref)


@pytest.mark.parametrize("jac", JACOBIANS, ids=["jacfwd", "jacrev"])
def test_jacobian_has_aux(jac, rng):
    x = rng.standard_normal(3)
    J, aux = jac(lambda x: (anp.exp(x), anp.sum(x)), has_aux=True)(x)
    np.testing.assert_allclose(J, np.diag(np.exp(x)))
    assert not isinstance(aux, Tracer)
    np.testing.assert_allclose(aux, np.sum(x))


@pytest.mark.parametrize("jac", JACOBIANS, ids=["jacfwd", "jacrev"])
@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_jacobian_pytree_inputs_and_outputs(jac, chunk_size, rng):
    # input leaves of sizes 2 and 6 (chunks of 3 straddle the boundary), outputs a pytree
    params = {"b": rng.standard_normal(2), "w": rng.standard_normal((2, 3))}
    x = rng.standard_normal(3)

    def f(params, x):
        z = params["w"] @ x + params["b"]
        return {"z": z, "extra": (anp.sum(z ** 2), 3.0 * params["b"])}
    J = jac(f, chunk_size=chunk_size)(params, x)
    assert set(J) == {"z", "extra"}
    assert isinstance(J["extra"], tuple) and len(J["extra"]) == 2
    z = params["w"] @ x + params["b"]
    np.testing.assert_allclose(J["z"]["b"], np.eye(2))
    np.testing.assert_allclose(J["z"]["w"], np.einsum("ij,k->ijk", np.eye(2), x))
    np.testing.assert_allclose(J["extra"][0]["b"], 2 * z)
    np.testing.assert_allclose(J["extra"][0]["w"], 2 * np.outer(z, x))
    np.testing.assert_allclose(J["extra"][1]["b"], 3 * np.eye(2))
    np.testing.assert_allclose(J["extra"][1]["w"], np.zeros((2, 2, 3)))
    assert J["z"]["w"].shape == (2, 2, 3)
    assert J["extra"][0]["w"].shape == (2, 3)


@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_jacfwd_equals_jacrev_on_pytrees(chunk_size, rng):
    a = [rng.standard_normal(3), (rng.standard_normal((2, 2)),)]

    def f(a):
        x, (m,) = a
        return [anp.sum(m @ m) * x, anp.tanh(m)]
    Jf = ad.jacfwd(f, chunk_size=chunk_size)(a)
    Jr = ad.jacrev(f, chunk_size=chunk_size)(a)
    leaves_f, def_f = ad.tree.flatten(Jf)
    leaves_r, def_r = ad.tree.flatten(Jr)
    assert def_f == def_r
    assert isinstance(Jf, list) and isinstance(Jf[0], list) and isinstance(Jf[0][1], tuple)
    assert Jf[0][0].shape == (3, 3) and Jf[0][1][0].shape == (3, 2, 2)
    assert Jf[1][1][0].shape == (2, 2, 2, 2)
    for lf, lr in zip(leaves_f, leaves_r):
        np.testing.assert_allclose(lf, lr, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("jac", JACOBIANS, ids=["jacfwd", "jacrev"])
def test_jacobian_scalar_input_and_scalar_output(jac, rng):
    x = rng.standard_normal(4)
    J_in = jac(lambda t: anp.sin(t * x))(0.3)
    assert np.shape(J_in) == (4,)
    np.testing.assert_allclose(J_in, np.cos(0.3 * x) * x)
    J_out = jac(lambda v: anp.sum(v ** 3))(x)
    assert np.shape(J_out) == (4,)
    np.testing.assert_allclose(J_out, 3 * x ** 2)


# -- hessian / hvp --------------------------------------------------------------------------------

def test_hessian_closed_form(rng):
    x, W = rng.standard_normal(5), rng.standard_normal((3, 5))
    *_, hess = issue_closed_forms(x, W)
    np.testing.assert_allclose(ad.hessian(f_issue)(x, W), hess, rtol=1e-10, atol=1e-12)


def test_hessian_argnums_tuple_gives_nested_blocks(rng):
    x, y = rng.standard_normal(3), rng.standard_normal(3)

    def f(x, y):
        return anp.sum(x ** 2 * y ** 3)
    H = ad.hessian(f, argnums=(0, 1))(x, y)
    assert isinstance(H, tuple) and len(H) == 2
    assert all(isinstance(row, tuple) and len(row) == 2 for row in H)
    np.testing.assert_allclose(H[0][0], np.diag(2 * y ** 3))
    np.testing.assert_allclose(H[0][1], np.diag(6 * x * y ** 2))
    np.testing.assert_allclose(H[1][0], np.diag(6 * x * y ** 2))
    np.testing.assert_allclose(H[1][1], np.diag(6 * x ** 2 * y))

    # blocks of differently shaped arguments: in_i + in_j
    W = rng.standard_normal((2, 3))
    Hb = ad.hessian(f_issue, argnums=(0, 1))(x, W)
    assert Hb[0][0].shape == (3, 3) and Hb[0][1].shape == (3, 2, 3)
    assert Hb[1][0].shape == (2, 3, 3) and Hb[1][1].shape == (2, 3, 2, 3)
    np.testing.assert_allclose(Hb[0][1], np.transpose(Hb[1][0], (2, 0, 1)), atol=1e-12)


def test_hessian_has_aux(rng):
    x = rng.standard_normal(3)
    H, aux = ad.hessian(lambda x: (anp.sum(x ** 3), x + 1.0), has_aux=True)(x)
    np.testing.assert_allclose(H, np.diag(6 * x))
    assert not isinstance(aux, Tracer)
    np.testing.assert_allclose(aux, x + 1.0)


def test_hvp_single_array_and_tuple(rng):
    x, W, v = rng.standard_normal(5), rng.standard_normal((3, 5)), rng.standard_normal(5)
    *_, hess = issue_closed_forms(x, W)
    hv = ad.hvp(lambda x: f_issue(x, W), x, v)
    assert hv.shape == (5,)
    np.testing.assert_allclose(hv, hess @ v, rtol=1e-10, atol=1e-12)
    (hv_t,) = ad.hvp(lambda x: f_issue(x, W), (x,), (v,))
    np.testing.assert_allclose(hv_t, hess @ v, rtol=1e-10, atol=1e-12)

    dW = rng.standard_normal((3, 5))
    H = ad.hessian(f_issue, argnums=(0, 1))(x, W)
    hx, hW = ad.hvp(f_issue, (x, W), (v, dW))
    np.testing.assert_allclose(hx, H[0][0] @ v + np.tensordot(H[0][1], dW, 2), atol=1e-12)
    np.testing.assert_allclose(hW, H[1][0] @ v + np.tensordot(H[1][1], dW, 2), atol=1e-12)


# -- pytrees in and out ---------------------------------------------------------------------------

def test_grad_pytree_arguments_same_structure(rng):
    params = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    batch = [rng.standard_normal(3), (rng.standard_normal(2),)]

    def loss(params, batch):
        x, (y,) = batch
        r = params["w"] @ x + params["b"] - y
        return anp.sum(r ** 2)
    gp, gb = ad.grad(loss, argnums=(0, 1))(params, batch)
    x, (y,) = batch
    r = params["w"] @ x + params["b"] - y
    assert isinstance(gp, dict) and set(gp) == {"w", "b"}
    assert isinstance(gb, list) and isinstance(gb[1], tuple) and len(gb[1]) == 1
    np.testing.assert_allclose(gp["w"], 2 * np.outer(r, x))
    np.testing.assert_allclose(gp["b"], 2 * r)
    np.testing.assert_allclose(gb[0], 2 * params["w"].T @ r)
    np.testing.assert_allclose(gb[1][0], -2 * r)


def test_namedtuple_parameters_and_outputs(rng):
    Params = collections.namedtuple("Params", "w b")
    params = Params(rng.standard_normal((2, 3)), rng.standard_normal(2))
    x = rng.standard_normal(3)

    def loss(p):
        return anp.sum((p.w @ x + p.b) ** 2)
    g = ad.grad(loss)(params)
    r = params.w @ x + params.b
    assert type(g) is Params
    np.testing.assert_allclose(g.w, 2 * np.outer(r, x))
    np.testing.assert_allclose(g.b, 2 * r)
    jac = ad.jacfwd(lambda p: Params(p.w * 2.0, anp.sum(p.b)))(params)
    assert type(jac) is Params and type(jac.w) is Params
    assert jac.w.w.shape == (2, 3, 2, 3) and jac.b.b.shape == (2,)


def test_jvp_and_vjp_pytrees(rng):
    a, b = rng.standard_normal(3), rng.standard_normal((2, 2))
    ta, tb = rng.standard_normal(3), rng.standard_normal((2, 2))

    def f(tree):
        return {"s": anp.sum(tree["a"]) * tree["m"][0], "t": (anp.exp(tree["a"]),)}
    primal = {"a": a, "m": [b]}
    out, tangent = ad.jvp(f, (primal,), ({"a": ta, "m": [tb]},))
    assert set(out) == {"s", "t"} and isinstance(tangent["t"], tuple)
    np.testing.assert_allclose(out["s"], np.sum(a) * b)
    np.testing.assert_allclose(tangent["s"], np.sum(ta) * b + np.sum(a) * tb)
    np.testing.assert_allclose(tangent["t"][0], np.exp(a) * ta)

    out2, pullback = ad.vjp(f, primal)
    np.testing.assert_allclose(out2["s"], out["s"])
    cs, ct = rng.standard_normal((2, 2)), rng.standard_normal(3)
    (g,) = pullback({"s": cs, "t": (ct,)})
    assert isinstance(g, dict) and isinstance(g["m"], list)
    np.testing.assert_allclose(g["a"], np.sum(cs * b) + np.exp(a) * ct)
    np.testing.assert_allclose(g["m"][0], np.sum(a) * cs)
    # dot-product identity between the two
    lhs = np.sum(cs * tangent["s"]) + ct @ tangent["t"][0]
    rhs = g["a"] @ ta + np.sum(g["m"][0] * tb)
    np.testing.assert_allclose(lhs, rhs)


# -- the numpy-like front end ---------------------------------------------------------------------

def test_array_from_nested_lists_mixing_tracers_and_numbers(rng):
    p, y = rng.standard_normal(2), rng.standard_normal(2)

    def rhs(y, p):
        return anp.array([p[0] * y[0] - y[1], y[0]])
    np.testing.assert_allclose(rhs(y, p), [p[0] * y[0] - y[1], y[0]])
    Jy_ref = np.array([[p[0], -1.0], [1.0, 0.0]])
    Jp_ref = np.array([[y[0], 0.0], [0.0, 0.0]])
    for jac in JACOBIANS:
        np.testing.assert_allclose(jac(rhs)(y, p), Jy_ref)
        np.testing.assert_allclose(jac(rhs, argnums=1)(y, p), Jp_ref)

    def det2(x):
        m = anp.asarray([[x[0], 1.0], [2.0, x[1] * x[0]]])
        return anp.linalg.det(m)
    x = rng.standard_normal(2)
    np.testing.assert_allclose(ad.grad(det2)(x), [2 * x[0] * x[1], x[0] ** 2], rtol=1e-10)
    np.testing.assert_allclose(ad.jacfwd(det2)(x), [2 * x[0] * x[1], x[0] ** 2], rtol=1e-10)


def test_tracer_array_methods(rng):
    x = rng.standard_normal(6)
    v = rng.standard_normal(3)
    mask = np.array([True, False, True, True, False, False])
    seen = {}

    def f(x):
        seen["shape"], seen["ndim"], seen["size"], seen["len"] = x.shape, x.ndim, x.size, len(x)
        m = x.reshape(2, 3)
        seen["m_shape"], seen["T_shape"] = m.shape, m.T.shape
        total = m.T.sum() + m.sum(axis=0).dot(v)           # sum(x) + v·(column sums)
        total = total + sum(xi * xi for xi in x)            # iteration
        total = total + anp.sum(x[1:3] * 10.0) + anp.sum(x[[0, 2]] ** 3) + anp.sum(x[mask])
        return total
    g = ad.grad(f)(x)
    assert seen == {"shape": (6,), "ndim": 1, "size": 6, "len": 6, "m_shape": (2, 3),
                    "T_shape": (3, 2)}
    expected = 1.0 + np.tile(v, 2) + 2 * x + mask
    expected[1:3] += 10.0
    expected[[0, 2]] += 3 * x[[0, 2]] ** 2
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(ad.jacfwd(f)(x), expected)

TRACER_METHODS = {  # method call on a traced array -> the same call on a numpy array
    "swapaxes": lambda a: a.swapaxes(0, 2),
    "diagonal": lambda a: a.diagonal(1, 1, 2),
    "trace": lambda a: a.trace(0, 0, 2),
    "repeat": lambda a: a.repeat(2, axis=1),
    "take": lambda a: a.take([0, 2], axis=2),
    "cumprod": lambda a: a.cumprod(axis=1),
    "copy": lambda a: a.copy(),
    "conj": lambda a: a.conj(),
    "real": lambda a: a.real,
    "mT": lambda a: a.mT,
}


@pytest.mark.parametrize("name", sorted(TRACER_METHODS))
def test_more_tracer_array_methods_match_numpy_and_differentiate(name, rng):
    call = TRACER_METHODS[name]
    a = rng.standard_normal((2, 3, 3))
    np.testing.assert_allclose(ad.jvp(call, (a,), (a,))[0], call(a))
    ad.check_grads(call, (a,), order=2)


def test_integer_valued_tracer_methods_act_on_values(rng):
    a = rng.standard_normal((2, 3))
    seen = {}

    def f(a):
        seen.update(argmax=a.argmax(axis=1), argmin=a.argmin(), argsort=a.argsort(),
                    nonzero=a.nonzero(), any=a.any(), all=(a > -10).all(), round=a.round(1),
                    imag=a.imag)
        return anp.sum(a)
    ad.grad(f)(a)
    np.testing.assert_array_equal(seen["argmax"], a.argmax(axis=1))
    assert seen["argmin"] == a.argmin() and seen["any"] and seen["all"]
    np.testing.assert_array_equal(seen["argsort"], a.argsort())
    np.testing.assert_array_equal(seen["round"], a.round(1))
    for ours, theirs in zip(seen["nonzero"], a.nonzero()):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(("call", "match"), [
    (lambda a: a.sort(), r"x\.sort\(\) sorts in place"),
    (lambda a: a.item(), r"item\(\) on a traced array would drop its derivative"),
    (lambda a: a.tolist(), r"tolist\(\) on a traced array would drop its derivative")])
def test_tracer_methods_that_would_drop_the_derivative_raise(call, match):
    with pytest.raises(TypeError, match=match):
        ad.grad(lambda a: (call(a), anp.sum(a))[1])(np.ones(3))



def test_numpy_ufuncs_on_tracers_dispatch_to_the_registry(rng):
    x = rng.standard_normal(3)
    A = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    kinds = []

    def f(x):
        y = np.sin(x)
        kinds.append(isinstance(y, Tracer))
        z = np.multiply(np.exp(x), y) + np.abs(x) + np.true_divide(x, 2.0)
        return np.sum(np.linalg.solve(A, z)) + np.dot(x, x)
    c = np.linalg.solve(A.T, np.ones(3))
    expected = c * (np.exp(x) * np.sin(x) + np.exp(x) * np.cos(x) + np.sign(x) + 0.5) + 2 * x
    np.testing.assert_allclose(ad.grad(f)(x), expected)
    np.testing.assert_allclose(ad.jacfwd(f)(x), expected)
    assert kinds == [True, True]


def test_piecewise_constant_numpy_functions_act_on_values(rng):
    # floor, argmax, ... have derivative zero (almost everywhere): they return plain values
    x = rng.standard_normal(4) * 3
    seen = {}

    def f(x):
        seen["floor"], seen["argmax"] = np.floor(x), np.argmax(x)
        return anp.sum(x * np.floor(x)) + x[np.argmax(x)]
    g = ad.grad(f)(x)
    assert isinstance(seen["floor"], np.ndarray) and not isinstance(seen["floor"], Tracer)
    np.testing.assert_array_equal(seen["floor"], np.floor(x))
    assert seen["argmax"] == np.argmax(x)
    np.testing.assert_allclose(g, np.floor(x) + np.eye(4)[np.argmax(x)])
    np.testing.assert_allclose(ad.jacfwd(f)(x), g)


def test_comparisons_give_plain_boolean_arrays(rng):
    x = rng.standard_normal(4)

    def f(x):
        mask = x > 0
        assert isinstance(mask, np.ndarray) and mask.dtype == bool
        return anp.sum(anp.where(mask, x, 2.0 * x))
    np.testing.assert_allclose(ad.grad(f)(x), np.where(x > 0, 1.0, 2.0))


def test_creation_functions_exist():
    np.testing.assert_array_equal(anp.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(anp.ones(4), np.ones(4))
    np.testing.assert_array_equal(anp.arange(5), np.arange(5))
    np.testing.assert_array_equal(anp.linspace(0.0, 1.0, 7), np.linspace(0.0, 1.0, 7))
    np.testing.assert_array_equal(anp.eye(3), np.eye(3))
    assert anp.pi == np.pi
    for name in ("zeros", "ones", "arange", "linspace", "eye", "array", "asarray", "sin",
                 "sum", "linalg"):
        assert name in anp.__all__
    assert "solve" in anp.linalg.__all__ and "det" in anp.linalg.__all__


def test_differentiable_namespace_on_plain_arrays_is_numpy(rng):
    x = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(anp.sin(x), np.sin(x))
    np.testing.assert_array_equal(anp.sum(x, axis=1), np.sum(x, axis=1))
    np.testing.assert_array_equal(anp.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]))


# -- linearize ------------------------------------------------------------------------------------

def test_linearize_evaluates_once_and_matches_jvp():
    calls = []
    W = np.arange(12.0).reshape(3, 4) / 10

    def f(p):
        calls.append(1)
        return {"y": anp.tanh(W @ p["x"]) * p["s"], "n": anp.sum(p["x"] ** 2)}

    p = {"x": np.linspace(-1, 1, 4), "s": 0.5}
    out, f_jvp = ad.linearize(f, p)
    assert len(calls) == 1
    for seed in range(3):
        t = {"x": np.random.default_rng(seed).standard_normal(4), "s": 1.5}
        got = f_jvp(t)
        _, want = ad.jvp(f, (p,), (t,))
        np.testing.assert_allclose(got["y"], want["y"], rtol=1e-14)
        np.testing.assert_allclose(got["n"], want["n"], rtol=1e-14)
    assert len(calls) == 1 + 3  # only the reference jvps evaluated f again
    np.testing.assert_allclose(out["n"], np.sum(p["x"] ** 2))


def test_linearize_has_aux_and_constant_outputs():
    out, f_jvp, aux = ad.linearize(lambda x: (anp.sin(x), {"x": x, "c": 3.0}), 0.0,
                                   has_aux=True)
    assert out == 0.0 and f_jvp(2.0) == 2.0 and aux["c"] == 3.0
    assert type(aux["x"]) is np.ndarray  # aux comes back without its tracer
    _, g = ad.linearize(lambda x, y: (x * 2.0, np.ones(2)), 1.0, 2.0)
    t = g(1.0, 1.0)
    assert t[0] == 2.0 and np.array_equal(t[1], np.zeros(2))


def test_linearized_map_is_differentiable():
    W = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    x = np.array([0.3, -0.2])
    _, f_jvp = ad.linearize(lambda x: anp.sin(W @ x), x)
    J = np.cos(W @ x)[:, None] * W
    t = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.grad(lambda t: anp.sum(f_jvp(t) ** 2))(t), 2 * J.T @ J @ t,
                               rtol=1e-14)


def test_linearize_bad_tangents():
    _, f_jvp = ad.linearize(lambda x, y: x * y, np.ones(3), 2.0)
    with pytest.raises(ValueError, match=r"linearize f_jvp: tangents have structure \(\*,\) "
                                         r"but the primals have \(\*, \*,\)"):
        f_jvp(np.ones(3))
    with pytest.raises(ValueError, match=r"linearize f_jvp: tangent leaf 0 has shape \(2,\) but "
                                         r"its primal has shape \(3,\)"):
        f_jvp(np.ones(2), 1.0)
    with pytest.raises(TypeError, match=r"linearize f_jvp: tangent leaf 1"):
        f_jvp(np.ones(3), "a")
    with pytest.raises(TypeError, match=r"linearize: needs at least one primal argument"):
        ad.linearize(anp.sin)


def test_jacobian_is_jax_alias_of_jacrev():
    assert ad.jacobian is ad.jacrev


# -- JAX's other keyword arguments ------------------------------------------------------------

def test_allow_int_gives_float0_zeros_as_jax(rng):
    """``allow_int=True``: an integer or boolean argument is a constant of the program and its
    derivative is zeros of JAX's float0 dtype, shaped as in JAX."""
    x, n = rng.standard_normal(3), np.array([1, 2, 3])
    gx, gn = ad.grad(lambda x, n: anp.sum(x ** n), argnums=(0, 1), allow_int=True)(x, n)
    np.testing.assert_allclose(gx, n * x ** (n - 1))
    assert gn.dtype == ad.float0 and gn.shape == (3,)
    jx, jn = ad.jacrev(lambda x, n: x ** n, argnums=(0, 1), allow_int=True)(x, n)
    np.testing.assert_allclose(jx, np.diag(n * x ** (n - 1)))
    assert jn.dtype == ad.float0 and jn.shape == (3, 3)
    (value, g) = ad.value_and_grad(lambda x, b: anp.sum(x * b), argnums=1, allow_int=True)(
        x, np.array([True, False, True]))
    np.testing.assert_allclose(value, x[0] + x[2])
    assert g.dtype == ad.float0 and g.shape == (3,)


def test_integer_argument_without_allow_int_is_an_error():
    with pytest.raises(TypeError, match=r"grad: argument 1 has integer dtype int64"):
        ad.grad(lambda x, n: anp.sum(x ** n), argnums=1)(np.ones(2), np.array([1, 2]))


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacfwd, ad.jacrev,
                                       ad.jacobian, ad.hessian])
def test_holomorphic_false_is_accepted_and_true_is_refused(transform, rng):
    x = rng.standard_normal(2)
    np.testing.assert_allclose(ad.tree.flatten(transform(_sum_cubes, holomorphic=False)(x))[0][-1],
                               ad.tree.flatten(transform(_sum_cubes)(x))[0][-1])
    with pytest.raises(TypeError, match=r"holomorphic=True differentiates complex-valued "
                                        r"functions; admodes differentiates real ones"):
        transform(_sum_cubes, holomorphic=True)


def _sum_cubes(x):
    return anp.sum(x ** 3)


def test_reduce_axes_only_empty():
    x = np.ones(2)
    ad.grad(_sum_cubes, reduce_axes=())(x)
    ad.vjp(_sum_cubes, x, reduce_axes=())
    for call in (lambda: ad.grad(_sum_cubes, reduce_axes=("batch",)),
                 lambda: ad.vjp(_sum_cubes, x, reduce_axes=("batch",))):
        with pytest.raises(ValueError, match=r"reduce_axes=\('batch',\) names axes of JAX's "
                                             r"named-axis transforms"):
            call()
