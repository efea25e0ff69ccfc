"""The inductance driver (mqm_fem.london.inductance) on a lumped two-loop model.

The model formulation below is a circuit, not a field solve: hole currents I = L⁻¹Φ and
energies ½ΦᵀQΦ from a known L and a known kinetic part, so the driver's algebra (L = Φ₀ C⁻¹,
the split L_kin + L_geo = L, field-cooled fluxoids) is checked exactly. The field solvers'
inductances are validated against independent references in test_sheet.py,
test_fluxoid_3d.py and test_axisymmetric_films.py.
"""

from dataclasses import dataclass

import numpy as np
import pytest
import skfem

import mqm_fem
from mqm_fem.errors import ParameterError
from mqm_fem.london import FORMULATIONS, Energies, Hole, register
from mqm_fem.london.options import FormulationOptions, option
from mqm_fem.london.registry import Formulation
from mqm_fem.london.solution import Outputs

L_TRUE = np.array([[3.0, 0.8], [0.8, 2.0]]) * 1e-12  # H
L_KIN = np.array([[1.0, 0.1], [0.1, 0.5]]) * 1e-12  # H
HOLES = ("inner", "outer")


@dataclass(frozen=True)
class _LumpedOptions(FormulationOptions):
    source_options = ("fluxoids",)
    fluxoids: dict | None = option(None, help="hole -> n")


def _derive(problem, options, system, x):
    n = np.array([float((options.fluxoids or {}).get(h, 0)) for h in HOLES])
    b = problem.applied_field[2]
    phi = n * mqm_fem.PHI0 - np.array([4e-12, 1e-12]) * b  # an applied flux per hole
    inverse = np.linalg.inv(L_TRUE)
    current = inverse @ phi
    kin = 0.5 * current @ L_KIN @ current
    total = 0.5 * current @ L_TRUE @ current
    holes = {h: Hole(field=None, flux=None, area=None, fluxoid=n[k], meshed=False,
                     current=float(current[k])) for k, h in enumerate(HOLES)}
    return Outputs(point_data={}, cell_data={}, moment=np.zeros(3),
                   energies=Energies(kinetic=kin, field=total - kin, gibbs=total),
                   ndofs=1, holes=holes)


@pytest.fixture
def lumped():
    formulation = register(Formulation(
        name="lumped-test", dim=2, equation="I = L⁻¹Φ", auto_rule="never",
        auto=lambda domain, field: False, applied=lambda f: np.array([0.0, 0.0, f[0]]),
        options=_LumpedOptions, assemble=lambda p, o: None,
        solve=lambda s, o: (None, {"method": "none"}), derive=_derive))
    try:
        yield formulation
    finally:
        del FORMULATIONS["lumped-test"]


@pytest.fixture
def domain():
    return mqm_fem.domain_from_skfem(skfem.MeshTri(), "um", regions={"ring": np.arange(2)})


def test_matrix_split_and_currents(lumped, domain):
    result = mqm_fem.inductance(domain, "5 um", formulation="lumped-test")
    assert result.holes == HOLES
    np.testing.assert_allclose(result.matrix, L_TRUE, rtol=1e-12)
    np.testing.assert_allclose(result.kinetic, L_KIN, rtol=1e-10, atol=1e-25)
    np.testing.assert_allclose(result.kinetic + result.geometric, L_TRUE, rtol=1e-12)
    assert result["inner", "outer"] == pytest.approx(0.8e-12)
    assert result.asymmetry < 1e-14
    assert result.timings["solves"] == 3  # two holes + one pair
    np.testing.assert_allclose(result.currents[:, 0], mqm_fem.PHI0 * np.linalg.inv(L_TRUE)[:, 0])
    assert "inner" in result.summary() and result.csv().startswith("L_pH,inner,outer")


def test_field_cooled_fluxoids_minimise_the_energy(lumped, domain):
    # applied flux Φ_a = (4, 1) pH × B: at B = 2.2 mT, Φ_a = (4.26, 1.06) Φ₀
    fluxoids, solution, _ = mqm_fem.field_cooled(domain, "5 um", (2.2e-3,),
                                                  formulation="lumped-test")
    phi_a = np.array([4e-12, 1e-12]) * 2.2e-3 / mqm_fem.PHI0
    inverse = np.linalg.inv(L_TRUE)
    best = min(((i, j) for i in range(-2, 8) for j in range(-2, 5)),
               key=lambda n: (np.array(n) - phi_a) @ inverse @ (np.array(n) - phi_a))
    assert (fluxoids["inner"], fluxoids["outer"]) == best
    assert solution.hole("inner").fluxoid == best[0]


def test_refusals(lumped, domain):
    with pytest.raises(ParameterError, match="fluxoids: set by inductance"):
        mqm_fem.inductance(domain, "50 nm", formulation="lumped-test", fluxoids={"inner": 1})
    with pytest.raises(ParameterError, match="holes:"):
        mqm_fem.inductance(domain, "50 nm", formulation="lumped-test", holes=["a", "a"])
    with pytest.raises(ParameterError, match="does not report the current"):
        mqm_fem.inductance(mqm_fem.geometry.annulus(0.5, 1.0, h=0.2), "50 nm",
                           formulation="out-of-plane", holes=["hole_0"], split=False)


