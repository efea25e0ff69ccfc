"""The output stage: VTK XML files for ParaView (``.vtu`` + JSON sidecar with units, ``.pvd``
collections), written atomically, and matplotlib / off-screen PyVista images."""

from .vtk import read_sidecar, read_vtu, sidecar_path, write_pvd, write_series, write_vtu

__all__ = ["read_sidecar", "read_vtu", "sidecar_path", "write_pvd", "write_series", "write_vtu"]
