"""Adaptive meshes (mqm_fem.mesh.adapt): Dörfler marking, local refinement that keeps the named
regions and boundaries, gmsh remeshing that keeps curved boundaries on the geometry, the
solve–estimate–refine loop with its budgets, and ``tol=`` / ``--tol`` on the public solvers."""

from __future__ import annotations

import dataclasses
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import skfem

from mqm_fem import geometry, load_mesh
from mqm_fem.cli import main
from mqm_fem.errors import MqmFemWarning, ParameterError
from mqm_fem.mesh import domain_from_skfem, element_measures
from mqm_fem.mesh.adapt import (
    adapt,
    element_sizes,
    mark,
    refine,
    remesh,
    target_sizes,
)


# -- marking -------------------------------------------------------------------------------
def test_doerfler_marks_the_smallest_set_holding_the_fraction():
    eta = np.array([1.0, 5.0, 3.0, 1.0])
    assert mark(eta, 0.5).tolist() == [1]  # 5 of 10
    assert mark(eta, 0.6).tolist() == [1, 2]  # 8 of 10
    assert mark(eta, 1.0).tolist() == [0, 1, 2, 3]
    assert mark(np.zeros(3), 0.5).size == 0
    with pytest.raises(ParameterError, match=r"fraction: must be in \(0, 1\], got 0"):
        mark(eta, 0)
    with pytest.raises(ParameterError, match="indicators: must be finite and non-negative"):
        mark([1.0, -1.0])


# -- local refinement ------------------------------------------------------------------------
def _lengths(domain, facets):
    p = domain.mesh.p[:, domain.mesh.facets[:, facets]]
    return np.linalg.norm(p[:, 1] - p[:, 0], axis=0)


def test_refine_keeps_regions_boundaries_and_measures():
    """A ring with its hole meshed: the refined mesh keeps every region and boundary, the new
    vertices on the two circles move onto them (the regions' areas approach the true ones),
    more facets on the refined side, and no element appears or vanishes between regions."""
    ring = geometry.annulus(0.5, 1.0, h=0.25)
    x = ring.mesh.p[:, ring.mesh.t].mean(axis=1)
    marked = np.flatnonzero(x[0] > 0)
    fine = refine(ring, marked)
    assert fine.mesh.nelements > ring.mesh.nelements
    assert fine.source is None and fine.length_unit == ring.length_unit
    assert list(fine.regions) == list(ring.regions)
    assert list(fine.boundaries) == list(ring.boundaries)
    exact = {"superconductor": 0.75 * np.pi, "hole_0": 0.25 * np.pi}
    for name in ring.regions:
        assert abs(fine.measure(name) - exact[name]) < abs(ring.measure(name) - exact[name])
    assert sum(len(v) for v in fine.regions.values()) == fine.mesh.nelements
    for name, facets in ring.boundaries.items():
        assert len(fine.boundaries[name]) > len(facets)
    outer = np.hypot(*fine.mesh.p[:, fine.mesh.facets[:, fine.boundaries["outer"]]])
    assert outer.max() == pytest.approx(1.0, abs=1e-3)
    assert outer.min() > 0.97  # on the outer circle (or its chords), not the hole
    moved = np.hypot(*fine.mesh.p[:, ring.mesh.nvertices:])
    on_outer = np.abs(moved - 1.0) < 0.01
    assert np.abs(moved[on_outer] - 1.0).max() < 1e-3  # new rim vertices on the circle
    # the hole's boundary is an interface: its facets are interior, between ring and hole
    f2t = fine.mesh.f2t[:, fine.boundaries["hole_0_boundary"]]
    assert np.all(f2t[1] >= 0)


