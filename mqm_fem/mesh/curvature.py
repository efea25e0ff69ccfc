"""How far a straight-sided mesh boundary lies from the smooth surface it approximates.

A mesh generator puts the boundary vertices on the true (curved) surface; the facets between
them are chords. Near a vertex the surface is known to second order from the normals of the
facets around it. Along a facet edge from vertex a to vertex b with unit normals n_a, n_b (each
averaged over the neighbouring facets that belong to the same smooth piece), the surface bulges
out of the chord by the sagitta

    s = (n_b − n_a)·(x_b − x_a) / 8      (= c²/(8R) on a circle of radius R, chord c).

The mean distance of a quadratic surface from a facet is then (2/3)s for an edge (2D) and
(s₁ + s₂ + s₃)/3 for a triangle (3D). Facets meeting at more than ``sharp_angle`` belong to
different smooth pieces (the edges of a cube, the corners of a polygon): their normals are
not averaged across, and a flat piece gets zero.

The distances feed the geometric part of the error estimates (Hadamard's shape derivative: an
output changes by ∫_Γ δn · g dS when the boundary moves by δn along its normal).
"""

from __future__ import annotations

import numpy as np

__all__ = ["boundary_gaps", "edge_sagittas", "facet_normals", "snap_midpoints"]


def facet_normals(mesh, facets: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Unit normals (len(facets), dim) of ``facets`` pointing out of the element set
    ``inside`` (indices of elements; each facet must have an element of ``inside`` on one
    side). Straight facets of triangles or tetrahedra."""
    facets = np.asarray(facets, dtype=np.int64)
    p = mesh.p
    nodes = mesh.facets[:, facets]
    if p.shape[0] == 2:
        tangent = p[:, nodes[1]] - p[:, nodes[0]]
        normal = np.stack([tangent[1], -tangent[0]])
    else:
        normal = np.cross((p[:, nodes[1]] - p[:, nodes[0]]).T,
                          (p[:, nodes[2]] - p[:, nodes[0]]).T).T
    normal = normal / np.linalg.norm(normal, axis=0)
    owner = _inside_element(mesh, facets, inside)
    centre = p[:, mesh.t[:, owner]].mean(axis=1)
    flip = np.sum(normal * (p[:, nodes[0]] - centre), axis=0) < 0
    normal[:, flip] *= -1
    return normal.T


def boundary_gaps(mesh, facets: np.ndarray, inside: np.ndarray,
                  sharp_angle: float = 30.0) -> np.ndarray:
    """Mean normal distance from each facet to the smooth surface through its vertices, in mesh
    units, positive where the true surface lies outside the element set ``inside`` (a convex
    body meshed with vertices on its surface), negative where it lies inside (the rim of a
    hole). Zero on flat pieces and across edges sharper than ``sharp_angle`` degrees.

    Parameters
    ----------
    mesh : skfem.MeshTri or skfem.MeshTet
        The straight-sided mesh.
    facets : ndarray of int
        Facet indices (``mesh.facets`` columns) of the surface, e.g. a superconductor's surface.
    inside : ndarray of int
        Elements of the body the surface bounds (orients the normals).
    sharp_angle : float
        Facets whose normals differ by more than this (degrees) are not smoothed across.
    """
    facets = np.asarray(facets, dtype=np.int64)
    if facets.size == 0:
        return np.zeros(0)
    normals = facet_normals(mesh, facets, inside)
    nodes = mesh.facets[:, facets]                     # (nv, nf)
    vertex_normals = _smoothed_vertex_normals(mesh, nodes, normals, sharp_angle)
    p = mesh.p
    nv = nodes.shape[0]
    edges = [(0, 1)] if nv == 2 else [(0, 1), (1, 2), (2, 0)]
    sagittas = []
    for i, j in edges:
        chord = (p[:, nodes[j]] - p[:, nodes[i]]).T
        sagittas.append(np.sum((vertex_normals[j] - vertex_normals[i]) * chord, axis=1) / 8.0)
    sagittas = np.array(sagittas)
    return 2.0 / 3.0 * sagittas[0] if nv == 2 else sagittas.sum(axis=0) / 3.0


def _inside_element(mesh, facets, inside) -> np.ndarray:
    """The element of ``inside`` on one side of each facet."""
    member = np.zeros(mesh.nelements, dtype=bool)
    member[np.asarray(inside, dtype=np.int64)] = True
    first, second = mesh.f2t[0, facets], mesh.f2t[1, facets]
    use_first = member[first]
    owner = np.where(use_first, first, second)
    if np.any(owner < 0) or not np.all(member[owner]):
        raise ValueError("boundary_gaps: a facet has no element of `inside` on either side")
    return owner


def _smoothed_vertex_normals(mesh, nodes, normals, sharp_angle) -> np.ndarray:
    """(nv, nf, dim): at each vertex of each facet, the measure-weighted mean normal of the
    facets at that vertex whose normals are within ``sharp_angle`` of the facet's own."""
    nv, nf = nodes.shape
    weight = _normal_weights(mesh, nodes).ravel()      # per incidence (local vertex, facet)
    node_of = nodes.ravel()                            # incidence k -> (local i, facet f)
    facet_of = np.tile(np.arange(nf), nv)
    order = np.argsort(node_of, kind="stable")
    sorted_nodes = node_of[order]
    starts = np.searchsorted(sorted_nodes, sorted_nodes, side="left")
    counts = np.searchsorted(sorted_nodes, sorted_nodes, side="right") - starts
    # every pair (incidence k, incidence l) at the same vertex
    k = np.repeat(order, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    l_idx = order[np.repeat(starts, counts) + offsets]
    f, g = facet_of[k], facet_of[l_idx]
    same_piece = np.sum(normals[f] * normals[g], axis=1) >= np.cos(np.radians(sharp_angle))
    contrib = (weight[l_idx] * same_piece)[:, None] * normals[g]
    summed = np.zeros((nv * nf, normals.shape[1]))
    np.add.at(summed, k, contrib)
    summed /= np.linalg.norm(summed, axis=1, keepdims=True)
    return summed.reshape(nv, nf, -1)


def _normal_weights(mesh, nodes) -> np.ndarray:
    """(nv, nf) weight of each facet's normal at each of its vertices: 1/|e| for an edge in 2D
    and 2|T|/(|e₁|²|e₂|²) for a triangle in 3D (e₁, e₂ its edges at the vertex; Max 1999) —
    the weights whose mean normal is exact, to leading order, at a vertex of a polygon
    inscribed in a circle or a polyhedron inscribed in a sphere, however irregular."""
    p = mesh.p
    if nodes.shape[0] == 2:
        length = np.linalg.norm(p[:, nodes[1]] - p[:, nodes[0]], axis=0)
        return np.vstack([1.0 / length, 1.0 / length])
    area2 = 2.0 * _facet_measures(mesh, nodes)
    out = np.empty(nodes.shape)
    for i in range(3):
        e1 = p[:, nodes[(i + 1) % 3]] - p[:, nodes[i]]
        e2 = p[:, nodes[(i + 2) % 3]] - p[:, nodes[i]]
        out[i] = area2 / (np.sum(e1**2, axis=0) * np.sum(e2**2, axis=0))
    return out


def _facet_measures(mesh, nodes) -> np.ndarray:
    p = mesh.p
    if nodes.shape[0] == 2:
        return np.linalg.norm(p[:, nodes[1]] - p[:, nodes[0]], axis=0)
    return 0.5 * np.linalg.norm(np.cross((p[:, nodes[1]] - p[:, nodes[0]]).T,
                                         (p[:, nodes[2]] - p[:, nodes[0]]).T), axis=1)


def edge_sagittas(mesh, facets: np.ndarray, inside: np.ndarray,
                  sharp_angle: float = 30.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smooth surface at the midpoints of the facets' edges.

    Returns ``(edges, sagittas, normals)``: the vertex pairs (2, nedges) of the distinct edges
    of ``facets`` (their endpoints themselves in 2D: one "edge" per facet), the distance
    (mesh units, positive outside ``inside``) from each edge midpoint to the surface along
    the mean of the endpoint normals, and that unit normal (nedges, dim). Edges where facets
    of different smooth pieces meet (``sharp_angle``) get zero: they are creases of the body.
    """
    facets = np.asarray(facets, dtype=np.int64)
    normals = facet_normals(mesh, facets, inside)
    nodes = mesh.facets[:, facets]
    vertex_normals = _smoothed_vertex_normals(mesh, nodes, normals, sharp_angle)
    p = mesh.p
    pairs = [(0, 1)] if nodes.shape[0] == 2 else [(0, 1), (1, 2), (2, 0)]
    ends, sag, nrm = [], [], []
    for i, j in pairs:
        chord = (p[:, nodes[j]] - p[:, nodes[i]]).T
        sag.append(np.sum((vertex_normals[j] - vertex_normals[i]) * chord, axis=1) / 8.0)
        mean = vertex_normals[i] + vertex_normals[j]
        nrm.append(mean / np.linalg.norm(mean, axis=1, keepdims=True))
        ends.append(np.sort(np.stack([nodes[i], nodes[j]]), axis=0))
    ends, sag, nrm = np.hstack(ends), np.concatenate(sag), np.vstack(nrm)
    keys, inverse = np.unique(ends, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    count = np.bincount(inverse)
    mean_sag = np.bincount(inverse, weights=sag) / count
    spread = np.bincount(inverse, weights=np.abs(sag - mean_sag[inverse])) / count
    mean_sag[spread > 0.25 * np.abs(mean_sag) + 1e-300] = 0.0   # a crease: facets disagree
    mean_nrm = np.zeros((keys.shape[1], p.shape[0]))
    np.add.at(mean_nrm, inverse, nrm)
    mean_nrm /= np.linalg.norm(mean_nrm, axis=1, keepdims=True)
    return keys, mean_sag, mean_nrm


def snap_midpoints(old_mesh, new_points: np.ndarray, surfaces) -> np.ndarray:
    """Move the vertices a refinement put at the midpoints of curved-surface edges onto the
    smooth surface (the quadratic model of :func:`boundary_gaps`).

    ``old_mesh``: the mesh before refinement; ``new_points``: (dim, n) vertex coordinates of
    the refined mesh (its first ``old_mesh.nvertices`` are the old vertices); ``surfaces``:
    ``(facets, inside)`` pairs of ``old_mesh`` (a body's surface and its elements). Returns
    the moved coordinates; other vertices are unchanged.
    """
    from scipy.spatial import cKDTree

    points = np.array(new_points, dtype=float, copy=True)
    n_old = old_mesh.nvertices
    if points.shape[1] == n_old:
        return points
    scale = float(np.ptp(old_mesh.p, axis=1).max())
    tree = cKDTree(points[:, n_old:].T)
    done = np.zeros(points.shape[1], dtype=bool)   # an interface is the surface of two bodies
    for facets, inside in surfaces:
        if len(facets) == 0:
            continue
        edges, sagittas, normals = edge_sagittas(old_mesh, facets, inside)
        curved = np.flatnonzero(sagittas != 0.0)
        mid = 0.5 * (old_mesh.p[:, edges[0, curved]] + old_mesh.p[:, edges[1, curved]])
        dist, idx = tree.query(mid.T, distance_upper_bound=1e-9 * scale)
        hit = np.flatnonzero(np.isfinite(dist))
        target = n_old + idx[hit]
        fresh = ~done[target]
        hit, target = hit[fresh], target[fresh]
        points[:, target] += (sagittas[curved[hit], None] * normals[curved[hit]]).T
        done[target] = True
    return points
