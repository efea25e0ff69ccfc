r"""3D London screening in the vector-potential (A) formulation (docs/theory.md §1a).

Equation (SI), superconductors Ω_s (χ_s = 1, penetration depth λ per region) in vacuum Ω_v::

    ∇×∇×A + χ_s λ⁻² A = μ₀ J_ext        (London gauge ∇θ = 0: J = −χ_s A/(μ₀λ²))

For a simply connected superconductor this is the London state; for a ring or a film with a
hole it is the zero-fluxoid (zero-field-cooled) state, ∮(A + μ₀λ²J)·dl = 0 around the hole,
unless ``fluxoids={hole: n}`` traps n fluxoids: then μ₀λ²J = w − A with the winding field
w = Σ_h n_h Φ₀∇φ_h/2π (φ_h the azimuth about the hole's axis, :mod:`mqm_fem.fem.winding`;
edge DOFs n Φ₀ turns/ℓ² in the scaled unknown), which adds the load (χ_sλ⁻²w, v) to the weak
form below (docs/theory.md, "Trapped fluxoids in 3D loops"). Holes: every facet group
``<hole>_boundary`` (its wall; axis from :func:`wall_axis`), a hole recorded by the generator
(:func:`mqm_fem.mesh.geometry.recorded_holes`: the torus's ``hole_0``) and ``hole_axes``.
Each hole is reported in ``solution.holes`` (:class:`~mqm_fem.london.solution.Hole`) with the
imposed ``fluxoid``, the circulating ``current`` I = ∫J·ŵ dV (A; the net current through a cut
from the hole to the outside) and the ``flux`` ∮A·dl around the hole's narrowest circle (Wb);
``field`` and ``area`` are None. Without an applied field E_kin + E_field = ½Σ n_hΦ₀I_h
(one hole: L = Φ₀/I, E = Φ₀²/2L); with ``far_field="image"``, no applied field and one hole,
``current`` is corrected to free space (:func:`_image_corrected_loop`; the box value is the
field datum ``hole_current_box_<hole>``).

With a uniform applied field B_a the total potential is A = A_a + A_r,
A_a = ½ B_a × (r − r_c) (∇×A_a = B_a, ∇×∇×A_a = 0), and the reaction potential A_r solves, for
all test fields v in lowest-order Nédélec H(curl) (``ElementTetN0``)::

    (∇×A_r, ∇×v) + (χ_s λ⁻² A_r, v) = −(χ_s λ⁻² A_a, v) + (μ₀ J_ext, v),
    n × A_r = 0 on the outer boundary (facets named ``outer``, else every boundary facet).

n × A_r = 0 makes the outer wall impenetrable to the reaction field (B_r·n = 0): a dipole m
inside a box of size L sees an image field of relative size (R/L)³, so |m_box| > |m|. Measured
(``test_box_truncation_without_image``): a sphere of radius R in a cube of half-side L has
m_box/m − 1 ≈ 0.64 f (R/L)³ (f = 1 − 3coth(R/λ)λ/R + 3λ²/R², → 1 for R ≫ λ), i.e. a cube of
half-side L ≈ 4R for 1 %. With ``far_field="none"`` every solve records this estimate as
``solution.truncation_estimate`` (:func:`box_truncation_estimate`; R the superconductors'
bounding radius about their centroid, L the distance from there to the nearest outer-boundary
vertex, c = 0.64 for a box and 1 for a spherical wall) and warns above 1 %.
``far_field="image"`` removes the image field for a spherical outer
boundary of radius L (exact for a sphere, leading order otherwise;
:func:`image_corrected_moment`).

Accuracy: the discrete solution minimises the same functional over a subspace, so G_h ≥ G and
|m_h| ≥ |m| for the meshed body; the inscribed polyhedral surface makes the body smaller. Both
errors fall as h² (``test_sphere_moment_convergence``); B and J converge as h in L2.

Scaling: lengths are in mesh units ℓ (``domain.length_unit`` metres); the unknown is
Ã = A/ℓ in tesla, so ∇'×Ã = B in tesla and the equation reads
(∇'×Ã_r, ∇'×v) + (λ'⁻² Ã_r, v) = −(λ'⁻² Ã_a, v) + (μ₀ℓ J_ext, v), λ' = λ/ℓ.

Semidefinite vacuum block: in vacuum only the curl-curl term acts, so every gradient ∇p of a
P1 function p that vanishes on the outer boundary and is constant on each superconductor is in
the kernel of the matrix. The screening load vanishes on that kernel (χ_s λ⁻² ∇p = 0
everywhere); an external current load is made consistent by removing its kernel part (which a
divergence-free J_ext that does not flow into the superconductors does not have,
:func:`_consistent_load`). The consistent singular system is solved by CG (AMS-preconditioned,
or Jacobi with ``solver="cg"``) or by the ε-regularised direct solve of :mod:`mqm_fem.linalg`;
B = ∇×A, J and the moment do not depend on the kernel part, and the regularisation changes the
moment by ~1e-11 of the discretisation error (``test_semidefinite_system_cg_and_regularised``).
A in vacuum is defined up to that gradient gauge.

Outputs (:class:`~mqm_fem.london.solution.LondonSolution`, SI):

* point data ``A`` (T·m, total A_a + A_r), ``B`` (T, total B_a + ∇×A_r), ``J`` (A/m²,
  J = −χ_s A/(μ₀λ²), the supercurrent; zero in vacuum), L2-projected onto P1 vertex values
  (``J`` over the superconductors only, so surface vertices carry the superconductor's value);
* cell data ``B``, ``J``: element averages (∇×A_r is constant per element for N0);
* field data ``magnetic_moment`` m = ½∫(r − r_c)×J dV (A·m², the free-space estimate when
  ``far_field="image"``), ``magnetic_moment_box`` (the moment of the computed box problem),
  ``kinetic_energy`` E_k = ∫ ½μ₀λ²|J|² dV = (1/2μ₀)∫χ_s λ⁻²|A|² dV,
  ``field_energy`` E_m = (1/2μ₀)∫_box |∇×A_r|² dV (energy of the reaction field B − B_a),
  and ``gibbs_energy`` G = E_m + E_k − ∫ J_ext·A_r dV (J). In :class:`Energies` these are
  ``kinetic``, ``field`` and ``gibbs``.

  G is the minimum of the reaction-field functional
  Φ[A_r] = (1/2μ₀)‖∇×A_r‖² + (1/2μ₀)(χ_s λ⁻² A, A) − (J_ext, A_r), i.e. (for J_ext = 0) the
  Gibbs free-energy change of the sample in the fixed applied field relative to the
  unscreened state B = B_a (condensation energy not included). Testing the weak
  form with v = A_r shows G = ½(χ_s λ⁻² A, A_a)/μ₀ − ½∫J_ext·A_r dV, and since
  J·(B_a × r) = B_a·(r × J) this is G = −½ m·B_a − ½∫J_ext·A_r dV: without J_ext,
  **G = −½ m·B_a** (linear response), up to the linear-solver tolerance (the discrete
  supercurrent has ∫J dV = 0 exactly, so m does not depend on r_c). Checked in
  ``tests/test_london_3d.py::test_energy_identity``.

Implementation: K, the load and all derived quantities use the closed-form Whitney element
formulas of :class:`mqm_fem.fem.nedelec.NedelecTet` (exact; no skfem basis arrays), so a 1M-unknown
problem assembles in seconds; ``solution.timings`` splits the wall time into assembly,
solve (AMS set-up + CG) and post-processing (``benchmarks/london_sphere.py``).

Curved (isoparametric) domains: when ``domain.curved`` holds the quadratic geometry (a tetra10
gmsh file, or ``geometry.sphere_in_box(..., order=2)``), the same weak form is assembled by
quadrature on the curved elements (scikit-fem ``ElementTetN0`` on the ``MeshTet2``, covariant
Piola map of the quadratic Jacobian; :func:`_assemble_curved`), and the moment, energies and
fields are integrated on them too (:func:`_derive_curved`). This removes the geometric error of
the inscribed polyhedron (on a sphere at R/λ = 1 it is ~10x the discretisation error); the
moment then converges as h² to the true body's moment
(``tests/test_estimate_london_3d.py::test_curved_sphere_moment_convergence``). Same DOFs (one
per edge, ``mesh.t2e``), same discrete gradient and AMS preconditioner; assembly and
post-processing cost more (quadrature arrays instead of closed forms), see ``solution.timings``.

Validation: ``tests/test_london_3d.py`` (sphere moment −2πR³H₀ f(R) for R/λ = 1, 3, 10,
convergence under refinement, tilted field, energy identity, image correction).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError, ParameterError
from ..fem.forms import london_a, vector_load, vector_mass
from ..fem.nedelec import TET_EDGES, NedelecTet, discrete_gradient
from ..fem.projection import dot_last, integrate_linear_product, solve_mass
from ..fem.winding import check_clearance, winding_form
from ..linalg.linear import CURL_CURL_METHODS, CurlCurlSolver, solve_spd
from ..mesh import Domain, is_vacuum_name
from ..mesh.domain import index_set
from ..units import MU0, PHI0, parse_vector
from .estimate_3d import estimate_a
from .options import (
    FormulationOptions,
    check_callable,
    check_mapping,
    check_positive,
    fluxoid_number,
    option,
    values_by_name,
)
from .problem import three_component_field
from .registry import Formulation, register
from .solution import Energies, Hole, LondonSolution, Outputs

FAR_FIELD = ("auto", "none", "image")

#: Quadrature order of the isoparametric (curved-element) path: the rational integrands of the
#: curved Nédélec mass need more than the degree-2 rule (4 points per tetrahedron).
CURVED_INTORDER = 4

#: Relative tolerance with which the outer-boundary vertices must lie on one sphere for
#: ``far_field="image"``.
SPHERE_TOLERANCE = 1e-3

__all__ = ["FAR_FIELD", "AFormulationOptions", "box_truncation_estimate", "evaluate_fields",
           "hole_axes", "image_corrected_moment", "nedelec_at", "wall_axis"]

#: m_box/m − 1 ≈ c f (R/L)³: c for a cube of half-side L (measured,
#: ``test_box_truncation_without_image``) and for a spherical wall of radius L (image dipole).
BOX_TRUNCATION_COEFFICIENT = {"box": 0.64, "sphere": 1.0}


@dataclass(frozen=True)
class AFormulationOptions(FormulationOptions):
    """Options of the 3D A-formulation."""

    source_options = ("current_density", "fluxoids")

    far_field: str = option(
        "auto", cli="--far-field", choices=FAR_FIELD,
        help="'image': remove the spherical outer boundary's image field from the moment; "
        "'none': the moment of the truncated box; 'auto': image when the outer boundary is a "
        "sphere and no current_density is given")
    solver: str = option("auto", cli="--solver", choices=CURL_CURL_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_curl_curl)")
    solver_tol: float = option(1e-10, help="relative residual of iterative solves")
    current_density: object = option(
        None, help="external J_ext(points (3, n) in m) -> (3, n) A/m²; its discrete-gradient "
        "part is removed")
    center: object = option(
        None, help="gauge centre r_c of A_a = ½B_a×(r − r_c) (3 lengths; default: the "
        "superconductors' centroid)")
    fluxoids: dict | None = option(
        None, cli="--fluxoid", repeat=True, metavar="HOLE=N",
        help="fluxoid number n trapped in a hole (integer; default 0: zero-field cooled); "
        "holes: hole_k of the hole_k_boundary wall groups, or named in hole_axes")
    hole_axes: dict | None = option(
        None, help="hole name -> ((x, y, z), (dx, dy, dz)): a point in the hole and the hole's "
        "axis direction in mesh units; defines a hole (e.g. a torus) or overrides the axis found "
        "from its wall facets")

    def validate(self):
        check_positive(self.solver_tol, "solver_tol")
        check_mapping(self.fluxoids, "fluxoids", "hole")
        if self.fluxoids is not None:
            values_by_name(self.fluxoids, list(self.fluxoids), "fluxoids", "hole",
                           fluxoid_number)
        check_mapping(self.hole_axes, "hole_axes", "hole")
        for name, axis in (self.hole_axes or {}).items():
            _axis(axis, f"hole_axes[{name!r}]")
        check_callable(self.current_density, "current_density",
                       "J_ext(points) -> (3, n) array in A/m² (points of shape (3, n) in m)")
        if self.far_field == "image" and self.current_density is not None:
            raise ParameterError(
                "far_field='image' corrects the response to a uniform applied field; it is not "
                "available together with current_density (use far_field='none' and a larger "
                "box)"
            )
        if self.center is not None:
            parse_vector(self.center, "length", "center", dim=3)



@dataclass
class _System:
    """K = C + M_σ (closed-form Whitney assembly), the load, Dirichlet edges and the
    quantities the derived fields need."""

    matrix: sp.csr_matrix
    load: np.ndarray
    nedelec: NedelecTet
    dirichlet: np.ndarray
    sigma: np.ndarray
    center: np.ndarray
    outer: np.ndarray
    far_field: str
    j_ext: np.ndarray | None = None
    basis: object = None
    curved: object = None  # CurvedQuadrature on an isoparametric domain, else None
    holes: dict | None = None  # hole name -> (fluxoid n, unit winding form ŵ on the edges)
    axes: dict | None = None  # hole name -> (point, unit direction), mesh units
    winding: np.ndarray | None = None  # w̃ = Σ n_h Φ₀ŵ_h/ℓ² on the superconductor's edges (T)
    #: diag(GᵀKG) per vertex in closed form, as a function the solver calls only when its
    #: hybrid preconditioner needs it (straight elements; None: the solver computes it)
    gradient_energy: Callable[[], np.ndarray] | None = None


def assemble(problem, options: AFormulationOptions) -> _System:
    """(∇×Ã_r, ∇×v) + (σÃ_r, v) = −(σÃ_a, v) + (μ₀ℓJ_ext, v), n×Ã_r = 0 on the outer
    boundary (σ = χ_s/λ'², lengths in mesh units, Ã = A/ℓ in tesla)."""
    domain, ell = problem.domain, problem.length_unit
    mesh, sc = domain.mesh, problem.superconducting
    outer = _outer_facets(domain)
    _check_vacuum(domain, sc, outer)
    far_field = _far_field(domain, outer, options)
    r_c = problem.centroid() if options.center is None else _center(options.center, ell)
    ned = NedelecTet(mesh)  # also builds mesh.edges / mesh.t2e for the skfem bases
    sigma = problem.screening
    if domain.curved is not None:
        return _assemble_curved(problem, options, ned, sigma, r_c, outer, far_field)
    system = _System(matrix=ned.assemble(sigma), load=None, nedelec=ned,
                     dirichlet=ned.boundary_dofs(outer), sigma=sigma, center=r_c, outer=outer,
                     far_field=far_field,
                     gradient_energy=functools.partial(ned.gradient_energy, sigma))
    system.load = applied_load(problem, system)
    if options.current_density is not None:
        _add_current_load(system, options.current_density, sc, ell)
    _add_fluxoid_load(problem, system, options)
    return system


def applied_load(problem, system: _System) -> np.ndarray:
    """The load −(σÃ_a, v) of the applied field ``problem.applied_field`` on an assembled
    ``system`` (the matrix does not depend on the field: one set-up serves every direction,
    :func:`mqm_fem.london.polarizability`). Straight elements: Ã_a = ½B_a×(r − r_c) is of the
    form a + b×r, which lowest-order Nédélec represents exactly — its DOFs are the edge
    integrals t_e·(Ã_a(x_a) + Ã_a(x_b))/2; curved elements: quadrature of the analytic Ã_a."""
    field_, r_c = problem.applied_field, system.center
    if system.curved is None:
        return -system.nedelec.mass_apply(system.sigma, _applied_dofs(problem.domain.mesh,
                                                                      field_, r_c))
    quad = system.curved
    sig_q = np.broadcast_to(system.sigma[:, None], (len(system.sigma), quad.nedelec.X.shape[1]))
    return -vector_load.assemble(quad.nedelec,
                                 f=sig_q[None] * _applied_potential(field_, quad.points, r_c))


@dataclass
class CurvedQuadrature:
    """Quadrature data of the isoparametric path: the Nédélec basis on ``domain.curved``
    (covariant Piola map of the quadratic geometry), P1 bases with the same quadrature points on
    the whole mesh and on the superconductors, and Ã = Ã_a + Ã_r, ∇×Ã_r at those points."""

    nedelec: object
    p1: object
    p1_sc: object
    points: np.ndarray
    a_total: np.ndarray | None = None
    curl: np.ndarray | None = None


def _assemble_curved(problem, options, ned, sigma, r_c, outer, far_field) -> _System:
    """The same weak form on the curved (quadratic) elements of ``domain.curved``.

    Assembled by quadrature with scikit-fem's ``ElementTetN0`` on the ``MeshTet2``: the covariant
    Piola map u = DF⁻ᵀû and ∇×u = DF ∇̂×û / det DF use the isoparametric Jacobian, and the DOFs
    are the (curved) edges' line integrals numbered as ``mesh.t2e``, the same as
    :class:`NedelecTet`'s (checked at run time). The discrete gradient stays exact (∇p of an
    isoparametric P1 function is in the space, so the kernel and AMS are unchanged). Ã_a is no
    longer in the space, so the load is −a(Ã_a, v) with the analytic Ã_a at the quadrature
    points; its curl part (B_a, ∇×v) vanishes for every v with n×v = 0 (∫_K ∇×v is integrated
    exactly, the element boundary terms cancel), so the load is −(σÃ_a, v) as on straight
    elements. Then e = Ã_r − Ã_{r,h} lies in the homogeneous space and the compliance identity
    of :mod:`mqm_fem.london.estimate_3d` holds as before.
    """
    from skfem import Basis, ElementTetN0, ElementTetP1

    curved = problem.domain.curved
    basis = Basis(curved, ElementTetN0(), intorder=CURVED_INTORDER)
    if basis.N != ned.N or not np.array_equal(basis.element_dofs, ned.dofs):
        raise MeshError("internal: the curved mesh's Nédélec DOFs do not match the mesh edges")
    sc = problem.superconducting
    quad = CurvedQuadrature(
        nedelec=basis, p1=Basis(curved, ElementTetP1(), quadrature=(basis.X, basis.W)),
        p1_sc=Basis(curved, ElementTetP1(), quadrature=(basis.X, basis.W), elements=sc),
        points=np.asarray(basis.global_coordinates()))
    nq = basis.X.shape[1]
    sig_q = np.broadcast_to(sigma[:, None], (len(sigma), nq))
    matrix = london_a.assemble(basis, sigma=sig_q).tocsr()
    system = _System(matrix=matrix, load=None, nedelec=ned, dirichlet=ned.boundary_dofs(outer),
                     sigma=sigma, center=r_c, outer=outer, far_field=far_field, curved=quad)
    system.load = applied_load(problem, system)
    if options.current_density is not None:
        _add_current_load(system, options.current_density, sc, problem.length_unit)
    _add_fluxoid_load(problem, system, options)
    return system


def solve(system: _System, options: AFormulationOptions):
    """The consistent semidefinite system by :class:`mqm_fem.linalg.CurlCurlSolver`."""
    x, info, _ = solve_with_solver(system, options)
    return x, info


def solve_with_solver(system, options):
    """Solve ``system`` (``matrix``, ``load``, ``nedelec``, ``dirichlet``) with the options'
    ``solver``/``solver_tol``; returns (x, info, the set-up solver for further loads)."""
    ned = system.nedelec
    free = np.ones(ned.N, dtype=bool)
    free[system.dirichlet] = False
    free = np.flatnonzero(free)
    solver = CurlCurlSolver(system.matrix, ned, free_dofs=free, method=options.solver,
                            tol=options.solver_tol, gradient_energy=system.gradient_energy)
    # the condensed copy is all the solve needs: free the full K before the solver's set-up
    # (and the derived quantities do not need it either)
    system.matrix = None
    x, info = solver.solve(system.load)
    info["nfree"] = int(free.size)
    return x, info, solver


def derive(problem, options, system: _System, x) -> Outputs:
    """A, B = B_a + ∇×A_r, J = −χ_sA/(μ₀λ²), the moment ½∫(r − r_c)×J dV and the energies,
    in closed form on each tetrahedron (exact)."""
    mesh, ell, ned = problem.domain.mesh, problem.length_unit, system.nedelec
    field, sc, r_c, sigma = problem.applied_field, problem.superconducting, system.center, \
        system.sigma
    if system.curved is not None:
        moment_box, e_kin, e_field, b_cells, cell_j, point_data = _derive_curved(
            problem, system, x)
    else:
        a_vert = ned.vertex_values(x)  # Ã_r at the 4 vertices of every element (ne, 4, 3)
        a_vert += _applied_potential(field, mesh.p, r_c)[:, mesh.t].transpose(2, 1, 0)
        vol_sc, a_sc = ned.volume[sc], a_vert[sc]
        if system.winding is not None:  # J = σ(w̃ − Ã)/(μ₀ℓ): A − w plays the role of A
            a_sc -= ned.vertex_values(system.winding)[sc]
        j_sc = -sigma[sc, None, None] * a_sc / (MU0 * ell)  # J at the vertices (A/m²)
        r_sc = (mesh.p[:, mesh.t[:, sc]] - r_c[:, None, None]).transpose(2, 1, 0)
        moment_box = 0.5 * ell**4 * integrate_linear_product(np.cross, r_sc, j_sc, vol_sc)
        e_kin = ell**3 / (2 * MU0) * float(np.sum(
            sigma[sc] * integrate_linear_product(dot_last, a_sc, a_sc, vol_sc, total=False)))
        curls = ned.element_curls(x)  # ∇×Ã_r, constant per element
        e_field = ell**3 / (2 * MU0) * float(np.sum(ned.volume * np.sum(curls**2, axis=1)))
        b_cells = curls + field
        cell_j = np.zeros((mesh.nelements, 3))
        cell_j[sc] = j_sc.mean(axis=1)
        a_vert *= ell
        point_data = dict(zip(("A", "B"), _project_p1(mesh, ned.volume, None, [a_vert, b_cells]),
                              strict=True))
        del a_vert
        point_data["J"], = _project_p1(mesh, ned.volume, sc, [j_sc])
    work = 0.0
    if system.j_ext is not None:
        a_r_si = np.asarray(system.basis.interpolate(x)) * ell
        work = ell**3 * float(np.sum(np.sum(system.j_ext * a_r_si, axis=0) * system.basis.dx))
    scalars = {"magnetic_moment_box": (moment_box, "A*m^2"), "far_field": (system.far_field, "")}
    moment = moment_box
    trapped = bool(system.holes) and any(n for n, _ in system.holes.values())
    # the image formula takes m ∝ B_a; a trapped fluxoid's moment is not, so with both the
    # moment stays the box value and carries the truncation estimate instead
    mixed = trapped and bool(np.any(field))
    if system.far_field == "image":
        radius, _ = _spherical_outer_boundary(mesh, system.outer)
        scalars["outer_radius"] = (radius * ell, "m")
        if not mixed:
            moment, b_image = image_corrected_moment(moment_box, field, radius * ell)
            scalars["image_field"] = (b_image, "T")
    truncation, note = None, ""
    if system.far_field == "none" or mixed:
        truncation, note = box_truncation_estimate(problem, system.outer)
        if mixed:
            note = ("far_field='image' is not applied to trapped fluxoids in an applied field "
                    "(their moment is not proportional to the field); " + note)
    currents = _hole_currents(problem, system, x)
    if currents:
        scalars.update({f"hole_current_box_{name}": (value, "A")
                        for name, value in currents.items()})
        if system.far_field == "image" and not np.any(field) and len(currents) == 1:
            (name, current), = currents.items()
            moment, currents[name] = _image_corrected_loop(
                moment_box, current, system.holes[name][0], radius * ell)
    fluxes = ({} if not system.holes or system.curved is not None
              else _hole_fluxes(problem, system, x, system.axes))
    holes = {name: Hole(field=None, flux=fluxes.get(name), area=None, fluxoid=n, meshed=False,
                        current=currents[name]) for name, (n, _) in (system.holes or {}).items()}
    return Outputs(point_data=point_data, cell_data={"B": b_cells, "J": cell_j}, moment=moment,
                   energies=Energies(kinetic=e_kin, field=e_field, gibbs=e_kin + e_field - work),
                   ndofs=int(ned.N), scalars=scalars, holes=holes,
                   state={"basis": system.basis, "reaction_dofs": x, "center": r_c,
                          "far_field": system.far_field, "truncation": note},
                   truncation_estimate=truncation)


def _image_corrected_loop(moment_box, current_box, fluxoid, outer_radius):
    """Free-space moment and current of a lone loop holding ``fluxoid`` fluxoids, without an
    applied field, from the solve inside a spherical n×A_r = 0 wall of radius L (m).

    The wall adds the image field B_u = −μ₀m/(2πL³) (:func:`image_corrected_moment`), which
    threads the loop with the flux a·B_u, a = m/I its effective area (reciprocity). At fixed
    fluxoid nΦ₀ = L_free I_box + a·B_u, so L_box = nΦ₀/I_box = L_free − μ₀|m|²/(2πL³I_box²)
    to leading order in (R/L)³. Returns (m_free, I_free) with I_free = nΦ₀/L_free and
    m_free = m_box I_free/I_box. Checked in ``tests/test_fluxoid_3d.py``."""
    m = np.asarray(moment_box, dtype=float)
    if current_box == 0.0 or fluxoid == 0:
        return m.copy(), current_box
    l_box = fluxoid * PHI0 / current_box
    l_free = l_box + MU0 * float(m @ m) / (2 * np.pi * outer_radius**3 * current_box**2)
    current = fluxoid * PHI0 / l_free
    return m * (current / current_box), current


def _project_p1(mesh, volume, elements, fields):
    """L2 projections onto P1 vertex values (nvertices, 3) of fields on ``elements`` (all if
    None), one P1 mass matrix for all: each field is given by its vertex values per element
    (n, 4, 3, linear) or by one value per element (n, 3, constant). Same result as
    :func:`mqm_fem.fem.projection.project_linear` (∫λ_iλ_j = |T|(1+δ_ij)/20), with the mass
    matrix scattered once from its upper triangle with int32 indices (less memory)."""
    t = mesh.t if elements is None else mesh.t[:, elements]
    vol = (volume if elements is None else volume[elements]) / 20.0
    index = np.int32 if mesh.nvertices < 2**31 else np.int64
    ti = t.astype(index)
    iu, ju = np.triu_indices(4)
    # upper-triangle entries: vol·(1 + δ_ij), the diagonal halved for M = U + Uᵀ -> all vol
    rows, cols = np.minimum(ti[iu], ti[ju]).ravel(), np.maximum(ti[iu], ti[ju]).ravel()
    upper = sp.coo_matrix((np.broadcast_to(vol, (len(iu), len(vol))).ravel(), (rows, cols)),
                          shape=(mesh.nvertices, mesh.nvertices)).tocsr()
    del rows, cols
    upper.sum_duplicates()
    M = (upper + upper.T.tocsr()).tocsr()
    del upper
    active = np.unique(ti)
    out = []
    for values in fields:
        rhs = np.zeros((mesh.nvertices, 3))
        for k in range(3):
            if values.ndim == 2:  # constant per element: ∫ F λ_i = 5 vol F for every vertex
                w = np.broadcast_to(5.0 * vol * values[:, k], (4, len(vol)))
            else:
                w = vol * (values[:, :, k] + values[:, :, k].sum(axis=1, keepdims=True)).T
            rhs[:, k] = np.bincount(ti.ravel(), weights=w.ravel(), minlength=mesh.nvertices)
        out.append(solve_mass(M, rhs, active))
    return out


def _derive_curved(problem, system: _System, x):
    """The derived quantities of :func:`derive` by quadrature on the curved elements: the box
    moment ½∫(r − r_c)×J dV, E_kin, E_m, element averages of B and J, and L²-projections of
    A, B, J onto continuous (isoparametric) P1, whose DOFs are the vertex values."""
    from ..fem.recovery import recover

    ell, sc, sigma = problem.length_unit, problem.superconducting, system.sigma
    quad: CurvedQuadrature = system.curved
    basis = quad.nedelec
    field_q = basis.interpolate(x)
    curl = np.asarray(field_q.curl)  # ∇×Ã_r (3, ne, nq)
    a_total = np.asarray(field_q) + _applied_potential(problem.applied_field, quad.points,
                                                              system.center)
    quad.a_total, quad.curl = a_total, curl  # kept for the error estimate
    dx = basis.dx
    a_sc = a_total[:, sc]
    if system.winding is not None:  # J = σ(w̃ − Ã)/(μ₀ℓ)
        a_sc = a_sc - np.asarray(basis.interpolate(system.winding))[:, sc]
    j_sc = -sigma[sc][None, :, None] * a_sc / (MU0 * ell)  # (3, nsc, nq) A/m²
    r_sc = quad.points[:, sc] - system.center[:, None, None]
    moment_box = 0.5 * ell**4 * np.einsum("ieq,eq->i", np.cross(r_sc, j_sc, axis=0), dx[sc])
    e_kin = ell**3 / (2 * MU0) * float(np.sum(sigma[sc, None] * np.sum(a_sc**2, axis=0)
                                              * dx[sc]))
    e_field = ell**3 / (2 * MU0) * float(np.sum(np.sum(curl**2, axis=0) * dx))
    volume = dx.sum(axis=1)
    b_q = curl + problem.applied_field[:, None, None]
    b_cells = (np.einsum("ieq,eq->ei", b_q, dx) / volume[:, None])
    cell_j = np.zeros((problem.domain.mesh.nelements, 3))
    cell_j[sc] = np.einsum("ieq,eq->ei", j_sc, dx[sc]) / volume[sc, None]
    nv = problem.domain.mesh.nvertices
    _, a_p1 = recover(quad.p1, a_total * ell, coefficients=True)
    _, b_p1 = recover(quad.p1, b_q, coefficients=True)
    _, j_p1 = recover(quad.p1_sc, j_sc, coefficients=True)
    point_data = {"A": a_p1[:, :nv].T, "B": b_p1[:, :nv].T, "J": j_p1[:, :nv].T}
    return moment_box, e_kin, e_field, b_cells, cell_j, point_data


def box_truncation_estimate(problem, outer: np.ndarray, tolerance: float = 0.01):
    """Estimated relative moment error of the truncated box and a one-line description.

    m_box/m − 1 ≈ c f (R/L)³ with R the largest distance of a superconductor vertex from the
    superconductors' centroid, L the smallest distance from the centroid to an outer-boundary
    vertex, f = 1 − 3coth(R/λ)λ/R + 3λ²/R² (smallest λ; the sphere's factor, → 1 for R ≫ λ)
    and c = 0.64 for a box, 1 when the outer boundary is a sphere about the centroid. Exact to
    leading order for a sphere; for other bodies R is an upper bound of the effective radius,
    so the estimate errs on the large side. The description names the half-size
    L = R (c f / tolerance)^(1/3) that would keep the error below ``tolerance``.
    """
    mesh, ell = problem.domain.mesh, problem.length_unit
    center = problem.centroid()
    sc_vertices = np.unique(mesh.t[:, problem.superconducting])
    radius = float(np.linalg.norm(mesh.p[:, sc_vertices] - center[:, None], axis=0).max())
    wall = np.linalg.norm(mesh.p[:, np.unique(mesh.facets[:, outer])] - center[:, None], axis=0)
    distance = float(wall.min())
    shape = "sphere" if (wall.max() - distance) < SPHERE_TOLERANCE * wall.max() else "box"
    x = radius * ell / min(problem.penetration_depth.values())
    f = 1 - 3 / (np.tanh(x) * x) + 3 / x**2 if x > 1e-3 else x**2 / 15
    coeff = BOX_TRUNCATION_COEFFICIENT[shape] * f
    estimate = float(coeff * (radius / distance) ** 3)
    needed = radius * (coeff / tolerance) ** (1 / 3)
    note = (f"the outer boundary ({shape}) is L = {distance * ell:.3g} m from the centre of the "
            f"superconductors (bounding radius R = {radius * ell:.3g} m): the moment is "
            f"estimated {100 * estimate:.2g} % too large ({BOX_TRUNCATION_COEFFICIENT[shape]:g}"
            f"·f·(R/L)³, f = {f:.2g}); an outer boundary ≥ {needed * ell:.3g} m from the centre "
            f"keeps it below {100 * tolerance:g} % (or a spherical one with far_field='image')")
    return estimate, note


def _far_field(domain, outer, options) -> str:
    """``options.far_field`` with ``"auto"`` resolved: ``"image"`` for a spherical outer
    boundary without external current, else ``"none"``."""
    if options.far_field != "auto":
        if options.far_field == "image":
            _spherical_outer_boundary(domain.mesh, outer)  # refuses a non-spherical boundary
        return options.far_field
    if options.current_density is not None:
        return "none"
    try:
        _spherical_outer_boundary(domain.mesh, outer)
    except ParameterError:
        return "none"
    return "image"


def _add_current_load(system: _System, current_density, sc, ell) -> None:
    """Add (μ₀ℓJ_ext, v), made consistent with the kernel of the singular system."""
    from skfem import Basis, ElementTetN0

    mesh = system.nedelec.mesh
    basis = system.curved.nedelec if system.curved is not None else Basis(mesh, ElementTetN0())
    x_all = np.asarray(basis.global_coordinates())
    j_ext = _call_current_density(current_density, x_all * ell)
    f_ext = vector_load.assemble(basis, f=MU0 * ell * j_ext)
    system.load = system.load + _consistent_load(basis, f_ext, sc, system.outer)
    system.j_ext, system.basis = j_ext, basis


def image_corrected_moment(moment_box, applied_field, outer_radius):
    r"""Free-space moment from the moment computed inside a spherical B·n = 0 wall.

    Inside a sphere of radius L on which n×A_r = 0 (hence B_r·n = 0), a dipole m at the centre
    has the field of the free dipole plus the uniform image field B_u = −μ₀ m/(2πL³) (this
    cancels the dipole's normal component μ₀ 2m cosθ/(4πL³) on the wall). The sample therefore
    responds to B_a + B_u: m_box = α (B_a + B_u), while m_free = α B_a. For an isotropic
    polarisability (exact for the sphere, whose exterior field is a pure dipole) with
    α_box = m_box·B_a/|B_a|² this gives

        m_free = m_box / (1 − μ₀ α_box / (2πL³)),

    e.g. m_free = m_box (1 − f (R/L)³) for a sphere of radius R (α = −2πR³f/μ₀). For an
    anisotropic body it is the leading-order correction (exact when B_a is along a principal
    axis). Returns (m_free, B_u) in A·m² and T. Checked in ``tests/test_london_3d.py``
    (``test_image_correction_removes_box_error``).
    """
    m = np.asarray(moment_box, dtype=float)
    b = np.asarray(applied_field, dtype=float)
    b_image = -MU0 * m / (2 * np.pi * outer_radius**3)
    b2 = float(b @ b)
    if b2 == 0.0:
        return m.copy(), b_image
    alpha_box = float(m @ b) / b2
    return m / (1.0 - MU0 * alpha_box / (2 * np.pi * outer_radius**3)), b_image


def evaluate_fields(solution: LondonSolution, points):
    """Total A (T·m) and B (T) of an A-formulation solution at ``points`` (3, n) in metres.

    Evaluated from the Nédélec solution itself (not the vertex projections): A = A_a + A_r,
    B = B_a + ∇×A_r. Points must lie inside the mesh (a point on a face shared by two elements
    takes the values of the one it is deeper inside). Returns two arrays of shape (3, n).
    On a curved domain the DOFs are evaluated on the straight elements of ``domain.mesh``
    (identical away from curved boundaries; O(h²) different in elements with a curved face).
    Memory and time grow linearly with the number of points (the points are located and
    evaluated in chunks of ``_PROBE_CHUNK``); points outside the mesh raise
    :class:`~mqm_fem.errors.ParameterError`.
    """
    if solution.formulation != "A":
        raise ParameterError(
            "evaluate_fields: needs a solution of the 'A' formulation, got "
            f"{solution.formulation!r}"
        )
    state = solution.outputs.state
    ell = solution.domain.length_unit
    pts = np.asarray(points, dtype=float).reshape(3, -1) / ell
    probe = state.get("probe")
    if probe is None:  # on the straight mesh, also when the solve used curved elements
        probe = state["probe"] = _Probe(solution.domain.mesh)
    cells = probe.locate(pts, ell)
    x = state["reaction_dofs"]
    field = np.asarray(solution.applied_field)
    a_r, curl = np.empty_like(pts), np.empty_like(pts)
    for start in range(0, pts.shape[1], _PROBE_CHUNK):
        chunk = slice(start, start + _PROBE_CHUNK)
        a_r[:, chunk], curl[:, chunk] = probe.values(x, pts[:, chunk], cells[chunk])
    a = (a_r + _applied_potential(field, pts, state["center"])) * ell
    return a, curl + field[:, None]


_PROBE_CHUNK = 8192  # points located / evaluated at once by evaluate_fields (memory ∝ chunk)
_PROBE_CANDIDATES = (10, 100)  # nearest element centroids tried per point, then more
_PROBE_INSIDE = 1e-10  # barycentric tolerance: a point this far outside an element is in it


class _Probe:
    """Point location and lowest-order Nédélec evaluation on a straight tetrahedral mesh, with
    memory linear in the number of points (scikit-fem's ``Basis.probes`` tests every candidate
    element of every point against every point: a points × candidates array, 27 GiB for 23k
    points). The element of a point is searched among the elements with the nearest centroids
    (a k-d tree), then, for a point not found there, among all elements whose circumscribing
    ball about their centroid holds it — an exhaustive search, so a point reported outside the
    mesh is outside it."""

    def __init__(self, mesh):
        from scipy.spatial import cKDTree
        from skfem import ElementTetN0
        from skfem.assembly import Dofs
        from skfem.mapping import MappingAffine

        self.mesh = mesh
        self.element = ElementTetN0()
        self.mapping = MappingAffine(mesh)
        self.dofs = Dofs(mesh, self.element).element_dofs  # (6, nelements)
        centroids = mesh.p[:, mesh.t].mean(axis=1)  # (3, nelements)
        self.tree = cKDTree(centroids.T)
        self.reach = np.sqrt(np.max(np.sum(
            (mesh.p[:, mesh.t] - centroids[:, None, :]) ** 2, axis=0), axis=0))
        self.lower, self.upper = mesh.p.min(axis=1), mesh.p.max(axis=1)

    def _depth(self, pts, elements):
        """The smallest barycentric coordinate of each point ``pts`` (3, m) in each of its
        candidate ``elements`` (m, k): ≥ 0 inside, < 0 outside."""
        m, k = elements.shape
        ref = self.mapping.invF(np.repeat(pts, k, axis=1)[:, :, None], tind=elements.ravel())
        ref = ref[:, :, 0]
        return np.minimum(ref.min(axis=0), 1 - ref.sum(axis=0)).reshape(m, k)

    def locate(self, pts, ell):
        """The element holding each point ``pts`` (3, n) in mesh units; a point outside the
        mesh is refused (points outside its bounding box before any search)."""
        n, nel = pts.shape[1], self.mesh.nelements
        tol = _PROBE_INSIDE * float(np.max(self.upper - self.lower))
        beyond = np.flatnonzero(np.any((pts < self.lower[:, None] - tol)
                                       | (pts > self.upper[:, None] + tol), axis=0))
        if beyond.size:
            raise self._outside(f"{beyond.size} of {n} point(s) lie", pts[:, beyond[0]], ell)
        cells = np.full(n, -1, dtype=np.int64)
        for start in range(0, n, _PROBE_CHUNK):
            todo = np.arange(start, min(start + _PROBE_CHUNK, n))
            for k in _PROBE_CANDIDATES:
                if not todo.size:
                    break
                k = min(k, nel)
                _, near = self.tree.query(pts[:, todo].T, k)
                near = near.reshape(todo.size, k)
                depth = self._depth(pts[:, todo], near)
                best = np.argmax(depth, axis=1)  # deepest; ties: nearest centroid
                found = depth[np.arange(todo.size), best] >= -_PROBE_INSIDE
                cells[todo[found]] = near[found, best[found]]
                todo = todo[~found]
                if k == nel:
                    break
            for i in todo:  # rare: not in the elements with the nearest centroids
                cells[i] = self._search_all(pts[:, i])
                if cells[i] < 0:
                    raise self._outside(f"point {i} of {n} lies", pts[:, i], ell)
        return cells

    def _outside(self, what, point, ell):
        x = point * ell
        return ParameterError(
            f"evaluate_fields: {what} outside the mesh (first: ({x[0]:.6g}, {x[1]:.6g}, "
            f"{x[2]:.6g}) m; the mesh spans {np.array2string(self.lower * ell, precision=4)} "
            f"to {np.array2string(self.upper * ell, precision=4)} m); give points inside the "
            "meshed domain"
        )

    def _search_all(self, point) -> int:
        """The deepest element holding ``point`` among all elements, or -1 (outside)."""
        near = np.asarray(self.tree.query_ball_point(point, float(self.reach.max()) * (1 + 1e-9)),
                          dtype=np.int64)
        centroids = self.tree.data[near].T
        near = near[np.sum((centroids - point[:, None]) ** 2, axis=0)
                    <= (self.reach[near] * (1 + 1e-9)) ** 2]
        if not near.size:
            return -1
        depth = self._depth(point[:, None], near[None, :])[0]
        best = int(np.argmax(depth))
        return int(near[best]) if depth[best] >= -_PROBE_INSIDE else -1

    def values(self, x, pts, cells):
        """Ã_r = Σ x_k φ_k and ∇×Ã_r at ``pts`` (3, m) in their elements ``cells``."""
        ref = self.mapping.invF(pts[:, :, None], tind=cells)
        value, curl = np.zeros_like(pts), np.zeros_like(pts)
        for k in range(self.dofs.shape[0]):
            phi, = self.element.gbasis(self.mapping, ref, k, tind=cells)
            weight = x[self.dofs[k, cells]]
            value += weight * np.asarray(phi)[:, :, 0]
            curl += weight * phi.curl[:, :, 0]
        return value, curl


# ----------------------------------------------------------------------------------------------
# trapped fluxoids
# ----------------------------------------------------------------------------------------------
def _axis(value, what: str) -> tuple[np.ndarray, np.ndarray]:
    """((x, y, z), (dx, dy, dz)) -> (point, unit direction), refusing anything else."""
    try:
        point, direction = (np.asarray(v, dtype=float) for v in value)
    except (TypeError, ValueError):
        point = direction = np.empty(0)
    if point.shape != (3,) or direction.shape != (3,) or not np.all(np.isfinite(point)) \
            or not np.all(np.isfinite(direction)) or not np.any(direction):
        raise ParameterError(
            f"{what}: expected ((x, y, z), (dx, dy, dz)) — a point in the hole and a nonzero "
            f"axis direction, in mesh units — got {value!r}")
    return point, direction / np.linalg.norm(direction)


def wall_axis(mesh, facets) -> tuple[np.ndarray, np.ndarray]:
    """The axis of a hole from the facets of its wall: through the wall's area centroid, along
    the direction least represented by the facet normals (eigenvector of the smallest
    eigenvalue of Σ area·n nᵀ; for a cylindrical or prismatic wall its axis), oriented so that
    its largest component is positive (a hole through a film in the xy plane: +z)."""
    tri = mesh.p[:, mesh.facets[:, facets]]  # (3, 3 vertices, nf)
    c = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], axis=0)  # 2·area·n
    norm = np.linalg.norm(c, axis=0)
    area = 0.5 * norm
    centroid = (tri.mean(axis=1) * area).sum(axis=1) / area.sum()
    tensor = (c / np.where(norm > 0, norm, 1)) * np.sqrt(area)
    _, vectors = np.linalg.eigh(tensor @ tensor.T)
    direction = vectors[:, 0]
    if direction[np.argmax(np.abs(direction))] < 0:
        direction = -direction
    return centroid, direction