def test_refine_tetrahedra_keeps_regions_and_faces():
    cube = geometry.box(1.0, 1.0, 1.0, h=0.5)
    fine = refine(cube, np.arange(0, cube.mesh.nelements, 3))
    assert isinstance(fine.mesh, skfem.MeshTet)
    assert fine.mesh.nelements > cube.mesh.nelements
    for name in cube.regions:
        assert fine.measure(name) == pytest.approx(cube.measure(name), rel=1e-12)
    for name in ("xmin", "zmax"):
        faces = fine.boundaries[name]
        axis, value = {"xmin": (0, -0.5), "zmax": (2, 0.5)}[name]
        assert np.allclose(fine.mesh.p[axis, fine.mesh.facets[:, faces]], value)
        p = fine.mesh.p[:, fine.mesh.facets[:, faces]]
        area = 0.5 * np.linalg.norm(np.cross((p[:, 1] - p[:, 0]).T, (p[:, 2] - p[:, 0]).T),
                                    axis=1).sum()
        assert area == pytest.approx(1.0, rel=1e-12)


# -- remeshing -------------------------------------------------------------------------------
def test_generators_record_a_picklable_recipe(tmp_path):
    disk = geometry.disk(1.0, h=0.4)
    assert disk.recipe.generator == "disk"
    assert disk.recipe.arguments == {"radius": 1.0, "h": 0.4}
    assert pickle.loads(pickle.dumps(disk)).recipe == disk.recipe
    nested = geometry.circle_in_box(0.5, 3.0, h=0.6, path=tmp_path / "c.msh")
    assert nested.recipe.generator == "circle_in_box"
    assert "path" not in nested.recipe.arguments
    assert load_mesh(tmp_path / "c.msh").recipe is None  # a file: refine, not remesh


def test_remesh_keeps_the_circle_and_refines_where_asked():
    """Remeshing a disk with sizes h/4 on its right half: every boundary vertex is on the
    circle (not on the old chords), the right half is finer, the names are kept."""
    disk = geometry.disk(1.0, h=0.3)
    x = disk.mesh.p[:, disk.mesh.t].mean(axis=1)
    sizes = np.where(x[0] > 0, element_sizes(disk.mesh) / 4, element_sizes(disk.mesh))
    new = remesh(disk, sizes)
    assert new.recipe == disk.recipe
    assert list(new.regions) == list(disk.regions)
    assert list(new.boundaries) == list(disk.boundaries)
    radii = np.hypot(*new.mesh.p[:, new.mesh.facets[:, new.boundaries["outer"]]])
    assert np.allclose(radii, 1.0, atol=1e-9)
    xc = new.mesh.p[:, new.mesh.t].mean(axis=1)
    h = element_sizes(new.mesh)
    right, left = h[xc[0] > 0.2].mean(), h[xc[0] < -0.2].mean()
    print(f"\n  remeshed disk: mean edge right {right:.3f}, left {left:.3f} "
          f"(old {element_sizes(disk.mesh).mean():.3f})")
    assert right < 0.4 * left
    assert np.sum(element_measures(new.mesh)) > np.sum(element_measures(disk.mesh))
    with pytest.raises(ParameterError, match="sizes: expected .* positive finite"):
        remesh(disk, sizes[:-1])
    plain = domain_from_skfem(skfem.MeshTri().refined(2))
    with pytest.raises(ParameterError, match="has no geometry recipe.*use refine"):
        remesh(plain, element_sizes(plain.mesh))


