"""Deterministic cost meters shared by both engines: op counts, FLOPs and tape memory.

>>> import numpy as np, admodes as ad, admodes.numpy as anp
>>> with ad.cost.meter() as m:
...     _ = ad.grad(lambda x: anp.sum(anp.sin(x)))(np.ones(10))
>>> m.flops["primal"], m.flops["vjp"]
(20, 20)

While a :func:`meter` is active every registry op's ``impl``, ``jvp`` and ``vjp`` are
instrumented, and so is the tape's recording; outside a meter nothing is (zero overhead).
An evaluation is attributed to the phase of the innermost rule running it:

``primal``  evaluations of the program itself;
``jvp``     evaluations inside tangent rules (forward mode's extra work);
``vjp``     evaluations inside cotangent rules and the reverse sweep's accumulation of
            cotangents at fan-out (reverse mode's extra work).

FLOPs come from each op's ``cost`` model (``admodes.ops._flops``): counts, not clock time,
so they are identical on every machine. Tape memory counts each saved residual array once, by
identity (the bytes the tape keeps alive), and the largest single tape as the peak.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter

import numpy as np

from admodes import registry, reverse
from admodes import tree as tree_util
from admodes.reverse import Tape
from admodes.tracing import Trace, Tracer, bind, primal_value

__all__ = ["Meter", "measure", "meter", "metering", "through_registry"]

_PHASES = ("primal", "jvp", "vjp")


@dataclasses.dataclass
class Meter:
    """Counters filled while a :func:`meter` context is active."""

    evaluations: Counter = dataclasses.field(default_factory=Counter)  # (phase, op) -> count
    flops: Counter = dataclasses.field(default_factory=lambda: Counter(dict.fromkeys(_PHASES, 0)))
    tape_records: int = 0
    tape_bytes: int = 0
    peak_tape_bytes: int = 0
    _phase: list = dataclasses.field(default_factory=lambda: ["primal"], repr=False)
    _tapes: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def ops(self) -> int:
        """Total primitive evaluations, all phases."""
        return sum(self.evaluations.values())

    def ops_in(self, phase: str) -> int:
        return sum(n for (p, _), n in self.evaluations.items() if p == phase)

    @property
    def total_flops(self) -> int:
        return sum(self.flops.values())

    def summary(self) -> dict:
        """Flat dict of the counters (for one row of an experiment's data)."""
        row = {f"ops_{p}": self.ops_in(p) for p in _PHASES}
        row.update({f"flops_{p}": int(self.flops[p]) for p in _PHASES})
        row.update(ops=self.ops, flops=int(self.total_flops), tape_records=self.tape_records,
                   tape_bytes=self.tape_bytes, peak_tape_bytes=self.peak_tape_bytes)
        return row

    # -- instrumentation ----------------------------------------------------------------------
    def _count(self, op, primals, out, static):
        phase = self._phase[-1]
        self.evaluations[(phase, op.name)] += 1
        self.flops[phase] += int(op.cost(primals, out, **static))

    def _wrap_impl(self, op, impl):
        def counted(*args, **static):
            out = impl(*args, **static)
            self._count(op, args, out, static)
            return out
        return counted

    def _wrap_rule(self, rule, phase):
        def in_phase(*args, **static):
            self._phase.append(phase)
            try:
                return rule(*args, **static)
            finally:
                self._phase.pop()
        return in_phase

    def _wrap_accumulate(self, op, accumulate):
        def counted(acc, ct, primals, out, **static):
            accumulate(acc, ct, primals, out, **static)
            self.evaluations[("vjp", op.name)] += 1  # a scatter-add of ct: one flop per element
            self.flops["vjp"] += int(np.size(ct))
        return counted

    def _wrap_add_into(self, add_into):
        add = registry.lookup("add")

        def counted(acc, g):
            add_into(acc, g)
            self._count(add, (acc, g), acc, {})
        return counted

    def _record(self, tape, record):
        self.tape_records += 1
        saved = self._tapes.setdefault(id(tape), [tape, set(), 0])
        for value in (*record.primals, record.out):
            value = primal_value(value)
            if isinstance(value, np.ndarray) and id(value) not in saved[1]:
                saved[1].add(id(value))
                saved[2] += value.nbytes
                self.tape_bytes += value.nbytes
        self.peak_tape_bytes = max(self.peak_tape_bytes, saved[2])


_active: list[Meter] = []


@contextlib.contextmanager
def meter():
    """Count op evaluations, FLOPs by phase and tape memory inside the ``with`` block.

    Meters do not nest (an inner one would double count); the counters are read from the
    yielded :class:`Meter` after (or during) the block.
    """
    if _active:
        raise RuntimeError("admodes.cost.meter() is already active; meters do not nest")
    m = Meter()
    originals = {}
    for op in registry.ops():
        originals[op] = (op.impl, op.jvp, op.vjp, op.accumulate, op.plain_jvp, op.plain_vjp)
        object.__setattr__(op, "impl", m._wrap_impl(op, op.impl))
        object.__setattr__(op, "jvp", m._wrap_rule(op.jvp, "jvp"))
        object.__setattr__(op, "vjp", m._wrap_rule(op.vjp, "vjp"))
        # the plain rules call impls directly, past the meter: the metered rules replace them
        object.__setattr__(op, "plain_jvp", op.jvp)
        object.__setattr__(op, "plain_vjp", op.vjp)
        if op.accumulate is not None:
            object.__setattr__(op, "accumulate", m._wrap_accumulate(op, op.accumulate))
    process = Tape.process

    def recording_process(tape, op, args, static):
        before = len(tape.records)
        out = process(tape, op, args, static)
        if len(tape.records) > before:
            m._record(tape, tape.records[-1])
        return out

    sweep, add_into = reverse.backward_pass, reverse.add_into
    Tape.process = recording_process
    reverse.add_into = m._wrap_add_into(add_into)
    # Cotangent accumulation at fan-out belongs to reverse mode's work, like the rules.
    reverse.backward_pass = m._wrap_rule(sweep, "vjp")
    _active.append(m)
    try:
        yield m
    finally:
        _active.pop()
        Tape.process = process
        reverse.backward_pass, reverse.add_into = sweep, add_into
        for op, (impl, jvp, vjp, accumulate, plain_jvp, plain_vjp) in originals.items():
            object.__setattr__(op, "impl", impl)
            object.__setattr__(op, "jvp", jvp)
            object.__setattr__(op, "vjp", vjp)
            object.__setattr__(op, "accumulate", accumulate)
            object.__setattr__(op, "plain_jvp", plain_jvp)
            object.__setattr__(op, "plain_vjp", plain_vjp)
        m._tapes.clear()


class _Value(Tracer):
    """A value seen by :class:`_PrimalTrace`: no derivative, only routing through the registry."""

    __slots__ = ()

    def __init__(self, primal, trace):
        self._primal = primal
        self._trace = trace


class _PrimalTrace(Trace):
    """An interpreter that evaluates the program through the registry and nothing else.

    Plain numpy arrays bypass the registry (``W @ x`` on ndarrays is numpy's own matmul), so
    the cost of ``f`` itself is counted by running it on these values.
    """

    __slots__ = ()

    def process(self, op, args, static):
        primals = [a._primal if isinstance(a, _Value) and a._trace is self else a for a in args]
        return _Value(bind(op, primals, static), self)


def metering() -> bool:
    """Whether a :func:`meter` is active."""
    return bool(_active)


def through_registry(fun, *args):
    """``fun(*args)`` with the float array leaves of ``args`` routed through the registry, so
    that a meter counts every op of ``fun`` (``W @ x`` on plain arrays included); the output
    comes back as plain values."""
    with _PrimalTrace() as trace:
        leaves, treedef = tree_util.flatten(args)
        wrapped = [_Value(x, trace) if isinstance(x, np.ndarray) else x for x in leaves]
        out = fun(*tree_util.unflatten(treedef, wrapped))
    return tree_util.tree_map(
        lambda x: x._primal if isinstance(x, _Value) and x._trace is trace else x, out)


def measure(fun, *args):
    """Evaluate ``fun(*args)`` under a meter; return ``(output, Meter)`` for the primal cost C.

    The float array leaves of ``args`` are routed through the registry so every op of ``fun``
    is counted, as in the transforms.
    """
    with meter() as m:
        out = through_registry(fun, *args)
    return out, m