def hole_axes(domain: Domain, overrides=None) -> dict:
    """Hole name -> (point, unit direction) in mesh units: the holes a generator recorded
    (:func:`mqm_fem.mesh.geometry.recorded_holes`, e.g. the torus), every facet group
    ``<name>_boundary`` taken as the wall of hole ``<name>`` (:func:`wall_axis`; e.g.
    ``hole_k_boundary`` of ``film_in_box``), and ``overrides`` (the ``hole_axes`` option)."""
    from ..mesh.geometry import recorded_holes

    axes = {name: _axis(axis, f"hole {name!r}") for name, axis in recorded_holes(domain).items()}
    for group, facets in domain.boundaries.items():
        if group.endswith("_boundary") and len(facets) and group != "_boundary":
            axes[group[:-len("_boundary")]] = wall_axis(domain.mesh, np.asarray(facets))
    for name, axis in (overrides or {}).items():
        axes[name] = _axis(axis, f"hole_axes[{name!r}]")
    return axes


def _add_fluxoid_load(problem, system: _System, options: AFormulationOptions) -> None:
    """Trapped fluxoids: w = Σ_h n_h Φ₀ ∇φ_h/2π (``winding_form`` on the superconductor's
    edges, scaled like Ã: edge DOFs n Φ₀ turns/ℓ²), and the load (σw̃, v). Every hole whose
    axis keeps clear of the superconductor is kept (its current is reported, n = 0 unless
    given); a hole named in ``fluxoids`` or ``hole_axes`` must keep clear."""
    domain, sc = problem.domain, problem.superconducting
    requested = set(options.fluxoids or {}) | set(options.hole_axes or {})
    axes = hole_axes(domain, options.hole_axes)
    names = list(axes)
    numbers = values_by_name(options.fluxoids, names, "fluxoids", "hole", fluxoid_number)
    mesh = domain.mesh
    # the superconductor's edges, only when there are holes (≈5 ms at 50k edges)
    sc_edges = index_set(mesh.t2e[:, sc], mesh.nedges) if names else np.zeros(0, dtype=np.int64)
    holes = {}
    for name, n in zip(names, numbers, strict=True):
        point, direction = axes[name]
        unit = np.zeros(mesh.nedges)
        unit[sc_edges] = winding_form(mesh.p, mesh.edges[:, sc_edges], point, direction)
        try:
            check_clearance(mesh.p, mesh.edges[:, sc_edges], point, direction,
                            f"hole {name!r}")
        except ParameterError as exc:
            if name in requested:
                raise ParameterError(
                    f"{exc} (hole_axes[{name!r}] = ((x, y, z), (dx, dy, dz)) in mesh units sets "
                    "it)" if name not in (options.hole_axes or {}) else str(exc)) from None
            continue
        holes[name] = (float(n), unit)
    system.holes = holes
    system.axes = {name: axes[name] for name in holes}
    if not any(n for n, _ in holes.values()):
        return
    w = PHI0 / problem.length_unit**2 * sum(n * unit for n, unit in holes.values())
    system.winding = w
    if system.curved is None:
        system.load = system.load + system.nedelec.mass_apply(system.sigma, w)
    else:
        quad = system.curved
        nq = quad.nedelec.X.shape[1]
        sig_q = np.broadcast_to(system.sigma[:, None], (len(system.sigma), nq))
        w_q = np.asarray(quad.nedelec.interpolate(w))
        system.load = system.load + vector_load.assemble(quad.nedelec, f=sig_q[None] * w_q)


