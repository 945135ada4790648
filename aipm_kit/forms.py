"""The one form builder: any question's ``Answers`` model becomes an ipywidgets worksheet.

Field types pick the widget (text, dropdown, slider, checkbox, an editable table for a list of rows); each
field's description is its help text. Editing re-validates the answers and re-runs the question's
``analyze``: an invalid value shows pydantic's message under its field and the last good result stays.
"Save" writes the answers into the case file. Headless (``interactive=False`` or ``AIPM_KIT_HEADLESS=1``)
the same form shows a static answers table, which GitHub and nbconvert can render.
"""

from __future__ import annotations

import enum
import html
import os
import re
import types
import typing
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .bundled import is_bundled
from .case import STAGES, About, Case, CaseConflict, CaseError, StudentAnswer, field_problem, load_case
from .labels import field_label
from .questions import BY_KEY
from .result import NO_MATHS, Result
from .selfcheck import headless

if TYPE_CHECKING:
    import ipywidgets

_HELP_STYLE = "color:#5f6368;font-size:0.85em;line-height:1.3;margin:0 0 2px 0"
_ERROR_STYLE = "color:#b3261e;font-size:0.9em;font-weight:600"
_LABEL_WIDTH = "230px"


# ---- field kinds: one place decides which widget a type gets -----------------------------------------------

def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); ``Annotated[X, ...]`` → X (a ``DataFile`` is an annotated ``Path``)."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            annotation, optional = args[0], True
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            low = m.ge
        elif isinstance(m, annotated_types.Gt):
            low = m.gt
        elif isinstance(m, annotated_types.Le):
            high = m.le
        elif isinstance(m, annotated_types.Lt):
            high = m.lt
    return low, high


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _row_model(tp: Any) -> type[BaseModel] | None:
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (None,)
        if _is_model(item):
            return item
    return None


def _multiline(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("multiline"))


