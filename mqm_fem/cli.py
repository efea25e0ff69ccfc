"""Command line: ``mqm-fem VERB ...``.

Verbs: ``mesh`` (geometry library -> .msh), ``info`` (what a mesh holds), ``london`` (screening
solve -> .vtu), ``polarizability`` (3×3 magnetic polarizability tensor, optionally -> .json),
``schrodinger`` (lowest eigenstates -> .vtu), ``nucleation`` (Tc(B) phase
boundary -> CSV + PNG), ``gl`` (stationary Ginzburg-Landau states at one field -> .vtu, or along
a field sweep -> .pvd + PNG), ``sweep`` (a parameter sweep described in TOML -> store
directory); ``mqm-fem --version``.

Conventions of every verb:

* errors print one line ``mqm-fem VERB: error: MESSAGE`` and exit with status 2 (``--debug``
  shows the traceback); warnings print one line ``mqm-fem VERB: warning: MESSAGE``; Ctrl-C
  prints ``mqm-fem: interrupted`` and exits with status 130;
* option values may start with '-' (``--field 0 0 -1mT``, ``--fields -1 0 1 mT``,
  ``--penetration-depth -1um``): a word that starts with '-' and a digit is always a value;
* every option is parsed and checked before the mesh is read or anything is solved;
* progress goes to stderr as timestamped lines, results to stdout;
* exit status 0 on success, 2 on an error, 130 on Ctrl-C; ``sweep`` exits 1 when it finished
  but some points failed (they are recorded with their error) or ``--check`` found a problem.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from .errors import MqmFemError, MqmFemWarning, ParameterError
from .progress import is_terminal


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(_protect_negative_values(argv))
    _restore_negative_values(args)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    with warnings.catch_warnings():  # restores warnings.showwarning afterwards
        warnings.showwarning = _warning_printer(args.verb)
        try:
            status = args.run(args)
        except MqmFemError as exc:
            if args.debug:
                raise
            print(f"mqm-fem {args.verb}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("mqm-fem: interrupted", file=sys.stderr)
            return 130
    return int(status or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mqm-fem",
        description="Finite elements for superconductors in the macroscopic quantum model: "
        "London-Maxwell screening and the gauge-covariant Schrödinger problem.",
    )
    parser.add_argument("--version", action="version", version=f"mqm-fem {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    _add_mesh(sub, common)
    _add_info(sub, common)
    _add_london(sub, common)
    _add_polarizability(sub, common)
    _add_inductance(sub, common)
    _add_schrodinger(sub, common)
    _add_nucleation(sub, common)
    _add_gl(sub, common)
    _add_sweep(sub, common)
    parser.set_defaults(debug=False)
    return parser


def _version() -> str:
    """The installed distribution's version, else the package's ``__version__`` (running from a
    source tree); looked up, never imported from the top package."""
    from importlib.metadata import PackageNotFoundError, version

    with contextlib.suppress(PackageNotFoundError, ValueError):
        return version("mqm-fem")
    with contextlib.suppress(ImportError):
        from ._version import __version__  # type: ignore[import-not-found]

        return str(__version__)
    return str(getattr(sys.modules.get(__package__ or "mqm_fem"), "__version__", "unknown"))


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- values that start with '-' -------------------------------------------------------------
#: a word that starts like a negative number ('-1', '-.5', '-1um', '-1e-3', '-1,0;1,0;0,1') is
#: a value, never an option (no option of mqm-fem starts with '-' and a digit)
_NEGATIVE_VALUE = re.compile(r"-\.?\d")
#: argparse takes a word starting with '-' for an option; a leading space hides it, and
#: :func:`_restore_negative_values` takes it off again after parsing
_SHIELD = " "


def _protect_negative_values(argv):
    return [_SHIELD + a if isinstance(a, str) and _NEGATIVE_VALUE.match(a) else a for a in argv]


def _restore_negative_values(args) -> None:
    def restore(value):
        if isinstance(value, str) and value.startswith(_SHIELD) and \
                _NEGATIVE_VALUE.match(value[len(_SHIELD):]):
            return value[len(_SHIELD):]
        if isinstance(value, list):
            return [restore(v) for v in value]
        if isinstance(value, tuple):
            return tuple(restore(v) for v in value)
        return value

    for name, value in vars(args).items():
        setattr(args, name, restore(value))


# -- warnings -------------------------------------------------------------------------------
def _warning_printer(verb):
    """``warnings.showwarning`` replacement: one line ``mqm-fem VERB: warning: MESSAGE`` on
    stderr (no source line); warnings that are not :class:`MqmFemWarning` name their category."""

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if not issubclass(category, MqmFemWarning):
            text = f"{category.__name__}: {text}"
        stream = sys.stderr if file is None else file
        with contextlib.suppress(OSError, ValueError):
            print(f"mqm-fem {verb}: warning: {text}", file=stream, flush=True)

    return show


# -- option values --------------------------------------------------------------------------
_INTEGER_MEANING = {"--fluxoid": "fluxoid number", "--k": "number of states",
                    "--order": "Lagrange order"}


def cli_integer(value, option: str, *, item: str | None = None, what: str | None = None) -> int:
    """The integer given to a command-line option, or a one-line :class:`ParameterError`.

    ``value`` is the text (or a number) to convert; ``option`` the option's name
    (``"--fluxoid"``); ``item`` the whole word the value came from, shown in the message
    (default ``value``; e.g. ``"hole_0=1.5"`` for a ``NAME=N`` option); ``what`` says what the
    integer means (default from ``option``: ``--fluxoid`` "fluxoid number", ``--k`` "number of
    states", ``--order`` "Lagrange order"; otherwise "value"). Accepts ``3``, ``+3``, ``-2``,
    ``2.0``, ``1e3`` (integral values); refuses ``1.5``, ``two``, ``''``, ``nan``, ``inf``.
    ``cli_integer("1.5", "--fluxoid", item="hole_0=1.5")`` raises
    ``--fluxoid: 'hole_0=1.5': the fluxoid number must be an integer``.
    """
    meaning = what or _INTEGER_MEANING.get(option, "value")
    shown = value if item is None else item
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, np.integer)):
        return int(value)
    else:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = None
    if isinstance(number, float):
        number = int(number) if math.isfinite(number) and number.is_integer() else None
    if number is None:
        raise ParameterError(f"{option}: {str(shown).strip()!r}: the {meaning} must be an integer")
    return number


def _boundary_conditions(items, option="--bc"):
    """``NAME=KIND`` words -> {name: kind}, each KIND checked now (before any solve)."""
    from .quantum.schrodinger import parse_bc

    out = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"{option}: expected NAME=KIND (e.g. outer=dirichlet, "
                                 f"outer=robin:1um), got {item!r}")
        name, kind = (part.strip() for part in item.split("=", 1))
        if not name:
            raise ParameterError(f"{option}: {item!r} names no boundary (NAME=KIND)")
        parse_bc(kind, name)
        out[name] = kind
    return out or None


@contextlib.contextmanager
def _stop_on_interrupt(output: Path):
    """Let Ctrl-C stop a long call into native code (gmsh meshing) at once.

    Python runs its SIGINT handler only between bytecodes, so a KeyboardInterrupt waits until
    ``gmsh.model.mesh.generate`` returns — minutes for a large mesh. Here the C-level signal
    handler's wake-up file descriptor (:func:`signal.set_wakeup_fd`, written by whichever
    thread receives the signal) is watched by a thread: on Ctrl-C it removes the partial output
    (the generator's hidden temporary ``.NAME.*.msh`` beside ``output``; the target itself is
    only ever replaced whole), prints ``mqm-fem: interrupted`` and ends the process with status
    130 (``os._exit``: gmsh cannot be stopped from Python). A no-op off POSIX, off the main
    thread, or when someone else handles SIGINT.
    """
    usable = (os.name == "posix" and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if not usable:
        yield
        return
    import select

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    done = threading.Event()

    def watch():
        while not done.is_set():
            ready, _, _ = select.select([read_fd], [], [], 0.1)
            if not ready or bytes([signal.SIGINT]) not in os.read(read_fd, 64):
                continue
            for partial in output.parent.glob(f".{output.stem}.*.msh"):
                with contextlib.suppress(OSError):
                    partial.unlink()
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                print("mqm-fem: interrupted", file=sys.stderr, flush=True)
            os._exit(130)

    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, lambda signum, frame: None)  # the watcher acts, not Python
    watcher = threading.Thread(target=watch, name="mqm-fem-interrupt", daemon=True)
    try:
        watcher.start()
        yield
    finally:
        done.set()
        if watcher.is_alive():
            watcher.join()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(read_fd)
        os.close(write_fd)


# -- mesh -----------------------------------------------------------------------------------
_MESH_SKIP = ("path", "length_unit", "msh_version", "progress")


def _add_mesh(sub, common):
    from .mesh.geometry import GEOMETRIES, GEOMETRY_DIMENSION, OUTER_SHAPES

    p = sub.add_parser("mesh", parents=[common],
                       help="generate a gmsh mesh from the geometry library",
                       description="Generate a mesh with named physical groups. "
                       "`mqm-fem mesh KIND --help` lists the KIND's parameters.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, func in GEOMETRIES.items():
        summary, params = _numpy_doc(inspect.getdoc(func) or "")
        k = kinds.add_parser(
            kind, parents=[common], help=summary.splitlines()[0] if summary else kind,
            description=_escape(_as_options(summary, ["length_unit"]) + "\n\nLengths are plain "
                                "numbers in --length-unit; lists of points are written "
                                "'x,y;x,y;...'."),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        signature = inspect.signature(func).parameters
        for name, param in signature.items():
            if name in _MESH_SKIP:
                continue
            flag = f"--{name.replace('_', '-')}"  # also --h: -h is --help
            required = param.default is inspect.Parameter.empty
            meaning = _as_options(params.get(name, ""), signature)
            if required and "required" not in meaning:
                meaning += " (required)"
            elif not required and param.default is not None and "default" not in meaning:
                meaning += f" (default {param.default})"
            options = {"dest": name, "required": required, "default": None,
                       "help": _escape(meaning.strip())}
            if name == "outer":
                options["choices"] = OUTER_SHAPES[GEOMETRY_DIMENSION[kind]]
            k.add_argument(flag, **options)
        k.add_argument("--length-unit", default="um",
                       help="unit of the coordinates and sizes (default um)")
        k.add_argument("-o", "--output", required=True, help="output .msh file")
        k.set_defaults(run=_run_mesh, geometry=func)


def _numpy_doc(doc: str):
    """(text before the "Parameters" section, {name: one-line description}) of a numpy-style
    docstring; reST markup (``code``, :role:`~a.b.C`) is turned into plain text."""
    lines = doc.splitlines()
    try:
        start = next(i for i in range(len(lines) - 1)
                     if lines[i].strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        return _plain(doc).strip(), {}
    summary = [line for line in lines[:start] if not line.startswith("Returns a ")]
    params, name = {}, None
    for line in lines[start + 2:]:
        if line and not line[0].isspace():
            if line.strip() and set(line.strip()) == {"-"}:  # underline of the next section
                params.pop(name, None)
                break
            name = line.split(":")[0].strip()
            params[name] = []
        elif name is not None and line.strip():
            params[name].append(line.strip())
    described = {n: _plain(" ".join(text)) for n, text in params.items()}
    return _plain("\n".join(summary)).strip(), described


def _as_options(text: str, names) -> str:
    """Parameter names with an underscore (``length_unit``) written as options
    (``--length-unit``) in a help text."""
    for name in names:
        if "_" in name:
            text = re.sub(rf"(?<![\w-]){name}(?!\w)", f"--{name.replace('_', '-')}", text)
    return text


def _plain(text: str) -> str:
    text = re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?(\w+)`", r"\1", text)
    return text.replace("``", "")


def _escape(text: str) -> str:
    return text.replace("%", "%%")


def _geometry_value(text, option: str):
    """Numbers, or lists like '0,0;1,0;1,1' (polygon vertices) for the geometry library."""
    text = str(text).strip()
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
    raise ParameterError(
        f"{option}: expected a number (in --length-unit) or a list like '0,0;1,0;1,1', "
        f"got {text!r}")


def _run_mesh(args):
    from .units import parse_length

    func = args.geometry
    out = Path(_check_output(args.output, ".msh"))
    parse_length(args.length_unit, "--length-unit")
    kwargs = {}
    for name in inspect.signature(func).parameters:
        value = getattr(args, name, None)
        if name in _MESH_SKIP or value is None:
            continue
        kwargs[name] = value if name == "outer" else _geometry_value(
            value, f"--{name.replace('_', '-')}")
    start = time.perf_counter()
    with _stop_on_interrupt(out):
        domain = func(**kwargs, length_unit=args.length_unit, path=out, progress=_progress)
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
    p.add_argument("--field", nargs="+", default=None,
                   help="applied field: 3 components and a unit ('0 0 1mT' or 0 0 1 mT); in 2D one "
                   "value (B_z) or two (in-plane); may be left out when another source is given "
                   "(--fluxoid, --current, ...)")
    p.add_argument("--superconductor", action="append", default=None, metavar="NAME",
                   help="superconducting region (repeatable; default: all regions not named "
                   "vacuum/air/hole)")
    p.add_argument("--formulation", default="auto", choices=["auto", *FORMULATIONS],
                   help="default auto: chosen from the mesh and the field as listed above")
    _add_formulation_flags(p)
    _add_tol(p, "the headline output (the moment)")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True, help="output .vtu file (on the final mesh)")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw a picture: |K| with streamlines on the films (sheet "
                   "formulation), else |B| on the z = centre slice (3D) or the plane (2D)")
    p.set_defaults(run=_run_london)


def _add_formulation_flags(p, skip=()) -> None:
    """One flag per formulation option of the registry (help texts shared where equal)."""
    for flag, (name, entries) in _london_flags().items():
        if name in skip:
            continue
        texts: dict = {}  # one help text, the formulations that share it
        for formulation, spec, default in entries:
            choices = f" {{{', '.join(map(str, spec.choices))}}}" if spec.choices else ""
            text = spec.help + choices + (f" (default {default})" if default is not None else "")
            texts.setdefault(text, []).append(formulation)
        spec = entries[0][1]
        many = spec.repeat or spec.per_name
        p.add_argument(flag, dest=f"option_{name}", default=[] if many else None,
                       action="append" if many else "store",
                       metavar=spec.metavar or name.upper(),
                       help=("repeatable; " if spec.repeat else "")
                       + ("one value, or NAME=VALUE (repeatable); " if spec.per_name else "")
                       + "; ".join(f"{', '.join(who)}: {text}" for text, who in texts.items()))


def _london_options(args) -> dict:
    """The formulation options given on the command line (those left out are not passed)."""
    options = {}
    for flag, (name, entries) in _london_flags().items():
        value = getattr(args, f"option_{name}", None)
        if value is None or value == []:
            continue
        default = entries[0][2]
        if entries[0][1].per_name and len(value) == 1 and "=" not in value[0]:
            value = value[0]
        elif entries[0][1].repeat or entries[0][1].per_name:
            value = _key_values(value, flag, str)
        elif isinstance(default, int) and not isinstance(default, bool):
            value = cli_integer(value, flag)
        options[name] = value
    return options


def _check_london_args(args, lam, options) -> None:
    """Check, before the mesh is read, everything that does not need it, naming the flags:
    λ, the field, the length unit, and that some formulation takes the options given."""
    from .london import FORMULATIONS
    from .units import parse_field, parse_length

    for value in lam.values() if isinstance(lam, dict) else [lam]:
        parse_length(value, "--penetration-depth")
    if getattr(args, "field", None) is not None:
        parse_field(" ".join(args.field), "--field")
    parse_length(args.length_unit, "--length-unit")
    candidates = (list(FORMULATIONS.values()) if args.formulation == "auto"
                  else [FORMULATIONS[args.formulation]])
    refusals, takers = [], []
    for formulation in candidates:
        try:
            formulation.options.from_kwargs(options)
            return
        except ParameterError as exc:
            if set(options) <= set(formulation.options.specs()):
                takers.append((formulation.name, str(exc)))
            refusals.append(exc)
    if not takers:
        raise refusals[0]
    raise ParameterError(_shared_refusal(takers))


def _shared_refusal(takers: list[tuple[str, str]]) -> str:
    """The refusal of a value by the formulations that take every option given (``auto``):
    when they refuse it alike (an option they share, e.g. pearl_model), one message naming
    all of them rather than the first tried."""
    from .london.options import formulation_note

    first, message = takers[0]
    suffix = formulation_note(first)
    if len(takers) > 1 and all(m == message.replace(suffix, formulation_note(name))
                               for name, m in takers):
        names = ", ".join(repr(name) for name, _ in takers)
        return message.replace(suffix, f"(formulations {names})")
    return message


def _key_values(items, option, convert):
    out = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"{option}: expected NAME=VALUE, got {item!r}")
        key, value = (part.strip() for part in item.split("=", 1))
        if key in out:
            raise ParameterError(f"{option}: {key!r} is given twice ({item!r}); give each once")
        try:
            out[key] = convert(value)
        except ParameterError:
            raise
        except ValueError as exc:
            raise ParameterError(f"{option}: bad value in {item!r}: {exc}") from None
    return out


def _run_london(args):
    from .london import solve_london
    from .mesh import load_mesh

    out = _check_output(args.output, ".vtu")
    plot = None if args.plot is None else _check_output(args.plot, ".png", "--plot")
    options = _london_options(args)
    lam = args.penetration_depth
    if len(lam) == 1 and "=" not in lam[0]:
        lam = lam[0]
    else:
        lam = _key_values(lam, "--penetration-depth", str)
    _check_london_args(args, lam, options)
    tol = _cli_tol(args.tol)
    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    field = None if args.field is None else " ".join(args.field)
    solution = solve_london(domain, lam, field,
                            superconductors=args.superconductor, formulation=args.formulation,
                            tol=tol, progress=_progress, **options)
    _progress(f"solved in {solution.timings.total_s:.1f} s")
    print(solution.summary())
    _print_adaptivity(solution.adaptivity)
    solution.write(out)
    _progress(f"wrote {out}")
    if plot is not None:
        _progress(f"wrote {_plot_london(solution, plot, args.length_unit)}")


def _plot_london(solution, path, length_unit):
    """|K| with streamlines for a sheet solution (one picture per film, ``<stem>_<film>.png``,
    when the films are not in one plane), else |B| (plot_field)."""
    if "films" in solution.outputs.state:
        from .io.sheet_plot import coplanar, plot_sheet_current

        names = solution.outputs.state["films"]["names"]
        if coplanar(solution):
            return plot_sheet_current(solution, path, length_unit=length_unit)
        paths = [plot_sheet_current(solution, path.with_name(f"{path.stem}_{name}.png"),
                                    films=name, length_unit=length_unit) for name in names]
        return ", ".join(map(str, paths)) + " (one per film: they are not in one plane)"
    from .io.plotting import body_bounds, plot_field

    return plot_field(solution, "B", path, bounds=body_bounds(solution.domain))


def _add_tol(p, what: str) -> None:
    p.add_argument("--tol", default=None, metavar="T",
                   help=f"target relative error of {what} (e.g. 1e-3): refine the mesh "
                   "adaptively until the error estimate meets it (or a budget stops it, with a "
                   "warning) and print the history; refused where no error estimator exists")


def _cli_tol(value, result_type=None, who=""):
    """``--tol`` checked before the mesh is read: (0, 1), and (for ``result_type``) that the
    solver has an error estimator."""
    from .mesh.adapt import check_target, check_tol

    if value is None:
        return None
    if result_type is not None:
        return check_target(value, result_type, who, "--tol")
    return check_tol(value, "--tol")


def _print_adaptivity(history):
    """The adaptive loop's history table (with --tol), and where the final mesh is."""
    if history is None:
        return
    print(history.table())
    if history.method == "refine":
        print("(mesh refined locally from the file: new surface vertices on the smooth surface "
              "through the file's vertices)")


