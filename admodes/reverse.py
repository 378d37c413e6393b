"""Reverse mode: a tape (Wengert list) recorded on the way forward, swept backwards (and, for
``linearize``, forwards with tangents).

Each op evaluated on a :class:`Node` appends a :class:`Record` (op, the residuals its VJP rule
needs, static arguments, parent indices) to the :class:`Tape`. The sweep walks the records in
reverse order, calls ``op.vjp`` and accumulates cotangents where a value fans out. The sweep is
iterative (no recursion limit) and keeps its cotangents in a list local to the call, so a
pullback can be called any number of times, with a batch of ``k`` cotangents at once.

While a tape records, the cyclic garbage collector's first-generation threshold is raised
(:class:`_DeferredCollection`): a tape of n ops keeps about 4n small objects alive, which
otherwise trigger a young collection every 700 and older-generation passes over the whole
heap: ``grad`` of the 1000-op chain of ``benchmarks/compare_peers.py`` took 4.5-5.8 µs per op
with them and takes 3.9-4.0 without (and its spread between repeats shrank tenfold).
"""

from __future__ import annotations

import gc
import threading

import numpy as np

from admodes.forward import ForwardTrace
from admodes.tracing import ShapeDtype, Trace, Tracer, bind, primal_value, shape_of

__all__ = ["Node", "Record", "Tape", "backward_pass", "in_dtype_of", "record", "tangent_pass",
           "zeros_for"]


class Node(Tracer):
    """A value recorded on a tape; ``index`` is its position in the tape."""

    __slots__ = ("index",)

    def __init__(self, primal, trace, index):
        self._primal = primal
        self._trace = trace
        self.index = index


class Record:
    """One tape entry. ``parents`` pairs an argument position with the parent's tape index;
    ``plain`` is True if no primal is a tracer of an outer transform."""

    __slots__ = ("op", "out", "parents", "plain", "primals", "static")

    def __init__(self, op, primals, out, static, parents, plain):
        self.op = op
        self.primals = primals
        self.out = out
        self.parents = parents
        self.static = static
        self.plain = plain

    def __repr__(self):
        shapes = ", ".join(str(shape_of(p)) for p in self.primals)
        return f"{self.op.name}({shapes}) -> {shape_of(self.out)}"


class _DeferredCollection:
    """Raise the collector's generation-0 threshold while any tape records (threads share it).

    Tapes create no reference cycles (records keep arrays and numbers, not tracers), so
    reference counting frees them as usual; only cyclic garbage waits, and at most
    :attr:`THRESHOLD` net new objects before a collection runs anyway. The first tape to start
    raises the threshold, the last to finish restores what it was; a disabled collector or a
    threshold already above ours is left alone.
    """

    THRESHOLD = 50_000

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._restore = None

    def enter(self):
        with self._lock:
            if self._users == 0:
                threshold = gc.get_threshold()
                if 0 < threshold[0] < self.THRESHOLD:
                    self._restore = threshold
                    gc.set_threshold(self.THRESHOLD, *threshold[1:])
            self._users += 1

    def exit(self):
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._restore is not None:
                gc.set_threshold(*self._restore)
                self._restore = None


_deferred_collection = _DeferredCollection()


