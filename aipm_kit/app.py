"""The seven worksheets as one app: a tab per question, a case picker, and a brief that follows the answers.

``notebooks/app.ipynb`` is one call, ``App(case)``; ``aipm-kit app`` serves that notebook with Voila on
localhost (``serve``). Each tab is the question's usual form (``aipm_kit.form``) with its live result below;
the Brief tab is the case's one-page brief (``aipm_kit.brief``) made from the answers as they stand in the
forms, saved or not. The picker offers the bundled worked examples and the learner's own case files: the
YAML files in the folder ``aipm-kit app`` was started from (and one level down, where ``aipm-kit init``
puts them).

``serve`` runs Voila in this process, local and bounded: the address carries a random token (a page or API
route without it, or its login cookie, is refused), a request whose Host is not a local name is refused (DNS
rebinding), XSRF checks stay on, and kernels are bounded three ways: the page's own shutdown request on close
(it works once the page sets the ``_xsrf`` cookie it sends back: voila #1458), a per-browser cap that shuts the
browser's oldest kernel when it opens a third page (``SESSION_KERNELS``) and a cap on all kernels
(``MAX_KERNELS``), and culling of kernels left idle with no page. Ctrl-C or SIGTERM stops the server and every
kernel. docs/app-threat-model.md says what this protects and from whom.
"""

from __future__ import annotations

import functools
import html
import os
import re
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundled import bundled_cases, notebooks_dir
from .case import Case, CaseError, load_case
from .questions import QUESTIONS
from .selfcheck import headless

if TYPE_CHECKING:
    import ipywidgets

    from .forms import Form

APP_NOTEBOOK = "app.ipynb"
FOLDER_ENV = "AIPM_KIT_APP_FOLDER"  # set by ``serve``: where the learner's own case files are (forms.py saves there)
CULL_IDLE_SECONDS = 120  # a kernel with no page connected and nothing run for two minutes is shut down
CULL_INTERVAL_SECONDS = 30
MAX_OWN_CASES = 100
BRIEF_HEIGHT = "920px"


# ---- the cases the picker offers -------------------------------------------------------------------------

def own_case_files(folder: str | os.PathLike | None = None) -> list[Path]:
    """The learner's case files: YAML files in ``folder`` (default: where the app was started) and one level
    below, hidden folders skipped, at most ``MAX_OWN_CASES``. Whether each is a valid case is checked on pick."""
    root = Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd())
    bundled = {path.resolve() for path in bundled_cases().values()}
    found = []
    for pattern in ("*.yaml", "*.yml", "*/*.yaml", "*/*.yml"):
        for path in sorted(root.glob(pattern)):
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts) \
                    and path.resolve() not in bundled:
                found.append(path)
    return found[:MAX_OWN_CASES]


def case_choices(folder: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """(label, case) pairs for the picker: bundled cases by name, then the learner's files by path."""
    root = Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd())
    choices = [(f"{name} (worked example)", name) for name in bundled_cases()]
    choices += [(path.relative_to(root).as_posix(), str(path)) for path in own_case_files(root)]
    return choices


# ---- the app -------------------------------------------------------------------------------------------

STUDENT_BRIEF = ("This is a student's copy: the brief, which shows the kit's verdicts, is withheld. Each question's "
                 "tab shows its evidence; the calls are yours.")