def _check_output(path, suffix, flag="--output"):
    """Refuse an output path that cannot be written (suffix, parent a file, directory not
    writable) before any mesh is read or solve started: one-line error, exit status 2."""
    from .io.files import check_writable

    return check_writable(path, suffix, flag)


# -- polarizability -------------------------------------------------------------------------
def _penetration_depth_arg(args):
    lam = args.penetration_depth
    if len(lam) == 1 and "=" not in lam[0]:
        return lam[0]
    return _key_values(lam, "--penetration-depth", str)


def _add_inductance(sub, common):
    from .london import FORMULATIONS

    p = sub.add_parser(
        "inductance", parents=[common],
        help="inductance matrix of the holes of a device (one solve per hole)",
        description="The self- and mutual-inductance matrix L of the holes of a mesh "
        "(mqm_fem.london.inductance): one London solve per hole with one trapped fluxoid and no "
        "applied field, L = Φ₀ I⁻¹ from the circulating currents, and the kinetic/geometric "
        "split from the energies (one more solve per pair of holes). Prints L in pH.")
    p.add_argument("mesh", help="gmsh .msh file: a 3D film device or loop, or an axisymmetric "
                   "meridian mesh")
    p.add_argument("--penetration-depth", "--lambda", dest="penetration_depth", required=True,
                   action="append", help="λ with a unit, e.g. 50nm; or NAME=VALUE per "
                   "region/film, repeatable")
    p.add_argument("--superconductor", action="append", default=None, metavar="NAME",
                   help="superconducting region or film (repeatable; default: all)")
    p.add_argument("--formulation", default="auto", choices=["auto", *FORMULATIONS],
                   help="default auto: chosen from the mesh")
    p.add_argument("--hole", action="append", default=None, metavar="NAME",
                   help="hole to include (repeatable; default: every hole found); the other "
                   "holes are held at zero fluxoid, so their screening currents lower the "
                   "selected holes' L compared with the full matrix")
    p.add_argument("--no-split", action="store_true",
                   help="skip the kinetic/geometric split (saves one solve per pair of holes)")
    _add_formulation_flags(p, skip=("fluxoids",))
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="write the matrix, its split, the currents and timings as JSON")
    p.add_argument("--csv", default=None, metavar="PATH", help="write the matrix (pH) as CSV")
    p.set_defaults(run=_run_inductance, field=None)


