"""Full Jacobians and gradients compared with HIPS autograd, JAX and PyTorch when installed.

The peers are optional (``pip install admodes[peers]`` for autograd and JAX,
``admodes[peers-torch]`` for PyTorch); each is imported with ``pytest.importorskip`` and none is
a runtime dependency of admodes. With JAX, every public registry entry (but pooling) is also
compared with its jax.numpy / jax.nn / jax.scipy.special counterpart on its first domain case.
"""

import inspect
import types

import numpy as np
import pytest
from test_op_rules import Case  # tests/ is on sys.path (pytest rootdir-relative imports)

import admodes as ad
import admodes.numpy as anp
from admodes import registry
from admodes import tree as tree_util

RTOL, ATOL = 1e-10, 1e-12


# -- the workloads, written once against a small numpy-like namespace ----------------------------

def mlp_loss(ns, W1, b1, W2, x, y):
    hidden = ns.tanh(x @ ns.transpose(W1) + b1)
    residual = hidden @ ns.transpose(W2) - y
    return ns.mean(residual * residual)


def elementwise_chain(ns, x):
    return ns.exp(ns.sin(x)) * ns.log1p(x * x) / (1.0 + ns.tanh(x) ** 2) + ns.sqrt(x * x + 1.0)


def matrix_function(ns, A, b):
    return ns.solve(A, b) * ns.det(A) + ns.sum(A * A, 0)


def einsum_contractions(ns, A, x):
    """Ellipsis (batched and broadcast), a repeated index (batched traces), implicit output."""
    batched = ns.einsum("...ij,...j->...i", A, x) + ns.einsum("...ij,j", A, x[0])
    return batched * ns.einsum("bii->b", A)[:, None] + ns.einsum("bij,bj", A, x)


FUNCTIONS = {"mlp": mlp_loss, "chain": elementwise_chain, "matrix": matrix_function,
             "einsum": einsum_contractions}
WORKLOADS = list(FUNCTIONS)


def _inputs(workload, rng):
    """(differentiated arguments, constant arguments) of a workload."""
    if workload == "mlp":
        return ((rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((2, 4))),
                (rng.standard_normal((5, 3)), rng.standard_normal((5, 2))))
    if workload == "chain":
        return (rng.standard_normal(6),), ()
    if workload == "einsum":
        return (rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3))), ()
    return (rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal(3)), ()


def _numpy_like_ns(xp):
    """The functions the workloads call, from a numpy-like module (with ``linalg``)."""
    return types.SimpleNamespace(tanh=xp.tanh, sin=xp.sin, exp=xp.exp, log1p=xp.log1p,
                                 sqrt=xp.sqrt, mean=xp.mean, sum=xp.sum,
                                 transpose=xp.transpose, solve=xp.linalg.solve,
                                 det=xp.linalg.det, einsum=xp.einsum)


def _admodes_ns():
    return _numpy_like_ns(anp)


def _admodes_jacobians(workload, rng):
    """Jacobians of the workload by admodes, one per differentiated argument, both modes."""
    fun = FUNCTIONS[workload]
    diff, const = _inputs(workload, rng)
    ns = _admodes_ns()
    argnums = tuple(range(len(diff)))

    def f(*args):
        return fun(ns, *args, *const)
    rev = ad.jacrev(f, argnums=argnums)(*diff)
    fwd = ad.jacfwd(f, argnums=argnums)(*diff)
    for r, w in zip(rev, fwd):
        np.testing.assert_allclose(r, w, rtol=RTOL, atol=ATOL)
    return diff, const, rev


