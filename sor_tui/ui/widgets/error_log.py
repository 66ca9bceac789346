"""The error pane: every problem with time, source, code and a plain-language explanation."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from sor_tui.runtime.problem_log import LoggedProblem
from sor_tui.ui.format import format_clock

MAX_PROBLEMS = 1000


def problem_text(problem: LoggedProblem) -> str:
    """One problem as plain text for the clipboard (already sanitized)."""
    market = f" [{problem.market}]" if problem.market else ""
    return (
        f"{format_clock(problem.wall_ns)} {problem.source} {problem.code}{market}: "
        f"{problem.message} — {problem.explanation}"
    )


class ErrorLog(Vertical):
    """A bounded, filterable, copyable table of problems with the selected one explained."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="errors.filter", tooltip="Filter errors"),
        Binding("c", "copy_selected", "Copy", id="errors.copy", tooltip="Copy the error"),
        Binding("C", "copy_all", "Copy all", id="errors.copy_all", tooltip="Copy shown errors"),
        Binding("x", "clear", "Clear", id="errors.clear", tooltip="Clear the error log"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.problems: deque[tuple[int, LoggedProblem]] = deque(maxlen=MAX_PROBLEMS)
        self._next_key = 0
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        """A filter box, the table and a detail line for the selected row."""
        yield Input(placeholder="filter: code, market, source, text…", id="error-filter")
        table: DataTable[Text] = DataTable(id="error-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Time", key="time", width=12)
        table.add_column("Source", key="source", width=9)
        table.add_column("Code", key="code", width=22)
        table.add_column("Market", key="market", width=8)
        table.add_column("Message", key="message")
        yield table
        yield Static(id="error-detail", markup=False)

    def on_mount(self) -> None:
        """Keep references: handlers may run while the app is tearing the DOM down."""
        self._table: DataTable[Text] = self.query_one("#error-table", DataTable)
        self._detail = self.query_one("#error-detail", Static)

    @property
    def table(self) -> DataTable[Text]:
        """The problems table."""
        return self._table

    def add_problems(self, problems: tuple[LoggedProblem, ...]) -> None:
        """Append problems, dropping the oldest beyond the bound."""
        table = self.table
        for problem in problems:
            key = self._next_key
            self._next_key += 1
            if len(self.problems) == self.problems.maxlen:
                old_key, _ = self.problems[0]
                if str(old_key) in table.rows:
                    table.remove_row(str(old_key))
            self.problems.append((key, problem))
            if self._matches(problem):
                self._add_row(key, problem)
        if problems and table.row_count and table.cursor_row == table.row_count - len(problems) - 1:
            table.move_cursor(row=table.row_count - 1)
        self._show_detail()

    def _matches(self, problem: LoggedProblem) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        return needle in problem_text(problem).casefold()

    def _add_row(self, key: int, problem: LoggedProblem) -> None:
        self.table.add_row(
            Text(format_clock(problem.wall_ns)),
            Text(problem.source),
            Text(problem.code, style="bold"),
            Text(problem.market or ""),
            Text(problem.message),
            key=str(key),
        )

    def _rebuild(self) -> None:
        self.table.clear()
        for key, problem in self.problems:
            if self._matches(problem):
                self._add_row(key, problem)
        self._show_detail()

    def selected(self) -> LoggedProblem | None:
        """The problem under the table cursor."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        for key, problem in self.problems:
            if str(key) == row_key.value:
                return problem
        return None

    def _show_detail(self) -> None:
        problem = self.selected()
        detail = self._detail
        if problem is None:
            detail.update(Text("No errors." if not self.problems else "No error matches."))
        else:
            market = f" {problem.market}" if problem.market else ""
            detail.update(Text(f"{problem.code}{market}: {problem.message}. {problem.explanation}"))

    @on(Input.Changed, "#error-filter")
    def apply_filter(self, event: Input.Changed) -> None:
        """Show only problems containing the filter text."""
        self.filter_text = event.value.strip()
        self._rebuild()

    @on(Input.Submitted, "#error-filter")
    def leave_filter(self) -> None:
        """Enter in the filter box returns to the table."""
        self.table.focus()

    @on(DataTable.RowHighlighted, "#error-table")
    def explain_selected(self) -> None:
        """Explain the highlighted problem below the table."""
        self._show_detail()

    def action_focus_filter(self) -> None:
        """Jump to the filter box."""
        self.query_one("#error-filter", Input).focus()

    def action_copy_selected(self) -> None:
        """Copy the highlighted problem to the clipboard."""
        problem = self.selected()
        if problem is not None:
            self.app.copy_to_clipboard(problem_text(problem))
            self.notify("Error copied to the clipboard", timeout=2)

    def action_copy_all(self) -> None:
        """Copy every shown problem to the clipboard."""
        text = "\n".join(problem_text(p) for _, p in self.problems if self._matches(p))
        self.app.copy_to_clipboard(text)
        self.notify("Shown errors copied to the clipboard", timeout=2)

    def action_clear(self) -> None:
        """Forget every problem."""
        self.problems.clear()
        self._rebuild()
