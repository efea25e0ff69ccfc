r"""3D London screening in the vector-potential (A) formulation (physics.md §1a).

Equation (SI), superconductors Ω_s (χ_s = 1, penetration depth λ per region) in vacuum Ω_v::

    ∇×∇×A + χ_s λ⁻² A = μ₀ J_ext        (London gauge ∇θ = 0: J = −χ_s A/(μ₀λ²))

For a simply connected superconductor this is the London state; for a ring or a film with a
hole it is the zero-fluxoid (zero-field-cooled) state, ∮(A + μ₀λ²J)·dl = 0 around the hole.

With a uniform applied field B_a the total potential is A = A_a + A_r,
A_a = ½ B_a × (r − r_c) (∇×A_a = B_a, ∇×∇×A_a = 0), and the reaction potential A_r solves, for
all test fields v in lowest-order Nédélec H(curl) (``ElementTetN0``)::

    (∇×A_r, ∇×v) + (χ_s λ⁻² A_r, v) = −(χ_s λ⁻² A_a, v) + (μ₀ J_ext, v),
    n × A_r = 0 on the outer boundary (facets named ``outer``, else every boundary facet).

n × A_r = 0 makes the outer wall impenetrable to the reaction field (B_r·n = 0): a dipole m
inside a box of size L sees an image field of relative size (R/L)³, so |m_box| > |m|. Measured
(``test_box_truncation_without_image``): a sphere of radius R in a cube of half-side L has
m_box/m − 1 ≈ 0.64 f (R/L)³ (f = 1 − 3coth(R/λ)λ/R + 3λ²/R², → 1 for R ≫ λ), i.e. a cube of
half-side L ≈ 4R for 1 %. ``far_field="image"`` removes the image field for a spherical outer
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

Outputs (:class:`~mqm_fem.london.common.LondonSolution`, SI):

* point data ``A`` (T·m, total A_a + A_r), ``B`` (T, total B_a + ∇×A_r), ``J`` (A/m²,
  J = −χ_s A/(μ₀λ²), the supercurrent; zero in vacuum), L2-projected onto P1 vertex values
  (``J`` over the superconductors only, so surface vertices carry the superconductor's value);
* cell data ``B``, ``J``: element averages (∇×A_r is constant per element for N0);
* field data ``magnetic_moment`` m = ½∫(r − r_c)×J dV (A·m², the free-space estimate when
  ``far_field="image"``), ``magnetic_moment_box`` (the moment of the computed box problem),
  ``kinetic_energy`` E_k = ∫ ½μ₀λ²|J|² dV = (1/2μ₀)∫χ_s λ⁻²|A|² dV,
  ``magnetic_energy`` E_m = (1/2μ₀)∫_box |∇×A_r|² dV (energy of the reaction field B − B_a),
  and ``free_energy_G`` G = E_m + E_k − ∫ J_ext·A_r dV (J).

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
problem assembles in seconds; ``info["timings"]`` splits the wall time into assembly,
solve (AMS set-up + CG) and post-processing (``benchmarks/london_sphere.py``).

Validation: ``tests/test_london_3d.py`` (sphere moment −2πR³H₀ f(R) for R/λ = 1, 3, 10,
convergence under refinement, tilted field, energy identity, image correction).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError, ParameterError
from ..mesh import Domain
from ..units import MU0, parse_vector
from .common import (
    LondonSolution,
    applied_field_vector,
    element_lambda,
    require_dimension,
    resolve_penetration_depth,
    solve_mass,
)

FAR_FIELD = ("none", "image")

#: Relative tolerance with which the outer-boundary vertices must lie on one sphere for
#: ``far_field="image"``.
SPHERE_TOLERANCE = 1e-3

__all__ = ["FAR_FIELD", "evaluate_fields", "image_corrected_moment", "solve_a_formulation"]


def solve_a_formulation(domain: Domain, penetration_depth, applied_field, *,
                        superconductors=None, current_density=None, center=None,
                        far_field: str = "none", solver: str = "auto",
                        tol: float = 1e-10) -> LondonSolution:
    """Solve the 3D London A-formulation (physics.md §1a) on a tetrahedral ``domain``.

    Parameters
    ----------
    domain : Domain
        3D tetrahedral mesh with superconducting regions inside vacuum regions (``vacuum*``,
        ``air*``, ``hole*``). The superconductors must not touch the outer boundary.
    penetration_depth : str, float or dict
        λ (``"100 nm"`` or metres) or a mapping superconducting region -> λ.
    applied_field : sequence of 3 or str
        Uniform applied field B_a in tesla, any direction (``(0, 0, 1e-3)``, ``"0 0 1 mT"``).
    superconductors : list of str, optional
        Superconducting regions (default: every region not named vacuum*/air*/hole*).
    current_density : callable, optional
        External current density J_ext(x) in A/m²: takes points of shape (3, n) in metres and
        returns (3, n). Its discrete-gradient (non-solenoidal) part is removed.
    center : sequence of 3, optional
        Gauge centre r_c of A_a = ½B_a×(r − r_c) in metres (or ``"0 0 1 um"``; default: volume
        centroid of the superconductors). The moment is taken about the same point (it does
        not depend on it: ∫J dV = 0).
    far_field : {"none", "image"}
        ``"image"``: the outer boundary must be a sphere of radius L; the uniform image field
        B_u = −μ₀ m_box/(2πL³) of the B·n = 0 wall is removed from the moment
        (:func:`image_corrected_moment`). ``"none"``: the moment of the box problem.
    solver : {"auto", "direct", "ams-cg", "cg"}
        ``"direct"``/``"ams-cg"``: :func:`mqm_fem.linalg.solve_curl_curl` (ε-regularised LU;
        AMS-preconditioned CG on the singular system); ``"cg"``: Jacobi-preconditioned CG on the
        singular system; ``"auto"``: direct for small systems, AMS-CG above
        ``solvers.DIRECT_LIMIT`` unknowns with Jacobi-CG as fallback.
    tol : float
        Relative residual tolerance of iterative solves.
    """
    start = time.perf_counter()
    from skfem import Basis, ElementTetN0, LinearForm
    from skfem.helpers import dot

    _check_domain(domain, "the A-formulation")
    field = applied_field_vector(applied_field, 3)
    if far_field not in FAR_FIELD:
        raise ParameterError(f"far_field: {far_field!r} is not one of {FAR_FIELD}")
    if current_density is not None and not callable(current_density):
        raise ParameterError(
            "current_density: expected a callable J_ext(points) -> (3, n) array in A/m² "
            f"(points of shape (3, n) in metres), got {type(current_density).__name__}"
        )
    if far_field == "image" and current_density is not None:
        raise ParameterError(
            "far_field='image' corrects the response to a uniform applied field; it is not "
            "available together with current_density (use far_field='none' and a larger box)"
        )
    lambdas = resolve_penetration_depth(domain, penetration_depth, superconductors)
    mesh = domain.mesh
    ell = domain.length_unit
    lam = element_lambda(domain, lambdas)
    sc = np.flatnonzero(np.isfinite(lam))
    outer = _outer_facets(domain)
    _check_vacuum(domain, sc, outer)
    r_c = _centroid(mesh, sc) if center is None else _center(center, ell)

    # -- assembly: closed-form Whitney element matrices (solvers.NedelecTet; identical to
    # skfem's ElementTetN0 quadrature assembly to round-off, ≈5x faster, no basis arrays)
    from ..fem.nedelec import NedelecTet

    ned = NedelecTet(mesh)  # also builds mesh.edges / mesh.t2e (fast) for the skfem bases
    sigma = np.zeros(mesh.nelements)
    sigma[sc] = 1.0 / lam[sc] ** 2
    K = ned.assemble(sigma)
    # Ã_a = ½B_a×(r − r_c) is of the form a + b×r, which lowest-order Nédélec represents
    # exactly: its DOFs are the edge integrals t_e·(Ã_a(x_a) + Ã_a(x_b))/2, and
    # −(χ_s λ⁻² Ã_a, v) = −M_σ a_dofs.
    a_vertices = _applied_potential(field, mesh.p, r_c)
    edge_vec = mesh.p[:, mesh.edges[1]] - mesh.p[:, mesh.edges[0]]
    a_dofs = 0.5 * np.sum(edge_vec * (a_vertices[:, mesh.edges[0]]
                                      + a_vertices[:, mesh.edges[1]]), axis=0)
    f = -ned.mass_apply(sigma, a_dofs)
    dirichlet = ned.boundary_dofs(outer)
    j_ext_si = None
    basis = None
    if current_density is not None:
        basis = Basis(mesh, ElementTetN0())
        x_all = np.asarray(basis.global_coordinates())
        j_ext_si = _call_current_density(current_density, x_all * ell)

        @LinearForm
        def current_load(v, w):
            return dot(w["mu0_l_j"], v)

        f_ext = current_load.assemble(basis, mu0_l_j=MU0 * ell * j_ext_si)
        f = f + _consistent_load(basis, f_ext, sc, outer)

    t_assembled = time.perf_counter()
    x, solve_info = _solve_curl_curl(K, f, ned, dirichlet, tol=tol, method=solver)
    t_solved = time.perf_counter()
    del K

    # -- derived fields (scaled units: Ã in T, lengths in mesh units) ------------------------
    # Closed forms on each tetrahedron (no skfem basis arrays): Ã_r and Ã_a are linear on an
    # element, given by their vertex values F_i, so ∫ F·G dV = |T|/20 (Σ F_i·G_i + ΣF_i·ΣG_i)
    # (from ∫λ_iλ_j = |T|(1+δ_ij)/20) — the same numbers as exact quadrature.
    a_vert = ned.vertex_values(x)  # Ã_r at the 4 vertices of every element (ne, 4, 3)
    a_vert += _applied_potential(field, mesh.p, r_c)[:, mesh.t].transpose(2, 1, 0)
    vol_sc = ned.volume[sc]
    a_sc = a_vert[sc]  # total Ã on the superconductors
    j_sc = -sigma[sc, None, None] * a_sc / (MU0 * ell)  # J at the vertices (A/m²)
    r_sc = (mesh.p[:, mesh.t[:, sc]] - r_c[:, None, None]).transpose(2, 1, 0)
    moment_box = 0.5 * ell**4 * _integrate_bilinear(np.cross, r_sc, j_sc, vol_sc)
    e_kin = ell**3 / (2 * MU0) * float(np.sum(
        sigma[sc] * _integrate_bilinear(_dot, a_sc, a_sc, vol_sc, total=False)))
    curls = ned.element_curls(x)  # ∇×Ã_r, constant per element
    e_mag = ell**3 / (2 * MU0) * float(np.sum(ned.volume * np.sum(curls**2, axis=1)))
    work_ext = 0.0
    if j_ext_si is not None:
        a_r_si = np.asarray(basis.interpolate(x)) * ell
        work_ext = ell**3 * float(np.sum(np.sum(j_ext_si * a_r_si, axis=0) * basis.dx))
    free_energy = e_mag + e_kin - work_ext

    field_data = {
        "magnetic_moment": moment_box,
        "magnetic_moment_box": moment_box,
        "kinetic_energy": e_kin,
        "magnetic_energy": e_mag,
        "free_energy_G": free_energy,
    }
    units = {"A": "T*m", "B": "T", "J": "A/m^2", "magnetic_moment": "A*m^2",
             "magnetic_moment_box": "A*m^2", "kinetic_energy": "J", "magnetic_energy": "J",
             "free_energy_G": "J"}
    if far_field == "image":
        radius, sphere_center = _spherical_outer_boundary(mesh, outer)
        m_free, b_image = image_corrected_moment(moment_box, field, radius * ell)
        field_data.update(magnetic_moment=m_free, image_field=b_image,
                          outer_radius=radius * ell)
        units.update(image_field="T", outer_radius="m")

    # point data: L2 projection onto P1; cell data: element averages
    b_cells = curls + field
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc] = j_sc.mean(axis=1)
    all_elements = np.arange(mesh.nelements)
    point_data = {
        "A": _project_linear(mesh, ned.volume, all_elements, a_vert * ell),
        "B": _project_linear(mesh, ned.volume, all_elements,
                             np.repeat(b_cells[:, None, :], 4, axis=1)),
        "J": _project_linear(mesh, ned.volume, sc, j_sc),
    }
    end = time.perf_counter()
    timings = {"assembly_s": t_assembled - start, "solve_s": t_solved - t_assembled,
               "postprocess_s": end - t_solved}
    # the linear solver's own time_s is timings["solve_s"]; time_s is the whole solve
    info = {**solve_info, "ndofs": int(ned.N), "nfree": int(ned.N - len(dirichlet)),
            "time_s": round(end - start, 3), "timings": timings, "far_field": far_field,
            "center": r_c * ell, "solver": solve_info.get("method")}
    return LondonSolution(
        domain=domain, formulation="A", penetration_depth=lambdas, applied_field=field,
        point_data=point_data, cell_data={"B": b_cells, "J": cell_j}, field_data=field_data,
        units=units, info=info,
        extras={"basis": basis, "reaction_dofs": x, "center": r_c, "length_unit": ell},
        # basis: the skfem Basis(mesh, ElementTetN0()), built on first use by evaluate_fields
    )


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
    B = B_a + ∇×A_r. Points must lie inside the mesh. Returns two arrays of shape (3, n).
    """
    if solution.formulation != "A":
        raise ParameterError("evaluate_fields: needs a solution of solve_a_formulation")
    basis = solution.extras.get("basis")
    if basis is None:
        from skfem import Basis, ElementTetN0

        basis = solution.extras["basis"] = Basis(solution.domain.mesh, ElementTetN0())
    ell = solution.extras["length_unit"]
    pts = np.asarray(points, dtype=float).reshape(3, -1) / ell
    x = solution.extras["reaction_dofs"]
    probe = basis.probes(pts)
    a_r = (probe @ x).reshape(3, -1)
    a = (a_r + _applied_potential(np.asarray(solution.applied_field), pts,
                                  solution.extras["center"])) * ell
    tets = basis.mesh.element_finder()(*pts)
    curls = np.asarray(basis.interpolate(x).curl)  # constant per element (N0)
    b = curls[:, tets, 0] + np.asarray(solution.applied_field)[:, None]
    return a, b


