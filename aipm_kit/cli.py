"""``aipm-kit``: the command line. Thin: it parses arguments and calls ``case``, ``build`` and ``brief``.

    aipm-kit new NAME [--out FILE]                 a commented case file with every question's fields
    aipm-kit init DIR [--from CASE] [--force]      a workspace for your own product: notebooks, case, data/
    aipm-kit validate CASE ...                     check case files; each is OK or says what to fix
    aipm-kit check CASE ...                        where the seven answers of a case contradict each other
    aipm-kit schema                                the case file's JSON Schema
    aipm-kit build [CASE ...] [--out DIR] [--jobs N] [--scheduler ADDRESS]
                                                   run the notebooks for each case, write briefs and an index
    aipm-kit brief CASE [--out FILE]               the one-page brief without running notebooks (.md or .html)
    aipm-kit list                                  the bundled cases with their verdicts, and the notebooks
    aipm-kit gate CASE [--json FILE]               question 6 as a CI step: exit 0 Ship, 1 No-ship, 3 Hold
    aipm-kit watch CASE [--json FILE] [--sample FILE]
                                                   question 7 on a schedule: exit 0 Stable, 1 Act now, 3 Watch
    aipm-kit app [--port N] [--no-browser]         the seven forms and a live brief as one app (Voila)
    aipm-kit class variants CASE --roster CSV --out DIR [--secret S] [--blank Q,Q]
                                                   a variant of a case per student, and a key for the teacher
    aipm-kit class grade SUBMISSIONS --key DIR/key --out REPORT [--rubric FILE]
                                                   grade the filled variants into a class matrix
    aipm-kit import FORMAT FILE --out EVAL.csv [--map COLUMN=FIELD ...]
                                                   another eval tool's results as question 6's eval table
    aipm-kit export FORMAT CASE --out FILE         the eval set (and question 7's promoted failures) as
                                                   promptfoo tests or an inspect_ai dataset

Bad input is one message on stderr naming the file, section and field, and exit status 2. A build with a
failing notebook exits 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own message, our exit status for bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aipm-kit", description="The seven questions of AI product management: notebooks, "
                     "case files, worked examples and one-page briefs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    new = commands.add_parser("new", help="write a commented case file to fill in for your own product",
                              description="Write a case file with every question's fields at their defaults, each "
                                          "explained by a comment. Never overwrites a file.")
    new.add_argument("name", help="the product's name, e.g. 'Invoice reminders'")
    new.add_argument("--out", metavar="FILE", help="where to write it (default: NAME as a slug + .yaml, here)")

    init = commands.add_parser("init", help="create a workspace for your own product: notebooks, case file, data/",
                               description="Create DIR with the notebooks pointed at DIR/<name>.yaml (a fresh "
                                           "commented case file, or a copy of a bundled case) and a data/ folder.")
    init.add_argument("folder", metavar="DIR")
    init.add_argument("--from", dest="from_case", metavar="CASE",
                      help="start from a copy of this case (a bundled case's name or a path)")
    init.add_argument("--force", action="store_true",
                      help="rewrite the notebooks in an existing folder (the case file is kept)")

    validate = commands.add_parser("validate", help="check case files and say what to fix",
                                   description="Load and validate each case file (a path or a bundled case's name) "
                                               "and read every data file it names.")
    validate.add_argument("cases", nargs="+", metavar="CASE")

    check = commands.add_parser(
        "check", help="find where the seven answers of a case contradict each other",
        description="List every place where two questions use one quantity and disagree (question 2's volume and "
                    "question 4's, the plan and the measured accuracy …), with both fields, what the difference "
                    "does to the decision and how to fix it. Exit 1 when a case contradicts itself (or the "
                    "evidence would flip a verdict), 0 when only gaps between plan and evidence remain, 2 when a "
                    "case cannot be read.")
    check.add_argument("cases", nargs="+", metavar="CASE")

    commands.add_parser("schema", help="print the case file's JSON Schema (for editors and other tools)",
                        description="Print the JSON Schema of a case file, generated from the questions' models. "
                                    "Files made by 'new' and 'init' name it on their first line, so editors that "
                                    "speak the YAML language server complete and check every field.")

    build = commands.add_parser("build", help="run every notebook for each case; write briefs and an index",
                                description="Run every question notebook headlessly for each case (default: every "
                                            "bundled case) and write the filled notebooks (.ipynb, .html), a brief "
                                            "per case and an index.")
    build.add_argument("cases", nargs="*", metavar="CASE",
                       help="case files or bundled case names (default: every bundled case)")
    build.add_argument("--out", metavar="DIR", default="build",
                       help="output folder (default: ./build): a new or empty folder, or one an earlier build made")
    build.add_argument("--jobs", metavar="N", type=_positive_int, default=None,
                       help="notebooks run at once (default: the number of cores)")
    build.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the notebooks on a Dask cluster, e.g. tcp://host:8786 (needs aipm-kit[dask]; its "
                            "workers must see the cases, notebooks and --out at the same paths)")

    brief = commands.add_parser("brief", help="write a case's one-page brief without running notebooks",
                                description="Write a case's one-page brief from its answers: HTML, or Markdown when "
                                            "FILE ends in .md; '-' prints the Markdown. Replaces only a brief it "
                                            "wrote, never a case file or any other file.")
    brief.add_argument("case", metavar="CASE")
    brief.add_argument("--out", metavar="FILE", help="where to write it (default: <case>-brief.html beside the case "
                                                     "file; for a bundled case, here)")

    app = commands.add_parser("app", help="the seven forms and a live brief as one app in your browser (localhost)",
                              description="Serve the app (one tab per question, a case picker, a live brief) with "
                                          "Voila on 127.0.0.1, behind a token printed with its address. A closed "
                                          "page shuts its kernel down; a browser keeps at most 2 kernels and the "
                                          "app 6; Ctrl-C stops it and every kernel. Case files in the current "
                                          "folder appear in the picker.")
    app.add_argument("--port", type=_positive_int, default=None,
                     help="port (default: Voila's 8866, or the next free one)")
    app.add_argument("--no-browser", action="store_true", help="do not open a browser")

    _class_parser(commands)

    commands.add_parser("list", help="the bundled cases with their verdicts, and the notebooks with their parameters",
                        description="List the bundled worked cases (summary and the seven verdicts) and the "
                                    "notebooks with the parameters papermill can set.")
    _add_interchange_commands(commands)
    _add_gate(commands)
    _add_watch(commands)
    return parser


def _class_parser(commands) -> None:
    klass = commands.add_parser("class", help="for teachers: a variant per student, and grading into a class matrix",
                                description="Give each student their own variant of a case, then grade what they "
                                            "hand back.")
    sub = klass.add_subparsers(dest="class_command", metavar="COMMAND", required=True, parser_class=_Parser)
    variants = sub.add_parser(
        "variants", help="a variant of a case per student of a roster, and a key",
        description="For each student of ROSTER (a CSV with columns id and name) write DIR/students/<id>/: the case "
                    "with the student's own numbers and data files, in student mode (the notebooks show the "
                    "evidence, not the kit's verdicts), the --blank questions left for the student. The reference "
                    "answers and verdicts go to DIR/key/, which students never get. The same roster and secret "
                    "always give the same files.")
    variants.add_argument("case", metavar="CASE", help="a bundled case's name or a case file")
    variants.add_argument("--roster", metavar="CSV", required=True, help="the students: columns id and name")
    variants.add_argument("--out", metavar="DIR", required=True, help="where students/ and key/ go")
    variants.add_argument("--secret", default=None,
                          help="the teacher's secret the variants are drawn from (default: $AIPM_KIT_CLASS_SECRET; "
                               "without one the variants depend on the ids alone)")
    variants.add_argument("--blank", metavar="Q,Q", default="",
                          help="questions left for the students to answer, e.g. evaluation,monitoring")
    variants.add_argument("--exercise", choices=("decide", "flaw"), default=None,
                          help="flaw: a find-the-flaw exercise, graded on the flaws named (default: flaw "
                               "for a case whose file name says flaw, else decide)")
    variants.add_argument("--flaws", type=int, default=None, metavar="N",
                          help="find-the-flaw: plant N mistakes per student, each student their own (default 4, or "
                               "as many kinds as the case holds); 0 keeps the case's own flaws")
    variants.add_argument("--attempts", type=_positive_int, default=None,
                          help="draws per student before giving up on keeping the teaching point (default 12)")
    for command in (variants,):
        _cohort_options(command)
    grade = sub.add_parser(
        "grade", help="grade the students' filled variants into a class matrix",
        description="Read SUBMISSIONS/<id>/<case file> for every student in the key and score it on the rubric; "
                    "write REPORT/matrix.csv, REPORT/index.html (the matrix as a heatmap) and a page per student. A "
                    "missing or unreadable submission is a row that says so.")
    grade.add_argument("submissions", metavar="SUBMISSIONS")
    grade.add_argument("--key", metavar="DIR", required=True, help="the key folder `class variants` wrote (DIR/key)")
    grade.add_argument("--out", metavar="REPORT", required=True, help="where the report goes")
    grade.add_argument("--rubric", metavar="FILE", default=None,
                       help="your rubric (YAML; `aipm-kit class rubric` prints the default to start from)")
    _cohort_options(grade)
    sub.add_parser("rubric", help="print the default rubric (YAML) to copy and change",
                   description="Print the rubric `class grade` uses by default, with what each item scores.")


def _cohort_options(command) -> None:
    command.add_argument("--jobs", metavar="N", type=_positive_int, default=None,
                         help="students worked on at once (default: the number of cores)")
    command.add_argument("--scheduler", metavar="ADDRESS", default=None,
                         help="run on a Dask cluster, e.g. tcp://host:8786 (its workers must see the same paths)")


def _add_interchange_commands(commands) -> None:
    """``import`` and ``export``: eval results in and eval sets out, in other eval tools' formats."""
    from .importers import FORMATS

    imp = commands.add_parser(
        "import", help="another eval tool's results as question 6's eval table (CSV)",
        description="Read the results of promptfoo (the JSON of `promptfoo eval -o`), inspect_ai (a .eval or .json "
                    "log), OpenAI evals (an oaieval record log), Braintrust (an experiment export: JSON or CSV) or "
                    "any CSV/JSONL table, and write question 6's eval table to --out, with where it came from "
                    "(tool, version, SHA-256, date) in OUT.provenance.json beside it. A file that cannot be read "
                    "is named with the record to fix, exit 2, and nothing is written.")
    imp.add_argument("file_format", metavar="FORMAT", choices=list(FORMATS), help=", ".join(FORMATS))
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--out", metavar="EVAL.csv", required=True, help="the eval table to write (.csv)")
    imp.add_argument("--map", dest="mapping", metavar="COLUMN=FIELD", action="append", default=[],
                     help="take a kit column from another field of each record (a dotted path, e.g. "
                          "category=metadata.topic or input=prompt.raw); repeat for more columns")
    imp.add_argument("--variant", metavar="NAME", help="promptfoo: keep only this prompt/provider variant")
    imp.add_argument("--pass-at", dest="pass_at", metavar="SCORE", type=float, default=None,
                     help="braintrust, csv, jsonl: a case passes when its score is at least SCORE")

    exp = commands.add_parser(
        "export", help="the eval set as promptfoo tests or an inspect_ai dataset",
        description="Write the case's eval set (question 6's results file) and the reviewed failures question 7 "
                    "would promote as promptfoo tests (YAML, or CSV when FILE ends in .csv) or an inspect_ai "
                    "dataset (JSONL), so the set grows in the team's own eval tool.")
    exp.add_argument("file_format", metavar="FORMAT", choices=["promptfoo", "inspect"], help="promptfoo, inspect")
    exp.add_argument("case", metavar="CASE")
    exp.add_argument("--out", metavar="FILE", required=True, help="where to write it")
    exp.add_argument("--var", default="input", metavar="NAME",
                     help="promptfoo: the var your prompt reads the input from (default: input)")
    exp.add_argument("--assert", dest="assertion", default="equals", choices=["equals", "icontains", "contains"],
                     help="promptfoo: how a test checks the expected answer (default: equals)")