def _run_inductance(args):
    import json

    from .io.files import atomic_write, check_writable
    from .london import inductance
    from .mesh import load_mesh
    from .units import parse_length

    outputs = []
    if args.json is not None:
        outputs.append((check_writable(args.json, ".json", "--json"), "json"))
    if args.csv is not None:
        outputs.append((check_writable(args.csv, ".csv", "--csv"), "csv"))
    options = _london_options(args)
    lam = _penetration_depth_arg(args)
    _check_london_args(args, lam, options)
    parse_length(args.length_unit, "--length-unit")
    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    result = inductance(domain, lam, holes=args.hole, split=not args.no_split,
                        superconductors=args.superconductor, formulation=args.formulation,
                        progress=_progress, **options)
    print(result.summary())
    texts = {"json": lambda: json.dumps(result.as_dict(), indent=2), "csv": result.csv}
    for path, kind in outputs:
        text = texts[kind]()
        atomic_write([(path, lambda tmp, text=text: Path(tmp).write_text(text,
                                                                          encoding="utf-8"))])
        _progress(f"wrote {path}")


def _add_polarizability(sub, common):
    from .london import FORMULATIONS

    p = sub.add_parser(
        "polarizability", parents=[common],
        help="3x3 magnetic polarizability tensor of a 3D mesh (one solver set-up)",
        description="The magnetic polarizability α (m³, m = α·B_a/μ₀) of the superconductors "
        "of a 3D mesh with a vacuum region: the A-formulation is assembled and its linear "
        "solver set up once, then solved for the three field directions "
        "(mqm_fem.london.polarizability). Prints the tensor, its diagonal error bars and the "
        "symmetry check.")
    p.add_argument("mesh", help="gmsh .msh file (tetrahedra) with a vacuum region")
    p.add_argument("--penetration-depth", "--lambda", dest="penetration_depth", required=True,
                   action="append", help="λ with a unit, e.g. 0.1um or '100 nm'; or NAME=VALUE "
                   "per region, repeatable")
    p.add_argument("--superconductor", action="append", default=None, metavar="NAME",
                   help="superconducting region (repeatable; default: all regions not named "
                   "vacuum/air/hole)")
    for name, (spec, default) in FORMULATIONS["A"].options.specs().items():
        if spec.cli:
            choices = f" {{{', '.join(map(str, spec.choices))}}}" if spec.choices else ""
            p.add_argument(spec.cli, dest=f"option_{name}", default=None,
                           metavar=spec.metavar or name.upper(),
                           help=f"{spec.help}{choices} (default {default})")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="also write the tensor, error bars, timings and solver details as JSON")
    p.set_defaults(run=_run_polarizability)


