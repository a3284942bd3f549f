"""Submitted files nbgrader cannot read: named with the reason, and the student told what to do.

Given an empty file, a notebook cut off mid-upload, an nbformat 3 notebook or something that
is not a notebook at all, ``nbgrader autograde`` prints a traceback and the gradebook shows 0,
which reads like a student who failed every test. ``why_unreadable`` says what is wrong with a
file before nbgrader sees it; the grading engine then skips the submission, lists it as "could
not be read: <reason>" (so does ``make report``) and writes the student a feedback page in
place of nbgrader's (``feedback/<student>/<assignment>/<notebook>.html``, which ``make
feedback-zip`` sends back like any other) saying what to resubmit. A later readable submission
is graded as usual and its feedback replaces the notice.
"""

import html
import json
from pathlib import Path

import nbformat

SUPPORTED_MAJOR = 4  # nbgrader reads version-4 notebooks
SIGNATURES = {  # the first bytes of files that are sometimes uploaded instead of a notebook
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}


def cut_off(text: str) -> bool:
    """Whether ``text`` is the start of a JSON document that ends too early: every bracket
    closes the one it should, but some are still open (or a string is) at the end."""
    if not text.lstrip().startswith(("{", "[")):
        return False
    closing = {"}": "{", "]": "["}
    stack, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in closing:
            if not stack or stack.pop() != closing[char]:
                return False
    return in_string or bool(stack)


def why_unreadable(path: Path) -> str | None:
    """Why nbgrader cannot read the notebook at ``path``, in words for the instructor and the
    student; None when it can."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        return f"the file is empty ({len(data)} bytes)"
    for signature, kind in SIGNATURES.items():
        if data.startswith(signature):
            return f"it is {kind}, not a notebook"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not a text file, so not a notebook"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        if cut_off(text):
            return (
                f"the notebook is cut off: its text stops after {len(data)} bytes, in the "
                "middle of the notebook (an upload or a save that did not finish)"
            )
        return f"it is not a notebook: not valid JSON at line {error.lineno} ({error.msg})"
    if not isinstance(content, dict) or "nbformat" not in content:
        return "it is JSON but not a Jupyter notebook (it has no nbformat version)"
    major = content.get("nbformat")
    if not isinstance(major, int) or major < SUPPORTED_MAJOR:
        return (
            f"it is an old notebook format (nbformat {major}); nbgrader reads nbformat "
            f"{SUPPORTED_MAJOR}, which JupyterLab writes"
        )
    try:
        nbformat.reads(text, as_version=SUPPORTED_MAJOR)
    except Exception as error:  # nbformat's own errors vary by version
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f"it is not a valid notebook ({first[:200]})"
    return None


def unreadable_notebooks(folder: Path) -> dict:
    """{notebook file name: reason} for the notebooks in a submission folder nbgrader cannot
    read."""
    reasons = {}
    for notebook in sorted(Path(folder).glob("*.ipynb")):
        reason = why_unreadable(notebook)
        if reason:
            reasons[notebook.name] = reason
    return reasons


def resubmit_advice(released_name: str) -> str:
    """What a student with an unreadable file should do."""
    return (
        f"Open your {released_name} in JupyterLab and check that it opens and shows your "
        "work; run it from the top (Kernel > Restart Kernel and Run All Cells), save it "
        f"(File > Save Notebook) and upload that {released_name} again."
    )


def write_unreadable_feedback(
    root: Path, student: str, assignment: str, reasons: dict, released: list[str] | None = None
) -> list[Path]:
    """A feedback page per unreadable notebook, where nbgrader would write its feedback; the
    pages written."""
    root = Path(root)
    folder = root / "feedback" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    released = released or sorted(
        p.name for p in (root / "assignments" / assignment).glob("*.ipynb")
    )
    written = []
    for name, reason in reasons.items():
        target_name = name if name in released or not released else released[0]
        page = folder / f"{Path(target_name).stem}.html"
        page.write_text(
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{html.escape(assignment)}: your submission could not be read</title>"
            "</head><body>\n"
            f"<h1>{html.escape(assignment)}: not graded</h1>\n"
            f"<p>Your file <code>{html.escape(name)}</code> could not be read: "
            f"{html.escape(reason)}.</p>\n"
            f"<p><b>What to do:</b> {html.escape(resubmit_advice(target_name))}</p>\n"
            "<p>Nothing was graded, so no score was recorded for this submission.</p>\n"
            "</body></html>\n",
            encoding="utf-8",
        )
        written.append(page)
    return written