class App:
    """The app for one case at a time; the case picker swaps it. Headless, it shows the brief as Markdown."""

    def __init__(self, case: Case | str = "support-triage", interactive: bool = True,
                 folder: str | os.PathLike | None = None):
        self.case = case if isinstance(case, Case) else load_case(case)
        self.interactive = interactive and not headless()
        self.folder = folder
        self.forms: dict[str, Form] = {}
        self._brief_stale = True
        self._widget: ipywidgets.Widget | None = None

    # ---- the answers as they stand ---------------------------------------------------------------
    def live_case(self) -> Case:
        """The case with every opened form's current (valid) answers, saved or not."""
        case = self.case
        for key, form in self.forms.items():
            if form.answered:
                case = case.with_answers(key, form.answers)
        return case

    def brief_page(self) -> str:
        """The one-page brief (a standalone HTML page) of the answers as they stand."""
        from .brief import brief_html, case_results

        case = self.live_case()
        if case.student_mode:
            return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Brief</title></head><body>"
                    f"<p>{html.escape(STUDENT_BRIEF)}</p></body></html>")
        return brief_html(case, case_results(case))

    # ---- display ----------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        if self.interactive:
            display(self.widget())
        else:
            from .brief import brief_markdown, case_results

            case = self.live_case()
            if case.student_mode:
                display(Markdown(STUDENT_BRIEF))
                return
            display(Markdown("*The app's forms need a live kernel: run `aipm-kit app`. Here is the brief of "
                             "the case it opens on.*\n\n" + brief_markdown(case, case_results(case))))

    def __repr__(self) -> str:
        return f"<App for {self.case.name!r}>"

    def widget(self) -> ipywidgets.Widget:
        """The picker, a status line and the tabs (built once; a tab's form is built when first opened)."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        choices = case_choices(self.folder)
        current = self._choice_value(self.case)
        if current not in [value for _, value in choices]:
            choices.append((self.case.path.name if self.case.path else self.case.name, current))
        self._syncing = False
        self.picker = w.Dropdown(options=choices, value=current, description="Case", layout=w.Layout(width="460px"))
        self.picker.observe(lambda change: self._syncing or self.open(change["new"]), names="value")
        self.path_box = w.Text(placeholder="or type the path to a case file", continuous_update=False,
                               layout=w.Layout(width="320px"))
        self.path_box.observe(lambda change: change["new"].strip() and self.open(change["new"].strip()),
                              names="value")
        self.status = w.HTML()
        self.tabs = w.Tab()
        self._reset_tabs()
        self.tabs.observe(self._tab_changed, names="selected_index")
        self._widget = w.VBox([w.HBox([self.picker, self.path_box]), self.status, self.tabs])
        self._tab_changed()
        return self._widget

    def open(self, case: str) -> None:
        """Switch the app to another case (a bundled name or a path); a broken file leaves the current one."""
        try:
            loaded = load_case(case)
        except CaseError as exc:
            self.status.value = (f"<p style='color:#b3261e;font-weight:600;margin:2px 0'>⚠ {html.escape(str(exc))}"
                                 f"</p>{self._case_line}")
            return
        self.case, self.forms, self._brief_stale = loaded, {}, True
        value = self._choice_value(loaded)
        self._syncing = True  # show the opened case in the picker without opening it twice
        if value not in [v for _, v in self.picker.options]:
            self.picker.options = [*self.picker.options, (loaded.path.name, value)]
        self.picker.value = value
        self._syncing = False
        self._reset_tabs()
        self._tab_changed()

    @staticmethod
    def _choice_value(case: Case) -> str:
        for name, path in bundled_cases().items():
            if case.path is not None and case.path.resolve() == path.resolve():
                return name
        return str(case.path) if case.path else case.name

    def _reset_tabs(self) -> None:
        import ipywidgets as w

        from .brief import short_label

        self._pages = [w.VBox() for _ in QUESTIONS]
        self.brief_area = w.HTML()
        self._pages.append(w.VBox([self.brief_area]))
        self.tabs.children = self._pages
        self.tabs.titles = [f"{q.number}. {short_label(q)}" for q in QUESTIONS] + ["Brief"]
        self.tabs.selected_index = 0
        from .bundled import is_bundled

        if self.case.path is None:
            where = "Save has no file to write into."
        elif is_bundled(self.case.path):
            where = (f"A worked example: Save writes your answers into your own copy, "
                     f"{html.escape(self.case.slug)}-mine.yaml, in the folder the app started from.")
        else:
            where = f"Save writes into {html.escape(self.case.path.name)}."
        self._case_line = (f"<p style='margin:2px 0 6px;color:#5f6368'><b>{html.escape(self.case.name)}</b> — "
                           f"{html.escape(self.case.summary)} <br>{where}</p>")
        self.status.value = self._case_line

    def _tab_changed(self, _change: Any = None) -> None:
        index = self.tabs.selected_index
        if index is None:
            return
        if index == len(QUESTIONS):
            self.refresh_brief()
        else:
            self._build_page(index)

    def _build_page(self, index: int) -> None:
        import ipywidgets as w

        from . import form

        q = QUESTIONS[index]
        if q.key in self.forms or self._pages[index].children:
            return
        if not q.available:
            self._pages[index].children = [w.HTML(f"<p>Question {q.number} ({html.escape(q.title)}) is not in "
                                                  f"this version of the kit yet.</p>")]
            return
        # building a form analyses the case (a second or more): say so at once, the page is not blank
        self._pages[index].children = [w.HTML(loading_html(f"Opening question {q.number}: {q.title}"))]
        # a form opened later starts from the answers given so far in the other tabs
        worksheet = form(self.live_case(), q.key)
        worksheet.result.observe(self._answers_changed, names="value")
        self.forms[q.key] = worksheet
        self._pages[index].children = [worksheet.widget(), w.HTML("<h3>The result</h3>"), worksheet.result]

    def _answers_changed(self, _change: Any = None) -> None:
        self._brief_stale = True
        if self.tabs.selected_index == len(QUESTIONS):
            self.refresh_brief()

    def refresh_brief(self) -> None:
        """Redraw the Brief tab from the answers as they stand (only when they changed since the last time)."""
        if not self._brief_stale:
            return
        self.brief_area.value = loading_html("Writing the brief from the answers as they stand")
        page = self.brief_page()
        # an iframe keeps the brief's own page styles from restyling the app around it
        self.brief_area.value = (f"<iframe class='aipm-brief' title='One-page brief' srcdoc=\"{html.escape(page)}\" "
                                 f"style='width:100%;height:{BRIEF_HEIGHT};border:1px solid #e0e0e0'></iframe>")
        self._brief_stale = False


# ---- serving it: local and bounded -----------------------------------------------------------------------
#
# ``serve`` runs Voila in this process (``KitVoila``, a subclass made on first use), so Ctrl-C and SIGTERM reach
# the server itself: the loop stops, every kernel is shut down, and nothing prints a traceback. What the app
# exposes and the mechanisms below are described in docs/app-threat-model.md.

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")  # Host headers the app answers; any other gets 403
LOCAL_HOST_PATTERN = "^(" + "|".join(re.escape(host) for host in LOCAL_HOSTS) + ")$"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits, as Jupyter's tokens
SESSION_COOKIE = "aipm_kit_session"
SESSION_KERNELS = 2  # one browser keeps at most two kernels: two tabs, or a reload and the page it replaces
MAX_KERNELS = 6  # all browsers together (a kernel holds about 205 MB)
SHUTDOWN_GRACE_SECONDS = 10


def loading_html(what: str) -> str:
    """A spinner and a line saying what is loading, for a tab whose content takes a moment."""
    return (f"<div class='aipm-loading' role='status' style='display:flex;align-items:center;gap:10px;"
            f"padding:18px 4px;color:#44546a'><span style='width:18px;height:18px;border:3px solid #d0d7de;"
            f"border-top-color:#44546a;border-radius:50%;display:inline-block;"
            f"animation:aipm-spin .8s linear infinite'></span>{html.escape(what)}…</div>"
            f"<style>@keyframes aipm-spin {{ to {{ transform: rotate(360deg); }} }}</style>")


def new_token() -> str:
    """A fresh secret for the app's address, made the way Jupyter makes its tokens."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def app_url(port: int, token: str, host: str = "127.0.0.1") -> str:
    """The address the learner opens: the token in the query, which the server swaps for a login cookie."""
    return f"http://{host}:{port}/?token={token}"