class FieldEditor:
    """One field's widget, its help text and its error line; ``get()`` returns the value to validate."""

    def __init__(self, name: str, info: FieldInfo, value: Any, base_dir: Path, compact: bool = False):
        import ipywidgets as w

        self.name, self.info, self.base_dir = name, info, base_dir
        self.tp, self.optional = _unwrap_optional(info.annotation)
        self.rows: RowsEditor | None = None
        self.kind = "text"
        label = "" if compact else field_label(name, info)
        style = {"description_width": _LABEL_WIDTH}
        width = "96%" if not compact else "auto"
        common = dict(description=label, style=style, layout=w.Layout(width=width))
        low, high = _bounds(info)
        tp = self.tp

        if typing.get_origin(tp) is Literal or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
            options = list(typing.get_args(tp)) if typing.get_origin(tp) is Literal else list(tp)
            labels = [(str(o.value if isinstance(o, enum.Enum) else o), o) for o in options]
            if self.optional:
                labels = [("—", None), *labels]
            self.kind = "choice"
            self.widget = w.Dropdown(options=labels, value=value if value in options or value is None else None,
                                     **common)
        elif tp is bool:
            self.kind = "bool"
            self.widget = w.Checkbox(value=bool(value), indent=False, description="",
                                     layout=w.Layout(width="auto" if not compact else width))
        elif tp in (int, float) and not self.optional:
            self.kind = "number"
            slider = not compact and low is not None and high is not None and (high - low) <= 1000
            if tp is int:
                if slider:
                    self.widget = w.IntSlider(value=int(value), min=int(low), max=int(high),
                                              continuous_update=False, **common)
                else:
                    self.widget = w.IntText(value=int(value), **common)
            elif slider:
                span = high - low
                step = 0.01 if span <= 1 else 0.1 if span <= 20 else 1.0
                self.widget = w.FloatSlider(value=float(value), min=float(low), max=float(high), step=step,
                                            readout_format=".2f" if step < 0.1 else ".1f" if step < 1 else ".0f",
                                            continuous_update=False, **common)
            else:
                # a plain number box, not a bounded one: an out-of-range value must reach validation and be
                # explained there, not be silently clamped by the widget
                self.widget = w.FloatText(value=float(value), **common)
        elif (rows := _row_model(tp)) is not None and not compact:  # a table in a table's cell: YAML below
            self.kind = "rows"
            self.rows = RowsEditor(rows, value or [], base_dir)
            self.widget = self.rows.widget
        elif tp is str and _multiline(info):
            self.widget = w.Textarea(value=value or "", continuous_update=False,
                                     layout=w.Layout(width=width, height="96px"), description=label, style=style)
        elif tp is str or tp in (int, float) or _is_path(tp):
            self.kind = "path" if _is_path(tp) else "number" if tp in (int, float) else "text"
            self.widget = w.Text(value=self._show(value), continuous_update=False, **common)
        else:  # lists of plain values, mappings, nested models: edited as YAML
            self.kind = "yaml"
            self.widget = w.Textarea(value=_to_yaml(value), continuous_update=False,
                                     layout=w.Layout(width=width, height="70px"), description=label, style=style)

        self.help = w.HTML(f"<p style='{_HELP_STYLE}'>{html.escape(info.description or '')}</p>",
                           layout=w.Layout(margin=f"0 0 0 {_LABEL_WIDTH}" if not compact else "0"))
        self.error = w.HTML("", layout=w.Layout(margin=f"0 0 0 {_LABEL_WIDTH}" if not compact else "0"))
        if self.rows is not None:
            self.help.layout.margin = self.error.layout.margin = "0"
        if compact:
            self.widget.tooltip = info.description or ""
        parts = [self.widget] if compact else [self.widget, self.help, self.error]
        if self.kind == "bool" and not compact:  # a checkbox's label sits left, in line with the other labels
            parts[0] = w.HBox([w.HTML(f"<div style='text-align:right;padding-right:8px'>{html.escape(label)}</div>",
                                      layout=w.Layout(width=_LABEL_WIDTH)), self.widget])
        self.upload = None
        if self.kind == "path" and not compact:  # your own file: type its path, or upload it into data/
            self.widget.layout.width = "72%"
            self.upload = w.FileUpload(accept=".csv,.parquet,.txt", multiple=False, description="Upload",
                                       tooltip="Save a file into the case's data/ folder and use it here")
            self.upload.observe(self._uploaded, names="value")
            self.uploads: list[str] = []  # the files saved through this button, as paths relative to the case
            self.upload_note = w.HTML("")  # the button's own count resets with each file: ours counts them all
            parts[0] = w.HBox([self.widget, self.upload])
            parts.insert(1, self.upload_note)
        if self.rows is not None and not compact:  # a table has no room for a side label: title it
            parts.insert(0, w.HTML(f"<b>{html.escape(field_label(name, info))}</b>"))
        self.box = w.VBox(parts, layout=w.Layout(margin="0 0 6px 0"))

    def _uploaded(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        item = change["new"][0]
        saved = save_upload(self.base_dir / "data", item["name"], bytes(item["content"]))
        self.upload.value = ()  # saved: the widget need not hold the bytes, and the same file can come again
        self.uploads.append(saved.relative_to(self.base_dir.resolve()).as_posix())
        count = f"{len(self.uploads)} file{'s' if len(self.uploads) > 1 else ''}"
        self.upload_note.value = (f"<span style='{_HELP_STYLE}'>{count} uploaded into data/; this one saved as "
                                  f"{html.escape(self.uploads[-1])}</span>")
        self.widget.value = self.uploads[-1]  # validates it, with the rest

    def _show(self, value: Any) -> str:
        if value is None:
            return ""
        if self.kind == "path":
            try:
                return Path(value).resolve().relative_to(self.base_dir.resolve()).as_posix()
            except ValueError:
                return str(value)
        return str(value)

    def get(self) -> Any:
        if self.kind == "rows":
            return self.rows.get()
        value = self.widget.value
        if self.kind == "yaml":
            try:
                return yaml.safe_load(value) if value.strip() else None
            except yaml.YAMLError as exc:
                raise ValueError(f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
        if isinstance(value, str) and self.kind in ("path", "number") and not value.strip():
            return None
        return value

    def observe(self, callback: Any) -> None:
        if self.rows is not None:
            self.rows.observe(callback)
        else:
            self.widget.observe(callback, names="value")

    def show_error(self, message: str) -> None:
        text = html.escape(message)
        self.error.value = f"<span style='{_ERROR_STYLE}'>⚠ {text}</span>" if message else ""


def save_upload(folder: Path, name: str, content: bytes) -> Path:
    """Save an uploaded file into ``folder`` under its own name, made safe; never overwrite a different file.

    The name keeps its words and letter case ("Q3 run (final).csv"); only a folder part, characters a file
    system or a shell would trip on, and leading dots (hidden files) go. A file of that name with other content
    is kept, and the upload gets ``-2``, ``-3`` … instead; the same content again reuses the file.
    """
    safe = safe_file_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / safe, 1
    while target.exists() and target.read_bytes() != content:
        n += 1
        target = folder / f"{Path(safe).stem}-{n}{Path(safe).suffix}"
    if not target.exists():
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(target)
    return target.resolve()


def safe_file_name(name: str) -> str:
    """An uploaded file's name without folders, control or shell characters, leading dots, or an odd suffix."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, suffix = os.path.splitext(base)
    suffix = suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""
    stem = re.sub(r"[^\w .()+,-]", "-", stem)  # letters of any script, digits, spaces and a few marks stay
    stem = re.sub(r"\s+", " ", stem).strip(" .-")[:100] or "upload"
    return stem + suffix


_CASE_FIELD_HELP = ("The product's name, as the brief and every notebook title it.",
                    "What the product does, for whom, in one or two sentences.",
                    About.model_fields["stage"].description,
                    About.model_fields["as_of"].description)


def _case_fields(case: Case) -> dict[str, Any]:
    import ipywidgets as w

    style = {"description_width": _LABEL_WIDTH}
    short = w.Layout(width=f"calc({_LABEL_WIDTH} + 160px)")  # the label and "launched" or a date, uncut
    return {"name": w.Text(value=case.name, description="Product name", continuous_update=False, style=style,
                           layout=w.Layout(width="96%")),
            "summary": w.Textarea(value=case.summary, description="Summary", continuous_update=False, style=style,
                                  layout=w.Layout(width="96%", height="60px")),
            "stage": w.Dropdown(options=[("not said", ""), *((s, s) for s in STAGES)], value=case.stage or "",
                                description="Stage", style=style, layout=short),
            "as_of": w.Text(value=_about_text(case, "as_of"), description="As of", placeholder="YYYY-MM-DD",
                            continuous_update=False, style=style, layout=short)}


def _about_text(case: Case, key: str) -> str:
    """A top-level field of the case as the form's text shows it ("" when the case does not say)."""
    value = getattr(case, key)
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def _decision_fields(answer: StudentAnswer) -> dict[str, Any]:
    import ipywidgets as w

    style = {"description_width": _LABEL_WIDTH}
    return {"decision": w.Dropdown(options=[("(not decided)", ""), ("go", "go"), ("caution", "caution"),
                                            ("stop", "stop")], value=answer.decision, description="Your decision",
                                   style=style),
            "reason": w.Textarea(value=answer.reason, description="Your reason", continuous_update=False,
                                 style=style, layout=w.Layout(width="96%", height="80px"))}


def _labelled(box: Any, help_text: str) -> Any:
    import ipywidgets as w

    return w.VBox([box, w.HTML(f"<div style='{_HELP_STYLE};margin-left:{_LABEL_WIDTH}'>{html.escape(help_text)}"
                               f"</div>")], layout=w.Layout(margin="0 0 6px 0"))


def _is_path(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Path)


def _to_yaml(value: Any) -> str:
    if value is None:
        return ""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=None).strip()


class RowsEditor:
    """An editable table for a list of sub-models: one line of widgets per row, with add and remove."""

    def __init__(self, model: type[BaseModel], rows: list[Any], base_dir: Path):
        import ipywidgets as w

        self.model, self.base_dir = model, base_dir
        self._callbacks: list[Any] = []
        self._rows: list[dict[str, FieldEditor]] = []
        header = [w.HTML(f"<b title='{html.escape(info.description or '', quote=True)}'>"
                         f"{html.escape(field_label(n, info))}</b>", layout=w.Layout(width=_column_width(info)))
                  for n, info in model.model_fields.items()]
        self.header = w.HBox([*header, w.HTML("", layout=w.Layout(width="36px"))])
        self.body = w.VBox()
        self.add_button = w.Button(description="Add row", icon="plus", layout=w.Layout(width="110px"))
        self.add_button.on_click(lambda _: self.add())
        self.widget = w.VBox([self.header, self.body, self.add_button],
                             layout=w.Layout(overflow="auto", border="1px solid #e0e0e0", padding="4px"))
        for row in rows:
            self._append(row if isinstance(row, dict) else row.model_dump(mode="python"))
        self._render()

    def _append(self, values: dict[str, Any]) -> None:
        editors = {}
        for name, info in self.model.model_fields.items():
            default = info.get_default(call_default_factory=True)
            editor = FieldEditor(name, info, values.get(name, default), self.base_dir, compact=True)
            editor.widget.layout.width = _column_width(info)
            for callback in self._callbacks:
                editor.observe(callback)
            editors[name] = editor
        self._rows.append(editors)

    def _render(self) -> None:
        import ipywidgets as w

        lines = []
        for index, editors in enumerate(self._rows):
            remove = w.Button(icon="trash", tooltip="Remove this row", layout=w.Layout(width="36px"))
            remove.on_click(lambda _, i=index: self.remove(i))
            lines.append(w.HBox([e.box for e in editors.values()] + [remove]))
        self.body.children = lines

    def add(self) -> None:
        self._append({})
        self._render()
        self._notify()

    def remove(self, index: int) -> None:
        del self._rows[index]
        self._render()
        self._notify()

    def _notify(self) -> None:
        for callback in self._callbacks:
            callback({"name": "rows"})

    def observe(self, callback: Any) -> None:
        self._callbacks.append(callback)
        for editors in self._rows:
            for editor in editors.values():
                editor.observe(callback)

    def get(self) -> list[dict[str, Any]]:
        return [{name: editor.get() for name, editor in editors.items()} for editors in self._rows]

    @property
    def editors(self) -> list[dict[str, FieldEditor]]:
        return self._rows


def _column_width(info: FieldInfo) -> str:
    tp, _ = _unwrap_optional(info.annotation)
    if tp is str:
        return "280px" if _multiline(info) else "220px"
    if tp is bool:
        return "60px"
    if typing.get_origin(tp) in (list, dict):  # a list or a nested table, edited as YAML in the cell
        return "240px"
    return "110px"


# ---- the form ------------------------------------------------------------------------------------------

class Form:
    """The worksheet of one question for one case (see the module docstring)."""

    def __init__(self, case: Case, key: str, interactive: bool = True):
        self.case = case
        self.question = BY_KEY[key]
        self.model: type[BaseModel] = self.question.answers_model
        self.interactive = interactive and not headless()
        self.answered = case.is_answered(key)
        self.answers: BaseModel = case.answers(key) if self.answered else self._starting_answers()
        self.last_result: Result | None = None
        self.status_message = ""
        self._editors: dict[str, FieldEditor] | None = None
        self._decision_fields: dict[str, Any] = {}
        self._widget: ipywidgets.Widget | None = None

    def _starting_answers(self) -> BaseModel:
        starting = getattr(self.question.module, "starting_answers", None)
        values = starting(self.case) if starting is not None else {}
        return self.model.model_validate(values or {}, context=self.case.validation_context())

    # ---- the analysis -------------------------------------------------------------------------
    def analyze(self) -> Result:
        """The result of the current answers (a "not answered" result for an untouched missing section)."""
        if not self.answered and not self.interactive:
            if not self.question.reaches(self.case.stage):  # "Not yet": the plan, which reads earlier questions
                return self.case.analyze(self.question.key)
            return Result.not_answered(self.question.key, self.question.title)
        result = self.case.with_answers(self.question.key, self.answers).analyze(self.question.key)
        self.last_result = self.case.shown(result)
        return self.last_result

    @property
    def result(self) -> Any:
        """What the notebook's result cell shows: the live result area, or the static ``Result``."""
        if self.interactive:
            self.widget()
            return self._result_area
        return self.analyze()

    # ---- static (headless) ------------------------------------------------------------------------
    def answers_table_html(self) -> str:
        q = self.question
        if not self.answered:
            return (f"<p><em>This case has no answers to question {q.number} yet.</em> Fill the form in "
                    f"JupyterLab and press Save, or add a <code>{q.key}:</code> section to the case file "
                    f"(<code>aipm-kit new</code> writes one with every field explained).</p>")
        values = self.answers.model_dump(mode="json", context=self.case.validation_context())
        return (f"<div class='aipm-answers {NO_MATHS}'><h4>Answers: {html.escape(self.case.name)}</h4>"
                f"{_answers_table(self.model, values)}{self._decision_table_html()}</div>")

    # ---- a student's copy: the decision and reason on a question left blank for them -------------------
    @property
    def asks_decision(self) -> bool:
        """Whether this form asks the student for their own decision and reason (a blank question of theirs)."""
        return self.case.student_mode and self.question.key in self.case.classroom.blank

    def decision(self) -> StudentAnswer:
        if self._decision_fields:
            return StudentAnswer(decision=self._decision_fields["decision"].value,
                                 reason=self._decision_fields["reason"].value)
        return self.case.classroom.answers.get(self.question.key) or StudentAnswer()

    def _decision_table_html(self) -> str:
        if not self.asks_decision:
            return ""
        values = self.decision().model_dump(mode="json")
        return f"<h4>Your call</h4>{_answers_table(StudentAnswer, values)}"

    def _with_decision(self, case: Case) -> Case:
        """``case`` with this form's decision and reason in its classroom section (a student's blank question)."""
        import dataclasses

        if not self.asks_decision:
            return case
        classroom = case.classroom or self.case.classroom
        answers = {**classroom.answers, self.question.key: self.decision()}
        return dataclasses.replace(case, classroom=classroom.model_copy(update={"answers": answers}))

    def _repr_html_(self) -> str:
        return self.answers_table_html()

    def __repr__(self) -> str:
        return f"<Form {self.question.notebook} for {self.case.name!r}>"

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        if self.interactive:
            display(self.widget())
        else:
            display(HTML(self.answers_table_html()))

    # ---- interactive ------------------------------------------------------------------------------
    def widget(self) -> ipywidgets.Widget:
        """The form's widgets (built once): fields, a Save button with its status line."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        self._form_error = w.HTML("")
        self._save = w.Button(description="Save", icon="save", button_style="primary",
                              tooltip=f"Write these answers into {self._case_file_label()}")
        self._save.on_click(lambda _: self.save())
        # shown only when a save is refused because someone else saved the file: the two ways on
        self._reload = w.Button(description="Reload", icon="refresh", layout=w.Layout(display="none"),
                                tooltip="Show the answers saved in the file (your edits here are dropped)")
        self._reload.on_click(lambda _: self.reload())
        self._keep_both = w.Button(description="Save as a copy", icon="copy", layout=w.Layout(display="none"),
                                   tooltip="Write your answers to a copy beside the file; the file stays as saved")
        self._keep_both.on_click(lambda _: self.save_copy())
        self._status = w.HTML("")
        self._result_area = w.HTML()
        self._widget = w.VBox()
        self._build_fields()
        self._refresh()
        return self._widget

    def _build_fields(self) -> None:
        import ipywidgets as w

        values = self.answers.model_dump(mode="python")
        self._editors = {name: FieldEditor(name, info, values.get(name), self.case.base_dir)
                         for name, info in self.model.model_fields.items()}
        for editor in self._editors.values():
            editor.observe(self._changed)
        header = w.HTML(f"<h3 style='margin:4px 0'>Question {self.question.number}: "
                        f"{html.escape(self.question.title)}</h3>"
                        f"<p style='{_HELP_STYLE}'>Case: {html.escape(self.case.name)} — "
                        f"{html.escape(self._case_file_label())}</p>")
        # the first worksheet also names the product: the case's name and summary, saved with its answers
        self._case_fields = _case_fields(self.case) if self.question.number == 1 else {}
        for box in self._case_fields.values():
            box.observe(self._changed, names="value")
        about = [_labelled(box, help_text) for box, help_text in zip(self._case_fields.values(), _CASE_FIELD_HELP)]
        self._decision_fields = _decision_fields(self.decision()) if self.asks_decision else {}
        decision = [w.HTML("<h4 style='margin:8px 0 2px'>Your call</h4>")] if self._decision_fields else []
        decision += [_labelled(box, StudentAnswer.model_fields[name].description)
                     for name, box in self._decision_fields.items()]
        self._widget.children = [header, *about, *(e.box for e in self._editors.values()), *decision, self._form_error,
                                 w.HBox([self._save, self._reload, self._keep_both, self._status])]

    def _renamed(self) -> list[str]:
        """Which of the case's name and summary were changed in this form (question 1's), since it loaded."""
        fields = getattr(self, "_case_fields", None) or {}
        loaded = {"name": self.case.name, "summary": self.case.summary, "stage": _about_text(self.case, "stage"),
                  "as_of": _about_text(self.case, "as_of")}
        # a blank name keeps the file's; a blank summary, stage or date clears it
        return [k for k, box in fields.items() if box.value.strip() != loaded[k].strip()
                and (box.value.strip() or k != "name")]

    def _named(self, case: Case) -> Case:
        """``case`` with the name or summary changed in this form; what another notebook saved stays otherwise."""
        import dataclasses

        changed = {k: self._case_fields[k].value.strip() for k in self._renamed()}
        about = {k: changed.pop(k) or None for k in list(changed) if k in About.model_fields}
        if about:
            try:
                checked = About.model_validate({k: v for k, v in about.items() if v is not None})
            except ValidationError as exc:
                error = exc.errors()[0]
                raise CaseError(f"{error['msg']}, found {about[error['loc'][0]]!r}", self.case.path,
                                str(error["loc"][0])) from None
            changed.update({k: getattr(checked, k) for k in about})
        return dataclasses.replace(case, **changed) if changed else case

    @property
    def editors(self) -> dict[str, FieldEditor]:
        self.widget()
        return self._editors

    def _case_file_label(self) -> str:
        return self.case.path.name if self.case.path else "(no case file)"

    def _changed(self, _change: Any = None) -> None:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, editor in self._editors.items():
            editor.show_error("")
            try:
                values[name] = editor.get()
            except ValueError as exc:
                errors[name] = str(exc)
        self._form_error.value = ""
        if not errors:
            try:
                answers = self.model.model_validate(values, context=self.case.validation_context())
            except ValidationError as exc:
                for err in exc.errors():
                    loc = tuple(err["loc"])
                    name, problem = field_problem(err, self.model)
                    if loc and loc[0] in self._editors:
                        detail = problem if len(loc) == 1 else f"{name}: {problem}"
                        errors.setdefault(str(loc[0]), detail)
                    else:  # a rule across fields: show it under the first field its message names
                        found = [(m.start(), n) for n in self._editors
                                 if (m := re.search(rf"\b{n}\b", problem))]
                        errors.setdefault(min(found)[1] if found else "", problem)
            else:
                self.answers = answers
                self.answered = True
                self._refresh()
                return
        for name, message in errors.items():
            if name in self._editors:
                self._editors[name].show_error(message)
            else:
                self._form_error.value = f"<p style='{_ERROR_STYLE}'>⚠ {html.escape(message)}</p>"
        self._status.value = ("<span style='color:#a15c00'>Fix the marked field to update the result; "
                              "it shows the last valid answers.</span>")

    def _refresh(self) -> None:
        try:
            result = self.analyze()
        except Exception as exc:  # the analysis must never take the form down with it
            self._status.value = f"<span style='{_ERROR_STYLE}'>Analysis failed: {html.escape(str(exc))}</span>"
            return
        # JupyterLab and Voila style tables inside this class, as in a notebook's own outputs
        self._result_area.value = f"<div class='jp-RenderedHTMLCommon {NO_MATHS}'>{result.to_html(figures=True)}</div>"
        self._status.value = ""

    def save(self) -> Path | None:
        """Write this question's answers into the case file; the file's other sections stay as on disk.

        Refused, with a way to reload or keep both, when someone else saved this question's answers into the
        file since this form loaded it; another question saved meanwhile (another notebook) is kept.
        """
        if self.case.path is None:
            self._set_status("This case has no file to save into.", error=True)
            return None
        if self._editors is not None and (self._form_error.value or any(e.error.value for e in self._editors.values())):
            self._set_status("Fix the marked fields before saving.", error=True)
            return None
        key = self.question.key
        try:
            if is_bundled(self.case.path):
                return self._save_copy()
            saved = self._with_decision(self._named(self.case.with_answers(key, self.answers)))
            if saved.document is None and self.case.path.exists():  # a case made in code: add to the file
                saved = self._with_decision(self._named(load_case(self.case.path).with_answers(key, self.answers)))
            keys = [key, *self._renamed()]  # and the product's name or summary, if changed in this form
            keys += ["classroom"] if self.asks_decision else []  # and a student's decision and reason
            try:
                path = saved.save(sections=keys) if saved.document is not None else saved.save()
            except CaseConflict:
                # the file changed since this form loaded it: fine if only other sections did
                on_disk = load_case(self.case.path)
                if on_disk.loaded_section(key) != self.case.loaded_section(key):
                    raise
                saved = self._with_decision(self._named(on_disk.with_answers(key, self.answers)))
                path = saved.save(sections=keys)
        except CaseConflict:
            self._show_conflict()
            return None
        except (CaseError, OSError) as exc:
            self._set_status(f"Not saved: {exc}", error=True)
            return None
        self.case = saved
        self._show_ways(False)
        self._set_status(f"Saved to {path.name}.")
        return path

    def _show_conflict(self) -> None:
        self._show_ways(True)
        self._set_status(f"Not saved: {self._case_file_label()} changed since this form loaded it, and question "
                         f"{self.question.number}'s answers there are not the ones you started from (another "
                         f"tab, notebook or editor saved them). Reload to see the saved answers (your edits here "
                         f"are dropped), or Save as a copy to keep both.", error=True)

    def _show_ways(self, shown: bool) -> None:
        if self._widget is not None:
            self._reload.layout.display = self._keep_both.layout.display = None if shown else "none"

    def reload(self) -> None:
        """Take the case file as saved now: the form shows its answers to this question (edits here dropped)."""
        try:
            case = load_case(self.case.path)
        except CaseError as exc:
            self._set_status(f"Not reloaded: {exc}", error=True)
            return
        self.case = case
        self.answered = case.is_answered(self.question.key)
        self.answers = case.answers(self.question.key) if self.answered else self._starting_answers()
        if self._widget is not None:
            self._build_fields()
            self._refresh()
        self._show_ways(False)
        self._set_status(f"Reloaded {self._case_file_label()}: the form shows the answers saved there.")

    def save_copy(self) -> Path | None:
        """Keep both: this form's answers (with the rest of the case as this form loaded it) go into a copy
        beside the file, which stays as someone else saved it; the form carries on with the copy."""
        saved = self.case.with_answers(self.question.key, self.answers)
        original = self._case_file_label()
        try:
            path = saved.save_copy()
        except (CaseError, OSError) as exc:
            self._set_status(f"Not saved: {exc}", error=True)
            return None
        self.case = saved
        self._show_ways(False)
        self._set_status(f"Saved to {path.name}, a copy beside {original}, which keeps the version saved "
                         f"elsewhere. To keep working on your copy, set case = \"{path.name}\" in the first "
                         f"code cell.")
        return path

    def _save_copy(self) -> Path:
        """A worked example stays as shipped: the answers go into the learner's copy beside the notebook."""
        from .workspace import copy_case

        # beside the notebook; under `aipm-kit app`, in the folder the app was started from (its picker lists it)
        folder = Path(os.environ.get("AIPM_KIT_APP_FOLDER") or Path.cwd())
        target = folder / f"{self.case.slug}-mine.yaml"
        if target.exists():  # an earlier Save (from this or another notebook) made the copy: add to it
            saved = load_case(target).with_answers(self.question.key, self.answers)
            saved.save(sections=[self.question.key])
        else:
            saved = copy_case(load_case(self.case.path).with_answers(self.question.key, self.answers), target)
        self.case = saved
        self._set_status(f"Saved to {target.name}, your copy beside this notebook (the worked example stays as "
                         f"shipped). To keep working on it, set case = \"{target.name}\" in the first code cell.")
        return target.resolve()

    def _set_status(self, message: str, error: bool = False) -> None:
        self.status_message = message
        if self._widget is not None:
            style = _ERROR_STYLE if error else "color:#1b7f3b"
            self._status.value = f"<span style='{style}'>{html.escape(message)}</span>"