def _run_polarizability(args):
    import json

    from .io.files import atomic_write, check_writable
    from .london import FORMULATIONS, polarizability
    from .mesh import load_mesh
    from .units import parse_length

    out = None if args.json is None else check_writable(args.json, ".json", "--json")
    options = {name: getattr(args, f"option_{name}")
               for name in FORMULATIONS["A"].options.specs()
               if getattr(args, f"option_{name}", None) is not None}
    lam = args.penetration_depth
    lam = lam[0] if len(lam) == 1 and "=" not in lam[0] else _key_values(
        lam, "--penetration-depth", str)
    for value in lam.values() if isinstance(lam, dict) else [lam]:
        parse_length(value, "--penetration-depth")
    parse_length(args.length_unit, "--length-unit")
    FORMULATIONS["A"].options.from_kwargs(options)
    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=args.length_unit)
    result = polarizability(domain, lam, superconductors=args.superconductor,
                            progress=_progress, **options)
    print(result.summary())
    if out is not None:
        text = json.dumps(result.as_dict(), indent=2)
        atomic_write([(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))])
        _progress(f"wrote {out}")


# -- schrodinger ----------------------------------------------------------------------------
def _add_schrodinger(sub, common):
    p = sub.add_parser(
        "schrodinger", parents=[common], help="lowest eigenstates of (−iħ∇ − qA)²/2m -> .vtu",
        description="Linearised Ginzburg-Landau / gauge-covariant Schrödinger eigenproblem "
        "(docs/theory.md): eigenvalues, |ψ|², phase and supercurrent of the k lowest states.",
    )
    p.add_argument("mesh", help="gmsh .msh file")
    p.add_argument("--field", nargs="+", default=["0"],
                   help="uniform applied field ('0 0 1mT', '0 0 -1 mT'; in 2D one value B_z)")
    p.add_argument("--k", default="6", help="number of states (default 6)")
    p.add_argument("--xi", default=None, help="coherence length ξ (e.g. 50nm): also print the "
                   "nucleation field")
    p.add_argument("--bc", action="append", default=[], metavar="NAME=KIND",
                   help="boundary condition per named boundary: dirichlet, neumann or robin:ℓ "
                   "(e.g. outer=robin:1um); default natural (neumann)")
    p.add_argument("--order", default="2", help="Lagrange order 1 or 2 (default 2)")
    p.add_argument("--gauge", default="symmetric",
                   help="symmetric (default), landau, or vortex (2D: removes the phase winding "
                   "of surface states, so coarse meshes resolve them)")
    p.add_argument("--eigensolver", default="auto",
                   help="auto (default: shift-invert, LOBPCG if the factors would not fit), "
                   "shift-invert or lobpcg")
    _add_tol(p, "the lowest eigenvalue (and, with --xi, of the nucleation field)")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True, help="output .vtu file")
    p.set_defaults(run=_run_schrodinger)


def _run_schrodinger(args):
    from .linalg.eigen import EIGENSOLVERS
    from .mesh import load_mesh
    from .quantum.gauge import GAUGES
    from .quantum.schrodinger import solve_schrodinger
    from .units import parse_field, parse_length

    # every option first: nothing is read or solved with a bad one
    out = _check_output(args.output, ".vtu")
    unit = parse_length(args.length_unit, "--length-unit")
    field_text = " ".join(args.field)
    parse_field(field_text, "--field")
    k = cli_integer(args.k, "--k")
    if k <= 0:
        raise ParameterError(f"--k: the number of states must be a positive integer, got {k}")
    order = cli_integer(args.order, "--order")
    if order not in (1, 2):
        raise ParameterError(f"--order: the Lagrange order must be 1 or 2, got {order}")
    gauges = (*GAUGES, "vortex")
    if args.gauge.lower() not in gauges:
        raise ParameterError(f"--gauge: must be one of {', '.join(gauges)}, got {args.gauge!r}")
    if args.eigensolver not in EIGENSOLVERS:
        raise ParameterError(f"--eigensolver: unknown method {args.eigensolver!r}; valid: "
                             f"{', '.join(EIGENSOLVERS)}")
    xi = None if args.xi is None else parse_length(args.xi, "--xi")
    bc = _boundary_conditions(args.bc)
    from .quantum.nucleation import NucleationResult
    from .quantum.schrodinger import SchrodingerSolution

    tol = _cli_tol(args.tol, SchrodingerSolution, "mqm-fem schrodinger")
    if xi is not None:
        _cli_tol(args.tol, NucleationResult, "mqm-fem schrodinger --xi (the nucleation field)")

    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=unit)
    _progress(f"solving for {k} states ({domain.mesh.nelements} elements) ...")
    solution = solve_schrodinger(domain, applied_field=field_text, k=k, order=order, bc=bc,
                                 gauge=args.gauge.lower(), eigensolver=args.eigensolver,
                                 tol=tol, progress=_progress)
    print(solution.summary())
    _print_adaptivity(solution.adaptivity)
    if xi is not None:
        from .quantum.nucleation import nucleation_field

        _progress("root-finding the nucleation field ...")
        field = np.asarray(solution.applied_field, dtype=float)
        direction = (field / np.linalg.norm(field)
                     if domain.dim == 3 and np.any(field) else None)
        gauge = {} if args.gauge.lower() == "symmetric" else {"gauge": args.gauge.lower()}
        result = nucleation_field(domain, xi, bc=bc, direction=direction, order=order,
                                  progress=_progress, **gauge,
                                  **({} if tol is None else {"tol": tol}))
        print(f"nucleation field: {_fmt_nucleation(result)}")
        _print_adaptivity(result.adaptivity)
    solution.write(out)
    _progress(f"wrote {out}")


def _fmt_nucleation(result):
    return (f"{result.field:.6g} T = {result.ratio:.4f} B_c2 "
            f"(B_c2 = Φ₀/2πξ² = {result.upper_critical_field:.6g} T)")


