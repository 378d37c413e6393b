"""Every bad input gets a TypeError/ValueError (or AttributeError, RuntimeError) whose message
names the problem, and leaves no trace state behind."""

import re

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import tracing


@pytest.fixture(autouse=True)
def _no_state_left_behind():
    assert tracing._stack == []
    yield
    assert tracing._stack == [], "an error left a trace on the stack"


X = np.array([0.5, -1.0, 2.0])


def f_sum_sin(x):
    return anp.sum(anp.sin(x))


# -- non-float inputs -----------------------------------------------------------------------------

TRANSFORMS = {
    "grad": lambda x: ad.grad(f_sum_sin)(x),
    "value_and_grad": lambda x: ad.value_and_grad(f_sum_sin)(x),
    "jacfwd": lambda x: ad.jacfwd(anp.sin)(x),
    "jacrev": lambda x: ad.jacrev(anp.sin)(x),
    "hessian": lambda x: ad.hessian(f_sum_sin)(x),
    "vjp": lambda x: ad.vjp(anp.sin, x),
    "jvp-primal": lambda x: ad.jvp(anp.sin, (x,), (np.ones(np.shape(x)),)),
    "hvp": lambda x: ad.hvp(f_sum_sin, x, np.ones(np.shape(x))),
}
BAD_INPUTS = {
    "int-array": (np.arange(3), r"integer dtype int64"),
    "python-int": (3, r"integer dtype"),
    "bool-array": (np.array([True, False]), r"boolean dtype bool"),
    "python-bool": (True, r"boolean dtype"),
    "string": ("1.5", r"string \('1\.5'\)"),
    "complex": (np.ones(2, dtype=complex), r"complex128"),
}


@pytest.mark.parametrize("bad", list(BAD_INPUTS), ids=list(BAD_INPUTS))
@pytest.mark.parametrize("transform", list(TRANSFORMS), ids=list(TRANSFORMS))
def test_non_float_inputs(transform, bad):
    value, match = BAD_INPUTS[bad]
    with pytest.raises(TypeError, match=match):
        TRANSFORMS[transform](value)


@pytest.mark.parametrize("name", ["grad", "jacfwd", "jacrev", "vjp", "jvp"])
def test_non_float_input_message_names_the_transform_and_suggests_the_fix(name):
    call = TRANSFORMS.get(name, TRANSFORMS["jvp-primal"])
    with pytest.raises(TypeError, match=rf"^{name}: .*derivatives need real floating-point.*"
                                        r"np\.asarray\(x, dtype=float\)"):
        call(np.arange(3))


def test_non_float_input_names_the_argument():
    with pytest.raises(TypeError, match=r"grad: argument 1 has integer dtype"):
        ad.grad(lambda x, n: anp.sum(x) * n, argnums=1)(X, np.arange(3))
    with pytest.raises(TypeError, match=r"grad: argument 0 leaf 1 has integer dtype"):
        ad.grad(lambda t: anp.sum(t[0]) + t[1])((X, 2))
    # an undifferentiated integer argument is fine
    np.testing.assert_allclose(ad.grad(lambda x, n: anp.sum(x) * n)(X, 2), [2.0, 2.0, 2.0])


def test_non_float_tangent_and_cotangent():
    with pytest.raises(TypeError, match=r"jvp: tangent leaf 0 has integer dtype"):
        ad.jvp(anp.sin, (X,), (np.arange(3),))
    _, pullback = ad.vjp(anp.sin, X)
    with pytest.raises(TypeError, match=r"vjp pullback: cotangent leaf 0 has boolean dtype"):
        pullback(np.ones(3, dtype=bool))


# -- outputs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad], ids=["grad", "vag"])
def test_grad_of_non_scalar_output_suggests_jacrev_or_vjp(transform):
    with pytest.raises(TypeError, match=r"grad requires a scalar output; got shape \(3,\)\. "
                                        r"Use jacrev or vjp"):
        transform(anp.sin)(X)
    with pytest.raises(TypeError, match=r"grad requires .*scalar.*Use jacrev or vjp"):
        transform(lambda x: (anp.sum(x), anp.sum(x)))(X)
    with pytest.raises(TypeError, match=r"grad requires .*scalar.*Use jacrev or vjp"):
        transform(lambda x: {"loss": anp.sum(x)})(X)


