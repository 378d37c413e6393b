"""The one op registry both engines read.

A primitive is declared once, as an :class:`Op`, with everything the forward engine
(``jvp``), the reverse engine (``vjp``), the cost meters (``cost``) and the generated tests
(``domain``) need. A :class:`Composite` is a public function written with primitives (``mean``,
``log_softmax``); it needs no rules of its own but is listed here so that the namespaces and
the tests see it.

Rule vocabulary (both rules see tangents/cotangents with a leading batch axis of ``k``
directions, so vector mode and chunked Jacobians need no extra code):

``jvp(primals, tangents, out, **static) -> out_tangent``
    ``tangents[i]`` is ``None`` (a symbolic zero) or an array of shape ``(k,) + shape(primals[i])``;
    the result has shape ``(k,) + out.shape`` (or broadcasts to it), or is ``None``.
``vjp(ct, primals, out, **static) -> tuple of cotangents``
    ``ct`` has shape ``(k,) + out.shape``; entry ``i`` is ``None`` or has shape
    ``(k,) + shape(primals[i])``.

Rules are written with registry ops (never raw numpy on traced values), which is what makes
them differentiable again and gives higher order for free.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from admodes.tracing import Tracer, bind

__all__ = ["Composite", "Op", "defcomposite", "defop", "entries", "lookup", "on_declare", "ops"]

_NAMESPACES = ("numpy", "numpy.linalg", "nn", "scipy.special", "scipy.linalg", "internal")


@dataclasses.dataclass(frozen=True, eq=False)
class Op:
    """One primitive operation.

    Attributes
    ----------
    name : str
        Public name (``"sin"``, ``"linalg.solve"``); unique in the registry.
    impl : callable
        The numpy/scipy function computing the primal value from plain arrays.
    jvp, vjp : callable
        Tangent and cotangent rules (see the module docstring for their signatures).
    cost : callable
        ``cost(primals, out, **static) -> int``: FLOPs of one primal evaluation.
    doc : str
        The math of the rules in one or two lines.
    domain : callable
        ``domain(rng, dtype) -> list of (args, static)``: valid test inputs (shape family
        including size-1 broadcast dimensions), away from kinks.
    nargs : int
        Number of leading positional array arguments; positional arguments after them bind to
        ``static`` in order.
    parse : callable or None
        For ops whose public signature is not "arrays, then static arguments":
        ``parse(*args, **kwargs) -> (arrays, static)`` (``concatenate(arrays, axis)``,
        ``einsum(subscripts, *operands)``).
    numpy_signature : callable or None
        The public function with numpy's full signature, for the calls the static arguments
        do not cover: a keyword the op lacks, a positional argument past the first static
        one (``sum(x, 0, float32)``: numpy's ``dtype=``, ``out=``, ``initial=``, ``where=``),
        or fewer arrays than ``nargs`` (``where(condition)``).
        It is written with registry ops; calls the op covers never reach it (no cost on the
        hot path).
    static : dict
        Static (non-differentiable) keyword arguments and their defaults (``axis``, ``shape``).
    nondiff_argnums : tuple of int
        Array arguments that carry no derivative (the condition of ``where``).
    kinks : str or None
        The convention at nondifferentiable points, or None for a smooth op.
    linear : bool
        True if the op is linear in its differentiable arguments.
    selective : bool
        If True, ``vjp`` takes a keyword ``wants``: a tuple of booleans, one per argument,
        False where the reverse engine needs no cotangent (a constant operand); the rule skips
        that work and returns ``None`` there. ``matmul`` with a constant weight matrix, for
        instance, then never forms the weight's cotangent.
    accumulate : callable or None
        For a one-argument linear op whose cotangent is a scatter into zeros (the transpose
        of indexing): ``accumulate(acc, ct, primals, out, **static)`` adds that cotangent into
        the buffer ``acc`` of shape ``(k,) + shape(primals[0])`` in place, so the reverse sweep
        need not materialize a dense cotangent per slice (``x[0:3]``, ``x[3:5]`` of one flat
        parameter vector). The sweep uses it at first order, on buffers it owns; the result
        must equal ``acc + vjp(ct, primals, out, **static)[0]``.
    saves : tuple of str
        Which residuals the reverse engine keeps for ``vjp``: ``"inputs"`` and/or ``"out"``.
        Unsaved array inputs reach ``vjp`` as :class:`~admodes.tracing.ShapeDtype`
        placeholders (shape and dtype only), an unsaved output as ``None``.
    namespace : str
        ``"numpy"``, ``"numpy.linalg"``, ``"nn"``, ``"scipy.special"``, ``"scipy.linalg"`` or
        ``"internal"`` (not exposed).
    refs : tuple of str
        References for the rules.
    plain_jvp, plain_vjp : callable
        The rules as the engines call them when no operand is a tracer: the same functions
        with every registry op bound to its ``impl`` (set by :mod:`admodes.plain`; the rules
        themselves until then, and for ops declared outside :mod:`admodes.ops`).
    saves_inputs, saves_out : bool
        ``"inputs" in saves`` and ``"out" in saves`` (derived; read by the tape per record).
    """

    name: str
    impl: Callable
    jvp: Callable
    vjp: Callable
    cost: Callable
    doc: str
    domain: Callable
    nargs: int = 1
    parse: Callable | None = None
    numpy_signature: Callable | None = None
    static: dict = dataclasses.field(default_factory=dict)
    nondiff_argnums: tuple = ()
    kinks: str | None = None
    linear: bool = False
    selective: bool = False
    accumulate: Callable | None = None
    saves: tuple = ("inputs", "out")
    namespace: str = "numpy"
    refs: tuple = ()
    # not init fields: dataclasses.replace(op, vjp=...) starts again from the new rules
    plain_jvp: Callable | None = dataclasses.field(default=None, init=False, repr=False)
    plain_vjp: Callable | None = dataclasses.field(default=None, init=False, repr=False)
    # ``saves`` as the reverse engine reads it on every recorded op
    saves_inputs: bool = dataclasses.field(default=True, init=False, repr=False)
    saves_out: bool = dataclasses.field(default=True, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "plain_jvp", self.jvp)  # until admodes.plain specializes them
        object.__setattr__(self, "plain_vjp", self.vjp)
        object.__setattr__(self, "saves_inputs", "inputs" in self.saves)
        object.__setattr__(self, "saves_out", "out" in self.saves)
        for field in ("impl", "jvp", "vjp", "cost", "domain"):
            if not callable(getattr(self, field)):
                raise TypeError(f"Op {self.name!r}: field {field!r} must be callable, "
                                f"got {type(getattr(self, field)).__name__}")
        if not self.doc:
            raise ValueError(f"Op {self.name!r}: a doc string with the rules' math is required")
        if self.namespace not in _NAMESPACES:
            raise ValueError(f"Op {self.name!r}: namespace must be one of {_NAMESPACES}, "
                             f"got {self.namespace!r}")
        if self.accumulate is not None and not (self.linear and self.nargs == 1):
            raise ValueError(f"Op {self.name!r}: accumulate is for linear one-argument ops")
        unknown = set(self.saves) - {"inputs", "out"}
        if unknown:
            raise ValueError(f"Op {self.name!r}: saves may name 'inputs' and 'out', got {unknown}")

    @property
    def short_name(self) -> str:
        """Name inside its namespace (``"solve"`` for ``"linalg.solve"``)."""
        return self.name.rsplit(".", 1)[-1]

    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == self.nargs and self.parse is None:
            static = self.static  # the defaults (never mutated)
        elif self.parse is not None:
            arrays, static = self._parse(args, kwargs)
            args, static = tuple(arrays), self.bind_static((), static)
        elif len(args) >= self.nargs:
            args, rest = args[:self.nargs], args[self.nargs:]
            if not self.covers(rest, kwargs):
                return self._call_numpy_signature(args + rest, kwargs)
            static = self.bind_static(rest, kwargs)
        elif self.numpy_signature is not None:  # fewer arrays: numpy's other form
            return self._call_numpy_signature(args, kwargs)
        else:
            raise TypeError(f"{self.name}() takes {self.nargs} array argument(s), got {len(args)}")
        # The hot path (every op of a traced program passes here): bind() inlined.
        top = None
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            return self.impl(*args, **static)
        if top.active:
            return top.process(self, args, static)
        return bind(self, args, static)  # raises the leaked-tracer error

    def covers(self, positional, keywords) -> bool:
        """True if the static arguments take these extra arguments (the op itself serves the
        call), False if its ``numpy_signature`` does."""
        return self.numpy_signature is None or (
            len(positional) <= 1 and keywords.keys() <= self.static.keys())

    def _parse(self, args, kwargs):
        """``parse(*args, **kwargs)``, errors in the op's words (:meth:`_in_own_words`)."""
        return self._in_own_words(self.parse, args, kwargs)

    def _call_numpy_signature(self, args, kwargs):
        return self._in_own_words(self.numpy_signature, args, kwargs)

    def _in_own_words(self, function, args, kwargs):
        """``function(*args, **kwargs)``; a call that does not fit its signature is reported
        with the op's name and the signature (not the private function's name)."""
        try:
            return function(*args, **kwargs)
        except TypeError:
            signature = inspect.signature(function)
            try:
                signature.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{self.name}(): {err}; the signature is "
                                f"{self.short_name}{signature}") from None
            raise  # raised by the function itself: its own message

    def bind_static(self, positional, keywords) -> dict:
        """Complete the static arguments from positional extras, keywords and defaults."""
        static = dict(self.static)
        if len(positional) > len(static):
            raise TypeError(f"{self.name}() got {len(positional)} extra positional "
                            f"argument(s); its static arguments are {list(static)}")
        for key, value in zip(self.static, positional):
            if isinstance(value, Tracer):
                raise self._traced_static(key)
            static[key] = value
        for key, value in keywords.items():
            if key not in static:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}; "
                                f"it accepts {list(self.static)}")
            if isinstance(value, Tracer):
                raise self._traced_static(key)
            static[key] = value
        return static

    def _traced_static(self, key):
        return TypeError(f"{self.name}(): static argument {key!r} must be a concrete value, "
                         f"not a traced array (it is not differentiable)")

    def __repr__(self):
        return f"<admodes op {self.name}>"