# -- nucleation -----------------------------------------------------------------------------
def _add_nucleation(sub, common):
    p = sub.add_parser(
        "nucleation", parents=[common],
        help="phase boundary Tc(B)/Tc0 over a list of fields -> CSV + PNG",
        description="Phase boundary of superconductivity nucleation (linearised Ginzburg-Landau,"
        " docs/theory.md): for each applied field B, the lowest eigenvalue ε₀ of the "
        "gauge-covariant Schrödinger operator gives Tc(B)/Tc0 = 1 − (ξ₀/L₀)² ε₀ (L₀ = "
        "--length-unit). Fields with ε₀ ≥ (L₀/ξ₀)² are above the nucleation field: reported "
        "as 'not superconducting' (NaN in the CSV). Writes a CSV (B_T, b, eps0, Tc_over_Tc0) "
        "and a plot beside it (.png).",
    )
    p.add_argument("mesh", help="gmsh .msh file")
    p.add_argument("--xi", required=True, help="zero-temperature coherence length ξ₀ (e.g. 50nm)")
    p.add_argument("--fields", nargs="+", required=True,
                   help="applied field magnitudes with units; a unit applies to the bare "
                   "numbers before it: '0 1 2 3 mT', '1 mT 2 mT', '-1 0 1 mT' (along z in 2D, "
                   "along --direction in 3D)")
    p.add_argument("--direction", nargs=3, default=None, metavar=("X", "Y", "Z"),
                   help="3D: field direction (default 0 0 1)")
    p.add_argument("--bc", action="append", default=[], metavar="NAME=KIND",
                   help="boundary condition per boundary: dirichlet, neumann or robin:ℓ "
                   "(default natural)")
    p.add_argument("--workers", default="1", metavar="N",
                   help="eigen-solves in N local processes at once (default 1: one after the "
                   "other in this process); the numbers are the same")
    _add_tol(p, "ε₀ at each field (each field adapts its own mesh)")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True,
                   help="output .csv file (a .png is written beside it)")
    p.set_defaults(run=_run_nucleation)


def _run_nucleation(args):
    from .mesh import load_mesh
    from .quantum.nucleation import phase_boundary
    from .units import parse_length, parse_number, parse_values

    # every option first: nothing is read or solved with a bad one
    out = _check_output(args.output, ".csv")
    unit = parse_length(args.length_unit, "--length-unit")
    xi0 = parse_length(args.xi, "--xi")
    fields = parse_values(" ".join(args.fields), "magnetic_field", "--fields")
    direction = None
    if args.direction is not None:
        direction = np.array([parse_number(v, "--direction") for v in args.direction])
        if not np.any(direction):
            raise ParameterError("--direction: must be a nonzero vector, got 0 0 0")
        direction = direction / np.linalg.norm(direction)
    bc = _boundary_conditions(args.bc)
    workers = _workers(args.workers)
    from .quantum.schrodinger import SchrodingerSolution

    tol = _cli_tol(args.tol, SchrodingerSolution, "mqm-fem nucleation")

    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=unit)
    if direction is not None and domain.dim == 2 and not (
            direction[0] == direction[1] == 0 and direction[2] > 0):
        raise ParameterError(f"--direction: a 2D mesh takes fields along z only (0 0 1), got "
                             f"{' '.join(args.direction)}")
    _progress(f"phase boundary at {fields.size} field(s) ({domain.mesh.nelements} elements)"
              + (f" in {workers} worker processes" if workers > 1 else "") + " ...")
    result = phase_boundary(domain, xi0, fields, bc=bc, direction=direction, workers=workers,
                            progress=True if is_terminal(sys.stderr) else _progress,
                            **({} if tol is None else {"tol": tol}))
    print(result.summary())
    for row in result.adaptivity or []:
        print(f"B = {row['field']:.6g} T: {row['ndofs']} unknowns, estimate "
              f"{row['relative']:.3g} after {row['adaptive_steps']} adaptive step(s)")
    from .io.provenance import provenance

    record = provenance(domain, verb="nucleation", order=2, bc=args.bc or "natural")
    for path in result.write(out, provenance=record):
        _progress(f"wrote {path}")


def _workers(value, option="--workers") -> int:
    """A positive number of worker processes (1: in this process)."""
    n = cli_integer(value, option, what="number of worker processes")
    if n < 1:
        raise ParameterError(f"{option}: the number of worker processes must be at least 1 "
                             f"(1 runs in this process), got {n}")
    return n


# -- gl -------------------------------------------------------------------------------------
def _add_gl(sub, common):
    p = sub.add_parser(
        "gl", parents=[common],
        help="stationary Ginzburg-Landau states: one field -> .vtu, a field sweep -> .pvd + PNG",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_gl_description(),
    )
    p.add_argument("mesh", help="gmsh .msh file (coordinates in --length-unit)")
    p.add_argument("--xi", required=True, metavar="LENGTH",
                   help="coherence length ξ with a unit, e.g. 100nm (the reduced length unit; "
                   "sets B_c2 = Φ₀/(2πξ²))")
    p.add_argument("--field", nargs="+", default=None, metavar="B",
                   help="one applied field with a unit: B_z of a 2D cross-section ('7 mT', "
                   "-7mT) or 3 components in 3D ('0 0 7 mT') -> one state in OUT.vtu")
    p.add_argument("--fields", nargs="+", default=None, metavar="B",
                   help="applied field magnitudes with units, visited in this order; a unit "
                   "applies to the bare numbers before it: '0 2 4 6 4 2 0 mT' (up and down: a "
                   "hysteresis loop) -> OUT.pvd (along z in 2D, along --direction in 3D)")
    p.add_argument("--direction", nargs=3, default=None, metavar=("X", "Y", "Z"),
                   help="3D with --fields: field direction (plain numbers; default 0 0 1)")
    p.add_argument("--penetration-depth", "--lambda", dest="penetration_depth", default=None,
                   metavar="LENGTH",
                   help="λ with a unit, e.g. 400nm (number = metres): κ = λ/ξ gives F in J/m "
                   "(2D, per unit length) or J (3D), currents in A/m² and the magnetisation")
    p.add_argument("--kappa", default=None, metavar="K",
                   help="κ = λ/ξ (a plain number) instead of --lambda")
    p.add_argument("--guess", default="uniform", metavar="KIND",
                   help="initial ψ: uniform (ψ = 1, the Meissner state; default), linear (the "
                   "--mode-th lowest eigenmode of the linearised problem) or random (a smooth "
                   "random field, --seed); with --fields: of the first point")
    p.add_argument("--mode", default=None, metavar="N",
                   help="with --guess linear: index of the linear mode (0 = lowest, default)")
    p.add_argument("--seed", default=None, metavar="N",
                   help="with --guess random: seed of the random field (integer ≥ 0; default "
                   "a new field each run)")
    p.add_argument("--vortex", nargs=3, action="append", default=[], metavar=("X", "Y", "N"),
                   help="2D: multiply the guess by a vortex of winding N (integer; negative = "
                   "antivortex) at (X, Y); X, Y lengths with a unit (0.2um, -150nm), bare "
                   "numbers in --length-unit; repeatable")
    p.add_argument("--order", default="2", metavar="1|2",
                   help="Lagrange order of ψ (default 2)")
    p.add_argument("--bc", action="append", default=[], metavar="NAME=KIND",
                   help="boundary condition per named boundary: neumann (n·(∇ − iA)ψ = 0, "
                   "the default), dirichlet (ψ = 0) or robin:ℓ (de Gennes length with a unit, "
                   "e.g. outer=robin:1um); repeatable")
    p.add_argument("--superconductor", action="append", default=None, metavar="NAME",
                   help="superconducting region (repeatable; default: all regions not named "
                   "vacuum/air/hole)")
    p.add_argument("--screening", action="store_true",
                   help="2D: solve the field equation κ²∇×∇×A = j with ψ (self-consistent "
                   "screening; needs --lambda or --kappa). Default: the frozen applied field")
    p.add_argument("--tol", default="1e-8", metavar="T",
                   help="Newton stops when the L² residual of the GL equation (dimensionless, "
                   "reduced units) is below T, 0 < T < 1 (default 1e-8)")
    p.add_argument("--max-iterations", default="200", metavar="N",
                   help="give up after N Newton steps per state (default 200)")
    p.add_argument("--no-stability", action="store_true",
                   help="skip the Hessian eigenvalues (faster): no stability class and no "
                   "escape from saddle points")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw a PNG: with --fields F(h) and moment(h) per branch, with "
                   "--field the map of |ψ|²")
    p.add_argument("--length-unit", default="um", help="unit of the mesh coordinates (default um)")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .vtu with --field, .pvd with --fields (the OUT_NNNN.vtu "
                   "frames are written beside it)")
    p.set_defaults(run=_run_gl)


