"""The registry itself: every entry complete and documented, names unique, the public
namespaces generated from it, and the ops the project promises present (and so covered by the
generated tests in ``test_op_rules.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import admodes
import admodes.nn
import admodes.numpy
import admodes.numpy.linalg
import admodes.scipy.special
from admodes import registry
from admodes.registry import Composite, Op

ENTRIES = registry.entries()
OPS = registry.ops()
DTYPES = (np.float64, np.float32)
PUBLIC = {"numpy": admodes.numpy, "numpy.linalg": admodes.numpy.linalg, "nn": admodes.nn,
          "scipy.special": admodes.scipy.special, "scipy.linalg": admodes.scipy.linalg}

by_entry = pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
by_op = pytest.mark.parametrize("op", OPS, ids=lambda e: e.name)


# -- every entry is complete ----------------------------------------------------------------------

@by_entry
def test_entry_has_doc(entry):
    assert isinstance(entry.doc, str) and entry.doc.strip(), f"{entry.name}: empty doc"


@by_entry
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_domain_gives_valid_cases(entry, dtype, rng):
    cases = entry.domain(rng, dtype)
    assert isinstance(cases, list) and len(cases) >= 1, f"{entry.name}: domain gave {cases!r}"
    for args, static in cases:
        assert isinstance(args, tuple) and isinstance(static, dict)
        out = entry(*args, **static)
        leaves = admodes.tree.flatten(out)[0]
        assert leaves, f"{entry.name}{args}: no output"
        for leaf in leaves:
            assert np.all(np.isfinite(leaf)), f"{entry.name}: non-finite output on its domain"


@by_op
def test_op_has_callable_rules(op):
    for field in ("impl", "jvp", "vjp", "cost", "domain"):
        assert callable(getattr(op, field)), f"{op.name}.{field} is not callable"


def _bound(op, args, static):
    """The op's primal arrays and complete static arguments for the public call."""
    if op.parse is not None:
        arrays, parsed = op.parse(*args, **static)
        return tuple(arrays), op.bind_static((), parsed)
    return tuple(args[:op.nargs]), op.bind_static(args[op.nargs:], static)


@by_op
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cost_is_a_nonnegative_int(op, dtype, rng):
    for args, static in op.domain(rng, dtype):
        if not op.covers(args[op.nargs:], static):
            continue  # numpy's other keywords: a composite of the op (numpy_signature)
        arrays, static = _bound(op, args, static)
        out = op.impl(*arrays, **static)
        cost = op.cost(arrays, out, **static)
        assert isinstance(cost, (int, np.integer)) and not isinstance(cost, bool), \
            f"{op.name}: cost {cost!r} is not an int"
        assert cost >= 0, f"{op.name}: negative cost {cost}"


def test_names_are_unique():
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    for namespace in PUBLIC:
        short = [e.short_name for e in registry.entries(namespace)]
        duplicates = sorted({s for s in short if short.count(s) > 1})
        assert not duplicates, f"names {duplicates} appear twice in admodes.{namespace}"


def test_duplicate_registration_is_an_error():
    sin = registry.lookup("sin")
    with pytest.raises(ValueError, match="an op named 'sin' is already registered"):
        registry.defop("sin", sin.impl, jvp=sin.jvp, vjp=sin.vjp, cost=sin.cost, doc=sin.doc,
                       domain=sin.domain)
    assert registry.lookup("sin") is sin


def test_lookup_of_unknown_name_says_so():
    with pytest.raises(KeyError, match="no op named 'sine'"):
        registry.lookup("sine")


# -- kinks ---------------------------------------------------------------------------------------

KINKED = ["abs", "sign", "maximum", "minimum", "clip", "max", "min", "relu", "linalg.norm",
          "max_pool1d", "max_pool2d", "elu", "celu", "selu", "leaky_relu", "relu6", "hard_tanh",
          "hard_sigmoid", "hard_silu", "hard_swish", "soft_sign", "sparse_plus", "special.i0e",
          "special.i1e", "special.xlogy", "special.xlog1py"]