def _compare(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        b = np.asarray(b)
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# -- HIPS autograd --------------------------------------------------------------------------------

@pytest.mark.parametrize("workload", WORKLOADS)
def test_against_hips_autograd(workload, rng):
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")
    if workload == "einsum":
        pytest.skip("HIPS autograd's einsum VJP rejects a repeated index ('bii->b')")
    ns = _numpy_like_ns(agnp)
    diff, const, ours = _admodes_jacobians(workload, rng)
    fun = FUNCTIONS[workload]

    def f(*args):
        return fun(ns, *args, *const)
    theirs = [autograd.jacobian(f, argnum=i)(*diff) for i in range(len(diff))]
    _compare(ours, theirs)


def test_gradient_against_hips_autograd(rng):
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")
    x = rng.standard_normal(5)
    ours = ad.grad(lambda x: anp.sum(elementwise_chain(_admodes_ns(), x)))(x)
    ns = _numpy_like_ns(agnp)
    theirs = autograd.grad(lambda x: agnp.sum(elementwise_chain(ns, x)))(x)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


# -- JAX ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("workload", WORKLOADS)
def test_against_jax(workload, rng, jax_x64):
    jax = jax_x64
    jnp = jax.numpy
    ns = _numpy_like_ns(jnp)
    diff, const, ours = _admodes_jacobians(workload, rng)
    fun = FUNCTIONS[workload]

    def f(*args):
        return fun(ns, *args, *const)
    argnums = tuple(range(len(diff)))
    both = jax.jit(lambda *args: (jax.jacrev(f, argnums=argnums)(*args),
                                  jax.jacfwd(f, argnums=argnums)(*args)))  # one compilation
    rev, fwd = both(*diff)
    _compare(ours, rev)
    _compare(ours, fwd)


def test_hessian_against_jax(rng, jax_x64):
    jax = jax_x64
    jnp = jax.numpy
    x = rng.standard_normal(4)
    ours = ad.hessian(lambda x: anp.sum(elementwise_chain(_admodes_ns(), x) * x[::-1]))(x)
    ns = _numpy_like_ns(jnp)
    theirs = jax.jit(jax.hessian(lambda x: jnp.sum(elementwise_chain(ns, x) * x[::-1])))(x)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-11)


def _custom_rules(decorate, xp, sigmoid):
    """The same function with custom rules, built by admodes or by JAX (``decorate``): a
    custom_jvp softplus, a custom_vjp gradient clip and a checkpointed layer."""
    softplus = decorate.custom_jvp(lambda x: xp.log1p(xp.exp(x)))
    softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] * sigmoid(p[0])))
    clip = decorate.custom_vjp(lambda x: x)
    clip.defvjp(lambda x: (x, None), lambda res, g: (xp.clip(g, -0.1, 0.1),))
    layer = decorate.checkpoint(lambda x, w: xp.tanh(w @ x))

    def loss(x, w):
        return xp.sum(softplus(layer(clip(x), w)) ** 2)
    return loss


def test_custom_rules_against_jax(rng, jax_x64):
    jax = jax_x64
    x, w = rng.standard_normal(5), rng.standard_normal((5, 5))
    ours = _custom_rules(ad, anp, ad.nn.sigmoid)
    theirs = _custom_rules(jax, jax.numpy, jax.nn.sigmoid)
    for got, want in zip(ad.grad(ours, argnums=(0, 1))(x, w),
                         jax.grad(theirs, argnums=(0, 1))(x, w)):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)
    hess = jax.jacrev(jax.grad(theirs))(x, w)
    np.testing.assert_allclose(ad.jacrev(ad.grad(ours))(x, w), np.asarray(hess), rtol=1e-10)


# -- PyTorch --------------------------------------------------------------------------------------

@pytest.mark.parametrize("workload", WORKLOADS)
def test_against_pytorch(workload, rng):
    torch = pytest.importorskip("torch")
    ns = types.SimpleNamespace(tanh=torch.tanh, sin=torch.sin, exp=torch.exp,
                               log1p=torch.log1p, sqrt=torch.sqrt, mean=torch.mean,
                               sum=torch.sum, transpose=lambda a: a.T,
                               solve=torch.linalg.solve, det=torch.linalg.det,
                               einsum=torch.einsum)
    diff, const, ours = _admodes_jacobians(workload, rng)
    fun = FUNCTIONS[workload]
    const_t = tuple(torch.from_numpy(np.ascontiguousarray(c)) for c in const)

    def f(*args):
        return fun(ns, *args, *const_t)
    inputs = tuple(torch.from_numpy(np.ascontiguousarray(d)) for d in diff)
    theirs = torch.autograd.functional.jacobian(f, inputs)
    _compare(ours, [t.numpy() for t in theirs])


# -- every registry entry against its JAX counterpart ----------------------------------------------

_JAX_NN = ("sigmoid", "relu", "softplus", "logsumexp", "log_softmax", "softmax", "gelu", "silu",
           "swish", "elu", "celu", "selu", "leaky_relu", "relu6", "hard_tanh", "hard_sigmoid",
           "hard_silu", "hard_swish", "log_sigmoid", "soft_sign", "sparse_plus", "standardize",
           "mish", "squareplus", "glu", "log1mexp", "logmeanexp", "sparse_sigmoid", "identity", "tanh")
