r"""Axisymmetric (r, z) London screening of a body of revolution in an axial field.

The mesh is the half-plane r ≥ 0 of a meridian cut: mesh x is the radius r, mesh y the axial
coordinate z (both in ``domain.length_unit``); the superconducting regions and a vacuum region
around them (a half-disk, i.e. a ball, or a rectangle, i.e. a cylinder) fill it, and the axis
r = 0 is part of the mesh boundary. In a uniform applied field B_a ẑ the vector potential is
azimuthal, A = A_φ(r, z) e_φ, and (SI)::

    ∇×∇×A + λ⁻² A = 0    in the superconductor (London gauge),
    ∇×∇×A = 0            in vacuum,                A continuous,

with A = A_a + A_r, A_a = B_a r/2. The unknown is the flux function u = r A_φ (2π u is the flux
through the circle of radius r at height z), u = u_a + u_r with u_a = B_a r²/2; B = ∇×A gives
B_r = −(1/r) ∂_z u, B_z = (1/r) ∂_r u. Multiplying the equation by the test function v/r and
integrating over the meridian plane gives the symmetric positive-definite weak form

    ∫ (1/r) ∇u_r·∇v dr dz + ∫_sc λ⁻² (1/r) u_r v dr dz = −∫_sc λ⁻² (1/r) u_a v dr dz
                                                        = −∫_sc λ⁻² (B_a r/2) v dr dz

(the vacuum term of u_a vanishes: (1/r)∇u_a = B_a ê_r is divergence-free in the plane). It is
the minimum of the energy ½∫[(1/r)|∇u_r|² + λ⁻²(u_a + u_r)²/r] dr dz, i.e. of
(1/2π)·[(1/2)∫|B − B_a|² dV + (1/2)∫λ⁻²|A|² dV]. Quadrature points lie inside the triangles, so
the 1/r weight is never evaluated on the axis.

Boundary conditions: u_r = 0 on the whole mesh boundary — on the axis (u = r A_φ vanishes there,
A_φ is finite) and on the outer wall (A_r = 0, i.e. B·n = B_a·n there: the wall is a perfect
flux conserver for the reaction field). Inside a spherical wall of radius L (a half-disk outer
boundary centred on the axis) the reaction dipole m sees the image field −μ₀m/(2πL³);
``far_field="image"`` (default) removes it exactly for the dipole part
(:func:`mqm_fem.london.avector.image_corrected_moment`), and for any other wall the solution
reports a ``truncation_estimate`` |μ₀α/(2πL³)| with L the shortest distance from the body's
centre on the axis to the wall.

Scaling: coordinates in mesh units ℓ, λ' = λ/ℓ, u' = u/ℓ² in T (the weak form is homogeneous).

Outputs (:class:`~mqm_fem.london.solution.LondonSolution`, SI):

* field data ``magnetic_moment`` (0, 0, m_z) with m_z = π ∫_sc r² J_φ dr dz (A·m²),
  J_φ = −A_φ/(μ₀λ²) = −u/(μ₀λ²r) — after the image correction for a spherical wall;
  ``moment_in_box`` the uncorrected value is in ``solution.outputs.scalars``;
* point data ``B`` = (B_r, B_z, 0) in T (mesh x = r, y = z; L2 projection of the element values
  onto the vertices, B_a included), ``A_phi`` (T·m) and ``J_phi`` (A/m², zero in vacuum);
* energies of the whole body of revolution (J): ``kinetic`` (1/2μ₀)∫λ⁻²|A|² dV =
  (π/μ₀)∫_sc λ⁻²u²/r dr dz, ``field`` (1/2μ₀)∫|B − B_a|² dV = (π/μ₀)∫(1/r)|∇u_r|² dr dz over
  the meshed region, ``gibbs`` their sum (= −½ m_z B_a in the box, before the image correction).

Fluxoids (``fluxoids={name: n}``, integers): a superconducting region or film that does not
touch the axis (a ring or torus section: one loop around the axis) can hold n fluxoids; the
phase winds as θ = nφ and μ₀λ²J_φ = nΦ₀/(2πr) − A_φ, i.e. J_φ = −(u − c)/(μ₀λ²r) with
c = nΦ₀/2π: the mass term becomes ∫_sc λ⁻²(u − c)v/r, a load λ⁻²c∫v/r over the ring
(c' = c/ℓ² in mesh units). A region or film touching the axis (a solid body, a disk) has no hole
and refuses a fluxoid. Without fluxoids a ring is in its zero-fluxoid (zero-field-cooled) state.
``applied_field=None`` is accepted with fluxoids.

Films: a facet group named ``film*``/``sheet*`` — a curve of the meridian mesh, typically the
segment z = const, r₀ ≤ r ≤ r₁ embedded in the vacuum (a disk when r₀ = 0, a ring otherwise) —
is a current sheet with μ₀ΛK_φ = nΦ₀/(2πr) − A_φ, Λ from λ and the option ``thickness``
(:func:`mqm_fem.london.films.pearl_lengths`, ``pearl_model``). Its kinetic energy
½∫μ₀ΛK²dS = (π/μ₀)∫(u − c)²/(Λr) dl adds the line term Λ'⁻¹∫_film (u − c)v/r dl (Λ' = Λ/ℓ),
integrated with a facet basis on the film facets (straight segments, so on the straight-sided
mesh). Meshes: :func:`mqm_fem.mesh.meridian.meridian`, graded towards the film ends where K
varies on the scale Λ (∝ dist^−1/2 as Λ → 0).

Ring outputs: ``solution.holes[name]`` for every region or film off the axis —
``Hole(field=None, flux=2πu at the ring's innermost vertex nearest its mid-height (Wb),
area=None, fluxoid=n, meshed=False, current=I)`` with I = ∫J_φ dr dz (regions) or ∫K_φ dl
(films), in A (positive counter-clockwise about +z); with one fluxoid and no field L = Φ₀/I.
In a spherical wall the moment and the currents are image-corrected with the response to a unit
field (one more back-substitution when fluxoids are given; ``hole_current_box_<name>`` keeps the
box value): m = m_box − αβm_box, I = I_box − χβm_box, β = −μ₀/(2πL³), α = α_box/(1 + βα_box),
χ = χ_box/(1 + βα_box). In the box E_kin + E_field = ½Σ nΦ₀I_box exactly. Point data
``K_phi`` (A/m) at the film vertices; films add π∮r²K dl to m_z and (π/μ₀)∮(u − c)²/(Λr) dl to
the kinetic energy.

Not yet supported: fields off the axis, the Schrödinger problem, Λ = 0 exactly (λ must be > 0:
use a small λ). The meridian mesh must have a single boundary loop (no unmeshed holes, which
would act as perfect conductors). The formulation is chosen only explicitly
(``solve_london(domain, "50 nm", 1e-3, formulation="axisymmetric")``): a 2D mesh is otherwise a
cross-section of an infinitely long prism.

Validation: ``tests/test_axisymmetric.py`` — the sphere m_z = −2πR³(B_a/μ₀)f(R/λ),
f(x) = 1 − 3coth(x)/x + 3/x²: P2 on second-order (curved) meshes converges at order ≈ 3.5
(relative error 4e-7 at h = λ/10 for R = 3λ), P1 and P2 on straight-sided meshes at order 2
(the polygonal boundary); the thin disk of issue 11 (R = 1 µm, d = 25 nm, λ = 50 nm,
B_a = 1 mT): −1208.476 µA·µm² with 8k unknowns in 0.3 s against −1208.47.
``tests/test_axisymmetric_films.py`` — films and fluxoids against the ring-current-kernel sheet
reference ``tests/ring_kernel.py``: the sheet disk of issue 11 −1189.6474 µA·µm² (P2 error
2.4e-6 at 20k unknowns, order 3 in h), the ring a = 0.5 µm, b = 1 µm with one fluxoid
L = 2.87991 pH, two rings' inductance matrix, the 25 nm solid ring 2.83394 pH, a torus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MeshError, ParameterError
from ..fem.projection import project_to_vertices
from ..linalg.linear import SPD_METHODS, solve_spd_2d
from ..mesh.topology import oriented_loops
from ..units import MU0, PHI0
from .films import FilmOptions
from .options import (
    check_mapping,
    check_order,
    check_positive,
    fluxoid_number,
    option,
    values_by_name,
)
from .outofplane import basis_mesh, lagrange_element
from .registry import Formulation, register
from .solution import Energies, Hole, Outputs

__all__ = ["AxisymmetricOptions", "axial_field"]

#: Relative spread of the outer-wall vertex distances below which the wall counts as a sphere.
_SPHERE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class AxisymmetricOptions(FilmOptions):
    """Options of the axisymmetric (r, z) formulation (the film options of the film* curves:
    :class:`FilmOptions`)."""

    source_options = ("fluxoids",)

    order: int = option(2, cli="--order", choices=(1, 2), help="Lagrange degree, 1 or 2")
    far_field: str = option(
        "image", choices=("image", "none"),
        help="'image': remove the image of the reaction dipole in a spherical outer wall "
        "(exact for the dipole part); 'none': the moment inside the wall as computed")
    fluxoids: dict | None = option(
        None, cli="--fluxoid", repeat=True, metavar="NAME=N",
        help="fluxoid number trapped in a ring (a superconducting region or film* curve off the "
        "axis; integer, default 0)")
    solver: str = option("auto", cli="--solver", choices=SPD_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_spd)")
    solver_tol: float = option(1e-12, help="relative residual of iterative solves")

    def validate(self):
        super().validate()
        check_order(self.order)
        check_positive(self.solver_tol, "solver_tol")
        check_mapping(self.fluxoids, "fluxoids", "ring")
        if self.fluxoids is not None:
            values_by_name(self.fluxoids, list(self.fluxoids), "fluxoids", "ring",
                           fluxoid_number)


@dataclass
class _System:
    matrix: object
    load: np.ndarray
    free: np.ndarray
    basis: object
    sc_basis: object
    ndofs: int
    rings: list
    films: dict
    unit_load: np.ndarray
    factor: object = None


def axial_field(field: np.ndarray) -> np.ndarray:
    """(0, 0, B_z) from B_z or a 3-vector along the axis (z = mesh y)."""
    if field.size == 2 or (field.size == 3 and np.any(field[:2] != 0)):
        raise ParameterError(
            f"applied_field: {field.tolist()} T has components off the axis; the axisymmetric "
            "formulation takes the field along the symmetry axis only (a number, '1 mT' or "
            "(0, 0, B_z))")
    return np.array([0.0, 0.0, float(field[-1])])


def _check_half_plane(mesh) -> None:
    r = mesh.p[0]
    size = float(np.ptp(mesh.p, axis=1).max())
    if r.min() < -1e-9 * size:
        raise MeshError(
            f"axisymmetric mesh: vertices at r = x < 0 (down to {r.min():g} mesh units); the "
            "meridian mesh must lie in the half-plane x = r ≥ 0 with the axis at x = 0")
    if r.min() > 1e-9 * size:
        raise MeshError(
            f"axisymmetric mesh: no vertex on the axis x = r = 0 (smallest r {r.min():g} mesh "
            "units); mesh the vacuum up to the axis")
    loops = oriented_loops(mesh, np.arange(mesh.nelements))
    if len(loops) != 1:
        raise MeshError(
            f"axisymmetric mesh: the mesh boundary has {len(loops)} closed loops; it must be "
            "one loop (the axis and the outer wall) — mesh the vacuum inside every hole of "
            "the meridian section (an unmeshed hole would act as a perfect conductor)")


def _weights(basis, lam_elements):
    """λ'⁻² per quadrature point (zero in vacuum)."""
    inv2 = np.where(np.isfinite(lam_elements), 1.0 / lam_elements**2, 0.0)
    return np.repeat(inv2[:, None], basis.X.shape[1], axis=1)