def test_grad_of_non_float_output():
    with pytest.raises(TypeError, match=r"grad requires a real floating-point output, "
                                        r"got dtype int64"):
        ad.grad(lambda x: 3)(X)
    with pytest.raises(TypeError, match=r"jacrev requires real floating-point outputs, "
                                        r"got dtype bool"):
        ad.jacrev(lambda x: x > 0)(X)


# -- jvp arguments --------------------------------------------------------------------------------

def test_jvp_primals_not_a_tuple():
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple or list .* got ndarray\. "
                                        r"Write jvp\(f, \(x,\), \(v,\)\)"):
        ad.jvp(anp.sin, X, (X,))
    with pytest.raises(TypeError, match=r"jvp: tangents must be a tuple or list .* got ndarray"):
        ad.jvp(anp.sin, (X,), X)
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple or list .* got float"):
        ad.jvp(anp.sin, 1.0, 1.0)


def test_jvp_tangent_wrong_shape():
    with pytest.raises(ValueError, match=r"jvp: tangent leaf 0 has shape \(4,\) but its primal "
                                         r"has shape \(3,\)"):
        ad.jvp(anp.sin, (X,), (np.ones(4),))
    with pytest.raises(ValueError, match=r"tangent leaf 1 has shape \(\) but its primal has "
                                         r"shape \(2, 2\)"):
        ad.jvp(lambda a, b: anp.sum(a) + anp.sum(b), (X, np.ones((2, 2))), (X, 1.0))


def test_jvp_tangent_wrong_structure():
    with pytest.raises(ValueError, match=r"jvp: tangents have structure .* but primals have"):
        ad.jvp(lambda d: d["a"], ({"a": X},), ({"b": X},))
    with pytest.raises(ValueError, match=r"jvp: tangents have structure \(\(\*,\), \*,\) but "
                                         r"primals have \(\*, \*,\)"):
        ad.jvp(lambda a, b: a + b, (X, X), ((X,), X))
    with pytest.raises(ValueError, match=r"jvp: got 1 primal\(s\) but 2 tangent\(s\)"):
        ad.jvp(anp.sin, (X,), (X, X))


# -- vjp and its pullback -------------------------------------------------------------------------

def test_vjp_needs_a_primal():
    with pytest.raises(TypeError, match=r"vjp: needs at least one primal argument"):
        ad.vjp(anp.sin)


def test_pullback_cotangent_wrong_shape():
    _, pullback = ad.vjp(anp.sin, X)
    with pytest.raises(ValueError, match=r"vjp pullback: cotangent leaf 0 has shape \(4,\) but "
                                         r"the output has shape \(3,\)"):
        pullback(np.ones(4))
    _, pullback_scalar = ad.vjp(f_sum_sin, X)
    with pytest.raises(ValueError, match=r"cotangent leaf 0 has shape \(3,\) but the output has "
                                         r"shape \(\)"):
        pullback_scalar(np.ones(3))
    # the pullback still works after the error
    np.testing.assert_allclose(pullback(np.ones(3))[0], np.cos(X))


def test_pullback_cotangent_wrong_structure():
    _, pullback = ad.vjp(lambda x: {"a": x, "b": (x, x)}, X)
    with pytest.raises(ValueError, match=r"vjp pullback: cotangent has structure \{'a': \*\} but "
                                         r"the output has \{'a': \*, 'b': \(\*, \*,\)\}"):
        pullback({"a": X})
    _, pullback_single = ad.vjp(anp.sin, X)
    with pytest.raises(ValueError, match=r"cotangent has structure \(\*,\) but the output has \*"):
        pullback_single((X,))


# -- transform options ----------------------------------------------------------------------------

ARGNUM_TRANSFORMS = {
    "grad": lambda a: ad.grad(lambda x, y: anp.sum(x * y), argnums=a),
    "value_and_grad": lambda a: ad.value_and_grad(lambda x, y: anp.sum(x * y), argnums=a),
    "jacfwd": lambda a: ad.jacfwd(lambda x, y: x * y, argnums=a),
    "jacrev": lambda a: ad.jacrev(lambda x, y: x * y, argnums=a),
    "hessian": lambda a: ad.hessian(lambda x, y: anp.sum(x * y), argnums=a),
}


