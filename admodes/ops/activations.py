"""jax.nn's other activation functions, as composites of registry primitives: gelu, silu
(swish), mish, elu, celu, selu, leaky_relu, relu6, hard_tanh, hard_sigmoid, hard_silu
(hard_swish), log_sigmoid, soft_sign, squareplus, sparse_plus, sparse_sigmoid, glu, identity,
tanh, standardize and logmeanexp; log1mexp, a primitive (its two-branch stable form would
differentiate branch by branch); and one_hot, which is value-level.

Signatures are JAX's, and so is the derivative at each kink (read from
jax/_src/nn/functions.py and checked against jax.grad): the branch JAX's ``jnp.where`` takes at
the kink decides it, and relu's kink follows ``admodes.conventions`` (relu'(0), default 0 as
JAX). Each composite's ``kinks`` field states its convention.

References
----------
Hendrycks, D. & Gimpel, K. (2016). Gaussian Error Linear Units (GELUs). arXiv:1606.08415.
Clevert, D.-A., Unterthiner, T. & Hochreiter, S. (2016). Fast and Accurate Deep Network
Learning by Exponential Linear Units (ELUs). ICLR. arXiv:1511.07289.
Barron, J. T. (2017). Continuously Differentiable Exponential Linear Units. arXiv:1704.07483.
Klambauer, G., Unterthiner, T., Mayr, A. & Hochreiter, S. (2017). Self-Normalizing Neural
Networks. NeurIPS. arXiv:1706.02515.
Ramachandran, P., Zoph, B. & Le, Q. V. (2017). Searching for Activation Functions.
arXiv:1710.05941.
Howard, A. et al. (2019). Searching for MobileNetV3. ICCV. arXiv:1905.02244.
Martins, A. F. T. et al. (2020). Sparse and Continuous Attention Mechanisms. NeurIPS.
arXiv:2006.07214 (sparse_plus).
"""

from __future__ import annotations

import math

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops.elementwise import abs as abs_
from admodes.ops.elementwise import (
    add,
    clip,
    defunary,
    divide,
    expm1,
    maximum,
    minimum,
    multiply,
    negative,
    sqrt,
    square,
    subtract,
    where,
)
from admodes.ops.elementwise import tanh as tanh_
from admodes.ops.elementwise import where as where_  # jax's keyword where= hides the op
from admodes.ops.nn import logsumexp, relu, sigmoid, softplus
from admodes.ops.reductions import mean as mean_
from admodes.ops.special import ndtr
from admodes.registry import defcomposite
from admodes.tracing import Tracer, primal_value, shape_of


def _value(x):
    return np.asarray(primal_value(x))


def _away_from(*kinks, low=-2.0, high=2.0, gap=0.1):
    """A sampler of values in (low, high) at least ``gap`` from every kink."""
    def sampler(rng, shape, dtype):
        x = rng.uniform(low, high, size=shape)
        while True:
            near = np.zeros(np.shape(x), dtype=bool)
            for kink in kinks:
                near |= np.abs(x - kink) < gap
            if not near.any():
                return np.asarray(x).astype(dtype)
            x = np.where(near, rng.uniform(low, high, size=shape), x)
    return sampler


def _with(domain, **static):
    """``domain``'s cases, then the same cases with the keywords ``static``."""
    def cases(rng, dtype):
        base = domain(rng, dtype)
        return base + [(args, {**kw, **static}) for args, kw in base]
    return cases


# -- smooth activations ----------------------------------------------------------------------

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@defcomposite("gelu", namespace="nn", domain=_with(dom.unary(), approximate=False),
              refs=("Hendrycks & Gimpel (2016), arXiv:1606.08415, eq. (1) and section 2",),
              doc="gelu(x, approximate=True) = x·Φ(x); approximate (JAX's default): "
                  "x·(1 + tanh(u))/2 = x·sigmoid(2u), u = √(2/π)(x + 0.044715x³); exact: "
                  "x·ndtr(x) (JAX writes x(1 + erf(x/√2))/2). Both are JAX's functions, "
                  "written without the cancellation of 1 + tanh, 1 + erf for x ≪ 0")
def gelu(x, approximate=True):
    if not approximate:
        return multiply(x, ndtr(x))
    inner = add(x, multiply(multiply(x, square(x)), 0.044715))
    return multiply(x, sigmoid(multiply(inner, 2.0 * _SQRT_2_OVER_PI)))


# silu' = σ + xσ(1 − σ) vanishes at x ≈ −1.2785 by cancellation: there float32 rounding, not
# the rules, would decide the generated tests' relative comparisons.
_SILU_DOMAIN = dom.unary(_away_from(-1.2785))


