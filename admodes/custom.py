"""Derivative rules declared by the user: ``custom_jvp``, ``custom_vjp``, ``checkpoint`` and
``stop_gradient``, with JAX's signatures.

A decorated function becomes one primitive of the engines (an :class:`~admodes.registry.Op`
made for its argument structure, not registered by name), so both engines treat it like any
op of the registry: the tape records one entry for it, whatever runs inside.

``custom_jvp(f)`` with ``f.defjvp(rule)``, ``rule(primals, tangents) -> (out, tangent_out)``
    Forward mode calls ``rule`` once per tangent direction (zero tangents are passed as zero
    arrays). Reverse mode transposes it: the rule is linear in the tangents ``t``, so
    ``ct · J = ∇_t ⟨ct, rule(x, t)[1]⟩``, one tape of the rule at ``t = 0`` and one reverse
    sweep for all cotangents of a batch.
``custom_vjp(f)`` with ``f.defvjp(fwd, bwd)``, ``fwd(*args) -> (out, residuals)``,
    ``bwd(residuals, g) -> one cotangent per argument`` (``None`` for zero). Reverse mode calls
    ``fwd`` on the way forward and keeps its residuals with the output; ``bwd`` runs once per
    cotangent of a batch. As in JAX, forward mode is an error (there is no JVP rule).
``checkpoint(f)`` (alias ``remat``)
    Rematerialization (Griewank & Walther 2008, ch. 12; Chen et al. 2016): the tape keeps
    ``f``'s inputs only, and the reverse sweep records ``f`` again on a tape of its own and
    sweeps it: residual memory of ``f``'s intermediates traded for one more evaluation of
    ``f``. Forward mode differentiates ``f`` as it is.
``stop_gradient(x)``
    ``x`` with every derivative level removed: a constant to all enclosing transforms.

The rules may be written with :mod:`admodes.numpy`; they are then differentiable themselves,
so the custom functions nest like any op (``grad`` of ``grad``, ``jacfwd`` of ``jacrev``; a
``custom_vjp`` function has no forward mode, so not under ``jacfwd`` or ``hessian``).
Arguments are pytrees of arrays; outputs are pytrees of floating-point arrays (several output
leaves travel through the engines as one flat array).

References: Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed., SIAM.
Chen, T., Xu, B., Zhang, C. & Guestrin, C. (2016). Training deep nets with sublinear memory
cost. arXiv:1604.06174. Radul, A. et al. (2023). You only linearize once: tangents transpose
to gradients. POPL. (Reverse mode as the transpose of forward mode.)
"""

from __future__ import annotations

import functools
import math
import warnings
import weakref

import numpy as np

from admodes import cost
from admodes import tree as tree_util
from admodes.forward import Dual, ForwardTrace
from admodes.registry import _REGISTRY as _R
from admodes.registry import Op
from admodes.reverse import Node, record, zeros_for
from admodes.tracing import Tracer, primal_value, shape_of

__all__ = ["checkpoint", "custom_jvp", "custom_vjp", "remat", "stop_gradient"]


def stop_gradient(x):
    """``x`` (a pytree) as a constant to every enclosing transform: its derivative is zero.

    >>> import admodes as ad, admodes.numpy as anp
    >>> ad.grad(lambda x: x * ad.stop_gradient(x))(3.0)
    np.float64(3.0)
    """
    return tree_util.tree_map(primal_value, x)


# -- the output structure ----------------------------------------------------------------------

