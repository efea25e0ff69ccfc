"""Loading gmsh meshes into Domains: names, units, and every refusal with its message."""

from __future__ import annotations

import warnings

import meshio
import numpy as np
import pytest

from mqm_fem import Domain, MeshError, MqmFemError, MqmFemWarning, ParameterError, load_mesh
from mqm_fem.errors import RegionNotFoundError


@pytest.mark.parametrize("fixture", ["annulus_msh", "annulus_msh_v2"])
def test_gmsh_v4_and_v2_load_with_physical_names(fixture, request):
    domain = load_mesh(request.getfixturevalue(fixture))
    assert domain.dim == 2
    assert set(domain.regions) == {"superconductor", "hole_0"}
    assert set(domain.boundaries) == {"outer", "hole_0_boundary"}
    # areas of the polygonal approximations of the ring and the hole
    assert domain.measure("superconductor") == pytest.approx(np.pi * (1 - 0.16), rel=2e-2, abs=0)
    assert domain.measure("hole_0") == pytest.approx(np.pi * 0.16, rel=4e-2, abs=0)  # 17-gon
    assert domain.superconductor_names() == ["superconductor"]
    assert domain.hole_names() == ["hole_0"]
    # boundary facets are real boundary facets with midpoints on the right circles
    mid = domain.mesh.p[:, domain.mesh.facets[:, domain.boundary("outer")]].mean(axis=1)
    assert np.allclose(np.linalg.norm(mid, axis=0), 1.0, atol=0.01)
    mid = domain.mesh.p[:, domain.mesh.facets[:, domain.boundary("hole_0_boundary")]].mean(axis=1)
    assert np.allclose(np.linalg.norm(mid, axis=0), 0.4, atol=0.01)
    assert domain.length_unit == 1e-6


def test_3d_mesh_loads_regions_and_boundaries(ball_msh):
    domain = load_mesh(ball_msh, length_unit="nm")
    assert domain.dim == 3 and domain.length_unit == pytest.approx(1e-9, rel=1e-12, abs=0)
    assert set(domain.regions) == {"superconductor", "vacuum"}
    assert set(domain.boundaries) == {"surface", "outer"}
    assert domain.measure("superconductor") == pytest.approx(4 / 3 * np.pi, rel=0.1, abs=0)
    assert domain.measure("superconductor") + domain.measure("vacuum") == (
        pytest.approx(64.0, rel=1e-12, abs=0))
    assert np.all(np.isin(domain.boundary("outer"), domain.mesh.boundary_facets()))
    assert "surface" in domain.describe() and "vacuum" in domain.describe()


@pytest.mark.parametrize("version", [2.2, 4.1])
def test_overlapping_physical_groups_keep_every_name(tmp_path, version):
    """An entity in two groups: msh 2.2 repeats its elements, msh 4.1 lists two tags. Both must
    give each element once and every group its elements (meshio keeps only one tag in 4.1)."""
    import gmsh

    path = tmp_path / f"overlap_{version}.msh"
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        occ.addRectangle(0, 0, 0, 1, 1)
        occ.addRectangle(1, 0, 0, 1, 1)
        occ.fragment([(2, 1)], [(2, 2)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [1], name="left")
        gmsh.model.addPhysicalGroup(2, [2], name="right")
        gmsh.model.addPhysicalGroup(2, [1, 2], name="film")
        outer = [c for _, c in gmsh.model.getBoundary([(2, 1), (2, 2)], oriented=False)]
        gmsh.model.addPhysicalGroup(1, outer, name="edge")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.25)
        gmsh.model.mesh.generate(2)
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    domain = load_mesh(path)
    n = domain.mesh.nelements
    assert len(domain.region("left")) + len(domain.region("right")) == n
    assert np.array_equal(domain.region("film"), np.arange(n))
    assert domain.measure("film") == pytest.approx(2.0, rel=1e-12, abs=0)
    assert domain.measure("left") == pytest.approx(1.0, rel=1e-12, abs=0)
    assert np.isin(domain.boundary("edge"), domain.mesh.boundary_facets()).all()
    assert len(domain.boundary("edge")) == len(domain.mesh.boundary_facets())


