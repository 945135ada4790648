"""The batch build: every question notebook run headlessly for every case, then a brief per case and an index.

    OUT/<case slug>/NN_<question>.ipynb and .html    each notebook, executed by papermill and exported
    OUT/<case slug>/brief.html and brief.md          the one-page brief (aipm_kit.brief)
    OUT/index.html                                   cases × questions, each badge linking to its notebook
    OUT/build.log                                    what the kernels printed (kept out of the terminal)
    OUT/.aipm-kit-build, OUT/<case>/.aipm-kit-case.json   the marks of a build folder and of each case in it

Outputs never overwrite inputs: a build writes only into a folder it made (marked by ``.aipm-kit-build``) or
an empty one, and refuses any other folder before anything runs, as it refuses to replace a case folder that
holds a file it did not write. Each case is built in a staging folder inside OUT and swapped in when complete
(two renames), so a killed build leaves each case's previous complete outputs (or none), and the other cases
in OUT stay; the index is then rewritten, atomically, from every case folder present.

The unit of work is one plain function, ``run_notebook(case path, notebook path, output path, log)``: it executes
the notebook with papermill on a fresh kernel from ``aipm_kit.kernels`` (forked from a process that has already
imported the kit, and started while the previous notebook ran) and exports its HTML. Locally ``jobs`` threads
each drive one kernel at a time, so the kernels do the work and this process only passes messages and writes
HTML; with a Dask scheduler the same function runs as Dask tasks. The briefs' analyses are a second unit of work,
``summarize_case``, run beside the notebooks. Every file is written under a temporary name in its final folder
and renamed when complete. One failing notebook does not stop the others: the report names its case, notebook,
cell and error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .bundled import bundled_cases, notebooks_dir as bundled_notebooks_dir
from .case import Case, CaseError, load_case, write_atomic
from .questions import QUESTIONS, Question
from .result import Result

KERNEL = "python3"
CELL_TIMEOUT = 600  # seconds a single cell may run before the notebook counts as failed
ENGINE = "aipm-kit"  # papermill's nbclient engine, on a kernel started ahead (registered by run_notebook)
KERNEL_ENV = {"AIPM_KIT_HEADLESS": "1"}  # forms and self-checks render as static HTML: no front end is there
BUILD_MARK = ".aipm-kit-build"  # in OUT: a folder this kit's builds own
CASE_RECORD = ".aipm-kit-case.json"  # in OUT/<case>: what the index shows of it, and the files the build wrote
STAGING = ".aipm-kit-staging-"  # OUT/.aipm-kit-staging-<id>-<case>: a case being built
RETIRED = ".aipm-kit-old-"  # OUT/.aipm-kit-old-<id>-<case>: a case's previous outputs, while the new ones go in


# ---- what a build reports ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """One notebook that did not run through: where (case, notebook, cell) and what (the error)."""

    case: str  # the case's output folder name (its slug)
    notebook: str  # the notebook's stem, e.g. ``02_need_ai``
    error: str  # "ZeroDivisionError: division by zero"
    cell_index: int | None = None  # index of the cell in the source notebook (0-based), when a cell failed
    cell_source: str = ""  # that cell's first line

    def __str__(self) -> str:
        where = f"{self.case} / {self.notebook}"
        if self.cell_index is not None:
            where += f", cell {self.cell_index} ({self.cell_source!r})" if self.cell_source else \
                f", cell {self.cell_index}"
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of ``run_notebook``: the files it wrote and, if it failed, why."""

    notebook: Path
    ipynb: Path | None
    html: Path | None
    seconds: float
    error: str | None = None
    cell_index: int | None = None
    cell_source: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BuildReport:
    """Everything a build wrote, where the briefs are, and what failed."""

    out: Path
    written: list[Path] = field(default_factory=list)
    briefs: dict[str, Path] = field(default_factory=dict)  # case slug → brief.html
    index: Path | None = None
    log: Path | None = None
    failures: list[Failure] = field(default_factory=list)
    notebooks_run: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        """What a person reads at the end of a build: counts, where the briefs are, every failure."""
        cases = len(self.briefs)
        lines = [f"Built {cases} case{_s(cases)} in {self.seconds:.1f} s: {self.notebooks_run} notebook "
                 f"run{_s(self.notebooks_run)}, {len(self.failures)} failed.",
                 f"Wrote {len(self.written)} file{_s(len(self.written))} under {self.out}: each notebook as .ipynb "
                 f"and .html, a brief per case as .html and .md, and the index."]
        lines.append("Briefs:")
        lines += [f"  {path}" for path in self.briefs.values()]
        if self.index:
            lines.append(f"Index:  {self.index}")
        if self.log:
            lines.append(f"Kernel log: {self.log}")
        if self.failures:
            n = len(self.failures)
            lines.append(f"{n} failure{_s(n)} ({'the' if n == 1 else 'each'} notebook's .html shows the error):")
            lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# ---- what to build ----------------------------------------------------------------------------------

