"""Movers: how a campaign's ranking changed between a kept dataset and the current one."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..schema import CAMPAIGN_ID, ENGAGEMENT_RATE, INFLUENCER_ID, MOVER_FIELDS, RANK, Movers
from . import pages
from .connection import Document, Store, translate_errors
from .history import kept
from .layout import Dataset
from .queries import check_id

#: The order of the statuses in a movers list, after the moves (by their size).
STATUSES = ("up", "down", "new", "gone", "same")


@translate_errors
def movers(
    store: Store, dataset: Dataset, since: Dataset, campaign_id: str
) -> dict[str, Any] | None:
    """Each influencer of ``campaign_id`` with its rank in the dataset ``since`` and in
    ``dataset`` (:func:`compare`); ``None`` when neither dataset has the campaign, or one
    was dropped under the reader."""
    then = pages.whole(store, since, campaign_id, ENGAGEMENT_RATE)
    now = pages.whole(store, dataset, campaign_id, ENGAGEMENT_RATE)
    if then is None or now is None:
        return None
    return compare(campaign_id, since.run_id, then, dataset.run_id, now)


def compare(
    campaign_id: str,
    since: str,
    then: list[Document],
    dataset: str,
    now: list[Document],
) -> dict[str, Any] | None:
    """The moves between a campaign's ranking ``then`` (in the dataset of run ``since``) and
    ``now`` (in ``dataset``): the biggest moves first (ties by the rank now, then the id),
    then the new, the gone and the unchanged. ``None`` when both are empty."""
    before, after = _ranks(then), _ranks(now)
    if not before and not after:
        return None
    names = before.keys() | after.keys()
    items = [_mover(name, before.get(name), after.get(name)) for name in names]
    items.sort(key=_order)
    counts = dict.fromkeys(STATUSES, 0)
    for item in items:
        counts[item["status"]] += 1
    result = {
        CAMPAIGN_ID: campaign_id,
        "since": since,
        "dataset": dataset,
        "counts": counts,
        "items": items,
    }
    return Movers.model_validate(result).model_dump()


def earlier(pointer: Document, dataset: str, since: str | None) -> str:
    """The run id of the dataset to compare ``dataset`` with: ``since``, or by default the
    kept one published before the current. Raises :class:`~engagement.errors.UsageError`
    when no earlier dataset is kept."""
    if since is not None:
        return check_id("since", since)
    before = [d for d in kept(pointer) if d["runId"] != dataset]
    if not before:
        raise UsageError("no dataset before the current one is kept to compare with")
    return str(before[0]["runId"])


def _ranks(rows: list[Document]) -> dict[str, tuple[int, float]]:
    return {d[INFLUENCER_ID]: (int(d[RANK]), float(d[ENGAGEMENT_RATE])) for d in rows}


def _mover(
    name: str, then: tuple[int, float] | None, now: tuple[int, float] | None
) -> dict[str, Any]:
    change = then[0] - now[0] if then and now else None
    if then is None:
        status = "new"
    elif now is None:
        status = "gone"
    else:
        status = "up" if change and change > 0 else "down" if change else "same"
    values = {
        INFLUENCER_ID: name,
        "status": status,
        "rankThen": then[0] if then else None,
        "rankNow": now[0] if now else None,
        "change": change,
        "engagementRateThen": then[1] if then else None,
        "engagementRateNow": now[1] if now else None,
    }
    return {field: values[field] for field in MOVER_FIELDS}


def _order(item: dict[str, Any]) -> tuple[int, int, int, str]:
    status = item["status"]
    group = 0 if status in ("up", "down") else STATUSES.index(status) - 1
    size = -abs(item["change"] or 0)
    rank = item["rankNow"] if item["rankNow"] is not None else item["rankThen"]
    return (group, size, rank, item[INFLUENCER_ID])