def _rings(problem, options) -> list[dict]:
    """Every superconducting region and film with its imposed fluxoid n and c' = nΦ₀/(2πℓ²)
    (T·mesh unit², the flux function of the phase winding); refuses fluxoids on unknown names
    and on regions or films that touch the axis (no loop around the axis)."""
    domain = problem.domain
    mesh = domain.mesh
    size = float(np.ptp(mesh.p, axis=1).max())
    films = problem.films
    out = []
    for name in problem.penetration_depth:
        film = name in films
        if film:
            facets = np.asarray(domain.boundary(name), dtype=np.int64)
            vertices = np.unique(mesh.facets[:, facets])
        else:
            elements = np.asarray(domain.region(name), dtype=np.int64)
            vertices = np.unique(mesh.t[:, elements])
        r = mesh.p[0, vertices]
        out.append({"name": name, "film": film, "vertices": vertices,
                    "items": facets if film else elements,
                    "on_axis": bool(r.min() <= 1e-9 * size), "n": 0.0})
    given = options.fluxoids or {}
    names = [ring["name"] for ring in out]
    for key, value in given.items():
        n = fluxoid_number(key, value)
        if key not in names:
            valid = [ring["name"] for ring in out if not ring["on_axis"]]
            raise ParameterError(
                f"fluxoids: no superconducting region or film named {key!r}; a fluxoid is "
                f"trapped in a ring off the axis: {', '.join(valid) or '(none in this mesh)'}")
        ring = out[names.index(key)]
        if ring["on_axis"] and n != 0:
            raise ParameterError(
                f"fluxoids[{key!r}]: {ring['film'] and 'film' or 'region'} {key!r} touches the "
                "axis r = 0, so it has no hole to hold a fluxoid (a disk or solid body of "
                "revolution); fluxoids go in rings and tori off the axis")
        ring["n"] = n
    for ring in out:
        ring["c"] = ring["n"] * PHI0 / (2 * np.pi * problem.length_unit**2)
    return out