def _answers_table(model: type[BaseModel], values: dict[str, Any]) -> str:
    """The static answers table: one row per field, its description under its name, rows as a sub-table."""
    e = html.escape
    rows = []
    for name, info in model.model_fields.items():
        value = values.get(name)
        tp, _ = _unwrap_optional(info.annotation)
        sub = _row_model(tp)
        if sub is not None:
            cells = "".join(f"<th>{e(field_label(n, i))}</th>" for n, i in sub.model_fields.items())
            body = "".join("<tr>" + "".join(f"<td>{e(_plain(item.get(n)))}</td>" for n in sub.model_fields)
                           + "</tr>" for item in value or [])
            shown = (f"<table class='dataframe'><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
                     if value else "<em>none</em>")
        else:
            shown = e(_plain(value)).replace("\n", "<br>")
        rows.append(f"<tr><td style='text-align:left;vertical-align:top'><b>{e(field_label(name, info))}</b><br>"
                    f"<span style='{_HELP_STYLE}'>{e(info.description or '')}</span></td>"
                    f"<td style='text-align:left;vertical-align:top'>{shown}</td></tr>")
    return f"<table class='aipm-answers-table'><tbody>{''.join(rows)}</tbody></table>"


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, dict)):
        return _to_yaml(value)
    return str(value)
