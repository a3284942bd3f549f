"""Student kernels in a bubblewrap sandbox: nothing to read but what grading needs, no network.

nbgrader runs a student's notebook in an ordinary kernel with the grader's rights: the code can
read ``solutions/`` and the gradebook, write anywhere the grader can, and reach the network.
``SandboxedKernelManager`` starts the same ipykernel inside ``bwrap`` (Debian's ``bubblewrap``):

- the file system is a fresh root holding, read-only, the system directories, the Python
  environment the kernel runs in, the course packages it imports (``helpers``), the data cache
  and the files released with the assignment; nothing else of the course or the grader's home;
- the only writable places are a private ``/tmp`` and the student's home, both ``tmpfs``: what
  the code writes is charged to its memory cap and gone when the kernel ends;
- network, pid, IPC and UTS namespaces of its own: no network at all, and when the kernel ends
  every process it started ends with it;
- run as ``nobody`` (when grading as root) with no capabilities;
- memory and processes capped (``grading.plugins.caps``: a cgroup, or where none can be made a
  per-kernel process limit and a memory watchdog; the kernel then runs as a user of its own).

The kernel talks to nbgrader over Jupyter's ``ipc`` transport: Unix sockets in a per-kernel run
directory that both sides see. TCP on 127.0.0.1 cannot cross the network namespace.
The notebook being graded is never on the sandbox's disk: the kernel receives cells over its
channel, so the hidden tests nbgrader writes next to the autograded copy stay out of reach.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode

from grading.plugins.caps import announce, kernel_caps
from grading.plugins.cgroups import format_bytes

SANDBOX_UID = 65534  # nobody (and nogroup)
HOME = "/home/student"
WORK = f"{HOME}/work"
SYSTEM_DIRS = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What a kernel may inherit from the grader; the rest (tokens, database URLs) stays out.
PASSED_ENV = (
    "LANG",
    "LC_ALL",
    "TZ",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NBGRADER_EXECUTION",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS",
    "MPLBACKEND",
)
PASSED_ENV_PREFIXES = ("COURSE_",)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here; the message says how to fix it."""


def check_sandbox_available() -> str:
    """The path of ``bwrap``, or ``SandboxUnavailable`` saying how to install it."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "Refusing to run student code: bubblewrap (bwrap) is not installed, so submissions "
            "cannot be sandboxed. Install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`, "
            "or `make sandbox-deps`), or set c.SandboxedExecute.sandbox = False in "
            "nbgrader_config.py to grade WITHOUT a sandbox (student code then runs with your "
            "rights)."
        )
    return bwrap


@dataclass
class SandboxSpec:
    """What one kernel's sandbox holds (host paths), and the environment it starts with."""

    run_dir: str  # read-write, at the same path inside: connection file and ipc sockets
    read_only: list[str] = field(default_factory=list)  # bound at the same path inside
    work_files: dict[str, str] = field(default_factory=dict)  # name in WORK -> host path
    home_data: dict[str, str] = field(default_factory=dict)  # path under HOME -> host path
    env: dict[str, str] = field(default_factory=dict)
    tmp_size: int = 1 << 30
    drop_privileges: bool = False  # switch to nobody inside (when the grader is root)
    uid: int = SANDBOX_UID  # whom to switch to


def _covered(path: str, bound: list[str]) -> bool:
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound)


def _make_parents(path: str, made: set[str], args: list[str]) -> None:
    """``--dir`` each missing ancestor of ``path``, world-readable (bwrap's default is 0700)."""
    parents = []
    for parent in Path(path).parents:
        if str(parent) in made:
            break
        parents.append(str(parent))
    for parent in reversed(parents):
        args += ["--perms", "0755", "--dir", parent]
        made.add(parent)


