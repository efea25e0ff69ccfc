"""Command line: ``mqm-fem VERB ...``.

Verbs: ``mesh`` (geometry library -> .msh), ``info`` (what a mesh holds), ``london`` (screening
solve -> .vtu), ``schrodinger`` (lowest eigenstates -> .vtu), ``nucleation`` (Tc(B) phase
boundary -> CSV + PNG). Errors print one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time

import numpy as np

from .errors import MqmFemError, ParameterError


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        args.run(args)
    except MqmFemError as exc:
        if args.debug:
            raise
        print(f"mqm-fem {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mqm-fem: interrupted", file=sys.stderr)
        return 130
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mqm-fem",
        description="Finite elements for superconductors in the macroscopic quantum model: "
        "London-Maxwell screening and the gauge-covariant Schrödinger problem.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    _add_mesh(sub, common)
    _add_info(sub, common)
    _add_london(sub, common)
    _add_schrodinger(sub, common)
    _add_nucleation(sub, common)
    parser.set_defaults(debug=False)
    return parser


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- mesh -----------------------------------------------------------------------------------
def _add_mesh(sub, common):
    from .mesh.geometry import GEOMETRIES

    p = sub.add_parser("mesh", parents=[common],
                       help="generate a gmsh mesh from the geometry library",
                       description="Generate a mesh with named physical groups. "
                       "`mqm-fem mesh KIND --help` lists the KIND's parameters.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, func in GEOMETRIES.items():
        doc = (inspect.getdoc(func) or "").splitlines()
        k = kinds.add_parser(kind, parents=[common], help=doc[0] if doc else kind,
                             description=inspect.getdoc(func))
        for name, param in inspect.signature(func).parameters.items():
            if name in ("path", "length_unit", "msh_version"):
                continue
            flag = "-h" if name == "h" else f"--{name.replace('_', '-')}"
            flags = ["--h"] if name == "h" else [flag]
            required = param.default is inspect.Parameter.empty
            k.add_argument(*flags, dest=name, type=_geometry_value, required=required,
                           default=None if required else param.default,
                           help=f"(default {param.default})" if not required else "required")
        k.add_argument("--length-unit", default="um", help="unit of the coordinates (default um)")
        k.add_argument("-o", "--output", required=True, help="output .msh file")
        k.set_defaults(run=_run_mesh, geometry=func)


def _geometry_value(text: str):
    """Numbers, or lists like '0,0;1,0;1,1' (polygon vertices) for the geometry library."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if ";" in text:
            return [tuple(float(v) for v in pt.split(",")) for pt in text.split(";") if pt]
        if "," in text:
            return tuple(float(v) for v in text.split(","))
    except ValueError:
        pass
    if text in ("box", "sphere", "disk"):
        return text
    raise argparse.ArgumentTypeError(
        f"expected a number or a list like '0,0;1,0;1,1', got {text!r}")


def _run_mesh(args):
    func = args.geometry
    names = [n for n in inspect.signature(func).parameters if n not in ("path", "msh_version")]
    kwargs = {n: getattr(args, n) for n in names if n != "length_unit"}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    out = _check_output(args.output, ".msh")
    _progress(f"meshing {args.kind} ...")
    start = time.perf_counter()
    domain = func(**kwargs, length_unit=args.length_unit, path=out)
    _progress(f"wrote {out} in {time.perf_counter() - start:.1f} s")
    print(domain.describe())


# -- info -----------------------------------------------------------------------------------
def _add_info(sub, common):
    p = sub.add_parser("info", parents=[common],
                       help="list regions, boundaries and sizes of a mesh")
    p.add_argument("mesh", help="gmsh .msh file")
    p.add_argument("--length-unit", default="um", help="unit of the coordinates (default um)")
    p.set_defaults(run=_run_info)


def _run_info(args):
    from .mesh import load_mesh

    print(load_mesh(args.mesh, length_unit=args.length_unit).describe())


# -- london ---------------------------------------------------------------------------------
def _london_flags() -> dict:
    """CLI flag -> (option name, [(formulation, spec, default)]) from the registry."""
    from .london import FORMULATIONS

    flags: dict = {}
    for name, formulation in FORMULATIONS.items():
        for option_name, (spec, default) in formulation.options.specs().items():
            if spec.cli:
                flags.setdefault(spec.cli, (option_name, []))[1].append((name, spec, default))
    return flags