def test_mesh_without_physical_groups_gets_one_region_and_a_warning(gmsh_annulus, tmp_path):
    path = gmsh_annulus(tmp_path / "plain.msh", named=False)
    with pytest.warns(MqmFemWarning, match="no physical groups"):
        domain = load_mesh(path)
    assert list(domain.regions) == ["domain"]
    assert list(domain.boundaries) == ["boundary"]
    assert len(domain.region("domain")) == domain.mesh.nelements


def test_unknown_region_lists_the_valid_names(annulus_msh):
    domain = load_mesh(annulus_msh)
    with pytest.raises(RegionNotFoundError, match=r"'ring'.*superconductor, hole_0"):
        domain.region("ring")
    with pytest.raises(RegionNotFoundError, match=r"'top'.*outer, hole_0_boundary"):
        domain.boundary("top")
    with pytest.raises(MqmFemError):
        domain.superconductor_names(["nope"])


def test_missing_file(tmp_path):
    with pytest.raises(MeshError, match="does not exist"):
        load_mesh(tmp_path / "nothing.msh")


def test_directory_and_wrong_suffix(tmp_path):
    with pytest.raises(MeshError, match="is a directory"):
        load_mesh(tmp_path)
    other = tmp_path / "mesh.stl"
    other.write_text("solid x\nendsolid x\n")
    with pytest.raises(MeshError, match="expected a gmsh .msh file"):
        load_mesh(other)


def test_truncated_file(annulus_msh_v2, tmp_path):
    text = annulus_msh_v2.read_text()
    cut = tmp_path / "truncated.msh"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(MeshError, match="cannot read .*truncated"):
        load_mesh(cut)


def test_garbage_file(tmp_path):
    bad = tmp_path / "garbage.msh"
    bad.write_bytes(b"\x00\x01not a mesh at all\n" * 10)
    with pytest.raises(MeshError, match="cannot read"):
        load_mesh(bad)


def _write_msh(path, points, cells):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meshio.write(path, meshio.Mesh(points, cells), file_format="gmsh22", binary=False)
    return path


def _square_points():
    return np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 0.5, 0]], float)


def test_no_elements_of_needed_dimension(tmp_path):
    lines = [("line", np.array([[0, 1], [1, 2]]))]
    path = _write_msh(tmp_path / "lines.msh", _square_points(), lines)
    with pytest.raises(MeshError, match="no triangles or tetrahedra"):
        load_mesh(path)


def test_2d_mesh_requested_as_3d(annulus_msh):
    with pytest.raises(MeshError, match="no tetra elements, so it is not a 3D mesh"):
        load_mesh(annulus_msh, dim=3)


def test_degenerate_element(tmp_path):
    pts = np.vstack([_square_points(), [[2.0, 0, 0]]])
    tri = np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [0, 1, 5]])  # last is flat
    path = _write_msh(tmp_path / "flat.msh", pts, [("triangle", tri)])
    with pytest.raises(MeshError, match=r"1 degenerate element.*zero area.*element 4"):
        load_mesh(path)


def _tets_with(corner, small):
    """A regular tetrahedron of edge 10 at the origin and a second one, ``small`` (4, 3),
    displaced to ``corner``: a 3D mesh whose outer size is 10 units."""
    big = 10 * np.array([[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0],
                         [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]])
    return np.vstack([big, np.asarray(corner) + small]), np.array([[0, 1, 2, 3], [4, 5, 6, 7]])