def test_remesh_delivers_a_thin_fine_layer_in_3d(monkeypatch):
    """A sphere R = 3 in a ball of 8 (elements ≈ 1) asked for 0.3 within 0.6 of its surface
    and 2 elsewhere. gmsh interpolates the sizes linearly inside the background elements, so
    this layer, about one old element thick, came out at a median 0.42 (0.37 of the elements
    asked there, 0.57 overall; the adaptive R = 10λ sphere stalled at 1.25e-3 on such layers).
    remesh repeats once with the sizes there reduced by their shortfall relative to the whole
    mesh: median 0.36 (measured), i.e. the ≈ 16 % by which gmsh's tetrahedra exceed the asked
    size everywhere (a uniform halving: 0.407 for 0.351) and no more. A uniform refinement is
    not repeated."""
    import mqm_fem.mesh.adapt as adapt_module

    sphere = geometry.sphere_in_box(3.0, 8.0, outer="sphere", h=1.5, h_sc=1.0)
    centres = sphere.mesh.p[:, sphere.mesh.t].mean(axis=1)
    sizes = np.where(np.abs(np.linalg.norm(centres, axis=0) - 3.0) < 0.6, 0.3, 2.0)

    def layer_median(domain):
        c = domain.mesh.p[:, domain.mesh.t].mean(axis=1)
        layer = np.abs(np.linalg.norm(c, axis=0) - 3.0) < 0.6
        return float(np.median(element_sizes(domain.mesh)[layer]))

    calls = []
    generate = adapt_module._generate
    monkeypatch.setattr(adapt_module, "_generate", lambda *a: calls.append(1) or generate(*a))
    corrected = layer_median(remesh(sphere, sizes))
    assert len(calls) == 2
    monkeypatch.setattr(adapt_module, "DELIVERY_TOLERANCE", 0.0)  # the single pass of before
    single = layer_median(remesh(sphere, sizes))
    print(f"\n  layer median element size: {corrected:.3f} (single pass {single:.3f}), asked 0.3")
    assert corrected < 1.25 * 0.3 < single
    monkeypatch.setattr(adapt_module, "DELIVERY_TOLERANCE", 0.8)
    calls.clear()
    remesh(sphere, element_sizes(sphere.mesh) / 2)  # uniform: one pass
    assert len(calls) == 1


def test_target_sizes_equidistribute_the_target_over_the_new_elements():
    """h' = h·(η_t²/η_K²)^(1/(2p+d)): uniform indicators and a reduction r give h/r^(-1/2p);
    without clipping the predicted total Σ η_K²(h'/h)^(2p) is r × the total; sizes change by
    at most [1/4, 2] per step; a zero indicator coarsens by 2."""
    disk = geometry.disk(1.0, h=0.3)
    h = element_sizes(disk.mesh)
    n = disk.mesh.nelements
    assert np.allclose(target_sizes(disk, np.full(n, 3.0), reduction=0.5), h / np.sqrt(2))
    assert np.allclose(target_sizes(disk, np.full(n, 3.0), reduction=0.5, order=2),
                       h * 0.5 ** 0.25)
    eta = np.random.default_rng(1).uniform(1.0, 2.0, n)
    sizes = target_sizes(disk, eta, reduction=0.3)
    assert np.isclose(np.sum(eta * (sizes / h) ** 2), 0.3 * eta.sum())
    # equidistributed: every new element has the same predicted indicator η_K²(h'/h)^(2p+d)
    per_element = eta * (sizes / h) ** 4
    assert np.allclose(per_element, per_element[0])
    eta[3:6] = 0.0  # nothing to gain: twice the size
    sizes = target_sizes(disk, eta, reduction=1e-4)  # beyond a step's reach: a quarter
    assert np.allclose(sizes[6:], h[6:] / 4)
    assert np.allclose(sizes[3:6], 2 * h[3:6])
    with pytest.raises(ParameterError, match="reduction: .* must be positive, got 0"):
        target_sizes(disk, eta, reduction=0)


# -- the loop with a fake solver -------------------------------------------------------------
@dataclass
class FakeEstimate:
    value: float
    error: float
    relative: float
    quantity: str = "q"
    unit: str = "J"

    def __str__(self):
        return f"{self.quantity} = {self.value:.4g} {self.unit} (± {100 * self.relative:.2g} %)"


@dataclass
class FakeResult:
    domain: object
    estimate: FakeEstimate
    error_indicators: np.ndarray
    ndofs: int


def fake_solve(domain):
    """An error concentrated at the corner (1, 1): indicator |K|²/dist (an h⁴ singular
    error), estimate = the sum of the indicators relative to a unit value."""
    mesh = domain.mesh
    x = mesh.p[:, mesh.t].mean(axis=1)
    eta = element_measures(mesh) ** 2 / (np.hypot(x[0] - 1, x[1] - 1) + 1e-3)
    total = float(eta.sum())
    return FakeResult(domain, FakeEstimate(1.0, total, total), eta, mesh.nvertices)


