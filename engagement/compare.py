"""Head to head: the probability that one influencer's true engagement rate beats another's.

The credible rate's model (:func:`engagement.rules.credible_rate`) gives each pair of a
campaign a posterior of its true rate: ``Beta(x + mu M, n - x + (1 - mu) M)`` for ``x``
interactions out of ``n`` views, the campaign's pooled rate ``mu`` and prior strength ``M``.
For two influencers A and B of the campaign,

    P(A beats B) = P(X_A > X_B) = integral over (0, 1) of f_A(x) F_B(x) dx

(``f`` a posterior's density, ``F`` its distribution function), integrated numerically over
the rates both posteriors hold, split where either one climbs, to within 1e-9; against the
campaign's pooled rate, ``1 - F_A(mu)``. Where a posterior is a point (no prior and no
interactions or only interactions; every pair pooled) it is a point mass, and two equal
points beat each other with probability 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .schema import CAMPAIGN_ID, CREDIBLE_RATE, ENGAGEMENT_RATE, INFLUENCER_ID, Comparison

#: Quantiles of each posterior that split the integral (where its density is).
_LEVELS = (1e-6, 1e-3, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999)


@dataclass(frozen=True)
class Posterior:
    """A pair's posterior of its true rate (a fraction): ``Beta(a, b)``, or the point
    ``point`` where the model leaves no spread."""

    a: float
    b: float
    point: float | None = None

    @classmethod
    def of(
        cls, views: int, interactions: int, prior_rate: float, strength: float | None
    ) -> Posterior:
        """The posterior of ``interactions`` out of ``views`` under a campaign's prior:
        its pooled rate ``prior_rate`` (a fraction) and ``strength`` in views (``None`` or
        infinite: every pair at the pooled rate; 0: no prior)."""
        if strength is None or math.isinf(strength):
            return cls(0.0, 0.0, prior_rate)
        a = interactions + prior_rate * strength
        b = views - interactions + (1.0 - prior_rate) * strength
        if a <= 0:
            return cls(0.0, 0.0, 0.0)
        if b <= 0:
            return cls(0.0, 0.0, 1.0)
        return cls(float(a), float(b))

    def cdf(self, rate: float) -> float:
        """P(true rate <= ``rate``)."""
        from scipy.special import betainc

        if self.point is not None:
            return 1.0 if rate >= self.point else 0.0
        return float(betainc(self.a, self.b, min(max(rate, 0.0), 1.0)))

    def pdf(self, rate: float) -> float:
        """The posterior's density at ``rate`` (a proper posterior's)."""
        from scipy.special import betaln

        if rate <= 0.0 or rate >= 1.0:
            return 0.0
        log = (self.a - 1) * math.log(rate) + (self.b - 1) * math.log1p(-rate)
        return math.exp(log - float(betaln(self.a, self.b)))

    def quantile(self, level: float) -> float:
        from scipy.special import betaincinv

        if self.point is not None:
            return self.point
        return float(betaincinv(self.a, self.b, level))


def p_beats(first: Posterior, second: Posterior) -> float:
    """P(the first's true rate > the second's), to within 1e-9 (ties of two points: 0.5)."""
    from scipy.integrate import quad

    if first.point is not None and second.point is not None:
        return 0.5 if first.point == second.point else float(first.point > second.point)
    if first.point is not None:
        return second.cdf(first.point)
    if second.point is not None:
        return 1.0 - first.cdf(second.point)
    # over the rates both posteriors hold (all but 1e-15 of each), split where either climbs
    edges = [post.quantile(tail) for post in (first, second) for tail in (1e-15, 1 - 1e-15)]
    low, high = min(edges), max(edges)
    splits = sorted({post.quantile(level) for post in (first, second) for level in _LEVELS})
    found, _ = quad(
        lambda x: first.pdf(x) * second.cdf(x),
        low,
        high,
        points=[x for x in splits if low < x < high] or None,
        epsabs=1e-12,
        epsrel=1e-10,
        limit=500,
    )
    return min(1.0, max(0.0, float(found)))


def p_above(first: Posterior, rate: float) -> float:
    """P(the first's true rate > ``rate``) (a fraction; at the point itself: 0.5)."""
    if first.point is not None and first.point == rate:
        return 0.5
    return 1.0 - first.cdf(rate)


def contender(row: dict[str, Any]) -> dict[str, Any]:
    """A performer row as one side of a comparison."""
    interactions = int(row["likes"]) + int(row["comments"]) + int(row["shares"])
    return {
        INFLUENCER_ID: row[INFLUENCER_ID],
        "posts": int(row["posts"]),
        "views": int(row["views"]),
        "interactions": interactions,
        ENGAGEMENT_RATE: row.get(ENGAGEMENT_RATE),
        CREDIBLE_RATE: row.get(CREDIBLE_RATE),
        "credibleLow": row.get("credibleLow"),
        "credibleHigh": row.get("credibleHigh"),
    }


def compare(
    summary: dict[str, Any], first: dict[str, Any], second: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The head to head of two performer rows of the campaign of ``summary`` (its pooled
    rate and prior strength), or of ``first`` against the campaign's pooled rate: both
    sides, the probability that the first beats the other, and the sentence saying so."""
    pooled = float(summary[ENGAGEMENT_RATE])  # the campaign's sums' rate: the prior's mean
    strength = summary.get("priorStrength")
    a = contender(first)
    posterior = posterior_of(summary, first)
    campaign_id = summary[CAMPAIGN_ID]
    if second is None:
        b = None
        probability = p_above(posterior, pooled / 100.0)
        other = f"{campaign_id}'s pooled rate ({pooled:.2f} %)"
    else:
        b = contender(second)
        probability = p_beats(posterior, posterior_of(summary, second))
        other = str(b[INFLUENCER_ID])
    return Comparison.model_validate(
        {
            CAMPAIGN_ID: campaign_id,
            "a": a,
            "b": b,
            "campaignRate": pooled,
            "priorStrength": strength,
            "probability": probability,
            "sentence": f"{a[INFLUENCER_ID]} beats {other} with probability {probability:.2f}",
        }
    ).model_dump()


def posterior_of(summary: dict[str, Any], row: dict[str, Any]) -> Posterior:
    """A performer row's posterior under its campaign's prior (``summary``)."""
    interactions = int(row["likes"]) + int(row["comments"]) + int(row["shares"])
    mu = float(summary[ENGAGEMENT_RATE]) / 100.0
    return Posterior.of(int(row["views"]), interactions, mu, summary.get("priorStrength"))


def ladder(summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each of ``rows`` (a ranking's first, in its order) but the last against the one
    ranked next: its id, the next one's, the probability that it truly beats it and the
    sentence."""
    posteriors = [posterior_of(summary, row) for row in rows]
    steps = []
    for i in range(len(rows) - 1):
        probability = p_beats(posteriors[i], posteriors[i + 1])
        first, second = rows[i][INFLUENCER_ID], rows[i + 1][INFLUENCER_ID]
        steps.append(
            {
                INFLUENCER_ID: first,
                "next": second,
                "probability": probability,
                "sentence": f"{first} beats {second} with probability {probability:.2f}",
            }
        )
    return steps
