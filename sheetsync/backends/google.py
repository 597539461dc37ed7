"""The tracker in Google Sheets, through gspread's HTTP client over google-auth's session.

Within quota by design (https://developers.google.com/sheets/api/limits: 60 reads and 60
writes a minute per user, 300 per project; Drive's `files.get` counts against Drive's):
- the change probe is Drive's `files.get?fields=version`, outside the Sheets quota, so an
  idle cycle spends no Sheets request;
- a changed cycle reads the tracker (and the archive tab) with one `values:batchGet`;
- a write re-reads only the cells it needs with one narrow read (`spreadsheets.getByDataFilter`
  of the target rows' cells; the key columns whole when a row moved or the write is large),
  finds each target row again by its ticket ID (or, for a row without one, by the cells that
  tell it apart), writes only cells that still hold what the cycle read, and sends one
  `batchUpdate` (split only past Google's ~2 MB guidance): Sheets has no conditional write,
  so a row a person moved between the read and the write is followed, and one that cannot be
  found is left for the next cycle, never written with another row's ID;
- spreadsheet and tab metadata are cached in a file beside the state, across cycles and
  restarts, and fetched again hourly or when a range stops parsing.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError
from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL

from sheetsync.app import logs
from sheetsync.core.cells import NOTE_SECTION, CellMark, CellWrite, merged_note
from sheetsync.core.google_cells import (
    Key,
    a1,
    column_range,
    column_runs,
    dropdown,
    dated,
    grid_data,
    in_batches,
    key_of,
    mark_rule,
    narrow_note,
    narrow_value,
    note_cell,
    padded,
    read_serial,
    reconcile_rules,
    with_changes,
    relocate,
    same_dropdown,
    same_value,
    shared_cell,
    value_cell,
)
from sheetsync.backends.google_http import GoogleHTTPClient
from sheetsync.core.google_values import GarbledAnswer, read_tabs
from sheetsync.integrations.quota import Pool, Share
from sheetsync.core.google_reports import new_sheet_id, report_requests
from sheetsync.core.report_layout import layout, to_prune
from sheetsync.config import Config
from sheetsync.errors import SheetsyncError, TrackerError
from sheetsync.faults import NETWORK, describe
from sheetsync.core.setup import (
    MARK,
    Changes,
    TrackerSetup,
    protection_description,
)
from sheetsync.core.reporting import Report
from sheetsync.schema import Column, find_header, normalize
from sheetsync.core.table import Grid, column_letter, is_blank

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",
          # files.get for the version, the change probe (drive.file would not see a sheet
          # that was only shared with the service account)
          "https://www.googleapis.com/auth/drive.metadata.readonly")
METADATA_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),sheets(properties(sheetId,title,index,"
    "gridProperties(rowCount,columnCount,frozenRowCount)),conditionalFormats,"
    "protectedRanges(protectedRangeId,description,warningOnly,range),basicFilter(range),"
    "charts(chartId))")
NARROW_FIELDS = "sheets(data(startRow,startColumn,rowData(values(effectiveValue,note))))"
METADATA_MAX_AGE = 3600.0  # seconds
FRESH = 60.0  # seconds: metadata this young is as good as fetched now
#: Cells a write reads one by one (in a getByDataFilter body of about 35 bytes a cell); more
#: (an adoption's write), and it reads their columns whole. A 1,000-edit write wants about
#: 7,000 cells: read whole, its seven columns of a 100k-row tab are a 45 MB answer.
MAX_CELLS = 10_000
T = TypeVar("T")


def load_credentials(environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment: the key file GOOGLE_APPLICATION_CREDENTIALS names (a
    service account's key, or a person's authorized-user file), else application default
    credentials (`gcloud auth application-default login` on a laptop).

    A key file is loaded by its declared type, and only these two types are accepted: a
    credential configuration of another kind could run code or reach other hosts.
    """
    import google.auth
    from google.oauth2 import credentials as user, service_account

    environ = os.environ if environ is None else environ
    path = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    try:
        if not path:
            found, _ = google.auth.default(scopes=list(SCOPES))
            return found
        with open(path, encoding="utf-8") as file:
            kind = json.load(file).get("type")
        if kind == "service_account":
            return service_account.Credentials.from_service_account_file(  # type: ignore
                path, scopes=list(SCOPES))
        if kind == "authorized_user":
            return user.Credentials.from_authorized_user_file(  # type: ignore
                path, scopes=list(SCOPES))
        raise ValueError(f'a key file of type "{kind}"; sheetsync reads "service_account" '
                         'and "authorized_user" files')
    except (GoogleAuthError, OSError, ValueError, AttributeError) as exc:
        where = f"GOOGLE_APPLICATION_CREDENTIALS ({path})" if path else \
            "no GOOGLE_APPLICATION_CREDENTIALS, and no application default credentials"
        raise TrackerError(
            f"Google credentials cannot be loaded from {where}: {exc}. Set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service account's JSON key file, or run "
            "`gcloud auth application-default login --scopes="
            f"{','.join(SCOPES)},https://www.googleapis.com/auth/cloud-platform`") from None


