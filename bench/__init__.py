"""The matching benchmark: a seeded garment market, three placement policies and the offline optimum.

Run with `python -m bench.run` (or `make bench`); the engine part is pure Python and needs no database.
"""