#: points on the circle along which the flux through a hole is integrated
FLUX_CIRCLE_POINTS = 256


def nedelec_at(ned: NedelecTet, vec, points, candidates: int = 24):
    """Values (3, n) of the Nédélec field ``vec`` at ``points`` (3, n, mesh units) from the
    closed-form Whitney functions, with memory linear in n (the element of each point among its
    ``candidates`` nearest element centroids); NaN for a point in none of them."""
    from scipy.spatial import cKDTree

    mesh = ned.mesh
    tree = getattr(mesh, "_mqm_centroid_tree", None)
    if tree is None:
        tree = cKDTree(mesh.p[:, mesh.t].mean(axis=1).T)
        mesh._mqm_centroid_tree = tree
    pts = np.asarray(points, dtype=float).reshape(3, -1)
    _, near = tree.query(pts.T, k=min(candidates, mesh.nelements))
    near = near.reshape(pts.shape[1], -1)
    out = np.full(pts.shape, np.nan)
    found = np.zeros(pts.shape[1], dtype=bool)
    for column in near.T:
        todo = np.flatnonzero(~found)
        if not len(todo):
            break
        elements = column[todo]
        g = ned._grads_chunk(elements)  # (4, 3, n)
        rel = pts[:, todo] - mesh.p[:, mesh.t[0, elements]]
        lam = np.empty((4, len(todo)))
        lam[1:] = np.einsum("kin,in->kn", g[1:], rel)
        lam[0] = 1.0 - lam[1:].sum(axis=0)
        inside = np.all(lam >= -1e-9, axis=0)
        value = np.zeros((3, len(todo)))
        for k, (a, b) in enumerate(TET_EDGES):
            coeff = vec[ned.dofs[k, elements]] * ned._sign[k, elements]
            value += coeff * (lam[a] * g[b] - lam[b] * g[a])
        hit = todo[inside]
        out[:, hit] = value[:, inside]
        found[hit] = True
    return out