def _add_london(sub, common):
    from .london import FORMULATIONS

    table = "\n".join(f"  {f.name:<13} {f.dim}D  {f.equation}\n  {'':<13}     auto: {f.auto_rule}"
                      for f in FORMULATIONS.values())
    p = sub.add_parser(
        "london", parents=[common], help="London-Maxwell screening solve -> .vtu",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Solve London screening λ²∇×∇×B + B = 0 on a gmsh mesh (docs/theory.md §1) "
        "and write B, J (and A) for ParaView.\n\nformulations:\n" + table,
    )
    p.add_argument("mesh", help="gmsh .msh file with physical groups")
    p.add_argument("--penetration-depth", "--lambda", dest="penetration_depth", required=True,
                   help="λ with a unit, e.g. 0.1um or '100 nm' (number = metres); or NAME=VALUE "
                   "per region, repeatable", action="append")
    p.add_argument("--field", nargs="+", required=True,
                   help="applied field: 3 components and a unit ('0 0 1mT' or 0 0 1 mT); in 2D one "
                   "value (B_z) or two (in-plane)")
    p.add_argument("--superconductor", action="append", default=None, metavar="NAME",
                   help="superconducting region (repeatable; default: all regions not named "
                   "vacuum/air/hole)")
    p.add_argument("--formulation", default="auto", choices=["auto", *FORMULATIONS],
                   help="default auto: chosen from the mesh and the field as listed above")
    for flag, (name, entries) in _london_flags().items():
        texts: dict = {}  # one help text, the formulations that share it
        for formulation, spec, default in entries:
            choices = f" {{{', '.join(map(str, spec.choices))}}}" if spec.choices else ""
            text = spec.help + choices + (f" (default {default})" if default is not None else "")
            texts.setdefault(text, []).append(formulation)
        spec = entries[0][1]
        p.add_argument(flag, dest=f"option_{name}", default=[] if spec.repeat else None,
                       action="append" if spec.repeat else "store",
                       metavar=spec.metavar or name.upper(),
                       help=("repeatable; " if spec.repeat else "")
                       + "; ".join(f"{', '.join(who)}: {text}" for text, who in texts.items()))
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True, help="output .vtu file")
    p.set_defaults(run=_run_london)


def _london_options(args) -> dict:
    """The formulation options given on the command line (those left out are not passed)."""
    options = {}
    for flag, (name, entries) in _london_flags().items():
        value = getattr(args, f"option_{name}")
        if value is None or value == []:
            continue
        default = entries[0][2]
        if entries[0][1].repeat:
            value = _key_values(value, flag, str)
        elif isinstance(default, int) and not isinstance(default, bool):
            try:
                value = int(value)
            except ValueError:
                raise ParameterError(f"{flag}: expected an integer, got {value!r}") from None
        options[name] = value
    return options


def _key_values(items, option, convert):
    out = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"{option}: expected NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = convert(value.strip())
        except ValueError as exc:
            raise ParameterError(f"{option}: bad value in {item!r}: {exc}") from None
    return out


def _run_london(args):
    from .london import solve_london
    from .mesh import load_mesh

    out = _check_output(args.output, ".vtu")
    options = _london_options(args)
    lam = args.penetration_depth
    if len(lam) == 1 and "=" not in lam[0]:
        lam = lam[0]
    else:
        lam = _key_values(lam, "--penetration-depth", str)
    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    solution = solve_london(domain, lam, " ".join(args.field),
                            superconductors=args.superconductor, formulation=args.formulation,
                            progress=_progress, **options)
    _progress(f"solved in {solution.timings.total_s:.1f} s")
    print(solution.summary())
    solution.write(out)
    _progress(f"wrote {out}")


def _check_output(path, suffix):
    """Refuse an output path that cannot be written (suffix, parent a file, directory not
    writable) before any mesh is read or solve started: one-line error, exit status 2."""
    from .io.files import check_writable

    return check_writable(path, suffix, "--output")


