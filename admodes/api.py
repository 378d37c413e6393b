"""The JAX-signature transforms, built on the two engines.

Forward mode (:mod:`admodes.forward`): :func:`jvp`, :func:`jacfwd`. Reverse mode
(:mod:`admodes.reverse`): :func:`vjp`, :func:`grad`, :func:`value_and_grad`, :func:`jacrev`.
Nested: :func:`hessian` (forward-over-reverse) and :func:`hvp` (reverse-over-forward). Every
transform opens its own trace level, so they nest in any order.

Cost (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 3-4): for
f: R^n -> R^m costing C, one JVP or one VJP costs O(C); a full Jacobian costs O(nC) forward
and O(mC) reverse, so a gradient (m = 1) costs O(C) in reverse mode whatever n is.
"""

from __future__ import annotations

import functools

import numpy as np

from admodes import conventions, reverse
from admodes import tree as tree_util
from admodes.forward import Dual, ForwardTrace
from admodes.registry import _REGISTRY as _R
from admodes.reverse import Node, Tape
from admodes.tracing import Tracer, primal_value, shape_of, size_of

__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "linearize",
           "value_and_grad", "vjp"]


# -- input checks ---------------------------------------------------------------------------------

def _as_input(x, where):
    """``x`` as an array (or tracer) of a real floating dtype; else a TypeError naming it.

    ``where`` names ``x`` in the message: a string, or a function returning one (formatted
    only when there is an error to report).
    """
    if type(x) is not np.ndarray and not isinstance(x, Tracer):
        if isinstance(x, (str, bytes)):
            raise TypeError(f"{_where(where)} is a string ({x!r}); derivatives need real "
                            f"floating-point arrays")
        try:
            x = np.asarray(x)
        except Exception as err:  # ragged lists and the like
            raise TypeError(f"{_where(where)} could not be converted to an array: {err}") \
                from err
    dtype = x.dtype
    if dtype.kind != "f":  # not a real floating dtype
        kind = {"b": "boolean", "i": "integer", "u": "integer"}.get(dtype.kind, str(dtype))
        raise TypeError(f"{_where(where)} has {kind} dtype {dtype}; derivatives need real "
                        f"floating-point inputs (float64 or float32). Convert it, e.g. "
                        f"np.asarray(x, dtype=float).")
    return x


def _where(where):
    return where() if callable(where) else where


def _is_integer(x):
    """True for an integer or boolean array, number or traced value."""
    if isinstance(x, (str, bytes)):
        return False
    try:
        return np.result_type(primal_value(x)).kind in "biu"
    except TypeError:
        return False


def _jax_options(fname, holomorphic=False, reduce_axes=()):
    """JAX's keyword arguments that admodes accepts at their defaults only."""
    if holomorphic:
        raise TypeError(f"{fname}: holomorphic=True differentiates complex-valued functions; "
                        f"admodes differentiates real ones (float32/float64), so only "
                        f"holomorphic=False is accepted")
    if tuple(reduce_axes):
        raise ValueError(f"{fname}: reduce_axes={reduce_axes!r} names axes of JAX's named-axis "
                         f"transforms, which admodes does not have; pass reduce_axes=()")


def _argnums_tuple(argnums, nargs, fname):
    single = isinstance(argnums, (int, np.integer))
    if not single and not isinstance(argnums, (tuple, list)):
        raise TypeError(f"{fname}: argnums must be an int or a tuple of ints, got {argnums!r}")
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{fname}: argnums must name at least one argument")
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{fname}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{fname}: argnums={argnums!r} but the function was called with "
                             f"{nargs} positional argument(s)")
    return tuple(int(a) % nargs for a in nums), single


def _check_chunk(chunk_size, fname):
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer))
                                   or chunk_size < 1):
        raise ValueError(f"{fname}: chunk_size must be a positive int or None, "
                         f"got {chunk_size!r}")


def _split_aux(out, has_aux, fname):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        if isinstance(out, (tuple, list)):
            got = f"a {type(out).__name__} of length {len(out)}"
        elif isinstance(out, (Tracer, np.ndarray)):
            got = f"an array of shape {shape_of(out)}"
        else:
            got = f"a {type(out).__name__}"
        raise TypeError(f"{fname} with has_aux=True needs the function to return a pair "
                        f"(output, aux), got {got}")
    return out[0], out[1]


def _strip(tree, trace):
    """Replace this trace's tracers in ``tree`` by their values (for aux outputs)."""
    def value(x):
        return x._primal if isinstance(x, Tracer) and x._trace is trace else x
    return tree_util.tree_map(value, tree)


