"""(Re)create the meshes shipped in meshes/ with the mqm_fem geometry library.

Usage::

    python meshes/generate.py            # all meshes, written next to this script
    python meshes/generate.py OUT ring   # only ring.msh, written to OUT/

Lengths are in micrometres. ``MESHES`` is the single source of truth for the parameters;
meshes/README.md describes the same files.
"""

from __future__ import annotations

import time
from pathlib import Path

from mqm_fem import geometry

#: gmsh file format of the shipped meshes. 2.2 repeats an element once per physical group, so
#: groups sharing entities (``outer`` and ``surface`` of a lone disk) survive any reader; a msh
#: 4.1 file stores them as one entity with two tags, of which meshio keeps only the first.
MSH_VERSION = 2.2

#: file stem -> (generator, keyword arguments); lengths in um
MESHES = {
    # 2D ring for the fluxoid / hollow-cylinder London problem, resolving λ ≈ 0.1 um
    "ring": (geometry.annulus, dict(inner_radius=0.5, outer_radius=1.0, h=0.1,
                                    h_surface=0.025, surface_layer=0.15)),
    # 2D disk (cylinder in parallel field, Schrödinger disk)
    "disk": (geometry.disk, dict(radius=1.0, h=0.05)),
    # 2D cross-section of a cylinder (radius 1 um) in a vacuum box, transverse-field London
    "cylinder_cross_section": (geometry.circle_in_box, dict(radius=1.0, box_size=8.0, h=0.4,
                                                            h_sc=0.1, h_surface=0.03,
                                                            surface_layer=0.2)),
    # 3D sphere (radius 1 um) in a 4 um box, refined near the surface
    "sphere_in_box": (geometry.sphere_in_box, dict(radius=1.0, box_size=4.0, h=0.5,
                                                   h_surface=0.1, surface_layer=0.2)),
    # 3D sphere (radius 1 um) in a vacuum ball of radius 4 um: the README's main job; the
    # spherical outer boundary lets the London solver remove its image field from the moment
    "sphere_in_ball": (geometry.sphere_in_box, dict(radius=1.0, box_size=8.0, outer="sphere",
                                                    h=0.8, h_surface=0.1, surface_layer=0.2)),
    # 3D ring (torus, major radius 1 um, minor radius 0.25 um) in a 4 um box
    "ring_in_box": (geometry.torus_in_box, dict(major_radius=1.0, minor_radius=0.25,
                                                box_size=4.0, h=0.5, h_sc=0.1)),
    # 3D square film 2 um x 2 um x 0.1 um with a 0.8 um square hole, in a 4 um box
    "film_with_hole": (geometry.film_in_box, dict(
        vertices=[(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)], thickness=0.1,
        box_size=4.0, holes=[[(-0.4, -0.4), (0.4, -0.4), (0.4, 0.4), (-0.4, 0.4)]],
        h=0.5, h_sc=0.1)),
}


def main(out_dir=None, only=None) -> dict[str, Path]:
    """Write the meshes (all, or the stems in ``only``) to ``out_dir`` (default: here)."""
    out_dir = Path(out_dir) if out_dir is not None else Path(__file__).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    unknown = set(only or ()) - set(MESHES)
    if unknown:
        raise SystemExit(f"unknown mesh(es) {sorted(unknown)}; known: {', '.join(MESHES)}")
    written = {}
    for stem, (generate, kwargs) in MESHES.items():
        if only and stem not in only:
            continue
        path = out_dir / f"{stem}.msh"
        start = time.perf_counter()
        domain = generate(**kwargs, path=path, msh_version=MSH_VERSION)
        kind = "triangles" if domain.dim == 2 else "tetrahedra"
        print(f"{path.name}: {domain.mesh.nelements} {kind}, {path.stat().st_size / 1e6:.2f} MB, "
              f"{time.perf_counter() - start:.1f} s")
        written[stem] = path
    return written


if __name__ == "__main__":
    import argparse

    cli = argparse.ArgumentParser(description="Regenerate the shipped meshes.")
    cli.add_argument("stems", nargs="*", help=f"which (default all): {', '.join(MESHES)}")
    cli.add_argument("--out-dir", default=None, help="where to write (default: this folder)")
    args = cli.parse_args()
    main(args.out_dir, args.stems or None)