def test_tiny_regular_tetrahedron_is_not_degenerate(tmp_path):
    """A well-shaped element 1e-4 of the mesh size (1 nm in a 10 µm box) far from the origin is
    accepted (a cut-off scaled by the outer size, 1e-12 × 10³, refused it)."""
    h = 1e-3
    regular = h * np.array([[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0],
                            [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]])
    pts, tets = _tets_with([9.1, 8.3, 7.7], regular)
    path = _write_msh(tmp_path / "tiny.msh", pts, [("tetra", tets)])
    with pytest.warns(MqmFemWarning, match="no physical groups"):
        domain = load_mesh(path)
    assert domain.mesh.nelements == 2
    assert domain.measure("domain") == pytest.approx(
        (1000 + h ** 3) / (6 * np.sqrt(2)), rel=1e-12, abs=0)


@pytest.mark.parametrize("h", [1e-3, 1.0])
def test_flat_tetrahedron_is_degenerate_at_any_size(tmp_path, h):
    """Four coplanar vertices (a tilted plane, so the rounded coordinates are not exactly
    coplanar) are refused whether the element is tiny or large."""
    u, v = np.array([1.0, 0.3, 0.7]), np.array([-0.2, 1.0, 0.4])
    flat = h * np.array([np.zeros(3), u, v, 0.3 * u + 0.4 * v])
    pts, tets = _tets_with([9.1, 8.3, 7.7], flat)
    path = _write_msh(tmp_path / "flat_tet.msh", pts, [("tetra", tets)])
    with pytest.raises(MeshError, match=r"1 degenerate element.*zero volume.*element 1"):
        load_mesh(path)


def test_tiny_triangle_is_not_degenerate_but_a_flat_one_is(tmp_path):
    pts = np.vstack([_square_points(), [[0.7, 0.7, 0], [0.7 + 1e-7, 0.7, 0],
                                        [0.7, 0.7 + 1e-7, 0]]])
    tri = np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [5, 6, 7]])
    path = _write_msh(tmp_path / "tiny_tri.msh", pts, [("triangle", tri)])
    with pytest.warns(MqmFemWarning, match="no physical groups"):
        domain = load_mesh(path)
    assert domain.mesh.nelements == 5
    assert domain.measure("domain") == pytest.approx(1 + 0.5e-14, rel=1e-15, abs=0)
    pts[6] = [0.7 + 1e-7, 0.7 + 0.5e-7, 0]
    pts[7] = [0.7 + 0.4e-7, 0.7 + 0.2e-7, 0]  # on the segment from vertex 5 to vertex 6
    path = _write_msh(tmp_path / "flat_tri.msh", pts, [("triangle", tri)])
    with pytest.raises(MeshError, match=r"1 degenerate element.*zero area.*element 4"):
        load_mesh(path)


def test_inverted_element(tmp_path):
    tri = np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [0, 3, 4]])  # last one clockwise
    path = _write_msh(tmp_path / "inverted.msh", _square_points(), [("triangle", tri)])
    with pytest.raises(MeshError, match=r"1 inverted element.*element 3"):
        load_mesh(path)


def test_consistently_clockwise_mesh_is_accepted(tmp_path):
    tri = np.array([[0, 4, 1], [1, 4, 2], [2, 4, 3], [3, 4, 0]])
    path = _write_msh(tmp_path / "cw.msh", _square_points(), [("triangle", tri)])
    with pytest.warns(MqmFemWarning):
        domain = load_mesh(path)
    assert domain.measure("domain") == pytest.approx(1.0, rel=1e-12, abs=0)


def test_higher_order_elements_are_refused(gmsh_annulus, tmp_path):
    """Second-order triangles (triangle6) are read (tests/test_curved.py); third order is not."""
    path = gmsh_annulus(tmp_path / "p3.msh", order=3)
    with pytest.raises(MeshError, match=r"higher-order elements \(triangle10\).*ElementOrder = 1"):
        load_mesh(path)


@pytest.mark.parametrize(
    ("unit", "message"),
    [("furlongs per second", "length_unit"), ("-1 um", "positive"), (0.0, "positive"),
     ("1 mT", "units of"), (float("nan"), "finite")],
)
def test_bad_length_unit(annulus_msh, unit, message):
    with pytest.raises(ParameterError, match=message):
        load_mesh(annulus_msh, length_unit=unit)


