"""One factorization per matrix for the one-output ops split from numpy's factorizations.

A primitive of the registry has one output, so numpy's multi-output factorizations are split:
``eigh`` into ``eigh_values`` and ``eigh_vectors``, ``svd`` into ``svd_u``, ``svd_s`` and
``svd_vh``, ``qr`` into ``qr_q`` and ``qr_r``, ``slogdet`` into its sign and ``logabsdet``; and
the rules of each ask for the other factors (or, for ``det``, the inverse) of the same matrix.
Computed from scratch every time, ``eigh(A)`` factorizes ``A`` twice and its gradient twice
more. :func:`memoized` wraps such a factorization so that its recent results are reused:

* keyed by the input array object and checked against a copy of the values they were computed
  from, so an array changed in place since is factorized again (an O(n²) comparison against an
  O(n³) factorization);
* returned as fresh copies, so a caller that writes into a result does not change the cache;
* a few entries per factorization, least recently used first out, and only results whose
  arrays (with the input's copy) fit in :data:`MAX_BYTES`;
* held no longer than the input array lives (a weak reference to it), so the cache keeps no
  user array alive and is empty once the arrays of a computation (its tape, say) are freed.

The cost meter (:mod:`admodes.cost`) counts each op's FLOP model whether or not the cache
served it: its counts are those of the algorithm without reuse.
"""

from __future__ import annotations

import collections
import functools
import threading
import weakref

import numpy as np

__all__ = ["MAX_BYTES", "memoized"]

#: The most bytes one cached entry may hold (the input's copy and the results).
MAX_BYTES = 64 * 2 ** 20


def memoized(fun, entries=4):
    """``fun(a)`` for a numpy array ``a``, reusing one of its last ``entries`` results for the
    same, unchanged array; ``fun`` returns an array or a tuple of arrays."""
    cache = collections.OrderedDict()  # id(a) -> (weak reference to a, copy of a, result)
    lock = threading.Lock()

    def forget(ref, key):
        with lock:
            if key in cache and cache[key][0] is ref:  # not a newer entry under a reused id
                del cache[key]

    @functools.wraps(fun)
    def factorization(a):
        if type(a) is not np.ndarray:
            return fun(a)
        key = id(a)
        with lock:
            hit = cache.get(key)
            if hit is not None and hit[0]() is a and np.array_equal(hit[1], a):
                cache.move_to_end(key)
                return _copy(hit[2])
        result = fun(a)
        stored = _copy(result)
        nbytes = a.nbytes + sum(np.asarray(r).nbytes for r in _arrays(stored))
        if nbytes <= MAX_BYTES:
            ref = weakref.ref(a, functools.partial(forget, key=key))
            with lock:
                cache[key] = (ref, a.copy(), stored)
                cache.move_to_end(key)
                while len(cache) > entries:
                    cache.popitem(last=False)
        return result
    factorization.cache_size = lambda: len(cache)
    return factorization


def _arrays(result):
    return result if isinstance(result, tuple) else (result,)


def _copy(result):
    """A copy of an array (numpy scalars are immutable: as they are), or of each entry of a
    tuple or named tuple of them."""
    if isinstance(result, tuple):
        copies = [_copy(r) for r in result]
        return type(result)(*copies) if hasattr(result, "_fields") else tuple(copies)
    return result.copy() if isinstance(result, np.ndarray) else result