class _Structure:
    """The output pytree of a custom function: its treedef and leaf shapes and dtypes. Several
    leaves are packed into one flat array (the op's output) and unpacked after it."""

    def __init__(self, name, leaves, treedef):
        for i, leaf in enumerate(leaves):
            dtype = np.result_type(primal_value(leaf))
            if dtype.kind != "f":
                raise TypeError(f"{name}: output leaf {i} has dtype {dtype}; the outputs of a "
                                f"function with custom derivatives must be floating-point "
                                f"arrays")
        self.treedef = treedef
        self.shapes = [shape_of(leaf) for leaf in leaves]
        self.dtypes = [np.result_type(primal_value(leaf)) for leaf in leaves]
        self.single = len(leaves) == 1

    def __eq__(self, other):
        return (self.treedef == other.treedef and self.shapes == other.shapes
                and self.dtypes == other.dtypes)

    def pack(self, leaves):
        if self.single:
            return leaves[0]
        return _R["concatenate"]([_R["reshape"](leaf, (-1,)) for leaf in leaves], axis=0)

    def unpack(self, flat, batch=()):
        """The pytree from ``flat`` of shape ``batch + (total size,)`` (or the one leaf)."""
        if self.single:
            return tree_util.unflatten(self.treedef, [flat])
        leaves, offset = [], 0
        lead = (slice(None),) * len(batch)
        for shape, dtype in zip(self.shapes, self.dtypes):
            size = math.prod(shape)
            piece = _R["reshape"](flat[lead + (slice(offset, offset + size),)], batch + shape)
            if piece.dtype != dtype:
                piece = _R["cast"](piece, dtype=dtype)
            leaves.append(piece)
            offset += size
        return tree_util.unflatten(self.treedef, leaves)


def _vjps(fun, args, positions, cts):
    """``cts · ∂fun/∂args[i]`` for i in ``positions`` by one tape of ``fun`` and one sweep
    (``cts`` of shape (k,) + shape(out)); None at the other positions."""
    grads = dict(zip(positions, record(fun, args, positions)[1](cts)))
    return tuple(grads.get(i) for i in range(len(args)))


def _inexact(x):
    return np.result_type(primal_value(x)).kind == "f"


class _ClosedOverTracer(Exception):
    """Raised by a custom function's impl whose output is traced although its arguments are
    values there: the function closes over a tracer of an enclosing transform."""


def _untraced(out):
    """``out`` as a value; a derivative tracer in it means a closure over one (a cost meter's
    tracers only route ops through the registry: their values are used)."""
    value = out
    while isinstance(value, Tracer):
        if isinstance(value, (Dual, Node)):
            raise _ClosedOverTracer
        value = value._primal
    return value


# -- the decorators ----------------------------------------------------------------------------