def question_notebooks(folder: str | os.PathLike | None = None) -> list[tuple[Question, Path]]:
    """The question notebooks that exist in ``folder`` (default: the kit's), in question order."""
    folder = Path(folder) if folder is not None else bundled_notebooks_dir()
    return [(q, folder / f"{q.notebook}.ipynb") for q in QUESTIONS if (folder / f"{q.notebook}.ipynb").is_file()]


def case_folder(out: Path, case: Case, taken: set[str]) -> Path:
    """The case's output folder: its slug (made unique in this build), and never anywhere but inside ``out``."""
    slug, n = case.slug, 2
    while slug in taken:
        slug, n = f"{case.slug}-{n}", n + 1
    taken.add(slug)
    folder = (out / slug).resolve()
    if folder.parent != out.resolve():
        raise CaseError(f"the output folder name {slug!r} is not a plain folder name", case.path)
    return folder


# ---- the unit of work ---------------------------------------------------------------------------------

def run_notebook(case_path: str | os.PathLike, notebook: str | os.PathLike, output: str | os.PathLike,
                 log: str | os.PathLike | None = None, ahead: bool = True,
                 slot: AbstractContextManager | None = None) -> NotebookRun:
    """Execute ``notebook`` for the case at ``case_path`` into ``output`` (.ipynb) and its .html beside it.

    The parameters injected are ``case`` (see ``case_parameter``) and ``interactive=False``. A notebook that
    fails still gets both files (papermill marks the failing cell at the top), and the run says which cell.
    The kernel comes from ``aipm_kit.kernels`` (its output goes to ``log``); ``ahead`` starts this thread's next
    kernel while this notebook runs. A kernel that does not start is retried there; only when every attempt
    fails is the notebook reported, with no files. ``slot`` is held while the notebook executes (a local
    build's limit on notebooks running at once), so the HTML export overlaps the next notebook's execution.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .kernels import KernelStartError, discard, take_kernel

    _register_engine()
    notebook, output = Path(notebook).resolve(), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _log_line(log, f"== {Path(case_path).name} :: {notebook.name}")
    tmp_ipynb = output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}.tmp.ipynb")
    error, cell_index, cell_source, nb = None, None, "", None
    try:
        km, kc = take_kernel(notebook.parent, env=KERNEL_ENV, log=log, kernel_name=KERNEL,
                             extra_arguments=_kernel_arguments(), ahead=ahead)
    except KernelStartError as exc:
        error = str(exc)
    else:
        try:
            # No cwd: the kernel already runs in the notebook's folder, and papermill's chdir would move this whole
            # process (every thread) there. No save per cell: the notebook is written once, at the end.
            case = case_parameter(case_path, notebook.parent)
            with slot or nullcontext():
                nb = papermill.execute_notebook(
                    _for_case(notebook, case), str(tmp_ipynb),
                    parameters={"case": case, "interactive": False},
                    engine_name=ENGINE, kernel_name=KERNEL, km=km, kc=kc, progress_bar=False, log_output=False,
                    request_save_on_cell_execute=False, execution_timeout=CELL_TIMEOUT,
                )
        except PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}" if exc.evalue else exc.ename
            cell_index, cell_source = _source_cell(notebook, exc.source, exc.cell_index)
        except Exception as exc:  # the kernel died or a cell timed out: this notebook's failure, not a start's
            error = f"{type(exc).__name__}: {exc}"
        finally:
            discard(km, kc)  # already shut down unless papermill stopped before its engine ran
    ipynb = html = None
    try:
        if tmp_ipynb.exists():
            if nb is None:  # failed: papermill wrote the notebook with its error banner
                import nbformat

                nb = nbformat.read(tmp_ipynb, as_version=4)
            html = output.with_suffix(".html")
            write_atomic(html, _notebook_html(nb, title=output.stem))
            os.replace(tmp_ipynb, output)
            ipynb = output
    except Exception as exc:
        error = error or f"exporting HTML failed: {type(exc).__name__}: {exc}"
        html = None
    finally:
        tmp_ipynb.unlink(missing_ok=True)
    run = NotebookRun(notebook, ipynb, html, time.perf_counter() - started, error, cell_index, cell_source)
    _log_line(log, f"== {Path(case_path).name} :: {notebook.name}: {run.error or 'ok'} ({run.seconds:.1f} s)")
    return run


def case_parameter(case_path: str | os.PathLike, kernel_folder: Path) -> str:
    """The ``case`` a built notebook names: a bundled case by its short name, any other case by its path
    relative to the folder the kernel runs in, so no built notebook carries a machine's absolute path."""
    from .bundled import is_bundled

    path = Path(case_path).resolve()
    if is_bundled(path):
        return path.stem
    return Path(os.path.relpath(path, kernel_folder.resolve())).as_posix()


