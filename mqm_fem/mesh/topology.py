"""Topology of a 2D mesh: its connected bodies and their boundary loops (as facet sets, or
oriented with the material on the left, with their signed areas and centroids).

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


def oriented_facets(mesh, facets) -> tuple[np.ndarray, np.ndarray]:
    """The end vertices (a, b) of boundary facets of a triangle mesh ordered so that the
    element they belong to (``f2t[0]``) lies on the left of a → b."""
    facets = np.asarray(facets, dtype=np.int64)
    a, b = mesh.facets[0, facets], mesh.facets[1, facets]
    third = mesh.t[:, mesh.f2t[0, facets]].sum(axis=0) - a - b
    pa, pb, pc = mesh.p[:, a], mesh.p[:, b], mesh.p[:, third]
    left = (pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]) > 0
    return np.where(left, a, b), np.where(left, b, a)


def oriented_loops(mesh, elements) -> list[dict]:
    """Closed loops of the boundary of the union of ``elements`` (triangle indices).

    Each facet is oriented with its element on the left, so an outer boundary runs
    counter-clockwise (positive shoelace area) and the boundary of a hole clockwise (negative).
    Returns dicts with ``facets`` (indices into ``mesh.facets``), ``edges`` (2, n) oriented
    vertex pairs, ``area`` (signed, mesh units²) and ``centroid`` (of the enclosed polygon).
    """
    elements = np.asarray(elements)
    if elements.size == 0:
        return []
    t2f = mesh.t2f[:, elements]
    ids, counts = np.unique(t2f.ravel(), return_counts=True)
    facets = ids[counts == 1]
    is_boundary = np.isin(t2f, facets)
    owner = np.broadcast_to(elements, t2f.shape)[is_boundary]
    fac = t2f[is_boundary]
    a, b = mesh.facets[0, fac], mesh.facets[1, fac]
    c = mesh.t[:, owner].sum(axis=0) - a - b
    p = mesh.p
    cross = ((p[0, b] - p[0, a]) * (p[1, c] - p[1, a])
             - (p[1, b] - p[1, a]) * (p[0, c] - p[0, a]))
    swap = cross < 0
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    graph = sp.coo_matrix((np.ones(len(fac)), (a, b)), shape=(mesh.nvertices,) * 2)
    _, label = connected_components(graph, directed=False)
    loops = []
    for lab in np.unique(label[a]):
        sel = label[a] == lab
        xa, ya, xb, yb = p[0, a[sel]], p[1, a[sel]], p[0, b[sel]], p[1, b[sel]]
        w = xa * yb - xb * ya
        area = 0.5 * w.sum()
        centroid = np.array([np.sum((xa + xb) * w), np.sum((ya + yb) * w)]) / (6 * area)
        loops.append({"facets": fac[sel], "edges": np.stack([a[sel], b[sel]]),
                      "area": float(area), "centroid": centroid})
    return loops


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