def _element_fluxoid(problem, rings) -> np.ndarray:
    """c' per element (zero outside the rings that hold fluxoids)."""
    c = np.zeros(problem.domain.mesh.nelements)
    for ring in rings:
        if not ring["film"]:
            c[ring["items"]] = ring["c"]
    return c


def _film_bases(problem, options, element, rings) -> dict:
    """Film name -> (FacetBasis on its facets, Λ' = Λ/ℓ, c').

    The film facets are straight segments (a curve z = const), so the facet basis is built on
    the straight-sided mesh (affine facets; the isoparametric inverse map of scikit-fem fails
    on the tiny graded elements at a film edge); the P1/P2 DOF numbering is the same on both
    meshes and the trace of a P2 function on a straight edge does not depend on the
    neighbouring elements' curvature."""
    from skfem import FacetBasis

    pearl = options.pearl_lengths(problem.films)
    out = {}
    for ring in rings:
        if ring["film"]:
            basis = FacetBasis(problem.domain.mesh, element, facets=ring["items"])
            out[ring["name"]] = (basis, pearl[ring["name"]] / problem.length_unit, ring["c"])
    return out


def assemble(problem, options: AxisymmetricOptions) -> _System:
    """∫(1/r)∇u·∇v + ∫_sc λ'⁻²(1/r)uv + Σ_films Λ'⁻¹∮(1/r)uv dl on the meridian mesh, load
    ∫_sc λ'⁻²(c'/r − B_a r/2)v + Σ_films Λ'⁻¹∮(c'/r − B_a r/2)v dl (c' = nΦ₀/2π of the
    ring's fluxoid), u_r = 0 on the whole boundary (axis and outer wall)."""
    from skfem import Basis, BilinearForm, LinearForm
    from skfem.helpers import dot, grad

    domain = problem.domain
    _check_half_plane(domain.mesh)
    sc = problem.superconducting
    rings = _rings(problem, options)
    geometry = basis_mesh(domain, options.order)
    element = lagrange_element(options.order)
    films = _film_bases(problem, options, element, rings)
    if not len(sc) and not films:
        raise ParameterError("superconductors: the mesh has no superconducting region or film")
    basis = Basis(geometry, element)
    b_a = problem.applied_field[2]

    @BilinearForm
    def curl_curl(u, v, w):
        return dot(grad(u), grad(v)) / w.x[0]

    @BilinearForm
    def london(u, v, w):
        return w.inv2 * u * v / w.x[0]

    @LinearForm
    def load_form(v, w):
        return w.inv2 * (w.c / w.x[0] - 0.5 * w.b * w.x[0]) * v

    K = curl_curl.assemble(basis)
    f = np.zeros(basis.N)
    f1 = np.zeros(basis.N)  # the load of a unit field (image correction)
    sc_basis = None
    if len(sc):
        sc_basis = Basis(geometry, element, elements=sc)
        inv2 = _weights(sc_basis, problem.element_lambda[sc])
        c = np.repeat(_element_fluxoid(problem, rings)[sc][:, None], inv2.shape[1], axis=1)
        K = K + london.assemble(sc_basis, inv2=inv2)
        f += load_form.assemble(sc_basis, inv2=inv2, c=c, b=b_a)
        f1 += load_form.assemble(sc_basis, inv2=inv2, c=0.0 * c, b=1.0)
    for film_basis, pearl, c in films.values():
        K = K + london.assemble(film_basis, inv2=1.0 / pearl)
        f += load_form.assemble(film_basis, inv2=1.0 / pearl, c=c, b=b_a)
        f1 += load_form.assemble(film_basis, inv2=1.0 / pearl, c=0.0, b=1.0)
    K = K.tocsr()
    fixed = basis.get_dofs(geometry.boundary_facets()).all()
    free = np.setdiff1d(np.arange(basis.N), fixed)
    return _System(matrix=K[free][:, free].tocsr(), load=f[free], free=free, basis=basis,
                   sc_basis=sc_basis, ndofs=len(free), rings=rings, films=films,
                   unit_load=f1[free])