def test_loop_stops_at_tol_refining_where_the_error_is():
    square = domain_from_skfem(skfem.MeshTri().refined(2))
    start = fake_solve(square).estimate.relative
    lines = []
    result, history = adapt(fake_solve, square, start / 20, progress=lines.append)
    print("\n" + history.table())
    assert history.converged and history.stopped == "tol"
    assert history.method == "refine"
    assert result.estimate.relative <= start / 20
    assert [s.step for s in history.steps] == list(range(len(history.steps)))
    assert len(history.steps) >= 3
    assert history.final_domain is result.domain
    assert "smooth surface through the file's vertices" in lines[0]
    assert sum("step" in line for line in lines) == len(history.steps)
    # refined towards the corner: the smallest elements are there
    mesh = result.domain.mesh
    x = mesh.p[:, mesh.t].mean(axis=1)
    smallest = np.argmin(element_measures(mesh))
    assert np.hypot(x[0, smallest] - 1, x[1, smallest] - 1) < 0.1
    assert mesh.nelements < 0.5 * 32 * 4 ** (len(history.steps) - 1)  # not uniform


def test_loop_stops_at_the_dof_budget_with_a_warning(tmp_path):
    square = domain_from_skfem(skfem.MeshTri().refined(2))
    with pytest.warns(MqmFemWarning, match=r"adapt: stopped before reaching tol = 1e-06: the "
                      r"next mesh would have about \d+ unknowns \(max_dofs = 60\); achieved "
                      r"q = 1 J \(± .* %\)"):
        result, history = adapt(fake_solve, square, 1e-6, max_dofs=60)
    assert history.stopped == "max_dofs" and not history.converged
    assert history.steps[-1].ndofs <= 60
    with pytest.warns(MqmFemWarning, match="max_steps = 2 solves"):
        _, short = adapt(fake_solve, square, 1e-6, max_steps=2)
    assert len(short.steps) == 2
    csv = history.to_csv(tmp_path / "h.csv").read_text().splitlines()
    assert csv[0] == "step,ndofs,elements,relative,error,value,seconds"
    assert len(csv) == len(history.steps) + 1
    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in "
                       r"\(0, 1\), e.g. 1e-3, got 2"):
        adapt(fake_solve, square, 2)


def test_loop_remeshes_generated_domains_and_maps_sub_domain_indicators():
    """A disk in a vacuum box, the error only in the superconductor and reported on its
    sub-mesh (as the Schrödinger solver does): the loop maps it back, remeshes from the
    geometry and the superconductor's boundary stays on the circle."""
    from mqm_fem.quantum.schrodinger import superconducting_subdomain

    def solve(domain):
        sub, _ = superconducting_subdomain(domain)
        x = sub.mesh.p[:, sub.mesh.t].mean(axis=1)
        eta = element_measures(sub.mesh) ** 2 / (np.hypot(x[0] - 0.5, x[1]) + 1e-2)
        total = float(eta.sum())
        return FakeResult(sub, FakeEstimate(1.0, total, total), eta, sub.mesh.nvertices)

    domain = geometry.circle_in_box(0.5, 2.0, h=0.4, h_sc=0.2)
    start = solve(domain).estimate.relative
    result, history = adapt(solve, domain, start / 4)
    assert history.method == "remesh" and history.converged
    final = history.final_domain
    assert final.recipe == domain.recipe
    radii = np.hypot(*final.mesh.p[:, final.mesh.facets[:, final.boundaries["surface"]]])
    assert np.allclose(radii, 0.5, atol=1e-9)


