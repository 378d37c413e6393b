"""The factorization cache shared by the ops split from numpy's multi-output factorizations
(``admodes/ops/_memo.py``): reused for the same unchanged array, recomputed after an in-place
change, never handing out an array the cache keeps, bounded in entries and bytes."""

from __future__ import annotations

import numpy as np
import pytest

import admodes as ad
import admodes.numpy as anp
from admodes.ops import _memo


def _counting(fun):
    calls = []

    def counted(a):
        calls.append(1)
        return fun(a)
    return counted, calls


@pytest.fixture
def spd(rng):
    a = rng.standard_normal((4, 4))
    return a @ a.T + 4 * np.eye(4)


def test_same_unchanged_array_is_factorized_once(spd):
    fun, calls = _counting(np.linalg.eigh)
    eigh = _memo.memoized(fun)
    first, second = eigh(spd), eigh(spd)
    assert len(calls) == 1
    np.testing.assert_array_equal(first.eigenvectors, second.eigenvectors)
    assert type(second) is type(np.linalg.eigh(spd))  # numpy's named tuple
    eigh(spd.copy())  # another array with the same values: a new key
    assert len(calls) == 2


def test_array_changed_in_place_is_factorized_again(spd):
    fun, calls = _counting(np.linalg.inv)
    inv = _memo.memoized(fun)
    inv(spd)
    spd += np.eye(4)
    np.testing.assert_allclose(inv(spd), np.linalg.inv(spd))
    assert len(calls) == 2


def test_results_are_copies_the_cache_does_not_share(spd):
    inv = _memo.memoized(np.linalg.inv)
    first = inv(spd)
    first[:] = 0.0
    second = inv(spd)
    np.testing.assert_allclose(second, np.linalg.inv(spd))
    second[:] = 0.0
    np.testing.assert_allclose(inv(spd), np.linalg.inv(spd))


def test_cache_keeps_its_last_entries_only(rng):
    fun, calls = _counting(np.linalg.inv)
    inv = _memo.memoized(fun, entries=2)
    a, b, c = (rng.standard_normal((3, 3)) + 3 * np.eye(3) for _ in range(3))
    inv(a), inv(b), inv(c)  # a is evicted
    inv(c), inv(b)
    assert len(calls) == 3
    inv(a)
    assert len(calls) == 4


def test_entries_over_the_byte_budget_are_not_kept(spd, monkeypatch):
    monkeypatch.setattr(_memo, "MAX_BYTES", spd.nbytes)  # the input's copy and the inverse exceed it
    fun, calls = _counting(np.linalg.inv)
    inv = _memo.memoized(fun)
    inv(spd), inv(spd)
    assert len(calls) == 2


def test_entry_goes_with_its_input_array(rng):
    """The cache holds no user array alive: an entry is dropped when its input is freed."""
    inv = _memo.memoized(np.linalg.inv)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    inv(a)
    assert inv.cache_size() == 1
    del a
    assert inv.cache_size() == 0


def test_non_arrays_pass_through():
    fun, calls = _counting(np.linalg.inv)
    inv = _memo.memoized(fun)
    inv([[2.0, 0.0], [0.0, 4.0]]), inv([[2.0, 0.0], [0.0, 4.0]])
    assert len(calls) == 2


@pytest.mark.parametrize("name", ["eigh", "svd", "qr", "slogdet", "inv", "det"])
def test_linalg_after_an_in_place_change_is_numpys(name, spd):
    """The public functions (and a gradient through them) see the new values of an array that
    was factorized before and then changed in place."""
    ours = getattr(anp.linalg, name)
    theirs = getattr(np.linalg, name)
    ours(spd)
    spd[0, 1] += 0.5
    spd[1, 0] += 0.5
    for a, b in zip(ad.tree.flatten(ours(spd))[0], ad.tree.flatten(theirs(spd))[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_gradient_of_eigh_after_an_in_place_change(spd):
    def loss(a):
        w, v = anp.linalg.eigh(a)
        return anp.sum(w ** 2) + anp.sum(v[:, 0] ** 4)
    ad.grad(loss)(spd)
    spd += np.diag([0.1, 0.2, 0.3, 0.4])
    ad.check_grads(loss, (spd,), order=1, modes=("rev",))
    np.testing.assert_allclose(ad.grad(loss)(spd), ad.grad(loss)(spd.copy()), rtol=1e-13)