def solve(system: _System, options: AxisymmetricOptions):
    """SPD solve: a nested-dissection direct factorisation when it fits in memory (2D),
    otherwise AMG-CG (:func:`mqm_fem.linalg.solve_spd`)."""
    x = np.zeros(system.basis.N)
    y, info, factor = solve_spd_2d(system.matrix, system.load, method=options.solver,
                                   tol=options.solver_tol, what="the axisymmetric London system")
    if factor is not None:
        system.factor = factor
    x[system.free] = y
    return x, info


def _unit_field_solution(system: _System, options) -> np.ndarray:
    """The solution for B_a = 1 T and no fluxoids (back-substitution with the factor)."""
    x = np.zeros(system.basis.N)
    if system.factor is not None:
        x[system.free] = system.factor(system.unit_load)
    else:
        y, _, _ = solve_spd_2d(system.matrix, system.unit_load, method=options.solver,
                               tol=options.solver_tol, what="the axisymmetric London system")
        x[system.free] = y
    return x


def _integrals(problem, system: _System, x, b_a, fluxoids=True) -> dict:
    """Moment (A·m²), kinetic energy (J), current per ring (A) and the quadrature-point data
    of the volume and film currents, for the DOF vector ``x`` of u_r in the field ``b_a``."""
    ell = problem.length_unit
    scale = np.pi * ell**3 / MU0
    sc = problem.superconducting
    moment, e_kin = 0.0, 0.0
    currents = {ring["name"]: 0.0 for ring in system.rings}
    out = {"volume": None, "films": {}}
    if system.sc_basis is not None:
        sc_basis = system.sc_basis
        inv2 = _weights(sc_basis, problem.element_lambda[sc])
        c = _element_fluxoid(problem, system.rings)[sc][:, None] if fluxoids else 0.0
        r = np.asarray(sc_basis.global_coordinates())[0]
        u = np.asarray(sc_basis.interpolate(x)) + 0.5 * b_a * r**2 - c  # u' − c' (T)
        moment -= scale * float(np.sum(inv2 * r * u * sc_basis.dx))
        e_kin += scale * float(np.sum(inv2 * u**2 / r * sc_basis.dx))
        density = -inv2 * u / r * sc_basis.dx * ell / MU0  # J_φ dr dz per quadrature point (A)
        position = {e: k for k, e in enumerate(sc)}
        for ring in system.rings:
            if not ring["film"]:
                rows = [position[e] for e in ring["items"]]
                currents[ring["name"]] = float(density[rows].sum())
        out["volume"] = (inv2, u, r)
    for name, (basis, pearl, c) in system.films.items():
        r = np.asarray(basis.global_coordinates())[0]
        u = np.asarray(basis.interpolate(x)) + 0.5 * b_a * r**2 - (c if fluxoids else 0.0)
        moment -= scale * float(np.sum(r * u * basis.dx)) / pearl
        e_kin += scale * float(np.sum(u**2 / r * basis.dx)) / pearl
        currents[name] = -float(np.sum(u / r * basis.dx)) * ell / (MU0 * pearl)
        out["films"][name] = (pearl, u, r)
    out.update(moment=moment, kinetic=e_kin, currents=currents)
    return out


