"""The vortex gauge: a singular gauge transformation that removes a state's phase winding (2D).

A surface state of a large sample in a strong field winds its phase L times around the sample
(L ≈ the flux through it in units of Φ₀: 80 windings around a disk of radius 10ξ at B_c3).
In the symmetric gauge the finite elements must resolve e^{iLφ}; worse, the kinetic energy
|(∇ − ia)ψ|² is a near-cancellation of two terms of size (L/R)², so the relative error of ε is
amplified by (L/R)²/ε (≈ 60 there): P2 needs hundreds of thousands of unknowns for 1e-3.

The gauge transformation with χ = −Wθ_c, θ_c the polar angle about a point c,

    ψ = φ e^{iWθ_c},   a' = a − W ∇θ_c,   ∇θ_c = ẑ × (r − c)/|r − c|²,

is exact for the continuum problem wherever it is smooth: everywhere if c lies outside the
superconductor (in a hole), and everywhere except at c if c is inside. In the second case the
transformation is harmless when ψ vanishes at c — the interior of a sample whose state lives at
its surface (an interior centre is used only for such states, see :func:`solve_in_vortex_gauge`:
elsewhere the symmetric gauge). With W equal to the state's winding, φ does not wind at
all: the mesh only has to resolve its profile (the magnetic length), and coarse meshes give the
eigenvalue to 1e-3 (R/ξ = 10 disk: 1574 P2 unknowns 0.2 %, 6015 unknowns 0.03 %; the symmetric
gauge gives 75 % and 0.4 % there).

Choice of c and W (:func:`vortex_gauge`): the largest hole's centre if the superconductor has
holes (its centroid, if that lies in the hole), otherwise the superconductor's centroid (if it
lies well inside) or its vertex farthest from the boundary; W starts from the flux through the
reference loop (the outer boundary, or that hole's boundary) and is corrected by the residual
winding of the computed state along that loop (:func:`solve_in_vortex_gauge`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from ..mesh import Domain, element_measures
from ..mesh.adapt import containing_elements
from ..mesh.topology import oriented_facets, oriented_loops
from ..units import HBAR, PHI0, Q

__all__ = ["VortexGauge", "interior_weight", "solve_in_vortex_gauge", "vortex_gauge"]

#: with the centre in a hole (an exact transformation), a residual winding of at most this
#: many turns along the reference loop is left (resolved as easily as the profile); more
#: triggers a re-solve with the corrected W. With an interior centre every residual turn is
#: corrected: there W must equal the state's winding for ψ to vanish at c as the gauge needs.
RESIDUAL_WINDINGS = 2
#: re-solves at most
MAX_CORRECTIONS = 2
#: an interior centre is used only for W of at least this many flux quanta (a surface state:
#: fewer windings are resolved by the symmetric gauge anyway, and the lowest state of a small
#: sample may have vortices near c or weight at c, which the singular gauge would distort)
MIN_INTERIOR_WINDING = 10
#: ... and only if the state keeps out of the interior: at most this fraction of ∫|φ|² lies
#: deeper than half the centre's depth (else the symmetric gauge is used). The gauge forces the
#: state's W zeros into c; a surface state has them deep inside where it is small (the unit
#: disk at b = 30, L = 11: 3e-4 of the mass at r < R/2, and the gauge is exact there by
#: symmetry)
INTERIOR_WEIGHT = 1e-2


@dataclass(frozen=True)
class VortexGauge:
    """A gauge vortex of winding ``winding`` at ``center`` (metres).

    ``where``: ``"interior"`` (c is the superconductor's centroid, or its vertex farthest from
    the boundary; ``vertex``: the vertex nearest to c) or ``"hole"`` (c in a hole). ``loop``:
    the boundary facets (of the superconducting mesh) of the reference loop, and
    ``loop_turns`` (±1) how often that loop, traversed with the superconductor on its left,
    winds around c."""

    center: np.ndarray
    winding: int
    where: str
    vertex: int | None
    loop: np.ndarray = field(repr=False)
    loop_turns: int = 1

    def _relative(self, points) -> np.ndarray:
        points = np.asarray(points, dtype=float)
        return points - self.center.reshape((2,) + (1,) * (points.ndim - 1))

    def gradient(self, points) -> np.ndarray:
        """∇θ_c at ``points`` (2, ...) in metres, 1/m."""
        r = self._relative(points)
        r2 = r[0] ** 2 + r[1] ** 2
        return np.stack([-r[1], r[0]]) / r2

    def potential(self, points) -> np.ndarray:
        """(ħ/q) W ∇θ_c in T·m: the vector potential the gauge subtracts."""
        return HBAR / Q * self.winding * self.gradient(points)

    def phase(self, points) -> np.ndarray:
        """W θ_c at ``points`` (rad): ψ = φ e^{iWθ_c}."""
        r = self._relative(points)
        return self.winding * np.arctan2(r[1], r[0])

    def sweep(self, mesh, facets, length_unit: float) -> float:
        """The angle (rad) the boundary facets, traversed with the superconductor on their
        left, sweep about c (``mesh`` coordinates in units of ``length_unit`` metres); a whole
        loop sweeps 2π × :meth:`turns`, an open arc a fraction."""
        a, b = oriented_facets(mesh, facets)
        c = self.center / length_unit
        angle_a = np.arctan2(mesh.p[1, a] - c[1], mesh.p[0, a] - c[0])
        angle_b = np.arctan2(mesh.p[1, b] - c[1], mesh.p[0, b] - c[0])
        return float(np.sum((angle_b - angle_a + np.pi) % (2 * np.pi) - np.pi))

    def turns(self, mesh, facets, length_unit: float) -> int:
        """How often closed boundary loops wind around c (the outer boundary: +1, a hole's
        rim around c: −1, others 0)."""
        return int(np.rint(self.sweep(mesh, facets, length_unit) / (2 * np.pi)))

    def with_winding(self, winding: int) -> VortexGauge:
        winding = 0 if self.where == "none" else int(winding)
        return VortexGauge(self.center, winding, self.where, self.vertex, self.loop,
                           self.loop_turns)

    def describe(self) -> str:
        x, y = self.center
        return f"vortex gauge: W = {self.winding} at ({x:.4g}, {y:.4g}) m ({self.where})"


def vortex_gauge(sub: Domain, field_z: float, winding: int | None = None) -> VortexGauge:
    """The vortex gauge of the superconducting 2D domain ``sub`` in the field B_z (T):
    centre and reference loop as in the module docstring; W = ``winding`` or, if None, the
    flux B_z·A/Φ₀ through the reference loop, rounded."""
    mesh, unit = sub.mesh, sub.length_unit
    loops = oriented_loops(mesh, np.arange(mesh.nelements))  # holes: negative area
    holes = [loop for loop in loops if loop["area"] < 0]
    gauge = None
    if holes:  # the largest hole's area centroid, if its rim winds once around it
        hole = min(holes, key=lambda loop: loop["area"])
        facets, area, c = hole["facets"], hole["area"], hole["centroid"]
        candidate = VortexGauge(c * unit, 0, "hole", None, facets, -1)
        if (containing_elements(mesh, c[:, None])[0] < 0
                and candidate.turns(mesh, facets, unit) == -1):
            gauge, flux_area = candidate, -area
    if gauge is None:
        outer = max(loops, key=lambda loop: loop["area"])
        facets, flux_area = outer["facets"], outer["area"]
        c, vertex = _interior_centre(mesh)
        gauge = VortexGauge(c * unit, 0, "interior", vertex, facets, 1)
        if gauge.turns(mesh, facets, unit) != 1:  # c not inside the outer loop: several bodies
            return VortexGauge(c * unit, 0, "none", None, facets, 1)
    if winding is None:
        winding = int(np.rint(field_z * flux_area * unit**2 / PHI0))
        if gauge.where == "interior" and abs(winding) < MIN_INTERIOR_WINDING:
            winding = 0
    return gauge.with_winding(int(winding))


def _rim_tree(mesh) -> cKDTree:
    """A k-d tree of the boundary vertices: the depth of a point is its distance to them."""
    return cKDTree(mesh.p[:, np.unique(mesh.facets[:, mesh.boundary_facets()])].T)


def interior_weight(sol) -> float:
    """The largest fraction, over the computed states of ``sol`` (a Schrödinger solution in
    this gauge), of ∫|φ|² (lumped: nodal |φ|² times the vertex areas) at vertices deeper than
    half the gauge centre's depth — where a surface state has nothing and an interior centre's
    singular gauge would distort one that has."""
    mesh, unit = sol.domain.mesh, sol.domain.length_unit
    tree = _rim_tree(mesh)
    depth, _ = tree.query(mesh.p.T)
    centre_depth, _ = tree.query(sol.vortex_gauge.center / unit)
    deep = depth > 0.5 * centre_depth
    area = np.zeros(mesh.nvertices)
    np.add.at(area, mesh.t, np.broadcast_to(element_measures(mesh) / 3, mesh.t.shape))
    density = np.abs(np.asarray(sol.modes)[:, sol.basis.nodal_dofs[0]]) ** 2 * area
    return float(np.max(density[:, deep].sum(axis=1) / density.sum(axis=1)))


def _interior_centre(mesh) -> tuple[np.ndarray, int]:
    """The superconductor's centroid if it lies inside, at least half as deep as the deepest
    vertex (symmetric samples: the centre of symmetry, so that the gauge leaves no modulation
    around the rim), else that deepest vertex; and the vertex nearest to it."""
    tree = _rim_tree(mesh)
    depth, _ = tree.query(mesh.p.T)
    deepest = int(np.argmax(depth))
    area = element_measures(mesh)
    centroid = (mesh.p[:, mesh.t].mean(axis=1) * area).sum(axis=1) / area.sum()
    inside = containing_elements(mesh, centroid[:, None])[0] >= 0
    if inside and tree.query(centroid)[0] >= 0.5 * depth[deepest]:
        nearest = int(np.argmin(np.sum((mesh.p - centroid[:, None]) ** 2, axis=0)))
        return centroid, nearest
    return mesh.p[:, deepest].copy(), deepest


def solve_in_vortex_gauge(solve: Callable[[int | None], object], winding: int | None,
                          residual: Callable[[object], int],
                          interior_weight: Callable[[object], float]) -> object:
    """``solve(W)`` in the vortex gauge of winding W (None: from the flux), re-solved with W
    corrected by the state's residual winding (``residual(solution)``: the physical turns
    still to remove; with a hole centre only while that exceeds :data:`RESIDUAL_WINDINGS`),
    at most :data:`MAX_CORRECTIONS` times. An interior centre needs ψ to vanish there: if the
    state winds fewer than :data:`MIN_INTERIOR_WINDING` times, or ``interior_weight`` (the
    fraction of ∫|φ|² deep inside) exceeds :data:`INTERIOR_WEIGHT`, the problem is solved
    again with W = 0 (the symmetric gauge). The solution's ``vortex_gauge`` holds the W
    used."""
    solution = solve(winding)
    for _ in range(MAX_CORRECTIONS):
        gauge = solution.vortex_gauge
        left = residual(solution)
        tolerated = RESIDUAL_WINDINGS if gauge.where == "hole" else 0
        if abs(left) <= tolerated or (gauge.winding == 0 and gauge.where != "hole"):
            break
        solution = solve(gauge.winding + left)
    gauge = solution.vortex_gauge
    if gauge.where == "interior" and gauge.winding != 0 and (
            abs(gauge.winding) < MIN_INTERIOR_WINDING
            or interior_weight(solution) > INTERIOR_WEIGHT):
        solution = solve(0)
    return solution
