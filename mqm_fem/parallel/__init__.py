"""Independent solves in parallel, generic (nothing here knows about London or Schrödinger):
parameter grids (:func:`product`, :func:`zipped`), a store that never loses a finished point
(:class:`Store`) and :func:`run_points`, which runs a function over the points in local
processes or on a Dask cluster."""

from .grid import Grid, Point, canonical_json, product, zipped
from .runner import CRASH_LIMIT, FILES_KEY, ProgressBar, describe_callable, run_points
from .store import Store, StoreReport, spec_hash

__all__ = ["CRASH_LIMIT", "FILES_KEY", "Grid", "Point", "ProgressBar", "Store", "StoreReport",
           "canonical_json", "describe_callable", "product", "run_points", "spec_hash",
           "zipped"]