def _hole_fluxes(problem, system: _System, x, axes) -> dict:
    """Hole name -> flux ∮A·dl (Wb) around the circle about the hole's axis, in the plane
    through its axis point, just inside the superconductor's nearest vertex (the flux through
    the hole's narrowest section: a film hole's wall, a torus's inner equator); None when the
    circle leaves the mesh."""
    mesh, ell = problem.domain.mesh, problem.length_unit
    sc_vertices = np.unique(mesh.t[:, problem.superconducting])
    theta = np.linspace(0, 2 * np.pi, FLUX_CIRCLE_POINTS, endpoint=False)
    out = {}
    for name in system.holes:
        point, direction = axes[name]
        a_dir = direction / np.linalg.norm(direction)
        e1 = np.cross(a_dir, np.eye(3)[int(np.argmin(np.abs(a_dir)))])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(a_dir, e1)
        rel = mesh.p[:, sc_vertices] - point[:, None]
        radius = (1 - 1e-3) * float(np.min(np.linalg.norm(
            rel - np.outer(a_dir, a_dir @ rel), axis=0)))
        circle = (point[:, None] + radius * (np.outer(e1, np.cos(theta))
                                             + np.outer(e2, np.sin(theta))))
        tangent = radius * (np.outer(-e1, np.sin(theta)) + np.outer(e2, np.cos(theta)))
        a_r = nedelec_at(system.nedelec, x, circle)
        if not np.all(np.isfinite(a_r)):
            out[name] = None
            continue
        a_tot = a_r + _applied_potential(problem.applied_field, circle, system.center)
        out[name] = float(ell**2 * np.sum(a_tot * tangent) * (2 * np.pi / len(theta)))
    return out


