"""Repository-wide rules: lint, notebooks committed without outputs, one lecture template, and
environment.yml in step with pyproject.toml (its dependencies and every extra)."""

import json
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from tests import ROOT

NOTEBOOK_DIRS = ("lectures", "solutions", "assignments")
NOTEBOOKS = sorted(
    p
    for d in NOTEBOOK_DIRS
    for p in (ROOT / d).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(args):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"cells {dirty} of {path.name} have outputs; clear them before committing"


def _headings(path):
    nb = json.loads(path.read_text())
    heads = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            src = "".join(cell["source"])
            heads += [line.strip() for line in src.splitlines() if re.match(r"#{1,2} ", line)]
    return nb, heads


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_follows_the_template(path):
    """Title, objectives, setup, sections 1..n, exercises, summary (see STYLE_GUIDE.md)."""
    nb, heads = _headings(path)
    first = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# "), "title first"
    h2 = [h for h in heads if h.startswith("## ")]
    fixed = ["## Learning objectives", "## Setup"]
    assert h2[:2] == fixed, f"expected {fixed} right after the title, got {h2[:2]}"
    assert h2[-2:] == ["## Exercises", "## Summary"], (
        f"expected Exercises, Summary last: {h2[-2:]}"
    )
    numbered = h2[2:-2]
    numbers = [
        int(re.match(r"## (\d+)\. ", h).group(1)) for h in numbered if re.match(r"## \d+\. ", h)
    ]
    assert len(numbers) == len(numbered) >= 2, f"sections must be '## 1. ...': {numbered}"
    assert numbers == list(range(1, len(numbers) + 1)), f"sections not numbered 1..n: {numbers}"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    from_pyproject = set(project["dependencies"]).union(*extras.values())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    from_conda = {r for r in pip_section if not r.startswith("-e")}
    assert from_conda == from_pyproject, (
        f"only in environment.yml: {sorted(from_conda - from_pyproject)}; "
        f"only in pyproject.toml: {sorted(from_pyproject - from_conda)}"
    )
    students = {_name(r) for r in project["dependencies"]}
    assert {"tensorflow-cpu", "jupyterlab", "nbgrader", "matplotlib", "scikit-learn"} <= students
    # a student's copy installs none of the instructors' or the developers' tools
    assert not students & {"dask", "psycopg2-binary", "playwright", "ruff", "nbval"}, students
    assert {"pytest", "nbval", "dask", "playwright"} <= {_name(r) for r in from_pyproject}


ASSIGNMENTS = (
    "a1_unstable_gradients",
    "a2_batch_normalization",
    "a3_optimizers",
    "a4_transfer_learning",
    "a5_regularization",
)


def test_there_are_eight_lectures_and_five_assignments():
    assert [p.name[:2] for p in LECTURES] == [f"{i:02d}" for i in range(8)], LECTURES
    for folder in ("solutions", "assignments"):
        found = sorted(p.parent.name for p in (ROOT / folder).glob("*/*.ipynb"))
        assert found == list(ASSIGNMENTS), f"{folder}/ holds {found}"


MAX_FUNCTION_LINES = 60  # STYLE_GUIDE: a longer function is split into named steps


def test_no_function_outside_the_tests_runs_past_60_lines():
    import ast

    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    long = []
    for name in tracked:
        if name.startswith("tests/"):
            continue
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}:{node.lineno} {node.name}() is {lines} lines")
    assert not long, "\n".join(long)
