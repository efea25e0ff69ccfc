"""load_mesh's on-disk cache, its vectorised facet tables, and binary msh 4.1 = ASCII msh 2.2."""

from __future__ import annotations

import warnings

import gmsh
import numpy as np
import pytest
import skfem

from mqm_fem import MqmFemWarning, load_mesh
from mqm_fem.mesh import domain as domain_module


def _cache_files(directory):
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _assert_same_domain(a, b):
    assert a.length_unit == b.length_unit
    assert a.source == b.source and a.source_sha256 == b.source_sha256
    for name in ("p", "t", "facets", "t2f", "f2t"):
        assert np.array_equal(getattr(a.mesh, name), getattr(b.mesh, name)), name
    assert list(a.regions) == list(b.regions)
    assert list(a.boundaries) == list(b.boundaries)
    for name in a.regions:
        assert np.array_equal(a.regions[name], b.regions[name]), name
    for name in a.boundaries:
        assert np.array_equal(a.boundaries[name], b.boundaries[name]), name
    assert (a.curved is None) == (b.curved is None)
    if a.curved is not None:
        assert np.array_equal(a.curved.doflocs, b.curved.doflocs)
        assert np.array_equal(a.curved.t, b.curved.t)


def _no_parse(*args, **kwargs):
    raise AssertionError("the file was parsed although the cache holds it")