class _CustomFunction:
    """A function evaluated as one op of the engines; subclasses give the rules."""

    kind = "custom"

    def __init__(self, fun, nondiff_argnums=()):
        if not callable(fun):
            raise TypeError(f"{self.kind}: expected a function, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._ops = {}  # (input treedef, number of arguments, leaf shapes and dtypes, which
        #                  leaves are traced) -> Op
        self._structures = {}  # the same keys -> _Structure of the output

    @property
    def _name(self):
        return getattr(self.fun, "__name__", type(self.fun).__name__)

    @property
    def _label(self):
        return f"{self.kind} function {self._name}"

    def _split(self, args):
        """(static arguments, differentiable arguments) by ``nondiff_argnums``."""
        for i in self.nondiff_argnums:
            if i >= len(args):
                raise TypeError(f"{self._label}: nondiff_argnums={self.nondiff_argnums} but "
                                f"only {len(args)} arguments were passed")
            if any(isinstance(x, Tracer) for x in tree_util.flatten(args[i])[0]):
                raise TypeError(f"{self._label}: argument {i} is in nondiff_argnums but is a "
                                f"traced array; it must not depend on what is differentiated")
        static = tuple(args[i] for i in self.nondiff_argnums)
        dynamic = tuple(a for i, a in enumerate(args) if i not in self.nondiff_argnums)
        return static, dynamic

    def _merge(self, static, dynamic):
        args, it_s, it_d = [], iter(static), iter(dynamic)
        for i in range(len(static) + len(dynamic)):
            args.append(next(it_s) if i in self.nondiff_argnums else next(it_d))
        return args

    def __call__(self, *args):
        static, dynamic = self._split(args)
        leaves, in_def = tree_util.flatten(dynamic)
        if not any(isinstance(x, Tracer) for x in leaves):
            return self.fun(*args)  # nothing to differentiate: the function itself
        key = (in_def, len(args),
               tuple((shape_of(x), np.result_type(primal_value(x))) for x in leaves),
               tuple(isinstance(x, Tracer) for x in leaves))
        if key not in self._ops:
            self._ops[key] = self._make_op(in_def, key, len(leaves))
        try:
            packed = self._ops[key](*leaves, nondiff=static)
        except _ClosedOverTracer:
            return self._closure_fallback(args)
        return self._structures[key].unpack(packed)

    def _make_op(self, in_def, key, n):
        return Op(name=f"{self.kind}:{self._name}", impl=self._impl(in_def, key),
                  jvp=self._jvp_rule(in_def, key), vjp=self._vjp_rule(in_def, key),
                  cost=lambda primals, out, **static: 0,  # its inner ops are counted
                  doc=f"the {self._label}", domain=lambda rng, dtype: [], nargs=n,
                  static={"nondiff": ()}, selective=True, namespace="internal")

    def _evaluate(self, fun, in_def, key, leaves, nondiff, with_residuals=False, metered=False):
        """``fun`` on the leaves; its output packed, the structure checked against the
        first call's with arguments of these shapes (and the residuals, for ``fwd``).

        ``metered``: the leaves are plain values of which those traced at the call (``key``)
        go through the registry while a meter counts, so that the ops depending on them are
        counted as they would be outside a custom function (and those on constants are not).
        """
        def call(*picked):
            values = list(leaves)
            for i, value in zip(positions, picked):
                values[i] = value
            return fun(*self._merge(nondiff, tree_util.unflatten(in_def, values)))
        positions = [i for i, traced in enumerate(key[3]) if traced]
        picked = [leaves[i] for i in positions]
        out = (cost.through_registry(call, *picked) if metered and cost.metering()
               else call(*picked))
        residuals = None
        if with_residuals:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"{self._label}: fwd must return a pair (output, residuals), "
                                f"got {type(out).__name__}")
            out, residuals = out
        out_leaves, out_def = tree_util.flatten(out)
        structure = _Structure(self._label, out_leaves, out_def)
        known = self._structures.setdefault(key, structure)
        if known != structure:
            raise ValueError(f"{self._label}: the output structure changed from "
                             f"{known.treedef} to {out_def} (shapes {known.shapes} to "
                             f"{structure.shapes}) for arguments of the same shapes")
        return structure.pack(out_leaves), residuals

    def _impl(self, in_def, key):
        def impl(*leaves, nondiff):
            out = _untraced(self._evaluate(self.fun, in_def, key, leaves, nondiff,
                                           metered=True)[0])
            return out if isinstance(out, (np.ndarray, np.generic)) else np.asarray(out)
        return impl

    def _closure_fallback(self, args):
        """The call when the function closes over a traced value (:class:`_ClosedOverTracer`):
        an error here; :class:`checkpoint` differentiates the function as it is instead."""
        raise TypeError(f"{self._label} closes over a traced value of an enclosing transform "
                        f"(its output depends on it): its rules cannot see that dependence. "
                        f"Pass the value as an argument instead (jax.closure_convert's remedy)")