#: The dtype of the derivative of an integer or boolean input (``allow_int=True``), as JAX's
#: ``jax.dtypes.float0``: entries of size zero.
float0 = np.dtype([("float0", np.void, 0)])


class _IntegerInput:
    """An integer or boolean leaf differentiated with ``allow_int``: not recorded (a constant
    of the program); its derivative is ``float0`` zeros."""

    __slots__ = ("_primal",)

    def __init__(self, value):
        self._primal = value


def _dynamic(args, argnums, fname, allow_int=False):
    """Flatten the differentiated arguments: leaves (checked), their treedef, and a rebuild.
    With ``allow_int`` an integer or boolean leaf is returned as an :class:`_IntegerInput`."""
    leaves, treedef = tree_util.flatten(tuple(args[i] for i in argnums))
    several = len(leaves) > 1

    def where(j):
        return lambda: (f"{fname}: argument {argnums[0] if len(argnums) == 1 else argnums}"
                        f"{' leaf ' + str(j) if several else ''}")
    leaves = [_IntegerInput(np.asarray(x)) if allow_int and _is_integer(x)
              else _as_input(x, where(j)) for j, x in enumerate(leaves)]

    def rebuild(new_leaves):
        new = list(args)
        for i, sub in zip(argnums, tree_util.unflatten(treedef, new_leaves)):
            new[i] = sub
        return new
    return leaves, treedef, rebuild


def _batch_of_one(values, references, what, reference_name, hint=""):
    """Each of ``values`` checked (:func:`_as_input`) and shaped like its reference, with a
    leading batch axis of one (the engines' layout). The value for an integer or boolean
    reference (an output without a derivative) is not checked: it is never used. Errors name
    ``what`` leaf i and the ``reference_name``, then ``hint``."""
    batched = []
    for i, (value, reference) in enumerate(zip(values, references)):
        if np.result_type(primal_value(reference)).kind in "biu":
            value = np.asarray(value)
        else:
            value = _as_input(value, f"{what} leaf {i}")
        if shape_of(value) != shape_of(reference):
            raise ValueError(f"{what} leaf {i} has shape {shape_of(value)} but "
                             f"{reference_name} has shape {shape_of(reference)}{hint}")
        batched.append(_R["reshape"](value, (1,) + shape_of(value)))
    return batched


# -- forward mode ---------------------------------------------------------------------------------

def _forward(fun, args, argnums, tangent_leaves, has_aux, fname):
    """Run ``fun`` once with batched tangents on the differentiated leaves.

    Returns (output leaves, output treedef, tangent leaves or None for symbolic zeros, aux).
    """
    leaves, _, rebuild = _dynamic(args, argnums, fname)
    with ForwardTrace() as trace:
        duals = [Dual(x, t, trace) for x, t in zip(leaves, tangent_leaves)]
        out = fun(*rebuild(duals))
    out, aux = _split_aux(out, has_aux, fname)
    out_leaves, out_def = tree_util.flatten(out)
    primals, tangents = [], []
    for o in out_leaves:
        if isinstance(o, Dual) and o._trace is trace:
            primals.append(o._primal)
            tangents.append(reverse.in_dtype_of(o.tangent, o._primal))
        else:
            primals.append(o)
            tangents.append(None)
    return primals, out_def, tangents, _strip(aux, trace) if has_aux else None