@pytest.mark.parametrize("name", KINKED)
def test_kinked_entries_document_their_convention(name):
    kinks = registry.lookup(name).kinks
    assert isinstance(kinks, str) and kinks.strip(), f"{name}: no kinks convention documented"


@by_entry
def test_kinks_field_is_none_or_text(entry):
    assert entry.kinks is None or (isinstance(entry.kinks, str) and entry.kinks.strip())


# -- public namespaces ---------------------------------------------------------------------------

@by_entry
def test_entry_is_in_its_public_namespace(entry):
    if entry.namespace == "internal":
        for module in PUBLIC.values():
            assert entry.short_name not in getattr(module, "__all__", ())
            assert getattr(module, entry.short_name, None) is not entry
        return
    module = PUBLIC[entry.namespace]
    assert getattr(module, entry.short_name) is entry, \
        f"{entry.name} is not {module.__name__}.{entry.short_name}"
    assert entry.short_name in module.__all__


@pytest.mark.parametrize("namespace", sorted(PUBLIC))
def test_namespace_holds_only_registry_functions(namespace):
    module = PUBLIC[namespace]
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, (Op, Composite)):
            assert registry.lookup(value.name) is value


def test_numpy_name_without_rule_raises_attribute_error():
    with pytest.raises(AttributeError, match="numpy's fft has no differentiation rule"):
        _ = admodes.numpy.fft
    with pytest.raises(AttributeError, match="numpy's eig has no differentiation rule"):
        _ = admodes.numpy.linalg.eig


# -- the Op record cannot be incomplete ------------------------------------------------------------

def _toy_fields():
    return {"name": "toy", "impl": np.sin, "jvp": lambda p, t, out: t[0],
            "vjp": lambda ct, p, out: (ct,), "cost": lambda p, out: 0, "doc": "y = toy(x)",
            "domain": lambda rng, dtype: [((np.ones(2, dtype=dtype),), {})]}


def test_toy_op_is_constructible():
    op = Op(**_toy_fields())
    assert op.name == "toy" and "toy" not in [e.name for e in registry.entries()]


@pytest.mark.parametrize("field", ["impl", "jvp", "vjp", "cost", "doc", "domain"])
def test_op_requires_field(field):
    fields = _toy_fields()
    del fields[field]
    with pytest.raises(TypeError, match=f"missing 1 required .*argument: '{field}'"):
        Op(**fields)


@pytest.mark.parametrize("field", ["impl", "jvp", "vjp", "cost", "domain"])
def test_op_rule_fields_must_be_callable(field):
    fields = _toy_fields()
    fields[field] = None
    with pytest.raises(TypeError, match=f"Op 'toy': field '{field}' must be callable, got "
                                        f"NoneType"):
        Op(**fields)


@pytest.mark.parametrize("doc", ["", None])
def test_op_requires_a_doc(doc):
    fields = _toy_fields()
    fields["doc"] = doc
    with pytest.raises(ValueError, match="Op 'toy': a doc string with the rules' math is required"):
        Op(**fields)


def test_op_namespace_is_checked():
    with pytest.raises(ValueError, match="Op 'toy': namespace must be one of"):
        Op(**_toy_fields(), namespace="scipy")


def test_composite_requires_a_doc():
    with pytest.raises(ValueError, match="Composite 'toy': a doc string is required"):
        Composite(name="toy", fun=np.sin, doc="", domain=_toy_fields()["domain"])


# -- the ops the project promises ------------------------------------------------------------------