@pytest.mark.parametrize("argnums", [2, -3, (0, 2), (5,)])
@pytest.mark.parametrize("name", list(ARGNUM_TRANSFORMS))
def test_argnums_out_of_range(name, argnums):
    fname = "grad" if name == "value_and_grad" else name
    message = (f"{fname}: argnums={argnums!r} but the function was called with 2 positional "
               f"argument(s)")
    with pytest.raises(ValueError, match=re.escape(message)):
        ARGNUM_TRANSFORMS[name](argnums)(X, X)


@pytest.mark.parametrize("name", list(ARGNUM_TRANSFORMS))
def test_argnums_wrong_type_or_empty(name):
    with pytest.raises(TypeError, match=r"argnums must be an int or a tuple of ints, got 1\.0"):
        ARGNUM_TRANSFORMS[name](1.0)(X, X)
    with pytest.raises(TypeError, match=r"argnums must be an int or a tuple of ints, got "
                                        r"\(0, 'y'\)"):
        ARGNUM_TRANSFORMS[name]((0, "y"))(X, X)
    with pytest.raises(ValueError, match=r"argnums must name at least one argument"):
        ARGNUM_TRANSFORMS[name](())(X, X)


@pytest.mark.parametrize("chunk_size", [0, -1, 1.5, "2"])
@pytest.mark.parametrize("jac", [ad.jacfwd, ad.jacrev], ids=["jacfwd", "jacrev"])
def test_chunk_size_must_be_positive(jac, chunk_size):
    message = f"{jac.__name__}: chunk_size must be a positive int or None, got {chunk_size!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        jac(anp.sin, chunk_size=chunk_size)


HAS_AUX = {
    "grad": lambda f: ad.grad(f, has_aux=True)(X),
    "value_and_grad": lambda f: ad.value_and_grad(f, has_aux=True)(X),
    "jacfwd": lambda f: ad.jacfwd(f, has_aux=True)(X),
    "jacrev": lambda f: ad.jacrev(f, has_aux=True)(X),
    "vjp": lambda f: ad.vjp(f, X, has_aux=True),
    "jvp": lambda f: ad.jvp(f, (X,), (X,), has_aux=True),
    "hessian": lambda f: ad.hessian(f, has_aux=True)(X),
}


@pytest.mark.parametrize("name", list(HAS_AUX))
def test_has_aux_needs_a_pair(name):
    fname = "grad" if name == "value_and_grad" else name
    with pytest.raises(TypeError, match=rf"{fname} with has_aux=True needs the function to "
                                        r"return a pair \(output, aux\), got an array of "
                                        r"shape \(\)"):
        HAS_AUX[name](f_sum_sin)
    with pytest.raises(TypeError, match=r"needs the function to return a pair \(output, aux\), "
                                        r"got a tuple of length 3"):
        HAS_AUX[name](lambda x: (f_sum_sin(x), 1.0, 2.0))


def test_hvp_mixed_tuple_and_array():
    with pytest.raises(TypeError, match=r"hvp: primals and tangents must both be tuples or both "
                                        r"single arrays"):
        ad.hvp(f_sum_sin, (X,), X)


# -- numpy functions without a rule ---------------------------------------------------------------

DROP = r"would drop (its|the) derivative"
NO_RULE_CALLS = {
    "linalg.eig": (lambda x: np.linalg.eig(anp.outer(x, x)),
                   r"numpy\.linalg\.eig has no differentiation rule"),
    "linalg.eigvals": (lambda x: np.linalg.eigvals(anp.outer(x, x)),
                       r"numpy\.linalg\.eigvals has no differentiation rule"),
    "fft.fft": (lambda x: np.fft.fft(x), r"numpy\.fft\.fft has no differentiation rule"),
    "fft.rfft": (lambda x: np.fft.rfft(x), r"numpy\.fft\.rfft has no differentiation rule"),
    "sliding_window_view": (
        lambda x: np.lib.stride_tricks.sliding_window_view(x, 2),
        r"numpy\.lib\.stride_tricks\.sliding_window_view has no differentiation rule"),
    "ufunc-out": (lambda x: np.sin(x, out=np.empty(3)), r"numpy\.sin with out has no"),
    "ufunc-method": (lambda x: np.add.reduce(x), r"numpy\.add\.reduce has no"),
    "float": (lambda x: float(x[0]), r"float\(\) on a traced array"),
    "int": (lambda x: int(x[0]), r"int\(\) on a traced array"),
    "asarray": (lambda x: np.asarray(x), r"Converting to a numpy array"),
    "array": (lambda x: np.array([x[0], x[1]]), r"Converting to a numpy array"),
}


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("case", list(NO_RULE_CALLS))
def test_numpy_function_without_rule_on_a_tracer(case, mode):
    call, match = NO_RULE_CALLS[case]

    def f(x):
        call(x)
        return anp.sum(x)  # pragma: no cover
    with pytest.raises(TypeError, match=match) as info:
        if mode == "grad":
            ad.grad(f)(X)
        else:
            ad.jvp(f, (X,), (X,))
    assert re.search(DROP, str(info.value))


