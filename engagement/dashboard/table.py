"""A sortable, searchable table shown a page at a time: the overview's campaigns.

The data stay in the kernel; the page receives only the rows it shows (``page_size`` of
them, formatted), so a table of 10,000 campaigns costs the browser what one of 25 does. A
click on a column's header sorts by it (again: the other way), the search box keeps the rows
whose key holds its text, the pager moves a page, and a click on a row (or Enter on it)
calls ``on_open`` with the row's key. Drawn as a plain HTML table by a small module
(anywidget): no canvas to redraw, no extension of its own to load.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anywidget
import pandas as pd
import traitlets

ESM = """
const make = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};
const count = (n) => n.toLocaleString("en-US");

function render({ model, el }) {
  el.classList.add("eg-table");
  const search = make("input", "eg-table-search");
  search.type = "search";
  search.placeholder = model.get("placeholder");
  search.value = model.get("query");
  search.addEventListener("change", () => {
    model.set("query", search.value);
    model.set("page", 0);
    model.save_changes();
  });
  const table = make("table", "eg-table-rows");
  const head = make("thead");
  const body = make("tbody");
  table.append(head, body);
  const pager = make("div", "eg-table-pager");
  const prev = make("button", "eg-table-prev", "\\u2039 Previous");
  const next = make("button", "eg-table-next", "Next \\u203a");
  const where = make("span", "eg-table-position");
  pager.append(prev, where, next);
  const move = (step) => {
    model.set("page", model.get("page") + step);
    model.save_changes();
  };
  prev.addEventListener("click", () => move(-1));
  next.addEventListener("click", () => move(1));
  el.append(search, table, pager);

  const draw = () => {
    const columns = model.get("columns");
    const sort = model.get("sort");
    const down = model.get("descending");
    const row = make("tr");
    columns.forEach((column) => {
      const cell = make("th", column.numeric ? "eg-num" : "");
      const button = make("button", "eg-sort", column.label);
      button.dataset.key = column.key;
      if (column.key === sort) {
        cell.setAttribute("aria-sort", down ? "descending" : "ascending");
        button.textContent += down ? " \\u25bc" : " \\u25b2";
      }
      button.addEventListener("click", () => {
        if (column.key === model.get("sort")) model.set("descending", !model.get("descending"));
        else {
          model.set("sort", column.key);
          model.set("descending", column.numeric);
        }
        model.set("page", 0);
        model.save_changes();
      });
      cell.append(button);
      row.append(cell);
    });
    head.replaceChildren(row);
    const keys = model.get("row_keys");
    body.replaceChildren(
      ...model.get("rows").map((cells, index) => {
        const line = make("tr");
        line.dataset.key = keys[index];
        line.tabIndex = 0;
        cells.forEach((text, i) => {
          line.append(make("td", columns[i].numeric ? "eg-num" : "", text));
        });
        const open = () => model.send({ open: keys[index] });
        line.addEventListener("click", open);
        line.addEventListener("keydown", (event) => event.key === "Enter" && open());
        return line;
      }),
    );
    const total = model.get("total");
    const size = model.get("page_size");
    const page = model.get("page");
    const first = total ? page * size + 1 : 0;
    const last = Math.min(total, (page + 1) * size);
    where.textContent = `${count(first)}\\u2013${count(last)} of ${count(total)}`;
    prev.disabled = page <= 0;
    next.disabled = last >= total;
    search.style.display = model.get("searchable") ? "" : "none";
  };
  // drawn when the kernel has answered (sort, page, search and rows together), not at a click
  model.on("change:shown", draw);
  draw();
}
export default { render };
"""

CSS = """
.eg-table {width: 100%}
.eg-table-rows {border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%}
.eg-table-rows th, .eg-table-rows td {padding: 2px 10px; border-bottom: 1px solid #e3e3e3;
  text-align: left; white-space: nowrap}
