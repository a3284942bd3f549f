"""The course as a person sees it: JupyterLab with nbgrader, driven in a real headless Chromium.

The test starts JupyterLab the way ``make lab`` does (the course's ``jupyter_server_config.py``,
nbgrader's extensions from the course environment), but in a temporary copy of the course, on
127.0.0.1 with a random port and token, and stops it at the end. Debian's ``chromium`` is driven
through Playwright (no browser download):

1. a lecture: Run All Cells, the kernel goes idle, no cell shows an error, a plot is rendered; a
   screenshot lands in ``build/jupyterlab.png``;
2. a released assignment, unanswered: nbgrader's Validate button names the failing cells;
3. a3 answered with a planted mistake (Adam without bias correction): the Validate dialog shows
   the failing test's "Likely mistake: ..." whole, on a line of the dialog;
4. formgrader (Nbgrader menu) lists the five assignments, and the Create Assignment panel is there;
5. JupyterLab's terminal has the course's ``python`` and ``nbgrader`` first on its PATH (driven
   through the server's terminal websocket, as the page does: the terminal draws on a canvas).

The copy keeps the working tree clean: running a lecture writes files next to it, and formgrader
creates ``gradebook.db`` in the course root.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tornado.websocket import websocket_connect

from tests import ROOT
from tests.support.answers import ADAM_WITHOUT_BIAS_CORRECTION, answered, named_mistake

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LECTURE = "lectures/00_keras_refresher.ipynb"  # the fastest lecture
ASSIGNMENT = "a1_unstable_gradients"  # its released notebook gets validated unanswered
MISTAKEN = "a3_optimizers"  # validated with a planted mistake
ASSIGNMENTS = [
    "a1_unstable_gradients",
    "a2_batch_normalization",
    "a3_optimizers",
    "a4_transfer_learning",
    "a5_regularization",
]
SERVER_CONFIG = "jupyter_server_config.py"
# What a clone of the repository holds, less local state (environment, caches, grading results).
NOT_COURSE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "*_cache",
    "*.egg-info",
    "__pycache__",
    ".ipynb_checkpoints",
    ".exchange",
    "gradebook.db",
    "submitted",
    "autograded",
    "feedback",
)
SCREENSHOT = ROOT / "build" / "jupyterlab.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALL_HINT = (
    "install Debian's chromium: `make browser-deps` (as root), or "
    "`sudo apt-get update && sudo apt-get install -y chromium`"
)

SERVER_START_S = 120
LECTURE_RUN_S = 150
VALIDATE_S = 150
UI_S = 60  # JupyterLab loading a page, a menu, formgrader's table

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the active tab
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*:", re.M)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        headers={"Authorization": f"token {token}"},
        data=b"{}" if method == "POST" else None,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _write_lab_settings(settings_dir: Path) -> None:
    """A fresh user: no "Jupyter news?" pop-up, every cell in the page (not windowed)."""
    settings = {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }
    for plugin, values in settings.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary copy of the course, as a student or an instructor clones it."""
    missing = [
        name for name in ("lectures", "assignments", "solutions") if not (ROOT / name).is_dir()
    ]
    assert not missing, f"the course has no {missing}"
    copy = tmp_path_factory.mktemp("clone") / "course"
    shutil.copytree(ROOT, copy, ignore=NOT_COURSE)
    return copy


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """JupyterLab started like `make lab`, on 127.0.0.1 with a random port and token."""
    state = tmp_path_factory.mktemp("jupyter")
    _write_lab_settings(state / "settings")
    port, token = _free_port(), os.urandom(16).hex()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, COURSE_FAST="1", TF_CPP_MIN_LOG_LEVEL="2")
    env.setdefault("COURSE_DATASET", "digits")
    env.pop("MPLBACKEND", None)  # set by conftest.py; the kernel must draw inline plots
    env["JUPYTER_RUNTIME_DIR"] = str(state / "runtime")
    log_path = state / "server.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--config={SERVER_CONFIG}",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={state / 'settings'}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def log_tail() -> str:
        return "\n".join(log_path.read_text().splitlines()[-40:])

    deadline = time.monotonic() + SERVER_START_S
    while True:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_tail()}")
        try:
            _api(base, token, "/api/status")
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s:\n{log_tail()}")
            time.sleep(0.5)
    try:
        yield {"base": base, "token": token, "course": course, "log": log_path}
    finally:
        try:
            for kernel in _api(base, token, "/api/kernels"):
                _api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        # The course configuration must keep nbgrader's exchange usable (see nbgrader_config.py).
        assert "Unwritable directory" not in log_path.read_text(), log_tail()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} could not start ({exc}); {INSTALL_HINT}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser tab; what it showed last is kept in build/browser/ to look at."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(UI_S * 1000)
    tab = context.new_page()
    yield tab
    (ROOT / "build" / "browser").mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=ROOT / "build" / "browser" / f"{request.node.name}.png")
    context.close()


