"""engagement.compare: P(A beats B) under the credible rate's beta posteriors, exact to 1e-6
against a closed form and within the error of 10^6 Monte Carlo draws, with its symmetries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import betaln

from engagement.compare import Posterior, compare, p_above, p_beats
from engagement.rules import credible_rate


def closed_form(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), integer a1: the finite sum
    P(Y > X) = 1 - sum ... written for P(X > Y) = sum_{i<a1} B(a2 + i, b1 + b2) /
    ((b1 + i) B(1 + i, b1) B(a2, b2)) (Evan Miller's formula, its roles swapped)."""
    total = 0.0
    for i in range(a1):
        total += math.exp(
            betaln(a2 + i, b1 + b2) - math.log(b1 + i) - betaln(1 + i, b1) - betaln(a2, b2)
        )
    return total


@pytest.mark.parametrize(
    ("a1", "b1", "a2", "b2"),
    [(2, 5, 3, 4), (1, 1, 1, 1), (10, 90, 12, 88), (40, 960, 30, 970), (250, 4750, 240, 4760)],
)
def test_exact_against_the_closed_form(a1: int, b1: int, a2: int, b2: int) -> None:
    found = p_beats(Posterior(a1, b1), Posterior(a2, b2))
    assert found == pytest.approx(closed_form(a1, b1, a2, b2), abs=1e-9)


def test_hand_worked() -> None:
    # Beta(1, 1) against Beta(1, 1): 1/2; Beta(2, 1) (density 2x) against Beta(1, 1):
    # integral of 2x * x = 2/3; Beta(2, 5) against Beta(3, 4): 3/11 by the closed form
    assert p_beats(Posterior(1, 1), Posterior(1, 1)) == pytest.approx(0.5, abs=1e-12)
    assert p_beats(Posterior(2, 1), Posterior(1, 1)) == pytest.approx(2 / 3, abs=1e-12)
    assert p_beats(Posterior(2, 5), Posterior(3, 4)) == pytest.approx(3 / 11, abs=1e-12)
    assert p_above(Posterior(2, 1), 0.5) == pytest.approx(0.75, abs=1e-12)  # 1 - 0.5^2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((425.2, 3830.8), (9139.1, 82405.9)),  # the sample's top two of campaign_6, roughly
        ((30.5, 970.5), (25.0, 975.0)),
        ((0.5, 0.5), (2.0, 2.0)),
        ((1e5, 1e7), (20.0, 2000.0)),  # a narrow posterior against a wide one
    ],
)
def test_against_a_million_monte_carlo_draws(
    first: tuple[float, float], second: tuple[float, float]
) -> None:
    rng = np.random.default_rng(20261206)
    n = 1_000_000
    hits = (rng.beta(*first, n) > rng.beta(*second, n)).mean()
    error = math.sqrt(hits * (1 - hits) / n)
    found = p_beats(Posterior(*first), Posterior(*second))
    assert abs(found - hits) < 5 * error + 1e-9  # within the draws' own error


@pytest.mark.parametrize(("a", "b"), [(3.5, 96.5), (425.2, 3830.8), (0.3, 7.0)])
def test_equal_posteriors_give_a_half_and_swapping_gives_one_minus(a: float, b: float) -> None:
    assert p_beats(Posterior(a, b), Posterior(a, b)) == pytest.approx(0.5, abs=1e-9)
    first, second = Posterior(a, b), Posterior(a * 1.2, b)
    forward, backward = p_beats(first, second), p_beats(second, first)
    assert forward + backward == pytest.approx(1.0, abs=1e-9)
    assert forward < 0.5  # the second's mean is higher


