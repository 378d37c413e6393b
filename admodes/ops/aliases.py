"""numpy's other names for registry functions: numpy 2.x's array-API spellings (acos, acosh,
asin, asinh, atan, atanh, atan2, pow, concat, permute_dims) and true_divide.

An alias is registered as a composite whose body is the function it names, so it has that
function's rules, domain and errors (messages name the original, e.g. ``arccos()``), and it is
tested like every registry entry. On a traced array numpy's own alias reaches the same entry
(``np.acos`` is the ufunc ``np.arccos``).

Reference: Python array API standard, v2023.12, https://data-apis.org/array-api/2023.12/
(elementwise functions ``acos`` … ``pow``, ``concat``, ``permute_dims``).
"""

from __future__ import annotations

from admodes.ops import _domains as dom
from admodes.ops import elementwise
from admodes.ops.shape import concatenate, transpose
from admodes.registry import defcomposite

_ARRAY_API = ("Python array API standard, v2023.12, https://data-apis.org/array-api/2023.12/",)


def _alias(name, target):
    """Register ``name`` as numpy's other name of the registry entry ``target``."""
    return defcomposite(name, domain=target.domain, refs=_ARRAY_API, kinks=target.kinks,
                        doc=f"numpy's other name of {target.name}: {target.doc}")(target)


acos = _alias("acos", elementwise.arccos)
acosh = _alias("acosh", elementwise.arccosh)
asin = _alias("asin", elementwise.arcsin)
asinh = _alias("asinh", elementwise.arcsinh)
atan = _alias("atan", elementwise.arctan)
atanh = _alias("atanh", elementwise.arctanh)
atan2 = _alias("atan2", elementwise.arctan2)
pow = _alias("pow", elementwise.power)
true_divide = _alias("true_divide", elementwise.divide)


@defcomposite("concat", domain=concatenate.domain, refs=_ARRAY_API,
              doc="numpy's array-API name of concatenate (axis=0; axis=None joins the "
                  "flattened arrays); ẏ = the tangents joined, x̄_i = ȳ's slice of x_i")
def concat(arrays, /, axis=0):
    return concatenate(arrays, axis=axis)


def _permute_dims_domain(rng, dtype):
    cases = (((2, 3, 4), {"axes": (1, 2, 0)}), ((2, 3), {}), ((2, 1, 3), {"axes": (-1, 0, 1)}))
    return [((dom.real(rng, shape, dtype),), static) for shape, static in cases]


@defcomposite("permute_dims", domain=_permute_dims_domain, refs=_ARRAY_API,
              doc="numpy's array-API name of transpose (axes=None reverses them); linear: "
                  "ẏ = ẋ permuted, x̄ = ȳ with the inverse permutation")
def permute_dims(a, axes=None):
    return transpose(a, axes)