class KernelBounds:
    """Which kernels to shut down before a page starts a new one, so the new page is never refused.

    First the oldest kernels of the page's own session (its browser), beyond ``per_session - 1``; then the oldest
    of all, beyond ``total - 1``. ``live`` is the set of kernels still running: one shut down another way (its
    page closed, or culled when idle) is forgotten."""

    def __init__(self, per_session: int = SESSION_KERNELS, total: int = MAX_KERNELS):
        if not isinstance(per_session, int) or per_session < 1:
            raise ValueError(f"per_session must be a whole number ≥ 1, got {per_session!r}")
        if not isinstance(total, int) or total < per_session:
            raise ValueError(f"total must be a whole number ≥ per_session ({per_session}), got {total!r}")
        self.per_session, self.total = per_session, total
        self._owner: dict[str, str] = {}  # kernel id -> session, in the order the kernels started

    def to_shut_down(self, session: str, live: set[str] | frozenset[str]) -> list[str]:
        for kernel in [k for k in self._owner if k not in live]:
            del self._owner[kernel]
        order = list(self._owner)
        mine = [k for k in order if self._owner[k] == session]
        evict = mine[:max(0, len(mine) - (self.per_session - 1))]
        rest = [k for k in order if k not in evict]
        return evict + rest[:max(0, len(rest) - (self.total - 1))]

    def started(self, session: str, kernel: str) -> None:
        self._owner[kernel] = session

    def kernels_of(self, session: str) -> list[str]:
        return [k for k, owner in self._owner.items() if owner == session]


