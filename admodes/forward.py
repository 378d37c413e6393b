"""Forward mode: dual numbers carrying a batch of tangents (JVPs, vector mode).

A :class:`Dual` holds a primal ``x`` (which may be a tracer of an outer transform) and a tangent
of shape ``(k,) + x.shape``: ``k`` directions pushed through the program in one pass. ``k = 1``
is the classic one-direction dual number; ``jacfwd(chunk_size=c)`` pushes ``c`` at once.
Each op is evaluated as ``out = op(primals)`` followed by ``op.jvp(primals, tangents, out)``;
a ``None`` tangent is a symbolic zero and costs nothing.
"""

from __future__ import annotations

from numpy import ndarray

from admodes.tracing import Trace, Tracer, bind

__all__ = ["Dual", "ForwardTrace"]


class Dual(Tracer):
    """A value with ``k`` tangents: ``tangent.shape == (k,) + primal.shape``."""

    __slots__ = ("tangent",)

    def __init__(self, primal, tangent, trace):
        self._primal = primal
        self.tangent = tangent
        self._trace = trace


class ForwardTrace(Trace):
    """One forward-mode transform: evaluates each op and its JVP rule side by side."""

    __slots__ = ()

    def process(self, op, args, static):
        # nested: a primal is a value of an outer transform; plain: no operand of the rule is
        # a tracer, so the rule may run with registry ops bound to their impls (admodes.plain)
        if len(args) == 1:  # a one-argument op reaches here only with a dual of this trace
            dual = args[0]
            primal = dual._primal
            primals = [primal]
            tangents = [dual.tangent]
            nested = isinstance(primal, Tracer)
            plain = not nested and type(tangents[0]) is ndarray
        elif len(args) == 2:
            a, b = args
            ta = tb = None
            if isinstance(a, Tracer) and a._trace is self:
                ta, a = a.tangent, a._primal
            if isinstance(b, Tracer) and b._trace is self:
                tb, b = b.tangent, b._primal
            primals = [a, b]
            tangents = [ta, tb]
            nested = isinstance(a, Tracer) or isinstance(b, Tracer)
            plain = not nested and (ta is None or type(ta) is ndarray) and (
                tb is None or type(tb) is ndarray)
        else:
            primals = list(args)
            tangents = [None] * len(args)
            nested = False
            for i, a in enumerate(args):
                if isinstance(a, Tracer):
                    if a._trace is self:
                        tangents[i] = a.tangent
                        a = primals[i] = a._primal
                    if not nested:
                        nested = isinstance(a, Tracer)
            plain = not nested and all(t is None or type(t) is ndarray for t in tangents)
        if nested:
            out = bind(op, primals, static)
        elif static:
            out = op.impl(*primals, **static)
        else:  # most ops: no static arguments (a call without ** is measurably cheaper)
            out = op.impl(*primals)
        if op.nondiff_argnums:
            for i in op.nondiff_argnums:
                tangents[i] = None
            if all(t is None for t in tangents):
                return out
        rule = op.plain_jvp if plain else op.jvp
        if static:
            tangent = rule(primals, tangents, out, **static)
        else:
            tangent = rule(primals, tangents, out)
        if tangent is None:
            return out
        if tangent.shape[1:] != out.shape:  # a rule may return a tangent that broadcasts to out
            tangent = self.broadcast(tangent, out.shape)
        return Dual(out, tangent, self)

    @staticmethod
    def broadcast(tangent, shape):
        return Tracer._ops["broadcast_to"](tangent, (tangent.shape[0],) + shape)
