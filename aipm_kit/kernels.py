"""Kernels for a batch build: forked from a warm process, one fresh kernel per notebook, started ahead.

A plain papermill run starts a new Python kernel for every notebook (about 0.6 s), and the notebook then imports
pandas, matplotlib, scipy.stats, pydantic and the kit (about 2.5 s more). For the kit's notebooks that is most
of their time. Here one process, the *zygote*, imports all of that once; each kernel is a child forked from it,
so it starts with the modules loaded and nothing else: no cell has run in it, its execution count is 0 and its
user namespace is a new kernel's. No kernel ever runs a second notebook.

    Zygote                   the warm process: forks a child on request that runs an IPython kernel or one call
    ForkedKernelProvisioner  jupyter_client's provisioner interface (how a kernel manager starts, signals and waits
                             for its kernel), launching through the zygote; any other kernel starts as usual
    take_kernel              a started kernel and a client that has heard it answer; the next kernel for this
                             thread is already starting. Start-up failures (a port race, a timeout, a zygote that
                             died) are retried here, so they never count as a notebook's failure
    call_warm                one function call in a child of the zygote (the brief's analyses, without importing
                             pandas and matplotlib into the calling process)
    release                  stop this process's zygote and the kernels started ahead (the end of a build)

Nothing here is imported by ``import aipm_kit``; jupyter_client is imported only when a kernel is wanted.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KERNEL_START_ATTEMPTS = 3  # a start can fail on a port race when many start at once (papermill #511)
KERNEL_START_TIMEOUT = 60  # seconds for a kernel to answer its first request (papermill's default)

# What a kernel imports as it starts (ipykernel, its debugger, IPython's history and inspector) and what the
# seven question notebooks then import (measured on the bundled cases), in that order. A module that fails to
# import here is simply imported by the kernel or notebook that needs it, as it would be without the zygote.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.core.debugger",
    "IPython.core.completerlib", "IPython.core.oinspect", "IPython.core.logger", "IPython.extensions.storemagic",
    "IPython.utils.wildcard", "ipykernel_launcher", "tornado.platform.asyncio", "psutil", "faulthandler", "resource",
    "sqlite3", "matplotlib_inline.backend_inline",
    "numpy", "pandas", "scipy.stats", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg",
    "PIL.PngImagePlugin", "pydantic", "yaml",
    "aipm_kit", "aipm_kit.forms", "aipm_kit.selfcheck", "aipm_kit.stats", "aipm_kit.brief",
    "aipm_kit.questions.problem", "aipm_kit.questions.need_ai", "aipm_kit.questions.data",
    "aipm_kit.questions.approach", "aipm_kit.questions.experience", "aipm_kit.questions.evaluation",
    "aipm_kit.questions.monitoring",
)
# What ipykernel sets before any cell runs; matplotlib reads it when it is imported, so the zygote sets it first.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class KernelStartError(RuntimeError):
    """No kernel could be started (after every attempt): the zygote or ipykernel itself is broken."""


# ---- the zygote -----------------------------------------------------------------------------------------

class Zygote:
    """A process that has imported ``PRELOAD`` and forks a child for each request.

    Requests and replies are one JSON line each over a socket pair: ``{"run": "kernel" | "call", ...}`` →
    ``{"pid": N}``. The children are the zygote's, reaped by it; their output goes to ``log``. When this side
    closes the socket (or dies) the zygote exits, and each kernel exits when it sees its parent gone.
    """

    def __init__(self, log: str | os.PathLike | None = None):
        ours, theirs = socket.socketpair()
        log_file = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
        try:
            code = f"from aipm_kit.kernels import _zygote_main; _zygote_main({theirs.fileno()})"
            self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()],
                                            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                            cwd=os.path.abspath(os.sep))  # not the caller's folder: it may shadow a package
        finally:
            theirs.close()
            if log:
                log_file.close()
        ours.settimeout(KERNEL_START_TIMEOUT)  # its imports take seconds; a zygote stuck in them is given up
        self._socket = ours
        self._stream = ours.makefile("rwb")
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, request: dict[str, Any]) -> int:
        """The pid of a new child running ``request``; waits while the zygote is still importing."""
        with self._lock:
            try:
                self._stream.write(json.dumps(request).encode() + b"\n")
                self._stream.flush()
                line = self._stream.readline()
            except OSError as exc:  # gone, or no answer in time: a reply arriving later would answer the wrong request
                self.process.kill()
                raise KernelStartError(f"the kernel zygote is gone: {exc or type(exc).__name__}") from exc
        if not line:
            raise KernelStartError(f"the kernel zygote exited (status {self.process.poll()})")
        reply = json.loads(line)
        if "error" in reply:
            raise KernelStartError(f"the kernel zygote could not fork: {reply['error']}")
        return int(reply["pid"])

    def close(self) -> None:
        for closing in (self._stream.close, self._socket.close):
            try:
                closing()
            except OSError:
                pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _zygote_main(fd: int) -> None:
    """The zygote: import everything once, then fork a child per request until the socket closes."""
    import gc
    import importlib
    import signal

    # As ipykernel_launcher does: no working folder on sys.path while loading; the kernel adds '' back itself.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 (the notebook imports it itself, and reports any error there)
            print(f"aipm-kit kernel zygote: not preloaded: {name}: {type(exc).__name__}: {exc}", flush=True)
    gc.freeze()  # the children share these objects' memory pages instead of copying them on the next collection
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit: no zombies
    connection = socket.socket(fileno=fd)
    stream = connection.makefile("rwb")
    for line in stream:
        request = json.loads(line)
        try:
            pid = os.fork()
        except OSError as exc:
            stream.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
            stream.flush()
            continue
        if pid == 0:
            stream.close()
            connection.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child_main(request)  # never returns
        stream.write(json.dumps({"pid": pid}).encode() + b"\n")
        stream.flush()


def _child_main(request: dict[str, Any]) -> None:
    """In a child of the zygote: become a kernel or make one call, then exit without returning."""
    code = 1
    try:
        os.setsid()  # its own process group, as a kernel started by jupyter_client: signals reach its children
        _redirect_output(request.get("log"))
        if request["run"] == "kernel":
            code = _run_kernel(request["argv"], request.get("cwd"), request["env"])
        else:
            code = _run_call(request["target"], request["args"], request["result"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 (the child must never return into the zygote's loop)
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _redirect_output(log: str | None) -> None:
    fd = os.open(log or os.devnull, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _run_kernel(argv: list[str], cwd: str | None, env: dict[str, str]) -> int:
    """What ``python -m ipykernel_launcher ARGV`` does, in a process that has the imports done."""
    import atexit
    import random

    if cwd:
        os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    import ipykernel_launcher
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [ipykernel_launcher.__file__, *argv]
    random.seed()  # Python reseeds `random` after a fork; numpy does not, so every kernel would draw the same
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    # The kernel exits when the zygote does (jupyter_client passes the same through JPY_PARENT_PID).
    IPKernelApp.launch_instance(argv=[*argv, f"--IPKernelApp.parent_handle={os.getppid()}"])
    atexit._run_exitfuncs()  # a normal exit runs these; os._exit (the zygote's child) would skip them
    return 0


def _run_call(target: str, args: str, result: str) -> int:
    import importlib

    module, name = target.split(":")
    try:
        outcome = ("ok", getattr(importlib.import_module(module), name)(*pickle.loads(bytes.fromhex(args))))
    except Exception as exc:  # noqa: BLE001 (sent back and raised in the caller)
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    tmp = f"{result}.tmp"
    with open(tmp, "wb") as handle:
        pickle.dump(outcome, handle)
    os.replace(tmp, result)
    return 0


# ---- one zygote per process -----------------------------------------------------------------------------

_lock = threading.RLock()
_zygote: Zygote | None = None
_ahead: dict[int, _Started] = {}  # thread id → the kernel started ahead for that thread's next notebook


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def start_zygote(log: str | os.PathLike | None = None) -> Zygote | None:
    """This process's zygote, started now if it is not running (its imports then proceed in the background)."""
    global _zygote
    if not can_fork():
        return None
    with _lock:
        if _zygote is None or not _zygote.alive:
            if _zygote is not None:
                _zygote.close()
            _zygote = Zygote(log)
        return _zygote


