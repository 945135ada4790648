"""Fixtures for the real-browser tests: Debian's Chromium driven by playwright, a JupyterLab server and a
Voila app server, each on 127.0.0.1 over a temporary copy of the notebooks and the bundled case.

The servers get COPIES: running cells dirties a notebook and Lab's autosave writes it back, and a form's
Save writes into its case file, so the committed notebooks and the bundled case are never served: the
server's root is a temporary folder, and each copied notebook's ``parameters`` cell names the copied case.
``AIPM_KIT_HEADLESS`` is removed from the servers' environment: the root ``conftest.py`` sets it for this
process, and with it the kernels would show static tables instead of widgets.

Without Chromium (or playwright) the tests skip with the reason; with ``CI=true`` that is a failure: CI
installs Chromium itself. Screenshots go to a temporary folder (printed at the end of the run), or to
``AIPM_KIT_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aipm_kit.bundled import cases_dir, notebooks_dir

CHROMIUM = Path(os.environ.get("AIPM_KIT_CHROMIUM", "/usr/lib/chromium/chromium"))
# Without the networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CASE_NAME = "support-triage"
SERVER_START_TIMEOUT = 90  # seconds; Lab is ready in about 2.5 s on an idle 2-core machine
TIMEOUT_MS = 60_000  # one browser wait; a kernel start plus a figure render takes a few seconds


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_tool(reason: str) -> None:
    """Skip locally; fail in CI, where a missing browser would silently hide the whole suite."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs Chromium)", pytrace=False)
    pytest.skip(reason)


# ---- the browser ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium under playwright, shared by the suite (each test opens its own page)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed (pip install -e '.[test]')")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing_tool(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001 (pytest's hook)
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def page(browser, screenshots, request) -> Iterator[Any]:
    """A fresh page 1280 px wide; after a failure its screenshot is kept as ``FAILED-<test>.png``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    if getattr(request.node, "browser_test_failed", False) and not page.is_closed():
        with contextlib.suppress(Exception):
            page.screenshot(path=str(screenshots / f"FAILED-{request.node.name}.png"))
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests write their screenshots (look at them: a form that renders badly is a bug)."""
    folder = Path(os.environ["AIPM_KIT_SCREENSHOTS"]) if os.environ.get("AIPM_KIT_SCREENSHOTS") \
        else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    _SCREENSHOT_FOLDERS.append(folder)
    return folder


# ---- the files the servers see ---------------------------------------------------------------------------

PARAMETER_LINE = re.compile(r'^case = "[^"\n]*"', re.MULTILINE)


def point_at_case(notebook: Path, case_path: str) -> bool:
    """Make a copied notebook open ``case_path`` (its ``parameters`` cell's ``case = "…"``); False if it has none."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    replaced = 0
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source, count = PARAMETER_LINE.subn(f"case = {json.dumps(case_path)}", "".join(cell["source"]))
            cell["source"], replaced = source.splitlines(keepends=True), replaced + count
    if replaced:
        notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return bool(replaced)


@dataclass(frozen=True)
class Workspace:
    """A temporary root: ``notebooks/`` (copies, pointed at the copied case) and ``cases/`` (a copy)."""

    root: Path

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def case_file(self) -> Path:
        return self.root / "cases" / f"{CASE_NAME}.yaml"


def make_workspace(root: Path) -> Workspace:
    shutil.copytree(cases_dir(), root / "cases")
    (root / "notebooks").mkdir()
    for notebook in sorted(notebooks_dir().glob("*.ipynb")):
        copy = root / "notebooks" / notebook.name
        shutil.copyfile(notebook, copy)
        # kernels start in the notebook's folder, so the path is relative to notebooks/; a notebook that opens
        # a case must be pointed at the copy, or its Save would write into the bundled case
        pointed = point_at_case(copy, f"../cases/{CASE_NAME}.yaml")
        assert pointed or "case = " not in copy.read_text(encoding="utf-8"), f"{notebook.name}: case not redirected"
    return Workspace(root)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("lab-root"))


# ---- servers ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(settings_dir: Path) -> dict[str, str]:
    """This process's environment without the headless switch, with Lab's user settings in ``settings_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "AIPM_KIT_HEADLESS"}
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings_dir / "settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(settings_dir / "workspaces")
    user_settings = {
        # no "get Jupyter news?" toast over the screenshots
        "apputils-extension/notification": {"fetchNews": "false"},
        # start the notebook's own kernel without asking (on a busy machine Lab may ask "Select Kernel")
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }
    for name, values in user_settings.items():
        path = settings_dir / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return env