def derive(problem, options: AxisymmetricOptions, system: _System, x) -> Outputs:
    """m_z = π∫r²J_φ dr dz + π∮r²K_φ dl, ring currents, B = ∇×A at the vertices, A_φ, J_φ,
    K_φ, energies."""
    domain, ell = problem.domain, problem.length_unit
    mesh = domain.mesh
    b_a = problem.applied_field[2]
    sc, sc_basis, basis = problem.superconducting, system.sc_basis, system.basis
    data = _integrals(problem, system, x, b_a)
    moment_box, e_kin = data["moment"], data["kinetic"]
    full = basis.interpolate(x)
    r_all = np.asarray(basis.global_coordinates())[0]
    g = full.grad
    e_field = np.pi * ell**3 / MU0 * float(np.sum((g[0] ** 2 + g[1] ** 2) / r_all * basis.dx))

    moment, currents, truncation, note = _far_field(domain, problem, options, system, data, x)

    b_q = np.stack([-g[1] / r_all, g[0] / r_all + b_a])  # (B_r, B_z) in T
    point_b = np.zeros((mesh.nvertices, 3))
    point_b[:, :2] = project_to_vertices(mesh, b_q, basis)
    a_q = (np.asarray(full) + 0.5 * b_a * r_all**2) / r_all * ell  # A_φ in T·m
    point_a = project_to_vertices(mesh, a_q[None], basis)[:, 0]
    point_data = {"B": point_b, "A_phi": point_a}
    if data["volume"] is not None:
        inv2, u_sc, r_sc = data["volume"]
        j_q = -inv2 * u_sc / r_sc / (MU0 * ell)  # J_φ = −(u − c)/(μ₀λ²r) in A/m²
        point_data["J_phi"] = project_to_vertices(mesh, j_q[None], sc_basis)[:, 0]
    if system.films:
        point_data["K_phi"] = _film_vertex_current(problem, system, x, b_a)
    u_vertex = x[basis.nodal_dofs[0]] + 0.5 * b_a * mesh.p[0] ** 2  # total u' at the vertices
    holes = {}
    for ring in system.rings:
        if ring["on_axis"]:
            continue
        v = ring["vertices"]
        z = mesh.p[1, v]
        inner = v[mesh.p[0, v] <= mesh.p[0, v].min() * (1 + 1e-9)]
        mid = inner[np.argmin(np.abs(mesh.p[1, inner] - 0.5 * (z.min() + z.max())))]
        holes[ring["name"]] = Hole(field=None, flux=float(2 * np.pi * u_vertex[mid] * ell**2),
                                   area=None, fluxoid=float(ring["n"]), meshed=False,
                                   current=float(currents[ring["name"]]))
    state = {"basis": basis, "dofs": x, "superconducting_elements": sc}
    if note:
        state["truncation"] = note
    scalars = {"magnetic_moment": (np.array([0.0, 0.0, moment]), "A*m^2"),
               "moment_in_box": (moment_box, "A*m^2")}
    for name, value in data["currents"].items():
        if name in holes:
            scalars[f"hole_current_box_{name}"] = (value, "A")
    return Outputs(
        point_data=point_data, cell_data={},
        moment=np.array([0.0, 0.0, moment]),
        energies=Energies(kinetic=e_kin, field=e_field, gibbs=e_kin + e_field, unit="J"),
        ndofs=system.ndofs, holes=holes,
        # a full 3D moment on a 2D mesh: the entry overrides the export's per-length "A*m"
        scalars=scalars, state=state, truncation_estimate=truncation)


