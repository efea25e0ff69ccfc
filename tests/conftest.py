"""Shared fixtures: small gmsh meshes made on the fly (no dependence on shipped files)."""

from __future__ import annotations

import os

# BLAS threads fight the two cores of CI (and pytest's own process) over small sparse solves:
# one thread is faster here and makes timings reproducible. Set before numpy loads BLAS.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import gmsh  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _mesh_cache_in_tmp(tmp_path_factory):
    """Point load_mesh's cache (``$MQM_FEM_CACHE``) at a temporary directory for the whole
    session, so tests never write to the user's ~/.cache (set before any other fixture
    loads a mesh; tests of the cache itself override it per test)."""
    old = os.environ.get("MQM_FEM_CACHE")
    os.environ["MQM_FEM_CACHE"] = str(tmp_path_factory.mktemp("mqm_fem_cache"))
    yield
    if old is None:
        os.environ.pop("MQM_FEM_CACHE", None)
    else:
        os.environ["MQM_FEM_CACHE"] = old


def _gmsh_annulus(path, version=4.1, order=1, named=True, h=0.15):
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("annulus")
        occ = gmsh.model.occ
        outer = occ.addDisk(0, 0, 0, 1.0, 1.0)
        inner = occ.addDisk(0, 0, 0, 0.4, 0.4)
        _, parent = occ.fragment([(2, outer)], [(2, inner)])
        occ.synchronize()
        hole = parent[1][0][1]
        ring = [tag for d, tag in parent[0] if tag != hole]
        if named:
            gmsh.model.addPhysicalGroup(2, ring, name="superconductor")
            gmsh.model.addPhysicalGroup(2, [hole], name="hole_0")
            ring_curves = {c for _, c in gmsh.model.getBoundary([(2, t) for t in ring],
                                                                 oriented=False)}
            hole_curves = {c for _, c in gmsh.model.getBoundary([(2, hole)], oriented=False)}
            gmsh.model.addPhysicalGroup(1, sorted(ring_curves - hole_curves), name="outer")
            gmsh.model.addPhysicalGroup(1, sorted(hole_curves), name="hole_0_boundary")
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.model.mesh.generate(2)
        if order > 1:
            gmsh.model.mesh.setOrder(order)
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return path


def _gmsh_ball(path, h=0.35):
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("ball")
        occ = gmsh.model.occ
        box = occ.addBox(-2, -2, -2, 4, 4, 4)
        ball = occ.addSphere(0, 0, 0, 1.0)
        _, parent = occ.fragment([(3, box)], [(3, ball)])
        occ.synchronize()
        sc = parent[1][0][1]
        vac = [t for _, t in parent[0] if t != sc]
        gmsh.model.addPhysicalGroup(3, [sc], name="superconductor")
        gmsh.model.addPhysicalGroup(3, vac, name="vacuum")
        sphere = [s for _, s in gmsh.model.getBoundary([(3, sc)], oriented=False)]
        allb = {s for _, s in gmsh.model.getBoundary([(3, t) for t in vac], oriented=False)}
        gmsh.model.addPhysicalGroup(2, sphere, name="surface")
        gmsh.model.addPhysicalGroup(2, sorted(allb - set(sphere)), name="outer")
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return path


@pytest.fixture(scope="session")
def annulus_msh(tmp_path_factory):
    return _gmsh_annulus(tmp_path_factory.mktemp("mesh") / "annulus.msh")


@pytest.fixture(scope="session")
def annulus_msh_v2(tmp_path_factory):
    return _gmsh_annulus(tmp_path_factory.mktemp("mesh") / "annulus_v2.msh", version=2.2)


@pytest.fixture(scope="session")
def ball_msh(tmp_path_factory):
    return _gmsh_ball(tmp_path_factory.mktemp("mesh") / "ball.msh")


@pytest.fixture
def gmsh_annulus():
    """The annulus generator itself, for tests that need variants (order, names)."""
    return _gmsh_annulus


@pytest.fixture(scope="session")
def example():
    """Load ``examples/<name>.py`` as a module (examples are executable documentation: each test
    calls its ``main(out_dir)``)."""
    import importlib.util
    import sys
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"

    def load(name):
        spec = importlib.util.spec_from_file_location(name, examples / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses in the example need their module registered
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="module")
def half_disk():
    """Unit disk (in µm) split into a superconducting left half and a vacuum right half."""
    import numpy as np
    import skfem

    import mqm_fem

    mesh = skfem.MeshTri.init_circle(3)
    cx = mesh.p[0, mesh.t].mean(axis=0)
    regions = {"superconductor": np.flatnonzero(cx < 0), "vacuum": np.flatnonzero(cx >= 0)}
    return mqm_fem.domain_from_skfem(mesh, "um", regions=regions)
