"""Which kernel runs which cell of a submission, and which of the student's names the tests call.

Read from the gradebook, never from the submission's own metadata alone:

- a code cell runs in the **trusted** kernel when the gradebook holds it as the instructor's
  read-only cell (a test cell, a setup or oracle cell) and the submission's copy has exactly the
  instructor's source (nbgrader's ``OverwriteCells`` restored it);
- such a cell that is not a test and comes before a cell the student wrote runs in **both**
  kernels: the student's code may use what it imports or defines (``np``, an oracle's class);
- every other code cell (answers, cells a student added) runs in the **student**'s kernel.

``uses_keras`` says whether any cell the student wrote names Keras or TensorFlow: only then does
the student's kernel load TensorFlow as the setup cell runs (``lazy_imports`` otherwise), so its
seconds of import are not charged to a student's cell.

The student's names are the top-level functions, classes and variables of the released answer
cells (``def batchnorm_train(...)`` above ``raise NotImplementedError()``), found by parsing,
never by running anything; and, as in one kernel, a name a test uses that a cell the student
runs defines and no trusted cell binds (nbgrader's own examples test a ``foo`` defined in a plain
cell). A name any trusted cell binds, by import, definition or assignment (``def check_close``,
``np``), or a builtin, is never one of them: the trusted kernel keeps its own.
"""

import ast
import builtins
import re
from dataclasses import dataclass, field

STUDENT, TRUSTED, BOTH = "student", "trusted", "both"
KERAS_NAMES = {"keras", "tf", "tensorflow"}


@dataclass(frozen=True)
class SourceCell:
    """What the gradebook knows of one of the instructor's cells."""

    source: str
    locked: bool
    grade: bool
    solution: bool
    code: bool = True


@dataclass
class Plan:
    where: dict[int, str] = field(default_factory=dict)  # code cell index -> kernel
    names: list[str] = field(default_factory=list)
    uses_keras: bool = False  # a cell the student wrote names Keras or TensorFlow


def text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def defined_names(source: str) -> list[str]:
    """Top-level names ``source`` binds with ``def``, ``class`` or an assignment."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)", source, flags=re.MULTILINE)
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(names))


def _tree(source: str):
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def bound_names(source: str) -> set[str]:
    """Every name ``source`` binds anywhere (imports, definitions, assignment targets, loop and
    ``with`` variables): more than the globals it binds, which errs on the safe side. A cell
    that does not parse binds every identifier it holds."""
    tree = _tree(source)
    if tree is None:
        return set(re.findall(r"[A-Za-z_]\w*", source))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
    return names


def used_names(source: str) -> set[str]:
    """The names ``source`` reads."""
    tree = _tree(source)
    if tree is None:
        return set()
    return {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def names_keras(source: str) -> bool:
    """Whether ``source`` uses the name ``keras``, ``tf`` or ``tensorflow``, or imports one."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return bool(re.search(r"\b(keras|tensorflow|tf)\b", source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in KERAS_NAMES:
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(m.split(".")[0] in KERAS_NAMES for m in modules):
                return True
    return False


def make_plan(cells: list, sources: dict[str, SourceCell]) -> Plan:
    """The plan for a submission's ``cells``, given the gradebook's ``sources`` by grade id."""
    plan = Plan()
    trusted = {}
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or not text(cell).strip():
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        source = sources.get(grade_id) if grade_id else None
        instructors = (
            source is not None
            and source.code
            and source.locked
            and not source.solution
            and text(cell) == source.source
        )
        if instructors:
            trusted[index] = source.grade
        plan.where[index] = TRUSTED if instructors else STUDENT
    student_cells = [i for i, where in plan.where.items() if where == STUDENT]
    plan.uses_keras = any(names_keras(text(cells[i])) for i in student_cells)
    last_student = max(student_cells, default=-1)
    for index, is_test in trusted.items():
        if not is_test and index < last_student:
            plan.where[index] = BOTH
    names = []
    for source in sources.values():
        if source.code and source.solution and not source.grade:
            names += defined_names(source.source)
    plan.names = list(dict.fromkeys(names + _names_from_other_cells(cells, plan)))
    return plan


def _names_from_other_cells(cells: list, plan: Plan) -> list[str]:
    """Names the trusted cells read but never bind, defined by a cell the student's kernel runs
    (not an answer cell): in one kernel the tests would see them."""
    trusted = [text(cells[i]) for i, where in plan.where.items() if where != STUDENT]
    student = [text(cells[i]) for i, where in plan.where.items() if where == STUDENT]
    wanted = set().union(*map(used_names, trusted)) - set().union(*map(bound_names, trusted))
    wanted -= set(dir(builtins))
    return [name for source in student for name in defined_names(source) if name in wanted]


def gradebook_sources(db_url: str, notebook: str, assignment: str) -> dict[str, SourceCell]:
    """The instructor's cells of ``notebook`` in ``assignment``, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook, assignment)
        grades = {cell.name for cell in nb.grade_cells}
        solutions = {cell.name for cell in nb.solution_cells}
        return {
            cell.name: SourceCell(
                source=cell.source or "",
                locked=bool(cell.locked),
                grade=cell.name in grades,
                solution=cell.name in solutions,
                code=cell.cell_type == "code",
            )
            for cell in nb.source_cells
        }