def release() -> None:
    """Kill the kernels started ahead and stop the zygote (the end of a build; Dask runs it on every worker)."""
    global _zygote
    with _lock:
        for started in list(_ahead.values()):
            started.discard()
        _ahead.clear()
        if _zygote is not None:
            _zygote.close()
            _zygote = None


def call_warm(target: str, *args: Any, log: str | os.PathLike | None = None, timeout: float = 600) -> Any:
    """``module:function`` called with ``args`` in a child of the zygote (which has the kit imported).

    Where no zygote can run (no ``fork``), the function is called here.
    """
    import importlib

    zygote = start_zygote(log)
    if zygote is None:
        module, name = target.split(":")
        return getattr(importlib.import_module(module), name)(*args)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="aipm-kit-call-") as folder:
        result = Path(folder) / "result.pickle"
        pid = zygote.fork({"run": "call", "target": target, "args": pickle.dumps(args).hex(), "result": str(result),
                           "log": str(log) if log else None})
        _wait_gone(pid, timeout)
        if not result.exists():
            raise RuntimeError(f"{target} ended without a result (see the build log)")
        status, value = pickle.loads(result.read_bytes())
    if status == "error":
        raise RuntimeError(value)
    return value


def _wait_gone(pid: int, timeout: float) -> None:
    import psutil

    try:
        process = psutil.Process(pid)
        process.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        process.kill()
        raise TimeoutError(f"the call in process {pid} ran over {timeout:g} s") from None


