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

A ring or torus (a section off the axis) is solved in its zero-fluxoid (zero-field-cooled)
state: J_φ = −A_φ/(μ₀λ²) with no phase winding. Not yet supported: trapped fluxoids in rings
and tori (``fluxoids=`` is refused), fields off the axis, the Schrödinger problem. The meridian
mesh must have a single boundary loop (no unmeshed holes, which would act as perfect
conductors). The formulation is chosen only explicitly
(``solve_london(domain, "50 nm", 1e-3, formulation="axisymmetric")``): a 2D mesh is otherwise a
cross-section of an infinitely long prism.

Validation: ``tests/test_axisymmetric.py`` — the sphere m_z = −2πR³(B_a/μ₀)f(R/λ),
f(x) = 1 − 3coth(x)/x + 3/x²: P2 on second-order (curved) meshes converges at order ≈ 3.5
(relative error 4e-7 at h = λ/10 for R = 3λ), P1 and P2 on straight-sided meshes at order 2
(the polygonal boundary); the thin disk of issue 11 (R = 1 µm, d = 25 nm, λ = 50 nm,
B_a = 1 mT): −1208.478 µA·µm² with 7k unknowns in 0.1 s against −1208.47.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MeshError, ParameterError
from ..fem.projection import project_to_vertices
from ..linalg.linear import SPD_METHODS, solve_spd_2d
from ..mesh.topology import oriented_loops
from ..units import MU0
from .avector import image_corrected_moment
from .options import FormulationOptions, check_order, check_positive, option
from .outofplane import basis_mesh, lagrange_element
from .registry import Formulation, register
from .solution import Energies, Outputs

__all__ = ["AxisymmetricOptions", "axial_field"]

#: Relative spread of the outer-wall vertex distances below which the wall counts as a sphere.
_SPHERE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class AxisymmetricOptions(FormulationOptions):
    """Options of the axisymmetric (r, z) formulation."""

    order: int = option(2, cli="--order", choices=(1, 2), help="Lagrange degree, 1 or 2")
    far_field: str = option(
        "image", choices=("image", "none"),
        help="'image': remove the image of the reaction dipole in a spherical outer wall "
        "(exact for the dipole part); 'none': the moment inside the wall as computed")
    fluxoids: dict | None = option(
        None, help="not yet supported by the axisymmetric formulation (refused)")
    solver: str = option("auto", cli="--solver", choices=SPD_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_spd)")
    solver_tol: float = option(1e-12, help="relative residual of iterative solves")

    def validate(self):
        check_order(self.order)
        check_positive(self.solver_tol, "solver_tol")
        if self.fluxoids is not None:
            raise ParameterError(
                f"fluxoids: {self.fluxoids!r} given, but the axisymmetric formulation does not "
                "yet take trapped fluxoids (only the zero-fluxoid state in an axial field); "
                "leave fluxoids out")


@dataclass
class _System:
    matrix: object
    load: np.ndarray
    free: np.ndarray
    basis: object
    sc_basis: object
    ndofs: int
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


def assemble(problem, options: AxisymmetricOptions) -> _System:
    """∫(1/r)∇u·∇v + ∫_sc λ'⁻²(1/r)uv on the meridian mesh, load −∫_sc λ'⁻²(B_a r/2)v,
    u_r = 0 on the whole boundary (axis and outer wall)."""
    from skfem import Basis, BilinearForm, LinearForm
    from skfem.helpers import dot, grad

    domain = problem.domain
    _check_half_plane(domain.mesh)
    sc = problem.superconducting
    if not len(sc):
        raise ParameterError("superconductors: the mesh has no superconducting region")
    geometry = basis_mesh(domain, options.order)
    element = lagrange_element(options.order)
    basis = Basis(geometry, element)
    sc_basis = Basis(geometry, element, elements=sc)
    inv2 = _weights(sc_basis, problem.element_lambda[sc])
    b_a = problem.applied_field[2]

    @BilinearForm
    def curl_curl(u, v, w):
        return dot(grad(u), grad(v)) / w.x[0]

    @BilinearForm
    def london(u, v, w):
        return w.inv2 * u * v / w.x[0]

    @LinearForm
    def load_form(v, w):
        return -w.inv2 * 0.5 * b_a * w.x[0] * v

    K = (curl_curl.assemble(basis) + london.assemble(sc_basis, inv2=inv2)).tocsr()
    f = load_form.assemble(sc_basis, inv2=inv2)
    fixed = basis.get_dofs(geometry.boundary_facets()).all()
    free = np.setdiff1d(np.arange(basis.N), fixed)
    return _System(matrix=K[free][:, free].tocsr(), load=f[free], free=free, basis=basis,
                   sc_basis=sc_basis, ndofs=len(free))


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