class Server:
    """A Jupyter server (Lab or Voila) in its own process group, with its log in a file."""

    def __init__(self, command: list[str], url: str, ready_path: str, env: dict[str, str], cwd: Path, log: Path,
                 any_answer: bool = False):
        self.url, self.log, self._any_answer = url, log, any_answer
        self._log_handle = log.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log_handle, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError:
                if self._any_answer:  # Voila has no status page, and its "/" would start a kernel
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the server was not ready after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self._log_handle.closed:
            self._log_handle.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def get_json(self, path: str, cookies: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(self.url + path)
        if cookies:
            # a token-less server still wants the XSRF cookie echoed in a header
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
            if "_xsrf" in cookies:
                request.add_header("X-XSRFToken", cookies["_xsrf"])
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def status_of(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> None:
        """SIGINT twice is Jupyter's "shut down now" (kernels included); then the group, by force if need be."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, 0.3), (signal.SIGINT, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(wait)
                    break
        self._log_handle.close()


def lab_command(python: str | Path, port: int, root: Path) -> list[str]:
    return [str(python), "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
            "--ServerApp.port_retries=0", "--ServerApp.token=", "--ServerApp.password=", "--allow-root",
            f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


def start_lab(python: str | Path, root: Path, state: Path) -> Server:
    """JupyterLab (token off: this test server only) on 127.0.0.1 and a free port, serving ``root``."""
    port = free_port()
    return Server(lab_command(python, port, root), f"http://127.0.0.1:{port}", "/api/status",
                  server_environment(state), cwd=root, log=state / "lab.log")


@pytest.fixture(scope="session")
def lab(workspace, tmp_path_factory) -> Iterator[Server]:
    server = start_lab(sys.executable, workspace.root, tmp_path_factory.mktemp("lab-state"))
    yield server
    server.stop()


# ---- driving JupyterLab ------------------------------------------------------------------------------------

def open_and_run_all(page: Any, lab: Server, notebook: str) -> None:
    """Open ``notebooks/<notebook>`` in Lab, wait for its kernel, and run every cell from the Run menu."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{lab.url}/lab/tree/notebooks/{notebook}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.locator('.jp-StatusBar-TextItem:has-text("| Idle")').wait_for()
    # "Idle" can show before this notebook's new kernel is connected (another tab's kernel is idle too), and a
    # Run All issued then runs nothing: issue it again until a cell of this notebook has started
    started = panel.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[(\d+|\*)\]"))
    for _ in range(4):
        page.locator('.lm-MenuBar-itemLabel:text-is("Run")').click()
        page.locator('.lm-Menu-itemLabel:text-is("Run All Cells")').click()
        try:
            started.first.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"Run All Cells never started a cell of {notebook}: its kernel did not connect")


def screenshot_cell_outputs(page: Any, top: Any, path: Path, height: int = 1500) -> None:
    """A screenshot of the notebook from ``top`` down, ``height`` px, without the file browser beside it."""
    sidebar_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if sidebar_tab.count():
        sidebar_tab.first.click()  # collapses the file browser
    page.set_viewport_size({"width": 1280, "height": height + 200})
    page.wait_for_timeout(300)  # widths settle after the sidebar closes
    top.evaluate("element => { element.scrollIntoView({block: 'start'});"
                 " element.closest('.jp-WindowedPanel-outer')?.scrollBy(0, -60); }")
    page.wait_for_timeout(500)  # images finish painting
    box = top.bounding_box()
    x = max(box["x"] - 90, 0)  # the cell's prompt column stays in the picture
    page.screenshot(path=str(path), clip={"x": x, "y": box["y"] - 10, "width": 1270 - x, "height": height})


def field_box(scope: Any, label: str) -> Any:
    """The form's box for one field (its widget, help line and error line), found by the field's label."""
    # the innermost box holding the label (the form's own box holds it too, and comes first)
    return scope.locator(f'.widget-vbox:has(label.widget-label:text-is("{label}"))').last


def field_input(scope: Any, label: str) -> Any:
    """The input of a labelled text or number field."""
    return scope.locator(f'.widget-inline-hbox:has(> label.widget-label:text-is("{label}"))').locator(
        "input, textarea").first


def set_field(scope: Any, label: str, value: str) -> None:
    """Type ``value`` into a field and commit it the way a person does (Enter, which the widget syncs)."""
    box = field_input(scope, label)
    box.fill(value)
    box.press("Enter")


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT_MS / 1000, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")


_SCREENSHOT_FOLDERS: list[Path] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 (pytest's hook)
    for folder in _SCREENSHOT_FOLDERS:
        terminalreporter.write_line(f"browser screenshots: {folder}")
