"""The README is executable documentation: its Python block runs, its quick start is exactly two
commands, and `.ci/run` runs the README's test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```sh\n(.*?)```", quick, flags=re.S)]
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    main_job, tests = commands
    assert "mqm-fem london meshes/" in main_job and main_job.endswith(".vtu")
    assert (ROOT / main_job.split("mqm-fem london ", 1)[1].split()[0]).exists()
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_python_example_runs(tmp_path, monkeypatch):
    (code,) = _blocks("python")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "meshes").symlink_to(ROOT / "meshes")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "out" / "sphere.vtu").exists() and (tmp_path / "out" / "modes.vtu").exists()
    m = np.asarray(namespace["sol"].magnetic_moment)
    assert -4.0e-15 < m[2] < -3.5e-15  # the value the README quotes, ≈ −3.7e-15 A·m²
    sol2 = namespace["sol2"]
    assert sol2.formulation == "out-of-plane"
    assert abs(sol2.fluxoid("hole_0") - 1.0) < 1e-8


def test_command_line_block_runs(tmp_path, monkeypatch, capsys):
    """Every command of the README's "Command line" block runs as written (through the same
    entry point as the console script) and exits 0."""
    import shlex

    from mqm_fem.cli import main

    block = README.split("## Command line", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "meshes").symlink_to(ROOT / "meshes")
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        commands += [c.strip() for c in line.split("&&") if c.strip()]
    assert len(commands) >= 8
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "mqm-fem"
        if argv[1:] == ["--help"]:
            continue
        code = main(argv[1:])
        assert code == 0, (command, capsys.readouterr().err)