@dataclasses.dataclass(frozen=True, eq=False)
class Composite:
    """A public function written with primitives; its derivatives come from theirs."""

    name: str
    fun: Callable
    doc: str
    domain: Callable
    namespace: str = "numpy"
    kinks: str | None = None
    refs: tuple = ()

    def __post_init__(self):
        if not callable(self.fun) or not callable(self.domain):
            raise TypeError(f"Composite {self.name!r}: fun and domain must be callable")
        if not self.doc:
            raise ValueError(f"Composite {self.name!r}: a doc string is required")
        if self.namespace not in _NAMESPACES:
            raise ValueError(f"Composite {self.name!r}: namespace must be one of {_NAMESPACES}")

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self):
        return f"<admodes composite {self.name}>"


_REGISTRY: dict[str, Any] = {}
_on_declare: list = []
Tracer._ops = _REGISTRY  # operator overloading on tracers resolves names here


def _register(entry):
    if entry.name in _REGISTRY:
        raise ValueError(f"an op named {entry.name!r} is already registered")
    _REGISTRY[entry.name] = entry
    return entry


def defop(name, impl, *, jvp, vjp, cost, doc, domain, **fields) -> Op:
    """Declare and register a primitive; see :class:`Op` for the fields."""
    op = _register(Op(name=name, impl=impl, jvp=jvp, vjp=vjp, cost=cost, doc=doc,
                      domain=domain, **fields))
    for callback in _on_declare:
        callback(op)
    return op


def on_declare(callback) -> None:
    """Call ``callback(op)`` for every op declared from now on (see :mod:`admodes.plain`)."""
    _on_declare.append(callback)


def defcomposite(name, *, doc, domain, **fields):
    """Decorator registering ``fun`` as the composite ``name``; returns the :class:`Composite`."""
    def register(fun):
        return _register(Composite(name=name, fun=fun, doc=doc, domain=domain, **fields))
    return register


def lookup(name: str):
    """The registered op or composite called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the admodes registry; "
                       f"known: {sorted(_REGISTRY)}") from None


def entries(namespace: str | None = None) -> list:
    """All registered ops and composites, optionally of one namespace, in registration order."""
    return [e for e in _REGISTRY.values() if namespace is None or e.namespace == namespace]


def ops() -> list[Op]:
    """All registered primitives."""
    return [e for e in _REGISTRY.values() if isinstance(e, Op)]