def _add_gate(commands) -> None:
    gate = commands.add_parser(
        "gate", help="question 6 as a CI step: exit 0 Ship, 1 No-ship, 3 Hold, 2 unreadable or not answered",
        description="Run question 6 (the eval run against its gates) on CASE and exit 0 for Ship, 1 for No-ship, "
                    "3 for Hold (not proven yet) and 2 when the case or its results cannot be read or question 6 "
                    "is not answered (nothing judged is not a pass).")
    gate.add_argument("case", metavar="CASE")
    gate.add_argument("--json", metavar="FILE", help="also write the verdict, each gate with its interval, the "
                                                     "slices and the regression against the baseline as JSON")


def _add_watch(commands) -> None:
    watch = commands.add_parser(
        "watch", help="question 7 on a schedule: exit 0 Stable, 3 Watch, 1 Act now, 2 unreadable",
        description="Run question 7 on CASE's production log as it stands now (a glob or a database table picks "
                    "up new rows) and exit 0 for Stable, 3 for Watch, 1 for Act now and 2 when the case or its log "
                    "cannot be read. Writes the latest week's review sample for the reviewers.")
    watch.add_argument("case", metavar="CASE")
    watch.add_argument("--json", metavar="FILE", help="also write the verdict, the control chart's last weeks and "
                                                      "the review sample's path as JSON")
    watch.add_argument("--sample", metavar="FILE", help="where to write the review sample (default: "
                                                        "<case>-review-<week>.csv beside the case file; for a "
                                                        "bundled case, here)")