def jvp(fun, primals, tangents, has_aux=False):
    """Jacobian-vector product by forward mode: ``(fun(*primals), J · tangents)``.

    Parameters
    ----------
    fun : callable
        Function of ``len(primals)`` positional arguments (pytrees of float arrays).
    primals, tangents : tuple or list
        Where to evaluate, and the direction: same structure, shapes and dtype kinds.
    has_aux : bool
        If True ``fun`` returns ``(output, aux)`` and ``aux`` is returned too, undifferentiated.

    Returns
    -------
    (primal_out, tangent_out) or (primal_out, tangent_out, aux)

    Raises
    ------
    TypeError
        Non-tuple ``primals``/``tangents``, non-float inputs.
    ValueError
        Tangents whose structure or shapes differ from the primals.

    Examples
    --------
    >>> import admodes as ad, admodes.numpy as anp
    >>> ad.jvp(anp.sin, (0.0,), (1.0,))
    (np.float64(0.0), np.float64(1.0))
    """
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"jvp: {name} must be a tuple or list with one entry per argument of "
                            f"fun, got {type(value).__name__}. Write jvp(f, (x,), (v,)).")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s)")
    p_leaves, p_def = tree_util.flatten(tuple(primals))
    t_leaves, t_def = tree_util.flatten(tuple(tangents))
    if p_def != t_def:
        raise ValueError(f"jvp: tangents have structure {t_def} but primals have {p_def}")
    p_leaves = [_as_input(p, f"jvp: primal leaf {i}") for i, p in enumerate(p_leaves)]
    batched = _batch_of_one(t_leaves, p_leaves, "jvp: tangent", "its primal",
                            "; they must match")
    argnums = tuple(range(len(primals)))
    outs, out_def, touts, aux = _forward(fun, tuple(primals), argnums, batched, has_aux, "jvp")
    tangent_out = [reverse.zeros_for(o) if t is None else t[0] for o, t in zip(outs, touts)]
    result = (tree_util.unflatten(out_def, outs), tree_util.unflatten(out_def, tangent_out))
    return result + (aux,) if has_aux else result


def _seed_rows(leaves, start, stop):
    """Rows start..stop of the identity over the concatenated leaves, split per leaf."""
    k = stop - start
    seeds, offset = [], 0
    for x in leaves:
        size = int(size_of(x))
        block = np.zeros((k, size), dtype=np.result_type(primal_value(x)))
        lo, hi = max(start, offset), min(stop, offset + size)
        if lo < hi:
            block[np.arange(lo - start, hi - start), np.arange(lo - offset, hi - offset)] = 1
        seeds.append(block.reshape((k,) + shape_of(x)))
        offset += size
    return seeds


def _chunks(total, chunk_size):
    step = total if chunk_size is None else chunk_size
    return [(s, min(s + step, total)) for s in range(0, total, max(step, 1))] or [(0, 0)]


def _jacobian_tree(out_def, in_def, single, blocks):
    """Nest ``blocks[i][j]`` (out leaf i, in leaf j) as out-structure of in-structure."""
    per_out = []
    for row in blocks:
        sub = tree_util.unflatten(in_def, row)
        per_out.append(sub[0] if single else sub)
    return tree_util.unflatten(out_def, per_out)