def voila_argv(notebook: str | os.PathLike | None = None, port: int | None = None,
               extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Voila's arguments: localhost only, short idle culling; the kit opens the browser itself (with the token)."""
    path = Path(notebook) if notebook is not None else notebooks_dir() / APP_NOTEBOOK
    argv = [str(path), "--Voila.ip=127.0.0.1", "--no-browser",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
            "--MappingKernelManager.cull_connected=False"]
    if port is not None:
        argv.append(f"--port={port}")
    return argv + list(extra)


def voila_command(notebook: str | os.PathLike | None = None, port: int | None = None,
                  open_browser: bool = True) -> list[str]:
    """The command line that runs the app as ``aipm-kit app`` does, for a separate process (tests, scripts)."""
    command = [sys.executable, "-m", "aipm_kit.app"]
    if notebook is not None:
        command.append(str(notebook))
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return command


@functools.cache
def _kit_voila() -> type:
    """Voila with the kit's guards (made on first use: importing Voila is slow and the notebooks do not need it)."""
    import asyncio
    import contextlib
    import tempfile
    import webbrowser

    import tornado.ioloop
    import tornado.web
    from jupyter_core.utils import ensure_async
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    class RefuseForeignHost(tornado.web.RequestHandler):
        """Every route for a Host that is not a local name: what a DNS-rebinding page would send."""

        def prepare(self) -> None:
            raise tornado.web.HTTPError(403, reason="Host not allowed")

    class SessionKernels:
        """The kernel manager as one page request sees it: before starting a kernel, shut down what the bounds
        name (one at a time, under a lock, so two pages starting at once cannot both slip under the cap)."""

        def __init__(self, manager: Any, session: str, settings: dict, log: Any):
            self._manager, self._session, self._settings, self._log = manager, session, settings, log

        def __getattr__(self, name: str) -> Any:
            return getattr(self._manager, name)

        async def start_kernel(self, **kwargs: Any) -> str:
            bounds: KernelBounds = self._settings["aipm_kit_bounds"]
            async with self._settings["aipm_kit_lock"]:
                for kernel in bounds.to_shut_down(self._session, set(self._manager.list_kernel_ids())):
                    self._log.info("aipm-kit: shutting down kernel %s to keep within the kernel bounds", kernel)
                    with contextlib.suppress(KeyError):
                        await ensure_async(self._manager.shutdown_kernel(kernel))
                kernel = await ensure_async(self._manager.start_kernel(**kwargs))
                bounds.started(self._session, kernel)
                return kernel

    class AppPage(TornadoVoilaHandler):
        """The app's page: a session cookie for the kernel bounds, and the ``_xsrf`` cookie, which the page's
        shutdown request on close reads and sends back (without it Voila refuses that request: voila #1458)."""

        @tornado.web.authenticated
        async def get(self, path: str | None = None) -> None:
            session = self.get_cookie(SESSION_COOKIE) or ""
            if not re.fullmatch(r"[A-Za-z0-9_-]{22}", session):
                session = secrets.token_urlsafe(16)
                self.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Strict")
            self._session_kernels = SessionKernels(self.settings["kernel_manager"], session, self.settings,
                                                   self.settings["aipm_kit_log"])
            self.xsrf_token  # noqa: B018 (reading it sets the _xsrf cookie)
            await super().get(path)

        @property
        def kernel_manager(self) -> Any:
            return getattr(self, "_session_kernels", None) or self.settings["kernel_manager"]

    class KitVoila(Voila):
        """Voila behind a token, for local Host names only, with XSRF checks on and bounded kernels."""

        kit_open_browser = False
        _stopping = False

        def initialize(self, argv: list[str] | None = None) -> None:
            super().initialize(argv)
            self.voila_configuration.file_allowlist = []  # the app serves no files from its folder
            # until the loop runs (``_serving`` then takes both signals over), SIGTERM acts as Ctrl-C: Voila's own
            # handler would stop a loop that does not exist yet
            signal.signal(signal.SIGTERM, signal.default_int_handler)

        def init_settings(self) -> dict:
            settings = super().init_settings()
            settings.update(
                allow_remote_access=False, local_hostnames=["localhost"],  # Voila sets True: Jupyter's Host check
                xsrf_cookies=True, disable_check_xsrf=False, xsrf_cookie_kwargs={"samesite": "Strict"},
                aipm_kit_bounds=KernelBounds(), aipm_kit_lock=asyncio.Lock(), aipm_kit_log=self.log)
            return settings

        def start(self) -> None:
            # Voila.start, with the routes served for local Host names only and the kit's page handler
            self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
            self.app = tornado.web.Application(**self.init_settings())
            handlers = [(rule[0], AppPage if rule[1] is TornadoVoilaHandler else rule[1], *rule[2:])
                        for rule in self.init_handlers()]
            self.app.add_handlers(LOCAL_HOST_PATTERN, handlers)
            self.app.add_handlers(".*", [(r".*", RefuseForeignHost)])
            tornado.ioloop.IOLoop.current().add_callback(self._serving)
            self.listen()

        def _serving(self) -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._stop_on_signal)
            url = app_url(self.port, self.token)
            print(f"aipm-kit app: open {url}\n  The token in it is this run's key; Ctrl-C stops the app and its "
                  f"kernels.", flush=True)
            if self.kit_open_browser:
                self._open_browser(url)

        def _open_browser(self, url: str) -> None:
            # through a private file that redirects, as Jupyter does, so the token is not on a command line
            handle, page = tempfile.mkstemp(suffix=".html", prefix="aipm-kit-app-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(f'<!doctype html><meta http-equiv="refresh" content="0;url={html.escape(url)}">'
                          f'<a href="{html.escape(url)}">Open the app</a>')
            self._browser_file = page
            with contextlib.suppress(webbrowser.Error):
                webbrowser.open(Path(page).as_uri())

        def launch_browser(self) -> None:
            """Not Voila's: it opens the address without the token (``_serving`` opens it with)."""

        def _stop_on_signal(self) -> None:
            if not self._stopping:
                self._stopping = True
                self.log.info("Stopping the app and its %d kernel(s).", len(self.kernel_manager.list_kernel_ids()))
                self.ioloop.stop()

        def stop(self) -> None:
            self._stopping = True
            with contextlib.suppress(OSError):
                os.unlink(getattr(self, "_browser_file", ""))
            super().stop()

    return KitVoila