@defcomposite("silu", namespace="nn", domain=_SILU_DOMAIN,
              refs=("Ramachandran, Zoph & Le (2017), arXiv:1710.05941",),
              doc="silu(x) = x·sigmoid(x); ẏ = (sigmoid(x) + x·sigmoid(x)(1 − sigmoid(x)))·ẋ")
def silu(x):
    return multiply(x, sigmoid(x))


@defcomposite("swish", namespace="nn", domain=_SILU_DOMAIN, doc="JAX's other name of silu")
def swish(x):
    return silu(x)


@defcomposite("mish", namespace="nn", domain=dom.unary(_away_from(-1.1924)),
              refs=("Misra (2019), arXiv:1908.08681",),
              doc="mish(x) = x·tanh(softplus(x)); ẏ = (tanh(s) + x·(1 − tanh²(s))·sigmoid(x))·ẋ, "
                  "s = softplus(x)")
def mish(x):
    return multiply(x, tanh_(softplus(x)))


@defcomposite("squareplus", namespace="nn",
              domain=lambda rng, dtype: dom.unary()(rng, dtype) + [
                  ((dom.real(rng, (2, 3), dtype), dom.positive(rng, (3,), dtype)), {})],
              refs=("Barron (2021), arXiv:2112.11687, eq. (1)",),
              doc="squareplus(x, b=4) = (x + √(x² + b))/2, for x < 0 as b/(2(√(x² + b) − x)) "
                  "(the same value without cancellation); ẏ = (1 + x/√(x² + b))/2·ẋ, "
                  "∂/∂b = 1/(4√(x² + b)) (b may be traced)")
def squareplus(x, b=4):
    root = sqrt(add(square(x), b))
    nonnegative = _value(x) >= 0
    return where(nonnegative, multiply(add(x, root), 0.5),
                 divide(b, multiply(subtract(root, x), 2.0)))


@defcomposite("log_sigmoid", namespace="nn",
              domain=lambda rng, dtype: dom.unary()(rng, dtype) + [
                  ((np.array([-30.0, -5.0, 5.0, 30.0], dtype=dtype),), {})],
              doc="log_sigmoid(x) = log(1/(1 + e^−x)) = −softplus(−x) (stable for large |x|); "
                  "ẏ = sigmoid(−x)·ẋ")
def log_sigmoid(x):
    return negative(softplus(negative(x)))


@defcomposite("nn.tanh", namespace="nn", domain=dom.unary(),
              doc="jax.nn's tanh: numpy's tanh (the same op: ẏ = (1 − y²)·ẋ)")
def tanh(x):
    return tanh_(x)


@defcomposite("nn.identity", namespace="nn", domain=dom.unary(),
              doc="identity(x) = x; ẏ = ẋ (a traced x is returned itself: tracers are "
                  "immutable; other input as an array)")
def identity(x):
    return x if isinstance(x, Tracer) else np.asarray(x)