def _gl_description() -> str:
    import textwrap

    paragraphs = [
        "Stationary Ginzburg-Landau states (docs/theory.md §5): Newton descent of the GL free "
        "energy",
        "  F[ψ] = ∫ |(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx",
        "in reduced units (lengths in ξ, h = B/B_c2 with B_c2 = Φ₀/(2πξ²), F in B_c²ξᵈ/μ₀ "
        "relative to the normal state; B_c = B_c2/(√2κ)), from an initial guess; the lowest "
        "Hessian eigenvalues then classify the state (stable, metastable, saddle, normal). The "
        "field is the applied one (frozen: large κ / thin film) unless --screening.",
        "--field B: one state, written to OUT.vtu (ψ, |ψ|², phase, current; energies, moment, "
        "vortices as field data); the summary lists F (also in J/m or J with --lambda or "
        "--kappa), the vortices and their positions, the vorticity and the stability.",
        "--fields B1 B2 ...: follow the state through the fields in the order given (each "
        "point starts from the previous state; a list going up then down traces a hysteresis "
        "loop), written to OUT.pvd with one OUT_NNNN.vtu per point; prints the table (h, F, "
        "moment, vorticity, vortices, stability) and the vorticity changes; --plot draws F(h) "
        "and moment(h) per branch.",
    ]
    return "\n\n".join(p if p.startswith("  ") else textwrap.fill(p, 79) for p in paragraphs)


def _gl_position(value, unit: float) -> float:
    """A coordinate of a --vortex: a length with a unit, or a bare number in --length-unit."""
    from .units import parse_length, parse_number

    try:
        return parse_number(value, "--vortex") * unit
    except ParameterError:
        return parse_length(value, "--vortex", positive=False)


def _gl_options(args) -> dict:
    """Every option of the gl verb, checked before the mesh is read: the keyword arguments of
    solve_gl / gl_sweep and what the verb itself needs."""
    from .gl.guess import GUESSES
    from .io.files import check_writable
    from .units import parse_length, parse_number, parse_values

    if (args.field is None) == (args.fields is None):
        raise ParameterError("--field/--fields: give one field (--field 7mT -> OUT.vtu) or a "
                             "list of fields (--fields 0 2 4 2 0 mT -> OUT.pvd)"
                             + (", not both" if args.field is not None else ""))
    sweep = args.fields is not None
    suffix = ".pvd" if sweep else ".vtu"
    if Path(args.output).suffix.lower() != suffix:
        what = ("--fields: a ParaView collection, one .vtu per field" if sweep
                else "--field: one state")
        raise ParameterError(f"--output: {args.output} must end in {suffix} (with {what})")
    out = _check_output(args.output, suffix)
    plot = None if args.plot is None else check_writable(args.plot, ".png", "--plot")
    unit = parse_length(args.length_unit, "--length-unit")
    options = {"coherence_length": parse_length(args.xi, "--xi")}
    if sweep:
        fields = parse_values(" ".join(args.fields), "magnetic_field", "--fields")
        field_text = None
    else:
        from .units import parse_field

        field_text = " ".join(args.field)
        fields = parse_field(field_text, "--field")
    direction = None
    if args.direction is not None:
        if not sweep:
            raise ParameterError("--direction: applies to --fields; --field takes the field "
                                 "vector itself ('0 0 7 mT')")
        direction = np.array([parse_number(v, "--direction") for v in args.direction])
        if not np.any(direction):
            raise ParameterError("--direction: must be a nonzero vector, got 0 0 0")
    if args.penetration_depth is not None and args.kappa is not None:
        raise ParameterError("--lambda/--kappa: give one of them (κ = λ/ξ)")
    if args.penetration_depth is not None:
        options["penetration_depth"] = parse_length(args.penetration_depth, "--lambda")
    if args.kappa is not None:
        kappa = parse_number(args.kappa, "--kappa")
        if kappa <= 0:
            raise ParameterError(f"--kappa: κ = λ/ξ must be positive, got {args.kappa!r}")
        options["kappa"] = kappa
    guess = str(args.guess).strip().lower()
    if guess not in GUESSES:
        raise ParameterError(f"--guess: unknown {args.guess!r}; valid: {', '.join(GUESSES)}")
    options["guess"] = guess
    for name, needs, what in (("mode", "linear", "the linear mode index"),
                              ("seed", "random", "the random seed")):
        value = getattr(args, name)
        if value is None:
            continue
        if guess != needs:
            raise ParameterError(f"--{name}: applies to --guess {needs} only (got --guess "
                                 f"{guess})")
        number = cli_integer(value, f"--{name}", what=what.removeprefix("the "))
        if number < 0:
            raise ParameterError(f"--{name}: {what} must be ≥ 0, got {number}")
        options[name] = number
    vortices = []
    for x, y, n in args.vortex:
        winding = cli_integer(n, "--vortex", item=f"{x} {y} {n}", what="vortex winding N")
        if winding == 0:
            raise ParameterError(f"--vortex: '{x} {y} {n}': the winding N must be a nonzero "
                                 "integer")
        vortices.append(((_gl_position(x, unit), _gl_position(y, unit)), winding))
    if vortices:
        options["vortices"] = vortices
    order = cli_integer(args.order, "--order")
    if order not in (1, 2):
        raise ParameterError(f"--order: the Lagrange order must be 1 or 2, got {order}")
    options["order"] = order
    bc = _boundary_conditions(args.bc)
    if bc:
        options["bc"] = bc
    if args.superconductor:
        options["superconductors"] = args.superconductor
    tol = parse_number(args.tol, "--tol")
    if not 0 < tol < 1:
        raise ParameterError(f"--tol: the Newton residual tolerance must be in (0, 1), got "
                             f"{args.tol!r}")
    options["tol"] = tol
    iterations = cli_integer(args.max_iterations, "--max-iterations",
                             what="number of Newton steps")
    if iterations < 1:
        raise ParameterError(f"--max-iterations: must be at least 1, got {iterations}")
    options["max_iterations"] = iterations
    if args.screening and "kappa" not in options and "penetration_depth" not in options:
        raise ParameterError("--screening: needs --lambda or --kappa (κ = λ/ξ sets the field "
                             "equation κ²∇×∇×A = j)")
    options["screening"] = bool(args.screening)
    options["stability"] = not args.no_stability
    return {"solve": options, "out": out, "plot": plot, "unit": unit, "sweep": sweep,
            "fields": fields, "field_text": field_text, "direction": direction}


def _gl_check_mesh(domain, checked, args) -> None:
    """What needs the mesh, checked before the solve: the field's components, --direction,
    --vortex (2D, inside the mesh's bounding box), --screening (2D)."""
    from .quantum.gauge import uniform_field_vector

    if not checked["sweep"]:
        uniform_field_vector(checked["field_text"], domain.dim, "--field")
    if checked["direction"] is not None and domain.dim == 2:
        raise ParameterError(f"--direction: a 2D mesh takes fields along z only; leave it out "
                             f"(got {' '.join(args.direction)})")
    vortices = checked["solve"].get("vortices", [])
    if vortices and domain.dim != 2:
        raise ParameterError("--vortex: vortex guesses are for 2D meshes (this mesh is 3D)")
    points = domain.mesh.p * domain.length_unit
    low, high = points.min(axis=1), points.max(axis=1)
    for (x, y), _ in vortices:
        if not (low[0] <= x <= high[0] and low[1] <= y <= high[1]):
            unit = checked["unit"]
            raise ParameterError(
                f"--vortex: ({x / unit:g}, {y / unit:g}) {args.length_unit} lies outside the "
                f"mesh (x in [{low[0] / unit:g}, {high[0] / unit:g}], y in "
                f"[{low[1] / unit:g}, {high[1] / unit:g}] {args.length_unit})")
    if checked["solve"]["screening"] and domain.dim != 2:
        raise ParameterError("--screening: self-consistent screening is for 2D cross-sections; "
                             "in 3D leave it out (the frozen applied field)")