def test_length_unit_strings(annulus_msh):
    assert load_mesh(annulus_msh, length_unit="nm").length_unit == (
        pytest.approx(1e-9, rel=1e-12, abs=0))
    assert load_mesh(annulus_msh, length_unit="0.5 mm").length_unit == (
        pytest.approx(5e-4, rel=1e-12, abs=0))
    assert load_mesh(annulus_msh, length_unit=1e-6).length_unit == 1e-6
    assert load_mesh(annulus_msh, length_unit="µm").length_unit == (
        pytest.approx(1e-6, rel=1e-12, abs=0))


def test_domain_validates_its_unit(annulus_msh):
    mesh = load_mesh(annulus_msh).mesh
    with pytest.raises(ParameterError, match="length_unit"):
        Domain(mesh, length_unit=-3)


def _gmsh_quads(path, dim=2):
    """A small all-quadrilateral (2D) or all-hexahedral (3D) mesh written by gmsh."""
    import gmsh

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        tag = occ.addRectangle(0, 0, 0, 1, 1) if dim == 2 else occ.addBox(0, 0, 0, 1, 1, 1)
        occ.synchronize()
        gmsh.model.addPhysicalGroup(dim, [tag], name="superconductor")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.3)
        gmsh.option.setNumber("Mesh.RecombineAll", 1)
        if dim == 3:
            gmsh.option.setNumber("Mesh.Recombine3DAll", 1)
            for _, t in gmsh.model.getEntities(1):
                gmsh.model.mesh.setTransfiniteCurve(t, 4)
            for _, t in gmsh.model.getEntities(2):
                gmsh.model.mesh.setTransfiniteSurface(t)
            gmsh.model.mesh.setTransfiniteVolume(tag)
        gmsh.model.mesh.generate(dim)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return path


@pytest.mark.parametrize(("dim", "shape", "kind", "simplex"),
                         [(2, "quadrilaterals", "quad", "triangles"),
                          (3, "hexahedra", "hexahedron", "tetrahedra")])
def test_linear_quads_and_hexahedra_are_named_not_higher_order(tmp_path, dim, shape, kind,
                                                               simplex):
    """A linear quad mesh (gmsh Mesh.RecombineAll = 1) was refused as 'higher-order'."""
    path = _gmsh_quads(tmp_path / f"quads{dim}.msh", dim)
    with pytest.raises(MeshError) as info:
        load_mesh(path)
    message = str(info.value)
    assert f"contains {shape} ({kind})" in message and f"needs {simplex}" in message
    assert "Mesh.RecombineAll = 0" in message and "higher-order" not in message


def test_text_file_named_msh_is_refused_quietly(tmp_path, capfd):
    """meshio printed 'Error: Couldn't read file' and the message ended in ': 1' (its
    sys.exit code)."""
    path = tmp_path / "notes.msh"
    path.write_text("hello world\nthis is not a mesh\n")
    with pytest.raises(MeshError) as info:
        load_mesh(path)
    assert str(info.value) == (f"cannot read {path}: not a gmsh .msh file: first line is "
                               "'hello world', expected '$MeshFormat'")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    empty = tmp_path / "empty.msh"
    empty.write_text("")
    with pytest.raises(MeshError, match="the file is empty"):
        load_mesh(empty)


def test_corrupt_gmsh_file_is_refused_quietly(tmp_path, capfd):
    bad = tmp_path / "corrupt.msh"
    bad.write_text("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 2 x\n")
    with pytest.raises(MeshError, match=r"cannot read .*corrupt\.msh as a gmsh mesh") as info:
        load_mesh(bad)
    assert not str(info.value).endswith(": 1")
    future = tmp_path / "future.msh"
    future.write_text("$MeshFormat\n9.9 0 8\n$EndMeshFormat\n")
    with pytest.raises(MeshError, match=r"future\.msh .*mesh format .*got 9\.9"):
        load_mesh(future)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