def _version() -> str:
    from . import __version__

    return __version__


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, found {value}")
    return value


# ---- the commands ---------------------------------------------------------------------------------------

def cmd_new(args: argparse.Namespace) -> int:
    from .case import slugify, template_case, write_atomic
    from .schema import SHIPPED, modeline

    path = Path(args.out) if args.out else Path(f"{slugify(args.name)}.yaml")
    if path.exists():
        return _bad_input(f"{path}: already exists; choose another --out, or delete it first (nothing was written)")
    # the first line points editors that speak the YAML language server at the kit's schema
    write_atomic(path, modeline(SHIPPED.as_uri()) + template_case(args.name))
    me = as_typed("aipm-kit")
    print(f"Wrote {path}: fill it in, then `{me} validate {path}` and `{me} brief {path}`.")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .workspace import START_PAGE, init_workspace

    workspace = init_workspace(args.folder, from_case=args.from_case, force=args.force)
    print(f"Created {workspace.folder}: {len(workspace.notebooks)} notebooks, the case file "
          f"{workspace.case_file.name} and a data/ folder. Open it with:\n\n"
          f"    {as_typed('jupyter')} lab {workspace.folder / START_PAGE}\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .case import CaseError
    from .ledger import check
    from .questions import QUESTIONS

    status = EXIT_OK
    for name in args.cases:
        case = _load(name)
        if case is None:
            status = EXIT_BAD_INPUT
            continue
        results = {}
        try:  # loading reads the data files' headers; the analyses read their rows (a bad date on row 90,000)
            for q in QUESTIONS:
                if q.available and case.is_answered(q.key):
                    results[q.key] = case.analyze(q.key)
        except CaseError as exc:
            status = _bad_input(f"{case.path}: {q.key}: {exc}")
            continue
        answered = [q.key for q in QUESTIONS if case.is_answered(q.key) or q.key in case.raw_sections]
        print(f"OK  {case.path}: {case.name} ({len(answered)} of {len(QUESTIONS)} questions answered)")
        findings = [] if case.student_mode else check(case, results)  # the analyses just run, not run again
        if findings:
            print(f"    Warning: the answers disagree in {len(findings)} place{'s' if len(findings) > 1 else ''} "
                  f"(`{as_typed('aipm-kit')} check {name}` says how to fix each):")
            for finding in findings:
                print(f"      {finding.quantity}: {finding.home} = {finding.home_value}, {finding.other} = "
                      f"{finding.other_value}")
    return status


def cmd_check(args: argparse.Namespace) -> int:
    from .ledger import check

    status = EXIT_OK
    for name in args.cases:
        case = _load(name)
        if case is None:
            status = EXIT_BAD_INPUT
            continue
        if case.student_mode:  # finding the contradictions is the student's work
            print(f"{case.path}: a student's copy; the consistency check is for your teacher.")
            continue
        findings = check(case)
        contradictions = sum(f.contradiction for f in findings)
        gaps = len(findings) - contradictions
        if not findings:
            print(f"OK  {case.path}: the answers agree wherever two questions use one number.")
            continue
        print(f"{case.path}: {_count(contradictions, 'contradiction')}, "
              f"{_count(gaps, 'gap')} between plan and evidence\n")
        for finding in findings:
            print(f"  {finding}\n")
        if contradictions and status == EXIT_OK:
            status = EXIT_FAILED
    return status


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build, skip_iri_format_checker

    if _missing_extra("build", "papermill", "nbconvert", "ipykernel"):
        return EXIT_BAD_INPUT
    skip_iri_format_checker()  # this process is only the build
    cases = [_load(name) for name in args.cases]
    if any(case is None for case in cases):
        return EXIT_BAD_INPUT
    try:
        report = build(cases or None, args.out, jobs=args.jobs, scheduler=args.scheduler)
    except ImportError as exc:  # --scheduler without Dask installed
        return _bad_input(str(exc))
    print(report.summary())
    return report.exit_code


def cmd_brief(args: argparse.Namespace) -> int:
    from .brief import brief_markdown, case_results, write_brief

    case = _load(args.case)
    if case is None:
        return EXIT_BAD_INPUT
    if case.student_mode:
        return _bad_input(f"{case.path}: a student's copy: the brief would show the kit's verdicts, which are "
                          f"yours to decide here")
    if args.out == "-":
        sys.stdout.write(brief_markdown(case, case_results(case)))
        return EXIT_OK
    from .build import check_brief_out

    path = Path(args.out) if args.out else default_brief_path(case)
    check_brief_out(path, case)  # never over a case file or anything else that is not a brief it wrote
    path = write_brief(case, path)
    print(f"Wrote {path}")
    return EXIT_OK


def default_brief_path(case) -> Path:
    """Beside the case file; a bundled case lives inside the installed kit, so its brief comes here instead."""
    from .bundled import is_bundled

    name = f"{case.slug}-brief.html"
    if case.path is None or is_bundled(case.path):
        return Path(name)
    return case.path.parent / name


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from .build import question_notebooks
    from .bundled import bundled_cases
    from .case import CaseError
    from .parameters import notebook_parameters
    from .verdict_cache import listing

    me = as_typed("aipm-kit")
    print(f"Bundled cases ({me} build NAME, {me} brief NAME):")
    shown = []
    for name, path in bundled_cases().items():
        try:  # remembered between runs, keyed on the case file, its data files and the kit's code
            shown.append((name, listing(path), None))
        except CaseError as exc:
            shown.append((name, None, exc))
    width = max((len(v.verdict) for _, item, _ in shown if item for v in item.verdicts.verdicts), default=10) + 2
    for name, item, problem in shown:
        if item is None:
            print(f"\n  {name}: cannot be read: {problem}")
            continue
        print(f"\n  {name} — {item.name}\n    {item.summary}")
        for v in item.verdicts.verdicts:
            print(f"    {v.number}. {v.verdict:<{width}}{v.title}")
        print(f"    Decision: {item.verdicts.readiness}")

    print("\nNotebooks (parameters papermill can set with -p NAME VALUE):")
    for q, notebook in question_notebooks():
        print(f"\n  {notebook.name} — {q.title}")
        for param in notebook_parameters(notebook):
            help_text = f"  # {param.help}" if param.help else ""
            print(f"    {param.name} = {param.default}{help_text}")
    return EXIT_OK


def cmd_app(args: argparse.Namespace) -> int:
    # runs in this process until Ctrl-C or SIGTERM, which stop the server and shut every kernel down
    if _missing_extra("jupyter", "voila", "ipywidgets"):
        return EXIT_BAD_INPUT
    from .app import serve

    return serve(port=args.port, open_browser=not args.no_browser)


def cmd_class(args: argparse.Namespace) -> int:
    if args.class_command == "rubric":
        from .grading import DEFAULT_RUBRIC

        sys.stdout.write(DEFAULT_RUBRIC)
        return EXIT_OK
    if args.class_command == "variants":
        from .classroom import ATTEMPTS, SECRET_ENV, make_variants

        secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV) or None
        try:
            report = make_variants(args.case, args.roster, args.out, secret=secret, blank=args.blank.split(","),
                                   exercise=args.exercise, attempts=args.attempts or ATTEMPTS, jobs=args.jobs,
                                   scheduler=args.scheduler, flaws=args.flaws)
        except ImportError as exc:
            return _bad_input(str(exc))
        print(report.summary())
        return report.exit_code
    from .grading import grade

    try:
        report = grade(args.submissions, args.key, args.out, rubric=args.rubric, jobs=args.jobs,
                       scheduler=args.scheduler)
    except ImportError as exc:
        return _bad_input(str(exc))
    print(report.summary())
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import import_file, parse_mapping, sidecar_path, write_eval_table

    try:
        mapping = parse_mapping(args.mapping)
    except ValueError as exc:
        return _bad_input(str(exc))
    options = {}
    if args.variant is not None:
        if args.file_format != "promptfoo":
            return _bad_input("--variant applies to promptfoo results only")
        options["variant"] = args.variant
    if args.pass_at is not None:
        if args.file_format not in ("braintrust", "csv", "jsonl"):
            return _bad_input("--pass-at applies to braintrust, csv and jsonl (the others record a pass)")
        options["pass_at"] = args.pass_at
    imported = import_file(args.file_format, args.file, mapping, **options)
    out = write_eval_table(imported, args.out, args.file)
    passed = f", {imported.passed} passed" if "passed" in imported.frame.columns else ""
    print(f"Wrote {out}: {imported.cases} eval cases{passed}, from {args.file} "
          f"({imported.provenance['tool']} {imported.provenance.get('tool_version') or ''}".rstrip() + "); "
          f"provenance in {sidecar_path(out).name}")
    for note in imported.notes:
        print(f"  Note: {note}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .importers.exporters import export

    case = _load(args.case)
    if case is None:
        return EXIT_BAD_INPUT
    options = {"var": args.var, "assertion": args.assertion} if args.file_format == "promptfoo" else {}
    path, cases, promoted = export(case, args.file_format, args.out, **options)
    extra = f", {promoted} of them reviewed failures from question 7" if promoted else ""
    print(f"Wrote {path}: {cases} eval cases{extra}")
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    from .ci import EXIT_UNREADABLE, gate_report, write_report

    case = _load(args.case)
    if case is None:
        return EXIT_BAD_INPUT
    status, report = gate_report(case)
    print(report["headline"])
    if status == EXIT_UNREADABLE:
        print("aipm-kit: question 6 has no verdict to gate on: name the eval results file and at least one "
              "blocking gate in the case's evaluation section", file=sys.stderr)
    if args.json:
        write_report(Path(args.json), report)
    return status


def cmd_watch(args: argparse.Namespace) -> int:
    from .ci import EXIT_UNREADABLE, watch_report, write_report

    case = _load(args.case)
    if case is None:
        return EXIT_BAD_INPUT
    status, report = watch_report(case, lambda week: Path(args.sample) if args.sample else
                                  _beside(case, f"{case.slug}-review-{week}.csv"))
    print(report["headline"])
    if report["review_sample"]:
        print(f"Review sample ({report['review_sampled']} outputs, week of {report['review_week']}): "
              f"{report['review_sample']}")
    if status == EXIT_UNREADABLE:
        print("aipm-kit: question 7 has no verdict: name the production log in the case's monitoring section",
              file=sys.stderr)
    if args.json:
        write_report(Path(args.json), report)
    return status


def _beside(case, name: str) -> Path:
    """``name`` beside the case file; a bundled case lives inside the installed kit, so here instead."""
    from .bundled import is_bundled

    if case.path is None or is_bundled(case.path):
        return Path(name)
    return case.path.parent / name


def as_typed(program: str) -> str:
    """``program`` (``aipm-kit``, ``jupyter``) as the user can type it here, so printed commands work as printed.

    Its bare name when the shell finds this installation's copy; otherwise (a virtual environment that is not
    activated) the path of the copy beside this Python, relative to the current folder when it is below it.
    """
    mine = Path(sys.executable).parent / program  # the venv's bin/, without resolving python's symlink
    if not mine.exists():
        return program
    found = shutil.which(program)
    if found and Path(found).resolve() == mine.resolve():
        return program
    relative = os.path.relpath(mine)
    return relative if not relative.startswith("..") else str(mine)


def _missing_extra(extra: str, *modules: str) -> bool:
    """Say which install a command needs when its libraries are missing (the core install has no Jupyter)."""
    from importlib.util import find_spec

    def absent(module: str) -> bool:
        try:
            return find_spec(module) is None
        except (ImportError, ValueError):  # a package that is there but broken is as good as missing
            return True

    missing = [m for m in modules if absent(m)]
    if missing:
        _bad_input(f"this command needs {', '.join(missing)}, which the core install leaves out: pip install "
                   f"'aipm-kit[{extra}]' (or 'aipm-kit[all]', everything a learner needs)")
    return bool(missing)


def _load(name: str):
    """The loaded case, or None after printing what is wrong with it on stderr."""
    from .case import CaseError, load_case

    try:
        return load_case(name)
    except CaseError as exc:
        _bad_input(str(exc))
        return None


def _bad_input(message: str) -> int:
    print(f"aipm-kit: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


COMMANDS = {"new": cmd_new, "init": cmd_init, "validate": cmd_validate, "build": cmd_build, "brief": cmd_brief,
            "list": cmd_list, "app": cmd_app, "check": cmd_check, "schema": cmd_schema, "import": cmd_import,
            "export": cmd_export, "gate": cmd_gate, "watch": cmd_watch, "class": cmd_class}


def main(argv: list[str] | None = None) -> int:
    """Run ``aipm-kit`` with ``argv`` (default: the command line); return the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    from .case import CaseError

    try:
        return COMMANDS[args.command](args)
    except CaseError as exc:
        return _bad_input(str(exc))
    except OSError as exc:  # an unwritable --out, a full disk: say which file, no traceback
        return _bad_input(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
    except KeyboardInterrupt:
        print("aipm-kit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