def _log1mexp_impl(x):
    """log(−expm1(−x)) below log 2, log1p(−e^(−x)) above (Mächler 2012, eq. (7)): each form is
    accurate on its side."""
    x = np.asarray(x)
    return np.where(x < math.log(2.0), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


log1mexp = defunary(
    "log1mexp", _log1mexp_impl, lambda x, y: divide(1.0, expm1(x)), 4,
    "y = log(1 − e^(−x)) for x > 0 (nan for x < 0); ẏ = ẋ/expm1(x); x̄ = ȳ/expm1(x) (the slope "
    "e^(−x)/(1 − e^(−x)) without cancellation, as JAX's custom JVP)",
    domain=lambda rng, dtype: dom.unary(dom.positive)(rng, dtype) + [
        ((np.array([0.05, 0.4, 3.0, 12.0], dtype=dtype),), {})],
    namespace="nn", refs=("Mächler (2012), Rmpfr vignette log1mexp-note, eq. (7)",),
    saves=("inputs",))


# -- piecewise activations (JAX's derivative at each kink) ------------------------------------------

def _exponential_branch(x, alpha, width):
    """where(x > 0, x, α·expm1(x/width)): the x ≤ 0 branch takes the kink (as JAX's elu), and
    expm1 sees 0 for x > 0 (no overflow in the unused branch)."""
    positive = _value(x) > 0
    negative_part = where(positive, 0.0, x)
    if width != 1.0:
        negative_part = divide(negative_part, width)
    return where(positive, x, multiply(alpha, expm1(negative_part)))


@defcomposite("elu", namespace="nn", domain=dom.unary(dom.away_from_zero),
              kinks="elu'(0) = alpha (the x ≤ 0 branch α·expm1(x), as JAX's "
                    "where(x > 0, x, ...)); elu''(0) = alpha",
              refs=("Clevert, Unterthiner & Hochreiter (2016), arXiv:1511.07289",),
              doc="elu(x, alpha=1.0) = x for x > 0, α(eˣ − 1) for x ≤ 0; ẏ = ẋ for x > 0, "
                  "α·eˣ·ẋ for x ≤ 0 (α may be traced: ∂/∂α = eˣ − 1 there)")
def elu(x, alpha=1.0):
    return _exponential_branch(x, alpha, 1.0)


@defcomposite("celu", namespace="nn", domain=dom.unary(dom.away_from_zero),
              kinks="C¹ at 0: celu'(0) = 1 (JAX's too); celu''(0) = 1/alpha, the x ≤ 0 "
                    "branch's (JAX's max(x, 0) + α·expm1(min(x, 0)/α) splits ties and gives "
                    "1/(4α))",
              refs=("Barron (2017), arXiv:1704.07483",),
              doc="celu(x, alpha=1.0) = x for x > 0, α(e^(x/α) − 1) for x ≤ 0; ẏ = ẋ for "
                  "x > 0, e^(x/α)·ẋ for x ≤ 0")
def celu(x, alpha=1.0):
    return _exponential_branch(x, alpha, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@defcomposite("selu", namespace="nn", domain=dom.unary(dom.away_from_zero),
              kinks="selu'(0) = scale·alpha ≈ 1.7581 (elu's x ≤ 0 branch, as JAX)",
              refs=("Klambauer et al. (2017), arXiv:1706.02515, eq. (2)",),
              doc="selu(x) = scale·elu(x, alpha), alpha ≈ 1.6733, scale ≈ 1.0507 (JAX's "
                  "constants)")
def selu(x):
    return multiply(elu(x, _SELU_ALPHA), _SELU_SCALE)


@defcomposite("leaky_relu", namespace="nn", domain=dom.unary(dom.away_from_zero),
              kinks="leaky_relu'(0) = 1 (JAX's where(x >= 0, x, s·x)); not "
                    "conventions.relu, whose JAX value 0 would give s + (1 − s)·0 = s",
              doc="leaky_relu(x, negative_slope=0.01) = x for x ≥ 0, s·x for x < 0; ẏ = ẋ for "
                  "x ≥ 0, s·ẋ for x < 0")
def leaky_relu(x, negative_slope=0.01):
    return where(_value(x) >= 0, x, multiply(negative_slope, x))


@defcomposite("relu6", namespace="nn",
              domain=lambda rng, dtype: dom.unary(dom.away_from_zero)(rng, dtype) + [
                  ((_away_from(6.0, low=4.5, high=7.5)(rng, (2, 3), dtype),), {})],
              kinks="relu6'(0) = conventions.current().relu (default 0, as JAX); "
                    "relu6'(6) = 0 (as JAX)",
              doc="relu6(x) = min(max(x, 0), 6) = where(x >= 6, 6, relu(x)); ẏ = ẋ on (0, 6), "
                  "0 outside")
def relu6(x):
    return where(_value(x) >= 6, 6.0, relu(x))


@defcomposite("hard_tanh", namespace="nn", domain=dom.unary(_away_from(-1.0, 1.0)),
              kinks="hard_tanh'(±1) = 1 (clip's closed interval; JAX's where(x > 1, 1, "
                    "where(x < −1, −1, x)) gives 1 too)",
              doc="hard_tanh(x) = clip(x, −1, 1); ẏ = ẋ on [−1, 1], 0 outside")
def hard_tanh(x):
    return clip(x, -1.0, 1.0)


_HARD_DOMAIN = dom.unary(_away_from(-3.0, 3.0, low=-4.5, high=4.5))


@defcomposite("hard_sigmoid", namespace="nn", domain=_HARD_DOMAIN,
              kinks="hard_sigmoid'(−3) = conventions.relu/6 (default 0, as JAX); "
                    "hard_sigmoid'(3) = 0 (as JAX)",
              refs=("Howard et al. (2019), arXiv:1905.02244, eq. (2)",),
              doc="hard_sigmoid(x) = relu6(x + 3)/6; ẏ = ẋ/6 on (−3, 3), 0 outside")
def hard_sigmoid(x):
    return divide(relu6(add(x, 3.0)), 6.0)


@defcomposite("hard_silu", namespace="nn", domain=_HARD_DOMAIN,
              kinks="hard_silu'(−3) = −3·hard_sigmoid'(−3) = −conventions.relu/2 (default 0, "
                    "as JAX); hard_silu'(3) = 1 (as JAX)",
              refs=("Howard et al. (2019), arXiv:1905.02244, eq. (4)",),
              doc="hard_silu(x) = x·hard_sigmoid(x); ẏ = (hard_sigmoid(x) + x·hard_sigmoid'(x))·ẋ")
def hard_silu(x):
    return multiply(x, hard_sigmoid(x))


@defcomposite("hard_swish", namespace="nn", domain=_HARD_DOMAIN,
              kinks=hard_silu.kinks, doc="JAX's other name of hard_silu")
def hard_swish(x):
    return hard_silu(x)


@defcomposite("soft_sign", namespace="nn", domain=dom.unary(dom.away_from_zero),
              kinks="C¹ at 0 (soft_sign'(0) = 1, as JAX); soft_sign''(0) = −2·abs'(0) = "
                    "−2·conventions.abs (default 0; JAX's abs'(0) = 1 gives −2)",
              doc="soft_sign(x) = x/(|x| + 1); ẏ = ẋ/(|x| + 1)²")
def soft_sign(x):
    return divide(x, add(abs_(x), 1.0))


@defcomposite("sparse_plus", namespace="nn", domain=dom.unary(_away_from(-1.0, 1.0)),
              kinks="C¹ at ±1 (slopes 0 and 1, as JAX); sparse_plus''(±1) = 0, the outer "
                    "branches' (as JAX's where(x <= −1, 0, where(x >= 1, x, ...)))",
              refs=("Martins et al. (2020), arXiv:2006.07214",),
              doc="sparse_plus(x) = 0 for x ≤ −1, (x + 1)²/4 for −1 < x < 1, x for x ≥ 1; "
                  "ẏ = 0, (x + 1)/2·ẋ, ẋ on the three pieces")
def sparse_plus(x):
    value = _value(x)
    middle = multiply(square(add(x, 1.0)), 0.25)
    return where(value <= -1, 0.0, where(value >= 1, x, middle))


@defcomposite("sparse_sigmoid", namespace="nn", domain=dom.unary(_away_from(-1.0, 1.0)),
              kinks="sparse_sigmoid'(±1) = ¼ by conventions.ties ('split', the default: ½ of "
                    "the slope ½, as JAX's clip = minimum(maximum(·)) with its tie rule); ½ "
                    "under 'first'",
              refs=("Martins et al. (2020), arXiv:2006.07214",),
              doc="sparse_sigmoid(x) = clip(x + 1, 0, 2)/2 = minimum(maximum(x + 1, 0), 2)/2, "
                  "the derivative of sparse_plus; ẏ = ẋ/2 on (−1, 1), 0 outside")
def sparse_sigmoid(x):
    return multiply(minimum(maximum(add(x, 1.0), 0.0), 2.0), 0.5)


def _glu_domain(rng, dtype):
    return [((dom.real(rng, (4,), dtype),), {}), ((dom.real(rng, (2, 6), dtype),), {}),
            ((dom.real(rng, (4, 3), dtype),), {"axis": 0}),
            ((dom.real(rng, (2, 2, 3), dtype),), {"axis": 1})]


@defcomposite("glu", namespace="nn", domain=_glu_domain,
              refs=("Dauphin et al. (2017), arXiv:1612.08083, eq. (1)",),
              doc="glu(x, axis=-1) = a·sigmoid(b), a and b the first and second half of x along "
                  "axis (of even length); ∂/∂a = sigmoid(b), ∂/∂b = a·sigmoid'(b)")
def glu(x, axis=-1):
    shape = shape_of(x)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"glu(): axis {axis} is out of bounds for x of shape {shape}")
    size = shape[axis]
    if size % 2:
        raise ValueError(f"glu(): the axis {axis} of x (shape {shape}) has odd length {size}; "
                         f"glu splits it into two equal halves")
    first, second = (tuple(slice(start, start + size // 2) if i == axis % len(shape)
                           else slice(None) for i in range(len(shape)))
                     for start in (0, size // 2))
    return multiply(x[first], sigmoid(x[second]))


# -- normalization -----------------------------------------------------------------------------

def _standardize_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    return [((r(2, 3),), {}), ((r(3, 4),), {"axis": 0}), ((r(2, 3, 2),), {"axis": (0, 2)}),
            ((r(2, 4),), {"algorithm": "stable"}),
            ((r(2, 3), -1, r(2, 1), dom.positive(rng, (2, 1), dtype)), {}),
            ((r(3, 2),), {"axis": 0, "variance": dom.positive(rng, (2,), dtype),
                          "epsilon": 1e-3})]


@defcomposite("standardize", namespace="nn", domain=_standardize_domain,
              doc="standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, *, "
                  "algorithm='fast') = (x − m)/√(v + ε), m = mean(x, axis) and v = "
                  "max(mean(x², axis) − m², 0) ('fast', JAX's default) or mean((x − m)², "
                  "axis) ('stable') unless given; given m, v are differentiated too")
def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, *, algorithm="fast"):
    if algorithm not in ("fast", "stable"):
        raise ValueError(f"standardize(): algorithm must be 'fast' or 'stable', "
                         f"got {algorithm!r}")
    if mean is None:
        mean = mean_(x, axis=axis, keepdims=True)
    if variance is None:
        if algorithm == "fast":
            second_moment = mean_(square(x), axis=axis, keepdims=True)
            variance = clip(subtract(second_moment, square(mean)), 0.0, None)
        else:
            variance = mean_(square(subtract(x, mean)), axis=axis, keepdims=True)
    return divide(subtract(x, mean), sqrt(add(variance, epsilon)))


def _logmeanexp_domain(rng, dtype):
    def r(*shape):
        return dom.real(rng, shape, dtype)
    mask = np.array([[True, False, True], [True, True, True]])
    return [((r(4),), {}), ((r(2, 3),), {"axis": 1}), ((r(2, 3),), {"axis": 0, "keepdims": True}),
            ((r(2, 3, 2),), {"axis": (0, 2)}), ((r(2, 3),), {"axis": 1, "where": mask}),
            ((r(2, 3), None, mask[0]), {})]


@defcomposite("logmeanexp", namespace="nn", domain=_logmeanexp_domain,
              doc="logmeanexp(x, axis=None, where=None, keepdims=False) = log(mean_axis e^x) = "
                  "logsumexp(x) − log n, n the number of entries reduced (those where the "
                  "boolean mask where= is True; masked entries count as −inf); ẋ's weights are "
                  "the softmax over the kept entries")
def logmeanexp(x, axis=None, where=None, keepdims=False):
    shape = shape_of(x)
    if where is None:
        mask = np.ones(shape, dtype=bool)
    else:
        if isinstance(where, Tracer) or np.asarray(where).dtype != bool:
            raise TypeError(f"logmeanexp(): where must be a boolean mask (a constant array), "
                            f"got {'a traced array' if isinstance(where, Tracer) else where!r}")
        mask = np.broadcast_to(where, shape)
        x = where_(mask, x, -np.inf)
    count = np.sum(mask, axis=axis, keepdims=keepdims)
    total = logsumexp(x, axis=axis, keepdims=keepdims)
    return subtract(total, np.log(count).astype(_value(total).dtype))


# -- one_hot: value-level (integer indices in, no derivative) --------------------------------

def one_hot(x, num_classes, *, dtype=np.float64, axis=-1):
    """One-hot encoding of integer class indices, as ``jax.nn.one_hot``.

    Parameters
    ----------
    x : array_like of int
        Class indices; an index outside ``[0, num_classes)`` encodes as all zeros.
    num_classes : int
        Length of the new axis.
    dtype : dtype, optional
        Dtype of the result (default float64, JAX's default float with x64 enabled).
    axis : int, optional
        Position of the new axis in the result (default last).

    Returns
    -------
    ndarray of shape ``x.shape`` with ``num_classes`` inserted at ``axis``: 1 where the
    index equals the class, else 0. It is a constant: nothing flows back to ``x``.

    Raises
    ------
    TypeError
        For non-integer ``x`` (a traced array is floating, so it is refused too; JAX warns that
        float input is deprecated) or ``num_classes``.

    Examples
    --------
    >>> import admodes.nn as nn
    >>> nn.one_hot([0, 2, -1], 3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    values = np.asarray(primal_value(x))
    if isinstance(x, Tracer) or values.dtype.kind not in "iu":
        raise TypeError(f"one_hot(): x must hold integer class indices, got "
                        f"{'a traced array' if isinstance(x, Tracer) else 'an array'} of dtype "
                        f"{values.dtype}; one-hot codes have no derivative. Pass the indices "
                        f"as integers (x.astype(int)); jax.nn.one_hot deprecates float input")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 0:
        raise TypeError(f"one_hot(): num_classes must be a nonnegative int, "
                        f"got {num_classes!r}")
    ndim = values.ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"one_hot(): axis {axis} is out of bounds for the result of "
                         f"dimension {ndim}")
    axis %= ndim
    classes = np.arange(num_classes).reshape((num_classes,) + (1,) * (ndim - 1 - axis))
    return (np.expand_dims(values, axis) == classes).astype(dtype)
