"""3D London screening: A-formulation (docs/theory.md §1a) and B-formulation (§1b).

Lengths in units of λ (mesh unit 1 µm, λ = 1 µm). References (public London results):

* slab of thickness d in a parallel field: B = B₀ cosh(x/λ)/cosh(d/2λ);
* cylinder of radius R in a parallel field: B_z = B₀ I₀(r/λ)/I₀(R/λ);
* sphere of radius R in a uniform field H₀: m = −2πR³H₀ f(R), f = 1 − 3coth(R)/R + 3/R²
  (London 1950; e.g. Landau–Lifshitz vol. 8, problem to §53);
* linear response: G = −½ m·B_a;
* a spherical current shell inside a spherical B·n = 0 wall (image field, see avector.py).

Every solve goes through the public entry point ``mqm_fem.solve_london`` (with the formulation
named, so that each test exercises the formulation it validates). Each validation prints its
observed numbers; the convergence tests fit the log-log slope.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import i0
from skfem import MeshTet, MeshTri

from mqm_fem import geometry, solve_london
from mqm_fem.errors import MeshError, ParameterError, RegionNotFoundError
from mqm_fem.london.avector import image_corrected_moment
from mqm_fem.mesh import Domain, domain_from_skfem
from mqm_fem.units import MU0

UNIT = 1e-6  # mesh unit (m); λ = 1 mesh unit
LAMBDA = 1e-6
B0 = 1e-3  # T
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def a_formulation(domain, penetration_depth, applied_field, **options):
    """``solve_london`` with the vector-potential (A) formulation."""
    return solve_london(domain, penetration_depth, applied_field, formulation="A", **options)


def b_formulation(domain, penetration_depth, applied_field, **options):
    """``solve_london`` with the field (B) formulation (``applied_field=None`` with a
    ``boundary_field`` callable)."""
    return solve_london(domain, penetration_depth, applied_field, formulation="B", **options)


# ----------------------------------------------------------------------------------------------
# meshes
# ----------------------------------------------------------------------------------------------
def sphere_domain(path, radius, outer_radius, h_surface, layer, h_far=None, outer="sphere"):
    """Superconducting ball (radius R) in a vacuum ball of radius L (or a cube of half-side L):
    element size h_surface within ``layer`` of the sphere's surface (inside), graded to h_far
    in the vacuum (geometry.sphere_in_box)."""
    return geometry.sphere_in_box(radius, 2 * outer_radius, outer=outer,
                                  h=h_far or outer_radius / 4,
                                  h_sc=max(3 * h_surface, min(1.0, radius / 3)),
                                  h_surface=h_surface, surface_layer=layer, length_unit=UNIT,
                                  path=path)


def slab_domain(d, n) -> Domain:
    """Box [−d/2, d/2] × [0, 1] × [0, 1] (λ units) with named faces; h = 1/n."""
    m = MeshTet.init_tensor(np.linspace(-d / 2, d / 2, int(d * n) + 1),
                            np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
    faces = {f"{ax}{side}": (lambda x, k=k, v=v: np.isclose(x[k], v))
             for k, ax in enumerate("xyz")
             for side, v in (("min", -d / 2 if k == 0 else 0.0), ("max", d / 2 if k == 0 else 1.0))}
    m = m.with_boundaries(faces)
    return domain_from_skfem(m, UNIT, regions={"superconductor": np.arange(m.nelements)})


def sphere_f(radius):
    return 1 - 3 / (np.tanh(radius) * radius) + 3 / radius**2


def sphere_moment(radius, field=B0):
    """m_z = −2πR³H₀ f(R) in A·m² for R in λ."""
    return -2 * np.pi * (radius * UNIT) ** 3 * field / MU0 * sphere_f(radius)


def order(hs, errors):
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


def l2_error(solution, exact):
    basis, x = solution.outputs.state["basis"], solution.outputs.state["dofs"]
    tind = solution.domain.regions["superconductor"]
    from skfem import Basis, ElementTetN0

    sc_basis = Basis(basis.mesh, ElementTetN0(), elements=tind)
    b = np.asarray(sc_basis.interpolate(x))
    ref = exact(np.asarray(sc_basis.global_coordinates()))
    dx = sc_basis.dx
    return float(np.sqrt(np.sum(np.sum((b - ref) ** 2, axis=0) * dx)
                         / np.sum(np.sum(ref**2, axis=0) * dx)))


@pytest.fixture(scope="module")
def sphere3(tmp_path_factory):
    """R = 3λ in a vacuum ball of radius 4.5λ; h = 0.5λ near the surface."""
    path = tmp_path_factory.mktemp("london3d") / "sphere3.msh"
    return sphere_domain(path, 3.0, 4.5, 0.5, 1.0)


@pytest.fixture(scope="module")
def sphere3_z(sphere3):
    return a_formulation(sphere3, LAMBDA, [0, 0, B0], far_field="image")


# ----------------------------------------------------------------------------------------------
# B-formulation: slab and cylinder profiles
# ----------------------------------------------------------------------------------------------
def test_slab_profile_b_formulation():
    """d = 4λ, B ∥ z; n×B = n×B₀ẑ on the x and z faces, natural (J×n = 0) on the y faces."""
    d = 4.0

    def exact(x):
        out = np.zeros_like(x)
        out[2] = B0 * np.cosh(x[0]) / np.cosh(d / 2)
        return out

    hs, errs = [], []
    for n in (2, 4, 8):
        sol = b_formulation(slab_domain(d, n), LAMBDA, [0, 0, B0],
                            boundaries=["xmin", "xmax", "zmin", "zmax"])
        hs.append(1 / n)
        errs.append(l2_error(sol, exact))
    mean = sol.field_data["mean_field"][2] / B0
    mean_exact = 2 / d * np.tanh(d / 2)
    p = order(hs, errs)
    print(f"slab: h = {hs}, L2 errors = {np.round(errs, 5).tolist()}, order {p:.3f}; "
          f"<B>/B0 = {mean:.5f} (exact {mean_exact:.5f})")
    assert p >= 0.8
    assert errs[-1] < 0.035
    assert abs(mean - mean_exact) < 2e-3
    # J = ∇×B/μ₀ = −B₀ sinh(x)/(λ μ₀ cosh(d/2)) ŷ: x-antisymmetric, along y
    j = sol.cell_data["J"]
    assert np.abs(j[:, 1]).max() > 50 * np.abs(j[:, [0, 2]]).max()


def test_slab_callable_boundary_field():
    """The exact field prescribed as a callable on the whole surface gives the same profile."""
    d = 4.0

    def exact_mesh(x):
        out = np.zeros_like(x)
        out[2] = B0 * np.cosh(x[0]) / np.cosh(d / 2)
        return out

    errs = []
    for n in (2, 4):
        sol = b_formulation(slab_domain(d, n), "1 um", None,
                            boundary_field=lambda x: exact_mesh(x / UNIT))
        errs.append(l2_error(sol, exact_mesh))
    print(f"slab, callable B_s on all faces: L2 errors {errs}")
    assert errs[1] < 0.55 * errs[0]
    assert errs[1] < 0.07


def test_cylinder_profile_b_formulation(tmp_path):
    """R = 2λ, height 2λ, B ∥ axis; n×B = n×B₀ẑ on side and caps gives the exact I₀ profile."""
    radius = 2.0

    def exact(x):
        out = np.zeros_like(x)
        out[2] = B0 * i0(np.hypot(x[0], x[1])) / i0(radius)
        return out

    hs, errs = [], []
    for h in (0.5, 0.35, 0.25, 0.18):
        dom = geometry.cylinder(radius, 2.0, h=h, length_unit=UNIT, path=tmp_path / f"c{h}.msh")
        sol = b_formulation(dom, LAMBDA, f"0 0 {B0} T", boundaries=["side", "zmin", "zmax"])
        hs.append(h)
        errs.append(l2_error(sol, exact))
    p = order(hs, errs)
    print(f"cylinder: h = {hs}, L2 errors = {np.round(errs, 5).tolist()}, order {p:.3f}")
    assert p >= 0.8
    assert errs[-1] < 0.05


# ----------------------------------------------------------------------------------------------
# A-formulation: sphere in a uniform field
# ----------------------------------------------------------------------------------------------
SPHERE_CASES = [  # R/λ, outer radius, h at the surface, refined layer
    pytest.param(1.0, 2.5, 0.12, 0.25, id="R1"),
    pytest.param(3.0, 4.5, 0.4, 1.0, id="R3"),
    pytest.param(10.0, 13.0, 0.5, 1.0, id="R10", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("radius", "outer", "h", "layer"), SPHERE_CASES)
def test_sphere_moment(tmp_path, radius, outer, h, layer):
    dom = sphere_domain(tmp_path / "s.msh", radius, outer, h, layer)
    sol = a_formulation(dom, LAMBDA, [0, 0, B0], far_field="image")
    m = sol.magnetic_moment
    ref = sphere_moment(radius)
    err = m[2] / ref - 1
    box = sol.field_data["magnetic_moment_box"][2] / ref
    print(f"sphere R/λ = {radius:g}: {dom.mesh.nelements} tets, {sol.ndofs} edges, "
          f"m_z/m_exact = {m[2] / ref:.5f} (box {box:.5f}),"
          f" solver {sol.solver.get('method')} {sol.solver.get('iterations')} its, "
          f"{sol.timings.total_s:.1f} s")
    assert abs(err) < 0.01
    assert np.abs(m[:2]).max() < 1e-3 * abs(m[2])
    assert sol.ndofs == dom.mesh.nedges


def test_sphere_moment_convergence(tmp_path):
    """R = λ: the moment error (mesh + polyhedral geometry) falls as h² (energy functional)."""
    from mqm_fem.mesh import element_measures

    hs, errs, fe_errs = [], [], []
    for h in (0.3, 0.21, 0.15):
        dom = sphere_domain(tmp_path / f"s{h}.msh", 1.0, 2.5, h, 0.25)
        sol = a_formulation(dom, LAMBDA, [0, 0, B0], far_field="image")
        hs.append(h)
        errs.append(abs(sol.magnetic_moment[2] / sphere_moment(1.0) - 1))
        # split off the geometric part: a sphere with the meshed (polyhedral) volume
        volume = element_measures(dom.mesh)[dom.regions["superconductor"]].sum()
        r_eff = (3 * volume / (4 * np.pi)) ** (1 / 3)
        fe_errs.append(sol.magnetic_moment[2] / sphere_moment(r_eff) - 1)
    p = order(hs, errs)
    print(f"sphere R = λ: h = {hs}, relative moment errors = {np.round(errs, 5).tolist()}, "
          f"order {p:.3f}; vs a sphere of the meshed volume {np.round(fe_errs, 5).tolist()} "
          f"(order {order(hs, np.abs(fe_errs)):.2f})")
    assert p >= 1.8
    assert all(e > 0 for e in fe_errs)  # conforming FE: |m_h| ≥ |m| on the meshed body


def test_tilted_field(sphere3, sphere3_z):
    direction = np.array([1.0, -2.0, 2.0]) / 3
    sol = a_formulation(sphere3, LAMBDA, B0 * direction, far_field="image")
    m = sol.magnetic_moment
    cosine = -m @ direction / np.linalg.norm(m)
    ratio = np.linalg.norm(m) / abs(sphere3_z.magnetic_moment[2])
    angle = np.degrees(np.arccos(min(cosine, 1.0)))
    print(f"tilted field: angle(m, −B_a) = {angle:.4f}°, |m|/|m_z-solve| = {ratio:.6f}")
    assert angle < 0.5
    assert abs(ratio - 1) < 5e-3
    assert abs(np.linalg.norm(m) / abs(sphere_moment(3.0)) - 1) < 0.01


def test_penetration_depth_per_region(sphere3, sphere3_z):
    """Two superconducting regions: equal λ reproduces the one-region solve; a smaller λ in
    one half increases the screening monotonically."""
    mesh = sphere3.mesh
    sc = sphere3.regions["superconductor"]
    right = mesh.p[0, mesh.t[:, sc]].mean(axis=0) > 0
    split = Domain(mesh, UNIT, {"superconductor_0": sc[~right], "superconductor_1": sc[right],
                                "vacuum": sphere3.regions["vacuum"]}, sphere3.boundaries)
    same = a_formulation(split, {"superconductor_0": "1 um", "superconductor_1": "1um"},
                         [0, 0, B0], far_field="image")
    harder = a_formulation(split, {"superconductor_0": LAMBDA, "superconductor_1": 0.5e-6},
                           [0, 0, B0], far_field="image")
    m_one, m_same, m_hard = (s.magnetic_moment[2] for s in (sphere3_z, same, harder))
    print(f"per-region λ: equal {m_same / m_one:.12f}, λ₁ = λ/2: {m_hard / m_one:.5f}")
    assert abs(m_same / m_one - 1) < 1e-8
    assert 1.01 < m_hard / m_one < sphere_f(6.0) / sphere_f(3.0)


def test_energy_identity(sphere3, sphere3_z):
    """G = E_m + E_k equals −½ m·B_a (exact for the discrete minimiser, up to the solver
    tolerance) and the analytic box value within the discretisation error."""
    sol = sphere3_z
    fd, energies = sol.field_data, sol.energies
    g = energies.gibbs
    g_moment = -0.5 * fd["magnetic_moment_box"] @ sol.applied_field
    f = sphere_f(3.0)
    g_exact = -0.5 * sphere_moment(3.0) / (1 - f * (3.0 / 4.5) ** 3) * B0
    print(f"G = {g:.6e} J, −½m·B_a = {g_moment:.6e} J, analytic (box) {g_exact:.6e} J; "
          f"E_m = {energies.field:.4e} J, E_k = {energies.kinetic:.4e} J")
    assert energies.field > 0 and energies.kinetic > 0
    assert energies.gibbs == energies.kinetic + energies.field  # no external current
    assert (fd["gibbs_energy"], fd["field_energy"], fd["kinetic_energy"]) == (
        energies.gibbs, energies.field, energies.kinetic)  # the exported names
    shifted = a_formulation(sphere3, LAMBDA, [0, 0, B0], center="0.3 -0.2 0.5 um")
    assert np.allclose(shifted.field_data["magnetic_moment_box"], fd["magnetic_moment_box"],
                       rtol=1e-6, atol=1e-6 * abs(fd["magnetic_moment_box"][2]))
    assert abs(shifted.energies.gibbs / g - 1) < 1e-6
    assert abs(g / g_moment - 1) < 1e-7
    assert abs(g / g_exact - 1) < 0.01


def test_image_correction_removes_box_error(tmp_path):
    """Varying the outer radius L: m_box follows m_free/(1 − f(R/L)³), m_free does not move."""
    radius = 3.0
    rows = []
    for outer in (4.0, 6.0):
        dom = sphere_domain(tmp_path / f"L{outer}.msh", radius, outer, 0.5, 1.0, h_far=1.0)
        sol = a_formulation(dom, LAMBDA, [0, 0, B0], far_field="image")
        rows.append((outer, sol.field_data["magnetic_moment_box"][2],
                     sol.magnetic_moment[2]))
    f = sphere_f(radius)
    (l1, box1, free1), (l2, box2, free2) = rows
    predicted = (1 - f * (radius / l2) ** 3) / (1 - f * (radius / l1) ** 3)
    print(f"image correction: L = {l1}, {l2}: m_box/m_exact = {box1 / sphere_moment(radius):.4f}, "
          f"{box2 / sphere_moment(radius):.4f}; ratio {box1 / box2:.5f} (predicted "
          f"{predicted:.5f}); m_free/m_exact = {free1 / sphere_moment(radius):.5f}, "
          f"{free2 / sphere_moment(radius):.5f}")
    assert abs(box1 / box2 / predicted - 1) < 5e-3  # meshes differ: ~0.2 % discretisation
    assert abs(free1 / free2 - 1) < 5e-3
    assert abs(box1 / free1 - 1) > 0.1  # the correction is large at L = 4/3 R
    # the helper itself: exact relation for the sphere
    m_free, b_image = image_corrected_moment([0, 0, sphere_moment(radius) / (1 - f / 8)],
                                             [0, 0, B0], 2 * radius * UNIT)
    assert np.allclose(m_free[2], sphere_moment(radius), rtol=1e-12)
    assert b_image[2] > 0  # the wall pushes flux back: B_u opposes m


def test_semidefinite_system_cg_and_regularised(tmp_path):
    """The vacuum block is singular; CG on the consistent singular system converges, and the
    regularised direct solve changes the moment by < 1e-3 of the discretisation error."""
    from skfem import Basis, BilinearForm, ElementTetN0
    from skfem.helpers import curl, dot

    from mqm_fem.fem.nedelec import discrete_gradient

    dom = sphere_domain(tmp_path / "small.msh", 1.0, 2.5, 0.3, 0.3, h_far=0.5)
    mesh = dom.mesh
    basis = Basis(mesh, ElementTetN0())
    C = BilinearForm(lambda u, v, _: dot(curl(u), curl(v))).assemble(basis)
    vac_vertex = np.setdiff1d(np.unique(mesh.t[:, dom.regions["vacuum"]]),
                              np.unique(mesh.t[:, dom.regions["superconductor"]]))
    vac_vertex = np.setdiff1d(vac_vertex, np.unique(mesh.facets[:, dom.boundaries["outer"]]))
    kernel = discrete_gradient(basis)[:, vac_vertex[:5]].toarray()
    assert np.abs(C @ kernel).max() < 1e-12 * abs(C).max()  # gradients: K is singular

    sols = {m: a_formulation(dom, LAMBDA, [0, 0, B0], solver=m, far_field="none")
            for m in ("cg", "ams-cg", "direct")}
    ref = sphere_moment(1.0)
    moments = {k: s.magnetic_moment[2] for k, s in sols.items()}
    disc = abs(moments["cg"] - ref)
    cg, ams = sols["cg"].solver, sols["ams-cg"].solver
    print(f"semidefinite: Jacobi-CG {cg['iterations']} its (residual {cg['residual']:.1e}), "
          f"AMS-CG {ams['iterations']} its; "
          f"discretisation error {disc / abs(ref):.3e}; |m_direct − m_cg|/disc = "
          f"{abs(moments['direct'] - moments['cg']) / disc:.2e}, |m_ams − m_cg|/disc = "
          f"{abs(moments['ams-cg'] - moments['cg']) / disc:.2e}")
    assert sols["cg"].solver["residual"] < 1e-9
    assert abs(moments["direct"] - moments["cg"]) < 1e-3 * disc
    assert abs(moments["ams-cg"] - moments["cg"]) < 1e-3 * disc
    b_cg, b_direct = sols["cg"].cell_data["B"], sols["direct"].cell_data["B"]
    assert np.abs(b_cg - b_direct).max() < 1e-6 * B0


def shell_current(a, b, outer, j0=1e9, unit=UNIT):
    """J_ext = j₀ sin²(π(r − a)/(b − a)) sinθ φ̂ on a < r < b (lengths in ``unit``): the
    callable J_ext(points in m), the uniform field B_s it makes inside, and the predicted
    ratio of a sample's moment in it to its moment in the applied field B_s inside a B·n = 0
    wall of radius ``outer``: 1 − μ₀m_s/(2πL³B_s)."""
    def profile(r):
        return np.where((r > a) & (r < b), np.sin(np.pi * (r - a) / (b - a)) ** 2, 0.0)

    def current(points):
        r = np.linalg.norm(points, axis=0) / unit
        scale = j0 * profile(r) / np.maximum(r * unit, 1e-30)
        return np.stack([-points[1] * scale, points[0] * scale, 0 * r])

    b_shell = 2 / 3 * MU0 * j0 * quad(profile, a, b)[0] * unit
    m_shell = 4 * np.pi / 3 * j0 * quad(lambda r: profile(r) * r**3, a, b)[0] * unit**4
    return current, b_shell, 1 - MU0 * m_shell / (2 * np.pi * (outer * unit) ** 3 * b_shell)


def test_external_current_shell(tmp_path):
    """J_ext = j(r) sinθ φ̂ on a shell a < r < b makes a uniform field B_s inside; inside the
    B·n = 0 wall of radius L the sample sees B_s − μ₀m_s/(2πL³), so its moment is that fraction
    of the moment in the applied field B_s (same mesh)."""
    radius, outer = 1.0, 3.5
    dom = sphere_domain(tmp_path / "shell.msh", radius, outer, 0.25, 0.3, h_far=0.3)
    current, b_shell, predicted = shell_current(1.5, 2.5, outer)
    # both are moments inside the wall (far_field="none"; "auto" would image-correct in_field)
    with_current = a_formulation(dom, LAMBDA, [0, 0, 0], current_density=current,
                                 far_field="none")
    in_field = a_formulation(dom, LAMBDA, [0, 0, b_shell], far_field="none")
    ratio = with_current.magnetic_moment[2] / in_field.magnetic_moment[2]
    print(f"current shell: B_shell = {b_shell:.4e} T, moment ratio {ratio:.5f} "
          f"(predicted {predicted:.5f})")
    assert abs(ratio / predicted - 1) < 2e-3


def test_solve_london_dispatch(sphere3, sphere3_z):
    """The package entry point picks A with a vacuum region and B without one."""
    sol = solve_london(sphere3, "1 um", "0 0 1 mT")  # far_field "auto": a ball -> "image"
    assert sol.formulation == "A" and sol.outputs.state["far_field"] == "image"
    assert sol.options.far_field == "auto"
    assert np.allclose(sol.magnetic_moment, sphere3_z.magnetic_moment, rtol=1e-8,
                       atol=1e-8 * abs(sphere3_z.magnetic_moment[2]))
    slab = solve_london(slab_domain(2.0, 2), "1 um", [0, 0, B0])
    assert slab.formulation == "B"
    assert 0 < slab.field_data["mean_field"][2] < B0


# ----------------------------------------------------------------------------------------------
# refusals
# ----------------------------------------------------------------------------------------------
def test_errors(tmp_path, sphere3):
    flat = domain_from_skfem(MeshTri.init_symmetric(), UNIT)
    with pytest.raises(ParameterError, match="formulation 'A' needs a 3D mesh; this mesh is 2D"):
        a_formulation(flat, LAMBDA, [0, 0, B0])
    with pytest.raises(ParameterError, match="formulation 'B' needs a 3D mesh; this mesh is 2D"):
        b_formulation(flat, LAMBDA, [0, 0, B0])
    cube = domain_from_skfem(MeshTet.init_tensor(*(np.linspace(0, 1, 3),) * 3), UNIT,
                             regions={"superconductor": np.arange(48)})
    with pytest.raises(MeshError, match="needs a vacuum region"):
        a_formulation(cube, LAMBDA, [0, 0, B0])
    m = MeshTet.init_tensor(*(np.linspace(0, 1, 3),) * 3)
    touching = domain_from_skfem(m, UNIT, regions={
        "superconductor": np.arange(0, 24), "vacuum": np.arange(24, 48)})
    with pytest.raises(MeshError, match="touches the outer boundary"):
        a_formulation(touching, LAMBDA, [0, 0, B0])
    with pytest.raises(ParameterError, match=r"applied_field: a 3D mesh needs 3 components "
                                             r"\(B_x, B_y, B_z\), got 2"):
        a_formulation(sphere3, LAMBDA, [0, B0])
    with pytest.raises(ParameterError, match="penetration_depth: must be a positive length"):
        a_formulation(sphere3, "-100 nm", [0, 0, B0])
    with pytest.raises(ParameterError, match="penetration_depth"):
        a_formulation(sphere3, "1 mT", [0, 0, B0])
    with pytest.raises(ParameterError, match="far_field: 'dipole' is not one of auto, none, "
                                             r"image \(the 'A' formulation\)"):
        a_formulation(sphere3, LAMBDA, [0, 0, B0], far_field="dipole")
    # a sphere has no hole to hold a fluxoid (holes: tests/test_fluxoid_3d.py)
    with pytest.raises(RegionNotFoundError, match=r"fluxoids: no hole named 'hole_0'; holes are: "
                                                  r"\(none\)"):
        solve_london(sphere3, LAMBDA, [0, 0, B0], fluxoids={"hole_0": 1})
    with pytest.raises(ParameterError, match="current_density: expected a callable"):
        a_formulation(sphere3, LAMBDA, [0, 0, B0], current_density=[1, 0, 0])
    with pytest.raises(ParameterError, match="not available together with current_density"):
        a_formulation(sphere3, LAMBDA, [0, 0, B0], current_density=lambda x: 0 * x,
                      far_field="image")
    with pytest.raises(ParameterError, match="shape"):
        a_formulation(sphere3, LAMBDA, [0, 0, B0], current_density=lambda x: x[0])
    with pytest.raises(ParameterError, match="center: expected 3 components"):
        a_formulation(sphere3, LAMBDA, [0, 0, B0], center=[0, 0])
    box = sphere_domain(tmp_path / "cube.msh", 1.0, 2.0, 0.5, 0.3, outer="box")
    with pytest.raises(ParameterError, match="needs a spherical outer boundary"):
        a_formulation(box, LAMBDA, [0, 0, B0], far_field="image")
    slab = slab_domain(2.0, 2)
    with pytest.raises(ParameterError, match="not on the surface of the superconductors"):
        b_formulation(sphere3, LAMBDA, [0, 0, B0], boundaries="outer")
    with pytest.raises(ParameterError, match="applied_field: a 3D mesh needs 3 components"):
        b_formulation(slab, LAMBDA, [0, B0])
    with pytest.raises(ParameterError, match="boundary_field: expected a callable"):
        b_formulation(slab, LAMBDA, None, boundary_field=[0, 0, B0])
    with pytest.raises(ParameterError, match="boundary_field: the callable must return"):
        b_formulation(slab, LAMBDA, None, boundary_field=lambda x: x[:2])
    with pytest.raises(ParameterError, match="option.*far_field not taken by the 'B' "
                                             "formulation; it takes: boundaries"):
        b_formulation(slab, LAMBDA, [0, 0, B0], far_field="image")


def test_box_truncation_without_image(tmp_path):
    """far_field='none' in a cube of half-side L: the moment error falls as (R/L)³.

    Prints the coefficient c of |m_box/m − 1| ≈ c f (R/L)³ (c = 1 for a spherical wall of
    radius L), which says how big a box must be for a given accuracy."""
    radius, sizes, errs = 3.0, (4.5, 7.5), []
    for half_side in sizes:
        dom = sphere_domain(tmp_path / f"cube{half_side}.msh", radius, half_side, 0.5, 1.0,
                            h_far=1.5, outer="box")
        sol = a_formulation(dom, LAMBDA, [0, 0, B0], far_field="none")
        errs.append(sol.magnetic_moment[2] / sphere_moment(radius) - 1)
    slope = order(sizes, np.abs(errs))
    coeff = [e / (sphere_f(radius) * (radius / s) ** 3) for e, s in zip(errs, sizes, strict=True)]
    print(f"cube half-sides {sizes}: moment errors {np.round(errs, 5).tolist()}, slope {slope:.2f} "
          f"(expected −3), c = {np.round(coeff, 3).tolist()}")
    assert all(e > 0 for e in errs)  # the wall pushes flux back: |m_box| > |m|
    assert abs(slope + 3) < 0.4


# ----------------------------------------------------------------------------------------------
# examples
# ----------------------------------------------------------------------------------------------
def _check_vtu(path):
    from mqm_fem.io.vtk import read_vtu

    grid = read_vtu(path)
    for name in ("A", "B", "J"):
        assert name in grid.point_data, name
    assert "magnetic_moment" in grid.field_data
    assert np.abs(grid.point_data["J"]).max() > 0


def test_example_sphere_moment(tmp_path, example):
    result = example("sphere_moment").main(tmp_path)
    print(result)
    assert abs(result["relative_error"]) < 0.01
    _check_vtu(result["vtu"])


def test_example_ring_in_field(tmp_path, example):
    result = example("ring_in_field").main(tmp_path)
    print(result)
    m, b_a = np.asarray(result["magnetic_moment"]), np.asarray(result["applied_field"])
    assert m @ b_a < 0  # diamagnetic (zero-field-cooled ring)
    # zero-fluxoid state: the hole is partly screened (thin ring, minor radius 2λ)
    assert 0 < result["hole_flux_fraction"] < 0.6
    _check_vtu(result["vtu"])