def test_command_line_ring_inductance_against_the_ring_kernel(tmp_path):
    """`mqm-fem inductance` on an axisymmetric meridian mesh of the issue-11 ring (a = 0.5,
    b = 1 µm, Λ = λ²/d = 0.1 µm): L against the independent ring-kernel sheet reference
    (2.8799 pH); the split adds up to L."""
    import json
    import sys
    from pathlib import Path

    from mqm_fem.cli import main
    from mqm_fem.mesh.meridian import meridian

    sys.path.insert(0, str(Path(__file__).parent))
    import ring_kernel

    path = tmp_path / "ring.msh"
    meridian(films=[("film_ring", 0.5, 1.0, 0.0)], radius=10, h=1, h_body=0.02, h_edge=0.005,
             grading=0.2, path=path)
    out_json, out_csv = tmp_path / "L.json", tmp_path / "L.csv"
    code = main(["inductance", str(path), "--formulation", "axisymmetric", "--lambda", "50nm",
                 "--thickness", "25nm", "--json", str(out_json), "--csv", str(out_csv)])
    assert code == 0
    data = json.loads(out_json.read_text())
    assert data["holes"] == ["film_ring"]
    value = data["inductance_H"][0][0]
    reference = ring_kernel.ring_inductance(0.5e-6, 1e-6, 1e-7)
    assert value == pytest.approx(reference, rel=5e-4)
    kinetic, geometric = data["kinetic_inductance_H"][0][0], data["geometric_inductance_H"][0][0]
    assert 0.2 * value < kinetic < 0.6 * value
    assert kinetic + geometric == pytest.approx(value, rel=1e-12)
    # the kinetic part from the box energies: ½ L_kin I² = E_kin of the one-fluxoid state
    assert data["energies_J"][0] == pytest.approx(mqm_fem.PHI0 ** 2 / (2 * value), rel=1e-12)
    assert out_csv.read_text().startswith("L_pH,film_ring\nfilm_ring,2.8")
    assert main(["inductance", str(path), "--formulation", "axisymmetric", "--lambda", "50nm",
                 "--thickness", "25nm", "--csv", str(tmp_path / "L.txt")]) == 2


def _meshes():
    from mqm_fem.mesh import geometry
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer
    from mqm_fem.mesh.meridian import meridian

    device = Device(layers=[Layer("a", pearl_length="0.1 um")],
                    films=[FilmShape("outer", "a", Circle(2.0), (Circle(1.5),)),
                           FilmShape("inner", "a", Circle(1.0), (Circle(0.5),))])
    return {
        "sheet": (device.mesh(h_film=0.4, h_edge=0.15, h_far=1.5, ball_radius=4.0),
                  {"thickness": "25 nm"}),
        "A": (geometry.film_in_box(1.0, 0.1, 6.0, holes=[0.5], outer="sphere", h=1.0,
                                   h_sc=0.2), {}),
        "axisymmetric": (meridian(films=[("film_a", 0.5, 1, 0), ("film_b", 1.5, 2, 0)],
                                  bodies=[("rectangle", "disk", 0, 0.3, 1.0, 1.1)], radius=6,
                                  h=1, h_body=0.1), {"thickness": "25 nm"}),
    }


@pytest.mark.parametrize("name", ["sheet", "A", "axisymmetric"])
def test_holes_found_without_a_probe_solve(name, monkeypatch):
    """The registry's holes (from the mesh) are the holes a solve reports, in its order, and
    mqm_fem.inductance then runs one solve per hole and no probe (the disk on the axis of the
    axisymmetric mesh is no hole)."""
    import warnings

    from mqm_fem import london
    from mqm_fem.errors import MqmFemWarning
    from mqm_fem.london.problem import prepare

    domain, options = _meshes()[name]
    formulation = FORMULATIONS[name]
    problem = prepare(domain, "50 nm", formulation.applied(np.zeros(3)), None)
    found = formulation.holes(problem, formulation.options.from_kwargs(options))
    calls = []
    run = london.run
    monkeypatch.setattr(london, "run", lambda *a: calls.append(1) or run(*a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        probe = mqm_fem.solve_london(domain, "50 nm", np.zeros(3), formulation=name, **options)
        assert found == list(probe.holes) and len(found) == (1 if name == "A" else 2)
        calls.clear()
        result = mqm_fem.inductance(domain, "50 nm", formulation=name, split=False, **options)
    assert list(result.holes) == found and len(calls) == len(found)


def test_unknown_hole_is_named_and_single_name_indexing():
    """An unknown hole is refused naming `holes` and the holes the mesh has, before any solve;
    L["hole"] is the self-inductance."""
    domain, options = _meshes()["axisymmetric"]
    with pytest.raises(ParameterError, match=r"holes: no hole named 'nope' in this mesh; the "
                       r"'axisymmetric' formulation finds: film_a, film_b"):
        mqm_fem.inductance(domain, "50 nm", formulation="axisymmetric", holes=["nope"],
                           **options)
    result = mqm_fem.inductance(domain, "50 nm", formulation="axisymmetric", holes=["film_a"],
                                split=False, **options)
    assert result["film_a"] == result["film_a", "film_a"] > 0
    with pytest.raises(ParameterError, match="index by one hole name or a pair"):
        result["film_a", "film_a", "film_a"]