# ----------------------------------------------------------------------------------------------
# checks and geometry helpers
# ----------------------------------------------------------------------------------------------
def _check_domain(domain, what: str) -> None:
    require_dimension(domain, 3, what)


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
            "region (named vacuum*/air*) or use solve_b_formulation (field prescribed on the "
            "superconductor's surface)"
        )
    touching = np.intersect1d(np.unique(mesh.t[:, sc]), np.unique(mesh.facets[:, outer]))
    if len(touching):
        raise MeshError(
            f"the superconductor touches the outer boundary at {len(touching)} vertices; the "
            "A-formulation needs vacuum all around the superconductors (n×A_r = 0 on the outer "
            "boundary): enlarge the vacuum box, or use solve_b_formulation"
        )


def _centroid(mesh, elements) -> np.ndarray:
    from ..mesh import element_measures

    vol = element_measures(mesh)[elements]
    mid = mesh.p[:, mesh.t[:, elements]].mean(axis=1)
    return (mid * vol).sum(axis=1) / vol.sum()


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
    from skfem import BilinearForm
    from skfem.helpers import dot

    from ..fem.nedelec import discrete_gradient
    from ..linalg.linear import solve_spd

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

    @BilinearForm
    def mass(u, v, _):
        return dot(u, v)

    M = mass.assemble(basis).tocsr()
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
def _solve_curl_curl(K, f, basis, dirichlet, *, tol=1e-10, method="auto", x_dirichlet=None):
    """Solve K x = f with x[dirichlet] = x_dirichlet (default 0) by
    :func:`mqm_fem.linalg.solve_curl_curl` (its ``auto`` policy); returns (x, info)."""
    from ..linalg.linear import solve_curl_curl

    x0 = np.zeros(basis.N)
    if x_dirichlet is not None:
        x0[dirichlet] = x_dirichlet
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    return solve_curl_curl(K, f, basis, free_dofs=free, method=method, tol=tol, x0=x0)


