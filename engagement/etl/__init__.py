"""The ETL: read -> validate -> aggregate -> rank, store-free.

``reader`` streams a CSV export as blocks of whole records (``records`` is the plain-Python
parser, ``oversized`` skips records longer than the bound), ``validate`` applies the data
rules, ``aggregate`` sums per (campaign, influencer) and ranks, ``engines`` runs blocks in
this process or on Dask. Nothing here knows the store.
"""