def bwrap_command(kernel_cmd: list[str], spec: SandboxSpec, bwrap: str = "bwrap") -> list[str]:
    """The ``bwrap`` command line that runs ``kernel_cmd`` in the sandbox ``spec`` describes."""
    args = [bwrap, "--die-with-parent", "--new-session"]
    args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--hostname", "grading"]
    made = {"/"}
    bound = []
    for directory in SYSTEM_DIRS:
        if os.path.isdir(directory):
            args += ["--ro-bind", directory, directory]
            bound.append(directory)
            made.add(directory)
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
            bound.append(link)
        made.add(link)
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"]
    args += ["--size", str(spec.tmp_size), "--perms", "1777", "--tmpfs", "/tmp"]
    made.update({"/proc", "/dev", "/dev/shm", "/tmp"})
    for path in sorted({os.path.realpath(p) for p in spec.read_only} | set(spec.read_only)):
        if not os.path.exists(path) or _covered(path, bound):
            continue
        _make_parents(path, made, args)
        args += ["--ro-bind", path, path]
        bound.append(path)
        made.add(path)
    _make_parents(spec.run_dir, made, args)
    args += ["--bind", spec.run_dir, spec.run_dir]
    _make_parents(HOME, made, args)
    args += ["--size", str(spec.tmp_size), "--perms", "1777", "--tmpfs", HOME]
    args += ["--perms", "1777", "--dir", WORK]
    made.update({HOME, WORK})
    for inside, host in sorted(spec.home_data.items()):
        target = f"{HOME}/{inside}"
        _make_parents(target, made, args)
        args += ["--ro-bind", host, target]
    for name, host in sorted(spec.work_files.items()):
        target = f"{WORK}/{name}"
        _make_parents(target, made, args)
        args += ["--ro-bind", host, target]
    args += ["--chdir", WORK, "--clearenv"]
    for key, value in sorted(spec.env.items()):
        args += ["--setenv", key, value]
    if spec.drop_privileges:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        args += ["setpriv", f"--reuid={spec.uid}", f"--regid={spec.uid}"]
        args += ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    else:
        args += ["--"]
    return args + list(kernel_cmd)


def python_paths(executable: str) -> list[str]:
    """The directories a Python interpreter needs to start: its prefix and its base prefix."""
    paths = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["purelib"]}
    exe = Path(executable)
    paths.add(str(exe.parent.parent))  # the environment the command names (a venv's root)
    paths.add(str(Path(os.path.realpath(exe)).parent.parent))  # the interpreter it links to
    return sorted(paths)


FIND_PACKAGES = """
import json, os, sys
from importlib.util import find_spec
found = []
for name in sys.argv[1:]:
    spec = find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        found.extend(spec.submodule_search_locations)
    elif spec is not None and spec.origin:
        found.append(os.path.dirname(spec.origin))
print(json.dumps(found))
"""


@lru_cache(maxsize=8)
def package_dirs(python: str, names: tuple[str, ...]) -> list[str]:
    """Where the kernel's interpreter ``python`` imports the packages ``names`` from (an
    editable install points outside the environment, e.g. at the course's ``helpers/``). Asked
    of that interpreter itself, from ``/`` with an empty environment, because the grader's own
    answer can differ: ``nbgrader_config.py`` puts the course root on the grader's path, and a
    course copied with its own ``helpers/`` would shadow the installed one there."""
    done = subprocess.run(
        [python, "-c", FIND_PACKAGES, *names],
        cwd="/",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cannot ask {python} where {names} live: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def released_files(directory: str | None) -> dict[str, str]:
    """The files beside a notebook being graded that the kernel may read: everything in
    ``directory`` (data files released with the assignment, the student's own helper files)
    except notebooks, which hold the hidden tests in the autograded copy."""
    found = {}
    if not directory or not os.path.isdir(directory):
        return found
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".ipynb"):
                continue
            path = os.path.join(root, name)
            found[os.path.relpath(path, directory)] = path
    return found