# -- tol= on the solvers, --tol on the command line ------------------------------------------
def test_tol_is_validated_and_refused_without_an_estimator(tmp_path):
    from mqm_fem import solve_london
    from mqm_fem.london import FORMULATIONS
    from mqm_fem.quantum.nucleation import nucleation_field, phase_boundary
    from mqm_fem.quantum.schrodinger import SchrodingerSolution, solve_schrodinger

    disk = geometry.disk(1.0, h=0.5)
    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in \(0, "
                       r"1\), e.g. 1e-3, got 1.5"):
        solve_london(disk, "100 nm", "1 mT", tol=1.5)
    # a solver tolerance under the wrong name is refused at once, naming the right ones
    with pytest.raises(ParameterError, match="tol: 1e-10 is a target relative error.*solver_tol"):
        solve_london(disk, "100 nm", "1 mT", tol=1e-10)
    if FORMULATIONS["out-of-plane"].estimate is None:
        with pytest.raises(ParameterError, match="tol: the 'out-of-plane' London formulation "
                           "has no error estimator"):
            solve_london(disk, "100 nm", "1 mT", tol=1e-3)
    with pytest.raises(ParameterError, match="adaptivity: budgets of the adaptive loop need tol"):
        solve_london(disk, "100 nm", "1 mT", adaptivity={"max_dofs": 10})
    if not hasattr(SchrodingerSolution, "estimate"):
        with pytest.raises(ParameterError, match="tol: solve_schrodinger has no error "
                           "estimator yet"):
            solve_schrodinger(disk, "1 mT", tol=1e-3)
        with pytest.raises(ParameterError, match="tol: phase_boundary has no error estimator"):
            phase_boundary(disk, "100 nm", "1 mT", tol=1e-3, progress=False)
    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in"):
        nucleation_field(disk, "100 nm", tol=0)
    if hasattr(SchrodingerSolution, "estimate"):
        with pytest.raises(ParameterError, match="vector_potential: given as values on the "
                           "mesh"):
            solve_schrodinger(disk, vector_potential=np.zeros((disk.mesh.nvertices, 2)),
                              tol=1e-3)


def _fake_moment_estimate(problem, options, system, x, outputs):
    """A stand-in estimator: error bar 10/ndofs of the moment, indicators |K|²."""
    from mqm_fem.fem.estimate import ErrorEstimate
    from mqm_fem.london.solution import Estimates

    m = float(outputs.moment[2])
    est = ErrorEstimate.from_parts("m_z", m, "A·m²", "fake", discretisation=10 * m / outputs.ndofs)
    return Estimates({"m_z": est}, element_measures(problem.domain.mesh) ** 2)


