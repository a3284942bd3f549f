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
from collections import defaultdict

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, Unicode

from grading.plugins.cgroups import parse_bytes
from grading.plugins.sandbox import SandboxedKernelManager, check_sandbox_available

STUDENT_CELL_TIMEOUT = 30
INSTRUCTOR_CELL_TIMEOUT = 120
TIMED_OUT = "CellTimeoutError"
KERNEL_DIED = "KernelDied"
NOT_RUN = "CellNotRun"
OUTPUT_CUT = "[grading: output cut here; this cell printed more than {limit:,} bytes]\n"


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

    _assignment = None

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

    def _get_timeout(self, cell):
        if self.timeout_func is not None or self._timeout_configured() or cell is None:
            return super()._get_timeout(cell)
        return cell_timeout(cell, self.student_cell_timeout, self.instructor_cell_timeout)

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        if reply is not None and cell is not None:
            evalue = f"this cell ran longer than its time limit of {timeout} s and was stopped."
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
        with self.setup_kernel():
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            died = None
            for index, cell in enumerate(self.nb.cells):
                if died is not None:
                    if cell.cell_type == "code" and cell.source.strip():
                        cell.outputs = [error_output(NOT_RUN, died)]
                    continue
                try:
                    self.preprocess_cell(cell, resources, index)
                    timed_out = any(o.get("ename") == TIMED_OUT for o in cell.get("outputs", []))
                except (CellTimeoutError, DeadKernelError) as error:
                    # CellTimeoutError: the time limit passed and the kernel never went idle.
                    if isinstance(error, DeadKernelError) or not self._kernel_alive():
                        died = self._record_death(cell, index)
                        continue
                    limit = self._get_timeout(cell)
                    evalue = f"this cell did not finish within its time limit of {limit} s."
                    cell.outputs.append(error_output(TIMED_OUT, evalue))
                    timed_out = True
                if timed_out:
                    died = self._end_if_stuck(cell, index)
        self.set_widgets_metadata()
        return self.nb, self.resources

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

    def _kernel_alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)()) if self.km is not None else False

    def _death_reason(self) -> str:
        reason = getattr(self.km, "death_reason", None)
        return reason() if reason else "the kernel died"