class Tape(Trace):
    """One reverse-mode transform: the recorded program. ``None`` entries are its inputs.

    Each record keeps the residuals its op's VJP rule needs (``Op.saves``); with
    ``keep_all`` it keeps every input and output, which the JVP rules of
    :func:`tangent_pass` may need too.
    """

    __slots__ = ("keep_all", "records")

    def __init__(self, keep_all=False):
        self.records = []
        self.keep_all = keep_all

    def __enter__(self):
        _deferred_collection.enter()
        return super().__enter__()

    def __exit__(self, *exc):
        _deferred_collection.exit()
        return super().__exit__(*exc)

    def new_input(self, value) -> Node:
        self.records.append(None)
        return Node(value, self, len(self.records) - 1)

    def process(self, op, args, static):
        if len(args) == 1:  # a one-argument op reaches here only with a node of this tape
            node = args[0]
            primal = node._primal
            primals = [primal]
            parents = [(0, node.index)]
            nested = isinstance(primal, Tracer)  # a value of an outer transform?
        elif len(args) == 2:
            a, b = args
            parents = []
            if isinstance(a, Tracer) and a._trace is self:
                parents.append((0, a.index))
                a = a._primal
            if isinstance(b, Tracer) and b._trace is self:
                parents.append((1, b.index))
                b = b._primal
            primals = [a, b]
            nested = isinstance(a, Tracer) or isinstance(b, Tracer)
        else:
            primals = list(args)
            parents = []
            nested = False
            for i, a in enumerate(args):
                if isinstance(a, Tracer):
                    if a._trace is self:
                        parents.append((i, a.index))
                        a = primals[i] = a._primal
                    if not nested:
                        nested = isinstance(a, Tracer)
        if nested:
            out = bind(op, primals, static)
        elif static:
            out = op.impl(*primals, **static)
        else:  # most ops: no static arguments (a call without ** is measurably cheaper)
            out = op.impl(*primals)
        if op.nondiff_argnums:
            parents = [(i, j) for i, j in parents if i not in op.nondiff_argnums]
            if not parents:
                return out
        if not op.saves_inputs and not self.keep_all:  # keep numbers; arrays: shape and dtype
            primals = [ShapeDtype(p) if type(p) is np.ndarray or isinstance(p, Tracer) else p
                       for p in primals]
        records = self.records
        records.append(Record(op, primals, out if op.saves_out or self.keep_all else None,
                              static, parents, not nested))
        return Node(out, self, len(records) - 1)

    def saved_arrays(self) -> dict:
        """The distinct arrays the records keep alive, by identity (residual memory)."""
        saved = {}
        for rec in self.records:
            if rec is None:
                continue
            for value in (*rec.primals, rec.out):
                if isinstance(value, np.ndarray):
                    saved[id(value)] = value
        return saved


def backward_pass(records, seeds):
    """Sweep ``records`` backwards from ``seeds`` (tape index -> cotangent of shape (k,)+shape).

    Returns the list of cotangents per tape index; only inputs (``None`` records) keep theirs.
    At fan-out the cotangents are summed; a sum of plain arrays goes into a buffer the sweep
    owns (allocated here, referenced nowhere else), in place, and an op with an
    ``accumulate`` rule (the transposes of indexing) adds its cotangent into that buffer
    directly.
    """
    add = Tracer._ops["add"]
    cts = [None] * len(records)
    owned = [False] * len(records)  # cts[i] is a buffer of this sweep, safe to add into
    for index, ct in seeds:
        cts[index] = ct if cts[index] is None else add(cts[index], ct)
    start = max((index for index, _ in seeds), default=-1)
    for i in range(start, -1, -1):
        ct = cts[i]
        rec = records[i]
        if ct is None or rec is None:
            continue
        cts[i] = None  # interior cotangents are not needed after their rule ran
        op = rec.op
        if op.accumulate is not None and type(ct) is np.ndarray:
            parent = rec.parents[0][1]
            acc = cts[parent]
            if acc is None or type(acc) is np.ndarray:
                buffer = _buffer(acc, owned[parent], ct, rec.primals[0])
                op.accumulate(buffer, ct, rec.primals, rec.out, **rec.static)
                cts[parent], owned[parent] = buffer, True
                continue
        # plain operands: the rule with registry ops bound to their impls (admodes.plain)
        vjp = op.plain_vjp if rec.plain and type(ct) is np.ndarray else op.vjp
        if op.selective:  # tell the rule which cotangents the sweep will use
            wants = [False] * len(rec.primals)
            for pos, _ in rec.parents:
                wants[pos] = True
            grads = vjp(ct, rec.primals, rec.out, wants=tuple(wants), **rec.static)
        elif rec.static:
            grads = vjp(ct, rec.primals, rec.out, **rec.static)
        else:
            grads = vjp(ct, rec.primals, rec.out)
        for pos, parent in rec.parents:
            g = grads[pos]
            if g is None:
                continue
            acc = cts[parent]
            if acc is None:
                cts[parent] = g
            elif (owned[parent] and type(g) is np.ndarray and g.shape == acc.shape
                  and g.dtype == acc.dtype):
                add_into(acc, g)
            else:
                acc = cts[parent] = add(acc, g)
                owned[parent] = type(acc) is np.ndarray
    return cts


