"""A picture of the sheet current on planar films: |K| in colour with its streamlines.

:func:`plot_sheet_current` draws what the sheet formulation writes to ``<stem>_film.vtu``
(:mod:`mqm_fem.london.sheet`): the P1 sheet current K (A/m) on the film triangles. The films
are drawn in their own plane (for films in z = const: x and y in the length unit), |K| by
Gouraud-shaded ``tripcolor`` and the in-plane direction of K by ``streamplot`` on a regular grid
(K interpolated linearly on the triangles; the streamlines stop where the films stop, so holes
and slits stay empty). Streamline width follows |K|. Matplotlib only: no display is needed.
Tested in ``tests/test_sheet_plot.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..units import parse_length
from .files import atomic_write, check_writable

_PLANAR = 1e-6  # out-of-plane extent / in-plane size below which films count as planar


def plot_sheet_current(source, path_png, *, films=None, length_unit="um", title=None,
                       cmap="magma", density=1.5, resolution=400) -> Path:
    """Draw |K| with streamlines of K on the films of a sheet solution; save ``path_png``.

    Parameters
    ----------
    source : solution, str/Path or pyvista mesh
        A solution of the ``sheet`` formulation (``solve_london(..., formulation="sheet")``),
        its ``<stem>_film.vtu`` file, or a pyvista surface with point data ``K``.
    path_png : str or Path
        Output ``.png`` (checked before anything is drawn; written atomically).
    films : str or list of str, optional
        Film group names to draw (default: all); they must lie in one plane.
    length_unit : str
        Unit of the axes (default µm).
    density : float
        Streamline density (matplotlib's ``streamplot``).
    resolution : int
        Points per side of the grid the streamlines are traced on.

    Raises
    ------
    ParameterError
        No K in ``source``, an unknown film, films that are not in one plane.
    OutputError
        ``path_png`` cannot be written.
    """
    path_png = check_writable(path_png, ".png", "path_png")
    scale = parse_length(length_unit, "length_unit")
    if not (np.isfinite(density) and density > 0) or int(resolution) < 10:
        raise ParameterError(f"density must be > 0 and resolution ≥ 10, got {density!r}, "
                             f"{resolution!r}")
    points, triangles, k_points, index, names = _film_arrays(source)
    keep = _selected(films, index, names)
    triangles = triangles[keep]
    used, triangles = np.unique(triangles, return_inverse=True)
    triangles = triangles.reshape(-1, 3)
    points, k_points = points[used], k_points[used]
    origin, e1, e2 = _plane(points, [names[i] for i in np.unique(index[keep])])
    uv = np.stack([(points - origin) @ e1, (points - origin) @ e2], axis=1) / scale
    k_uv = np.stack([k_points @ e1, k_points @ e2], axis=1)
    label = "|K| (A/m)"
    title = f"sheet current on {', '.join(names[i] for i in np.unique(index[keep]))}" \
        if title is None else title
    axes_names = ("x", "y") if e1[0] == 1 and e2[1] == 1 else ("u", "v")

    def render(tmp):
        unit = "µm" if length_unit == "um" else length_unit
        fig = _figure(uv, triangles, k_uv, label, title, cmap, density, int(resolution),
                      [f"{a} ({unit})" for a in axes_names])
        fig.savefig(tmp, format="png")

    atomic_write([(path_png, render)])
    return path_png


def coplanar(source, films=None) -> bool:
    """Whether the (chosen) films of ``source`` lie in one plane, i.e. can be drawn together."""
    points, triangles, _, index, names = _film_arrays(source)
    used = np.unique(triangles[_selected(films, index, names)])
    try:
        _plane(points[used], names)
    except ParameterError:
        return False
    return True


def _film_arrays(source):
    """(points (n, 3) m, triangles (m, 3), K (n, 3) A/m, film index per triangle, names)."""
    state = getattr(getattr(source, "outputs", None), "state", None)
    if isinstance(state, dict) and "films" in state:
        f = state["films"]
        return (np.asarray(f["points"]), np.asarray(f["triangles"]),
                np.asarray(f["point_data"]["K"]), np.asarray(f["cell_data"]["film"]),
                list(f["names"]))
    if hasattr(source, "outputs"):
        raise ParameterError("plot_sheet_current: this solution has no films (it is not a "
                             "solution of the 'sheet' formulation); draw B with plot_field")
    grid = _read(source)
    if "K" not in grid.point_data:
        raise ParameterError(f"plot_sheet_current: no point array 'K' in {source}; arrays: "
                             f"{', '.join(grid.point_data.keys()) or '(none)'}")
    cells = grid.cells_dict if hasattr(grid, "cells_dict") else {}
    triangles = np.asarray(cells.get(5, np.zeros((0, 3), int)))  # VTK_TRIANGLE
    if triangles.size == 0:
        raise ParameterError(f"plot_sheet_current: {source} holds no triangles")
    index = np.asarray(grid.cell_data["film"]) if "film" in grid.cell_data else \
        np.zeros(len(triangles), int)
    names = [str(n) for n in grid.field_data["film_names"]] if "film_names" in \
        grid.field_data else ["film"]
    return (np.asarray(grid.points), triangles, np.asarray(grid.point_data["K"]), index, names)


def _read(source):
    import pyvista as pv

    if isinstance(source, pv.DataSet):
        return source
    if isinstance(source, (str, Path)):
        from .vtk import read_vtu

        return read_vtu(source)
    raise ParameterError("plot_sheet_current: source must be a sheet solution, a _film.vtu path "
                         f"or a pyvista mesh, got {type(source).__name__}")


def _selected(films, index, names) -> np.ndarray:
    """Boolean mask of the triangles of the chosen films."""
    if films is None:
        return np.ones(len(index), bool)
    wanted = [films] if isinstance(films, str) else list(films)
    unknown = [f for f in wanted if f not in names]
    if unknown:
        raise ParameterError(f"plot_sheet_current: no film {unknown[0]!r}; films are: "
                             f"{', '.join(names)}")
    return np.isin(index, [names.index(f) for f in wanted])


def _plane(points, names):
    """Origin and in-plane unit axes of the films' common plane (x, y when it is z = const)."""
    origin = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - origin, full_matrices=False)
    size = float(np.ptp(points, axis=0).max())
    thickness = float(np.ptp((points - origin) @ vt[2]))
    if thickness > _PLANAR * size:
        raise ParameterError(
            f"plot_sheet_current: the films {', '.join(names)} are not in one plane (they extend "
            f"{thickness:.3g} m out of it, {size:.3g} m in it); choose films of one layer with "
            "films=..., or view K in ParaView")
    normal = vt[2] / np.linalg.norm(vt[2])
    if abs(abs(normal[2]) - 1) < 1e-9:  # z = const: x and y, seen from +z
        return origin, np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    e1 = np.cross([0.0, 0, 1], normal) if abs(normal[2]) < 0.9 else vt[0]
    e1 /= np.linalg.norm(e1)
    return origin, e1, np.cross(normal, e1)


def _figure(uv, triangles, k_uv, label, title, cmap, density, resolution, axis_labels):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.tri import LinearTriInterpolator, Triangulation

    tri = Triangulation(uv[:, 0], uv[:, 1], triangles)
    magnitude = np.linalg.norm(k_uv, axis=1)
    fig = Figure(figsize=(7.0, 6.0), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.tripcolor(tri, magnitude, shading="gouraud", cmap=cmap)
    fig.colorbar(image, ax=ax, label=label)
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    gu = LinearTriInterpolator(tri, k_uv[:, 0])(gx, gy)
    gv = LinearTriInterpolator(tri, k_uv[:, 1])(gx, gy)
    speed = np.ma.sqrt(gu**2 + gv**2)
    if speed.count() and float(speed.max()) > 0:
        width = 0.4 + 1.6 * np.ma.filled(speed / speed.max(), 0.0)
        ax.streamplot(gx, gy, np.ma.filled(gu, np.nan), np.ma.filled(gv, np.nan),
                      color="white", linewidth=width, density=density, arrowsize=0.7)
    ax.set_aspect("equal")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title)
    fig.tight_layout()
    return fig