def _film_vertex_current(problem, system, x, b_a) -> np.ndarray:
    """K_φ = −(u − c)/(μ₀Λr) (A/m) at the film vertices (0 elsewhere and on the axis)."""
    mesh = problem.domain.mesh
    out = np.zeros(mesh.nvertices)
    u = x[system.basis.nodal_dofs[0]] + 0.5 * b_a * mesh.p[0] ** 2
    for ring in system.rings:
        if ring["film"]:
            pearl = system.films[ring["name"]][1]
            v = ring["vertices"]
            r = mesh.p[0, v]
            safe = np.where(r > 0, r, 1.0)
            out[v] = np.where(r > 0, -(u[v] - ring["c"]) / (MU0 * pearl * safe), 0.0)
    return out


def _far_field(domain, problem, options, system, data, x):
    """The image-corrected moment and ring currents in a spherical wall, or those in the box
    with an estimate of the moment's truncation error.

    Inside a spherical B·n = 0 wall of radius L the reaction dipole m_box sees the uniform
    image field B_u = β m_box, β = −μ₀/(2πL³), and the body responds to it like to an applied
    field: m_box = m + α B_u, I_box = I + χ B_u with α, χ the moment and ring currents per unit
    field (no fluxoids) in free space. α_box, χ_box of the box come from the solution itself
    (field only) or from one more load on the factorised matrix (fluxoids), and
    α = α_box/(1 + βα_box), χ = χ_box/(1 + βα_box); then m = m_box − αβm_box,
    I = I_box − χβm_box (exact for the dipole part of the reaction field)."""
    mesh = domain.mesh
    p = mesh.p
    b_a = problem.applied_field[2]
    moment_box, currents = data["moment"], dict(data["currents"])
    bf = mesh.boundary_facets()
    verts = np.unique(mesh.facets[:, bf])
    size = float(np.ptp(p, axis=1).max())
    outer = verts[p[0, verts] > 1e-9 * size]
    wall = np.unique(mesh.facets[:, bf][:, np.all(p[0, mesh.facets[:, bf]] > 1e-9 * size,
                                                  axis=0)])
    outer = wall if len(wall) else outer
    z_c = 0.5 * (p[1, outer].min() + p[1, outer].max())
    dist = np.hypot(p[0, outer], p[1, outer] - z_c)
    sphere = dist.size > 2 and np.ptp(dist) <= _SPHERE_TOLERANCE * dist.max()
    trapped = any(ring["n"] != 0 for ring in system.rings)
    if trapped:
        unit = _integrals(problem, system, _unit_field_solution(system, options), 1.0,
                          fluxoids=False)
        alpha_box, chi_box = unit["moment"], unit["currents"]
    elif b_a != 0:
        alpha_box = moment_box / b_a
        chi_box = {name: value / b_a for name, value in currents.items()}
    else:
        alpha_box, chi_box = 0.0, dict.fromkeys(currents, 0.0)
    if sphere and options.far_field == "image":
        beta = -MU0 / (2 * np.pi * (float(dist.mean()) * problem.length_unit) ** 3)
        denominator = 1 + beta * alpha_box
        moment = moment_box - alpha_box / denominator * beta * moment_box
        for name in currents:
            currents[name] -= chi_box[name] / denominator * beta * moment_box
        return moment, currents, None, ""
    body = np.unique(np.concatenate(
        [mesh.t[:, problem.superconducting].ravel()]
        + [ring["vertices"] for ring in system.rings if ring["film"]]))
    z_b = 0.5 * (p[1, body].min() + p[1, body].max())
    shortest = float(np.hypot(p[0, outer], p[1, outer] - z_b).min()) * problem.length_unit
    estimate = abs(MU0 * alpha_box / (2 * np.pi * shortest**3))
    note = (f"the outer wall at {shortest:.3g} m from the body changes the moment by about "
            f"{100 * estimate:.2g} % (no image correction: "
            f"{'far_field=none' if sphere else 'the wall is not a sphere centred on the axis'})"
            "; enlarge the vacuum region")
    return moment_box, currents, estimate, note


def hole_names(problem, options) -> list[str]:
    """The rings (regions and films off the axis) in the order a solve reports them."""
    return [ring["name"] for ring in _rings(problem, options) if not ring["on_axis"]]


register(Formulation(
    name="axisymmetric", dim=2, films=True, holes=hole_names,
    equation="∇×∇×A + χ_s λ⁻²A = 0 for A = A_φ(r, z)e_φ on a meridian (r, z) mesh, field along "
             "the axis",
    auto_rule="never (choose formulation='axisymmetric' explicitly)",
    auto=lambda domain, field: False,
    applied=axial_field, options=AxisymmetricOptions,
    assemble=assemble, solve=solve, derive=derive))
