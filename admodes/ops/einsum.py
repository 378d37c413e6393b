"""einsum: numpy's subscript language, as one multilinear op with both rules.

``y = einsum(s, x1, ..., xn)`` is linear in each operand, so both rules are einsums again:

* JVP: ``ẏ = Σ_i einsum(s, x1, ..., ẋi, ..., xn)`` (the tangent takes the operand's place);
* VJP: ``x̄i = einsum(ȳ, x1, ..., x_{i−1}, x_{i+1}, ..., xn → indices of xi)``, then

  - indices that only ``xi`` carries (summed in ``y`` and absent from the other operands) are
    broadcast back: ``y`` does not depend on where along them the value sits;
  - an index repeated in ``xi`` (a diagonal, ``"ii->i"``; a trace, ``"ii->"``) puts the
    cotangent on that diagonal: the product with the identity ``δ_ab``;
  - an index of size 1 in ``xi`` that broadcasts against a larger one elsewhere is summed
    (keepdims), as for any broadcasting op.

Subscripts may use every form of ``numpy.einsum``: explicit (``"ij,jk->ik"``), implicit
(``"ij,jk"``: the output is the indices that appear once, in alphabetical order), ellipsis
(``"...ij,...jk->...ik"``: broadcasting leading axes), repeated indices in one operand. The
call is rewritten once, when the op is bound, into explicit subscripts without ellipsis
(:func:`explicit_subscripts`), which is what the tape records and the rules read.

Reference: Giles, M. B. (2008). An extended collection of matrix derivative results for
forward and reverse mode algorithmic differentiation. Oxford NA Report 08/01 (sec. 2.2: the
rules of products, of which an einsum is the general multilinear case).
"""

from __future__ import annotations

import string

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops.elementwise import add
from admodes.ops.reductions import sum as sum_
from admodes.ops.shape import broadcast_to, reshape
from admodes.registry import defop
from admodes.tracing import ndim_of, shape_of

__all__ = ["einsum", "explicit_subscripts"]

_LETTERS = frozenset(string.ascii_letters)


def _error(subscripts, problem):
    return ValueError(f"einsum: subscripts {subscripts!r}: {problem}")


