"""The store: MongoDB through pymongo (any server, or the embedded one).

``connection`` (the :class:`Store` repository and :func:`connect`), ``embedded`` (the local
SecantusDB server), ``publish`` (write a dataset, flip the pointer), ``ledger`` (the run
ledger), ``lock`` (one publisher at a time) and ``queries`` (one function per question).
Nothing here knows the ETL.
"""

from .connection import Store, connect

__all__ = ["Store", "connect"]
