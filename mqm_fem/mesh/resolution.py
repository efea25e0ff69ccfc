"""Does the mesh resolve the physics? Element sizes against the lengths a solution varies on.

Each solver compares the element size where it matters with the length to resolve there — the
penetration depth λ at a superconductor's surface, the coherence length ξ, the magnetic length
ℓ_B = √(ħ/(2e|B|)), the arc length of one phase winding along a boundary, the distance to the
outer boundary of a box — and records a :class:`ResolutionCheck` per region or boundary in its
result. Checks below their threshold become one-line :class:`~mqm_fem.errors.MqmFemWarning`
messages that name the region and the element size that would be needed
(:func:`warn_unresolved`). This module holds the geometry and the record; the thresholds belong
to the solvers that know their error behaviour.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import MqmFemWarning


@dataclass(frozen=True)
class ResolutionCheck:
    """One comparison of a physical length with the element size where it matters.

    Attributes
    ----------
    quantity : str
        What is resolved (``"penetration depth"``, ``"coherence length"``, ``"magnetic length"``,
        ``"phase winding"``, ...).
    where : str
        The region or boundary.
    scale : float
        The length to resolve, in metres.
    element : float
        The element size there (largest edge), in metres.
    required : float
        Elements per ``scale`` needed for the solver's stated accuracy.
    note : str
        What the number means for the result (optional, for the message).
    elements : ndarray, optional
        The elements (of the mesh the solver was given) the check is about, when ``where``
        does not name them (e.g. where a state has weight); adaptive refinement caps those.
    """

    quantity: str
    where: str
    scale: float
    element: float
    required: float
    note: str = ""
    elements: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def per_scale(self) -> float:
        """Elements per ``scale``: scale / element."""
        return self.scale / self.element if self.element > 0 else float("inf")

    @property
    def ok(self) -> bool:
        return self.per_scale >= self.required

    @property
    def needed_element(self) -> float:
        """The element size (m) that would meet ``required``."""
        return self.scale / self.required

    def message(self) -> str:
        """One line: what is under-resolved, where, and the element size that would do."""
        note = f"; {self.note}" if self.note else ""
        return (f"{self.where}: {self.per_scale:.2g} elements per {self.quantity} "
                f"({self.scale:.3g} m, elements {self.element:.3g} m); needs ≥ "
                f"{self.required:g}, i.e. elements ≤ {self.needed_element:.3g} m there{note}")

    def as_dict(self) -> dict:
        return {"quantity": self.quantity, "where": self.where, "scale_m": self.scale,
                "element_m": self.element, "per_scale": self.per_scale,
                "required": self.required, "ok": self.ok}


def warn_unresolved(checks, who: str, stacklevel: int = 3) -> None:
    """One :class:`MqmFemWarning` line per failed check, prefixed by ``who``."""
    for check in checks:
        if not check.ok:
            warnings.warn(f"{who}: the mesh does not resolve the {check.quantity} — "
                          f"{check.message()}", MqmFemWarning, stacklevel=stacklevel)


def element_diameters(mesh, elements=None) -> np.ndarray:
    """Largest edge length of each element (mesh units), or of ``elements``."""
    t = mesh.t if elements is None else mesh.t[:, np.asarray(elements, dtype=np.int64)]
    p = mesh.p
    nloc = t.shape[0]
    longest = np.zeros(t.shape[1])
    for i in range(nloc):
        for j in range(i + 1, nloc):
            longest = np.maximum(longest, np.linalg.norm(p[:, t[i]] - p[:, t[j]], axis=0))
    return longest


def facet_diameters(mesh, facets) -> np.ndarray:
    """Largest edge of each facet (the edge length in 2D), mesh units."""
    f = mesh.facets[:, np.asarray(facets, dtype=np.int64)]
    p = mesh.p
    longest = np.zeros(f.shape[1])
    for i in range(f.shape[0]):
        for j in range(i + 1, f.shape[0]):
            longest = np.maximum(longest, np.linalg.norm(p[:, f[i]] - p[:, f[j]], axis=0))
    return longest


def elements_at(mesh, facets) -> np.ndarray:
    """The elements on either side of ``facets`` (unique indices)."""
    f2t = mesh.f2t[:, np.asarray(facets, dtype=np.int64)]
    return np.unique(f2t[f2t >= 0])