def _open(page, lab, path: str = "") -> None:
    """Open JupyterLab (on a notebook when given a path) as a fresh workspace."""
    where = f"/tree/{path}" if path else ""
    page.goto(f"{lab['base']}/lab{where}?reset&token={lab['token']}")
    page.locator(".jp-LabShell").wait_for()
    if path:
        page.locator(NOTEBOOK).wait_for()
        # A notebook without kernel metadata asks for a kernel; a person takes the default.
        select = page.locator(".jp-Dialog", has_text="Select Kernel")
        _kernel_idle(page).or_(select).first.wait_for()
        if select.count():
            select.locator(".jp-mod-accept").click()
        _kernel_idle(page).wait_for()


def _kernel_idle(page):
    """The status bar's "Python 3 (ipykernel) | Idle": the kernel is up and has nothing to do.

    (The notebook toolbar's execution indicator says idle before the kernel has even started.)
    """
    return page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle$"))


def _menu(page, *labels: str) -> None:
    for label in labels:
        page.get_by_role("menuitem", name=label, exact=True).click()


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_lecture_runs_in_jupyterlab_without_errors_and_draws_a_plot(lab, page):
    runnable = [src for src in _code_cells(lab["course"] / LECTURE) if src.strip()]
    _open(page, lab, LECTURE)
    started = time.monotonic()
    _menu(page, "Run", "Run All Cells")

    prompts = page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt")
    idle = _kernel_idle(page)
    stderr = page.locator(
        f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    )
    stalled = 0  # polls in a row with an idle kernel, nothing queued and cells left unrun
    while True:
        texts = prompts.all_inner_texts()
        done = sum(bool(re.fullmatch(r"\[\d+\]:", t.strip())) for t in texts)
        errors = [t for t in stderr.all_inner_texts() if ERROR_TEXT.search(t)]
        waiting = any("*" in t for t in texts)
        stalled = stalled + 1 if idle.count() and not waiting and done < len(runnable) else 0
        if errors or (done == len(runnable) and idle.count()) or stalled >= 5:
            break
        assert time.monotonic() - started < LECTURE_RUN_S, (
            f"{LECTURE}: {done}/{len(runnable)} cells ran in {LECTURE_RUN_S} s; prompts: {texts}"
        )
        time.sleep(1)
    print(f"{LECTURE}: Run All Cells took {time.monotonic() - started:.1f} s in JupyterLab")
    assert not errors, f"{LECTURE} shows an error in JupyterLab:\n" + "\n\n".join(errors)
    assert done == len(runnable), f"Run All stopped after {done}/{len(runnable)} cells: {texts}"
    idle.wait_for()  # the kernel went idle after the last cell

    plots = page.locator(f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="image/png"] img')
    assert plots.count() >= 1, f"{LECTURE} rendered no plot in JupyterLab"
    width = plots.first.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width > 100, f"the first plot of {LECTURE} is not drawn (width {width}px)"

    plots.first.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT)


def test_validate_names_the_failing_cells_of_an_unanswered_assignment(lab, page):
    notebooks = sorted((lab["course"] / "assignments" / ASSIGNMENT).glob("*.ipynb"))
    assert notebooks, f"no released notebook in assignments/{ASSIGNMENT}/"
    notebook = notebooks[0]
    cells = json.loads(notebook.read_text())["cells"]
    tests = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    assert tests, f"{notebook.name} has no autograded test cells"

    _open(page, lab, notebook.relative_to(lab["course"]).as_posix())
    started = time.monotonic()
    page.locator(f"{NOTEBOOK} .jp-Toolbar-item", has_text="Validate").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=VALIDATE_S * 1000)
    verdict = dialog.locator(".jp-Dialog-body")
    text = verdict.inner_text()
    shown = " ".join(text.split())
    named = [src for src in tests if " ".join(src.split()) in shown]
    print(
        f"Validate took {time.monotonic() - started:.1f} s and names {len(named)} of the "
        f"{len(tests)} test cells of {notebook.name}; it begins:\n{text[:300]}"
    )
    assert "validation-failed" in (verdict.get_attribute("class") or ""), text
    assert re.search(r"cells? failed", text), text
    assert named, f"the verdict names none of the {len(tests)} test cells:\n{text}"
    dialog.locator(".jp-mod-accept").click()