def record(fun, args, positions=None):
    """``fun(*args)`` recorded on a fresh tape whose inputs are ``args[i]`` for i in
    ``positions`` (all by default; the others are constants): ``(value, pullback)``.

    ``pullback(cts)``, ``cts`` of shape ``(k,) + shape(value)``, sweeps the tape (any number of
    times) and returns one VJP per position, of shape ``(k,) + shape(args[i])``: zeros where
    ``value`` does not depend on that argument.
    """
    positions = range(len(args)) if positions is None else positions
    with Tape() as tape:
        values = list(args)
        nodes = {}
        for i in positions:
            values[i] = nodes[i] = tape.new_input(args[i])
        out = fun(*values)
    if not (isinstance(out, Node) and out._trace is tape):
        return out, lambda cts: [zeros_for(args[i], shape_of(cts)[0]) for i in nodes]

    def pullback(cts):
        swept = backward_pass(tape.records, [(out.index, cts)])
        return [zeros_for(args[i], shape_of(cts)[0]) if swept[n.index] is None
                else in_dtype_of(swept[n.index], args[i]) for i, n in nodes.items()]
    return out._primal, pullback


def zeros_for(x, *batch):
    """A zero derivative for ``x`` with leading axes ``batch`` (a floating dtype also for an
    integer ``x``)."""
    value = primal_value(x)
    dtype = np.result_type(value)  # a Python float is float64 (not weakly typed to float32)
    if dtype.kind not in "fc":
        dtype = np.result_type(dtype, np.float32)
    return np.zeros(batch + shape_of(value), dtype=dtype)


def in_dtype_of(derivative, x):
    """``derivative`` (a tangent or cotangent of ``x``, any leading batch axes) in ``x``'s
    floating dtype, as in JAX: a float32 input gets a float32 gradient also where the program
    promotes it (``c64 * x32``), and an output's tangent has the output's dtype. Derivatives of
    integer or boolean values are left as they are."""
    dtype = np.result_type(primal_value(x))
    if dtype.kind not in "fc" or np.result_type(primal_value(derivative)) == dtype:
        return derivative
    if isinstance(derivative, Tracer):
        return Tracer._ops["cast"](derivative, dtype=dtype)
    return derivative.astype(dtype)


def _buffer(acc, owned, ct, primal):
    """A buffer of shape ``(k,) + shape(primal)`` this sweep owns, holding ``acc`` (or 0)."""
    if acc is None:
        return np.zeros((ct.shape[0],) + tuple(shape_of(primal)), dtype=ct.dtype)
    dtype = np.result_type(acc, ct)
    return acc if owned and acc.dtype == dtype else acc.astype(dtype)


def add_into(acc, g):
    """``acc += g`` on a buffer the sweep owns (the meter counts it as an ``add``)."""
    np.add(acc, g, out=acc)


def tangent_pass(records, seeds):
    """Push tangents forward along ``records`` (a tape recorded with ``keep_all``): each op's
    JVP rule on its saved inputs and output, in recording order; the linearization of the
    recorded program, without evaluating it again.

    ``seeds`` pairs tape indices (inputs) with tangents of shape ``(k,) + shape``. Returns the
    list of tangents per tape index (``None``: a zero tangent).
    """
    tangents = [None] * len(records)
    for index, t in seeds:
        tangents[index] = t
    for i, rec in enumerate(records):
        if rec is None or not rec.parents:
            continue
        ts = [None] * len(rec.primals)
        for pos, parent in rec.parents:
            ts[pos] = tangents[parent]
        if all(t is None for t in ts):
            continue
        op = rec.op
        plain = rec.plain and all(t is None or type(t) is np.ndarray for t in ts)
        rule = op.plain_jvp if plain else op.jvp
        t = rule(rec.primals, ts, rec.out, **rec.static) if rec.static else rule(
            rec.primals, ts, rec.out)
        if t is not None and t.shape[1:] != shape_of(rec.out):  # a rule's broadcasting tangent
            t = ForwardTrace.broadcast(t, shape_of(rec.out))
        tangents[i] = t
    return tangents
