"""Every test cell of every assignment fails with a message that says what went wrong.

Read from the instructor notebooks (``solutions/``), whose test cells hold the hidden tests too:
in nbgrader's feedback a hidden test shows nothing but its error message. A test cell passes
this check when each of its ``assert`` statements has a message, each ``raise`` raises an
exception with one, it never calls ``np.testing.assert_*`` (whose message is an array dump) and
it checks something. Every graded function has at least three named common mistakes
(``helpers.checks``' ``mistakes``) among its tests.
"""

import ast
import json

import pytest

from tests import ROOT

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
MISTAKES_PER_FUNCTION = 3


def cells(name):
    nb = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        yield cell["cell_type"], meta, text


def graded_test_cells(name):
    return [
        (meta["grade_id"], text)
        for kind, meta, text in cells(name)
        if kind == "code" and meta.get("grade") and not meta.get("solution")
    ]


def problems(source: str) -> list[str]:
    """What in a test cell's code would fail without a message for the student."""
    found, checks = [], 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            checks += 1
            if node.msg is None:
                found.append(f"line {node.lineno}: assert without a message")
        elif isinstance(node, ast.Raise):
            checks += 1
            exc = node.exc
            if exc is None or (isinstance(exc, ast.Call) and not exc.args):
                found.append(f"line {node.lineno}: raise without a message")
            elif isinstance(exc, ast.Name):
                found.append(f"line {node.lineno}: raise {exc.id} without a message")
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if "testing.assert" in name or name.startswith("assert_"):
                found.append(f"line {node.lineno}: {name} dumps arrays instead of a message")
            if name.startswith("check") or name.startswith("check_"):
                checks += 1
    if not checks:
        found.append("checks nothing")
    return found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_test_cell_fails_with_a_message(name):
    tests = graded_test_cells(name)
    assert len(tests) >= 10, f"{name}: only {len(tests)} test cells found"
    bad = {gid: found for gid, text in tests if (found := problems(text))}
    assert not bad, f"{name}: test cells that can fail without a message: {bad}"


def test_the_message_check_catches_bare_asserts_and_array_dumps():
    assert problems("assert x == 1") == ["line 1: assert without a message"]
    assert problems("raise AssertionError()") == ["line 1: raise without a message"]
    assert problems("np.testing.assert_allclose(a, b)") == [
        "line 1: np.testing.assert_allclose dumps arrays instead of a message",
        "checks nothing",
    ]
    assert problems("x = 1") == ["checks nothing"]
    assert problems("check_close(a, b, 'case')\nassert x, 'x is wrong'") == []


def named_mistakes(source: str) -> set[str]:
    """Explanations of common mistakes in a cell: the string keys of dicts passed as
    ``mistakes=`` (written there, or bound to a name first), bound to a name that holds
    mistakes, or filled in by ``mistakes[...] = ``."""
    found = set()
    tree = ast.parse(source)
    bound = {  # name -> the dict literal last bound to it
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def keys(node):
        if isinstance(node, ast.Dict):
            found.update(
                k.value
                for k in node.keys
                if isinstance(k, ast.Constant) and len(str(k.value)) > 12
            )

    def holds_mistakes(target) -> bool:
        text = ast.unparse(target)
        return "mistake" in text or "wrong" in text

    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "mistakes":
            value = node.value
            keys(bound.get(value.id) if isinstance(value, ast.Name) else value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and holds_mistakes(target.value):
                    if isinstance(target.slice, ast.Constant):
                        found.add(target.slice.value)
                    elif isinstance(target.slice, ast.JoinedStr):
                        found.add(ast.unparse(target.slice))
                elif holds_mistakes(target):
                    keys(node.value)
        elif isinstance(node, ast.FunctionDef) and "mistake" in node.name:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return):
                    keys(inner.value)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "mistaken_steps":
            keys(node.args[0] if node.args else None)
    return found


def graded_groups(name):
    """[(names of the functions an answer cell defines, its test and helper cells' code)]."""
    groups = []
    for kind, meta, text in cells(name):
        if kind != "code":
            continue
        if meta.get("solution") and not meta.get("grade"):
            tree = ast.parse(text)
            defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
            groups.append((defined, []))
        elif groups and meta.get("locked"):
            groups[-1][1].append(text)
    return groups


def test_named_mistakes_are_found_where_the_tests_write_them():
    source = """
shapes = {"keepdims=True; return vectors of shape (n,).": (1, 5)}
check_equal(a, b, case, mistakes=shapes)
check_close(a, b, case, mistakes={"the sign is flipped: a - y.": -b})
wrong = {"momentum is ignored (0.9 is used).": 1}
wrong["the velocity is not used at all."] = 3
unused = {"a dict that is never passed as mistakes.": 1}
"""
    assert named_mistakes(source) == {
        "keepdims=True; return vectors of shape (n,).",
        "the sign is flipped: a - y.",
        "momentum is ignored (0.9 is used).",
        "the velocity is not used at all.",
    }


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_graded_function_names_three_common_mistakes(name):
    groups = graded_groups(name)
    assert groups, f"{name}: no answer cells"
    for functions, sources in groups:
        mistakes = set().union(*(named_mistakes(s) for s in sources)) if sources else set()
        needed = MISTAKES_PER_FUNCTION * len(functions)
        assert len(mistakes) >= needed, (
            f"{name}, {functions}: {len(mistakes)} named mistakes in their tests, "
            f"expected at least {needed}: {sorted(mistakes)}"
        )
