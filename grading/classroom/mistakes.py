"""The named mistakes of a class, per graded function, from the autograded notebooks.

The assignments' checks (``helpers.checks``) end a failure message with "Likely mistake: ..."
when the wrong value a student returned is the value of a known mistake ("momentum and 1 -
momentum are swapped: momentum weighs the old average."). Counted over the class, per graded
function, they say what to go over again in class: something no score distribution shows.

A test cell belongs to the graded function it tests: among the functions (and classes) the
nearest solution cell above it defines, the first one its opening comment names, else the first
one its code calls, else the solution cell's grade id. Each student counts once per mistake and
function, however many test cells repeat it.
"""

import collections
import json
import re
from pathlib import Path

LIKELY = re.compile(r"Likely mistake: (.+?\.)(?=\s|$)", re.DOTALL)
DEFINES = re.compile(r"^(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def functions_under_test(notebook: Path) -> dict:
    """{test cell grade_id: graded function} for an instructor notebook."""
    defined, owner, functions = [], "", {}
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
        meta, source = _meta(cell), _source(cell)
        if cell.get("cell_type") != "code":
            continue
        if meta.get("solution"):
            defined = DEFINES.findall(source)
            owner = meta.get("grade_id", "")
        elif meta.get("grade") and meta.get("grade_id"):
            lines = source.strip().splitlines()
            comment = lines[0] if lines and lines[0].startswith("#") else ""
            named = [n for n in defined if re.search(rf"\b{re.escape(n)}\b", comment)]
            called = [n for n in defined if re.search(rf"\b{re.escape(n)}\b", source)]
            functions[meta["grade_id"]] = (named or called or [owner or meta["grade_id"]])[0]
    return functions


def named_mistakes(notebook: Path) -> dict:
    """{test cell grade_id: [named mistakes]} in the error outputs of an autograded notebook."""
    found = {}
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
        meta = _meta(cell)
        if not meta.get("grade") or meta.get("solution"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = output.get("evalue") or ""
                names = [m.strip() for m in LIKELY.findall(text)]
                if names:
                    found.setdefault(meta["grade_id"], []).extend(names)
    return found


def class_mistakes(root: Path, assignment: str) -> dict:
    """{graded function: [(mistake, [students])]} most frequent first, over the autograded
    notebooks of ``assignment``."""
    root = Path(root)
    functions = {}
    for source in sorted((root / "solutions" / assignment).glob("*.ipynb")):
        functions.update(functions_under_test(source))
    students = collections.defaultdict(set)  # (function, mistake) -> students
    for notebook in sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb")):
        student = notebook.parent.parent.name
        try:
            mistakes = named_mistakes(notebook)
        except (json.JSONDecodeError, KeyError, UnicodeDecodeError):
            continue  # not nbgrader's output; the report lists unreadable files elsewhere
        for cell, names in mistakes.items():
            for name in names:
                students[functions.get(cell, cell), name].add(student)
    by_function = collections.defaultdict(list)
    for (function, mistake), who in students.items():
        by_function[function].append((mistake, sorted(who)))
    for entries in by_function.values():
        entries.sort(key=lambda e: (-len(e[1]), e[0]))
    return dict(sorted(by_function.items(), key=lambda kv: -len(kv[1][0][1])))