def _applied_dofs(mesh, field_, r_c) -> np.ndarray:
    """Edge DOFs of Ã_a = ½B_a×(r − r_c) (exact in lowest-order Nédélec)."""
    a_vertices = _applied_potential(field_, mesh.p, r_c)
    edge_vec = mesh.p[:, mesh.edges[1]] - mesh.p[:, mesh.edges[0]]
    return 0.5 * np.sum(edge_vec * (a_vertices[:, mesh.edges[0]]
                                    + a_vertices[:, mesh.edges[1]]), axis=0)


def _hole_currents(problem, system: _System, x) -> dict:
    """Hole name -> circulating current I_h = ∫ J·ŵ_h dV (A), J = σ(w̃ − Ã)/(μ₀ℓ) over the
    superconductors, ŵ_h = ∇φ_h/2π the hole's unit winding form (1/m): by ∇·J = 0 and
    J·n = 0 on the surface it is the net current through any cut from the hole to the outside
    (discretely: the weak equation tested with discrete gradients makes J weakly
    divergence-free, so a body that does not enclose the axis contributes exactly 0).
    In mesh units I = (ℓ/μ₀) ŵᵀ M_σ (w̃ − Ã)."""
    if not system.holes:
        return {}
    ell = problem.length_unit
    w = system.winding if system.winding is not None else 0.0
    if system.curved is None:
        a_total = x + _applied_dofs(problem.domain.mesh, problem.applied_field, system.center)
        moment = system.nedelec.mass_apply(system.sigma, w - a_total)
    else:
        quad = system.curved
        nq = quad.nedelec.X.shape[1]
        sig_q = np.broadcast_to(system.sigma[:, None], (len(system.sigma), nq))
        w_q = np.asarray(quad.nedelec.interpolate(w)) if system.winding is not None else 0.0
        moment = vector_load.assemble(quad.nedelec, f=sig_q[None] * (w_q - quad.a_total))
    return {name: ell / MU0 * float(unit @ moment) for name, (_, unit) in system.holes.items()}