#: What Drive's change probe may meet; each means "read the tab, to be sure".
_PROBE_FAULTS: tuple[type[Exception], ...] = (APIError, *NETWORK, GoogleAuthError, ValueError)


class GoogleSheet:
    """One tab of a Google spreadsheet (and the archive tab, read with it)."""

    def __init__(self, config: Config, client: GoogleHTTPClient | None = None, *,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time, pool: Pool | None = None) -> None:
        tracker = config.settings.tracker
        assert tracker.spreadsheet_id is not None  # the config requires it for google
        self.spreadsheet_id = tracker.spreadsheet_id
        self.tab = tracker.tab
        self.also = tuple(t for t in (tracker.archive_tab,) if t)
        self.schema = config.schema
        self.timezone = config.timezone
        self.client = client or GoogleHTTPClient(load_credentials(environ),
                                                 per_minute=tracker.requests_per_minute)
        self.cache_path = config.state_path.with_name(config.state_path.stem + ".google.json")
        # The process's budgets for this credential and project (a tracker alone: its own).
        pool = pool or Pool(self.client.budget.clock, self.client.sleep)
        quota = config.settings.google
        self.share: Share = pool.share(
            config.name or self.spreadsheet_id, _identity(self.client.auth, "service_account_email",
                                                          "client_id"),
            _identity(self.client.auth, "project_id", "quota_project_id"),
            quota.quota_per_user_per_minute, quota.quota_per_project_per_minute,
            quota.max_staleness_minutes, tracker.idle_reads)
        self.client.share = self.share
        self.clock = clock
        self._meta: dict[str, Any] | None = None
        self._meta_at = 0.0
        self._rows: Sequence[Sequence[Any]] = ()  # the tracker tab as the last read saw it
        self._tabs: dict[str, Grid] = {}  # other tabs read with it
        self._probe_failed = False

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> Grid:
        """The tracker tab (and the archive tab) in one values:batchGet."""
        meta = self._sheet_metadata(self.tab)
        tabs = [self.tab, *(t for t in self.also if t in self._titles(meta))]
        body = self._call(lambda: self.client.fetch_values(
            self.spreadsheet_id, [a1(t) for t in tabs],
            {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
             "majorDimension": "ROWS"}))
        try:  # one copy of the rows, as tuples, held for the write and handed to the cycle
            read = read_tabs(body, tabs, self.schema, self._zone())
        except GarbledAnswer as exc:
            raise SheetsyncError(f"spreadsheet {self.spreadsheet_id}: Google Sheets answered "
                                 f"with a body that is not its JSON ({exc}); sheetsync tries "
                                 "again next cycle") from None
        grids = {tab: Grid(tab=tab, rows=rows) for tab, rows in read.items()}
        self._rows = grids[self.tab].rows
        self._tabs = {t: grids[t] for t in tabs[1:]}
        return grids[self.tab]

    def read_tab(self, tab: str, missing_ok: bool = False) -> Grid:
        """Another tab: the one read with the tracker, or read now."""
        if tab in self._tabs:
            return self._tabs[tab]
        if tab in self.also and missing_ok:
            return Grid(tab=tab, rows=())  # asked for with the tracker: it is not there
        meta = self._metadata()
        if tab not in self._titles(meta):
            if missing_ok:
                return Grid(tab=tab, rows=())
            raise self._no_tab(tab, meta)
        answer = self._call(lambda: self.client.values_batch_get(
            self.spreadsheet_id, [a1(tab)], params={"valueRenderOption": "UNFORMATTED_VALUE"}))
        rows = padded(answer.get("valueRanges", [{}])[0].get("values"))
        return Grid(tab=tab, rows=tuple(map(tuple, rows)))

    def _drive_file(self, fields: str) -> dict[str, Any]:
        """The spreadsheet's Drive file: these of its fields (outside the Sheets quota)."""
        answer = self.client.request(
            "get", f"{DRIVE_FILES_API_V3_URL}/{self.spreadsheet_id}",
            params={"fields": fields, "supportsAllDrives": "true"}).json()
        return dict(answer)

    def probe(self) -> object | None:
        """Drive's version of the file: it moves on every change (the daemon's own writes
        and invisible ones too, which only cost a read that finds nothing to do)."""
        try:
            version = self._drive_file("version").get("version")
        except _PROBE_FAULTS as exc:
            if not self._probe_failed:  # once, not every tick
                logs.event("probe failed", logging.WARNING, service="drive",
                           error=_short(exc), fix=str(self._explain(exc))
                           if isinstance(exc, APIError) and exc.code == 404 else
                           "enable the Google Drive API and grant the drive.metadata.readonly "
                           "scope; until then every cycle reads")
            self._probe_failed = True
            return None
        self._probe_failed = False
        return str(version) if version is not None else None

    def can_edit(self) -> bool:
        """Whether the account may edit the spreadsheet, as Drive says; the same Drive call
        as the change probe, so it also shows the probe works."""
        answer = self._call(lambda: self._drive_file("version,capabilities(canEdit)"))
        return bool(answer.get("capabilities", {}).get("canEdit"))

    def who(self) -> str:
        """The account sheetsync runs as, as a person would share the sheet with it."""
        return getattr(self.client.auth, "service_account_email", None) or \
            "the account sheetsync runs as"

    def row_link(self, row: int) -> str | None:
        """The spreadsheet opened at the row (where it was when the message was made)."""
        sheet_id = self._sheet_metadata(self.tab)["properties"]["sheetId"]
        return (f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
                f"#gid={sheet_id}&range={row}:{row}")

    def tab_link(self, tab: str) -> str | None:
        """The spreadsheet opened at a tab (a report's, just written); None if it cannot be
        found now (the digest names the tab instead)."""
        try:
            sheet_id = self._sheet_metadata(tab)["properties"]["sheetId"]
        except (SheetsyncError, KeyError, TypeError):
            return None
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit#gid={sheet_id}"

    def settled(self, before: object | None) -> object | None:
        """The probe token a completed cycle leaves as "seen": the one taken before it read,
        so the cycle's own write earns one more read, which finds nothing to do (a fixed
        point), and a person's edit made while it ran is never taken as seen."""
        return before

    def save_blockers(self) -> list[str]:
        return []  # nothing in a spreadsheet is lost by writing cells through the API

    def reads(self) -> Share:
        """The shared budgets this tracker reads from, and its turn among their trackers."""
        return self.share

    # --- writing ---------------------------------------------------------------------------

    def write(self, header_row: int, cells: Sequence[CellWrite],
              marks: Sequence[CellMark] = ()) -> str | None:
        """Write cells sheetsync owns and its notes, where their rows are now.

        None when all were written; else how many were left for the next cycle, and why.
        The rows read are released afterwards: nothing of the tracker is held between
        cycles.
        """
        try:
            return self._write(header_row, cells, marks) if cells or marks else None
        finally:
            self._rows, self._tabs = (), {}

    def _write(self, header_row: int, cells: Sequence[CellWrite], marks: Sequence[CellMark]
               ) -> str | None:
        sheet = self._sheet_metadata(self.tab)
        sheet_id = sheet["properties"]["sheetId"]
        header = self._rows[header_row - 1] if len(self._rows) >= header_row else []
        where = _where(header)
        added = _new_columns(self._in_order([c.column for c in cells]), where, len(header))
        targets = {c.row for c in cells} | {m.row for m in marks}
        keys = self._key_columns(where, targets)
        key_columns = [k for k in keys if k is not None]
        written = {where[normalize(c.column)] for c in cells if normalize(c.column) in where}
        marked = {(where[normalize(m.column)], m.row) for m in marks
                  if normalize(m.column) in where}
        columns = sorted({*key_columns, *written, *(c for c, _ in marked)})
        wanted = {(c, r) for r in targets for c in {*key_columns, *written}} | marked | {
            (c, header_row) for c in columns}  # the headers: a column a person moved
        at: Callable[[int, int], Mapping[str, Any]] | None = None
        if len(wanted) <= MAX_CELLS:
            # Read just the target rows' cells, and write in place if each row still holds
            # the key it was read with (the usual case: nobody moved a row meanwhile).
            now = self._cells(wanted)
            if now is not None:
                if moved := _moved(header, columns, lambda c: now.get((c, header_row), "")):
                    return moved
                kinds, zone = dated(header, self.schema), self._zone()
                if all(key_of(self._value(r, k)) == _key_now(now.get((k, r), ""), kinds.get(k),
                                                            zone)
                       for r in targets for k in key_columns):
                    found = {row: row for row in targets}
                    at = lambda column, row: now.get((column, row), "")  # noqa: E731
        if at is None:
            # Many rows (an adoption), or one that moved: the key columns whole, to find each
            # row again.
            fresh = self._narrow_read(columns, header_row)
            if moved := _moved(header, columns, lambda c: _cell(fresh, c, 0)):
                return moved
            found = self._find_rows(header, header_row, keys, fresh, targets)
            at = lambda column, row: _cell(fresh, column, row - header_row)  # noqa: E731
        values: dict[tuple[int, int], dict[str, Any]] = {}
        notes: dict[tuple[int, int], dict[str, Any]] = {}
        made: dict[Any, dict[str, Any]] = {}  # one CellData for equal values (shared_cell)
        made_notes: dict[Any, dict[str, Any]] = {}
        left = 0
        for c in cells:
            column = where.get(normalize(c.column), added.get(c.column))
            there = found.get(c.row)
            if column is None or there is None or (column in written and not same_value(
                    self._value(c.row, column), narrow_value(at(column, there)))):
                left += 1  # its row is lost, or a person typed in the cell meanwhile
                continue
            values[(there, column)] = shared_cell(made, value_cell, c.value)
        for m in marks:
            column = where.get(normalize(m.column), added.get(m.column))
            there = found.get(m.row)
            if column is None or there is None:
                left += 1
                continue
            # A column this write adds holds no note yet (a suggestion's reason, say).
            current = None if m.column in added else narrow_note(at(column, there)) or None
            if (note := merged_note(current, m.note)) != current:
                notes[(there, column)] = shared_cell(made_notes, note_cell, note)
        requests_ = self._added_columns(sheet, header_row, added, values)
        requests_ += column_runs(sheet_id, values, "userEnteredValue")
        requests_ += column_runs(sheet_id, notes, "note")
        requests_ += self._highlights(header, {**where, **{normalize(t): c
                                                          for t, c in added.items()}},
                                      header_row)
        self._send(requests_)
        if left:
            return (f"{left} of {len(cells) + len(marks)} cells not written: their rows "
                    "moved or changed while sheetsync was writing; it writes them next cycle")
        return None

    def _find_rows(self, header: Sequence[Any], header_row: int, keys: Sequence[int | None],
                   fresh: Mapping[int, Sequence[Any]], rows: set[int]
                   ) -> dict[int, int]:
        """Where each row read at `rows` is now, by its key cells then and now."""
        zone, kinds = self._zone(), dated(header, self.schema)
        length = max((len(v) for v in fresh.values()), default=1)
        now_columns = [[_key_now(cell, kinds.get(c), zone) for cell in fresh.get(c, ())]
                       + [""] * (length - len(fresh.get(c, ())))
                       if c is not None else [""] * length for c in keys]
        now = {header_row + i: key for i, key in enumerate(zip(*now_columns)) if i}

        def key(cells: Sequence[Any]) -> Key:
            return tuple(key_of(cells[c]) if c is not None and c < len(cells) else ""
                         for c in keys)

        wanted = {r: key(self._rows[r - 1] if r <= len(self._rows) else []) for r in rows}
        ticket = keys[0]
        ids_read = Counter(key_of(r[ticket]) for r in self._rows[header_row:]
                           if ticket is not None and ticket < len(r))
        return relocate(wanted, ids_read, now)

    def _added_columns(self, sheet: dict[str, Any], header_row: int, added: Mapping[str, int],
                       values: dict[tuple[int, int], dict[str, Any]]) -> list[dict[str, Any]]:
        """Headers for columns the tab lacks (Sync Notes on a new tracker), the grid widened
        first when they fall past its last column."""
        if not added:
            return []
        grid = sheet["properties"]["gridProperties"]
        requests_: list[dict[str, Any]] = []
        beyond = max(added.values()) + 1 - grid.get("columnCount", 26)
        if beyond > 0:
            requests_.append({"appendDimension": {"sheetId": sheet["properties"]["sheetId"],
                                                  "dimension": "COLUMNS", "length": beyond}})
            grid["columnCount"] = grid.get("columnCount", 26) + beyond
            self._save_metadata()
        for title, column in added.items():
            values[(header_row, column)] = value_cell(title)
        return requests_

    def write_report(self, report: Report, tab: str, keep: int | None) -> str | None:
        """Write a report into its own tab (added, or rewritten in place) and delete the job's
        oldest period tabs beyond `keep`, in one batchUpdate; None when written."""
        meta = self._refresh()  # the tabs and charts as they are now: a stale chart ID
        sheets = {s["properties"]["title"]: s for s in meta.get("sheets", [])}  # fails all
        existing = sheets.get(tab)
        sheet_id = existing["properties"]["sheetId"] if existing else new_sheet_id(
            tab, {s["properties"]["sheetId"] for s in sheets.values()})
        requests_ = report_requests(layout(report), sheet_id, tab, existing is not None,
                                    [c["chartId"] for c in (existing or {}).get("charts", [])])
        if keep is not None:
            requests_ += [{"deleteSheet": {"sheetId": sheets[name]["properties"]["sheetId"]}}
                          for name in to_prune([*sheets, tab], report.period.job, keep)
                          if name != tab and name in sheets]
        self._send(requests_)
        self._forget()  # a tab or charts were added: fetch them next time
        return None

    # --- setup -----------------------------------------------------------------------------

    def setup(self, plan: TrackerSetup, progress: Callable[[int, int], None]) -> Changes:
        """Prepare the tab; everything added is marked as sheetsync's and added only once."""
        changes = Changes()
        meta = self._refresh()
        if self.tab not in self._titles(meta):
            self._add_tab(plan, meta, progress)
            changes.done.append(f"added tab {self.tab!r}" + (
                f" with {len(plan.rows)} imported rows" if plan.rows else ""))
        elif plan.rows:
            changes.skipped.append(f"tab {self.tab!r} exists: nothing imported (import into "
                                   "a new tab: set tracker.tab to a name not taken)")
        header_row, header, where = self._bound_header(plan)
        sheet = self._sheet_metadata(self.tab)
        sheet_id = sheet["properties"]["sheetId"]
        # The columns sheetsync writes, added now (not at the first cycle) so they can be
        # protected and the highlights can read Sync Notes from the start.
        added = _new_columns(self._in_order(plan.owned), where, len(header))
        titles: dict[tuple[int, int], dict[str, Any]] = {}
        requests_ = self._added_columns(sheet, header_row, added, titles)
        requests_ += column_runs(sheet_id, titles, "userEnteredValue")
        if added:
            changes.done.append(f"added the columns sheetsync writes: {', '.join(added)}")
            header += list(added)
            where.update({normalize(t): c for t, c in added.items()})
        if sheet["properties"].get("gridProperties", {}).get("frozenRowCount", 0) != header_row:
            requests_.append({"updateSheetProperties": {
                "properties": {"sheetId": sheet_id,
                               "gridProperties": {"frozenRowCount": header_row}},
                "fields": "gridProperties.frozenRowCount"}})
            changes.done.append(f"froze the header (row {header_row})")
        if "basicFilter" not in sheet:
            requests_.append({"setBasicFilter": {"filter": {"range": {
                "sheetId": sheet_id, "startRowIndex": header_row - 1}}}})
            changes.done.append("turned on the filter")
        current = self._validations(header_row, len(header))
        for title, values in plan.choices.items():
            column = where.get(normalize(title))
            if column is None:
                continue
            rule = dropdown(values)
            if not same_dropdown(current.get(column), rule):
                requests_.append({"setDataValidation": {
                    "range": column_range(sheet_id, header_row, column), "rule": rule}})
                changes.done.append(f"dropdown on {header[column]}")
        protected = {p.get("description") for p in sheet.get("protectedRanges", [])}
        for title in plan.owned:
            column = where.get(normalize(title))
            if column is not None and protection_description(title) not in protected:
                requests_.append({"addProtectedRange": {"protectedRange": {
                    "range": column_range(sheet_id, header_row - 1, column),
                    "description": protection_description(title), "warningOnly": True}}})
                changes.done.append(f"a warning on {header[column]}, which sheetsync writes")
        highlights = self._highlights(header, where, header_row)
        if highlights:
            requests_ += highlights
            changes.done.append("highlight rules for the checked columns")
        self._send(requests_)
        return changes

    def remove_setup(self, plan: TrackerSetup) -> Changes:
        """Take back what setup and the daemon added; people's data and columns stay."""
        changes = Changes()
        meta = self._refresh()
        if self.tab not in self._titles(meta):
            raise self._no_tab(self.tab, meta)
        header_row, header, _ = self._bound_header(plan)
        sheet = self._sheet_metadata(self.tab)
        sheet_id = sheet["properties"]["sheetId"]
        requests_: list[dict[str, Any]] = [
            {"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
            for p in sheet.get("protectedRanges", [])
            if str(p.get("description", "")).startswith(MARK)]
        if requests_:
            changes.done.append(f"removed {len(requests_)} column warnings")
        rules = reconcile_rules(sheet_id, sheet.get("conditionalFormats", []), [])
        if rules:
            requests_ += rules
            changes.done.append(f"removed {len(rules)} highlight rules")
        for column, rule in self._validations(header_row, len(header)).items():
            if str(rule.get("inputMessage", "")).startswith(MARK):
                requests_.append({"setDataValidation": {
                    "range": column_range(sheet_id, header_row, column)}})
                changes.done.append(f"removed the dropdown on {header[column]}")
        notes = self._notes()
        if notes:
            requests_ += column_runs(sheet_id, {
                cell: note_cell(merged_note(note, None)) for cell, note in notes.items()},
                "note")
            changes.done.append(f"removed sheetsync's notes from {len(notes)} cells")
        self._send(requests_)
        return changes

    def _add_tab(self, plan: TrackerSetup, meta: Mapping[str, Any],
                 progress: Callable[[int, int], None]) -> None:
        """The tab with the header and the imported rows, as text (RAW: never a formula),
        in bodies of a few thousand rows so a long import shows its progress."""
        sheet_id = new_sheet_id(self.tab, {s["properties"]["sheetId"]
                                           for s in meta.get("sheets", [])})
        rows = [list(plan.header), *map(list, plan.rows)]
        width = max(len(r) for r in rows)
        self._send([{"addSheet": {"properties": {
            "sheetId": sheet_id, "title": self.tab,
            "gridProperties": {"rowCount": max(len(rows) + 200, 1000),
                               "columnCount": max(width, 26)}}}}])
        step = 5000
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            self._send([{"updateCells": {
                "range": {"sheetId": sheet_id, "startRowIndex": start,
                          "endRowIndex": start + len(chunk), "startColumnIndex": 0,
                          "endColumnIndex": width},
                "rows": [{"values": [value_cell(v if v != "" else None) for v in row]}
                         for row in chunk],
                "fields": "userEnteredValue"}}])
            progress(min(start + step, len(rows)) - 1, len(rows) - 1)
        self._refresh()

    def _bound_header(self, plan: TrackerSetup) -> tuple[int, list[Any], dict[str, int]]:
        grid = self.read()
        header_row, header = find_header(grid, plan.schema)
        return header_row, list(header), _where(header)

    def _validations(self, header_row: int, width: int) -> dict[int, dict[str, Any]]:
        """The validation rule on each column's first ticket row, by column."""
        answer = self._call(lambda: self.client.fetch_sheet_metadata(
            self.spreadsheet_id, params={
                "ranges": [a1(self.tab, f"A{header_row + 1}:{column_letter(width - 1)}"
                                        f"{header_row + 1}")],
                "fields": "sheets(data(startColumn,rowData(values(dataValidation))))"}))
        found: dict[int, dict[str, Any]] = {}
        for data in answer.get("sheets", [{}])[0].get("data", []):
            first = data.get("startColumn", 0)
            for row in data.get("rowData", [])[:1]:
                for offset, cell in enumerate(row.get("values", [])):
                    if "dataValidation" in cell:
                        found[first + offset] = cell["dataValidation"]
        return found

    def _notes(self) -> dict[tuple[int, int], str]:
        """Every note of the tab holding a part sheetsync wrote, by (row, column)."""
        answer = self._call(lambda: self.client.fetch_sheet_metadata(
            self.spreadsheet_id, params={"ranges": [a1(self.tab)], "fields":
                                         "sheets(data(startRow,startColumn,"
                                         "rowData(values(note))))"}))
        found: dict[tuple[int, int], str] = {}
        for data in answer.get("sheets", [{}])[0].get("data", []):
            top, left = data.get("startRow", 0), data.get("startColumn", 0)
            for r, row in enumerate(data.get("rowData", [])):
                for c, cell in enumerate(row.get("values", [])):
                    if NOTE_SECTION in cell.get("note", ""):
                        found[(top + r + 1, left + c)] = cell["note"]
        return found

    def _send(self, requests_: Sequence[dict[str, Any]]) -> None:
        """Send requests as few batchUpdates as fit; after a failure the metadata (rules,
        tabs, grid size) is unknown, so it is fetched again next time."""
        try:
            for body in in_batches(requests_):
                self._call(lambda: self.client.batch_update(self.spreadsheet_id,
                                                            {"requests": body}))
        except SheetsyncError:
            self._forget()
            raise

    # --- helpers ---------------------------------------------------------------------------

    def _value(self, row: int, column: int) -> Any:
        cells = self._rows[row - 1] if 0 < row <= len(self._rows) else []
        return cells[column] if column < len(cells) else ""

    def _in_order(self, titles: Sequence[str]) -> list[str]:
        """Column titles in the preset's order (a tab's new columns are added so)."""
        rank = {normalize(n): i for i, c in enumerate(self.schema.columns) for n in c.names}
        return sorted(dict.fromkeys(titles), key=lambda t: rank.get(normalize(t), len(rank)))

    def _key_columns(self, where: Mapping[str, int], targets: set[int]) -> list[int | None]:
        """The ticket ID's column (None when the tab has none yet), then, unless every row
        to write has an ID no other row has, the ones that tell a row without one apart (its
        time, its seller and their name): what the narrow read fetches to find rows again."""
        roles, column = self.schema.roles, self.schema.column
        ticket = _position(column(roles.ticket_id), where)
        if ticket is not None:
            ids = Counter(key_of(row[ticket]) for row in self._rows if ticket < len(row))
            if all((i := key_of(self._value(r, ticket))) and ids[i] == 1 for r in targets):
                return [ticket]
        rest = [p for k in (roles.timestamp, roles.seller, roles.seller_name)
                if (p := _position(column(k), where)) is not None and p != ticket]
        return [ticket, *dict.fromkeys(rest)]

    def _cells(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Any] | None:
        """A few cells, by (column, row), values and notes (narrow cells: `narrow_cells`),
        in one request (a data filter each). None when Google refuses that many filters in
        one request (a 400 or 413: it publishes no limit), so the write reads their columns
        whole instead of failing every cycle."""
        if not wanted:
            return {}
        cells = [a1(self.tab, f"{column_letter(c)}{r}") for c, r in sorted(wanted)]

        def send() -> dict[str, Any] | None:
            try:
                return self.client.fetch_cells(self.spreadsheet_id, {"fields": NARROW_FIELDS},
                                               cells)
            except APIError as exc:
                if exc.code not in (400, 413):
                    raise  # (a range that no longer parses fails the whole-column read too)
                logs.event("cells read refused", logging.WARNING, service="sheets",
                           cells=len(cells), status=exc.code, reading="their columns whole")
                return None

        answer = self._call(send)
        if answer is None:
            return None
        found: dict[tuple[int, int], Any] = {}
        for data in grid_data(answer):
            column, first = data.get("startColumn", 0), data.get("startRow", 0) + 1
            for i, cell in enumerate(data.get("rowData") or ()):
                found[(column, first + i)] = cell
        return found

    def _narrow_read(self, columns: Sequence[int], first: int, last: int = 0
                     ) -> dict[int, list[Any]]:
        """Each column's cells from row `first` (to `last`, or the end), values and notes
        (narrow cells: `narrow_cells`), in one request."""
        if not columns:
            return {}
        end = str(last) if last else ""
        ranges = [a1(self.tab, f"{column_letter(c)}{first}:{column_letter(c)}{end}")
                  for c in columns]
        return {data.get("startColumn", 0): data.get("rowData", [])
                for data in self._fetch_cells(ranges)}

    def _fetch_cells(self, ranges: Sequence[str]) -> list[dict[str, Any]]:
        """The GridData of single-column ranges, their cells parsed small."""
        answer = self._call(lambda: self.client.fetch_cells(
            self.spreadsheet_id, {"ranges": ranges, "fields": NARROW_FIELDS}))
        return grid_data(answer)

    def _highlights(self, header: Sequence[Any], where: Mapping[str, int], header_row: int
                    ) -> list[dict[str, Any]]:
        """Requests that leave one highlight rule per checked column.

        A deletion is computed from metadata fetched just now (deleting by index from stale
        metadata could delete a person's rule); an addition from metadata under a minute old.
        """
        roles = self.schema.roles
        notes = where.get(normalize(self.schema.column(roles.sync_notes).header))
        if notes is None:
            return []
        sheet = self._sheet_metadata(self.tab)
        sheet_id = sheet["properties"]["sheetId"]
        wanted = []
        for column in self.schema.columns:
            if column.owner == "daemon" or column.key in (roles.sync_notes, roles.ticket_id):
                continue  # only a person's cells are checked
            position = _position(column, where)
            if position is not None and position < len(header):
                wanted.append(mark_rule(sheet_id, header_row, position, str(header[position]),
                                        notes))
        changes = reconcile_rules(sheet_id, sheet.get("conditionalFormats", []), wanted)
        if not changes:
            return []
        if self.clock() - self._meta_at > FRESH or any(
                "deleteConditionalFormatRule" in c for c in changes):
            self._refresh()
            sheet = self._sheet_metadata(self.tab)
            changes = reconcile_rules(sheet_id, sheet.get("conditionalFormats", []), wanted)
        sheet["conditionalFormats"] = with_changes(sheet.get("conditionalFormats", []), changes)
        self._save_metadata()
        return changes

    # --- metadata --------------------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        """The spreadsheet's metadata: from memory, the cache file, or Google (hourly)."""
        if self._meta is not None and self.clock() - self._meta_at < METADATA_MAX_AGE:
            return self._meta
        if self._meta is None:
            try:
                saved = json.loads(self.cache_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = {}
            if saved.get("spreadsheetId") == self.spreadsheet_id and \
                    self.clock() - saved.get("fetched_at", 0) < METADATA_MAX_AGE:
                self._meta, self._meta_at = saved["metadata"], saved["fetched_at"]
                self._check_zone(self._meta)
                return self._meta
        return self._refresh()

    def _refresh(self) -> dict[str, Any]:
        first = self._meta is None
        self._meta = self._call(lambda: dict(self.client.fetch_sheet_metadata(
            self.spreadsheet_id, params={"fields": METADATA_FIELDS})))
        self._meta_at = self.clock()
        self._save_metadata()
        if first:
            self._check_zone(self._meta)
        return self._meta

    def _forget(self) -> None:
        self._meta = None
        self.cache_path.unlink(missing_ok=True)

    def _save_metadata(self) -> None:
        temporary = self.cache_path.with_name(self.cache_path.name + ".tmp")
        try:
            temporary.write_text(json.dumps({
                "spreadsheetId": self.spreadsheet_id, "fetched_at": self._meta_at,
                "metadata": self._meta}), encoding="utf-8")
            os.replace(temporary, self.cache_path)
        except OSError as exc:  # a cache: losing it costs a read, not a cycle
            logs.event("metadata cache not saved", logging.WARNING, error=str(exc))

    def _sheet_metadata(self, tab: str) -> dict[str, Any]:
        """One tab's metadata; fetched again once if the cached copy does not have the tab
        (it may be new, or renamed back)."""
        for attempt in range(2):
            meta = self._metadata() if attempt == 0 else self._refresh()
            for sheet in meta.get("sheets", []):
                if sheet["properties"]["title"] == tab:
                    return sheet  # type: ignore[no-any-return]
        raise self._no_tab(tab, meta)

    def _no_tab(self, tab: str, meta: Mapping[str, Any]) -> TrackerError:
        titles = self._titles(meta)
        return TrackerError(
            f'spreadsheet {self.spreadsheet_id} has no tab named "{tab}" '
            f'(tabs: {", ".join(titles) or "none"}); it may have been renamed: set '
            "tracker.tab in sheetsync.toml to the tab's name")

    @staticmethod
    def _titles(meta: Mapping[str, Any]) -> list[str]:
        return [s["properties"]["title"] for s in meta.get("sheets", [])]

    def _zone(self) -> ZoneInfo:
        """The spreadsheet's own timezone: serial dates are wall-clock times in it."""
        name = self._metadata().get("properties", {}).get("timeZone")
        try:
            return ZoneInfo(name) if name else self.timezone
        except (ZoneInfoNotFoundError, ValueError):
            return self.timezone  # a custom zone ("GMT-07:00"): the configured one instead

    def _check_zone(self, meta: Mapping[str, Any]) -> None:
        name = meta.get("properties", {}).get("timeZone")
        if name and name != self.timezone.key:
            logs.event("spreadsheet timezone differs", logging.WARNING,
                       spreadsheet_timezone=name, configured=self.timezone.key,
                       fix="dates typed in the sheet are read in the spreadsheet's zone and "
                       "shown in the configured one; set File > Settings > Time zone, or "
                       "timezone in sheetsync.toml, so that both agree")

    # --- errors ----------------------------------------------------------------------------

    def _call(self, send: Callable[[], T]) -> T:
        """One request, its failure told in words that say what to do."""
        try:
            return send()
        except RefreshError as exc:
            raise TrackerError(
                f"spreadsheet {self.spreadsheet_id}: Google refused the credentials "
                f"({_short(exc)}): the key may be expired or revoked; make a new key and point "
                "GOOGLE_APPLICATION_CREDENTIALS at it") from None
        except APIError as exc:
            raise self._explain(exc) from None
        except GoogleAuthError as exc:  # TransportError: the token's refresh got no answer
            raise SheetsyncError(
                f"spreadsheet {self.spreadsheet_id}: no answer from Google's sign-in "
                f"({_short(exc)}); sheetsync tries again next cycle") from None
        except NETWORK as exc:  # dropped, reset, timed out, cut mid-body
            raise SheetsyncError(
                f"spreadsheet {self.spreadsheet_id}: no answer from Google Sheets "
                f"({describe(exc)}); sheetsync tries again next cycle") from None

    def _explain(self, exc: APIError) -> SheetsyncError:
        code, message = exc.code, str(exc.error.get("message", ""))
        sid = self.spreadsheet_id
        if code == 401:
            return TrackerError(
                f"spreadsheet {sid}: Google refused the credentials ({message}): the key may "
                "be expired or revoked; make a new key and point GOOGLE_APPLICATION_CREDENTIALS "
                "at it")
        if code == 403:
            if "has not been used" in message or "is disabled" in message:
                return TrackerError(f"spreadsheet {sid}: {message} (enable the API in the "
                                    "Google Cloud project of the credentials)")
            if "insufficient authentication scopes" in message:
                return TrackerError(f"spreadsheet {sid}: the credentials lack a scope "
                                    f"sheetsync needs ({', '.join(SCOPES)})")
            return TrackerError(
                f"spreadsheet {sid} is not shared with {self.who()}: in Google Sheets, Share "
                "it with that address as an Editor")
        if code == 404 and "File not found" in message:  # Drive hides what it will not show
            return TrackerError(
                f"spreadsheet {sid} not found by Drive: it was deleted, or it is not shared "
                f"with {self.who()} (Share it with that address as an Editor)")
        if code == 404:
            return TrackerError(
                f"spreadsheet {sid} not found: it was deleted, or tracker.spreadsheet_id is "
                "wrong")
        if code == 400:
            self._forget()  # the metadata may be stale (a tab renamed): fetch it again
        if code == 400 and "Unable to parse range" in message:
            return TrackerError(
                f'spreadsheet {sid}: no tab named "{self.tab}" ({message}); it may have been '
                "renamed: set tracker.tab in sheetsync.toml to the tab's name")
        if code in (408, 429) or code >= 500:
            return SheetsyncError(
                f"spreadsheet {sid}: Google Sheets answered {code} ({message}) after "
                "retries; sheetsync tries again next cycle")
        return SheetsyncError(f"spreadsheet {sid}: Google Sheets answered {code}: {message}")


def _cell(fresh: Mapping[int, Sequence[Any]], column: int, index: int) -> Any:
    """A cell of the narrow read ("" when it is empty)."""
    cells = fresh.get(column, ())
    return cells[index] if 0 <= index < len(cells) else ""


def _key_now(cell: Any, kind: str | None, zone: tzinfo) -> Any:
    """A narrow read's cell as a key, to compare with the read's: its value, a serial number
    in a date column read as the date it is."""
    value = narrow_value(cell)
    return key_of(read_serial(value, kind, zone) if kind else value)


def _moved(header: Sequence[Any], columns: Sequence[int], now: Callable[[int], Any]
           ) -> str | None:
    """Why the write waits when a column's header (`now`, from the narrow read) is no longer
    the one the cycle read: a person moved or renamed the column meanwhile."""
    moved = [column_letter(c) for c in columns if not same_value(header[c], narrow_value(now(c)))]
    if not moved:
        return None
    return (f"column{'s' if len(moved) > 1 else ''} {', '.join(moved)} moved or changed while "
            "sheetsync was writing; it writes next cycle")


def _where(header: Sequence[Any]) -> dict[str, int]:
    """Each header's position by its normalized text (the first, where two read alike)."""
    return {normalize(str(h)): i for i, h in reversed(list(enumerate(header)))
            if not is_blank(h)}


def _position(column: Column, where: Mapping[str, int]) -> int | None:
    """Where a schema column is in a header (by its name or an alias), if it is there."""
    return next((where[normalize(n)] for n in column.names if normalize(n) in where), None)


def _new_columns(titles: Sequence[str], where: Mapping[str, int], width: int
                 ) -> dict[str, int]:
    """Columns to add after the last header, for cells whose column the tab lacks."""
    added: dict[str, int] = {}
    for title in titles:
        if normalize(title) not in where and title not in added:
            added[title] = width + len(added)
    return added


def _identity(auth: object, *names: str) -> str:
    """Who the credentials are to Google's quotas (a user, a project): the first of these
    attributes they have ("" when none: one budget for every such tracker)."""
    return next((str(v) for n in names if (v := getattr(auth, n, None))), "")


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
