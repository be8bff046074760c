"""Movers: how a campaign's ranking changed between a kept dataset and the current one."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..schema import MOVER_FIELDS, Movers
from .connection import Store, translate_errors
from .history import dataset_of, kept
from .queries import check_id

#: The order of the statuses in a movers list, after the moves (by their size).
STATUSES = ("up", "down", "new", "gone", "same")


@translate_errors
def movers(
    store: Store, campaign_id: str, since: str | None = None, *, dataset: str | None = None
) -> dict[str, Any] | None:
    """Each influencer of ``campaign_id`` with its rank in the dataset of run ``since``
    (by default the one published before the current) and in the current dataset (or
    ``dataset``): the biggest moves first (ties by the rank now, then the id), then the new,
    the gone and the unchanged. ``None`` when neither dataset has the campaign or nothing
    is published.

    Raises :class:`~engagement.errors.DatasetNotKeptError` when ``since`` names a run whose
    dataset is not kept, and :class:`~engagement.errors.UsageError` when no earlier dataset
    is kept to compare with."""
    campaign_id = check_id("campaignId", campaign_id)
    pointer = store.current()
    if pointer is None:
        return None
    now_run = dataset or str(pointer["runId"])
    if since is None:
        earlier = [d for d in kept(pointer) if d["runId"] != now_run]
        if not earlier:
            raise UsageError("no dataset before the current one is kept to compare with")
        since = str(earlier[0]["runId"])
    since = check_id("since", since)
    dataset_of(store, since)  # kept, or a clear error
    then, now = _ranks(store, since, campaign_id), _ranks(store, now_run, campaign_id)
    if not then and not now:
        return None
    items = [_mover(name, then.get(name), now.get(name)) for name in then.keys() | now.keys()]
    items.sort(key=_order)
    counts = dict.fromkeys(STATUSES, 0)
    for item in items:
        counts[item["status"]] += 1
    result = {
        "campaignId": campaign_id,
        "since": since,
        "dataset": now_run,
        "counts": counts,
        "items": items,
    }
    return Movers.model_validate(result).model_dump()


def _ranks(store: Store, run_id: str, campaign_id: str) -> dict[str, tuple[int, float]]:
    found = store.performers(run_id).find(
        {"campaignId": campaign_id}, {"_id": 0, "influencerId": 1, "rank": 1, "engagementRate": 1}
    )
    return {d["influencerId"]: (int(d["rank"]), float(d["engagementRate"])) for d in found}


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
        "influencerId": name,
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
    return (group, size, rank, item["influencerId"])