class custom_jvp(_CustomFunction):
    """A function with a user-given JVP rule (``f.defjvp(rule)``); reverse mode transposes it.

    ``rule(primals, tangents) -> (primal_out, tangent_out)``, ``primals`` and ``tangents``
    tuples of the (differentiable) arguments; ``tangent_out`` must be linear in ``tangents``.
    With ``nondiff_argnums``, those arguments come first: ``rule(*nondiff, primals,
    tangents)``.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> @ad.custom_jvp
    ... def log1pexp(x):
    ...     return anp.log(1.0 + anp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1.0 + anp.exp(-x))
    >>> ad.grad(log1pexp)(-2.0)  # sigmoid(-2), by the rule
    np.float64(0.11920292202211755)
    """

    kind = "custom_jvp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, rule):
        """Set the JVP rule; returns it (usable as a decorator)."""
        self.jvp = rule
        return rule

    def __call__(self, *args):
        if self.jvp is None:
            raise TypeError(f"{self._label} has no JVP rule: call .defjvp(rule) first")
        return super().__call__(*args)

    def _tangent_out(self, in_def, key, primals, tangents, nondiff):
        """The rule's output tangent, packed, for one direction ``tangents``."""
        out = self.jvp(*nondiff, tree_util.unflatten(in_def, primals),
                       tree_util.unflatten(in_def, tangents))
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{self._label}: the JVP rule must return a pair (primal_out, "
                            f"tangent_out), got {type(out).__name__}")
        t_leaves, t_def = tree_util.flatten(out[1])
        structure = self._structures[key]
        if t_def != structure.treedef or [shape_of(t) for t in t_leaves] != structure.shapes:
            raise ValueError(f"{self._label}: the JVP rule's tangent has structure {t_def} and "
                             f"shapes {[shape_of(t) for t in t_leaves]}; the output has "
                             f"{structure.treedef} and {structure.shapes}")
        return structure.pack(t_leaves)

    def _jvp_rule(self, in_def, key):
        def jvp(primals, tangents, out, nondiff):
            k = next(shape_of(t)[0] for t in tangents if t is not None)
            directions = []
            for j in range(k):
                t_j = [zeros_for(p) if t is None else t[j] for p, t in zip(primals, tangents)]
                directions.append(self._tangent_out(in_def, key, primals, t_j, nondiff))
            return _R["stack"](directions, axis=0)
        return jvp

    def _vjp_rule(self, in_def, key):
        def vjp(ct, primals, out, wants, nondiff):
            positions = [i for i, p in enumerate(primals) if wants[i] and _inexact(p)]

            def linear(*tangents):
                return self._tangent_out(in_def, key, primals, tangents, nondiff)
            zeros = [zeros_for(p) for p in primals]
            return _vjps(linear, zeros, positions, ct)
        return vjp


class custom_vjp(_CustomFunction):
    """A function with user-given reverse-mode rules (``f.defvjp(fwd, bwd)``).

    ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, g) -> tuple`` with one cotangent per
    (differentiable) argument, shaped like it (``None`` for a zero one). With
    ``nondiff_argnums``, those arguments come first in ``bwd(*nondiff, residuals, g)``. Forward
    mode (``jvp``, ``jacfwd``, ``hessian``) raises a TypeError, as in JAX.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> @ad.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (anp.clip(g, -1.0, 1.0),))
    >>> ad.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
    np.float64(1.0)
    """

    kind = "custom_vjp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None
        self._residuals = {}  # id(packed output of fwd) -> residuals, while that output lives

    def defvjp(self, fwd, bwd):
        """Set the forward and backward rules."""
        if not (callable(fwd) and callable(bwd)):
            raise TypeError(f"{self._label}: defvjp(fwd, bwd) takes two functions")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"{self._label} has no VJP rules: call .defvjp(fwd, bwd) first")
        return super().__call__(*args)

    def _impl(self, in_def, key):
        def impl(*leaves, nondiff):
            packed, residuals = self._evaluate(self.fwd, in_def, key, leaves, nondiff,
                                               with_residuals=True, metered=True)
            packed = np.asarray(_untraced(packed)).view()  # its own identity: the residuals' key
            self._residuals[id(packed)] = residuals
            weakref.finalize(packed, self._residuals.pop, id(packed), None)
            return packed
        return impl

    def _jvp_rule(self, in_def, key):
        def jvp(primals, tangents, out, nondiff):
            raise TypeError(f"can't apply forward-mode autodiff (jvp, jacfwd, hessian) to the "
                            f"{self._label}: it has reverse-mode rules only. Use custom_jvp "
                            f"for a rule both modes can use.")
        return jvp

    def _vjp_rule(self, in_def, key):
        def vjp(ct, primals, out, wants, nondiff):  # bwd gives every cotangent anyway
            if type(out) is np.ndarray and id(out) in self._residuals:
                residuals = self._residuals[id(out)]
            else:  # a nested level: fwd again on this level's values, for differentiable ones
                residuals = self._evaluate(self.fwd, in_def, key, primals, nondiff,
                                           with_residuals=True)[1]
            structure = self._structures[key]
            k = shape_of(ct)[0]
            rows = [self._cotangents(in_def, primals, nondiff, residuals,
                                     structure.unpack(ct[j])) for j in range(k)]
            return tuple(None if rows[0][i] is None else _R["stack"]([r[i] for r in rows])
                         for i in range(len(primals)))
        return vjp

    def _cotangents(self, in_def, primals, nondiff, residuals, g):
        """``bwd(residuals, g)`` checked against the arguments, as leaves (None: zero)."""
        grads = self.bwd(*nondiff, residuals, g)
        args = tree_util.unflatten(in_def, primals)
        if not isinstance(grads, (tuple, list)) or len(grads) != len(args):
            got = (f"{len(grads)} of them" if isinstance(grads, (tuple, list))
                   else f"a {type(grads).__name__}")
            raise TypeError(f"{self._label}: bwd must return a tuple of {len(args)} "
                            f"cotangent(s), one per argument, got {got}")
        leaves = []
        for i, (arg, grad) in enumerate(zip(args, grads)):
            arg_leaves, arg_def = tree_util.flatten(arg)
            if grad is None:
                leaves.extend(zeros_for(a) for a in arg_leaves)
                continue
            grad_leaves, grad_def = tree_util.flatten(grad)
            if grad_def != arg_def:
                raise ValueError(f"{self._label}: bwd's cotangent {i} has structure {grad_def}"
                                 f" but argument {i} has {arg_def}")
            for a, gl in zip(arg_leaves, grad_leaves):
                if shape_of(gl) != shape_of(a):
                    raise ValueError(f"{self._label}: bwd's cotangent {i} has shape "
                                     f"{shape_of(gl)} but argument {i} has shape {shape_of(a)}")
            leaves.extend(grad_leaves)
        return [g if _inexact(p) else None for p, g in zip(primals, leaves)]