def test_drop_message_suggests_the_fix():
    with pytest.raises(TypeError, match=r"admodes\.numpy.*admodes\.primal_value"):
        ad.grad(lambda x: float(anp.sum(x)))(X)
    with pytest.raises(TypeError, match=r"admodes\.numpy\.__all__"):
        ad.grad(lambda x: anp.sum(np.linalg.eigvals(anp.outer(x, x))))(X)


@pytest.mark.parametrize(("name", "module"), [("fft", "admodes.numpy"),
                                              ("einsum_path", "admodes.numpy"),
                                              ("polynomial", "admodes.numpy"),
                                              ("eig", "admodes.numpy.linalg"),
                                              ("eigvals", "admodes.numpy.linalg")])
def test_namespace_name_without_rule(name, module):
    namespace = anp if module == "admodes.numpy" else anp.linalg
    with pytest.raises(AttributeError, match=rf"{module}\.{name} is not available: numpy's "
                                             rf"{name} has no differentiation rule"):
        getattr(namespace, name)


def test_namespace_name_unknown_to_numpy():
    with pytest.raises(AttributeError, match=r"module 'admodes\.numpy' has no attribute "
                                             r"'sine' \(nor has numpy\)"):
        anp.sine  # noqa: B018


# -- ops with unsupported arguments ---------------------------------------------------------------

