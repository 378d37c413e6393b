"""Neural-network functions: sigmoid, relu, softplus, logsumexp (primitives, numerically stable)
and log_softmax, softmax (composites of them)."""

from __future__ import annotations

import numpy as np
import scipy.special

from admodes import conventions
from admodes.ops import _domains as dom
from admodes.ops._flops import elementwise as ew_cost
from admodes.ops._flops import reduction
from admodes.ops._helpers import batch_axes, expand_reduced, normalize_axes
from admodes.ops.elementwise import exp, multiply, negative, subtract
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import reshape
from admodes.registry import defcomposite, defop
from admodes.tracing import ndim_of, primal_value, shape_of


def _sigmoid_partial(x, y):
    """σ'(x) = σ(x)·σ(−x): both factors are accurate for every x (in the usual y(1 − y), 1 − y
    has the relative error ε·eˣ of the rounded y, and is 0 for x ≳ 37)."""
    return multiply(y, sigmoid(negative(x)))


sigmoid = defop(
    "sigmoid", scipy.special.expit,
    jvp=lambda p, t, out: multiply(t[0], _sigmoid_partial(p[0], out)),
    vjp=lambda ct, p, out: (multiply(ct, _sigmoid_partial(p[0], out)),),
    cost=ew_cost(4), domain=dom.unary(), namespace="nn",
    doc="y = 1/(1 + e^−x) (scipy.special.expit, stable for large |x|); ẏ = y·σ(−x)·ẋ; "
        "x̄ = y·σ(−x)·ȳ (σ(−x) = 1 − y, evaluated as a sigmoid: accurate also where y → 1)")


def _relu_partial(x):
    value = primal_value(x)
    return np.where(value > 0, 1.0, np.where(value == 0, conventions.current().relu, 0.0)
                    ).astype(value.dtype)


relu = defop(
    "relu", lambda x: np.maximum(x, 0),
    jvp=lambda p, t, out: multiply(t[0], _relu_partial(p[0])),
    vjp=lambda ct, p, out: (multiply(ct, _relu_partial(p[0])),),
    cost=ew_cost(1), domain=dom.unary(dom.away_from_zero), namespace="nn", saves=("inputs",),
    kinks="relu'(0) = conventions.current().relu (default 0, as PyTorch and JAX)",
    doc="y = max(x, 0); ẏ = 1[x > 0]·ẋ; x̄ = 1[x > 0]·ȳ; relu'(0) by conventions.relu")

softplus = defop(
    "softplus", lambda x: np.logaddexp(0.0, x),
    jvp=lambda p, t, out: multiply(t[0], sigmoid(p[0])),
    vjp=lambda ct, p, out: (multiply(ct, sigmoid(p[0])),),
    cost=ew_cost(4), domain=dom.unary(), namespace="nn", saves=("inputs",),
    doc="y = log(1 + e^x) (np.logaddexp(0, x), stable); ẏ = sigmoid(x)·ẋ; x̄ = sigmoid(x)·ȳ")


def _softmax_weights(x, out, axes):
    """exp(x − logsumexp(x)) with out kept over the reduced axes: the softmax."""
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape_of(x)))
    return exp(subtract(x, reshape(out, kept)))


def _lse_jvp(primals, tangents, out, axis, keepdims):
    x = primals[0]
    axes = normalize_axes(axis, ndim_of(x), "logsumexp")
    return sum_(multiply(tangents[0], _softmax_weights(x, out, axes)), axis=batch_axes(axes),
                keepdims=keepdims)


def _lse_vjp(ct, primals, out, axis, keepdims):
    x = primals[0]
    axes = normalize_axes(axis, ndim_of(x), "logsumexp")
    return (multiply(expand_reduced(ct, shape_of(x), axes, keepdims),
                     _softmax_weights(x, out, axes)),)


def _lse_domain(rng, dtype):
    cases = []
    for shape, axis in [((3,), None), ((2, 3), 1), ((2, 3), 0), ((2, 3, 2), (0, 2))]:
        for keepdims in (False, True):
            cases.append(((dom.real(rng, shape, dtype),), {"axis": axis, "keepdims": keepdims}))
    return cases


logsumexp = defop(
    "logsumexp",
    lambda x, axis, keepdims: scipy.special.logsumexp(x, axis=axis, keepdims=keepdims),
    jvp=_lse_jvp, vjp=_lse_vjp, cost=reduction(4), domain=_lse_domain, namespace="nn",
    static={"axis": None, "keepdims": False},
    doc="y = log Σ_axis e^x (shifted by the max, stable); ẏ = Σ softmax(x)·ẋ; "
        "x̄ = softmax(x)·ȳ")


def _softmax_domain(rng, dtype):
    return [((dom.real(rng, s, dtype),), st) for s, st in
            [((4,), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1})]]


@defcomposite("log_softmax", namespace="nn", domain=_softmax_domain,
              doc="log_softmax(x) = x − logsumexp(x, axis, keepdims=True) (stable)")
def log_softmax(x, axis=-1):
    return subtract(x, logsumexp(x, axis=axis, keepdims=True))


@defcomposite("softmax", namespace="nn", domain=_softmax_domain,
              doc="softmax(x) = exp(log_softmax(x)) (stable)")
def softmax(x, axis=-1):
    return exp(log_softmax(x, axis=axis))