def _for_case(notebook: Path, case: str):
    """The notebook to run for ``case``: as it is for the worked example it was written around; for any other
    case without the Markdown cells tagged ``worked-example``, which discuss that example's own results."""
    import nbformat

    from .parameters import notebook_parameters
    from .workspace import WORKED_EXAMPLE_TAG

    nb = nbformat.read(notebook, as_version=4)
    default = next((p.default.strip("\"'") for p in notebook_parameters(notebook) if p.name == "case"), None)
    if case != default:
        nb.cells = [c for c in nb.cells if WORKED_EXAMPLE_TAG not in c.metadata.get("tags", [])]
    return nb


def summarize_case(case: Case | str | os.PathLike) -> dict[str, Result]:
    """The seven results the brief and the index show, without their tables and figures (small to send back)."""
    import dataclasses

    from .brief import case_results

    case = case if isinstance(case, Case) else load_case(case)
    return {key: dataclasses.replace(result, tables={}, figures={}) for key, result in case_results(case).items()}


def _summarize_warm(case: Case, log: str | None) -> dict[str, Result]:
    """``summarize_case`` in a child of the kernels' warm process: the analyses need pandas, matplotlib and scipy,
    which this process then never imports."""
    from .kernels import call_warm

    return call_warm("aipm_kit.build:summarize_case", case, log=log)


_engine_lock = threading.Lock()
_engine_registered = False


def _register_engine() -> None:
    """papermill's nbclient engine, on the kernel manager and client it is given, killing the kernel at the end."""
    global _engine_registered
    with _engine_lock:
        if _engine_registered:
            return
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine
        from papermill.log import logger
        from papermill.utils import remove_args

        class StartedKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                         stderr_file=None, start_timeout=60, execution_timeout=None, km=None,
                                         kc=None, **kwargs):
                kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
                client = PapermillNotebookClient(
                    nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                    kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                    stderr_file=stderr_file, shutdown_kernel="immediate", **kwargs)
                client.kc = kc  # already connected and answering (aipm_kit.kernels.take_kernel)
                return client.execute(cleanup_kc=True)

        from papermill.engines import papermill_engines

        papermill_engines.register(ENGINE, StartedKernelEngine)
        _engine_registered = True


def _kernel_arguments() -> list[str]:
    """The arguments nbclient gives a kernel it starts itself (IPython history kept in memory)."""
    from nbclient import NotebookClient

    return [f"--HistoryManager.hist_file={NotebookClient.ipython_hist_file.default_value}"]


_log_lock = threading.Lock()