def test_solve_london_with_tol_adapts(monkeypatch):
    """solve_london(tol=...) with a (stand-in) estimator: refines until 10/ndofs ≤ tol and
    returns the history on the solution."""
    from mqm_fem import solve_london
    from mqm_fem.london import FORMULATIONS

    monkeypatch.setitem(FORMULATIONS, "out-of-plane", dataclasses.replace(
        FORMULATIONS["out-of-plane"], estimate=_fake_moment_estimate))
    disk = geometry.disk(1.0, h=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = solve_london(disk, "200 nm", "1 mT", tol=0.05, solver_tol=1e-12)
    # the first meshes do not resolve λ: their warnings are dropped, and the loop goes on
    # (even where the stand-in estimate already met tol) until the final mesh resolves it
    assert not [w for w in caught if "does not resolve" in str(w.message)]
    assert all(check.ok for check in sol.resolution)
    assert sol.adaptivity.converged
    assert sol.estimate.relative <= 0.05 and sol.ndofs >= 200
    assert sol.adaptivity.steps[-1].ndofs == sol.ndofs
    assert sol.domain is sol.adaptivity.final_domain


def test_cli_tol(tmp_path, capsys, monkeypatch):
    """--tol: out of range and without an estimator refused before the mesh is read (exit 2,
    one line); with an estimator the history table is printed."""
    from mqm_fem.london import FORMULATIONS
    from mqm_fem.quantum.schrodinger import SchrodingerSolution

    missing = str(tmp_path / "missing.msh")
    out = str(tmp_path / "o.vtu")
    assert main(["london", missing, "--lambda", "100nm", "--field", "1mT", "--tol", "2",
                 "-o", out]) == 2
    assert "mqm-fem london: error: --tol: the target relative error must be in (0, 1)" in \
        capsys.readouterr().err
    if not hasattr(SchrodingerSolution, "estimate"):
        assert main(["schrodinger", missing, "--field", "1mT", "--tol", "1e-3", "-o", out]) == 2
        assert ("mqm-fem schrodinger: error: --tol: mqm-fem schrodinger has no error estimator"
                in capsys.readouterr().err)
        assert main(["nucleation", missing, "--xi", "100nm", "--fields", "1", "mT", "--tol",
                     "1e-3", "-o", str(tmp_path / "o.csv")]) == 2
        assert "--tol: mqm-fem nucleation has no error estimator" in capsys.readouterr().err
    mesh = tmp_path / "disk.msh"
    geometry.disk(1.0, h=0.5, path=mesh)
    if FORMULATIONS["out-of-plane"].estimate is None:
        assert main(["london", str(mesh), "--lambda", "200nm", "--field", "1mT", "--tol", "0.05",
                     "-o", out]) == 2
        assert "has no error estimator" in capsys.readouterr().err
        monkeypatch.setitem(FORMULATIONS, "out-of-plane", dataclasses.replace(
            FORMULATIONS["out-of-plane"], estimate=_fake_moment_estimate))
    assert main(["london", str(mesh), "--lambda", "200nm", "--field", "1mT", "--tol", "0.05",
                 "-o", out]) == 0
    text = capsys.readouterr().out
    assert "adaptive refine to tol 0.05 (m_z): stopped by tol" in text
    assert "smooth surface through the file's vertices" in text


def test_loop_refines_until_the_resolution_checks_pass():
    """An estimate that already meets tol does not stop the loop while the result says the
    mesh misses a length scale (here: a phase winding along the disk's rim needing facets of
    0.05): the elements along that boundary are refined until the check passes, on the
    circle; the interior stays coarse."""
    from mqm_fem.mesh.resolution import ResolutionCheck, facet_diameters

    def solve(domain):
        facets = domain.boundaries["outer"]
        mean = float(facet_diameters(domain.mesh, facets).mean()) * domain.length_unit
        check = ResolutionCheck("phase winding", "boundary 'outer', mode 0", scale=0.5e-6,
                                element=mean, required=10.0)
        result = FakeResult(domain, FakeEstimate(1.0, 0.0, 0.0),
                            np.zeros(domain.mesh.nelements), domain.mesh.nvertices)
        result.resolution = [check]
        return result

    disk = geometry.disk(1.0, h=0.3)
    lines = []
    result, history = adapt(solve, disk, 1e-3, progress=lines.append)
    assert history.converged and len(history.steps) >= 2
    assert "does not resolve the phase winding" in lines[0]
    assert result.resolution[0].ok
    final = history.final_domain
    radii = np.hypot(*final.mesh.p[:, final.mesh.facets[:, final.boundaries["outer"]]])
    assert np.allclose(radii, 1.0, atol=1e-9)
    x = final.mesh.p[:, final.mesh.t].mean(axis=1)
    assert element_sizes(final.mesh)[np.hypot(*x) < 0.5].mean() > 0.2


def test_solve_schrodinger_with_tol_adapts():
    """With the eigenvalue estimator: solve_schrodinger(tol=...) refines until the estimate
    of ε₀ meets tol, and the history rides on the solution."""
    from mqm_fem.quantum.schrodinger import SchrodingerSolution, solve_schrodinger

    if not hasattr(SchrodingerSolution, "estimate"):
        pytest.skip("no Schrödinger estimator on this branch")
    disk = geometry.disk(1.0, h=0.4)
    sol = solve_schrodinger(disk, "1 mT", k=1, order=1, tol=2e-3)
    print("\n" + sol.adaptivity.table())
    assert sol.adaptivity.converged and len(sol.adaptivity.steps) >= 2
    assert sol.estimate.relative <= 2e-3
    mesh = sol.domain.mesh
    radii = np.hypot(*mesh.p[:, mesh.facets[:, sol.domain.boundaries["outer"]]])
    assert np.allclose(radii, 1.0, atol=1e-9)


def test_example_adaptive_sphere(tmp_path, example):
    """The adaptive-vs-uniform example in quick mode (R = 10λ, tol 5e-2): it writes the history
    CSV and the plot, every estimate is within [1/3, 3] of the true error, and the adaptive
    mesh and the a-priori graded one (a gmsh mesh of the user's own, read with load_mesh)
    reach smaller errors than uniform meshes of the same DOFs (ratio = DOFs uniform would
    need for that error ÷ the mesh's DOFs, > 1)."""
    import csv

    result = example("adaptive_sphere").main(tmp_path, quick=True)
    assert result["png"].stat().st_size > 10_000
    with result["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["method"] for r in rows} == {"adaptive", "uniform", "graded"}
    assert len(rows) == len(result["rows"]) >= 4
    for row in result["rows"]:
        assert 1 / 3 <= row["estimate"] / row["true_error"] <= 3, row
    adaptive = [r for r in result["rows"] if r["method"] == "adaptive"]
    assert len(adaptive) >= 2 and adaptive[-1]["true_error"] < 0.05
    assert result["ratio"] > 1.1, result["ratio"]
    assert result["graded_ratios"] and min(result["graded_ratios"]) > 1.1, result


def test_refine_a_shipped_3d_mesh_in_linear_memory():
    """Refining every superconducting tetrahedron of the shipped sphere (26k elements → 96k)
    needed 57 GiB in scikit-fem's element finder; now seconds, with every child inside its
    parent's region and the sphere's volume no further from 4π/3 than before."""
    domain = load_mesh(Path(__file__).resolve().parents[1] / "meshes" / "sphere_in_ball.msh")
    sc = domain.region("superconductor")
    fine = refine(domain, sc)
    assert fine.mesh.nelements > 3 * domain.mesh.nelements
    assert sum(len(v) for v in fine.regions.values()) == fine.mesh.nelements
    exact = 4 / 3 * np.pi
    assert abs(fine.measure("superconductor") - exact) <= abs(
        domain.measure("superconductor") - exact)


def test_bad_marking_fraction_is_refused_before_any_solve():
    calls = []
    with pytest.raises(ParameterError, match="fraction"):
        adapt(lambda d: calls.append(d), geometry.disk(1.0, h=0.5), 0.1, fraction=1.5)
    assert not calls


def test_loop_stops_when_the_refinement_changes_nothing(monkeypatch):
    """A refinement that returns the same mesh (a remesh that cannot rebuild the geometry)
    stops the loop at once with a warning, instead of repeating the same solve to max_steps."""
    from mqm_fem.mesh import adapt as adapt_module

    square = domain_from_skfem(skfem.MeshTri().refined(2))
    monkeypatch.setattr(adapt_module, "refine", lambda domain, marked: domain)
    with pytest.warns(MqmFemWarning, match="the refine left the mesh unchanged"):
        _, history = adapt(fake_solve, square, 1e-6)
    assert history.stopped == "no_change" and len(history.steps) == 1


def test_sheet_formulation_refuses_tol_on_film_meshes():
    """Film meshes are not refined adaptively (the remesh would not keep the film): refused
    before any solve; the solution without tol carries its estimate."""
    from mqm_fem import solve_london
    from mqm_fem.mesh.films import film_disk

    disk = film_disk(1.0, ball_radius=3.0, h=1.0, h_sc=0.3, h_surface=0.1)
    with pytest.raises(ParameterError, match=r"tol: meshes with films \(film\) are not refined"):
        solve_london(disk, "50 nm", "0 0 1 mT", formulation="sheet", thickness="25 nm",
                     tol=1e-2)