def explicit_subscripts(subscripts, ndims) -> str:
    """``subscripts`` for operands of ``ndims`` dimensions as explicit ``"in,...->out"`` letters.

    Implicit output: the indices that occur exactly once, sorted (numpy's rule), after the
    ellipsis axes. An ellipsis stands for the leading axes an operand has beyond its letters;
    they broadcast right-aligned, so they get fresh letters shared from the right. Raises a
    ValueError naming the subscripts for anything numpy would reject.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str like 'ij,jk->ik', "
                        f"got {type(subscripts).__name__}")
    compact = subscripts.replace(" ", "")
    if compact.count("->") > 1:
        raise _error(subscripts, "'->' may appear once")
    lhs, arrow, rhs = compact.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise _error(subscripts, f"{len(inputs)} operand(s) named but {len(ndims)} given")
    for spec in inputs + [rhs]:
        body = spec.replace("...", "", 1)
        if not set(body) <= _LETTERS:
            raise _error(subscripts, f"{spec!r} may hold letters and one '...' only")
    used = set(compact) & _LETTERS
    fresh = [c for c in string.ascii_letters if c not in used]
    ellipsis_ndim = 0
    for spec, nd in zip(inputs, ndims):
        letters = len(spec.replace("...", ""))
        if ("..." in spec and letters > nd) or ("..." not in spec and letters != nd):
            raise _error(subscripts, f"operand {spec!r} does not match its {nd} dimension(s)")
        if "..." in spec:
            ellipsis_ndim = max(ellipsis_ndim, nd - letters)
    if len(fresh) < ellipsis_ndim:
        raise _error(subscripts, "not enough free letters for the ellipsis axes")
    broadcast = "".join(fresh[:ellipsis_ndim])
    explicit = [spec.replace("...", broadcast[ellipsis_ndim - (nd - len(spec) + 3):])
                if "..." in spec else spec for spec, nd in zip(inputs, ndims)]
    if arrow:
        out = rhs.replace("...", broadcast)
    else:
        counts = {c: "".join(explicit).count(c) for c in set("".join(inputs)) & _LETTERS}
        out = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(set(out)) != len(out) or not set(out) <= set("".join(explicit)):
        raise _error(subscripts, f"output indices {out!r} must be distinct input indices")
    return ",".join(explicit) + "->" + out


def _split(subscripts):
    """``(input specs, output spec)`` of explicit subscripts."""
    lhs, out = subscripts.split("->")
    return lhs.split(","), out


def _fresh_letters(subscripts, n):
    return [c for c in string.ascii_letters if c not in subscripts][:n]


def _einsum_jvp(primals, tangents, out, subscripts, optimize):
    inputs, rhs = _split(subscripts)
    z = _fresh_letters(subscripts, 1)[0]  # the batch axis of the tangents
    result = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        specs = [z + s if j == i else s for j, s in enumerate(inputs)]
        operands = [t if j == i else p for j, p in enumerate(primals)]
        term = einsum(",".join(specs) + "->" + z + rhs, *operands)
        result = term if result is None else add(result, term)
    return result


def _einsum_vjp(ct, primals, out, subscripts, optimize, wants=None):
    inputs, rhs = _split(subscripts)
    z = _fresh_letters(subscripts, 1)[0]
    return tuple(None if wants is not None and not wants[i]
                 else _operand_cotangent(ct, primals, inputs, rhs, i, z)
                 for i in range(len(inputs)))


def _operand_cotangent(ct, primals, inputs, rhs, i, z):
    """``x̄i``, shape ``(k,) + shape(xi)``: see the module docstring."""
    spec, shape = inputs[i], shape_of(primals[i])
    others = [s for j, s in enumerate(inputs) if j != i]
    unique = "".join(dict.fromkeys(spec))  # the distinct indices of xi, in order
    present = set(rhs).union(*others)
    kept = "".join(c for c in unique if c in present)
    g = einsum(",".join([z + rhs] + others) + "->" + z + kept,
               ct, *[p for j, p in enumerate(primals) if j != i])
    sizes = dict(zip(spec, shape))
    k = g.shape[0]
    if kept != unique:  # indices only xi carries: size-1 axes, broadcast at the end
        g = reshape(g, (k,) + tuple(g.shape[1 + kept.index(c)] if c in kept else 1
                                    for c in unique))
    if unique != spec:  # repeated indices: onto the diagonal, by products with the identity
        renamed, eyes, spare = [], [], iter(_fresh_letters(spec + rhs + z, len(spec)))
        seen = set()
        for c in spec:
            if c in seen:
                d = next(spare)
                renamed.append(d)
                eyes.append((c + d, np.eye(sizes[c], dtype=g.dtype)))
            else:
                seen.add(c)
                renamed.append(c)
        g = einsum(",".join([z + unique] + [s for s, _ in eyes]) + "->" + z + "".join(renamed),
                   g, *[e for _, e in eyes])
    ones = tuple(1 + j for j, n in enumerate(shape) if n == 1 and g.shape[1 + j] != 1)
    if ones:  # size-1 axes of xi broadcast against larger ones elsewhere: summed
        g = sum_(g, axis=ones, keepdims=True)
    if g.shape[1:] != tuple(shape):  # axes along which y does not depend on xi's position
        g = broadcast_to(g, (k,) + tuple(shape))
    return g


def _einsum_cost(primals, out, subscripts, optimize):
    """Multiply-adds of the direct loop: (operands) × (product of all index sizes)."""
    inputs, _ = _split(subscripts)
    sizes = {}
    for spec, x in zip(inputs, primals):
        for c, n in zip(spec, shape_of(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    return len(primals) * int(np.prod(list(sizes.values()), dtype=np.int64))


def _einsum_domain(rng, dtype):
    r = dom.real
    cases = [("ij,jk->ik", (2, 3), (3, 4)), ("i,i->", (3,), (3,)), ("ij->ji", (2, 3)),
             ("ij->i", (2, 3)), ("bij,bj->bi", (2, 3, 4), (2, 4)),
             ("i,j,ij->", (2,), (3,), (2, 3)),
             ("ij,jk", (2, 3), (3, 4)),  # implicit output
             ("...ij,...jk->...ik", (2, 1, 2, 3), (4, 3, 2)),  # broadcasting ellipsis
             ("i...->...", (2, 3)), ("ii->i", (3, 3)), ("ii", (3, 3)),  # diagonal, trace
             ("iij,jk->ik", (2, 2, 3), (3, 4)),
             ("ij,ij->ij", (1, 3), (2, 3))]  # a size-1 index broadcast
    return [((spec,) + tuple(r(rng, s, dtype) for s in shapes), {})
            for spec, *shapes in cases]


def _einsum_impl(*operands, subscripts, optimize):
    return np.einsum(subscripts, *operands, optimize=optimize)


def _einsum_parse(subscripts, *operands, optimize=True):
    """numpy's signature; ``optimize`` (the contraction order: speed, not values) is passed on
    to the primal's ``numpy.einsum``; the rules' einsums use the default."""
    explicit = explicit_subscripts(subscripts, [ndim_of(x) for x in operands])
    return operands, {"subscripts": explicit, "optimize": optimize}


einsum = defop(
    "einsum", _einsum_impl,
    jvp=_einsum_jvp, vjp=_einsum_vjp, cost=_einsum_cost, domain=_einsum_domain,
    parse=_einsum_parse,
    static={"subscripts": None, "optimize": True}, saves=("inputs",), selective=True,
    doc="y = einsum(s, x1, ..., xn), multilinear; ẏ = Σ_i einsum(s with ẋ_i for x_i); "
        "x̄_i = einsum of ȳ with the other operands onto x_i's indices (broadcast where x_i "
        "alone carries an index, onto the diagonal where it repeats one, summed where it "
        "broadcasts a size-1 axis); numpy's subscripts: explicit, implicit, ellipsis",
    refs=(("Giles, M. B. (2008). An extended collection of matrix derivative results for "
           "forward and reverse mode algorithmic differentiation. Oxford NA Report 08/01."),))