def _log_line(log: str | os.PathLike | None, line: str) -> None:
    """A header in the log, so each kernel's noise can be traced to its notebook."""
    if log is None:
        print(line, file=sys.stderr, flush=True)
        return
    with _log_lock, open(log, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _source_cell(notebook: Path, source: str, executed_index: int) -> tuple[int, str]:
    """The failing cell's index in the source notebook (papermill counts its injected cell) and first line."""
    import nbformat

    first_line = next((ln for ln in source.splitlines() if ln.strip()), "")
    cells = nbformat.read(notebook, as_version=4).cells
    for index, cell in enumerate(cells):
        if cell.source == source:
            return index, first_line
    return executed_index, first_line


_exporters = threading.local()


def _notebook_html(nb, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = getattr(_exporters, "html", None)
    if exporter is None:  # one per thread: loading the templates costs more than exporting a notebook
        exporter = _exporters.html = HTMLExporter()
    body, _ = exporter.from_notebook_node(_linked_to_pages(nb), resources={"metadata": {"name": title}})
    return body


_SIBLING_NOTEBOOK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb\)")


def _linked_to_pages(nb):
    """A copy of ``nb`` whose Markdown links to the other question notebooks ("Next: Question 3") open their
    HTML pages, which the build writes beside this one, instead of the raw .ipynb files."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _SIBLING_NOTEBOOK.sub(r"](\1.html)", cell.source)
    return nb


def skip_iri_format_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process: 1.1 s of the build's start-up.

    nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` eagerly, and that compiles
    dozens of grammars at import (jsonschema issues #1392 and #1428). No notebook or Jupyter schema uses the
    ``iri`` formats it checks; without it jsonschema simply does not check them. For a process that is only a
    build (the command line): it has no effect once jsonschema is imported, and the process keeps the choice.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # an import of it then raises ImportError, which jsonschema skips


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# ---- the build ----------------------------------------------------------------------------------------

def build(cases: Iterable[str | os.PathLike | Case] | None, out: str | os.PathLike, jobs: int | None = None,
          notebooks_dir: str | os.PathLike | None = None, progress: bool | None = None,
          scheduler: str | None = None) -> BuildReport:
    """Run every question notebook for every case into ``out``; write the briefs and the index.

    ``cases`` are names of bundled cases, paths, or loaded cases (none: every bundled case). ``jobs`` notebooks
    run at once (default: the number of cores). ``progress`` shows a bar (default: when stderr is a terminal).
    ``scheduler`` is the address of a Dask scheduler (``tcp://host:8786``, needs ``aipm-kit[dask]``): the same
    tasks then run on its workers, which must see the case files, the notebooks and ``out`` at the same paths,
    and ``jobs`` is theirs to decide. A case that does not validate, or an ``out`` this build may not write
    into (see the module's docstring), raises ``CaseError`` before anything runs or is written.
    """
    from .brief import brief_html, brief_markdown, case_results

    started = time.perf_counter()
    loaded = [c if isinstance(c, Case) else load_case(c) for c in (cases or bundled_cases().values())]
    for case in loaded:
        if case.path is None:
            raise CaseError("a case built with papermill needs a file: save it first", None)
    out = Path(out).expanduser().resolve()
    _check_build_folder(out)
    taken: set[str] = set()
    folders = [case_folder(out, case, taken) for case in loaded]
    for folder in folders:
        _check_replaceable(folder)
    notebooks = question_notebooks(notebooks_dir)

    with _owned_build_folder(out):
        report = BuildReport(out=out, log=out / "build.log")
        write_atomic(report.log, "")
        log = str(report.log)
        staging = {folder: out / f"{STAGING}{uuid.uuid4().hex[:8]}-{folder.name}" for folder in folders}
        try:
            tasks = [(case, staging[folder], q, nb) for case, folder in zip(loaded, folders) for q, nb in notebooks]
            report.notebooks_run = len(tasks)
            runs: dict[int, NotebookRun] = {}
            summaries: dict[int, dict[str, Result]] = {}
            if tasks:
                runs, summaries = _run_tasks(tasks, loaded, log, jobs, progress, scheduler)

            for c, (case, folder) in enumerate(zip(loaded, folders)):
                stage = staging[folder]
                stage.mkdir(exist_ok=True)
                links, failed = {}, set()
                for i, (_, task_folder, q, _) in enumerate(tasks):
                    if task_folder != stage:
                        continue
                    run = runs[i]
                    report.written += [folder / p.name for p in (run.ipynb, run.html) if p is not None]
                    if run.html is not None:
                        links[q.key] = run.html.name
                    if not run.ok:
                        failed.add(q.key)
                        report.failures.append(Failure(folder.name, q.notebook, run.error, run.cell_index,
                                                       run.cell_source))
                results = summaries.get(c) or case_results(case)
                for name, render in (("brief.html", brief_html), ("brief.md", brief_markdown)):
                    write_atomic(stage / name, render(case, results, links, failed))
                    report.written.append(folder / name)
                _write_case_record(stage, case, results, links, failed)
                _swap_in(stage, folder)
                report.briefs[folder.name] = folder / "brief.html"
                report.index = _write_index(out)  # after each case, so the index always matches the folders
        finally:
            for stage in staging.values():  # a case not swapped in (an error, Ctrl-C) leaves nothing behind
                shutil.rmtree(stage, ignore_errors=True)
        if report.index is None:
            report.index = _write_index(out)
        report.written.append(report.index)
    report.seconds = time.perf_counter() - started
    return report


# ---- outputs never overwrite inputs -----------------------------------------------------------------------

def _check_build_folder(out: Path) -> None:
    """Refuse an ``out`` that is a file, or a folder that holds anything and was not made by a build."""
    if out.exists() and not out.is_dir():
        raise CaseError("exists and is not a folder; choose a new folder with --out (nothing was written)", out)
    if not out.is_dir() or (out / BUILD_MARK).is_file():
        return
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    inputs = sorted(str(p.relative_to(out)) for p in _walk_files(out, limit=10_000) if _is_input(p))
    holds = (f"it holds {_names(inputs)}" if inputs else f"it holds {_names(entries)}")
    raise CaseError(f"is not a build folder (it has no {BUILD_MARK} file) and is not empty: {holds}. A build "
                    "replaces what it finds in its folder, so it writes only into a new or empty folder or one an "
                    "earlier build made: choose another --out (nothing was written)", out)


def _check_replaceable(folder: Path) -> None:
    """Refuse to replace a case folder that holds a file an earlier build did not write."""
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() or not folder.is_dir():
        raise CaseError(f"the case's output {folder.name!r} exists and is not a folder a build made; move it away "
                        "or choose another --out (nothing was written)", folder.parent)
    try:
        record = json.loads((folder / CASE_RECORD).read_text(encoding="utf-8"))
        written = set(record["files"])
    except (OSError, ValueError, KeyError, TypeError):
        written = None
    ours = {CASE_RECORD} | (written or set())
    foreign = sorted(str(p.relative_to(folder)) for p in _walk_files(folder, limit=10_000)
                     if p.relative_to(folder).as_posix() not in ours
                     and ".ipynb_checkpoints" not in p.relative_to(folder).parts)
    if written is None or foreign:
        what = f"{_names(foreign)}, which no build wrote" if foreign else f"no {CASE_RECORD} (no build made it)"
        raise CaseError(f"the case folder {folder.name!r} holds {what}; a build replaces that folder whole. Move "
                        "those files out, or choose another --out (nothing was written)", folder.parent)


def _owned_build_folder(out: Path):
    """Mark ``out`` as a build folder, tidy what a killed build left, and hold a lock while this build writes."""
    from contextlib import contextmanager

    @contextmanager
    def owned():
        out.mkdir(parents=True, exist_ok=True)
        mark = out / BUILD_MARK
        if not mark.is_file():
            write_atomic(mark, json.dumps({"written_by": "aipm-kit build", "note": "Everything in this folder is "
                                           "a build's output: a rebuild replaces each case's folder and the index."},
                                          indent=2) + "\n")
        with open(mark, "rb") as handle:
            try:
                import fcntl
            except ImportError:  # not POSIX: no lock, the staging still keeps each case whole
                fcntl = None
            if fcntl is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise CaseError("another build is writing to this folder; wait until it ends, or choose "
                                    "another --out", out) from None
            _tidy(out)
            yield

    return owned()


def _tidy(out: Path) -> None:
    """What a killed build left: staging folders go; a case's previous outputs caught mid-swap come back."""
    for entry in out.iterdir():
        if entry.name.startswith(STAGING) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(RETIRED) and entry.is_dir():
            name = entry.name[len(RETIRED) + 9:]  # after "<8 hex>-"
            if name and not (out / name).exists():
                os.rename(entry, out / name)
            else:
                shutil.rmtree(entry, ignore_errors=True)


def _swap_in(stage: Path, folder: Path) -> None:
    """Put a complete case folder in place of the previous one: two renames, the old folder removed after."""
    retired = None
    if folder.exists():
        retired = folder.with_name(f"{RETIRED}{uuid.uuid4().hex[:8]}-{folder.name}")
        os.rename(folder, retired)
    os.rename(stage, folder)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _write_case_record(stage: Path, case: Case, results: dict[str, Result], links: dict[str, str],
                       failed: set[str]) -> None:
    """What the index needs of this case (its name, summary and verdicts) and every file the build wrote."""
    files = sorted(p.relative_to(stage).as_posix() for p in _walk_files(stage) if not p.name.startswith("."))
    record = {
        "name": case.name, "summary": case.summary, "links": links, "failed": sorted(failed), "files": files,
        "results": {key: {"title": r.title, "verdict": r.verdict, "level": r.level, "headline": r.headline,
                          "data": r.data} for key, r in results.items()},
    }
    write_atomic(stage / CASE_RECORD, json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n")


def _write_index(out: Path) -> Path:
    """The index of every case folder in ``out`` (sorted by folder name), from each folder's record."""
    from .brief import IndexEntry, index_html

    entries = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            record = json.loads((folder / CASE_RECORD).read_text(encoding="utf-8"))
            results = {key: Result(key, r["title"], r["verdict"], r["level"], r["headline"], data=r.get("data") or {})
                       for key, r in record["results"].items()}
            case = Case(str(record["name"]), str(record.get("summary") or ""))
            entries.append(IndexEntry(case, folder.name, results, dict(record.get("links") or {}),
                                      set(record.get("failed") or ())))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a case a build wrote (or one from before records): not in the index
    index = out / "index.html"
    write_atomic(index, index_html(entries))
    return index


def _walk_files(folder: Path, limit: int | None = None) -> list[Path]:
    """The files under ``folder`` (symbolic links not followed), at most ``limit`` of them."""
    found = []
    for root, dirs, files in os.walk(folder):
        found += [Path(root) / name for name in files]
        if limit is not None and len(found) >= limit:
            break
    return found[:limit] if limit is not None else found


def _is_input(path: Path) -> bool:
    """A case file or a notebook: what a build must never overwrite."""
    return path.suffix.lower() in (".yaml", ".yml", ".ipynb") and ".ipynb_checkpoints" not in path.parts


def _names(names: list[str], shown: int = 3) -> str:
    quoted = ", ".join(repr(n) for n in names[:shown])
    return quoted + (f" and {len(names) - shown} more" if len(names) > shown else "")


def check_brief_out(path: Path, case: Case) -> None:
    """Refuse a ``brief --out`` that would overwrite an input: a case file's name, the case itself, a folder,
    or any existing file that is not a brief this kit wrote (``CaseError``, nothing written)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        raise CaseError("is a case file's name; a brief is written as .html or .md (nothing was written)", path)
    if not path.exists():
        return
    if path.is_dir():
        raise CaseError("is a folder; give a file name ending in .html or .md (nothing was written)", path)
    if case.path is not None and case.path.exists() and os.path.samefile(path, case.path):
        raise CaseError("is the case file itself; write the brief to another file (nothing was written)", path)
    if not is_brief(path):
        raise CaseError("exists and is not a brief aipm-kit wrote; choose another --out, or move that file away "
                        "first (nothing was written)", path)


def is_brief(path: Path) -> bool:
    """Whether ``path`` holds a brief this kit wrote (HTML or Markdown), judged by the lines it always writes."""
    import re

    try:
        if path.stat().st_size > 2_000_000:
            return False
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if text.startswith("<!DOCTYPE html>"):
        return '<p class="kicker">AI product brief</p>' in text and "<footer>Made by aipm-kit" in text
    lines = text.rstrip("\n").splitlines()
    lead = "**The decision: " in text or "**Launch readiness: " in text  # the memo's lead, or an older brief's
    return bool(lines) and text.startswith("# ") and lead and \
        re.fullmatch(r"\*Made by aipm-kit( from the case file `[^`]*`)?\.\*", lines[-1]) is not None


def _run_tasks(tasks: list[tuple[Case, Path, Question, Path]], cases: list[Case], log: str, jobs: int | None,
               progress: bool | None, scheduler: str | None) -> tuple[dict[int, NotebookRun], dict[int, dict]]:
    """Every notebook run and every case's summary, on this machine or on a Dask cluster."""
    from tqdm.auto import tqdm

    runner = _DaskRunner(scheduler) if scheduler else _LocalRunner(max(1, min(jobs or default_jobs(), len(tasks))), log)
    # Longest first, so the build does not end waiting on one long notebook: a stored notebook's size (its
    # outputs, figures above all) is a cheap guess of its work. The summaries, short, fill the gaps at the end.
    order = sorted(range(len(tasks)), key=lambda i: -_weight(tasks[i][3]))
    runs: dict[int, NotebookRun] = {}
    summaries: dict[int, dict] = {}
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(tasks), unit="notebook", disable=not show, file=sys.stderr, desc="aipm-kit build")
    try:
        futures = {}
        for n, i in enumerate(order):
            case, folder, q, nb = tasks[i]
            # A kernel is started ahead only when another notebook will follow in the same thread.
            ahead = n + runner.threads < len(order)
            futures[runner.submit_notebook(str(case.path), str(nb), str(folder / f"{q.notebook}.ipynb"), log,
                                           ahead)] = ("notebook", i)
        for c, case in enumerate(cases):  # the case as loaded (with any overrides), as the brief always showed it
            futures[runner.submit_summary(case, log)] = ("summary", c)
        for future in runner.as_completed(list(futures)):
            kind, i = futures[future]
            if kind == "summary":
                try:
                    summaries[i] = future.result()
                except Exception as exc:  # noqa: BLE001 (the brief is then analysed in this process)
                    _log_line(log, f"the summary of {cases[i].path} failed: {type(exc).__name__}: {exc}")
                continue
            try:
                run = future.result()
            except Exception as exc:  # the worker itself failed (a Dask worker died, a bug)
                run = NotebookRun(tasks[i][3], None, None, 0.0, f"{type(exc).__name__}: {exc}")
            runs[i] = run
            bar.set_postfix_str(f"{tasks[i][1].name}/{tasks[i][2].notebook}", refresh=False)
            bar.update()
    finally:
        bar.close()
        runner.close()
    return runs, summaries


class _LocalRunner:
    """Threads that each drive one kernel at a time, ``slots`` of them executing at once; the kernels and the
    summaries come from the zygote. Twice as many threads as slots: while one exports its notebook's HTML,
    another already executes the next notebook."""

    def __init__(self, slots: int, log: str):
        from concurrent.futures import ThreadPoolExecutor

        from . import kernels

        self.threads, self.forking = 2 * slots, kernels.can_fork()
        self.slot = threading.BoundedSemaphore(slots)
        if self.forking:
            kernels.start_zygote(log)  # its imports run while this process imports papermill
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="aipm-kit-build")

    def submit_notebook(self, *args):
        return self.pool.submit(run_notebook, *args, self.slot)

    def submit_summary(self, case: Case, log: str):
        if self.forking:
            return self.pool.submit(_summarize_warm, case, log)
        return self.pool.submit(summarize_case, case)

    @staticmethod
    def as_completed(futures):
        from concurrent.futures import as_completed

        return as_completed(futures)

    def close(self) -> None:
        from . import kernels

        self.pool.shutdown(wait=True, cancel_futures=True)
        kernels.release()


class _DaskRunner:
    """The same functions as Dask tasks (``client.submit``); each worker process forks kernels from its own zygote."""

    def __init__(self, address: str):
        self.client = _dask_client(address)
        self.threads = max(1, sum(self.client.nthreads().values()))

    def submit_notebook(self, *args):
        return self.client.submit(run_notebook, *args, pure=False)  # pure=False: a rebuild runs, never a cached result

    def submit_summary(self, case: Case, log: str):
        return self.client.submit(summarize_case, case, pure=False)

    @staticmethod
    def as_completed(futures):
        from distributed import as_completed

        return as_completed(futures)

    def close(self) -> None:
        from . import kernels

        try:
            self.client.run(kernels.release)  # each worker's zygote and the kernels it started ahead
        finally:
            self.client.close()


def _weight(notebook: Path) -> int:
    try:
        return notebook.stat().st_size
    except OSError:
        return 0


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError("--scheduler needs Dask: pip install 'aipm-kit[dask]'") from exc
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise OSError(f"no Dask scheduler answered at {address}: {exc}") from None