# ---- the provisioner ------------------------------------------------------------------------------------

def _provisioner_class():
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedKernelProvisioner(LocalProvisioner):
        """LocalProvisioner whose kernels are forked from the zygote, when the command is ipykernel's for this Python.

        Everything else (connection file, ports, signals to the process group, waiting, clean-up) is
        LocalProvisioner's, over a process handle with the ``subprocess.Popen`` methods it uses.
        """

        zygote: Zygote | None = None
        log_path: str | None = None

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            argv = _ipykernel_argv(cmd)
            if argv is None or self.zygote is None:
                return await super().launch_kernel(cmd, **kwargs)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            env = dict(kwargs.get("env") or os.environ)
            pid = self.zygote.fork({"run": "kernel", "argv": argv, "cwd": cwd, "env": env, "log": self.log_path})
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # the child called setsid(): its process group is its pid
            self.cwd = cwd
            return self.connection_info

        async def kill(self, restart: bool = False) -> None:
            process = self.process
            await super().kill(restart)
            if isinstance(process, _ForkedProcess):
                process.wait(timeout=1.0)  # gone in milliseconds; spares the manager its 0.1 s polling sleep

    return ForkedKernelProvisioner


class _ForkedProcess:
    """The ``subprocess.Popen`` methods LocalProvisioner calls, for a kernel that is the zygote's child, not ours.

    psutil identifies the process by pid and start time, so a recycled pid is never mistaken for the kernel.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        import psutil

        self.pid = pid
        self.returncode: int | None = None
        try:
            self._process: Any = psutil.Process(pid)
        except psutil.NoSuchProcess:
            self._process, self.returncode = None, 1

    def poll(self) -> int | None:
        import psutil

        if self.returncode is None:
            try:
                running = self._process.is_running() and self._process.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                running = False
            if not running:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        import psutil

        if self.returncode is None:
            try:
                self._process.wait(timeout)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                return None
            self.returncode = 0
        return self.returncode

    def send_signal(self, signum: int) -> None:
        import psutil

        if self.poll() is None:
            try:
                self._process.send_signal(signum)
            except psutil.NoSuchProcess:
                self.returncode = 0

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)


def _ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` runs it with this Python, else None."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    import shutil

    # jupyter_client runs a spec's plain "python" with the manager's own interpreter (format_kernel_cmd)
    plain = {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}
    python = sys.executable if cmd[0] in plain else shutil.which(cmd[0]) or cmd[0]
    if os.path.abspath(python) != os.path.abspath(sys.executable):
        return None  # another interpreter or environment: only a real launch gives its packages
    return list(cmd[3:])


# ---- kernels for notebooks ------------------------------------------------------------------------------

@dataclass
class _Started:
    """A kernel whose process has been launched, on the event loop of the thread that launched it."""

    km: Any  # jupyter_client.AsyncKernelManager
    key: tuple
    loop: Any

    @property
    def alive(self) -> bool:
        process = getattr(self.km.provisioner, "process", None)
        return process is not None and process.poll() is None

    def discard(self) -> None:
        """Kill it without its event loop (it may belong to another thread) and remove its connection file."""
        process = getattr(self.km.provisioner, "process", None)
        try:
            if process is not None:
                process.kill()
                process.wait(timeout=1.0)
        except Exception:  # noqa: BLE001 (already gone)
            pass
        try:
            self.km.cleanup_connection_file()
            self.km.context.destroy(linger=0)  # the manager's own context: its control socket, the client's sockets
        except Exception:  # noqa: BLE001
            pass


def take_kernel(cwd: str | os.PathLike, env: dict[str, str] | None = None, log: str | os.PathLike | None = None,
                kernel_name: str = "python3", extra_arguments: list[str] | None = None,
                start_timeout: float = KERNEL_START_TIMEOUT, ahead: bool = True):
    """A kernel no notebook has used, started and answering: ``(kernel manager, kernel client)``.

    Runs on the calling thread's event loop (jupyter_core's ``run_sync``), the one nbclient then uses. The kernel
    started ahead for this thread is used when it was started for the same folder, environment and log;
    afterwards the next one is launched, so it boots while this notebook runs. A start that fails is retried
    with a fresh kernel (and a fresh zygote if it died), up to ``KERNEL_START_ATTEMPTS`` times.
    """
    from jupyter_core.utils import run_sync

    key = (str(cwd), tuple(sorted((env or {}).items())), str(log) if log else None, kernel_name,
           tuple(extra_arguments or ()))
    return run_sync(_take)(key, start_timeout, ahead)


async def _take(key: tuple, start_timeout: float, ahead: bool):
    import asyncio

    log = key[2]
    loop = asyncio.get_running_loop()
    errors = []
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        started = _pop_ahead(key, loop)
        try:
            if started is None:
                started = await _launch(key, loop)
            kc = await _connect(started.km, start_timeout)
        except Exception as exc:  # noqa: BLE001 (a start failure: retried, never a notebook failure)
            errors.append(f"{type(exc).__name__}: {exc}")
            _note(log, f"kernel start attempt {attempt} of {KERNEL_START_ATTEMPTS} failed: {errors[-1]}")
            if started is not None:
                started.discard()
            continue
        if ahead:
            try:
                _put_ahead(await _launch(key, loop))
            except Exception as exc:  # noqa: BLE001 (the next notebook then starts its own)
                _note(log, f"starting the next kernel ahead failed: {type(exc).__name__}: {exc}")
        return started.km, kc
    raise KernelStartError(f"no kernel started in {KERNEL_START_ATTEMPTS} attempts: {errors[-1]}")


async def _launch(key: tuple, loop: Any) -> _Started:
    from jupyter_client.manager import AsyncKernelManager

    cwd, env, log, kernel_name, extra_arguments = key
    km = AsyncKernelManager(kernel_name=kernel_name, log=_logger(log))
    km.kernel_id = str(uuid.uuid4())
    provisioner = _provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    if _ipykernel_argv(km.kernel_spec.argv) is not None:
        provisioner.zygote, provisioner.log_path = start_zygote(log), log
    km.provisioner = provisioner  # set before the start: the manager then uses it instead of the default
    launch: dict[str, Any] = {"cwd": cwd, "extra_arguments": list(extra_arguments)}
    if env:
        launch["env"] = {**os.environ, **dict(env)}
    await km.start_kernel(**launch)
    return _Started(km, key, loop)


async def _connect(km: Any, start_timeout: float):
    kc = km.client()
    kc.start_channels()
    try:
        await _wait_for_ready(kc, start_timeout)
    except Exception:
        kc.stop_channels()
        raise
    kc.allow_stdin = False  # as nbclient sets it: a notebook cell cannot ask for input
    return kc


def _adapt_to_protocol(kc: Any, reply: dict) -> None:
    """Speak the kernel's major protocol version, as jupyter_client does on a kernel_info reply.

    Done with public names (``protocol_version_info``, the session's ``adapt_version`` trait) rather than the
    client's private ``_handle_kernel_info_reply``, which a jupyter_client release may rename.
    """
    from jupyter_client import protocol_version_info

    kernel_major = int(str(reply["content"].get("protocol_version", "5")).split(".")[0])
    if kernel_major != protocol_version_info[0]:
        kc.session.adapt_version = kernel_major


async def _wait_for_ready(kc: Any, timeout: float) -> None:
    """``kc.wait_for_ready`` without its closing 0.2 s of listening for silence on IOPub.

    Ready means the kernel answered a ``kernel_info_request`` on shell *and* its busy/idle status for that request
    arrived on IOPub: a published message proves the subscription is live (messages published before it are
    lost), and reading up to that ``idle`` leaves nothing of the handshake for the notebook's first cell.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        try:
            reply = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            if not await kc.is_alive():
                raise RuntimeError("the kernel died before it answered") from None
            continue
        if reply["parent_header"].get("msg_id") != msg_id:
            continue
        _adapt_to_protocol(kc, reply)
        try:
            while True:  # IOPub: up to this request's idle, or start over if nothing comes (not subscribed yet)
                msg = await kc.iopub_channel.get_msg(timeout=0.2)
                if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                        and msg["parent_header"].get("msg_id") == msg_id):
                    return
        except Empty:
            continue
    raise TimeoutError(f"the kernel did not answer within {timeout:g} s")