def _concat_rows(parts):
    return parts[0] if len(parts) == 1 else _R["concatenate"](parts, axis=0)


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False, *, chunk_size=None):
    """Jacobian by forward mode: one JVP per input direction, ``chunk_size`` at a time.

    For f: R^n -> R^m the cost is n JVPs, O(nC). ``chunk_size=None`` pushes all n directions
    in one vectorized pass; ``chunk_size=1`` is the classic one-direction-per-pass variant.

    Returns a function with the signature of ``fun`` whose result has, for each output leaf of
    shape ``out``, a Jacobian of shape ``out + in`` per differentiated input leaf (a tuple
    over ``argnums`` if ``argnums`` is a tuple), as ``jax.jacfwd``.
    """
    _check_chunk(chunk_size, "jacfwd")
    _jax_options("jacfwd", holomorphic)

    @functools.wraps(fun)
    def jacfun(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacfwd")
        leaves, in_def, _ = _dynamic(args, nums, "jacfwd")
        total = int(sum(size_of(x) for x in leaves))
        parts, outs, out_def, aux = [], None, None, None
        for start, stop in _chunks(total, chunk_size):
            seeds = _seed_rows(leaves, start, stop)
            outs, out_def, touts, aux = _forward(fun, args, nums, seeds, has_aux, "jacfwd")
            parts.append([reverse.zeros_for(o, stop - start) if t is None else t
                          for o, t in zip(outs, touts)])
        blocks = []
        for i, o in enumerate(outs):
            rows = _concat_rows([p[i] for p in parts])  # (n_total,) + out_shape
            out_shape = shape_of(o)
            row_blocks, offset = [], 0
            for x in leaves:
                size, in_shape = int(size_of(x)), shape_of(x)
                block = rows if len(leaves) == 1 else _R["index_basic"](
                    rows, index=(slice(offset, offset + size),))
                block = _R["reshape"](block, in_shape + out_shape)
                ni, no = len(in_shape), len(out_shape)
                perm = tuple(range(ni, ni + no)) + tuple(range(ni))
                row_blocks.append(block if ni == 0 or no == 0 else _R["transpose"](block, perm))
                offset += size
            blocks.append(row_blocks)
        jac = _jacobian_tree(out_def, in_def, single, blocks)
        return (jac, aux) if has_aux else jac
    return jacfun



# -- reverse mode ---------------------------------------------------------------------------------

def _record(fun, args, argnums, has_aux, fname, keep_all=False, allow_int=False):
    """Run ``fun`` on a fresh tape (keeping every residual with ``keep_all``). Returns (tape,
    input nodes, input treedef, out leaves, out treedef, aux); with ``allow_int`` an integer
    input is an :class:`_IntegerInput` among the nodes, passed to ``fun`` as it is."""
    leaves, in_def, rebuild = _dynamic(args, argnums, fname, allow_int)
    with Tape(keep_all) as tape:
        nodes = [x if isinstance(x, _IntegerInput) else tape.new_input(x) for x in leaves]
        out = fun(*rebuild([n._primal if isinstance(n, _IntegerInput) else n
                            for n in nodes]))
    out, aux = _split_aux(out, has_aux, fname)
    out_leaves, out_def = tree_util.flatten(out)
    return tape, nodes, in_def, out_leaves, out_def, _strip(aux, tape) if has_aux else None


def _out_value(o, tape):
    return o._primal if isinstance(o, Node) and o._trace is tape else o


def _pull(tape, nodes, out_leaves, batched_cts, snapshot):
    """One reverse sweep for batched cotangents on the output leaves; input cotangent leaves."""
    seeds = [(o.index, ct) for o, ct in zip(out_leaves, batched_cts)
             if isinstance(o, Node) and o._trace is tape]
    k = batched_cts[0].shape[0] if batched_cts else 1
    if snapshot is conventions.current():  # the usual case: no context to enter
        cts = reverse.backward_pass(tape.records, seeds)
    else:
        with conventions.use(snapshot):
            cts = reverse.backward_pass(tape.records, seeds)
    return [np.zeros((k,) + shape_of(n._primal), dtype=float0) if isinstance(n, _IntegerInput)
            else reverse.zeros_for(n, k) if cts[n.index] is None
            else reverse.in_dtype_of(cts[n.index], n) for n in nodes]


def vjp(fun, *primals, has_aux=False, reduce_axes=()):
    """Vector-Jacobian product by reverse mode.

    Records ``fun(*primals)`` on a tape once and returns ``(out, pullback)`` (and ``aux`` if
    ``has_aux``). ``pullback(ct)``, with ``ct`` shaped like ``out``, returns the tuple
    ``ct · J`` with one entry per primal, shaped like the primals. ``pullback`` can be called
    any number of times; each call is one reverse sweep costing O(C). The cotangent of an
    integer or boolean output (``lstsq``'s rank) is not used and may have any dtype.

    Examples
    --------
    >>> import admodes as ad, admodes.numpy as anp
    >>> out, pullback = ad.vjp(anp.sin, 0.0)
    >>> pullback(1.0)
    (np.float64(1.0),)
    """
    if not primals:
        raise TypeError("vjp: needs at least one primal argument, as vjp(f, x)")
    _jax_options("vjp", reduce_axes=reduce_axes)
    snapshot = conventions.current()
    argnums = tuple(range(len(primals)))
    tape, nodes, in_def, out_leaves, out_def, aux = _record(fun, primals, argnums, has_aux,
                                                            "vjp")
    out = tree_util.unflatten(out_def, [_out_value(o, tape) for o in out_leaves])

    def pullback(ct):
        ct_leaves, ct_def = tree_util.flatten(ct)
        if ct_def != out_def:
            raise ValueError(f"vjp pullback: cotangent has structure {ct_def} but the output "
                             f"has {out_def}")
        batched = _batch_of_one(ct_leaves, [_out_value(o, tape) for o in out_leaves],
                                "vjp pullback: cotangent", "the output")
        grads = [g[0] for g in _pull(tape, nodes, out_leaves, batched, snapshot)]
        return tuple(tree_util.unflatten(in_def, grads))

    return (out, pullback, aux) if has_aux else (out, pullback)


def linearize(fun, *primals, has_aux=False):
    """``(fun(*primals), f_jvp)`` with ``f_jvp(*tangents) = J · tangents``, as ``jax.linearize``.

    ``fun`` is evaluated once, on a tape that keeps every intermediate value; each call of
    ``f_jvp`` pushes its tangents forward along that tape, through the ops' JVP rules on the
    saved values (:func:`admodes.reverse.tangent_pass`), without evaluating ``fun`` again:
    the linear map J stored as the Wengert list, O(C) per call, memory of a reverse-mode tape
    (with the inputs and outputs of every op kept). ``f_jvp`` takes one tangent per primal,
    shaped like it, and returns the output tangent shaped like the output.

    Examples
    --------
    >>> import admodes as ad, admodes.numpy as anp
    >>> y, f_jvp = ad.linearize(anp.sin, 0.0)
    >>> f_jvp(2.0)
    np.float64(2.0)
    """
    if not primals:
        raise TypeError("linearize: needs at least one primal argument, as linearize(f, x)")
    snapshot = conventions.current()
    argnums = tuple(range(len(primals)))
    tape, nodes, in_def, out_leaves, out_def, aux = _record(fun, primals, argnums, has_aux,
                                                            "linearize", keep_all=True)
    outs = [_out_value(o, tape) for o in out_leaves]

    def f_jvp(*tangents):
        t_leaves, t_def = tree_util.flatten(tangents)
        if t_def != in_def:
            raise ValueError(f"linearize f_jvp: tangents have structure {t_def} but the "
                             f"primals have {in_def}")
        batched = _batch_of_one(t_leaves, [n._primal for n in nodes],
                                "linearize f_jvp: tangent", "its primal")
        seeds = [(n.index, t) for n, t in zip(nodes, batched)]
        with conventions.use(snapshot):
            pushed = reverse.tangent_pass(tape.records, seeds)
        result = [reverse.in_dtype_of(pushed[o.index][0], v) if isinstance(o, Node)
                  and o._trace is tape and pushed[o.index] is not None else reverse.zeros_for(v)
                  for o, v in zip(out_leaves, outs)]
        return tree_util.unflatten(out_def, result)

    out = tree_util.unflatten(out_def, outs)
    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False,
                   reduce_axes=()):
    """Return a function computing ``(fun(*args), ∇fun(*args))`` by one reverse sweep.

    ``fun`` must return a scalar (shape ``()``) of a floating dtype. With ``has_aux`` the
    result is ``((value, aux), grad)``. ``argnums`` selects the differentiated arguments; a
    tuple gives a tuple of gradients. As in JAX, ``allow_int=True`` accepts integer and
    boolean arguments, whose gradient is zeros of dtype :data:`float0`; ``holomorphic`` and
    ``reduce_axes`` are accepted at their defaults (False, ()) only.
    """
    _jax_options("grad", holomorphic, reduce_axes)

    @functools.wraps(fun)
    def value_and_grad_fun(*args):
        nums, single = _argnums_tuple(argnums, len(args), "grad")
        snapshot = conventions.current()
        tape, nodes, in_def, out_leaves, out_def, aux = _record(fun, args, nums, has_aux,
                                                                "grad", allow_int=allow_int)
        if len(out_leaves) != 1 or out_def.kind != "leaf":
            raise TypeError(f"grad requires fun to return a scalar, got a {out_def} structure. "
                            f"Use jacrev or vjp for vector or pytree outputs.")
        out = out_leaves[0]
        value = _out_value(out, tape)
        shape = shape_of(value)
        if shape != ():
            raise TypeError(f"grad requires a scalar output; got shape {shape}. Use jacrev or "
                            f"vjp for non-scalar outputs (or reduce it, e.g. anp.sum).")
        dtype = np.result_type(primal_value(value))
        if dtype.kind != "f":
            raise TypeError(f"grad requires a real floating-point output, got dtype {dtype}")
        seed = np.ones((1,), dtype=dtype)
        grads = [g[0] for g in _pull(tape, nodes, out_leaves, [seed], snapshot)]
        g = tree_util.unflatten(in_def, grads)
        g = g[0] if single else g
        return ((value, aux), g) if has_aux else (value, g)
    return value_and_grad_fun


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """Return a function computing the gradient of scalar ``fun`` by reverse mode.

    Cost O(C) whatever the number of inputs (one forward pass recording the tape, one reverse
    sweep). See :func:`value_and_grad` for the parameters.

    Examples
    --------
    >>> import admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda x: anp.sum(x ** 2))(anp.array([1.0, 2.0]))
    array([2., 4.])
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, reduce_axes)

    @functools.wraps(fun)
    def grad_fun(*args):
        (value, g) = vg(*args)
        return (g, value[1]) if has_aux else g
    return grad_fun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, *,
           chunk_size=None):
    """Jacobian by reverse mode: one VJP per output row, ``chunk_size`` rows per sweep.

    For f: R^n -> R^m the cost is one recorded forward pass plus m VJPs, O(mC).
    ``chunk_size=None`` pulls all m rows back in one vectorized sweep; ``chunk_size=1`` is one
    row per sweep. Result layout as :func:`jacfwd` (``out + in`` per leaf pair).
    ``allow_int`` and ``holomorphic`` as in :func:`value_and_grad`.
    """
    _check_chunk(chunk_size, "jacrev")
    _jax_options("jacrev", holomorphic)

    @functools.wraps(fun)
    def jacfun(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacrev")
        snapshot = conventions.current()
        tape, nodes, in_def, out_leaves, out_def, aux = _record(fun, args, nums, has_aux,
                                                                "jacrev", allow_int=allow_int)
        outs = [_out_value(o, tape) for o in out_leaves]
        for o in outs:
            dtype = np.result_type(primal_value(o))
            if dtype.kind != "f":
                raise TypeError(f"jacrev requires real floating-point outputs, got dtype {dtype}")
        total = int(sum(size_of(primal_value(o)) for o in outs))
        seeds_like = [primal_value(o) for o in outs]
        parts = []
        for start, stop in _chunks(total, chunk_size):
            cts = _seed_rows(seeds_like, start, stop)
            parts.append(_pull(tape, nodes, out_leaves, cts, snapshot))
        columns = [_concat_rows([p[j] for p in parts]) for j in range(len(nodes))]
        blocks, offset = [], 0
        for o in outs:
            size, out_shape = int(size_of(primal_value(o))), shape_of(o)
            row = []
            for j, n in enumerate(nodes):
                col = columns[j] if len(outs) == 1 else _R["index_basic"](
                    columns[j], index=(slice(offset, offset + size),))
                row.append(_R["reshape"](col, out_shape + shape_of(n._primal)))
            blocks.append(row)
            offset += size
        jac = _jacobian_tree(out_def, in_def, single, blocks)
        return (jac, aux) if has_aux else jac
    return jacfun


jacobian = jacrev  # jax.jacobian: the same function


# -- nested ---------------------------------------------------------------------------------------

def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """Hessian of scalar ``fun`` by forward-over-reverse: ``jacfwd(jacrev(fun))``.

    Cost: n forward passes through the reverse sweep, O(nC) for n inputs. ``holomorphic`` is
    accepted at its default (False) only.
    """
    _jax_options("hessian", holomorphic)

    def checked(*args):  # so that a bad has_aux output is reported as hessian's
        out = fun(*args)
        _split_aux(out, has_aux, "hessian")
        return out
    hess = jacfwd(jacrev(checked, argnums, has_aux=has_aux), argnums, has_aux=has_aux)

    @functools.wraps(fun)
    def hessian_fun(*args):
        _argnums_tuple(argnums, len(args), "hessian")  # errors name hessian, not jacfwd
        return hess(*args)
    return hessian_fun


def hvp(fun, primals, tangents):
    """Hessian-vector product ``∇²f(x) · v = ∇_x ⟨∇f(x), v⟩``, by reverse-over-forward, in O(C).

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``fun`` (as for
    :func:`jvp`); a single array may be passed for a one-argument function. Returns the
    product in the structure of ``primals``.

    The gradient of the directional derivative ``x ↦ ∇f(x) · v`` (a forward pass inside a
    reverse one). Forward-over-reverse (``jvp(grad(f))``) gives the same product but also
    computes ``∇f(x)`` itself, which a compiler drops as dead code and an eager engine cannot:
    on ``sum(log1p(exp(A x))) + x·x/2`` it takes four passes over ``A`` where this takes three
    (``A x``, ``A v`` and one transposed product), measured about 20% faster here
    (``benchmarks/compare_peers.py``).

    References
    ----------
    Pearlmutter, B. A. (1994). Fast exact multiplication by the Hessian. Neural Computation
    6(1), 147-160. doi:10.1162/neco.1994.6.1.147
    Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed., SIAM, ch. 5.
    """
    single = not isinstance(primals, (tuple, list))
    if single != (not isinstance(tangents, (tuple, list))):
        raise TypeError("hvp: primals and tangents must both be tuples or both single arrays")
    primals = (primals,) if single else tuple(primals)
    tangents = (tangents,) if single else tuple(tangents)

    def directional_derivative(*args):
        return jvp(fun, args, tangents)[1]

    product = grad(directional_derivative, argnums=tuple(range(len(primals))))(*primals)
    return product[0] if single else product
