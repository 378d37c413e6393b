"""admodes.jit: JAX's jit call forms and per-call checks around an eagerly run function."""

import functools
import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp


def _power_sum(x, n=2):
    return anp.sum(x ** n)


def test_every_call_form_gives_the_functions_values_and_derivatives():
    x = np.array([0.5, -1.5, 2.0])
    forms = [ad.jit(_power_sum), ad.jit(_power_sum, static_argnums=1),
             functools.partial(ad.jit, static_argnames="n")(_power_sum),
             ad.jit(static_argnums=(1,), donate_argnums=0)(_power_sum)]
    for f in forms:
        assert f.__name__ == "_power_sum"
        assert f(x, 3) == _power_sum(x, 3)
        np.testing.assert_array_equal(ad.grad(f)(x, 3), 3 * x ** 2)
        np.testing.assert_array_equal(ad.jacfwd(lambda v, f=f: f(v, n=3))(x), 3 * x ** 2)
    assert ad.jit(ad.grad(_power_sum))(x).shape == (3,)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: ad.jit(_power_sum, static_argnums=2), ValueError,
     "jit: static_argnums 2 is out of range for a function of 2 positional argument(s)"),
    (lambda: ad.jit(_power_sum, static_argnames="m"), ValueError,
     "jit: static_argnames 'm' is not a parameter of _power_sum"),
    (lambda: ad.jit(_power_sum, static_argnums=1)(np.ones(2), [2]), ValueError,
     "jit: static argument 1 must be hashable (JAX keys its compilation cache on it), got list"),
    (lambda: ad.jit(_power_sum, static_argnames="n")(np.ones(2), n=np.array(2)), ValueError,
     "jit: static argument 'n' must be hashable"),
    (lambda: ad.jit(_power_sum, static_argnums="n"), TypeError,
     "jit: static_argnums must be an int or a sequence of them, got 'n'"),
    (lambda: ad.jit(_power_sum, donate=0), TypeError,
     "jit() got unexpected keyword argument(s) ['donate']"),
    (lambda: ad.jit(3.0), TypeError, "jit: fun must be callable, got float"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_unhashable_static_arguments_fail_in_jax_too(jax_x64):
    with pytest.raises(ValueError, match="hashable"):
        jax_x64.jit(_power_sum, static_argnums=1)(np.ones(2), [2])
