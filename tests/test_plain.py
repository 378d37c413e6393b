"""The plain-array rules (admodes.plain) compute exactly what the registry-op rules compute.

For every primitive and every case of its domain, in float64 and float32, ``plain_jvp`` and
``plain_vjp`` give the same arrays, bit for bit, as ``jvp`` and ``vjp`` on plain inputs, with a
batch of two random tangents / cotangents. The engines take the plain rules only when no
operand is a tracer; the nesting tests (higher order through every op) exercise the others.
"""

from __future__ import annotations

import dataclasses
import dis
import types

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import plain, registry
from admodes.ops import _domains as dom

OPS = registry.ops()
K = 2  # directions in the batch


def _is_float(x) -> bool:
    return isinstance(x, (np.ndarray, np.floating)) and np.issubdtype(x.dtype, np.floating)


def _calls(op, dtype):
    """(arrays, static) of each domain case, as the engines pass them to the rules."""
    for args, static in op.domain(np.random.default_rng(0), dtype):
        if not op.covers(args[op.nargs:], static):
            continue  # numpy's other keywords: a composite of the op (numpy_signature)
        if op.parse is not None:
            arrays, static = op.parse(*args, **static)
            yield list(arrays), op.bind_static((), static)
        else:
            yield list(args), op.bind_static((), static)


def _assert_same(plain_result, result, what):
    if isinstance(result, (tuple, list)):
        assert len(plain_result) == len(result), what
        for p, r in zip(plain_result, result):
            _assert_same(p, r, what)
    elif result is None:
        assert plain_result is None, what
    else:
        assert type(plain_result) is type(result), what
        assert np.asarray(plain_result).dtype == np.asarray(result).dtype, what
        np.testing.assert_array_equal(plain_result, result, err_msg=what)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_plain_rules_equal_the_rules_bit_for_bit(op, dtype):
    rng = np.random.default_rng(1)
    for n, (primals, static) in enumerate(_calls(op, dtype)):
        out = op.impl(*primals, **static)
        diff = [i for i, p in enumerate(primals)
                if _is_float(p) and i not in op.nondiff_argnums]
        tangents = [dom.real(rng, (K,) + np.shape(p), p.dtype) if i in diff else None
                    for i, p in enumerate(primals)]
        what = f"{op.name} case {n} ({np.dtype(dtype).name})"
        _assert_same(op.plain_jvp(primals, tangents, out, **static),
                     op.jvp(primals, tangents, out, **static), what + ": jvp")
        ct = dom.real(rng, (K,) + np.shape(out), np.result_type(out))
        extra = {"wants": tuple(i in diff for i in range(len(primals)))} if op.selective else {}
        _assert_same(op.plain_vjp(ct, primals, out, **static, **extra),
                     op.vjp(ct, primals, out, **static, **extra), what + ": vjp")


def _global_names(code):
    """Names ``code`` (and the functions and comprehensions nested in it) loads as globals."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _registry_values(fun, seen=None):
    """Registry entries reachable from ``fun``'s globals and closure cells, transitively."""
    seen = set() if seen is None else seen
    if not isinstance(fun, types.FunctionType) or fun in seen:
        return []
    seen.add(fun)
    g = fun.__globals__
    values = [g[n] for n in _global_names(fun.__code__) if n in g]
    values += [c.cell_contents for c in fun.__closure__ or () if c.cell_contents is not None]
    found = [v for v in values if isinstance(v, (registry.Op, registry.Composite))]
    for v in values:
        found += _registry_values(v, seen)
    return found


def test_builtin_rules_are_specialized():
    """Apart from the ops whose call is parsed (concatenate, einsum), no plain rule of a
    built-in op reaches a registry op: the fast path is real, not the original rules again."""
    parsed = {op for op in OPS if op.parse is not None}
    for op in OPS:
        for rule, plain_rule in ((op.jvp, op.plain_jvp), (op.vjp, op.plain_vjp)):
            assert plain_rule is not rule, op.name
            reached = set(_registry_values(plain_rule)) - parsed
            assert not reached, f"{op.name}: plain rule still calls {reached}"


def test_a_user_op_keeps_its_rules_and_works():
    def impl(x):
        return np.sinh(x)

    def jvp(primals, tangents, out):
        return anp.cosh(primals[0]) * tangents[0]

    def vjp(ct, primals, out):
        return (ct * anp.cosh(primals[0]),)

    op = registry.defop("test_plain_sinh", impl, jvp=jvp, vjp=vjp, cost=lambda p, out: 0,
                        doc="y = sinh(x)", domain=dom.unary(), namespace="internal")
    try:
        assert op.plain_jvp is jvp and op.plain_vjp is vjp  # defined outside admodes.ops
        x = np.array([0.3, -1.2])
        np.testing.assert_allclose(ad.grad(lambda x: anp.sum(op(x)))(x), np.cosh(x))
        np.testing.assert_allclose(ad.hessian(lambda x: anp.sum(op(x)))(x),
                                   np.diag(np.sinh(x)))
    finally:
        del registry._REGISTRY["test_plain_sinh"]


def test_plain_op_binds_the_declared_static_defaults():
    plain_sum = plain._plain_op(registry.lookup("sum"))
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(plain_sum(x), anp.sum(x))
    np.testing.assert_array_equal(plain_sum(x, 1), anp.sum(x, 1))
    np.testing.assert_array_equal(plain_sum(x, axis=0, keepdims=True),
                                  anp.sum(x, axis=0, keepdims=True))


def test_the_meter_sees_the_rules_evaluations():
    """The plain rules call impls past the meter's wrappers, so the meter swaps them for the
    metered rules: the cos that sin's VJP evaluates is counted in the vjp phase."""
    x = np.linspace(0.1, 1.0, 7)
    with ad.cost.meter() as m:
        ad.grad(lambda x: anp.sum(anp.sin(x)))(x)
    assert m.evaluations[("vjp", "cos")] == 1
    assert m.evaluations[("vjp", "multiply")] == 1
    assert m.flops["vjp"] == 14
    sin = registry.lookup("sin")
    assert sin.plain_vjp is not sin.vjp  # restored after the meter


def test_a_replaced_op_uses_its_new_rules():
    """``dataclasses.replace(op, vjp=...)`` must not carry the old op's plain rules along."""
    sin = registry.lookup("sin")
    doubled = dataclasses.replace(sin, vjp=lambda ct, p, out: (2.0 * ct * np.cos(p[0]),))
    assert doubled.plain_vjp is doubled.vjp and doubled.plain_jvp is sin.jvp
    x = np.array([0.3, 1.1])
    _, pullback = ad.vjp(lambda x: doubled(x), x)
    np.testing.assert_allclose(pullback(np.ones(2))[0], 2.0 * np.cos(x))