def serve(port: int | None = None, open_browser: bool = True, folder: str | os.PathLike | None = None,
          notebook: str | os.PathLike | None = None, extra_args: list[str] | tuple[str, ...] = ()) -> int:
    """Run the app until Ctrl-C or SIGTERM (then every kernel is shut down); returns the exit status.
    ``folder``: where to look for the learner's case files (default: the current folder)."""
    os.environ.pop("AIPM_KIT_HEADLESS", None)  # the kernels inherit this environment: they must show widgets
    os.environ[FOLDER_ENV] = str(Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd()).resolve())
    try:
        server = _kit_voila()()
        server.initialize(voila_argv(notebook, port, extra_args))
        server.token = new_token()
        server.kit_open_browser = open_browser
        server.start()
    except KeyboardInterrupt:  # before the server was listening: no kernel yet
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m aipm_kit.app [NOTEBOOK] [--port N] [--no-browser] [Voila options]``: what ``aipm-kit app`` runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m aipm_kit.app", description=main.__doc__)
    parser.add_argument("notebook", nargs="?", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-browser", action="store_true")
    args, extra = parser.parse_known_args(argv)
    return serve(port=args.port, open_browser=not args.no_browser, notebook=args.notebook, extra_args=extra)


if __name__ == "__main__":
    sys.exit(main())