def derive(problem, options: AxisymmetricOptions, system: _System, x) -> Outputs:
    """m_z = −(π/μ₀)∫_sc λ⁻² r u dr dz, B = ∇×A at the vertices, A_φ, J_φ, energies."""
    domain, ell = problem.domain, problem.length_unit
    mesh = domain.mesh
    b_a = problem.applied_field[2]
    sc, sc_basis, basis = problem.superconducting, system.sc_basis, system.basis
    inv2 = _weights(sc_basis, problem.element_lambda[sc])
    r_sc = np.asarray(sc_basis.global_coordinates())[0]
    u_sc = np.asarray(sc_basis.interpolate(x)) + 0.5 * b_a * r_sc**2  # total u' (T)
    scale = np.pi * ell**3 / MU0
    moment_box = -scale * float(np.sum(inv2 * r_sc * u_sc * sc_basis.dx))
    e_kin = scale * float(np.sum(inv2 * u_sc**2 / r_sc * sc_basis.dx))
    full = basis.interpolate(x)
    r_all = np.asarray(basis.global_coordinates())[0]
    g = full.grad
    e_field = scale * float(np.sum((g[0] ** 2 + g[1] ** 2) / r_all * basis.dx))

    moment, truncation, note = _far_field(domain, problem, options, moment_box, b_a, sc)

    b_q = np.stack([-g[1] / r_all, g[0] / r_all + b_a])  # (B_r, B_z) in T
    point_b = np.zeros((mesh.nvertices, 3))
    point_b[:, :2] = project_to_vertices(mesh, b_q, basis)
    a_q = (np.asarray(full) + 0.5 * b_a * r_all**2) / r_all * ell  # A_φ in T·m
    point_a = project_to_vertices(mesh, a_q[None], basis)[:, 0]
    j_q = -inv2 * u_sc / r_sc / (MU0 * ell)  # J_φ = −u/(μ₀λ²r) in A/m²
    point_j = project_to_vertices(mesh, j_q[None], sc_basis)[:, 0]
    state = {"basis": basis, "dofs": x, "superconducting_elements": sc}
    if note:
        state["truncation"] = note
    return Outputs(
        point_data={"B": point_b, "A_phi": point_a, "J_phi": point_j}, cell_data={},
        moment=np.array([0.0, 0.0, moment]),
        energies=Energies(kinetic=e_kin, field=e_field, gibbs=e_kin + e_field, unit="J"),
        ndofs=system.ndofs,
        # a full 3D moment on a 2D mesh: the entry overrides the export's per-length "A*m"
        scalars={"magnetic_moment": (np.array([0.0, 0.0, moment]), "A*m^2"),
                 "moment_in_box": (moment_box, "A*m^2")},
        state=state, truncation_estimate=truncation)


def _far_field(domain, problem, options, moment_box, b_a, sc):
    """The image-corrected moment in a spherical wall, or the moment in the box with an
    estimate of its truncation error."""
    mesh = domain.mesh
    p = mesh.p
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
    b = np.array([0.0, 0.0, b_a])
    m_vec = np.array([0.0, 0.0, moment_box])
    if sphere and options.far_field == "image" and b_a != 0:
        radius = float(dist.mean()) * problem.length_unit
        return float(image_corrected_moment(m_vec, b, radius)[0][2]), None, ""
    body = p[:, np.unique(mesh.t[:, sc])]
    z_b = 0.5 * (body[1].min() + body[1].max())
    shortest = float(np.hypot(p[0, outer], p[1, outer] - z_b).min()) * problem.length_unit
    alpha = moment_box / b_a if b_a != 0 else 0.0
    estimate = abs(MU0 * alpha / (2 * np.pi * shortest**3))
    note = (f"the outer wall at {shortest:.3g} m from the body changes the moment by about "
            f"{100 * estimate:.2g} % (no image correction: "
            f"{'far_field=none' if sphere else 'the wall is not a sphere centred on the axis'})"
            "; enlarge the vacuum region")
    return moment_box, estimate, note


register(Formulation(
    name="axisymmetric", dim=2,
    equation="∇×∇×A + χ_s λ⁻²A = 0 for A = A_φ(r, z)e_φ on a meridian (r, z) mesh, field along "
             "the axis",
    auto_rule="never (choose formulation='axisymmetric' explicitly)",
    auto=lambda domain, field: False,
    applied=axial_field, options=AxisymmetricOptions,
    assemble=assemble, solve=solve, derive=derive))