.eg-table-rows .eg-num {text-align: right}
.eg-table-rows tbody tr {cursor: pointer}
.eg-table-rows tbody tr:nth-child(even) {background: #f6f8fa}
.eg-table-rows tbody tr:hover, .eg-table-rows tbody tr:focus {background: #ddf4ff}
.eg-table-rows .eg-sort {background: none; border: none; font: inherit; font-weight: 600;
  cursor: pointer; padding: 0}
.eg-table-search {margin: 0 0 0.4em 0; width: 16em}
.eg-table-pager {margin: 0.4em 0; display: flex; gap: 1em; align-items: center}
"""


def written(value: Any) -> str:
    """A cell as the page shows it (as text, never markup): counts with thousands
    separators, other numbers with two decimals, a missing value as a dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "\u2013"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{value:,.2f}"
    return str(value)


@dataclass(frozen=True)
class Column:
    """A column of the table: its key in the data, its heading, and how a value is written."""

    key: str
    label: str
    numeric: bool = False
    write: Callable[[Any], str] = written


class Table(anywidget.AnyWidget):
    """``data``'s rows, ``page_size`` at a time, sorted and searched in the kernel."""

    _esm = ESM
    _css = CSS
    columns: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # key, label, numeric
    rows: traitlets.List[list[str]] = traitlets.List().tag(sync=True)  # the page's cells, written
    row_keys: traitlets.List[str] = traitlets.List().tag(sync=True)  # the page's row keys
    sort = traitlets.Unicode("").tag(sync=True)
    descending = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(25).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)  # rows matching the search
    searchable = traitlets.Bool(False).tag(sync=True)
    placeholder = traitlets.Unicode("search").tag(sync=True)
    shown = traitlets.Int(0).tag(sync=True)  # counts the kernel's answers: the page draws then

    def __init__(
        self,
        data: pd.DataFrame,
        key: str,
        columns: Sequence[Column],
        on_open: Callable[[str], None] | None = None,
        page_size: int = 25,
        placeholder: str = "search",
    ) -> None:
        super().__init__(
            columns=[{"key": c.key, "label": c.label, "numeric": c.numeric} for c in columns],
            page_size=page_size,
            searchable=len(data) > page_size,
            placeholder=placeholder,
        )
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        self.data = data.reset_index(drop=True)
        self.key = key
        # what the kernel decided, whatever a page sets its synced copies to
        self.size = page_size
        self.keys_shown: list[str] = []
        self.specs = {c.key: c for c in columns}
        self.on_open = on_open
        self._show()
        self.observe(self._on_change, names=["sort", "descending", "query", "page"])
        self.on_msg(self._on_message)

    def matching(self) -> pd.DataFrame:
        """The rows matching the search, in the chosen order (every page of them)."""
        rows = self.data
        needle = self.query.strip().lower()
        if needle:
            rows = rows[rows[self.key].astype(str).str.lower().str.contains(needle, regex=False)]
        if self.sort in self.specs:
            values = rows[self.sort]
            if not self.specs[self.sort].numeric:
                values = values.astype(str).str.lower()
            order = values.sort_values(
                ascending=not self.descending, na_position="last", kind="stable"
            ).index
            rows = rows.loc[order]
        return rows

    def _show(self) -> None:
        rows = self.matching()
        last = max(0, (len(rows) - 1) // self.size)
        page = min(max(self.page, 0), last)
        part = rows.iloc[page * self.size : (page + 1) * self.size]
        self.keys_shown = [str(k) for k in part[self.key]]
        with self.hold_sync():
            self.page = page
            self.shown += 1
            self.total = len(rows)
            self.page_size = self.size
            self.row_keys = list(self.keys_shown)
            self.rows = [
                [self.specs[c].write(value) for c, value in zip(self.specs, row, strict=True)]
                for row in part[list(self.specs)].itertuples(index=False, name=None)
            ]

    def _on_change(self, change: dict[str, Any]) -> None:
        self._show()

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        key = content.get("open") if isinstance(content, dict) else None
        if self.on_open is not None and isinstance(key, str) and key in self.keys_shown:
            self.on_open(key)