class checkpoint(_CustomFunction):
    """``f`` whose intermediates the reverse sweep recomputes instead of keeping on the tape.

    The tape holds one entry for ``f`` with its inputs (not its intermediates); the sweep
    records ``f`` again on a tape of its own and sweeps it: one more evaluation of ``f`` per
    sweep, for residual memory of ``f``'s intermediates that lives only during that step.
    Values and derivatives equal ``f``'s own. Forward mode differentiates ``f`` as it is.

    The signature is ``jax.checkpoint``'s: ``static_argnums`` are arguments passed as they are
    (not differentiated, not traced); ``prevent_cse`` is accepted and has no effect (no
    compiler here merges the recomputation away); ``policy`` (which intermediates to keep
    anyway) must be None: everything inside ``f`` is recomputed.

    >>> import numpy as np, admodes as ad, admodes.numpy as anp
    >>> layer = ad.checkpoint(lambda x: anp.tanh(anp.sin(x) * 2.0))
    >>> np.allclose(ad.grad(lambda x: anp.sum(layer(x)))(np.ones(3)),
    ...             ad.grad(lambda x: anp.sum(anp.tanh(anp.sin(x) * 2.0)))(np.ones(3)))
    True
    """

    kind = "checkpoint"

    def __init__(self, fun, *, prevent_cse=True, policy=None, static_argnums=()):
        if policy is not None:
            raise ValueError(f"checkpoint: policy={policy!r} is not supported; admodes "
                             f"recomputes everything inside the function (policy=None)")
        static = (static_argnums,) if isinstance(static_argnums, int) else static_argnums
        super().__init__(fun, nondiff_argnums=static)

    def _closure_fallback(self, args):
        warnings.warn(f"{self._label} closes over a traced value of an enclosing transform; "
                      f"it is differentiated as it is, without rematerialization (pass the "
                      f"value as an argument to checkpoint it)", RuntimeWarning, stacklevel=3)
        return self.fun(*args)

    def _jvp_rule(self, in_def, key):
        def jvp(primals, tangents, out, nondiff):  # the forward engine through f itself
            with ForwardTrace() as trace:
                duals = [p if t is None else Dual(p, t, trace)
                         for p, t in zip(primals, tangents)]
                out = self._evaluate(self.fun, in_def, key, duals, nondiff)[0]
            return out.tangent if isinstance(out, Dual) and out._trace is trace else None
        return jvp

    def _vjp_rule(self, in_def, key):
        def vjp(ct, primals, out, wants, nondiff):
            positions = [i for i, p in enumerate(primals) if wants[i] and _inexact(p)]

            def packed(*leaves):
                return self._evaluate(self.fun, in_def, key, leaves, nondiff)[0]
            return _vjps(packed, primals, positions, ct)
        return vjp


remat = checkpoint
