"""The documentation stays honest (docs/developer.md, "Testing conventions").

* every relative Markdown link in the README, docs/*.md, meshes/README.md and
  benchmarks/README.md points to a file that exists, and an ``#anchor`` into a Markdown file to
  one of its headings (GitHub's slug rules) or to an explicit ``id``/``name`` anchor;
* nothing the project ships refers to material outside the repository (the theory guide is
  docs/theory.md);
* every ``tests/<file>.py::<test>`` that README.md or docs/*.md cite exists.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINKING = [ROOT / "README.md", *DOCS, ROOT / "meshes" / "README.md",
           ROOT / "benchmarks" / "README.md"]
CITING = [ROOT / "README.md", *DOCS]
#: Strings that point at files users do not have (the pre-repository physics notes).
FORBIDDEN = ("../" + "shared", "physics" + ".md")

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^()\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
_HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
_CITATION = re.compile(r"tests/([\w/]+\.py)((?:::[A-Za-z_]\w*(?:\[[^\]\s]*\])?)+)")


# ----------------------------------------------------------------------------------------------
# Markdown helpers
def _prose_lines(text: str):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: the rendered text, lower-cased, with everything but
    letters, marks, decimal digits, connector punctuation (``_``), spaces and hyphens removed,
    and spaces turned into hyphens."""
    text = _INLINE_CODE.sub(lambda m: m.group(2).strip(), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images -> their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("*", "").replace("~~", "")
    keep = []
    for char in text.lower():
        category = unicodedata.category(char)
        if category[0] in "LM" or category in ("Nd", "Nl", "Pc") or char in " -":
            keep.append(char)
    return "".join(keep).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a Markdown file offers: heading slugs (with GitHub's -1, -2 … suffixes for
    repeated headings) and explicit ``<a id=…>`` / ``<a name=…>`` anchors."""
    found, seen = set(), {}
    text = path.read_text(encoding="utf-8")
    for _, line in _prose_lines(text):
        match = _HEADING.match(line)
        if match:
            slug = github_slug(match.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        found.update(_HTML_ANCHOR.findall(line))
    return found


def links(path: Path):
    """(line number, target) of every Markdown link and image outside code."""
    text = path.read_text(encoding="utf-8")
    for number, line in _prose_lines(text):
        prose = _INLINE_CODE.sub("code", line)
        for match in _LINK.finditer(prose):
            yield number, match.group(2)
        reference = _REFERENCE.match(prose)
        if reference:
            yield number, reference.group(1)


def broken_links(path: Path) -> list[str]:
    """Messages for every relative link of ``path`` that does not resolve."""
    problems = []
    for number, target in links(path):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / unquote(file_part)).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: link {target!r}"
        if not destination.exists():
            problems.append(f"{where}: {unquote(file_part)} does not exist")
            continue
        try:
            destination.relative_to(ROOT)
        except ValueError:
            problems.append(f"{where}: points outside the repository")
            continue
        if anchor and destination.suffix.lower() == ".md":
            valid = anchors(destination)
            if unquote(anchor) not in valid:
                problems.append(f"{where}: no heading with anchor #{unquote(anchor)} in "
                                f"{destination.relative_to(ROOT)}")
    return problems


# ----------------------------------------------------------------------------------------------
# (a) links resolve
@pytest.mark.parametrize("path", LINKING, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    problems = broken_links(path)
    assert not problems, "\n".join(problems)


def test_docs_pages_exist_and_are_listed_in_the_readme():
    names = {p.name for p in DOCS}
    assert {"theory.md", "validation.md", "user-guide.md", "developer.md"} <= names
    readme = {target.partition("#")[0] for _, target in links(ROOT / "README.md")}
    missing = sorted(f"docs/{name}" for name in names if f"docs/{name}" not in readme)
    assert not missing, f"README.md does not link to {missing}"


def test_theory_sections_are_numbered_for_citations():
    """The code cites "docs/theory.md §1a" etc.: every cited number must be a heading."""
    headings = [match.group(2) for _, line in
                _prose_lines((ROOT / "docs" / "theory.md").read_text(encoding="utf-8"))
                if (match := _HEADING.match(line))]
    numbers = {m.group(1) for h in headings if (m := re.match(r"§(\d+[a-z]?)\. ", h))}
    assert {"1", "1a", "1b", "1c", "1d", "2", "3", "4", "5"} <= numbers, sorted(numbers)


def test_link_checker_catches_broken_links(tmp_path, monkeypatch):
    """The checks above must be able to fail: a missing file, a missing anchor and a link out of
    the repository are reported; links in code and external links are not."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## §1a. A-formulation\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n"
        "[ok](other.md#1a-a-formulation) [ok](#page) [web](https://example.org/x.md)\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [out](../../outside.md)\n"
        "`[in code](nowhere.md)`\n"
        "```\n[in a block](nowhere.md)\n```\n"
    )
    (tmp_path.parent / "outside.md").write_text("x")
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert "missing.md does not exist" in problems[0]
    assert "#nope" in problems[1]
    assert "outside the repository" in problems[2]


