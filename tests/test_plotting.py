"""PNG pictures without a display (mqm_fem.io.plotting): the image must exist and show the field
(many colours, and the field's gradient visible as a colour difference across the picture)."""

from __future__ import annotations

import numpy as np
import pytest
import skfem
from matplotlib.image import imread

import mqm_fem
from mqm_fem import ParameterError
from mqm_fem.io.plotting import plot_field, plot_profile
from mqm_fem.io.vtk import write_vtu


def _colours(path):
    """Number of distinct RGB colours and the image."""
    image = imread(str(path))[..., :3]
    return len(np.unique((image.reshape(-1, 3) * 255).astype(np.uint8), axis=0)), image


def _left_right_differ(image):
    """Mean colour of the left and right thirds of the central band differ (x gradient shown)."""
    h, w, _ = image.shape
    band = image[h // 3: 2 * h // 3]
    return float(np.abs(band[:, w // 5: 2 * w // 5].mean(axis=(0, 1))
                        - band[:, 3 * w // 5: 4 * w // 5].mean(axis=(0, 1))).sum())


@pytest.mark.parametrize("backend", ["auto", "matplotlib"])
def test_plot_field_2d(half_disk, tmp_path, backend):
    x, y = half_disk.mesh.p
    png = plot_field(half_disk, "J", tmp_path / "png" / "j.png", component="x",
                     point_data={"J": np.c_[x, y]}, units={"J": "A/m^2"}, backend=backend)
    assert png.is_file() and png.stat().st_size > 5000
    ncolours, image = _colours(png)
    contrast = _left_right_differ(image)
    print(f"{backend}: {ncolours} colours, left/right colour difference {contrast:.3f}")
    assert ncolours > 50
    assert contrast > 0.2


def test_plot_field_3d_slice_and_vtu_source(tmp_path):
    mesh = skfem.MeshTet.init_ball(2)
    domain = mqm_fem.domain_from_skfem(mesh, "nm")
    vtu = write_vtu(tmp_path / "ball.vtu", domain, point_data={"B": mesh.p.T.copy()},
                    cell_data={"z": mesh.p[2, mesh.t].mean(axis=0)}, units={"B": "T"})
    for name, backend in (("B", "auto"), ("z", "matplotlib")):
        png = plot_field(vtu, name, tmp_path / f"{name}.png", component=0 if name == "B" else None,
                         slice_normal="z" if name == "B" else "y", backend=backend,
                         association="point" if name == "B" else "cell")
        ncolours, image = _colours(png)
        print(f"3D {name} ({backend}): {ncolours} colours")
        assert ncolours > 20


def test_plot_field_errors(half_disk, tmp_path):
    with pytest.raises(ParameterError, match="array 'nope' not found; arrays are: .*region"):
        plot_field(half_disk, "nope", tmp_path / "a.png")
    with pytest.raises(ParameterError, match="'region' not found in the point data"):
        plot_field(half_disk, "region", tmp_path / "a.png", association="point")
    with pytest.raises(ParameterError, match="is a scalar"):
        plot_field(half_disk, "region", tmp_path / "a.png", component=1)
    with pytest.raises(ParameterError, match="component must be None"):
        plot_field(half_disk, "J", tmp_path / "a.png", component=5,
                   point_data={"J": np.ones((half_disk.mesh.nvertices, 2))})
    with pytest.raises(ParameterError, match=r"must end in \.png"):
        plot_field(half_disk, "region", tmp_path / "a.jpg")
    with pytest.raises(ParameterError, match="backend must be one of"):
        plot_field(half_disk, "region", tmp_path / "a.png", backend="gnuplot")
    assert list(tmp_path.iterdir()) == []


def test_plot_profile(tmp_path):
    r = np.linspace(0, 1, 30)
    png = plot_profile(r, {"numerical": np.exp(-r / 0.2)}, tmp_path / "p.png",
                       reference=lambda s: np.exp(-s / 0.2), xlabel="r (um)", ylabel="B/Ba",
                       logy=True)
    ncolours, _ = _colours(png)
    assert ncolours > 20
    with pytest.raises(ParameterError, match=r"has shape \(3,\), x has \(30,\)"):
        plot_profile(r, np.ones(3), tmp_path / "q.png")


def test_plot_field_falls_back_to_matplotlib(half_disk, tmp_path, monkeypatch):
    """When VTK cannot render (no display, no EGL/OSMesa) 'auto' still produces the picture."""
    from mqm_fem.io import plotting

    print(f"off-screen pyvista rendering available here: {plotting._pyvista_can_render()}")
    calls = []

    def no_context(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("bad X server connection")

    monkeypatch.setattr(plotting, "_pyvista_can_render", lambda: True)
    monkeypatch.setattr(plotting, "_render_pyvista", no_context)
    monkeypatch.setattr(plotting, "_try_xvfb", lambda: False)
    x = half_disk.mesh.p[0]
    png = plot_field(half_disk, "f", tmp_path / "f.png", point_data={"f": x})
    assert calls and _colours(png)[0] > 50 and _left_right_differ(_colours(png)[1]) > 0.2
    with pytest.raises(RuntimeError, match="use backend='matplotlib'"):
        plot_field(half_disk, "f", tmp_path / "g.png", point_data={"f": x}, backend="pyvista")


def test_pyvista_rendering_is_quiet(half_disk, tmp_path, capfd):
    """Without a display VTK tried X first and printed "bad X server connection" as a warning
    line in the middle of the CLI's output, although it then rendered off screen."""
    x, _ = half_disk.mesh.p
    for name in ("a.png", "b.png"):
        plot_field(half_disk, "u", tmp_path / name, point_data={"u": x}, backend="pyvista")
    err = capfd.readouterr().err
    assert "X server" not in err and "WARN|" not in err, err


@pytest.mark.parametrize("backend", ["auto", "matplotlib"])
def test_plot_field_zooms_onto_the_bodies(tmp_path, backend):
    """A small torus section in a vacuum half-disk ten times larger: ``body_bounds`` gives the
    body's box widened by half its size (metres), and the picture is clipped to it (cells cut,
    not dropped); without vacuum, or when the box covers the mesh, no zoom."""
    from mqm_fem.io.plotting import body_bounds
    from mqm_fem.mesh.meridian import meridian

    domain = meridian(bodies=[("ellipse", "torus", 2.0, 0.0, 0.3, 0.3)], radius=10, h=2.0,
                      h_body=0.15)
    box = body_bounds(domain)
    assert box == pytest.approx([1.4e-6, 2.6e-6, -0.6e-6, 0.6e-6, 0, 0], abs=3e-8)
    x, y = domain.mesh.p
    png = plot_field(domain, "u", tmp_path / "zoom.png", point_data={"u": x + y},
                     bounds=box, backend=backend)
    ncolours, image = _colours(png)
    assert ncolours > 50 and _left_right_differ(image) > 0.05
    assert body_bounds(mqm_fem.geometry.disk(1.0, h=0.5)) is None  # no vacuum region
    with pytest.raises(ParameterError, match="bounds: no cell"):
        plot_field(domain, "u", tmp_path / "none.png", point_data={"u": x}, bounds=[1, 2, 1, 2])
    with pytest.raises(ParameterError, match="min ≤ max"):
        plot_field(domain, "u", tmp_path / "bad.png", point_data={"u": x}, bounds=[2, 1, 0, 1])
    assert not (tmp_path / "none.png").exists() and not (tmp_path / "bad.png").exists()


def test_zoom_on_a_3d_body_off_the_mid_plane(tmp_path):
    """A sphere at z = 2.5 in the box [−4, 4]³: the z-slice through the mesh's centre misses it,
    so clipping that slice to the body's box left nothing ("no cell of the picture") and
    mqm-fem london --plot failed after the solve; the slice now goes through the box's centre."""
    import gmsh

    from mqm_fem.io.plotting import body_bounds

    path = tmp_path / "offc.msh"
    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        box = gmsh.model.occ.addBox(-4, -4, -4, 8, 8, 8)
        ball = gmsh.model.occ.addSphere(0, 0, 2.5, 1.0)
        gmsh.model.occ.fragment([(3, box)], [(3, ball)])
        gmsh.model.occ.synchronize()
        masses = {t: gmsh.model.occ.getMass(3, t) for _, t in gmsh.model.getEntities(3)}
        body = min(masses, key=masses.get)
        gmsh.model.addPhysicalGroup(3, [body], name="sc")
        gmsh.model.addPhysicalGroup(3, [t for t in masses if t != body], name="vacuum")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 1.2)
        gmsh.model.mesh.generate(3)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    domain = mqm_fem.load_mesh(path, length_unit="um")
    box = body_bounds(domain)
    assert box is not None and box[4] > 0.4e-6  # the body's box lies above the mid-plane
    x = domain.mesh.p[0]
    png = plot_field(domain, "u", tmp_path / "offc.png", point_data={"u": x}, bounds=box)
    assert _colours(png)[0] > 50