def _run_gl(args):
    from .mesh import load_mesh

    # every option first: nothing is read or solved with a bad one
    checked = _gl_options(args)
    _progress(f"reading {args.mesh}")
    domain = load_mesh(args.mesh, length_unit=checked["unit"])
    _gl_check_mesh(domain, checked, args)
    if checked["sweep"]:
        return _run_gl_sweep(args, domain, checked)
    return _run_gl_single(args, domain, checked)


def _gl_details(args, options) -> dict:
    """Provenance details of a gl run (the sidecar of every file written)."""
    details = {"verb": "gl", "guess": options["guess"], "tol": options["tol"],
               "screening": options["screening"], "bc": args.bc or "natural"}
    for key in ("mode", "seed", "kappa"):
        if key in options:
            details[key] = options[key]
    if "vortices" in options:
        details["vortices"] = [[x, y, n] for (x, y), n in options["vortices"]]
    return details


def _run_gl_single(args, domain, checked):
    from .gl import solve_gl

    options = checked["solve"]
    _progress(f"solving the GL state at B = {checked['field_text']} "
              f"({domain.mesh.nelements} elements, P{options['order']}) ...")
    solution = solve_gl(domain, checked["field_text"], progress=_progress, **options)
    _progress(f"solved in {solution.info['time_s']:.1f} s")
    print(solution.summary())
    for line in _gl_details_lines(solution, checked["unit"], args.length_unit):
        print(line)
    _gl_warn(solution, options)
    out = solution.write(checked["out"], provenance=_gl_details(args, options))
    _progress(f"wrote {out}")
    if checked["plot"] is not None:
        from .io.plotting import plot_field

        path = plot_field(out, "density", checked["plot"],
                          title=f"|ψ|², h = B/B_c2 = {solution.reduced_field:.4g}")
        _progress(f"wrote {path}")


def _gl_details_lines(solution, unit, unit_name) -> list[str]:
    """What the summary leaves out: vortex positions, hole fluxoids, moment, eigenvalues, time."""
    lines = []
    for v in solution.vortices():
        x, y = (float(c) / unit for c in v["position"][:2])
        lines.append(f"  vortex {v['winding']:+d} at ({x:+.4g}, {y:+.4g}) {unit_name}")
    holes = solution.hole_fluxoids
    if holes:
        lines.append(f"  hole fluxoids: {', '.join(str(n) for n in holes)}")
    if solution.domain.dim == 2:
        m = f"  moment m_z = {solution.moment[2]:.6g} J₀ξ³ (reduced, per unit length)"
    else:
        m = f"  moment m = {np.array2string(solution.moment, precision=6)} J₀ξ⁴ (reduced)"
    if solution.magnetic_moment is not None:
        si = solution.magnetic_moment
        m += (f" = {si[2]:.6g} A·m" if solution.domain.dim == 2
              else f" = {np.array2string(si, precision=6)} A·m²")
    lines.append(m)
    if solution.magnetisation is not None:
        lines.append(f"  magnetisation μ₀M/B_c2 = {solution.magnetisation:.6g}")
    if solution.hessian_eigenvalues is not None:
        values = ", ".join(f"{v:.4g}" for v in solution.hessian_eigenvalues)
        lines.append(f"  lowest Hessian eigenvalues: {values} "
                     f"({solution.info.get('unstable_directions', 0)} unstable directions)")
    escapes = solution.info.get("saddle_escapes", 0)
    lines.append(f"  time: {solution.info['time_s']:.2f} s (Newton "
                 f"{solution.info['time_newton_s']:.2f} s, {solution.info['factorisations']} "
                 f"factorisations" + (f", {escapes} saddle escapes" if escapes else "") + ")")
    return lines


def _gl_warn(solution, options, where: str = "") -> None:
    """One-line warnings about a state that is not a clean local minimum."""
    if solution.info.get("stagnated"):
        warnings.warn(f"{where}Newton stopped when F had settled (residual "
                      f"{solution.newton[-1].residual:.2g} > --tol {options['tol']:g}): the "
                      "state drifts along an almost free direction (e.g. a vortex pattern "
                      "rotating in a disk); F is converged, the vortex positions less so",
                      MqmFemWarning, stacklevel=1)
    if solution.stability == "saddle":
        warnings.warn(f"{where}the state is a saddle point "
                      f"({solution.info.get('unstable_directions', '?')} unstable directions), "
                      "not a local minimum; try another --guess or --vortex", MqmFemWarning,
                      stacklevel=1)


def _run_gl_sweep(args, domain, checked):
    from .gl import gl_sweep
    from .io.provenance import provenance

    options = checked["solve"]
    fields = checked["fields"]
    _progress(f"GL sweep over {fields.size} field(s) ({domain.mesh.nelements} elements, "
              f"P{options['order']}) ...")
    result = gl_sweep(domain, fields, direction=checked["direction"], progress=_progress,
                      **options)
    print(result.table())
    for line in _gl_jumps(result):
        print(line)
    print(f"{len(result.states)} points in {result.info['time_s']:.1f} s")
    saddles = [k for k, s in enumerate(result.states) if s.stability == "saddle"]
    if saddles:
        warnings.warn(f"{len(saddles)} point(s) ended on a saddle point (not a local minimum): "
                      f"points {', '.join(str(k) for k in saddles[:10])}", MqmFemWarning,
                      stacklevel=1)
    record = provenance(domain, **_gl_details(args, options))
    out = result.write(checked["out"], provenance=record)
    _progress(f"wrote {out} and {len(result.states)} .vtu frames")
    if checked["plot"] is not None:
        _progress(f"wrote {result.plot(checked['plot'])}")


def _gl_jumps(result) -> list[str]:
    """One line per change of the vorticity (a vortex or fluxoid entering or leaving)."""
    h, n, directions = result.reduced_fields, result.vorticities, result.directions
    lines = []
    for k in range(1, len(n)):
        if n[k] != n[k - 1]:
            lines.append(f"vorticity {n[k - 1]} -> {n[k]} between h = {h[k - 1]:.6g} and "
                         f"{h[k]:.6g} ({directions[k]})")
    return lines


# -- sweep ----------------------------------------------------------------------------------
def _add_sweep(sub, common):
    p = sub.add_parser(
        "sweep", parents=[common],
        help="run a parameter sweep described in TOML -> store directory (CSV, JSON, PNG)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a solve (london, phase, nucleation or schrodinger) at every point of a "
        "parameter grid, in local worker processes or on a Dask cluster (docs/sweeps.md).\n\n"
        "SPEC.toml holds store = \"DIR\", [task] (kind, geometry or mesh, length_unit, "
        "[task.fixed]), optional [temperature] (tc, lambda0, xi0), [grid] (mode = \"product\" "
        "or \"zip\" and one list or {start, stop, num, unit} range per parameter) and optional "
        "[options] (workers, scheduler, on_change); see examples/sweep_ring.toml.\n\n"
        "Every finished point is written at once to DIR/points/NNNNNN.json, the table to "
        "DIR/results.csv, a plot to DIR/summary.png. A point that fails is recorded with its "
        "error and the sweep goes on (exit status 1 at the end). A store that already holds "
        "points is only continued with --resume (finished points are skipped); if the "
        "specification changed since, --restart puts the old points aside and starts anew.",
    )
    p.add_argument("spec", metavar="SPEC.toml", help="sweep specification (TOML)")
    p.add_argument("--workers", default=None, metavar="N",
                   help="local worker processes (default: [options] workers, else the number "
                   "of CPUs; 1 = in this process)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="run on a Dask cluster: the scheduler's address, e.g. tcp://host:8786 "
                   "(needs pip install 'mqm-fem[sweep]')")
    p.add_argument("--store", default=None, metavar="DIR",
                   help="store directory (default: the spec's store, relative to the spec file)")
    p.add_argument("--resume", action="store_true",
                   help="continue a store that already holds points of this sweep")
    p.add_argument("--restart", action="store_true",
                   help="if the specification changed since the store was written, move its "
                   "points to DIR/points.<time>/ and start anew (an unchanged sweep resumes)")
    p.add_argument("--check", action="store_true",
                   help="solve nothing: check the store's integrity (missing, duplicate, partial "
                   "or corrupt point files, stale table); exit status 1 if it is not complete")
    p.set_defaults(run=_run_sweep)


