"""Credible rates: each pair's engagement rate shrunk toward its campaign's pooled rate.

Empirical Bayes with a beta-binomial model: a pair's interactions are successes out of its
views, its true rate drawn from its campaign's Beta prior. The prior's mean is the
campaign's pooled rate ``mu`` (interactions / views over all its pairs); its strength ``M``
(in views) comes from the method of moments: the spread of the pairs' rates beyond what
chance alone gives,

    tau2 = var(rate_i) - mu * (1 - mu) * mean(1 / views_i),    M = mu * (1 - mu) / tau2 - 1

and each pair's credible rate is the posterior mean ``(x_i + mu * M) / (n_i + M)``. A pair
with few views moves most of the way to ``mu``; one with many views barely moves.
Fallbacks: fewer than ``MIN_PRIOR_PAIRS`` pairs, no prior (the raw rate stands, M = 0);
rates no wider than chance (tau2 <= 0), every pair at ``mu`` (M is infinite: ``None``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..rules import MIN_PRIOR_PAIRS, credible_rate


def credible_rates(
    starts: npt.NDArray[np.int64],
    views: npt.NDArray[np.int64],
    interactions: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Credible rates (percent) of pairs grouped by campaign (a group from each of
    ``starts`` to the next), and each campaign's prior strength (``inf``: all pooled)."""
    n = views.astype(np.float64)
    x = interactions.astype(np.float64)
    if len(n) == 0:
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.float64)
    sizes = np.diff(np.append(starts, len(n)))
    pooled = np.add.reduceat(x, starts) / np.add.reduceat(n, starts)
    rates = x / n
    mean = np.add.reduceat(rates, starts) / sizes
    squares = np.add.reduceat((rates - np.repeat(mean, sizes)) ** 2, starts)
    variance = np.divide(squares, sizes - 1, out=np.zeros_like(squares), where=sizes > 1)
    chance = pooled * (1.0 - pooled) * np.add.reduceat(1.0 / n, starts) / sizes
    spread = variance - chance
    with np.errstate(divide="ignore", invalid="ignore"):
        fitted = np.maximum(0.0, pooled * (1.0 - pooled) / spread - 1.0)
    strength = np.where(sizes < MIN_PRIOR_PAIRS, 0.0, np.where(spread <= 0.0, np.inf, fitted))
    prior_rate, prior_strength = np.repeat(pooled, sizes), np.repeat(strength, sizes)
    finite = np.isfinite(prior_strength)
    out = np.where(finite, 0.0, prior_rate * 100.0)
    out[finite] = credible_rate(
        n[finite],
        x[finite],
        prior_rate[finite],
        prior_strength[finite],
    )
    return out, strength
