"""One submission's two kernels, from nbgrader's side: the trusted kernel's runtime driven by
silent requests, and the student's agent installed, then serving around each trusted cell.

``TrustedSession`` is used by ``grading.plugins.execution.SandboxedExecute``: ``start`` installs
the agent in the student's kernel and begins the submission in the trusted kernel; around every
cell the trusted kernel runs, ``open_cell`` puts the student's kernel to serving and sets the
cell's limit, ``close_cell`` collects what happened and stops the serving, interrupting (and
reporting as stuck) a student's call that would not end.
"""

import ast
import asyncio
import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
import uuid

from jupyter_client.asynchronous import AsyncKernelClient

from grading.plugins.trusted import wire
from grading.plugins.trusted.kernel import SERVE, student_bootstrap

RUNTIME = "__import__('grading.plugins.trusted.runtime', fromlist=['runtime'])"
END_SECONDS = 10  # time the student's kernel gets to finish serving after a cell
HELLO_SECONDS = 60  # time it gets to start serving before a cell
INTERRUPT_SECONDS = 5  # then, after an interrupt, before it counts as stuck


class RoutingError(RuntimeError):
    """The trusted kernel failed: a grading failure, not a student's."""


class TrustedSession:
    """The trusted kernel's client and the student's agent for one submission."""

    def __init__(self, connection, student_kc, student_km, run_dir: str | None):
        """``connection``: the trusted kernel's connection file, or a function that gives it
        (waiting for the kernel to start): called only when the first trusted cell comes, so
        the student's kernel meanwhile runs its setup cell."""
        self.connection = connection
        self.trusted = None
        self.settings = None
        self.student_kc = student_kc
        self.student_km = student_km
        self.own_dir = None
        if run_dir is None:
            run_dir = self.own_dir = tempfile.mkdtemp(prefix="grading-calls-")
            os.chmod(run_dir, 0o777)
        self.socket_path = os.path.join(run_dir, "calls.sock")
        self.serving = None  # msg_id of the student's serve request in flight
        self.token = ""  # the serving session's token: an old "end" cannot stop a new one
        self.student_ran = True

    async def runtime(self, call: str, timeout: float = 120) -> str:
        """``runtime.<call>`` evaluated in the trusted kernel; its string result."""
        msg_id = self.trusted.execute(
            "", silent=True, store_history=False, user_expressions={"r": f"{RUNTIME}.{call}"}
        )
        reply = await self._reply(self.trusted, msg_id, timeout)
        if reply is None:
            raise RoutingError(f"the trusted kernel did not answer runtime.{call[:40]}")
        result = reply["content"].get("user_expressions", {}).get("r", {})
        if result.get("status") != "ok":
            raise RoutingError(
                f"runtime.{call[:40]} failed in the trusted kernel: "
                f"{result.get('ename')}: {result.get('evalue')}"
            )
        return ast.literal_eval(result["data"]["text/plain"])

    @staticmethod
    async def _reply(client, msg_id: str, timeout: float):
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await client.get_shell_msg(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty: the time is up
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    async def start(self, settings: dict, max_bytes: int, lazy_keras: bool) -> None:
        """Install the agent in the student's kernel (before its first cell); the submission
        begins in the trusted kernel with the first trusted cell."""
        code = student_bootstrap(self.socket_path, max_bytes, lazy_keras)
        msg_id = self.student_kc.execute(code, silent=True, store_history=False)
        reply = await self._reply(self.student_kc, msg_id, 120)
        if reply is None or reply["content"]["status"] != "ok":
            detail = reply["content"].get("evalue") if reply else "no answer"
            raise RoutingError(
                f"the grader's agent did not start in the student's kernel: {detail}"
            )
        self.settings = {**settings, "socket": self.socket_path, "max_bytes": max_bytes}

    async def _begin(self) -> None:
        connection = self.connection if isinstance(self.connection, str) else self.connection()
        self.trusted = AsyncKernelClient(connection_file=connection)
        self.trusted.load_connection_file()
        self.trusted.start_channels()
        await self.trusted.wait_for_ready(timeout=120)
        await self.runtime(f"begin({json.dumps(json.dumps(self.settings))})")

    async def open_cell(self, limit: float) -> None:
        """Before a trusted cell: the student's kernel serving, the cell's limit set, and the
        student's names bound again if a student's cell ran since the last trusted one."""
        if self.trusted is None:
            await self._begin()
        self.token = uuid.uuid4().hex
        code = SERVE.format(token=json.dumps(self.token))
        self.serving = self.student_kc.execute(code, silent=True, store_history=False)
        refused = await self._serving_refused()
        call = f"before_cell({float(limit)!r}, {self.student_ran!r}, {refused!r})"
        await self.runtime(call)
        self.student_ran = False

    async def _serving_refused(self) -> str:
        """'' once the student's kernel answers a greeting; else why it does not (its code
        changed how cells run, so the request to serve ended at once, or never started).
        Waits for whichever comes first, the greeting's answer or the serve request's reply,
        without polling: this runs before every trusted cell."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(self.socket_path)
                sock.sendall(wire.pack({"op": "hello", "id": 0}, [], wire.Limits()))
                sock.setblocking(False)
                answered = await self._first_of(sock)
        except OSError as error:
            return f"the student's kernel does not take the grader's calls ({error})"
        if answered == "greeting":
            return ""
        if answered == "reply":
            self.serving = None
            return "the student's kernel does not take the grader's calls"
        return "the student's kernel did not start taking the grader's calls"

    async def _first_of(self, sock) -> str:
        """'greeting' when the agent answered on ``sock``, 'reply' when the serve request ended,
        'timeout' when neither came within HELLO_SECONDS (one deadline for both)."""
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(sock.fileno(), lambda: readable.done() or readable.set_result(None))
        ended = asyncio.ensure_future(self._reply(self.student_kc, self.serving, HELLO_SECONDS))
        try:
            await asyncio.wait({readable, ended}, return_when=asyncio.FIRST_COMPLETED)
            with contextlib.suppress(OSError):
                if readable.done() and sock.recv(1, socket.MSG_PEEK):
                    return "greeting"
            # the request ended, or the agent closed without a word: the request's end says why
            return "reply" if await ended is not None else "timeout"
        finally:
            loop.remove_reader(sock.fileno())
            if not ended.done():
                ended.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ended

    async def close_cell(self, student_alive) -> dict:
        """After a trusted cell: what the calls did ({"calls", "busy", "gone"}) and whether the
        student's kernel is ``stuck`` (a call that ignores interrupts) once serving stopped."""
        status = json.loads(await self.runtime("after_cell()"))
        status["stuck"] = False
        if self.serving is None:
            return status
        if not await student_alive():
            status["gone"] = True
            self.serving = None
            return status
        self._send_end()
        reply = await self._reply(self.student_kc, self.serving, END_SECONDS)
        if reply is None:  # still in a call: interrupt it; the agent then takes the end above
            await self.student_km.interrupt_kernel()
            reply = await self._reply(self.student_kc, self.serving, INTERRUPT_SECONDS)
            status["stuck"] = reply is None and await student_alive()
        self.serving = None
        return status

    def _send_end(self) -> None:
        """Tell the agent to stop serving (queued behind a connection still being served)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(self.socket_path)
                end = {"op": "end", "id": 0, "session": self.token}
                sock.sendall(wire.pack(end, [], wire.Limits()))
                sock.settimeout(0.2)
                with contextlib.suppress(OSError):
                    sock.recv(64)
        except OSError:
            pass

    async def finish(self) -> None:
        try:
            if self.trusted is not None:
                await self.runtime("end()", timeout=30)
        except RoutingError:
            pass  # a trusted kernel that does not answer is not lent again (trusted_pool)
        finally:
            if self.trusted is not None:
                self.trusted.stop_channels()
            if self.own_dir:
                shutil.rmtree(self.own_dir, ignore_errors=True)