def data_dirs() -> dict[str, str]:
    """Read-only data caches bound into the student's home: Keras' datasets."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras")
    found = {}
    if os.path.isdir(os.path.join(keras_home, "datasets")):
        found[".keras/datasets"] = os.path.join(keras_home, "datasets")
    return found


def kernel_env(kernel_cmd: list[str], extra: dict | None = None) -> dict[str, str]:
    """The kernel's whole environment: a home in the sandbox and a short list from the grader."""
    env = {
        "HOME": HOME,
        "USER": "student",
        "PATH": os.pathsep.join([os.path.dirname(kernel_cmd[0]), "/usr/local/bin", "/usr/bin"]),
        "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
        "LANG": "C.UTF-8",
    }
    for key, value in (extra or os.environ).items():
        if key in PASSED_ENV or key.startswith(PASSED_ENV_PREFIXES):
            env[key] = value
    return env


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs in bubblewrap, capped by a cgroup.

    ``grading.plugins.execution.SandboxedExecute`` creates one per notebook, with the assignment's
    memory cap. ``death_reason`` says in plain words why a kernel died.
    """

    memory_limit = Integer(
        4 * 2**30, allow_none=True, help="Bytes of memory the kernel may use (None: no cap)."
    ).tag(config=True)
    max_processes = Integer(
        512, help="Processes and threads the kernel may run at once (0: no cap)."
    ).tag(config=True)
    packages = List(
        Unicode(),
        ["helpers"],
        help="Importable packages the kernel may read wherever they are installed.",
    ).tag(config=True)
    extra_read_only_paths = List(
        Unicode(), [], help="More host paths the kernel may read (bound read-only)."
    ).tag(config=True)
    caps = Unicode(
        "auto",
        help="How memory and processes are capped: 'cgroup', 'fallback' (no cgroup: a process "
        "limit and a memory watchdog) or 'auto' (a cgroup where one can be made). The "
        "environment variable COURSE_CAPS overrides it.",
    ).tag(config=True)

    _run_dir = None
    _caps = None
    _reason = None

    @property
    def run_dir(self) -> str | None:
        """The kernel's run directory: the same path inside the sandbox and out, writable."""
        return self._run_dir

    async def _async_pre_start_kernel(self, **kw):
        self._run_dir = tempfile.mkdtemp(prefix="grading-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._run_dir, "kernel")
        self.connection_file = os.path.join(self._run_dir, "kernel.json")
        # Interrupt over the control channel: a SIGINT to the process group would end bwrap
        # itself (and with it the kernel) instead of interrupting the cell.
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def sandbox_spec(self, kernel_cmd: list[str], cwd: str | None) -> SandboxSpec:
        read_only = python_paths(kernel_cmd[0]) + package_dirs(kernel_cmd[0], tuple(self.packages))
        read_only += list(self.extra_read_only_paths)
        data_dir = os.environ.get("COURSE_DATA_DIR")
        if data_dir and os.path.isdir(data_dir):
            read_only.append(data_dir)
        return SandboxSpec(
            run_dir=self._run_dir,
            read_only=read_only,
            work_files=released_files(cwd),
            home_data=data_dirs(),
            env=kernel_env(kernel_cmd),
            drop_privileges=os.geteuid() == 0,
        )

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        bwrap = shutil.which("bwrap") or "bwrap"
        spec = self.sandbox_spec(kernel_cmd, kw.pop("cwd", None))
        inner, outer = [], []
        if self.memory_limit or self.max_processes:
            self._caps = kernel_caps(
                os.path.basename(self._run_dir),
                memory_bytes=self.memory_limit or 2**62,
                max_processes=self.max_processes or 4_194_304,
                prefer=self.caps,
                tmpfs=("/tmp", "/dev/shm", HOME),
            )
            announce(self._caps, self.log)
            spec.uid = self._caps.sandbox_uid or spec.uid
            inner, outer = self._caps.kernel_prefix(), self._caps.launcher_prefix()
        if os.geteuid() == 0:
            os.chown(self._run_dir, spec.uid, spec.uid)
            os.chown(self.connection_file, spec.uid, spec.uid)
        command = outer + bwrap_command(inner + list(kernel_cmd), spec, bwrap=bwrap)
        kw["cwd"] = self._run_dir
        kw["stdout"] = subprocess.DEVNULL  # ipykernel's console banner; outputs go over ipc
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.log.debug("Sandboxed kernel: %s", command)
        await super()._async_launch_kernel(command, **kw)
        if self._caps is not None:
            self._caps.started(self.provisioner.process.pid)

    def death_reason(self) -> str:
        """Why the kernel is gone, in words for a student's feedback."""
        if self._reason:
            return self._reason
        if self._caps is not None and self._caps.oom_killed():
            reason = f"memory limit of {format_bytes(self.memory_limit)} exceeded"
        elif self._caps is not None and self._caps.process_limit_hit():
            reason = f"process limit of {self.max_processes} reached"
        else:
            process = getattr(self.provisioner, "process", None)
            code = process.poll() if process is not None else None
            if code is None:
                reason = "the kernel stopped responding"
            elif code < 0 or code > 128:
                signal_number = -code if code < 0 else code - 128
                reason = f"the kernel was killed (signal {signal_number})"
            else:
                reason = f"the kernel exited (exit code {code})"
        self._reason = reason
        return reason

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self._caps is not None:
            left = self._caps.close()
            if left:
                self.log.info("Ended %d process(es) the student's kernel left running", left)
            self._caps = None
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None

    cleanup_resources = _async_cleanup_resources