# -- schrodinger ----------------------------------------------------------------------------
def _add_schrodinger(sub, common):
    p = sub.add_parser(
        "schrodinger", parents=[common], help="lowest eigenstates of (−iħ∇ − qA)²/2m -> .vtu",
        description="Linearised Ginzburg-Landau / gauge-covariant Schrödinger eigenproblem "
        "(physics.md §2): eigenvalues, |ψ|², phase and supercurrent of the k lowest states.",
    )
    p.add_argument("mesh", help="gmsh .msh file")
    p.add_argument("--field", nargs="+", default=["0"],
                   help="uniform applied field ('0 0 1mT'; in 2D one value B_z)")
    p.add_argument("--k", type=int, default=6, help="number of states (default 6)")
    p.add_argument("--xi", default=None, help="coherence length ξ (e.g. 50nm): also print the "
                   "nucleation field")
    p.add_argument("--bc", action="append", default=[], metavar="NAME=KIND",
                   help="boundary condition per named boundary: dirichlet, neumann or robin:ℓ "
                   "(e.g. outer=robin:1um); default natural (neumann)")
    p.add_argument("--order", type=int, default=2, help="Lagrange order 1 or 2 (default 2)")
    p.add_argument("--gauge", default="symmetric", help="symmetric (default) or landau")
    p.add_argument("--eigensolver", default="auto",
                   help="auto (default: shift-invert, LOBPCG if the factors would not fit), "
                   "shift-invert or lobpcg")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True, help="output .vtu file")
    p.set_defaults(run=_run_schrodinger)


def _run_schrodinger(args):
    from .mesh import load_mesh
    from .quantum.schrodinger import solve_schrodinger

    out = _check_output(args.output, ".vtu")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    bc = _key_values(args.bc, "--bc", str) or None
    _progress(f"solving for {args.k} states ({domain.mesh.nelements} elements) ...")
    solution = solve_schrodinger(domain, applied_field=" ".join(args.field), k=args.k,
                                 order=args.order, bc=bc, gauge=args.gauge,
                                 eigensolver=args.eigensolver)
    print(solution.summary())
    if args.xi is not None:
        from .quantum.nucleation import nucleation_field

        _progress("root-finding the nucleation field ...")
        field = np.asarray(solution.applied_field, dtype=float)
        direction = (field / np.linalg.norm(field)
                     if domain.dim == 3 and np.any(field) else None)
        result = nucleation_field(domain, args.xi, bc=bc, direction=direction)
        print(f"nucleation field: {_fmt_nucleation(result)}")
    solution.write(out)
    _progress(f"wrote {out}")


def _fmt_nucleation(result):
    return (f"{result.field:.6g} T = {result.ratio:.4f} B_c2 "
            f"(B_c2 = Φ₀/2πξ² = {result.upper_critical_field:.6g} T)")


# -- nucleation -----------------------------------------------------------------------------
def _add_nucleation(sub, common):
    p = sub.add_parser("nucleation", parents=[common],
                       help="phase boundary Tc(B)/Tc0 over a list of fields -> CSV + PNG")
    p.add_argument("mesh", help="gmsh .msh file")
    p.add_argument("--xi", required=True, help="zero-temperature coherence length ξ₀ (e.g. 50nm)")
    p.add_argument("--fields", nargs="+", required=True,
                   help="applied field magnitudes with a unit, e.g. 0 1 2 3 mT (along z in 2D, "
                   "along --direction in 3D)")
    p.add_argument("--direction", nargs=3, type=float, default=None, metavar=("X", "Y", "Z"),
                   help="3D: field direction (default 0 0 1)")
    p.add_argument("--bc", action="append", default=[], metavar="NAME=KIND",
                   help="boundary condition per boundary (default natural)")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True,
                   help="output .csv file (a .png is written beside it)")
    p.set_defaults(run=_run_nucleation)


def _run_nucleation(args):
    from .mesh import load_mesh
    from .quantum.nucleation import phase_boundary
    from .units import parse_vector

    out = _check_output(args.output, ".csv")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    fields = parse_vector(" ".join(args.fields), "magnetic_field", "--fields")
    bc = _key_values(args.bc, "--bc", str) or None
    result = phase_boundary(domain, args.xi, fields, bc=bc, direction=args.direction)
    print(result.summary())
    for path in result.write(out):
        _progress(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