def _pop_ahead(key: tuple, loop: Any) -> _Started | None:
    with _lock:
        started = _ahead.pop(threading.get_ident(), None)
    if started is None:
        return None
    if started.key != key or started.loop is not loop or not started.alive:
        started.discard()
        return None
    return started


def _put_ahead(started: _Started) -> None:
    with _lock:
        previous = _ahead.pop(threading.get_ident(), None)
        _ahead[threading.get_ident()] = started
    if previous is not None:
        previous.discard()


def _logger(log: str | None):
    """jupyter_client's messages about our kernels (a failed start's traceback) go to the build log too."""
    import logging

    logger = logging.getLogger(f"aipm_kit.kernels.{log or 'stderr'}")
    if not logger.handlers:
        logger.addHandler(logging.FileHandler(log, encoding="utf-8") if log else logging.StreamHandler())
        logger.handlers[0].setFormatter(logging.Formatter("[aipm-kit %(levelname)s] %(message)s"))
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    return logger


def _note(log: str | os.PathLike | None, message: str) -> None:
    line = f"[aipm-kit] {message}\n"
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(line)
    else:
        print(line, end="", file=sys.stderr, flush=True)


def discard(km: Any, kc: Any = None) -> None:
    """Stop ``kc``'s channels and kill ``km``'s kernel if it still runs (nbclient normally did both already)."""
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
    if km is not None and getattr(km, "provisioner", None) is not None and km.provisioner.has_process:
        _Started(km, (), None).discard()
