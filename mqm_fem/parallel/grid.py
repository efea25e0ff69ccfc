"""Parameter grids: the points of a sweep.

:func:`product` makes every combination of the given lists (the last name varies fastest),
:func:`zipped` pairs them element by element (all lists of one length). A :class:`Grid` is an
ordered, immutable tuple of :class:`Point` s; each point has its ``index`` in the grid and a
stable ``key``: the SHA-256 of its parameters as canonical JSON (sorted keys), the same in every
run and on every machine, so a store can recognise a finished point.

Values are kept exactly as given (numbers, or strings with units such as ``"2 mT"``): they are
written to the result table as given and parsed by the task that uses them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..errors import ParameterError

__all__ = ["Grid", "Point", "canonical_json", "product", "zipped"]


def canonical_json(value) -> str:
    """JSON with sorted keys and no spaces: the same text for equal values (hash input)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_jsonable)


def _jsonable(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    raise TypeError(f"not JSON serialisable: {value!r}")


def _clean_value(name: str, value):
    """A grid value as plain JSON (numbers, strings, booleans, lists of them); else refused."""
    try:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"grid: {name} contains {value!r}; values must be finite")
        return value
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_clean_value(name, v) for v in list(value)]  # a vector value, e.g. a field
    raise ParameterError(
        f"grid: {name} contains {value!r} ({type(value).__name__}); give numbers or strings "
        "with units like '2 mT'")


@dataclass(frozen=True)
class Point:
    """One grid point: its ``index`` in the grid, its ``parameters`` (name -> value as given)
    and ``key`` (SHA-256 hex of the parameters' canonical JSON)."""

    index: int
    parameters: Mapping
    key: str


def _key(parameters: Mapping) -> str:
    return hashlib.sha256(canonical_json(dict(parameters)).encode()).hexdigest()


@dataclass(frozen=True)
class Grid:
    """An ordered tuple of parameter points (dicts name -> value) with their ``names``.

    Build it with :func:`product` or :func:`zipped`, or ``Grid.from_points([{...}, ...])``.
    ``len(grid)``, iteration (over :class:`Point`) and ``grid[i]`` work as for a tuple.
    """

    points: tuple
    names: tuple
    mode: str = "points"

    def __post_init__(self):
        cleaned = []
        for i, p in enumerate(self.points):
            if not isinstance(p, Mapping):
                raise ParameterError(f"grid: point {i} must be a dict name -> value, got {p!r}")
            cleaned.append({str(k): _clean_value(str(k), v) for k, v in p.items()})
        object.__setattr__(self, "points", tuple(cleaned))
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "_keys", tuple(_key(p) for p in cleaned))

    @classmethod
    def from_points(cls, points) -> Grid:
        """A grid of explicit points (a list of dicts); names in first-seen order."""
        points = list(points)
        names: list[str] = []
        for p in points:
            if not isinstance(p, Mapping):
                raise ParameterError(f"grid: expected dicts name -> value, got {p!r}")
            names += [str(n) for n in p if str(n) not in names]
        return cls(points=tuple(points), names=tuple(names))

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        return f"Grid({self.mode}: {', '.join(self.names)}; {len(self)} points)"

    def __iter__(self) -> Iterator[Point]:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index: int) -> Point:
        return Point(index=index, parameters=dict(self.points[index]), key=self._keys[index])

    @property
    def keys(self) -> tuple:
        """The points' stable keys, in index order."""
        return self._keys

    def describe(self) -> dict:
        """``{"names", "points"}``: what a store hashes and saves in ``spec.json``."""
        return {"names": list(self.names), "points": [dict(p) for p in self.points]}


def _lists(kind: str, lists: dict) -> dict:
    if not lists:
        raise ParameterError(f"{kind}(): give at least one parameter list, e.g. field=[0, 1e-3]")
    out = {}
    for name, values in lists.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        values = list(values)
        if not values:
            raise ParameterError(f"{kind}(): {name} is an empty list; give at least one value")
        out[name] = [_clean_value(name, v) for v in values]
    return out


def product(**lists) -> Grid:
    """Every combination of the lists (Cartesian product; the last name varies fastest):
    ``product(T=[1, 2], field=[0, "1 mT", "2 mT"])`` has 6 points."""
    lists = _lists("product", lists)
    names = tuple(lists)
    points = tuple(dict(zip(names, combo, strict=True))
                   for combo in itertools.product(*lists.values()))
    return Grid(points=points, names=names, mode="product")


def zipped(**lists) -> Grid:
    """Element-by-element points of lists of one length: ``zipped(T=[1, 2], field=[0, 1e-3])``
    has 2 points. Lists of different lengths are refused, naming each length."""
    lists = _lists("zipped", lists)
    lengths = {name: len(v) for name, v in lists.items()}
    if len(set(lengths.values())) > 1:
        given = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ParameterError(f"zipped(): the lists must have one length ({given}); use "
                             "product() for every combination")
    names = tuple(lists)
    points = tuple(dict(zip(names, combo, strict=True))
                   for combo in zip(*lists.values(), strict=True))
    return Grid(points=points, names=names, mode="zip")