@pytest.mark.parametrize(("heading", "slug"), [
    ("§1a. 3D A-formulation with vacuum", "1a-3d-a-formulation-with-vacuum"),
    ("§1. London–Maxwell screening", "1-londonmaxwell-screening"),
    ("§2. Gauge-covariant Schrödinger problem and nucleation",
     "2-gauge-covariant-schrödinger-problem-and-nucleation"),
    ("Results in `ParaView` (the [viewer](x.md))", "results-in-paraview-the-viewer"),
    ("hole_0 and λ²: x", "hole_0-and-λ-x"),
])
def test_github_slug_rules(heading, slug):
    assert github_slug(heading) == slug


# ----------------------------------------------------------------------------------------------
# (b) nothing shipped points outside the repository
def _shipped_files() -> list[Path]:
    """Every file git tracks (the project as shipped), without this test file."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
        files = [ROOT / name for name in out.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        skip = {"__pycache__", "out", "build", "dist"}
        files = [p for p in ROOT.rglob("*") if p.is_file()
                 and not any(part.startswith(".") or part in skip or part.endswith(".egg-info")
                             for part in p.relative_to(ROOT).parts)]
    this = Path(__file__).resolve()
    return [p for p in files if p.resolve() != this and p.is_file()]


def test_no_shipped_file_refers_outside_the_repository():
    offenders = []
    for path in _shipped_files():
        data = path.read_bytes()
        for forbidden in FORBIDDEN:
            if forbidden.encode() not in data:
                continue
            text = data.decode("utf-8", errors="replace")
            lines = [str(i) for i, line in enumerate(text.splitlines(), 1) if forbidden in line]
            offenders.append(f"{path.relative_to(ROOT)}: {forbidden!r} on line(s) "
                             f"{', '.join(lines[:8])}{' …' if len(lines) > 8 else ''}")
    assert not offenders, ("cite docs/theory.md (e.g. 'docs/theory.md §1a') instead of:\n"
                           + "\n".join(offenders))


# ----------------------------------------------------------------------------------------------
# (c) cited tests exist
def _test_names(path: Path) -> set[str]:
    """'test_x' for module-level test functions and 'TestClass::test_y' for methods."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(f"{node.name}::{item.name}")
    return names


def citations(path: Path):
    """(line number, test file, node id without parametrization) cited in ``path``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in _CITATION.finditer(line):
            parts = [re.sub(r"\[.*?\]$", "", part) for part in match.group(2).split("::")[1:]]
            yield number, match.group(1), "::".join(p for p in parts if p)


@pytest.mark.parametrize("path", CITING, ids=lambda p: str(p.relative_to(ROOT)))
def test_cited_tests_exist(path):
    cache: dict[str, set[str]] = {}
    missing = []
    for number, file, node in citations(path):
        test_file = ROOT / "tests" / file
        where = f"{path.relative_to(ROOT)}:{number}: tests/{file}::{node}"
        if not test_file.is_file():
            missing.append(f"{where}: no such test file")
            continue
        names = cache.setdefault(file, _test_names(test_file))
        if node not in names:
            missing.append(f"{where}: no such test in tests/{file}")
    assert not missing, "\n".join(missing)


def test_citation_parser_strips_parametrization(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("see `tests/test_docs.py::test_github_slug_rules[x-y]` and "
                    "tests/test_docs.py::TestNothing::test_nothing_like_this.\n")
    found = [(f, n) for _, f, n in citations(page)]
    assert found == [("test_docs.py", "test_github_slug_rules"),
                     ("test_docs.py", "TestNothing::test_nothing_like_this")]
    names = _test_names(Path(__file__))
    assert "test_github_slug_rules" in names
    assert "TestNothing::test_nothing_like_this" not in names
