"""The cost meters: deterministic counts, phases, tape bytes, and nothing left behind."""

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes import registry
from admodes.reverse import Tape


def mlp(x, w):
    return anp.sum(anp.tanh(w @ x) ** 2)


def test_measure_counts_every_op_of_f():
    x, w = np.ones(5), np.ones((3, 5))
    out, m = ad.cost.measure(mlp, x, w)
    assert out == pytest.approx(float(np.sum(np.tanh(w @ x) ** 2)))
    assert m.evaluations == {("primal", "matmul"): 1, ("primal", "tanh"): 1,
                             ("primal", "power"): 1, ("primal", "sum"): 1}
    # matmul 2·3·5, then 3 tanh, 3 powers and 3 additions.
    assert m.flops["primal"] == 30 + 3 + 3 + 3
    assert m.flops["jvp"] == m.flops["vjp"] == 0


def test_counts_are_deterministic_and_split_by_phase():
    x, w = np.linspace(0, 1, 5), np.ones((3, 5))
    results = []
    for _ in range(2):
        with ad.cost.meter() as m:
            ad.grad(mlp)(x, w)
        results.append(m.summary())
    assert results[0] == results[1]
    row = results[0]
    assert row["flops_primal"] == 39 and row["flops_jvp"] == 0
    assert 0 < row["flops_vjp"] <= 3 * row["flops_primal"]
    with ad.cost.meter() as m:
        ad.jvp(lambda x: mlp(x, w), (x,), (np.ones(5),))
    assert m.flops["primal"] == 39 and m.flops["jvp"] > 0 and m.flops["vjp"] == 0


def test_tape_bytes_count_each_saved_array_once():
    x = np.ones(1000)
    with ad.cost.meter() as m:
        ad.grad(lambda x: anp.sum(anp.sin(x) * anp.sin(x)))(x)
    # sin saves its input (x, once for both uses); multiply saves both sin outputs.
    assert m.tape_records == 4
    assert m.tape_bytes == 3 * x.nbytes
    assert m.peak_tape_bytes == m.tape_bytes


def test_tape_bytes_grow_linearly_with_steps():
    def rollout(y, steps):
        for _ in range(steps):
            y = y + 0.1 * anp.sin(y)
        return anp.sum(y)

    steps = (10, 20, 40)
    sizes = []
    for n in steps:
        with ad.cost.meter() as m:
            ad.grad(lambda y, n=n: rollout(y, n))(np.ones(100))
        sizes.append(m.tape_bytes)
    per_step = [(b - a) / (t - s) for a, b, s, t in zip(sizes, sizes[1:], steps, steps[1:])]
    assert per_step[0] == per_step[1] > 0


def test_meter_leaves_no_instrumentation_behind():
    before = {op.name: (op.impl, op.jvp, op.vjp) for op in registry.ops()}
    process = Tape.process

    def failing(x):
        anp.sin(x)
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError), ad.cost.meter():
        ad.grad(failing)(np.ones(2))
    after = {op.name: (op.impl, op.jvp, op.vjp) for op in registry.ops()}
    assert before == after
    assert Tape.process is process


def test_meters_do_not_nest():
    with ad.cost.meter(), pytest.raises(RuntimeError, match="already active"), ad.cost.meter():
        pass


def test_reverse_mode_skips_cotangents_of_constant_operands():
    w, x = np.ones((4, 3)), np.ones(3)

    def products(m):
        return m.evaluations[("vjp", "matmul")] + m.evaluations[("vjp", "multiply")]

    # One product forms the wanted cotangent (ct @ w for x, the outer product ct xᵀ for w);
    # the constant operand's cotangent would be a second one.
    with ad.cost.meter() as m:
        ad.grad(lambda x: anp.sum(w @ x))(x)
    assert products(m) == 1 and m.flops["vjp"] == 2 * 4 * 3
    with ad.cost.meter() as m:
        ad.grad(lambda w: anp.sum(w @ x))(w)
    assert products(m) == 1 and m.flops["vjp"] == 4 * 3
    with ad.cost.meter() as m:
        ad.grad(lambda x: anp.sum(x * 3.0 + x ** 2.0))(x)
    assert m.evaluations[("vjp", "log")] == 0  # ∂(x**b)/∂b is never formed for a constant b
