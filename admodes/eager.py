"""``jit`` for code written for JAX: admodes runs eagerly, so ``jit(f)`` calls ``f`` as it is.

JAX compiles a jitted function for the shapes it is called with; admodes has no compiler (both
engines run op by op over numpy), and a jitted function's values are the same with or without
compilation (JAX's ``jax.disable_jit`` rests on that). :func:`jit` therefore returns ``fun``
wrapped unchanged, so that ``@jax.jit`` code runs after ``import admodes as jax``-style
switching. It accepts JAX's keywords and applies the checks that JAX makes at every call and
that do not need a compiler: ``static_argnums``/``static_argnames`` must name arguments of
``fun`` and their values must be hashable. Nothing is cached, donated or placed on a device;
timings of a "jitted" function are those of the eager one.

>>> import admodes as ad
>>> import admodes.numpy as anp
>>> f = ad.jit(lambda x, n: anp.sum(x ** n), static_argnums=1)
>>> ad.grad(f)(anp.ones(3), 2)
array([2., 2., 2.])
"""

from __future__ import annotations

import functools
import inspect

__all__ = ["jit"]

_JAX_OPTIONS = ("in_shardings", "out_shardings", "donate_argnums", "donate_argnames",
                "keep_unused", "device", "backend", "inline", "abstracted_axes",
                "compiler_options")


def jit(fun=None, *, static_argnums=None, static_argnames=None, **options):
    """``fun`` unchanged (admodes does not compile; see the module docstring), usable as
    ``jit(f, ...)``, ``@jit`` and ``functools.partial(jit, static_argnums=...)``."""
    unknown = sorted(set(options) - set(_JAX_OPTIONS))
    if unknown:
        raise TypeError(f"jit() got unexpected keyword argument(s) {unknown}; JAX's jit "
                        f"accepts static_argnums, static_argnames and {list(_JAX_OPTIONS)}")
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, **options)
    if not callable(fun):
        raise TypeError(f"jit: fun must be callable, got {type(fun).__name__}")
    numbers = _as_tuple(static_argnums, "static_argnums")
    names = _as_tuple(static_argnames, "static_argnames")
    _check_static_names(fun, numbers, names)

    @functools.wraps(fun)
    def jitted(*args, **kwargs):
        for i in numbers:
            if -len(args) <= i < len(args):
                _check_hashable(args[i], f"argument {i}")
        for name in names:
            if name in kwargs:
                _check_hashable(kwargs[name], f"argument {name!r}")
        return fun(*args, **kwargs)
    return jitted


def _as_tuple(value, name):
    if value is None:
        return ()
    values = (value,) if isinstance(value, (int, str)) else tuple(value)
    kind = str if name == "static_argnames" else int
    if not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        raise TypeError(f"jit: {name} must be {'a str' if kind is str else 'an int'} or a "
                        f"sequence of them, got {value!r}")
    return values


def _check_static_names(fun, numbers, names):
    """JAX's check that the static arguments exist in ``fun``'s signature (where it has one)."""
    try:
        parameters = inspect.signature(fun).parameters
    except (TypeError, ValueError):
        return
    kinds = [p.kind for p in parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        positional = sum(k in (inspect.Parameter.POSITIONAL_ONLY,
                               inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in kinds)
        for i in numbers:
            if not -positional <= i < positional:
                raise ValueError(f"jit: static_argnums {i} is out of range for a function "
                                 f"of {positional} positional argument(s)")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        for name in names:
            if name not in parameters:
                raise ValueError(f"jit: static_argnames {name!r} is not a parameter of "
                                 f"{getattr(fun, '__name__', 'fun')}")


def _check_hashable(value, what):
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"jit: static {what} must be hashable (JAX keys its compilation "
                         f"cache on it), got {type(value).__name__}") from None
