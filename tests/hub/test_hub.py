"""The course's JupyterHub end to end: three real users in a real browser, one assignment.

``hub/jupyterhub_config.py`` runs on 127.0.0.1 with three throw-away unix users (created with
``useradd``, logged in through PAM, removed at the end), a fresh exchange and the instructor's
copy of the course. Debian's Chromium, driven by Playwright, then does what the people would:

1. the instructor generates and releases a1 in formgrader;
2. two students fetch it in the Assignment List; the first one's notebook gets the solution put
   in (the test copies it over the fetched file, as the student's editing would), the second
   submits it blank; both press Submit;
3. the instructor collects, autogrades each submission and generates and releases feedback, all
   with formgrader's buttons;
4. each student presses Fetch Feedback and opens the feedback: every autograded point for the
   solution, 0 for the blank notebook.

Screenshots of each step land in ``build/hub/``. Needs root (unix users); the Hub's packages
come from ``make hub-deps`` when missing.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

from tests import ROOT

sys.path.insert(0, str(ROOT / "hub"))  # hub/ is a folder of scripts, not a package
CHROMIUM = "/usr/bin/chromium"
ASSIGNMENT = "a1_unstable_gradients"
SHOTS = ROOT / "build" / "hub"
HUB_START_S = 60
UI_S = 90  # a single-user server starting, formgrader's buttons (autograde runs the notebook)


def _ports() -> int:
    """A port p with p, p+1 and p+2 free on 127.0.0.1 (the Hub, its API, the proxy's API)."""
    for _ in range(50):
        port = secrets.randbelow(20000) + 20000
        try:
            for p in (port, port + 1, port + 2):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no three free ports in a row")


HUB_VENV = ROOT / "build" / "hub-venv"


def _hub_deps() -> None:
    """``make hub-deps``: the users' environment and the proxy (a no-op once they exist)."""
    done = subprocess.run(["make", "-C", str(ROOT), "hub-deps"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _points(notebook: Path) -> tuple[float, float]:
    """(autograded points, total points) of an nbgrader notebook."""
    auto = total = 0.0
    for cell in json.loads(notebook.read_text())["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            total += meta.get("points", 0)
            auto += 0 if meta.get("solution") else meta.get("points", 0)
    return auto, total


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("the Hub test creates unix users: run it as root")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps`")
    _hub_deps()
    from setup_course import (
        create_user,
        delegate_grading_cgroups,
        install_course,
        make_exchange,
        remove_user,
    )

    tag = secrets.token_hex(2)
    users = {role: f"tdn{tag}-{role}" for role in ("teacher", "ana", "ben")}
    passwords = {name: secrets.token_urlsafe(12) for name in users.values()}
    work = Path(tempfile.mkdtemp(prefix="course-hub-"))
    work.chmod(0o755)
    exchange = make_exchange(work / "exchange")
    state = work / "state"
    state.mkdir()
    server = None
    try:
        homes = {name: create_user(name, pw) for name, pw in passwords.items()}
        course = install_course(homes[users["teacher"]] / "course", users["teacher"])
        delegate_grading_cgroups(users["teacher"])  # formgrader's autograde runs sandboxed
        port = _ports()
        env = dict(
            os.environ,
            COURSE_HUB_INSTRUCTOR=users["teacher"],
            COURSE_HUB_STUDENTS=f"{users['ana']},{users['ben']}",
            COURSE_HUB_COURSE_DIR=str(course),
            COURSE_HUB_EXCHANGE=str(exchange),
            COURSE_HUB_STATE=str(state),
            COURSE_HUB_PORT=str(port),
            COURSE_FAST="1",
            COURSE_DATASET="digits",
        )
        log = open(state / "hub.log", "w")
        server = subprocess.Popen(
            [
                str(HUB_VENV / "bin" / "jupyterhub"),
                "-f",
                str(ROOT / "hub" / "jupyterhub_config.py"),
            ],
            cwd=state,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + HUB_START_S
        while True:
            assert server.poll() is None, (state / "hub.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{base}/hub/api/", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, (state / "hub.log").read_text()[-3000:]
                time.sleep(0.5)
        yield {
            "base": base,
            "users": users,
            "passwords": passwords,
            "homes": homes,
            "course": course,
            "exchange": exchange,
            "log": state / "hub.log",
        }
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)  # the Hub stops the users' servers as it exits
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        SHOTS.mkdir(parents=True, exist_ok=True)
        if (state / "hub.log").is_file():
            shutil.copy(state / "hub.log", SHOTS / "hub.log")  # kept to look at
        delegate_grading_cgroups(None)
        for name in users.values():
            remove_user(name)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png")


def _login(browser, hub, role: str):
    """A browser context logged in as ``role`` through the Hub's login form; its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(UI_S * 1000)
    page = context.new_page()
    name = hub["users"][role]
    page.goto(f"{hub['base']}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub["passwords"][name])
    page.click("#login_submit")
    try:
        page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=UI_S * 1000)
    except Exception:
        _shot(page, f"login-{role}-failed")
        raise
    page.locator(".jp-LabShell").wait_for()
    return page


def _modal_ok(page, what: str) -> None:
    """Wait for formgrader's result dialog after ``what``; fail with its log on an error."""
    modal = page.locator("#success-modal, #error-modal")
    modal.first.wait_for(state="visible", timeout=UI_S * 1000)
    text = modal.first.inner_text()
    assert modal.first.get_attribute("id") == "success-modal", f"{what} failed:\n{text[-3000:]}"
    modal.first.locator(".modal-footer .btn-primary").click()
    modal.first.wait_for(state="detached")


def _formgrader_row(page, hub):
    page.goto(f"{hub['base']}/user/{hub['users']['teacher']}/formgrader/manage_assignments")
    row = page.locator("#main-table tr", has=page.locator("td.name", has_text=ASSIGNMENT))
    row.wait_for()
    return row


def _formgrader_button(page, hub, column: str, what: str) -> None:
    """Press a1's button in formgrader's ``column`` (assign, release, collect, ...)."""
    _formgrader_row(page, hub).locator(f"td.{column} a").click()
    _modal_ok(page, what)


def _assignment_list(page):
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Assignment List", exact=True).click()
    page.locator("#released_assignments_list").wait_for()


def test_release_fetch_submit_collect_autograde_feedback(hub, browser):
    started = time.monotonic()
    users, homes = hub["users"], hub["homes"]
    teacher = _login(browser, hub, "teacher")

    # 1. the instructor generates and releases a1 in formgrader
    _formgrader_button(teacher, hub, "assign", "generating the student version")
    _formgrader_button(teacher, hub, "release", "releasing")
    status = _formgrader_row(teacher, hub).locator("td.status").inner_text().strip()
    assert status == "released", status
    _shot(teacher, "1-instructor-released")
    released = hub["exchange"] / "training-deep-nets" / "outbound" / ASSIGNMENT
    assert (released / f"{ASSIGNMENT}.ipynb").is_file(), "nothing in the exchange's outbound"

    # 2. the students fetch it; Ana's gets the solution put in, Ben's stays blank; both submit
    solution = hub["course"] / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    students = {}
    for role in ("ana", "ben"):
        page = _login(browser, hub, role)
        _assignment_list(page)
        released_row = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        released_row.get_by_role("button", name="Fetch", exact=True).click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
        fetched.first.wait_for()
        notebook = homes[users[role]] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert notebook.is_file(), f"{role} fetched nothing into {notebook.parent}"
        if role == "ana":
            owner = notebook.stat()
            shutil.copy(solution, notebook)
            os.chown(notebook, owner.st_uid, owner.st_gid)
        # a student has no formgrader (hub/config/student/)
        formgrader = page.request.get(f"{hub['base']}/user/{users[role]}/formgrader")
        assert formgrader.status == 404, f"{role} reaches formgrader: {formgrader.status}"
        fetched.first.get_by_role("button", name="Submit", exact=True).click()
        page.locator(
            "#submitted_assignments_list .list_item", has_text=ASSIGNMENT
        ).first.wait_for()
        _shot(page, f"2-{role}-submitted")
        students[role] = page

    # 3. the instructor collects, autogrades, generates and releases feedback
    _formgrader_button(teacher, hub, "collect", "collecting")
    teacher.goto(
        f"{hub['base']}/user/{users['teacher']}/formgrader/manage_submissions/{ASSIGNMENT}"
    )
    for role in ("ana", "ben"):
        sub = teacher.locator("#main-table tr", has_text=users[role])
        sub.wait_for()
        sub.locator("td.autograde a").click()
        _modal_ok(teacher, f"autograding {role}")
    teacher.reload()
    teacher.locator("#main-table tr", has_text=users["ben"]).locator("td.score").wait_for()
    _shot(teacher, "3-instructor-autograded")
    _formgrader_button(teacher, hub, "generate-feedback", "generating feedback")
    _formgrader_button(teacher, hub, "release-feedback", "releasing feedback")

    # 4. each student fetches the feedback and sees the score
    auto, total = _points(solution)
    expected = {"ana": auto, "ben": 0.0}
    for role, page in students.items():
        page.locator("#refresh_assignments_list").click()
        submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
        submitted.first.get_by_role("button", name="Fetch Feedback").click()
        home = homes[users[role]]
        deadline = time.monotonic() + UI_S
        while not list(home.glob(f"{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html")):
            assert time.monotonic() < deadline, f"{role} got no feedback"
            time.sleep(0.5)
        html = next(home.glob(f"{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html"))
        page.goto(f"{hub['base']}/user/{users[role]}/files/{html.relative_to(home).as_posix()}")
        text = page.locator("body").inner_text()
        score = f"{ASSIGNMENT} (Score: {float(expected[role])} / {float(total)})"
        _shot(page, f"4-{role}-feedback")
        assert score in text, f"{role}'s feedback shows no {score!r}:\n{text[:1500]}"
    seconds = time.monotonic() - started
    print(f"Hub round trip (release to feedback, 3 users) took {seconds:.0f} s")
