"""How a submission's cells run while autograding: sandboxed, time-limited, output-capped, and
a dead kernel costing only the cells it did not run.

``SandboxedExecute`` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``
(see ``nbgrader_config.py``), so ``make autograde``, ``nbgrader autograde`` and formgrader's
Autograde button all run student code the same way:

- the kernel runs in ``grading.plugins.sandbox.SandboxedKernelManager`` (bubblewrap, no network,
  caps on memory and processes); where bubblewrap is missing the notebook is not run at all,
  unless the instructor sets ``c.SandboxedExecute.sandbox = False``;
- time limits per cell: ``student_cell_timeout`` for cells a student writes or whose tests call
  student code, ``instructor_cell_timeout`` for the instructor's read-only code (the setup cell
  importing TensorFlow). nbgrader's documented ``Execute.timeout`` (config or command line) still
  works: set explicitly, it is the limit for every cell;
- at most ``max_output_per_cell`` bytes of output per cell, cut with a visible note, so a student
  printing 200 MB cannot bloat the autograded notebook or the grader's memory;
- when the kernel dies (``os._exit``, a crash, the memory cap), the cells already run keep their
  results, the cell that killed it gets an error naming the reason, and every later code cell an
  error saying it did not run. Tests that passed before the crash count; the rest score 0
  (nbgrader gives full marks to a test cell without an error, so a test that never ran must get
  one).
"""

import json
import os
from collections import defaultdict

from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, Unicode

from grading.plugins.cgroups import parse_bytes
from grading.plugins.sandbox import SandboxedKernelManager, check_sandbox_available
from grading.plugins.trusted.plan import BOTH, STUDENT, TRUSTED, gradebook_sources, make_plan

