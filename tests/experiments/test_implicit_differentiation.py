"""Implicit differentiation vs unrolling on small inputs: both gradients reach the exact one
(whose closed form is checked against the engines), the implicit tape does not grow with the
iterations while the unrolled one does, and the report is written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import admodes as ad
import admodes.numpy as anp
import experiments.implicit_differentiation as imp

CONFIG = {"cells": 12, "units": 6, "contraction": 0.6, "min_time": 0.0, "repeats": 1,
          "max_time": 1.0, "seed": 0, "threads": 1,
          "iterations": {"poisson": [2, 6, 40], "equilibrium": [2, 8, 80]}}


@pytest.fixture(scope="module")
def data():
    rows = pd.DataFrame([dict(p, **imp.measure(p, CONFIG)) for p in imp.points(CONFIG)])
    assert list(rows.columns) == list(imp.KEY_FIELDS) + list(imp.COLUMNS)  # one schema
    return rows


def test_points_cover_every_problem_method_and_iteration_count():
    pts = list(imp.points(CONFIG))
    assert len(pts) == 2 * 3 * 2 and len({tuple(p.values()) for p in pts}) == len(pts)


@pytest.mark.parametrize("name", imp.PROBLEMS)
def test_the_closed_form_reference_is_the_engines_gradient_of_the_exact_solution(name):
    problem = imp.make_problem(name, CONFIG)
    g_exact = imp.exact(name, problem)[1]
    if name == "poisson":
        def loss(theta):
            D = problem["D"]
            x = anp.linalg.solve(D.T @ (anp.exp(theta)[:, None] * D), problem["b"])
            return 0.5 * anp.sum((x - problem["target"]) ** 2)
    else:
        def loss(theta):  # 200 contraction steps: converged to rounding
            W, c = imp._equilibrium_parts(problem, theta)
            z = imp.fixed_point(lambda z: anp.tanh(W @ z + c), np.zeros(problem["units"]), 200)
            return 0.5 * anp.sum((z - problem["target"]) ** 2)
    np.testing.assert_allclose(ad.grad(loss)(problem["theta"]), g_exact, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("name", imp.PROBLEMS)
def test_both_gradients_reach_the_exact_one_and_share_the_solution(data, name):
    rows = data[data.problem == name]
    converged = rows[rows.iterations == rows.iterations.max()]
    assert (converged.grad_error < 1e-10).all() and (converged.x_error < 1e-12).all()
    assert (converged.rev_dot_error < 1e-9).all() and (converged.fwd_dot_error < 1e-9).all()
    by_k = rows.pivot(index="iterations", columns="method", values="x_error")
    np.testing.assert_array_equal(by_k.unrolled, by_k.implicit)  # one solver for x
    few = rows[rows.iterations == rows.iterations.min()]
    assert (few.grad_error > 1e-3).all()  # two iterations are not enough: the error is real


@pytest.mark.parametrize("name", imp.PROBLEMS)
def test_the_implicit_tape_does_not_grow_with_the_iterations(data, name):
    rows = data[data.problem == name].sort_values("iterations")
    implicit = rows[rows.method == "implicit"].tape_bytes.to_numpy()
    unrolled = rows[rows.method == "unrolled"].tape_bytes.to_numpy()
    assert (implicit == implicit[0]).all()
    assert (np.diff(unrolled) > 0).all() and unrolled[-1] > implicit[-1]


def test_conjugate_gradient_stops_at_machine_precision():
    A = np.diag([1.0, 2.0, 3.0])
    x, run = imp.conjugate_gradient(lambda v: A @ v, np.ones(3), 50)
    np.testing.assert_allclose(x, [1.0, 0.5, 1 / 3], rtol=1e-14)
    assert run <= 4


def test_report_writes_figures_tables_and_findings(data, tmp_path):
    result = imp.report(data, tmp_path, CONFIG)
    assert (tmp_path / "figures" / "implicit_vs_unrolled.pdf").exists()
    assert (tmp_path / "tables" / "summary.csv").exists()
    assert len(result["findings"]) == 4 * len(imp.PROBLEMS)
    summary = imp.summary(data).set_index(["problem", "method"])
    assert summary.loc[("poisson", "implicit"), "tape bytes there"] < summary.loc[
        ("poisson", "unrolled"), "tape bytes there"]