REQUIRED = {
    "numpy": ["add", "subtract", "multiply", "divide", "power", "negative", "abs", "exp", "log",
              "log1p", "expm1", "sqrt", "square", "sin", "cos", "tan", "tanh", "sinh", "cosh",
              "arctan", "arcsin", "arccos", "maximum", "minimum", "where", "clip", "sign",
              "sum", "mean", "prod", "max", "min", "var", "std",
              "matmul", "dot", "outer", "trace", "einsum",
              "reshape", "transpose", "concatenate", "stack", "expand_dims", "squeeze",
              "broadcast_to", "cumsum", "diag", "i0"],
    "numpy.linalg": ["solve", "inv", "det", "slogdet", "norm"],
    "nn": ["sigmoid", "relu", "softplus", "logsumexp", "log_softmax", "gelu", "silu", "swish",
           "elu", "celu", "selu", "leaky_relu", "relu6", "hard_tanh", "hard_sigmoid", "hard_silu",
           "hard_swish", "log_sigmoid", "soft_sign", "sparse_plus", "standardize"],
    "scipy.special": ["erf", "erfc", "erfinv", "ndtr", "ndtri", "log_ndtr", "gammaln",
                      "digamma", "polygamma", "gamma", "betaln", "i0", "i0e", "i1", "i1e",
                      "xlogy", "xlog1py", "entr", "expit", "logit", "logsumexp", "softmax",
                      "log_softmax"],
}
REQUIRED_PARAMS = [pytest.param(ns, name, id=f"{ns}.{name}")
                   for ns, names in REQUIRED.items() for name in names]


@pytest.mark.parametrize(("namespace", "name"), REQUIRED_PARAMS)
def test_required_op_is_public_and_tested(namespace, name):
    """Reachable as admodes.<namespace>.<name> and a registry entry with test cases (so the
    generated tests of test_op_rules.py cover it)."""
    entry = getattr(PUBLIC[namespace], name)
    assert isinstance(entry, (Op, Composite))
    assert entry in ENTRIES and entry.namespace == namespace
    assert entry.domain(np.random.default_rng(0), np.float64)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
def test_reduction_domains_cover_axis_forms_and_keepdims(name):
    cases = registry.lookup(name).domain(np.random.default_rng(0), np.float64)
    axes = [static.get("axis") for _, static in cases]
    assert None in axes, f"{name}: no axis=None case"
    assert any(isinstance(a, int) for a in axes), f"{name}: no int axis case"
    assert any(isinstance(a, tuple) and len(a) > 1 for a in axes), f"{name}: no tuple axis case"
    keepdims = {static.get("keepdims", False) for _, static in cases}
    assert keepdims == {False, True}, f"{name}: keepdims cases {keepdims}"


def test_indexing_domain_covers_basic_and_integer_array_indices():
    cases = registry.lookup("getitem").domain(np.random.default_rng(0), np.float64)
    indices = [args[1] for args, _ in cases]
    assert any(all(isinstance(i, slice) for i in index) for index in indices)
    assert any(any(isinstance(i, np.ndarray) and np.issubdtype(i.dtype, np.integer)
                   for i in index) for index in indices)
    basic = registry.lookup("index_basic").domain(np.random.default_rng(0), np.float64)
    assert any(any(isinstance(i, int) for i in static["index"]) for _, static in basic)


# -- values: the namespace functions compute what numpy's functions of the same name compute -------

_VALUE_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}
_NUMPY_ENTRIES = [e for e in ENTRIES if e.namespace in ("numpy", "numpy.linalg")]


def _numpy_function(entry):
    return getattr(np.linalg if entry.namespace == "numpy.linalg" else np, entry.short_name)


@pytest.mark.parametrize("entry", _NUMPY_ENTRIES, ids=lambda e: e.name)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_value_equals_numpys(entry, dtype, rng):
    """On every domain case, ``admodes.numpy.f(*args, **static)`` equals ``numpy.f`` called the
    same way (shape, dtype and values), pytrees (split, slogdet) leaf by leaf."""
    reference = _numpy_function(entry)
    for args, static in entry.domain(rng, dtype):
        ours = admodes.tree.flatten(entry(*args, **static))[0]
        theirs = admodes.tree.flatten(reference(*args, **static))[0]
        assert len(ours) == len(theirs), f"{entry.name}{static}: {len(ours)} outputs"
        for a, b in zip(ours, theirs):
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape and a.dtype == b.dtype, \
                f"{entry.name}{static}: {a.shape} {a.dtype} vs numpy's {b.shape} {b.dtype}"
            # atol: sums that cancel (einsum in float32); integers (lstsq's rank): exact
            rtol = _VALUE_RTOL.get(a.dtype, 0)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b), initial=0),
                                       err_msg=f"{entry.name}{static}")