# ----------------------------------------------------------------------------------------------
# checks and geometry helpers
# ----------------------------------------------------------------------------------------------
def _outer_facets(domain: Domain) -> np.ndarray:
    if "outer" in domain.boundaries:
        return np.asarray(domain.boundaries["outer"])
    return domain.mesh.boundary_facets()


def _check_vacuum(domain: Domain, sc: np.ndarray, outer: np.ndarray) -> None:
    mesh = domain.mesh
    if len(sc) == mesh.nelements:
        raise MeshError(
            "the A-formulation needs a vacuum region around the superconductors, but every "
            f"element is superconducting (regions: {', '.join(domain.regions)}); add a vacuum "
            "region (named vacuum*/air*) or use formulation='B' (field prescribed on the "
            "superconductor's surface)"
        )
    in_sc = np.zeros(mesh.nvertices, dtype=bool)
    in_sc[mesh.t[:, sc]] = True
    touching = np.flatnonzero(in_sc[np.unique(mesh.facets[:, outer])])
    if len(touching):
        raise MeshError(
            f"the superconductor touches the outer boundary at {len(touching)} vertices; the "
            "A-formulation needs vacuum all around the superconductors (n×A_r = 0 on the outer "
            "boundary): enlarge the vacuum box, or use formulation='B'"
        )


