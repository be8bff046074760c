"""How a published dataset is laid out, as its readers need to know it.

A dataset written today keeps its rankings as pages (:mod:`.pages`) and its influencers in
buckets (:mod:`.buckets`); the pointer's descriptor of it says so under ``layout``
(``{pageSize, influencerBuckets}``). A descriptor without ``layout`` is of a dataset
written before pages: one document per performer in ``performers_<runId>`` (indexed by
campaign and rank) and one per influencer in ``influencers_<runId>``, which are still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .connection import Document


@dataclass(frozen=True)
class Dataset:
    """A published (or kept) dataset: the run that wrote it, and its layout."""

    run_id: str
    #: Performers per ranking page; ``None``: one document per performer.
    page_size: int | None = None
    #: Influencer buckets; ``None``: one document per influencer.
    buckets: int | None = None
    #: The whole dataset's benchmarks, as its descriptor holds them.
    benchmarks: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, descriptor: Document) -> Dataset:
        """The dataset a pointer (or a kept entry of it) describes."""
        layout = descriptor.get("layout") or {}
        size, buckets = layout.get("pageSize"), layout.get("influencerBuckets")
        return cls(
            str(descriptor["runId"]),
            int(size) if size else None,
            int(buckets) if buckets else None,
            dict(descriptor.get("benchmarks") or {}),
        )

    @property
    def paged(self) -> bool:
        """Are its rankings stored as pages (not one document per performer)?"""
        return self.page_size is not None


def layout(page_size: int, buckets: int) -> Document:
    """What a descriptor says of a dataset written as pages and buckets."""
    return {"pageSize": page_size, "influencerBuckets": buckets}
