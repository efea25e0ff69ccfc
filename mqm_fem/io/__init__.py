"""The output stage: VTK XML files for ParaView (``.vtu`` + JSON sidecar with units and
provenance, ``.pvd`` collections), output paths checked before a solve and written atomically,
and matplotlib / off-screen PyVista images."""

from ..errors import OutputError
from .files import atomic_write, check_writable
from .plotting import body_bounds, plot_field, plot_profile
from .provenance import file_sha256, provenance
from .sheet_plot import plot_sheet_current
from .vtk import (
    decode_text,
    read_sidecar,
    read_vtu,
    sidecar_path,
    write_pvd,
    write_series,
    write_vtu,
)

__all__ = [
    "OutputError",
    "atomic_write",
    "body_bounds",
    "check_writable",
    "decode_text",
    "file_sha256",
    "plot_field",
    "plot_profile",
    "plot_sheet_current",
    "provenance",
    "read_sidecar",
    "read_vtu",
    "sidecar_path",
    "write_pvd",
    "write_series",
    "write_vtu",
]