def _center(center, length_unit) -> np.ndarray:
    """Gauge centre in metres (3 numbers or strings with units) -> mesh units."""
    return parse_vector(center, "length", "center", dim=3) / length_unit


def _applied_potential(field, x, r_c):
    """Ã_a = ½ B_a × (x − r_c) at points x (3, ...) in mesh units; tesla."""
    rel = x - r_c.reshape((3,) + (1,) * (x.ndim - 1))
    return 0.5 * np.cross(np.broadcast_to(field.reshape((3,) + (1,) * (x.ndim - 1)), rel.shape),
                          rel, axis=0)


def _call_current_density(current_density, points_m):
    shape = points_m.shape
    flat = points_m.reshape(3, -1)
    values = np.asarray(current_density(flat), dtype=float)
    if values.shape != flat.shape:
        raise ParameterError(
            f"current_density: the callable must return an array of shape (3, n) = {flat.shape} "
            f"for points of shape (3, n), got {values.shape}"
        )
    return values.reshape(shape)


def _consistent_load(basis, load, sc, outer):
    """Remove the part of a load that acts on the kernel of the singular system.

    The kernel consists of the gradients ∇p of P1 functions p that vanish on the outer
    (Dirichlet) boundary and are constant on each connected superconductor (∇p = 0 there):
    one free value per vacuum vertex off the outer boundary plus one "floating" value per
    superconducting component. With Z the vertex -> kernel-coordinate map, the discrete
    gradient G, Gk = G Z and the Nédélec mass M, the projected load f − M Gk (GkᵀMGk)⁻¹ Gkᵀf
    satisfies Gkᵀf = 0, i.e. it is consistent. For a divergence-free J_ext that does not flow
    into the superconductors this removes only discretisation noise.
    """
    from scipy.sparse.csgraph import connected_components

    mesh = basis.mesh
    nv = mesh.nvertices
    sc_vertices = np.unique(mesh.t[:, sc])
    on_outer = np.zeros(nv, dtype=bool)
    on_outer[np.unique(mesh.facets[:, outer])] = True
    free = np.ones(nv, dtype=bool)
    free[sc_vertices] = False
    free &= ~on_outer
    # superconducting components: connected through shared vertices
    ne = len(sc)
    incidence = sp.csr_matrix((np.ones(4 * ne), (np.repeat(np.arange(ne), 4),
                                                  mesh.t[:, sc].T.ravel())), shape=(ne, nv))
    ncomp, label = connected_components(incidence @ incidence.T, directed=False)
    vacuum_cols = np.flatnonzero(free)
    rows = np.concatenate([vacuum_cols, sc_vertices])
    comp_of_vertex = np.zeros(nv, dtype=np.int64)
    comp_of_vertex[mesh.t[:, sc].T.ravel()] = np.repeat(label, 4)
    cols = np.concatenate([np.arange(len(vacuum_cols)),
                           len(vacuum_cols) + comp_of_vertex[sc_vertices]])
    Z = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(nv, len(vacuum_cols) + ncomp))

    M = vector_mass.assemble(basis).tocsr()
    Gk = (discrete_gradient(basis) @ Z).tocsr()
    L = (Gk.T @ M @ Gk).tocsr()  # P1 Laplacian on the kernel coordinates: SPD
    phi, _ = solve_spd(L, Gk.T @ load, tol=1e-12)
    return load - M @ (Gk @ phi)