_JAX_KEYWORDS = {"a_min": "min", "a_max": "max"}  # numpy's old names of clip's bounds
#: jnp's set functions take the output size as a static argument; without it they read their
#: input's value (jax.core.concrete_or_error) and return a zero derivative
_JAX_SIZED = ("unique", "union1d", "setdiff1d", "setxor1d", "unique_values", "unique_counts",
              "unique_inverse", "unique_all")
_JAX_WITHOUT_RULE = ("nextafter",)  # "Differentiation rule for 'nextafter' not implemented"
#: jnp.polydiv keeps the remainder's leading zeros (numpy trims them); jnp.roots is complex
_JAX_OTHER_OUTPUT = ("polydiv", "roots")
_PUBLIC_ENTRIES = [e for e in registry.entries() if e.namespace != "internal"
                   and not e.short_name.endswith(("_pool1d", "_pool2d"))]  # no jnp counterpart


def _jax_function(jax, entry):
    """JAX's function of the entry's name, or None where JAX has none (scipy.special's
    Bessel functions j0, jv, kv, ...: jax.scipy.special has i0, i1 and their scaled forms)."""
    if entry.namespace == "nn":
        return getattr(jax.nn, entry.short_name)
    if entry.namespace == "scipy.special":
        return getattr(jax.scipy.special, entry.short_name, None)
    if entry.namespace == "scipy.linalg":
        return getattr(jax.scipy.linalg, entry.short_name)
    module = jax.numpy.linalg if entry.namespace == "numpy.linalg" else jax.numpy
    return getattr(module, entry.short_name)


@pytest.mark.parametrize("entry", _PUBLIC_ENTRIES, ids=lambda e: e.name)
def test_entry_jacobian_against_jax(entry, jax_x64):
    """The first domain case of every public entry: admodes' jacrev and jacfwd equal JAX's
    jacrev (eager) of the same jax.numpy / jax.nn / jax.scipy.special function."""
    jax = jax_x64
    assert entry.short_name in _JAX_NN or entry.namespace != "nn"
    case = Case(entry, *entry.domain(np.random.default_rng(7), np.float64)[0])
    if not case.x:
        pytest.skip(f"{entry.name}: its first case has no float input")
    if entry.short_name in _JAX_WITHOUT_RULE:
        pytest.skip(f"{entry.name}: JAX has no differentiation rule for it")
    if entry.short_name in _JAX_OTHER_OUTPUT:
        pytest.skip(f"{entry.name}: JAX's output differs from numpy's in shape or dtype")
    fun = _jax_function(jax, entry)
    if fun is None:
        pytest.skip(f"{entry.name}: JAX {jax.__version__} has no such function")
    static = {_JAX_KEYWORDS.get(k, k): v for k, v in case.static.items()}
    if entry.short_name in _JAX_SIZED:
        static["size"] = int(np.size(tree_util.flatten(case.f(*case.x))[0][0]))

    def theirs(*x):
        leaves = list(case._leaves)
        for i, value in zip(case._positions, x):
            leaves[i] = value
        return case.differentiable(fun(*tree_util.unflatten(case._treedef, leaves), **static))
    expected = [np.asarray(j) for j in jax.tree_util.tree_leaves(
        jax.jacrev(theirs, argnums=case.argnums)(*case.x))]
    for transform in (ad.jacrev, ad.jacfwd):
        ours = tree_util.flatten(transform(case.f, argnums=case.argnums)(*case.x))[0]
        _compare([np.asarray(j) for j in ours], expected)


# -- JAX's signatures ----------------------------------------------------------------------------

#: JAX parameters admodes does not take: checkpoint(static_argnames) (admodes' checkpointed
#: functions take positional arguments only) and the deprecated checkpoint(concrete).
_JAX_ONLY_PARAMETERS = {"checkpoint": {"static_argnames", "concrete"}, "remat": {"concrete"}}


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacfwd", "jacrev", "jacobian",
                                  "hessian", "jvp", "vjp", "linearize", "checkpoint", "remat",
                                  "vmap"])
def test_transform_takes_jaxs_arguments(name, jax_x64):
    """A call written for jax.<name> runs with admodes.<name>: the same positional parameters
    in the same order, and every keyword parameter of JAX's."""
    ours = inspect.signature(getattr(ad, name)).parameters
    theirs = inspect.signature(getattr(jax_x64, name)).parameters
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    their_positional = [p for p, v in theirs.items() if v.kind in positional]
    assert [p for p, v in ours.items() if v.kind in positional][:len(their_positional)] == \
        their_positional
    missing = set(theirs) - set(ours) - _JAX_ONLY_PARAMETERS.get(name, set())
    assert not missing, f"admodes.{name} lacks JAX's {sorted(missing)}"