#: the output plotted in summary.png by kind of task
_SUMMARY_OUTPUT = {"phase": "tc_ratio", "nucleation": "ratio", "london": "moment_z",
                   "schrodinger": "eigenvalue_0"}


def _sweep_options(args, options):
    """(workers, scheduler, on_change) from the command line over the spec's [options],
    every one checked before anything is solved."""
    if args.resume and args.restart:
        raise ParameterError("--resume and --restart: give one of them (--restart also resumes "
                             "an unchanged sweep)")
    scheduler = args.scheduler if args.scheduler is not None else options.get("scheduler")
    if args.workers is not None and args.scheduler is None:
        scheduler = None  # --workers runs the points locally, also over a spec's scheduler
    if args.workers is not None and args.scheduler is not None:
        raise ParameterError("--workers: does not apply with --scheduler (the cluster's "
                             "workers run the points); give one of them")
    if args.workers is not None:
        workers = _workers(args.workers)
    elif options.get("workers") is not None and args.scheduler is None:
        workers = _workers(options["workers"], "[options] workers")
    else:
        workers = None
    if scheduler is not None:
        scheduler = str(scheduler).strip()
        if not scheduler or any(c.isspace() for c in scheduler):
            raise ParameterError(f"--scheduler: expected an address like tcp://host:8786, got "
                                 f"{scheduler!r}")
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise ParameterError("--scheduler: running on Dask needs the distributed package: "
                                 "pip install 'mqm-fem[sweep]' (without --scheduler the sweep "
                                 "runs in local processes)")
    on_change = "restart" if args.restart else options.get("on_change", "refuse")
    if on_change not in ("refuse", "restart"):
        raise ParameterError(f"[options] on_change: expected 'refuse' or 'restart', got "
                             f"{on_change!r}")
    return workers, scheduler, on_change


def _stored_points(store, task, grid) -> tuple[int, bool]:
    """(how many point files the store directory holds, whether they belong to this sweep's
    specification — same hash); (0, True) for a new store."""
    import json

    from .parallel import spec_hash
    from .studies import sweep_spec

    if not store.spec_path.is_file():
        return 0, True
    try:
        stored = json.loads(store.spec_path.read_text(encoding="utf-8")).get("hash")
    except (OSError, ValueError, AttributeError):
        stored = None  # Store.open names the problem
    count = sum(1 for p in store.points_dir.glob("*.json")) if store.points_dir.is_dir() else 0
    return count, stored == spec_hash(sweep_spec(task), grid)


def _connect(scheduler):
    """A Dask client for ``scheduler``, or a one-line error if it cannot be reached."""
    from distributed import Client

    _progress(f"connecting to the Dask scheduler at {scheduler} ...")
    try:
        client = Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError(f"--scheduler: cannot connect to {scheduler} "
                             f"({' '.join(str(exc).split()) or type(exc).__name__}); is "
                             "`dask scheduler` running there and the port open?") from None
    n = len(client.scheduler_info().get("workers", {}))
    _progress(f"connected: {n} Dask worker(s)")
    return client


def _run_sweep(args):
    from .parallel import Store
    from .studies import load_spec, sweep

    # every option first: nothing is solved with a bad one
    try:
        task, grid, store_dir, options = load_spec(args.spec)
    except ParameterError as exc:
        if str(args.spec) in str(exc) or Path(args.spec).name in str(exc):
            raise
        raise ParameterError(f"{args.spec}: {exc}") from None
    if args.store is not None:
        store_dir = Path(args.store)
    store = Store(store_dir)
    if store.directory.exists() and not store.directory.is_dir():
        raise ParameterError(f"--store: {store.directory} is a file, not a directory")
    if args.check:
        if not store.spec_path.is_file():
            raise ParameterError(f"--check: {store.directory} is not a sweep store (no "
                                 "spec.json); run the sweep first")
        report = store.verify()
        _, same = _stored_points(store, task, grid)
        print(f"{store.directory}: {report}")
        if not same:
            print(f"{store.directory}: holds a different specification than {args.spec} "
                  "(the task or grid changed)")
        return 0 if report.ok and same else 1
    workers, scheduler, on_change = _sweep_options(args, options)
    existing, same = _stored_points(store, task, grid)
    if existing and same and not (args.resume or args.restart):
        raise ParameterError(
            f"--resume: the store {store.directory} already holds {existing} of this sweep's "
            f"{len(grid)} points; add --resume to continue it (finished points are skipped), "
            "or give another --store")
    if existing and not same and on_change != "restart":
        raise ParameterError(
            f"--restart: the store {store.directory} holds {existing} points of a different "
            "specification (the task or grid changed); add --restart to put them aside in "
            "points.<time>/ and start anew, or give another --store")
    reused = existing if same else 0

    client = _connect(scheduler) if scheduler is not None else None
    where = ("on the Dask cluster" if client is not None
             else f"in {workers or os.cpu_count() or 1} local process(es)")
    _progress(f"sweep: {task.kind} task, {len(grid)} points over {', '.join(grid.names)}, "
              f"{where}, store {store.directory}")
    start = time.perf_counter()
    try:
        result = sweep(task, grid, store, client=client, workers=workers, on_change=on_change,
                       progress=True if is_terminal(sys.stderr) else _progress)
    finally:
        if client is not None:
            client.close()
    elapsed = time.perf_counter() - start
    failed = result.failed
    print(f"sweep: {len(result.records)} points ({len(result.records) - len(failed)} ok, "
          f"{len(failed)} failed) in {elapsed:.1f} s: {len(result.records) - reused} solved now, "
          f"{reused} from the store")
    print(f"table: {result.csv_path}")
    print(f"{store.directory}: {result.report}")
    _summary_plot(result, task, grid)
    for record in failed[:5]:
        params = ", ".join(f"{k} = {v}" for k, v in record["parameters"].items())
        warnings.warn(f"point {record['index']} ({params}) failed: {record['error']}",
                      MqmFemWarning, stacklevel=1)
    if len(failed) > 5:
        warnings.warn(f"{len(failed) - 5} more failed points: see the error column of "
                      f"{result.csv_path}", MqmFemWarning, stacklevel=1)
    return 1 if failed or not result.report.ok else 0


def _summary_plot(result, task, grid) -> None:
    """DIR/summary.png: the kind's main output against the grid's first parameter."""
    output = _SUMMARY_OUTPUT.get(task.kind)
    ok = [r for r in result.records if r["status"] == "ok"]
    if output is None or len(ok) < 2 or output not in (ok[0].get("outputs") or {}):
        return
    try:
        path = result.plot(grid.names[0], output, title=f"{task.kind} sweep")
    except MqmFemError as exc:
        warnings.warn(f"no summary plot: {exc}", MqmFemWarning, stacklevel=1)
        return
    _progress(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