def test_cache_hit_returns_the_same_domain_without_parsing(ball_msh, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    first = load_mesh(ball_msh)
    entries = _cache_files(tmp_path / "cache")
    assert len(entries) == 1 and entries[0].suffix == ".npz"
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp")]
    monkeypatch.setattr(domain_module, "_read_gmsh", _no_parse)
    second = load_mesh(ball_msh)
    _assert_same_domain(first, second)
    # the length unit is not part of the cached arrays: another unit is still a hit
    nm = load_mesh(ball_msh, length_unit="nm")
    assert nm.length_unit == pytest.approx(1e-9, rel=1e-12, abs=0)
    assert np.array_equal(nm.mesh.p, first.mesh.p)
    assert len(_cache_files(tmp_path / "cache")) == 1


def test_cache_keeps_curved_geometry_and_2d_names(gmsh_annulus, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    path = gmsh_annulus(tmp_path / "annulus_p2.msh", order=2)
    first = load_mesh(path)
    assert first.curved is not None
    monkeypatch.setattr(domain_module, "_read_gmsh", _no_parse)
    second = load_mesh(path)
    _assert_same_domain(first, second)
    assert second.measure("superconductor") == first.measure("superconductor")


def test_corrupt_cache_entry_is_ignored_and_rewritten(ball_msh, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    first = load_mesh(ball_msh)
    (entry,) = _cache_files(tmp_path / "cache")
    entry.write_bytes(b"PK\x03\x04 this is not a complete npz file")
    second = load_mesh(ball_msh)  # parses again, no error
    _assert_same_domain(first, second)
    monkeypatch.setattr(domain_module, "_read_gmsh", _no_parse)
    _assert_same_domain(first, load_mesh(ball_msh))  # the entry was rewritten
    assert _cache_files(tmp_path / "cache") == [entry]


@pytest.mark.parametrize("off", ["off", "OFF", "0", "false", "no", "none"])
def test_cache_off_writes_nothing(ball_msh, tmp_path, monkeypatch, off):
    monkeypatch.setenv("MQM_FEM_CACHE", off)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    load_mesh(ball_msh)
    load_mesh(ball_msh)
    assert _cache_files(tmp_path) == []


def test_cache_keyword_false_neither_reads_nor_writes(ball_msh, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    load_mesh(ball_msh, cache=False)
    assert not (tmp_path / "cache").exists()
    load_mesh(ball_msh)  # now written
    monkeypatch.setattr(domain_module, "_read_gmsh", _no_parse)
    with pytest.raises(AssertionError, match="was parsed"):
        load_mesh(ball_msh, cache=False)


def test_default_cache_directory_is_xdg_or_home(ball_msh, tmp_path, monkeypatch):
    monkeypatch.delenv("MQM_FEM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_mesh(ball_msh)
    assert len(_cache_files(tmp_path / "xdg" / "mqm_fem")) == 1
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_mesh(ball_msh)
    assert len(_cache_files(tmp_path / "home" / ".cache" / "mqm_fem")) == 1


def test_unwritable_cache_means_no_cache(ball_msh, tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MQM_FEM_CACHE", str(blocker / "cache"))
    domain = load_mesh(ball_msh)  # no error
    assert set(domain.regions) == {"superconductor", "vacuum"}
    assert blocker.read_text() == "not a directory"


def test_changed_file_is_a_cache_miss(gmsh_annulus, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    path = gmsh_annulus(tmp_path / "a.msh", h=0.3)
    coarse = load_mesh(path)
    gmsh_annulus(path, h=0.2)  # same name, other mesh
    fine = load_mesh(path)
    assert fine.mesh.nelements > coarse.mesh.nelements
    assert len(_cache_files(tmp_path / "cache")) == 2


def test_unnamed_mesh_warns_on_a_cache_hit_too(gmsh_annulus, tmp_path, monkeypatch):
    monkeypatch.setenv("MQM_FEM_CACHE", str(tmp_path / "cache"))
    path = gmsh_annulus(tmp_path / "plain.msh", named=False)
    for _ in range(2):
        with pytest.warns(MqmFemWarning, match="no physical groups") as record:
            domain = load_mesh(path)
        assert record[0].filename == __file__  # points at the caller
        assert list(domain.regions) == ["domain"]
    with warnings.catch_warnings():  # a named mesh does not warn from the cache
        warnings.simplefilter("error")
        load_mesh(gmsh_annulus(tmp_path / "named.msh"))
        load_mesh(tmp_path / "named.msh")


@pytest.mark.parametrize("fixture", ["ball_msh", "annulus_msh"])
def test_facet_tables_equal_scikit_fems(fixture, request):
    domain = load_mesh(request.getfixturevalue(fixture), cache=False)
    mesh = domain.mesh
    cls = skfem.MeshTet if domain.dim == 3 else skfem.MeshTri
    reference = cls(mesh.p, mesh.t)  # builds its tables itself, lazily
    for name in ("facets", "t2f", "f2t"):
        assert np.array_equal(getattr(mesh, name), getattr(reference, name)), name
    assert np.array_equal(mesh.boundary_facets(), reference.boundary_facets())


def test_facet_tables_with_vertex_numbers_too_large_for_one_key():
    """Above 2**62 / 3 facet keys need two int64 words: same tables via np.lexsort."""
    mesh = skfem.MeshTet.init_tensor(*(np.linspace(0, 1, 4),) * 3)
    refdom = mesh.elem.refdom.facets
    small = domain_module._facet_tables(mesh.t, mesh.nvertices, refdom)
    huge = domain_module._facet_tables(mesh.t, 2**22, refdom)  # 2**66 > 2**62: two keys
    for a, b, name in zip(small, huge, ("facets", "t2f", "f2t"), strict=True):
        assert np.array_equal(a, b), name
    facets = mesh.facets[:, [5, 0, 7]].T[:, ::-1]
    for nodes in (facets, np.vstack([facets, [[0, 1, 63]]])):
        found = domain_module._match_facets(mesh, nodes)
        assert list(found[:3]) == [5, 0, 7] and (found.size == 3 or found[3] == -1)


@pytest.mark.parametrize("dim", [2, 3])
def test_binary_msh41_equals_ascii_msh22(ball_msh, annulus_msh, tmp_path, dim):
    source = ball_msh if dim == 3 else annulus_msh
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.open(str(source))
        for version, binary, name in ((2.2, 0, "ascii22.msh"), (4.1, 1, "binary41.msh")):
            gmsh.option.setNumber("Mesh.MshFileVersion", version)
            gmsh.option.setNumber("Mesh.Binary", binary)
            gmsh.write(str(tmp_path / name))
    finally:
        gmsh.finalize()
    assert b"\x00" in (tmp_path / "binary41.msh").read_bytes()[:4096]  # really binary
    ascii22 = load_mesh(tmp_path / "ascii22.msh", cache=False)
    binary41 = load_mesh(tmp_path / "binary41.msh", cache=False)
    assert ascii22.dim == binary41.dim == dim
    for name in ("p", "t", "facets", "t2f", "f2t"):
        assert np.array_equal(getattr(ascii22.mesh, name), getattr(binary41.mesh, name)), name
    assert {k: v.tolist() for k, v in ascii22.regions.items()} == \
        {k: v.tolist() for k, v in binary41.regions.items()}
    assert {k: v.tolist() for k, v in ascii22.boundaries.items()} == \
        {k: v.tolist() for k, v in binary41.boundaries.items()}


@pytest.mark.parametrize("variant", ["plain", "overlap", "renumbered", "quadratic"])
def test_fast_ascii_msh22_reader_equals_meshio(gmsh_annulus, tmp_path, monkeypatch, variant):
    """load_mesh reads plain ASCII msh 2.2 with whole-section numpy parsing; the Domain must be
    the one meshio's line-by-line reader gives (other files go to meshio directly)."""
    path = tmp_path / f"{variant}.msh"
    if variant == "quadratic":
        gmsh_annulus(path, version=2.2, order=2)
    else:
        gmsh_annulus(path, version=2.2)
    text = path.read_text()
    if variant == "overlap":  # every triangle of the ring in a second group: written twice
        start, end = text.index("$Elements\n"), text.index("$EndElements")
        lines = text[start:end].splitlines()[2:]
        extra = []
        for line in lines:
            words = line.split()
            if words[1] == "2" and words[3] == "1":  # triangle of group 1 (superconductor)
                extra.append(" ".join([str(len(lines) + len(extra) + 1), "2", "2", "7",
                                       *words[4:]]))
        body = "\n".join([str(len(lines) + len(extra)), *lines, *extra]) + "\n"
        text = (text[:start] + "$Elements\n" + body + text[end:]).replace(
            "$EndPhysicalNames", '2 7 "also"\n$EndPhysicalNames')
        text = text.replace("$PhysicalNames\n4\n", "$PhysicalNames\n5\n")
    if variant == "renumbered":  # node numbers with gaps
        start, end = text.index("$Nodes\n"), text.index("$EndNodes")
        lines = text[start:end].splitlines()
        nodes = [f"{int(w[0]) * 3} {' '.join(w[1:])}" for w in map(str.split, lines[2:])]
        text = text[:start] + "\n".join(["$Nodes", lines[1], *nodes]) + "\n" + text[end:]
        start, end = text.index("$Elements\n"), text.index("$EndElements")
        lines = text[start:end].splitlines()
        elems = []
        for words in map(str.split, lines[2:]):
            head = 3 + int(words[2])
            elems.append(" ".join(words[:head] + [str(int(n) * 3) for n in words[head:]]))
        text = text[:start] + "\n".join(["$Elements", lines[1], *elems]) + "\n" + text[end:]
    path.write_text(text)
    used_fast = domain_module._read_msh22_ascii(path) is not None
    assert used_fast == (variant != "quadratic")
    fast = load_mesh(path, cache=False)
    monkeypatch.setattr(domain_module, "_read_msh22_ascii", lambda path: None)
    slow = load_mesh(path, cache=False)
    _assert_same_domain(fast, slow)
    if variant == "overlap":
        assert set(fast.regions) == {"superconductor", "hole_0", "also"}
        assert np.array_equal(fast.regions["also"], fast.regions["superconductor"])