STUDENT_CELL_TIMEOUT = 30
INSTRUCTOR_CELL_TIMEOUT = 120
TIMED_OUT = "CellTimeoutError"
KERNEL_DIED = "KernelDied"
NOT_RUN = "CellNotRun"
OUTPUT_CUT = "[grading: output cut here; this cell printed more than {limit:,} bytes]\n"
TRUSTED_MARGIN = 10  # seconds a trusted cell gets beyond its limit to report a student's timeout
# What the trusted kernel learns of the grading environment, as the student's kernel does.
SUBMISSION_ENV = ("NBGRADER_EXECUTION", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")


def cell_timeout(cell, student: int = STUDENT_CELL_TIMEOUT, instructor=INSTRUCTOR_CELL_TIMEOUT):
    """Seconds ``cell`` may run: read-only instructor code gets longer than everything else."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    instructor_code = meta.get("locked") and not meta.get("grade") and not meta.get("solution")
    return instructor if instructor_code else student


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with a sandboxed kernel, per-cell limits and dead-kernel handling."""

    sandbox = Bool(
        True,
        help="Run each submission's kernel in a bubblewrap sandbox. False runs student code "
        "with the grader's rights: only for a machine where bubblewrap cannot run.",
    ).tag(config=True)
    memory_limit = Unicode(
        "4G", help="Memory cap per kernel, e.g. '4G' or '512M'; '' for none."
    ).tag(config=True)
    memory_limit_per_assignment = Dict(
        {}, help="Memory caps that differ by assignment: {'a5_regularization': '6G'}."
    ).tag(config=True)
    max_processes = Integer(
        512, help="Processes and threads a kernel may run at once; 0 for no cap."
    ).tag(config=True)
    max_output_per_cell = Integer(
        1_000_000, help="Bytes of output kept per cell; the rest is cut with a note."
    ).tag(config=True)
    student_cell_timeout = Integer(STUDENT_CELL_TIMEOUT).tag(config=True)
    instructor_cell_timeout = Integer(INSTRUCTOR_CELL_TIMEOUT).tag(config=True)
    route_tests = Bool(
        True,
        help="Run the instructor's test, setup and oracle cells in a trusted kernel, with the "
        "student's functions as proxies into the student's kernel. False runs every cell in "
        "the student's kernel, where the student's code can change how tests behave.",
    ).tag(config=True)
    trusted_kernel = Unicode(
        "",
        help="Connection file of a running trusted kernel to use (make autograde lends one per "
        "job); empty: this process starts its own and keeps it for every submission it grades.",
    ).tag(config=True)
    max_answer_bytes = Integer(
        256 * 2**20, help="Bytes one answer from the student's kernel may take (a result)."
    ).tag(config=True)

    _assignment = None
    _trusted_now = False

    def memory_limit_bytes(self) -> int | None:
        value = self.memory_limit_per_assignment.get(self._assignment, self.memory_limit)
        return parse_bytes(value) if value else None

    def create_kernel_manager(self):
        if not self.sandbox:
            self.log.warning("Grading WITHOUT a sandbox: student code runs with your rights")
            return super().create_kernel_manager()
        check_sandbox_available()
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name", "")
        kwargs = {"kernel_name": self.kernel_name} if self.kernel_name else {}
        self.km = SandboxedKernelManager(
            config=self.config,
            memory_limit=self.memory_limit_bytes(),
            max_processes=self.max_processes,
            **kwargs,
        )
        return self.km

    def _timeout_configured(self) -> bool:
        sections = ("NotebookClient", "ExecutePreprocessor", "Execute", type(self).__name__)
        return any("timeout" in self.config.get(section, {}) for section in sections)

    def _cell_limit(self, cell):
        if self.timeout_func is not None or self._timeout_configured() or cell is None:
            return super()._get_timeout(cell)
        return cell_timeout(cell, self.student_cell_timeout, self.instructor_cell_timeout)

    def _get_timeout(self, cell):
        limit = self._cell_limit(cell)
        return limit + TRUSTED_MARGIN if self._trusted_now and limit else limit

    async def _async_handle_timeout(self, timeout, cell=None):
        if self._trusted_now:  # interrupt the trusted kernel, never the student's
            self.kc.control_channel.send(self.kc.session.msg("interrupt_request", {}))
            reply = {"content": {"status": "error", "ename": TIMED_OUT, "evalue": ""}}
        else:
            reply = await super()._async_handle_timeout(timeout, cell)
        if reply is not None and cell is not None:
            limit = self._cell_limit(cell) if self._trusted_now else timeout
            evalue = f"this cell ran longer than its time limit of {limit} s and was stopped."
            content = {**reply["content"], "ename": TIMED_OUT, "evalue": evalue}
            content["traceback"] = error_output(TIMED_OUT, evalue).traceback
            reply = {"content": content}
        return reply

    def _kernel_stuck(self) -> bool:
        """After a timeout: does the kernel still not answer (student code ignoring SIGINT)?"""
        # A no-op run, not kernel_info: ipykernel answers kernel_info from another thread even
        # while the student's loop holds the main one.
        probe = self.kc.execute("pass", silent=True, store_history=False)
        return self.wait_for_reply(probe) is None

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "stream":
            size = len(content.get("text", ""))
        else:
            size = len(json.dumps(content.get("data", {}))) if "data" in content else 0
        used = self._output_bytes[cell_index]
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_per_cell:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_per_cell:  # the first output over the limit: say so, once
            note = OUTPUT_CUT.format(limit=self.max_output_per_cell)
            outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
        return None

    def preprocess(self, nb, resources=None, km=None):
        """Run every cell; a dead kernel ends the run but keeps what already ran."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        self._output_bytes = defaultdict(int)
        if self.sandbox:  # refuse before starting anything, the trusted kernel included
            check_sandbox_available()
        plan = self._routing_plan(resources)
        trusted = self._trusted_connection() if plan is not None else None
        with self.setup_kernel():
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            session = self._start_session(plan, resources, trusted) if trusted else None
            died = None
            try:
                for index, cell in enumerate(self.nb.cells):
                    if died is not None:
                        if cell.cell_type == "code" and cell.source.strip():
                            cell.outputs = [error_output(NOT_RUN, died)]
                        continue
                    where = plan.where.get(index, STUDENT) if plan is not None else STUDENT
                    if where in (STUDENT, BOTH):
                        died = self._run_student_cell(cell, resources, index)
                        if session is not None:
                            session.student_ran = True
                    if where in (TRUSTED, BOTH) and died is None:
                        died = self._run_trusted_cell(session, cell, resources, index, where)
            finally:
                if session is not None:
                    run_sync(session.finish)()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_student_cell(self, cell, resources, index) -> str | None:
        """Run ``cell`` in the student's kernel; the note for later cells if the kernel died."""
        try:
            self.preprocess_cell(cell, resources, index)
            timed_out = any(o.get("ename") == TIMED_OUT for o in cell.get("outputs", []))
        except (CellTimeoutError, DeadKernelError) as error:
            # CellTimeoutError: the time limit passed and the kernel never went idle.
            if isinstance(error, DeadKernelError) or not self._kernel_alive():
                return self._record_death(cell, index)
            limit = self._get_timeout(cell)
            evalue = f"this cell did not finish within its time limit of {limit} s."
            cell.outputs.append(error_output(TIMED_OUT, evalue))
            timed_out = True
        if timed_out:
            return self._end_if_stuck(cell, index)
        return None

    def _record_death(self, cell, index: int) -> str:
        """The kernel died while running ``cell``: say why there; the note for later cells."""
        reason = self._death_reason()
        self.log.warning("Kernel died in cell %d: %s", index, reason)
        cell.outputs.append(error_output(KERNEL_DIED, f"{reason}, in this cell."))
        return f"not run: the kernel died in an earlier cell ({reason})."

    def _end_if_stuck(self, cell, index: int) -> str | None:
        """After a timeout: end a kernel that ignores the interrupt. The kernel can also die
        meanwhile (a memory cap reached while the interrupted cell unwinds): that is a death in
        this cell. The note for later cells, or None when the kernel is fine."""
        try:
            stuck = self._kernel_stuck()
        except DeadKernelError:
            return self._record_death(cell, index)
        if not stuck:
            return None
        run_sync(self.km.shutdown_kernel)(now=True)
        reason = "the kernel did not stop after the time limit and was ended"
        self.log.warning("Cell %d: %s", index, reason)
        return f"not run: {reason} in an earlier cell."

    # ------------------------------------------------------------------ trusted cells
    def _routing_plan(self, resources):
        """Where each cell runs (``grading.plugins.trusted.plan``); None: all in the student's
        kernel (routing off, or no gradebook to tell the instructor's cells apart)."""
        info = (resources or {}).get("nbgrader", {})
        if not self.route_tests:
            return None
        if not all(info.get(key) for key in ("db_url", "notebook", "assignment")):
            self.log.warning("No gradebook for this notebook: every cell runs in one kernel")
            return None
        sources = gradebook_sources(info["db_url"], info["notebook"], info["assignment"])
        return make_plan(self.nb.cells, sources)

    def _trusted_connection(self):
        """The trusted kernel's connection file (one lent by make autograde), or a function
        that gives this process's own once it has started (it starts now, in the background,
        while the student's kernel starts)."""
        from grading.plugins.trusted.kernel import shared_kernel_soon

        return self.trusted_kernel or shared_kernel_soon()

    def _start_session(self, plan, resources, connection):
        from grading.plugins.trusted.session import TrustedSession

        session = TrustedSession(connection, self.kc, self.km, getattr(self.km, "run_dir", None))
        cwd = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        env = {
            key: value
            for key, value in os.environ.items()
            if key in SUBMISSION_ENV or key.startswith("COURSE_")
        }
        settings = {"names": plan.names, "cwd": os.path.abspath(cwd), "env": env}
        run_sync(session.start)(settings, self.max_answer_bytes, not plan.uses_keras)
        return session

    def _run_trusted_cell(self, session, cell, resources, index, where) -> str | None:
        """Run ``cell`` in the trusted kernel, the student's kernel serving its calls; the note
        for later cells if the student's kernel died or got stuck in a call."""
        from grading.plugins.trusted.session import RoutingError

        student_outputs = list(cell.get("outputs", [])) if where == BOTH else []
        run_sync(session.open_cell)(self._cell_limit(cell) or INSTRUCTOR_CELL_TIMEOUT)
        saved_kc, self.kc = self.kc, session.trusted
        self._trusted_now = True
        self._output_bytes[index] = 0
        try:
            self.preprocess_cell(cell, resources, index)
        except (CellTimeoutError, DeadKernelError) as error:
            raise RoutingError(
                f"the trusted test kernel failed in cell {index + 1}: {error}"
            ) from None
        finally:
            self.kc = saved_kc
            self._trusted_now = False
        status = run_sync(session.close_cell)(self._student_alive)
        cell.outputs.extend(o for o in student_outputs if o.get("output_type") == "error")
        if status["gone"] or not self._kernel_alive():
            reason = self._death_reason()
            self.log.warning("Kernel died in a call from cell %d: %s", index, reason)
            cell.outputs.append(error_output(KERNEL_DIED, f"{reason}, in a call from this cell."))
            return f"not run: the kernel died in an earlier cell ({reason})."
        if status["stuck"]:
            run_sync(self.km.shutdown_kernel)(now=True)
            reason = "the kernel did not stop after the time limit and was ended"
            self.log.warning("Cell %d: %s", index, reason)
            return f"not run: {reason} in an earlier cell."
        return None

    async def _student_alive(self) -> bool:
        return bool(await ensure_async(self.km.is_alive())) if self.km is not None else False

    def _kernel_alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)()) if self.km is not None else False

    def _death_reason(self) -> str:
        reason = getattr(self.km, "death_reason", None)
        return reason() if reason else "the kernel died"
