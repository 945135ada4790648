"""Kernels and memory of ``aipm-kit app`` under load: 20 browsers, then ten reloads that never close.

Run it from the repository: ``python benchmarks/app_load.py [sessions] [reloads]`` (default 20 and 10). It serves
a copy of ``notebooks/app.ipynb`` as ``aipm-kit app`` does (``python -m aipm_kit.app``) on 127.0.0.1 and a free
port, then, one page at a time (each page runs the notebook in a new kernel, so pages are loaded in turn):

1. opens ``sessions`` pages, each as a separate browser (its own cookies, the token in the first request);
2. closes them the way a page does on close (Voila's shutdown request with the ``_xsrf`` cookie and the page's
   Origin); a kernel the caps already shut down answers 404;
3. loads the page ``reloads`` times in one browser without closing it (the close request lost);
4. stops the app with SIGINT (Ctrl-C) and checks that no process of its tree is left.

After each step it prints the number of kernels and the memory of the app's process tree (the server and its
kernels): PSS, which splits shared pages among the processes that share them, and RSS, which counts them in
each. Each page load is bounded (``PAGE_TIMEOUT``) and so is the whole run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from aipm_kit.app import APP_NOTEBOOK, FOLDER_ENV, MAX_KERNELS, SESSION_COOKIE, SESSION_KERNELS, voila_command
from aipm_kit.bundled import notebooks_dir

PAGE_TIMEOUT = 180  # seconds for one page (a kernel start and the notebook's run)
RUN_TIMEOUT = 1800  # the whole run
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def kernels(pid: int) -> list[psutil.Process]:
    return [p for p in tree(pid)[1:] if any("ipykernel" in part for part in p.cmdline())]


def memory_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of the process tree in MB."""
    pss = rss = 0
    for process in tree(pid):
        try:
            info = process.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        pss, rss = pss + getattr(info, "pss", info.rss), rss + info.rss
    return pss / 2**20, rss / 2**20


def report(step: str, pid: int) -> None:
    pss, rss = memory_mb(pid)
    print(f"{step:<48} kernels {len(kernels(pid)):>3}   PSS {pss:>7,.0f} MB   RSS {rss:>7,.0f} MB", flush=True)


def settle(pid: int, expected: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(kernels(pid)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)


def main(sessions: int = 20, reloads: int = 10) -> int:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="aipm-kit-app-load-"))
    notebook = folder / APP_NOTEBOOK
    shutil.copyfile(notebooks_dir() / APP_NOTEBOOK, notebook)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "AIPM_KIT_HEADLESS"}
    env[FOLDER_ENV] = str(folder)
    out, err = (folder / "app.out").open("wb"), (folder / "app.err").open("wb")
    app = subprocess.Popen(voila_command(notebook, port=port, open_browser=False), cwd=folder, env=env,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    try:
        token = None
        while token is None:
            if time.monotonic() - started > 120 or app.poll() is not None:
                raise SystemExit(f"the app did not start:\n{(folder / 'app.err').read_text()[-2000:]}")
            found = re.search(r"\?token=([A-Za-z0-9_-]+)", (folder / "app.out").read_text())
            token = found.group(1) if found else time.sleep(0.2)

        def open_page(browser: requests.Session) -> str:
            if time.monotonic() - started > RUN_TIMEOUT:
                raise SystemExit(f"over the run's {RUN_TIMEOUT} s bound")
            params = {} if browser.cookies.get(SESSION_COOKIE) else {"token": token}
            response = browser.get(base + "/", params=params, timeout=PAGE_TIMEOUT)
            response.raise_for_status()
            return KERNEL_ID.search(response.text).group(1)

        print(f"aipm-kit app on {base}: caps {SESSION_KERNELS} kernels a browser, {MAX_KERNELS} in all")
        report("started, no page", app.pid)

        t0 = time.monotonic()
        browsers = [requests.Session() for _ in range(sessions)]
        pages = [(browser, open_page(browser)) for browser in browsers]
        seconds = time.monotonic() - t0
        report(f"after {sessions} browsers opened the page", app.pid)
        print(f"  {seconds:.0f} s for {sessions} pages, {seconds / sessions:.1f} s a page")

        answers: dict[int, int] = {}
        for browser, kernel in pages:
            code = browser.post(f"{base}/voila/api/shutdown/{kernel}", data={"_xsrf": browser.cookies["_xsrf"]},
                                headers={"Origin": base}, timeout=30).status_code
            answers[code] = answers.get(code, 0) + 1
        settle(app.pid, 0)
        report(f"after the {sessions} pages closed", app.pid)
        print(f"  close requests answered: {', '.join(f'{n} × {code}' for code, n in sorted(answers.items()))} "
              f"(404: already shut down by the caps)")

        browser = requests.Session()
        for _ in range(reloads):
            open_page(browser)
        report(f"after {reloads} reloads in one browser, never closed", app.pid)

        everything = tree(app.pid)
        app.send_signal(signal.SIGINT)
        code = app.wait(60)
        _, alive = psutil.wait_procs(everything, timeout=30)
        traceback = "Traceback" in (folder / "app.err").read_text()
        print(f"Ctrl-C: exit status {code}, {len(alive)} of {len(everything)} processes left, "
              f"{'a' if traceback else 'no'} traceback; {time.monotonic() - started:.0f} s in all")
        return 0 if not alive and not traceback else 1
    finally:
        if app.poll() is None:
            for process in tree(app.pid)[::-1]:
                process.kill()
        out.close()
        err.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*(int(arg) for arg in sys.argv[1:3])))