def _dot(a, b, axis=-1):
    return np.sum(a * b, axis=axis)


def _integrate_bilinear(product, f, g, volume, total=True):
    """∫ product(F, G) dV over elements for fields linear on each tetrahedron.

    ``f``, ``g``: vertex values (ne, 4, 3); ``product``: np.cross or :func:`_dot` (acting on
    the last axis). Uses ∫λ_iλ_j dV = |T|(1 + δ_ij)/20, so the result is exact. Returns the
    sum over elements, or per-element values when ``total`` is False.
    """
    per = (product(f, g, axis=-1).sum(axis=1)
           + product(f.sum(axis=1), g.sum(axis=1), axis=-1))
    per = per * (volume / 20.0).reshape((-1,) + (1,) * (per.ndim - 1))
    return per.sum(axis=0) if total else per


def _project_linear(mesh, volume, elements, values):
    """L2 projection onto P1 vertex values of a field linear on each of ``elements``.

    ``values``: vertex values per element (len(elements), 4, 3); P1 mass and load in closed
    form (∫λ_iλ_j = |T|(1+δ_ij)/20), Jacobi-preconditioned CG to 1e-12 (the P1 mass matrix
    is well conditioned). Vertices not touched by ``elements`` get zero. Returns
    (nvertices, 3). Equals :func:`project_to_vertices` with exact quadrature.
    """
    t = mesh.t[:, elements]
    vol = volume[elements] / 20.0
    local = vol[:, None, None] * (1.0 + np.eye(4))[None]
    rows = np.broadcast_to(t.T[:, :, None], local.shape).ravel()
    cols = np.broadcast_to(t.T[:, None, :], local.shape).ravel()
    M = sp.coo_matrix((local.ravel(), (rows, cols)),
                      shape=(mesh.nvertices, mesh.nvertices)).tocsr()
    load = vol[:, None, None] * (values + values.sum(axis=1, keepdims=True))  # ∫ F λ_i
    rhs = np.zeros((mesh.nvertices, 3))
    for k in range(3):
        rhs[:, k] = np.bincount(t.T.ravel(), weights=load[:, :, k].ravel(),
                                minlength=mesh.nvertices)
    return solve_mass(M, rhs, np.unique(t))
