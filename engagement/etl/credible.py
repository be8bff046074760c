"""Credible rates: each pair's engagement rate shrunk toward its campaign's pooled rate.

Empirical Bayes with a beta-binomial model: a pair's interactions are successes out of its
views, its true rate drawn from its campaign's Beta prior. The prior's mean is the
campaign's pooled rate ``mu`` (interactions / views over all its pairs); its strength ``M``
(in views) comes from the method of moments: the spread of the pairs' rates beyond what
chance alone gives,

    tau2 = var(rate_i) - mu * (1 - mu) * mean(1 / views_i),    M = mu * (1 - mu) / tau2 - 1

and each pair's credible rate is the posterior mean ``(x_i + mu * M) / (n_i + M)``. A pair
with few views moves most of the way to ``mu``; one with many views barely moves. Its 90 %
credible interval is the posterior's 5th and 95th percentiles:
``Beta(x_i + mu * M, n_i - x_i + (1 - mu) * M)``.
Fallbacks: fewer than ``MIN_PRIOR_PAIRS`` pairs, no prior (the raw rate stands, M = 0);
rates no wider than chance (tau2 <= 0), every pair at ``mu`` (M is infinite: ``None``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..rules import MIN_PRIOR_PAIRS, credible_interval, credible_rate


class Credible(NamedTuple):
    """Each pair's credible rate and the 90 % interval around it (percent), and each
    campaign's prior strength (``inf``: all pooled)."""

    rate: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    strength: npt.NDArray[np.float64]


def priors(
    starts: npt.NDArray[np.int64],
    views: npt.NDArray[np.int64],
    interactions: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each campaign's prior (pairs grouped by campaign, a group from each of ``starts`` to
    the next): its pooled rate (a fraction) and its strength in views (``inf``: all pooled)."""
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
    return pooled, strength


def credible_rates(
    starts: npt.NDArray[np.int64],
    views: npt.NDArray[np.int64],
    interactions: npt.NDArray[np.int64],
) -> Credible:
    """Credible rates and intervals (percent) of pairs grouped by campaign."""
    pooled, strength = priors(starts, views, interactions)
    sizes = np.diff(np.append(starts, len(views)))
    prior_rate, prior_strength = np.repeat(pooled, sizes), np.repeat(strength, sizes)
    finite = np.isfinite(prior_strength)
    rate = np.where(finite, 0.0, prior_rate * 100.0)
    rate[finite] = credible_rate(
        views[finite], interactions[finite], prior_rate[finite], prior_strength[finite]
    )
    low, high = credible_interval(views, interactions, prior_rate, prior_strength)
    return Credible(rate, low, high, strength)
