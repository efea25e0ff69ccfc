"""Topology of a 2D mesh: its connected bodies and their boundary loops.

Used to find a region's surface (the B-formulation's boundary, the London resolution check) and
to tell an outer boundary from the edge of a hole (vorticity and fluxoids of GL states, the
refusal of unmeshed holes in self-consistent screening).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def surface_facets(mesh, elements) -> np.ndarray:
    """Facets on the boundary of the union of ``elements``: those used by exactly one of them
    (towards vacuum, a hole, another region or the outer boundary)."""
    f = mesh.t2f[:, np.asarray(elements, dtype=np.int64)].ravel()
    ids, counts = np.unique(f, return_counts=True)
    return ids[counts == 1]


def bodies(mesh) -> np.ndarray:
    """Body index of each element: the connected components of the elements across shared
    facets."""
    interior = mesh.f2t[1] >= 0
    a, b = mesh.f2t[0, interior], mesh.f2t[1, interior]
    n = mesh.nelements
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def boundary_loops(mesh) -> list[tuple[int, np.ndarray]]:
    """The closed boundary loops of a triangle mesh as ``(body, facets)``, body by body, each
    body's outer loop (the one reaching the body's largest x) first, then its holes."""
    facets = mesh.boundary_facets()
    if facets.size == 0:
        return []
    a, b = mesh.facets[:, facets]
    n = mesh.nvertices
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    loop_of = connected_components(graph, directed=False)[1][a]
    body_of = bodies(mesh)[mesh.f2t[0, facets]]
    loops = []
    for label in np.unique(loop_of):
        members = loop_of == label
        loops.append((int(body_of[members][0]), float(mesh.p[0, a[members]].max()),
                      facets[members]))
    loops.sort(key=lambda item: (item[0], -item[1]))
    return [(body, members) for body, _, members in loops]