UNSUPPORTED = {
    "einsum-output-index": (lambda x: anp.einsum("i->j", x), ValueError,
                            (r"einsum: subscripts 'i->j': output indices 'j' must be distinct "
                            r"input indices")),
    "einsum-operand-ndim": (lambda x: anp.einsum("ij->i", x), ValueError,
                            (r"einsum: subscripts 'ij->i': operand 'ij' does not match its 1 "
                            r"dimension\(s\)")),
    "einsum-malformed-ellipsis": (lambda x: anp.einsum("..i->i", x), ValueError,
                                  (r"einsum: subscripts '\.\.i->i': '\.\.i' may hold letters "
                                  r"and one '\.\.\.' only")),
    "norm-matrix-ord-3": (lambda x: anp.linalg.norm(anp.outer(x, x), ord=3), ValueError,
                          r"linalg\.norm: matrix norm ord=3 is not supported"),
    "qr-mode-complete": (lambda x: anp.linalg.qr(anp.outer(x, x[:2]), mode="complete")[0],
                         ValueError, (r"linalg\.qr: mode='complete' is not supported; use "
                                      r"'reduced' \(Q and R\) or 'r' \(R only\)")),
    "qr-wide": (lambda x: anp.linalg.qr(anp.outer(x[:2], x))[1], ValueError,
                r"linalg\.qr: needs m >= n .*got shape \(2, 3\)"),
    "svd-full-matrices": (lambda x: anp.linalg.svd(anp.outer(x, x[:2]))[0], ValueError,
                          (r"linalg\.svd: full_matrices=True for a non-square matrix of shape "
                           r"\(3, 2\).*pass full_matrices=False")),
    "svd-vector": (lambda x: anp.linalg.svd(x)[1], ValueError,
                   r"linalg\.svd: needs matrices \(\.\.\., m, n\), got shape \(3,\)"),
    "lstsq-rank-deficient": (lambda x: anp.linalg.lstsq(anp.outer(x, x[:2]), x)[0], ValueError,
                             (r"linalg\.lstsq: a of shape \(3, 2\) has rank 1 < 2 "
                              r"\(rcond=None\); the differentiable lstsq needs a of full rank")),
    "solve-nonsquare": (lambda x: anp.linalg.solve(np.ones((3, 2)), x), ValueError,
                        r"linalg\.solve: A must be a square 2-d matrix, got shape \(3, 2\)"),
    "cumprod-tuple-axis": (lambda x: anp.cumprod(anp.outer(x, x), axis=(0, 1)), TypeError,
                           r"cumprod: axis must be an int or None, got \(0, 1\)"),
    "squeeze-non-1": (lambda x: anp.squeeze(x, axis=0), ValueError,
                      r"squeeze\(\): cannot remove axis 0 of size 3"),
    "sum-unknown-keyword": (lambda x: anp.sum(x, foo=1), TypeError,
                            (r"sum\(\): got an unexpected keyword argument 'foo'; the "
                             r"signature is sum\(a, axis=None, dtype=None, out=None, "
                             r"keepdims=<not given>, initial=<not given>, where=<not given>\)")),
    "exp-unknown-keyword": (lambda x: anp.exp(x, foo=1), TypeError,
                            r"exp\(\) got an unexpected keyword argument 'foo'; it accepts \[\]"),
    "traced-static-arg": (lambda x: anp.sum(x, axis=x), TypeError,
                          r"sum\(\): static argument 'axis' must be a concrete value"),
    "traced-index": (lambda x: x[x], TypeError, r"indexing with a traced array"),
    "reshape-order": (lambda x: x.reshape(3, order="F"), ValueError,
                      r"reshape of a traced array supports order='C' only"),
    "clip-bound-twice": (lambda x: anp.clip(x, -1.0, min=0.0), TypeError,
                         r"clip\(\): a bound was given twice"),
    "clip-unknown-keyword": (lambda x: anp.clip(x, foo=1.0), TypeError,
                             (r"clip\(\): got an unexpected keyword argument 'foo'; the "
                              r"signature is clip\(x, a_min=None, a_max=None, \*, min=None, "
                              r"max=None\)")),
    "concatenate-unknown-keyword": (lambda x: anp.concatenate([x, x], foo=1), TypeError,
                                    (r"concatenate\(\): got an unexpected keyword argument "
                                     r"'foo'; the signature is concatenate\(arrays, axis=0\)")),
    "reshape-traced-shape": (lambda x: x.reshape(x[0], 3), TypeError,
                             r"reshape\(\): static argument 'shape' must be a concrete value"),
    "astype-complex": (lambda x: x.astype(complex), TypeError,
                       (r"astype\(\): dtype=complex128 is complex; admodes differentiates "
                        r"real-valued functions only")),
    "len-0d": (lambda x: len(anp.sum(x)), TypeError, r"len\(\) of a 0-d traced array"),
    "setitem": (lambda x: x.__setitem__(0, 1.0), TypeError,
                r"in-place assignment to a traced array is not differentiable"),
}


@pytest.mark.parametrize("mode", ["grad", "jacfwd", "jacrev", "jvp"])
@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_op_with_unsupported_argument(case, mode):
    call, exc, match = UNSUPPORTED[case]

    def f(x):
        return anp.sum(call(x))
    with pytest.raises(exc, match=match):
        if mode == "jvp":
            ad.jvp(f, (X,), (X,))
        else:
            getattr(ad, mode)(f)(X)


@pytest.mark.parametrize("case", ["einsum-output-index", "einsum-operand-ndim",
                                  "einsum-malformed-ellipsis"])
def test_unsupported_argument_is_reported_when_recorded_not_in_the_pullback(case):
    call, exc, match = UNSUPPORTED[case]
    with pytest.raises(exc, match=match):
        ad.vjp(call, X)


# -- leaked tracers -------------------------------------------------------------------------------

def test_leaked_tracer_message():
    box = []
    ad.grad(lambda x: box.append(x) or anp.sum(x))(X)
    with pytest.raises(RuntimeError, match=r"got a traced array from a transform that has "
                                           r"already returned \(a leaked tracer.*Return it from "
                                           r"the function instead"):
        anp.sum(box[0])
