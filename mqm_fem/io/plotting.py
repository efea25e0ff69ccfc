"""Pictures of results: a field on the mesh (:func:`plot_field`) and a line plot
(:func:`plot_profile`), both written to PNG files without a display.

:func:`plot_field` renders with pyvista off screen (VTK picks EGL/OSMesa when there is no X
display). ``backend="auto"`` first checks, once per process and in a subprocess, that off-screen
rendering works (without a display some VTK builds abort instead of raising). If rendering is
unavailable, fails or yields a blank image it uses a virtual X server when pyvista offers
``start_xvfb`` and ``Xvfb`` is installed, and otherwise falls back to matplotlib: ``tripcolor``
of the triangles in 2D, of a plane slice in 3D. The arrays, names and units are
the ones :func:`mqm_fem.io.write_vtu` writes, so a picture shows exactly what ParaView would.
The output path is checked before anything is drawn and the PNG is written atomically (a
temporary file, then a rename): a path that cannot be written raises
:class:`~mqm_fem.errors.OutputError` and leaves nothing behind. Tested in
``tests/test_plotting.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from .files import atomic_write, check_writable

BACKENDS = ("auto", "pyvista", "matplotlib")
_AXES = {"x": 0, "y": 1, "z": 2}


def plot_field(source, array_name: str, path_png, component=None, *, point_data=None,
               cell_data=None, units=None, title=None, cmap="viridis", clim=None,
               show_edges=False, slice_normal="z", association=None, backend="auto",
               window_size=(1024, 768), bounds=None) -> Path:
    """Draw the array ``array_name`` of a result and save it as ``path_png``.

    Parameters
    ----------
    source : Domain, solution, str/Path or pyvista.DataSet
        A :class:`~mqm_fem.mesh.Domain` (with ``point_data``/``cell_data`` given here), a solution
        object with ``domain``, ``point_data``, ``cell_data`` and ``units`` attributes (such as
        :class:`~mqm_fem.london.common.LondonSolution`), a ``.vtu`` file, or a pyvista mesh.
    array_name : str
        A point or cell array (``"B"``, ``"density"``, ``"region"`` ...).
    path_png : str or Path
        Output file (``.png``); parent directories are created.
    component : None, int or "x"/"y"/"z"
        For vectors: which component; ``None`` draws the magnitude. Must be ``None`` for scalars.
    point_data, cell_data, units : dict, optional
        Arrays and units when ``source`` is a bare Domain.
    title : str, optional
        Default: the array name, component and unit.
    clim : (float, float), optional
        Colour range; default the data range.
    slice_normal : "x", "y", "z" or None
        3D only: draw the plane through the centre with this normal (default ``"z"``);
        ``None`` draws the outer surface.
    association : None, "point" or "cell"
        Where to look for ``array_name`` when both exist (default: point data first).
    backend : "auto", "pyvista" or "matplotlib"
        ``"auto"``: pyvista, falling back to matplotlib if rendering fails.
    bounds : sequence of 4 or 6 floats, optional
        (xmin, xmax, ymin, ymax[, zmin, zmax]) in metres (the picture's coordinates): clip
        the picture to this box, cells crossing it cut at its faces — to zoom onto bodies in a
        large vacuum box (:func:`body_bounds`); in 3D with six values the slice goes through
        the box's centre instead of the mesh's.

    Returns
    -------
    Path
        ``path_png``.

    Raises
    ------
    ParameterError
        Bad arguments (unknown array, component, backend ...).
    OutputError
        ``path_png`` cannot be written (checked before rendering).
    """
    path_png = check_writable(path_png, ".png", "path_png")
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if slice_normal is not None and slice_normal not in _AXES:
        raise ParameterError(f"slice_normal must be 'x', 'y', 'z' or None, got {slice_normal!r}")
    grid, units = _as_grid(source, point_data, cell_data, units)
    if association not in (None, "point", "cell"):
        raise ParameterError(f"association must be None, 'point' or 'cell', got {association!r}")
    values, association = _values(grid, array_name, component, association)
    label = _label(array_name, component, units.get(array_name))
    grid = grid.copy(deep=False)
    scalars_name = "_plotted"
    (grid.point_data if association == "point" else grid.cell_data)[scalars_name] = values
    box = None if bounds is None else _box(bounds)
    dim3 = bool(np.ptp(np.asarray(grid.points)[:, 2]) > 0)
    if dim3 and slice_normal is not None:  # through the centre of the picture's box
        origin = grid.center if box is None or box.size != 6 else 0.5 * (box[0::2] + box[1::2])
        grid = grid.slice(normal=slice_normal, origin=origin)
        if grid.n_cells == 0:
            raise ParameterError(f"the {slice_normal}-slice through the centre is empty")
        if association == "cell" and scalars_name not in grid.cell_data:
            association = "point"
    if box is not None:  # the colours span what is shown
        grid = _crop(grid, box)
        association = "point" if scalars_name in grid.point_data else "cell"
        values = np.asarray((grid.point_data if association == "point"
                             else grid.cell_data)[scalars_name])
    clim = _clim(values, clim)
    title = label if title is None else title
    if backend == "auto" and not _pyvista_can_render():
        backend = "matplotlib"

    def render(tmp):  # tmp ends in .png, as pyvista's screenshot wants
        if backend in ("auto", "pyvista"):
            try:
                _render_pyvista(grid, scalars_name, association, tmp, title, cmap, clim,
                                show_edges, dim3, slice_normal, window_size)
                if _is_informative(tmp):
                    return
                reason = "pyvista rendered a blank image"
            except Exception as exc:  # VTK raises a variety when no rendering context exists
                reason = f"pyvista failed: {exc}"
            if _try_xvfb():
                _render_pyvista(grid, scalars_name, association, tmp, title, cmap, clim,
                                show_edges, dim3, slice_normal, window_size)
                if _is_informative(tmp):
                    return
            if backend == "pyvista":
                raise RuntimeError(f"plot_field: {reason}; use backend='matplotlib'")
        _render_matplotlib(grid, scalars_name, association, tmp, title, cmap, clim,
                           show_edges, dim3, slice_normal)

    atomic_write([(path_png, render)])
    return path_png


def body_bounds(domain: Domain, margin: float = 0.5):
    """The bounding box of ``domain``'s non-vacuum regions, widened by ``margin`` times its
    size on every side, as (xmin, xmax, ymin, ymax, zmin, zmax) in metres — or None when the
    mesh has no vacuum region or the box would cover most of the mesh anyway."""
    from ..mesh import is_vacuum_name

    bodies = [np.asarray(e) for name, e in domain.regions.items() if not is_vacuum_name(name)]
    if not bodies or len(bodies) == len(domain.regions):
        return None
    mesh = domain.mesh
    points = mesh.p[:, np.unique(mesh.t[:, np.concatenate(bodies)])]
    low, high = points.min(axis=1), points.max(axis=1)
    pad = margin * float(np.max(high - low))
    low, high = low - pad, high + pad
    if np.all(np.ptp(mesh.p, axis=1) <= 1.5 * (high - low)):
        return None
    box = np.zeros(6)
    box[0:2 * mesh.dim():2], box[1:2 * mesh.dim():2] = low, high
    return tuple(float(v) * domain.length_unit for v in box)


def _box(bounds) -> np.ndarray:
    """``bounds`` checked: 4 or 6 numbers (xmin, xmax, ymin, ymax[, zmin, zmax]), min ≤ max."""
    box = np.asarray(bounds, dtype=float).ravel()
    if box.size not in (4, 6) or np.any(box[1::2] < box[0::2]):
        raise ParameterError(f"bounds: (xmin, xmax, ymin, ymax[, zmin, zmax]) in metres with "
                             f"min ≤ max, got {list(bounds)!r}")
    return box


def _crop(grid, box: np.ndarray):
    """``grid`` clipped to the checked ``box`` (:func:`_box`, metres; a 2D box spans all z),
    as triangles (cells cut by the box are cut, not dropped)."""
    full = np.asarray(grid.bounds, dtype=float)
    box = np.concatenate([box, full[box.size:]])
    pad = 1e-9 * float(np.max(box[1::2] - box[0::2]) or 1.0)
    box[0::2] -= pad  # a flat (2D) axis keeps a thickness
    box[1::2] += pad
    clipped = grid.clip_box(list(box), invert=False)
    if clipped.n_cells == 0:
        raise ParameterError(f"bounds: no cell of the picture lies inside "
                             f"{[float(v) for v in box]} m")
    return clipped.triangulate()


def plot_profile(x, y, path_png, *, labels=None, xlabel="", ylabel="", title=None,
                 reference=None, reference_label="reference", logx=False, logy=False,
                 marker="o") -> Path:
    """Line plot of one or several curves ``y(x)`` saved as ``path_png``.

    ``y`` is one array (same length as ``x``), a 2D array (one curve per row) or a dict
    label -> array; ``reference`` is an optional array (or callable of ``x``) drawn dashed, e.g.
    the analytic solution a validation compares with. Used by the examples.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path_png = check_writable(path_png, ".png", "path_png")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise ParameterError(f"x must be a 1D array of at least 2 values, got shape {x.shape}")
    if isinstance(y, dict):
        curves = {str(k): np.asarray(v, dtype=float) for k, v in y.items()}
    else:
        arr = np.asarray(y, dtype=float)
        rows = [arr] if arr.ndim == 1 else list(arr)
        if labels is None:
            labels = [None] * len(rows) if len(rows) == 1 else [f"{k}" for k in range(len(rows))]
        elif isinstance(labels, str):
            labels = [labels]
        if len(labels) != len(rows):
            raise ParameterError(f"labels: {len(labels)} given for {len(rows)} curve(s)")
        curves = dict(zip(labels, rows, strict=True))
    for name, values in curves.items():
        if values.shape != x.shape:
            raise ParameterError(
                f"y{'' if name is None else f'[{name!r}]'} has shape {values.shape}, "
                f"x has {x.shape}"
            )
    fig = Figure(figsize=(6.4, 4.4), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, values in curves.items():
        ax.plot(x, values, marker=marker, ms=3, label=name)
    if reference is not None:
        ref = np.asarray(reference(x) if callable(reference) else reference, dtype=float)
        if ref.shape != x.shape:
            raise ParameterError(f"reference has shape {ref.shape}, x has {x.shape}")
        ax.plot(x, ref, "k--", lw=1, label=reference_label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(name is not None for name in curves) or reference is not None:
        ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    atomic_write([(path_png, lambda tmp: fig.savefig(tmp, format="png"))])
    return path_png


# ----------------------------------------------------------------------------------------------
def _as_grid(source, point_data, cell_data, units):
    """(pyvista grid in metres, units dict) from any accepted source."""
    import pyvista as pv

    from .vtk import _build, read_sidecar, read_vtu

    if isinstance(source, (str, Path)):
        grid = read_vtu(source)
        try:
            file_units = read_sidecar(source).get("units", {})
        except Exception:
            file_units = {}
        return grid, {**file_units, **(units or {})}
    if isinstance(source, pv.DataSet):
        return source, dict(units or {})
    if isinstance(source, Domain):
        domain = source
    elif hasattr(source, "domain") and isinstance(source.domain, Domain):
        domain = source.domain
        point_data = {**getattr(source, "point_data", {}), **(point_data or {})}
        cell_data = {**getattr(source, "cell_data", {}), **(cell_data or {})}
        units = {**getattr(source, "units", {}), **(units or {})}
    else:
        raise ParameterError(
            "plot_field: source must be a Domain, a solution with .domain, a .vtu path or a "
            f"pyvista mesh, got {type(source).__name__}"
        )
    grid, _ = _build(domain, point_data, cell_data, None, None, vtu_name="")
    return grid, dict(units or {})


def _values(grid, name, component, association):
    if name in grid.point_data and association in (None, "point"):
        arr, association = np.asarray(grid.point_data[name]), "point"
    elif name in grid.cell_data and association in (None, "cell"):
        arr, association = np.asarray(grid.cell_data[name]), "cell"
    else:
        names = sorted(set(grid.point_data.keys()) | set(grid.cell_data.keys()))
        where = "" if association is None else f" in the {association} data"
        raise ParameterError(f"array {name!r} not found{where}; arrays are: {', '.join(names)}")
    arr = arr.astype(float)
    if arr.ndim == 1:
        if component not in (None, 0):
            raise ParameterError(f"{name!r} is a scalar: component must be None, got {component!r}")
        return arr, association
    if component is None:
        return np.linalg.norm(arr, axis=1), association
    index = _AXES.get(component, component) if isinstance(component, str) else component
    if not isinstance(index, (int, np.integer)) or not 0 <= index < arr.shape[1]:
        raise ParameterError(
            f"component must be None (magnitude), 0..{arr.shape[1] - 1} or 'x'/'y'/'z', "
            f"got {component!r}"
        )
    return arr[:, int(index)], association


def _label(name, component, unit):
    comp = "" if component is None else f"[{component}]"
    return f"{name}{comp}" + (f" ({unit})" if unit else "")


def _clim(values, clim):
    if clim is not None:
        lo, hi = (float(c) for c in clim)
        if not hi > lo:
            raise ParameterError(f"clim must be (low, high) with low < high, got {clim!r}")
        return lo, hi
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:  # a constant field: give the colour map some room
        pad = abs(lo) * 1e-3 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _render_pyvista(grid, scalars, association, path_png, title, cmap, clim, show_edges, dim3,
                    slice_normal, window_size):
    import pyvista as pv

    with _quiet_vtk():
        plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
        try:
            plotter.add_mesh(grid, scalars=scalars, preference=association, cmap=cmap,
                             clim=clim, show_edges=show_edges, lighting=False,
                             scalar_bar_args={"title": title})
            if not dim3:
                plotter.view_xy()
            elif slice_normal is not None:
                {"x": plotter.view_yz, "y": plotter.view_xz, "z": plotter.view_xy}[slice_normal]()
            else:
                plotter.view_isometric()
            plotter.screenshot(str(path_png))
        finally:
            plotter.close()


def _quiet_vtk():
    """VTK's logger at errors only while rendering: without a display, VTK tries X first and
    prints "bad X server connection" as a warning before it renders off screen anyway (the
    result is checked by :func:`_is_informative`). A no-op with pyvista < 0.45."""
    import contextlib

    import pyvista as pv

    verbosity = getattr(pv, "vtk_verbosity", None)
    return verbosity("error") if verbosity is not None else contextlib.nullcontext()


_PROBE = """
import pyvista as pv
plotter = pv.Plotter(off_screen=True, window_size=[64, 64])
plotter.add_mesh(pv.Sphere())
image = plotter.screenshot(None, return_img=True)
plotter.close()
print("RENDER_OK" if image.max() > image.min() else "RENDER_BLANK")
"""


@lru_cache(maxsize=1)
def _pyvista_can_render() -> bool:
    """Whether off-screen VTK rendering works here, tried once per process in a subprocess:
    without a display some VTK builds abort the whole process instead of raising."""
    if os.environ.get("DISPLAY") or sys.platform in ("win32", "darwin"):
        return True
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and "RENDER_OK" in proc.stdout


def _is_informative(path_png) -> bool:
    """True when the PNG exists and is not one flat colour."""
    if not Path(path_png).is_file():
        return False
    from matplotlib.image import imread

    image = imread(str(path_png))
    return image.size > 0 and float(np.ptp(image)) > 0.0


def _try_xvfb() -> bool:
    import pyvista as pv

    start = getattr(pv, "start_xvfb", None)
    if start is None or shutil.which("Xvfb") is None:
        return False
    try:
        start()
    except Exception:
        return False
    return True


def _render_matplotlib(grid, scalars, association, path_png, title, cmap, clim, show_edges,
                       dim3, slice_normal):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.tri import Triangulation

    if dim3 and slice_normal is None:
        raise ParameterError("the matplotlib fallback draws 3D results as a slice: "
                             "give slice_normal='x', 'y' or 'z'")
    surface = grid.triangulate() if dim3 else grid  # in 3D: the slice (PolyData)
    axes = [0, 1] if not dim3 else [a for a in range(3) if a != _AXES[slice_normal]]
    points = np.asarray(surface.points)[:, axes]
    cells = _triangles(surface)
    tri = Triangulation(points[:, 0], points[:, 1], cells)
    fig = Figure(figsize=(6.4, 5.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    edge = "k" if show_edges else "none"
    if association == "point":
        mappable = ax.tripcolor(tri, np.asarray(surface.point_data[scalars]), shading="gouraud",
                                cmap=cmap, vmin=clim[0], vmax=clim[1])
        if show_edges:
            ax.triplot(tri, lw=0.2, color="k")
    else:
        mappable = ax.tripcolor(tri, facecolors=np.asarray(surface.cell_data[scalars]),
                                cmap=cmap, vmin=clim[0], vmax=clim[1], edgecolors=edge, lw=0.2)
    ax.set_aspect("equal")
    names = "xyz"
    ax.set_xlabel(f"{names[axes[0]]} (m)")
    ax.set_ylabel(f"{names[axes[1]]} (m)")
    fig.colorbar(mappable, ax=ax, label=title)
    fig.tight_layout()
    fig.savefig(path_png, format="png")


def _triangles(surface):
    """(n, 3) triangle connectivity of a triangulated pyvista surface or 2D grid."""
    import pyvista as pv

    if isinstance(surface, pv.UnstructuredGrid):
        return np.asarray(surface.cells_dict[pv.CellType.TRIANGLE])
    faces = np.asarray(surface.faces).reshape(-1, 4)
    return faces[:, 1:]
