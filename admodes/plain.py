"""Plain-array versions of the rules: the same code with each registry op bound to its ``impl``.

A rule is written with registry ops so that it is differentiable again (higher order). At first
order its operands are plain numpy arrays, and then every registry op it calls only checks its
arguments for tracers and calls its ``impl``: a Python-level dispatch that costs about as much
as the numpy ufunc itself on small arrays (0.5 µs of 0.95 µs for ``multiply`` on a size-1
array). :func:`specialize` gives each op two more rules, ``plain_jvp`` and ``plain_vjp``: the
*same* functions (same code objects, nothing written twice) executed with globals in which
every registry op is replaced by what it would have run on plain arrays:

* an :class:`~admodes.registry.Op` by its ``impl`` when ``impl`` takes the static arguments
  by name in the order the op declares them (with the op's defaults, so a positional or an
  omitted static argument means what it means to the op); otherwise by the op itself;
* a :class:`~admodes.registry.Composite` by its function, itself specialized;
* ``bind(op, args, static)`` by a direct call; the registry dict (``_R["sum"]``) by a dict of
  the replacements;
* the helper functions of :mod:`admodes.ops` (``unbroadcast``, the partials of the elementwise
  factories, held in closures) by their specialized versions, recursively.

Only functions defined in :mod:`admodes.ops` are rebound (they keep no state in module globals);
anything else, including the rules of ops declared elsewhere, is used as it is. On plain arrays a
specialized rule performs exactly the operations of the original, in the same order, so its
result is identical (``tests/test_plain.py`` checks this bit for bit for every op on its domain).
The engines call it only when no operand of the rule is a tracer (see ``Tape.process``,
``backward_pass`` and ``ForwardTrace.process``); a meter (:mod:`admodes.cost`) replaces it by the
metered original rule while it counts.
"""

from __future__ import annotations

import inspect
import types

from admodes import registry
from admodes.tracing import bind

__all__ = ["plain_function", "specialize", "specialize_registry"]

_PACKAGE = "admodes.ops"
_functions: dict = {}  # original function -> its plain version
_globals: dict = {}  # id(module globals) -> the plain copy of them


class _PlainRegistry(dict):
    """Stands in for ``registry._REGISTRY`` (``_R["sum"]`` in the helpers): name -> the plain
    replacement of the entry, made on first lookup."""

    def __missing__(self, name):
        value = self[name] = _plain_value(registry._REGISTRY[name])
        return value


_plain_registry = _PlainRegistry()


def specialize_registry() -> None:
    """Specialize every registered op, and from now on each op when it is declared."""
    specialize(registry.ops())
    registry.on_declare(lambda op: specialize([op]))


def specialize(ops) -> None:
    """Set ``plain_jvp`` and ``plain_vjp`` of each op (after every op it calls is registered)."""
    for op in ops:
        object.__setattr__(op, "plain_jvp", plain_function(op.jvp))
        object.__setattr__(op, "plain_vjp", plain_function(op.vjp))


def plain_function(fun):
    """``fun`` re-bound to plain globals and closure cells if it is defined in admodes.ops."""
    if not isinstance(fun, types.FunctionType) or not _in_package(fun.__module__):
        return fun
    plain = _functions.get(fun)
    if plain is None:
        closure = fun.__closure__
        if closure is not None:  # placeholder cells first: a closure may hold fun itself
            closure = tuple(types.CellType() for _ in closure)
        plain = types.FunctionType(fun.__code__, _plain_globals(fun.__globals__), fun.__name__,
                                   fun.__defaults__, closure)
        plain.__kwdefaults__ = fun.__kwdefaults__
        _functions[fun] = plain
        for cell, original in zip(closure or (), fun.__closure__ or ()):
            try:
                cell.cell_contents = _plain_value(original.cell_contents)
            except ValueError:  # an empty cell stays empty
                pass
    return plain


def _in_package(module) -> bool:
    return module is not None and (module == _PACKAGE or module.startswith(_PACKAGE + "."))


def _plain_globals(module_globals: dict) -> dict:
    key = id(module_globals)
    plain = _globals.get(key)
    if plain is None:
        plain = _globals[key] = {}  # registered before filling: functions refer to each other
        plain.update({name: _plain_value(value) for name, value in module_globals.items()})
    return plain


def _plain_value(value):
    if isinstance(value, registry.Op):
        return _plain_op(value)
    if isinstance(value, registry.Composite):
        return plain_function(value.fun)
    if value is bind:
        return _plain_bind
    if value is registry._REGISTRY:
        return _plain_registry
    if isinstance(value, types.FunctionType):
        return plain_function(value)
    return value


def _plain_bind(op, args, static):
    """``bind`` on plain arrays; ``op`` may already be a plain replacement."""
    return (op.impl if isinstance(op, registry.Op) else op)(*args, **static)


def _plain_op(op):
    """What ``op(...)`` runs on plain arrays, callable with the op's own signature."""
    if op.parse is not None:
        return op
    if not op.static:
        return op.impl
    impl = op.impl
    if not isinstance(impl, types.FunctionType):
        return op
    params = list(inspect.signature(impl).parameters.values())
    statics = params[op.nargs:]
    if [p.name for p in statics] != list(op.static) or any(
            p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
        return op
    if all(p.default is p.empty for p in statics):  # impl with the op's defaults
        impl = types.FunctionType(impl.__code__, impl.__globals__, impl.__name__,
                                  tuple(op.static.values()), impl.__closure__)
    elif not all(_same(p.default, op.static[p.name]) for p in statics):
        return op
    return impl


def _same(a, b) -> bool:
    """True if a default value of ``impl`` is the op's declared default (None, numbers, tuples)."""
    try:
        return type(a) is type(b) and (a is b or bool(a == b))
    except ValueError:  # an array default: not compared
        return False
