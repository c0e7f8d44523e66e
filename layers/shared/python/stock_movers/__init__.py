"""stock_movers: the shared code layer (domain core, provider adapters, storage adapters).

The domain package is pure Python with no AWS imports; adapters hold every I/O.
"""
