"""The store: MongoDB through pymongo (any server, or the embedded one).

``connection`` (the :class:`Store` repository and :func:`connect`), ``embedded`` (the local
SecantusDB server), ``publish`` (write a dataset), ``history`` (the pointer flip, the kept
datasets, drops), ``ledger`` (the run ledger), ``lock`` (one publisher at a time),
``queries`` (one function per question) and ``movers`` (rank changes between datasets).
Nothing here knows the ETL.
"""

from .connection import Store, connect

__all__ = ["Store", "connect"]
