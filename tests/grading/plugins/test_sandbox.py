"""grading.plugins.sandbox: the bubblewrap command line shares only what it is told to, and a real
sandboxed process cannot read, write or reach what it must not."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grading.plugins.sandbox import HOME, SandboxSpec, bwrap_command, kernel_env
from tests import ROOT


def spec(tmp_path, **kw) -> SandboxSpec:
    return SandboxSpec(run_dir=str(tmp_path / "run"), **kw)


def test_bwrap_command_shares_nothing_it_was_not_told_to(tmp_path):
    course = tmp_path / "course"
    (course / ".venv").mkdir(parents=True)
    (course / "solutions").mkdir()
    released = tmp_path / "data.csv"
    released.write_text("1,2")
    args = bwrap_command(
        ["python", "-m", "ipykernel_launcher"],
        spec(
            tmp_path,
            read_only=[str(course / ".venv")],
            work_files={"data.csv": str(released)},
            env={"HOME": HOME},
        ),
    )
    assert {"--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv"} <= set(args)
    pairs = list(zip(args, args[1:], args[2:], strict=False))
    assert ("--ro-bind", str(course / ".venv"), str(course / ".venv")) in pairs
    assert ("--ro-bind", str(released), f"{HOME}/work/data.csv") in pairs
    assert str(course / "solutions") not in args and str(course) not in args[args.index("--") :]
    assert ("--bind", str(tmp_path / "run"), str(tmp_path / "run")) in pairs  # the only rw bind
    assert sum(a == "--bind" for a in args) == 1
    assert args[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_package_dirs_are_where_the_kernel_imports_from(tmp_path, monkeypatch):
    """A course copy with its own helpers/ on the grader's path (as nbgrader_config.py puts
    it there) must not change what the sandbox shares: the kernel imports the installed one."""
    from grading.plugins.sandbox import package_dirs

    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    package_dirs.cache_clear()
    assert package_dirs(sys.executable, ("helpers",)) == [str(ROOT / "helpers")]
    assert package_dirs(sys.executable, ("no_such_package_here",)) == []


def test_bwrap_command_drops_to_nobody_when_asked(tmp_path):
    args = bwrap_command(["python"], spec(tmp_path, drop_privileges=True))
    tail = args[args.index("--") + 1 :]
    assert tail[0] == "setpriv" and "--reuid=65534" in tail and "--bounding-set=-all" in tail


@pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="needs bubblewrap")
def test_the_sandbox_really_isolates(tmp_path):
    """bwrap with the engine's own command line: no network, no course, a private /tmp."""
    secret = tmp_path / "secret.txt"
    secret.write_text("solution")
    run_dir = Path(tempfile.mkdtemp(prefix="grading-test-"))
    try:
        probe = (
            "import os, socket\n"
            f"print('secret', os.path.exists({str(secret)!r}))\n"
            "print('interfaces', sorted(n for _, n in socket.if_nameindex()))\n"
            "open('/tmp/probe-written', 'w').write('1'); print('tmp ok')\n"
            "print('uid', os.getuid())\n"
        )
        from grading.plugins.sandbox import python_paths

        args = bwrap_command(
            [sys.executable, "-c", probe],
            SandboxSpec(
                run_dir=str(run_dir),
                read_only=python_paths(sys.executable),
                env=kernel_env([sys.executable]),
                drop_privileges=os.geteuid() == 0,
            ),
        )
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    finally:
        os.rmdir(run_dir)
    assert done.returncode == 0, done.stderr
    assert "secret False" in done.stdout
    assert "interfaces ['lo']" in done.stdout  # a network namespace with loopback only
    assert "tmp ok" in done.stdout
    if os.geteuid() == 0:
        assert "uid 65534" in done.stdout