def test_posteriors_of_the_credible_model_and_their_points() -> None:
    # x = 30 of n = 1000 views, a prior at 5 % weighing 200 views
    post = Posterior.of(1000, 30, 0.05, 200.0)
    assert (post.a, post.b, post.point) == (40.0, 1160.0, None)
    mean = post.a / (post.a + post.b) * 100
    assert mean == pytest.approx(float(credible_rate(1000, 30, 0.05, 200.0)))
    assert Posterior.of(1000, 0, 0.05, 0.0).point == 0.0  # no prior, no interactions
    assert Posterior.of(1000, 1000, 0.05, 0.0).point == 1.0  # no prior, all interactions
    assert Posterior.of(1000, 30, 0.05, None).point == 0.05  # every pair at the pooled rate
    assert Posterior.of(1000, 30, 0.05, math.inf).point == 0.05
    pooled = Posterior.of(10, 1, 0.05, None)
    assert p_beats(post, pooled) == pytest.approx(1 - post.cdf(0.05), abs=1e-12)
    assert p_beats(pooled, post) == pytest.approx(post.cdf(0.05), abs=1e-12)
    assert p_beats(pooled, Posterior.of(99, 3, 0.05, None)) == 0.5  # two equal points
    assert p_beats(Posterior.of(10, 10, 0.05, 0.0), pooled) == 1.0
    assert p_above(pooled, 0.05) == 0.5 and p_above(pooled, 0.01) == 1.0


def test_a_comparison_says_who_beats_whom() -> None:
    summary = {
        "campaignId": "spring",
        "engagementRate": 5.0,
        "priorStrength": 200.0,
        "views": 10_000,
        "likes": 400,
        "comments": 50,
        "shares": 50,
    }
    row = {"views": 1000, "likes": 20, "comments": 5, "shares": 5, "posts": 2}
    a = {**row, "influencerId": "ann", "engagementRate": 3.0, "credibleRate": 3.33}
    b = {**row, "influencerId": "bo", "likes": 60, "engagementRate": 7.0, "credibleRate": 6.67}
    found = compare(summary, a, b)
    expected = p_beats(Posterior(30 + 10, 970 + 190), Posterior(70 + 10, 930 + 190))
    assert found["probability"] == pytest.approx(expected, abs=1e-12) and expected < 0.001
    assert found["sentence"] == f"ann beats bo with probability {expected:.2f}"
    assert found["a"]["interactions"] == 30 and found["b"]["interactions"] == 70
    assert (found["campaignRate"], found["priorStrength"]) == (5.0, 200.0)
    alone = compare(summary, b)
    assert alone["b"] is None
    assert alone["probability"] == pytest.approx(1 - Posterior(80, 1120).cdf(0.05), abs=1e-12)
    assert alone["sentence"] == (
        f"bo beats spring's pooled rate (5.00 %) with probability {alone['probability']:.2f}"
    )
    assert list(found) == [
        "campaignId",
        "a",
        "b",
        "campaignRate",
        "priorStrength",
        "probability",
        "sentence",
    ]


def test_a_ladder_weighs_each_against_the_next() -> None:
    from engagement.compare import ladder, posterior_of

    summary = {"campaignId": "c", "engagementRate": 5.0, "priorStrength": 0.0}
    rows = [
        {"influencerId": "a", "views": 100, "likes": 9, "comments": 0, "shares": 0},
        {"influencerId": "b", "views": 1000, "likes": 60, "comments": 10, "shares": 10},
        {"influencerId": "c", "views": 10, "likes": 0, "comments": 0, "shares": 0},
    ]
    steps = ladder(summary, rows)
    # no prior: a is Beta(9, 91), b Beta(80, 920); c has no interactions: a point at 0
    assert posterior_of(summary, rows[2]).point == 0.0
    first = closed_form(9, 91, 80, 920)
    assert [(s["influencerId"], s["next"]) for s in steps] == [("a", "b"), ("b", "c")]
    assert steps[0]["probability"] == pytest.approx(first, abs=1e-9)
    assert steps[1]["probability"] == 1.0  # any rate above 0 beats the point at 0
    assert steps[0]["sentence"] == f"a beats b with probability {first:.2f}"
    assert ladder(summary, rows[:1]) == [] and ladder(summary, []) == []
