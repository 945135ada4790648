"""``aipm-kit app`` is local and bounded: real HTTP requests against the app served as ``aipm-kit app`` serves it
(no browser), and the kernel bounds on their own.

The server runs as a subprocess on 127.0.0.1 and a free port, over a copy of ``notebooks/app.ipynb``; each page
load starts a real kernel (a few seconds), so the module shares one server and loads few pages.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from aipm_kit.app import (APP_NOTEBOOK, CULL_IDLE_SECONDS, FOLDER_ENV, MAX_KERNELS, SESSION_COOKIE, SESSION_KERNELS,
                          KernelBounds, voila_argv, voila_command)
from aipm_kit.bundled import notebooks_dir

START_TIMEOUT = 120  # seconds; the app is up in about 3 s on an idle machine, this one is shared
PAGE_TIMEOUT = 180  # one page load runs the notebook in a new kernel: about 5 s idle
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
ZERO_KERNEL = "00000000-0000-0000-0000-000000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    """``python -m aipm_kit.app`` (what ``aipm-kit app`` runs) in its own session, stdout and stderr in files;
    with ``cli``, the command itself (``python -m aipm_kit.cli app``, over the bundled notebook)."""

    def __init__(self, folder: Path, cli: bool = False):
        notebook = folder / APP_NOTEBOOK
        shutil.copyfile(notebooks_dir() / APP_NOTEBOOK, notebook)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out, self.err = folder / "app.out", folder / "app.err"
        env = {k: v for k, v in os.environ.items() if k != "AIPM_KIT_HEADLESS"}
        env[FOLDER_ENV] = str(folder)
        command = [sys.executable, "-m", "aipm_kit.cli", "app", "--no-browser", f"--port={self.port}"] if cli \
            else voila_command(notebook, port=self.port, open_browser=False)
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(command, cwd=folder,
                                            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                            start_new_session=True)
        self.token = self._wait_for_token()

    def _wait_for_token(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(rf"http://127\.0\.0\.1:{self.port}/\?token=([A-Za-z0-9_-]+)", self.out.read_text())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.err.read_text()[-3000:]}")
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"the app printed no address in {START_TIMEOUT} s:\n{self.err.read_text()[-3000:]}")

    def tree(self) -> list[psutil.Process]:
        return [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]

    def kernels(self) -> list[psutil.Process]:
        return [p for p in psutil.Process(self.process.pid).children(recursive=True)
                if any("ipykernel" in part for part in p.cmdline())]

    def open_page(self, session: requests.Session) -> str:
        """Load the app's page as a browser would (the token on the first visit); return its kernel's id."""
        params = {} if session.cookies.get(SESSION_COOKIE) else {"token": self.token}
        response = session.get(self.base + "/", params=params, timeout=PAGE_TIMEOUT)
        assert response.status_code == 200, response.text[:500]
        return KERNEL_ID.search(response.text).group(1)

    def kill(self) -> None:
        if self.process.poll() is None:
            for process in self.tree()[::-1]:
                process.kill()
            self.process.wait(30)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    server = AppProcess(tmp_path_factory.mktemp("app"))
    yield server
    server.kill()


def status(app: AppProcess, path: str, session: requests.Session | None = None, **kwargs) -> int:
    return (session or requests).request(kwargs.pop("method", "GET"), app.base + path, allow_redirects=False,
                                         timeout=30, **kwargs).status_code


# ---- the token, the Host check, XSRF ------------------------------------------------------------------------

def test_the_address_holds_a_fresh_urlsafe_token(app):
    # secrets.token_urlsafe(32): 32 random bytes in base64url without padding: ceil(32 × 8 / 6) = 43 characters
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", app.token)


def test_no_page_or_api_route_answers_without_the_token(app):
    assert status(app, "/") == 302  # to the login page, which asks for the token
    assert status(app, "/", params={"token": "not-the-token"}) == 302
    assert status(app, f"/api/kernels/{ZERO_KERNEL}") == 403
    assert status(app, f"/voila/api/shutdown/{ZERO_KERNEL}", method="POST") == 403
    assert status(app, "/voila/files/app.ipynb") == 403  # the app serves no files from its folder
    assert app.kernels() == []  # none of these started a kernel
    # mirror: the token lets an API request through (no such kernel: 404, not 403)
    assert status(app, f"/api/kernels/{ZERO_KERNEL}", params={"token": app.token}) == 404


@pytest.mark.parametrize("path", ["/", f"/api/kernels/{ZERO_KERNEL}", "/login", "/voila/static/voila.js"])
def test_a_foreign_host_is_refused_on_every_route(app, path):
    # what a DNS-rebinding page sends: the right address and token, its own name in Host
    assert status(app, path, params={"token": app.token}, headers={"Host": "evil.example"}) == 403
    assert status(app, path, params={"token": app.token}, headers={"Host": f"evil.example:{app.port}"}) == 403


def test_local_host_names_are_answered(app):
    # mirror of the foreign Host: the login page (no kernel) under each local name
    for host in ("localhost", "127.0.0.1", "[::1]"):
        assert status(app, "/login", headers={"Host": f"{host}:{app.port}"}) == 200, host


def test_the_page_with_the_token_and_its_shutdown_which_needs_xsrf_and_the_origin(app):
    browser = requests.Session()
    kernel = app.open_page(browser)
    assert browser.cookies.get("_xsrf") and browser.cookies.get(SESSION_COOKIE)
    assert status(app, f"/api/kernels/{kernel}", browser) == 200  # the login cookie now stands for the token
    shutdown = f"/voila/api/shutdown/{kernel}"
    xsrf = browser.cookies["_xsrf"]
    # a POST without the XSRF argument (what any page could send with the cookies) is refused
    assert status(app, shutdown, browser, method="POST") == 403
    # with it, from another origin: refused
    assert status(app, shutdown, browser, method="POST", data={"_xsrf": xsrf},
                  headers={"Origin": "http://evil.example"}) == 404
    # with the XSRF cookie but no login cookie (no token): refused
    assert status(app, shutdown, method="POST", data={"_xsrf": xsrf}, cookies={"_xsrf": xsrf}) == 403
    assert status(app, f"/api/kernels/{kernel}", browser) == 200  # none of those shut it down
    # what the page sends on close (voila's beacon: a form with _xsrf read from the cookie) from its own origin
    assert status(app, shutdown, browser, method="POST", data={"_xsrf": xsrf}, headers={"Origin": app.base}) == 204
    assert status(app, f"/api/kernels/{kernel}", browser) == 404
    deadline = time.monotonic() + 30
    while app.kernels() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert app.kernels() == []


def test_reloads_that_never_close_keep_at_most_two_kernels(app):
    # four loads in one browser whose close requests never arrive: the cap shuts the oldest before each new
    # start, so kernels 1 and 2 are gone and 3 and 4 run (SESSION_KERNELS = 2, worked by hand)
    browser = requests.Session()
    loaded = [app.open_page(browser) for _ in range(4)]
    assert len(set(loaded)) == 4
    assert [status(app, f"/api/kernels/{k}", browser) for k in loaded] == [404, 404, 200, 200]
    assert len(app.kernels()) == 2
    # another browser is not the first one's session: its page starts a kernel and shuts none of those
    other = app.open_page(requests.Session())
    assert [status(app, f"/api/kernels/{k}", browser) for k in loaded[2:] + [other]] == [200, 200, 200]
    assert len(app.kernels()) == 3


# ---- stopping ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sig", "cli"), [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c-aipm-kit-app", "sigterm"])
def test_a_signal_stops_the_app_and_every_kernel_without_a_traceback(tmp_path, sig, cli):
    app = AppProcess(tmp_path, cli=cli)
    try:
        app.open_page(requests.Session())
        tree = app.tree()
        assert len(app.kernels()) == 1
        os.kill(app.process.pid, sig)  # Ctrl-C in a terminal: SIGINT to the app (kernels are in their own session)
        assert app.process.wait(60) == 0
        gone, alive = psutil.wait_procs(tree, timeout=30)
        assert alive == [], [p.cmdline() for p in alive]
        errors = app.err.read_text()
        assert "Traceback" not in errors, errors[-3000:]
        assert "Kernel shutdown" in errors  # the kernel was shut down, not orphaned
    finally:
        app.kill()


# ---- the bounds on their own ------------------------------------------------------------------------------------

def simulate(bounds: KernelBounds, visits: list[str]) -> list[str]:
    """Page visits (the session of each) whose close request never arrives; the kernels left running."""
    live: list[str] = []
    for number, session in enumerate(visits):
        for kernel in bounds.to_shut_down(session, frozenset(live)):
            live.remove(kernel)
        live.append(f"k{number}")
        bounds.started(session, f"k{number}")
    return live


def test_ten_reloads_hold_two_kernels_the_newest():
    assert simulate(KernelBounds(2, 6), ["a"] * 10) == ["k8", "k9"]


def test_twenty_browsers_hold_the_global_cap_the_newest():
    assert simulate(KernelBounds(2, 6), [f"s{i}" for i in range(20)]) == [f"k{i}" for i in range(14, 20)]


def test_pages_within_both_caps_shut_nothing_down():
    # mirror: three browsers with two tabs each is 6 kernels, within 2 a browser and 6 in all
    visits = ["a", "a", "b", "b", "c", "c"]
    assert simulate(KernelBounds(2, 6), visits) == [f"k{i}" for i in range(6)]


def test_a_kernel_shut_down_elsewhere_is_forgotten():
    bounds = KernelBounds(2, 6)
    bounds.started("a", "k0")
    bounds.started("a", "k1")
    # k0's page closed (its shutdown went through): the next page of "a" needs no eviction
    assert bounds.to_shut_down("a", frozenset({"k1"})) == []
    assert bounds.kernels_of("a") == ["k1"]


def test_the_bounds_reject_nonsense():
    with pytest.raises(ValueError, match="per_session"):
        KernelBounds(0, 6)
    with pytest.raises(ValueError, match="total"):
        KernelBounds(3, 2)


def test_the_defaults_and_voilas_arguments():
    assert (SESSION_KERNELS, MAX_KERNELS) == (2, 6)
    argv = voila_argv("app.ipynb", port=8999)
    assert argv[0] == "app.ipynb" and "--Voila.ip=127.0.0.1" in argv and "--port=8999" in argv
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}" in argv
    assert not any("xsrf" in part for part in argv)  # XSRF checks stay on
    assert "--no-browser" in argv  # the kit opens the browser itself, with the token
