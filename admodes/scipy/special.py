"""admodes.scipy.special: scipy.special's functions with differentiation rules (erf, erfc,
erfinv, ndtr, ndtri, log_ndtr, gammaln, digamma, polygamma, gamma, betaln, i0, i0e, i1, i1e,
xlogy, xlog1py, entr, expit, logit, logsumexp, softmax, log_softmax, erfcx, dawsn, exp1, expi,
expn, spence, loggamma, beta, poch, multigammaln, factorial, kl_div, rel_entr, boxcox,
boxcox1p, zeta, gammainc, gammaincc, betainc, and the Bessel functions j0, j1, y0, y1, k0, k1,
k0e, k1e, jv, yv, iv, kv, ive, kve, the real-order ones differentiable in x), generated from
the registry's
``"scipy.special"`` namespace. A scipy.special name without a rule raises an AttributeError
that says so.

Examples
--------
>>> import admodes as ad
>>> from admodes.scipy.special import digamma, gammaln
>>> bool(ad.grad(gammaln)(2.5) == digamma(2.5))
True
"""

import scipy.special as _scipy_special

import admodes.ops  # noqa: F401 - registers the ops
from admodes.numpy._namespace import missing_attribute, populate

__all__: list[str] = []
__all__.extend(populate(globals(), "scipy.special"))


def __getattr__(attr):
    raise missing_attribute(__name__, _scipy_special, attr)