def test_validate_shows_a_planted_mistakes_whole_diagnosis(lab, page):
    wrong = answered(MISTAKEN, [ADAM_WITHOUT_BIAS_CORRECTION])
    diagnosis = "Likely mistake: " + named_mistake(wrong, "no bias correction")
    notebook = lab["course"] / "assignments" / MISTAKEN / f"{MISTAKEN}.ipynb"
    notebook.write_text(json.dumps(wrong, indent=1))

    _open(page, lab, notebook.relative_to(lab["course"]).as_posix())
    started = time.monotonic()
    page.locator(f"{NOTEBOOK} .jp-Toolbar-item", has_text="Validate").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=VALIDATE_S * 1000)
    body = dialog.locator(".jp-Dialog-body")
    text = body.inner_text()
    print(f"Validate took {time.monotonic() - started:.1f} s; the lines that name a mistake:")
    shown = [line for line in text.splitlines() if "Likely mistake" in line]
    print("\n".join(shown))
    assert "validation-failed" in (body.get_attribute("class") or ""), text[:3000]
    assert any(diagnosis in line for line in shown), (
        f"the dialog shows no line with {diagnosis!r}:\n{text[:3000]}"
    )
    dialog.locator(".jp-mod-accept").click()


def test_formgrader_lists_the_five_assignments(lab, page):
    _open(page, lab)
    # The instructor's create-assignment panel is in the right sidebar.
    create = page.locator(".lm-TabBar-tab", has_text="Create Assignment")
    assert create.count() == 1, "nbgrader's Create Assignment panel is missing"
    _menu(page, "Nbgrader", "Formgrader")
    formgrader = page.frame_locator('iframe[src*="formgrader"]')
    rows = formgrader.locator("#main-table tr")
    rows.first.wait_for()
    deadline = time.monotonic() + UI_S
    while "Loading" in rows.first.inner_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    formgrader.locator("#main-table").scroll_into_view_if_needed()
    names = formgrader.locator("#main-table td.name").all_inner_texts()
    assert sorted(n.strip() for n in names) == ASSIGNMENTS, names


async def _terminal_output(lab, command: str, done_marker: str, timeout: float = UI_S) -> str:
    """What JupyterLab's terminal prints for ``command``, up to ``done_marker``."""
    name = _api(lab["base"], lab["token"], "/api/terminals", method="POST")["name"]
    url = lab["base"].replace("http://", "ws://") + f"/terminals/websocket/{name}"
    socket = await websocket_connect(f"{url}?token={lab['token']}")
    try:
        await socket.write_message(json.dumps(["stdin", command + "\r"]))
        output, deadline = "", time.monotonic() + timeout
        while done_marker not in output and time.monotonic() < deadline:
            message = await asyncio.wait_for(socket.read_message(), timeout)
            if message is None:
                break
            kind, *content = json.loads(message)
            if kind == "stdout":
                output += content[0]
        return output
    finally:
        socket.close()
        _api(lab["base"], lab["token"], f"/api/terminals/{name}", method="DELETE")


def test_the_terminal_has_the_course_tools_first_on_its_path(lab):
    course_bin = os.path.dirname(sys.executable)
    # The marker is computed, so the echo of the typed command does not end the wait.
    command = "command -v python nbgrader jupyter; echo END$((6 * 7))"
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        output = thread.submit(asyncio.run, _terminal_output(lab, command, "END42")).result()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", output)  # without the terminal's escapes
    found = re.findall(r"^(/\S+/(python|nbgrader|jupyter))$", plain, re.M)
    print(output[-1500:])
    assert {tool for _, tool in found} == {"python", "nbgrader", "jupyter"}, output[-3000:]
    outside = [path for path, _ in found if os.path.dirname(path) != course_bin]
    assert not outside, f"the terminal's tools are not the course's ({course_bin}): {outside}"