def _spherical_outer_boundary(mesh, outer):
    """Radius (mesh units) and centre of a spherical outer boundary (least-squares fit)."""
    pts = mesh.p[:, np.unique(mesh.facets[:, outer])]
    design = np.column_stack([2 * pts.T, np.ones(pts.shape[1])])
    sol, *_ = np.linalg.lstsq(design, np.sum(pts**2, axis=0), rcond=None)
    center = sol[:3]
    radius = float(np.sqrt(sol[3] + center @ center))
    dev = np.abs(np.linalg.norm(pts - center[:, None], axis=0) - radius).max()
    if not np.isfinite(radius) or dev > SPHERE_TOLERANCE * radius:
        raise ParameterError(
            "far_field='image' needs a spherical outer boundary (vertices on one sphere within "
            f"{SPHERE_TOLERANCE:g} of its radius; here they deviate by up to {dev:.3g} mesh units "
            "from the best-fit sphere): mesh the vacuum as a ball (e.g. "
            "geometry.sphere_in_box(..., outer='sphere')) or use far_field='none'"
        )
    return radius, center


# ----------------------------------------------------------------------------------------------
# linear solve and projections (shared with bfield)
# ----------------------------------------------------------------------------------------------


def hole_names(problem, options) -> list[str]:
    """The holes a solve keeps (:func:`_add_fluxoid_load`: axes clear of the superconductor),
    in its order, without solving."""
    mesh, sc = problem.domain.mesh, problem.superconducting
    if not len(sc):
        return []
    edges = mesh.edges[:, np.unique(mesh.t2e[:, sc])]
    names = []
    for name, (point, direction) in hole_axes(problem.domain, options.hole_axes).items():
        try:
            check_clearance(mesh.p, edges, point, direction, f"hole {name!r}")
        except ParameterError:
            continue
        names.append(name)
    return names


register(Formulation(
    name="A", dim=3,
    equation="∇×∇×A + χ_s λ⁻² A = μ₀J_ext, A = ½B_a×r + A_r, n×A_r = 0 on the outer boundary",
    auto_rule="3D mesh with a vacuum region (vacuum*/air*/hole*)",
    auto=lambda domain, field: any(map(is_vacuum_name, domain.regions)),
    applied=three_component_field, options=AFormulationOptions,
    assemble=assemble, solve=solve, derive=derive, estimate=estimate_a, holes=hole_names))
