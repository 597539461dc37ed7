"""The fake Google Sheets/Drive answers the real gspread HTTP client the way Google does: reads
pad and trim like Google, masks select, batches apply atomically, the Drive version moves on
every change, faults and quota look like Google's, and a body Google would reject fails loudly."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import google.auth.exceptions
import pytest
import requests
from google.oauth2.credentials import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from tests.fake_google import (SPREADSHEET_ID, FakeSheets, a1, column_index, column_letter,
                               format_pattern, parse_a1, parse_mask, select, serial)
from tests.test_google_discovery import SHEETSYNC_BATCH, SHEETSYNC_VALUES

SID = SPREADSHEET_ID
DRIVE = f"https://www.googleapis.com/drive/v3/files/{SID}"
HEADER: list[object] = ["Ticket ID", "WhatsApp Number", "Seller Name", "Issue Type", "Status",
                        "Assigned To", "Notes", "Timestamp"]
ROWS: list[list[object]] = [
    HEADER,
    ["T-0001", 919876543210, "Sharma General Store", "Bug", "Open", "Priya", "",
     datetime(2026, 11, 24, 10, 30)],
    ["T-0002", "", "Gupta Traders", "Billing", "Escalated", "", "", date(2026, 11, 24)],
    ["T-0003", "+91 98765 43211", "Rao & Sons", "Bug", "Resolved", "Rahul", "", 1.5],
]


def credentials(token: str, **refresh: Any) -> Credentials:
    """OAuth user credentials as the backend holds them (google-auth's constructor is
    untyped)."""
    made: Credentials = Credentials(token=token, **refresh)  # type: ignore[no-untyped-call]
    return made


class Clock:
    """An injected clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeSheets]:
    fake = FakeSheets(clock=clock)
    fake.add_spreadsheet(SID, {"Tickets": ROWS, "My Tab": [["a", "", "c"]]})
    with fake.installed():
        yield fake


@pytest.fixture
def client(fake: FakeSheets) -> HTTPClient:
    return HTTPClient(auth=credentials("fake-token"))


def value_ranges(client: HTTPClient, ranges: list[str], **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.values_batch_get(SID, ranges, params=params)[
        "valueRanges"]
    return found


def code_of(error: pytest.ExceptionInfo[APIError]) -> tuple[int, str]:
    return error.value.code, str(error.value.error.get("message"))


# --- reading -------------------------------------------------------------------------------


def test_values_are_trimmed_padded_and_formatted_like_google(client: HTTPClient) -> None:
    whole, column, empty = value_ranges(client, ["'Tickets'!A1:Z", "Tickets!B2:B1000",
                                                 "'My Tab'!D:D"])
    assert whole["range"] == "Tickets!A1:Z1000" and whole["majorDimension"] == "ROWS"
    assert whole["values"][1] == ["T-0001", "919876543210", "Sharma General Store", "Bug",
                                  "Open", "Priya", "", "11/24/2026 10:30:00"]
    assert whole["values"][2] == ["T-0002", "", "Gupta Traders", "Billing", "Escalated", "", "",
                                  "11/24/2026"]
    assert whole["values"][3][-1] == "1.5"
    assert len(whole["values"]) == 4  # trailing empty rows omitted
    assert column == {"range": "Tickets!B2:B1000", "majorDimension": "ROWS",
                      "values": [["919876543210"], [], ["+91 98765 43211"]]}
    assert empty == {"range": "'My Tab'!D1:D1000", "majorDimension": "ROWS"}  # no values


def test_answers_are_indented_unless_the_query_says_pretty_print_false(
        client: HTTPClient) -> None:
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{SID}/values:batchGet"
    indented = client.request("get", url, params={"ranges": "Tickets"}).content
    compact = client.request("get", url, params={"ranges": "Tickets",
                                                 "prettyPrint": "false"}).content
    assert indented.startswith(b'{\n  "spreadsheetId": ')  # Google's default: two spaces
    assert b"\n" not in compact and b'":"' in compact
    assert json.loads(indented) == json.loads(compact)


def test_answers_carry_non_ascii_text_raw_and_escape_angle_brackets_as_google_does(
        fake: FakeSheets, client: HTTPClient) -> None:
    fake.edit("My Tab", 1, "A", "Refund 😡 for गुप्ता <b>")
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{SID}/values:batchGet"
    content = client.request("get", url, params={"ranges": "'My Tab'!A1",
                                                 "prettyPrint": "false"}).content
    assert "Refund 😡 for गुप्ता \\u003cb\\u003e".encode() in content  # UTF-8, not \\u escapes
    assert json.loads(content)["valueRanges"][0]["values"] == [["Refund 😡 for गुप्ता <b>"]]


def test_unformatted_values_keep_their_types(client: HTTPClient) -> None:
    (raw,) = value_ranges(client, ["Tickets!A2:H3"], valueRenderOption="UNFORMATTED_VALUE")
    assert raw["values"][0][1] == 919876543210
    assert raw["values"][0][7] == serial(datetime(2026, 11, 24, 10, 30)) == 46350.4375
    assert raw["values"][1][7] == 46350
    (dated,) = value_ranges(client, ["Tickets!H2"], valueRenderOption="UNFORMATTED_VALUE",
                            dateTimeRenderOption="FORMATTED_STRING")
    assert dated == {"range": "Tickets!H2", "majorDimension": "ROWS",
                     "values": [["11/24/2026 10:30:00"]]}
    (columns,) = value_ranges(client, ["Tickets!A1:B2"], majorDimension="COLUMNS")
    assert columns["values"] == [["Ticket ID", "T-0001"], ["WhatsApp Number", "919876543210"]]


def test_a_missing_tab_or_a_range_off_the_grid_is_a_400(client: HTTPClient) -> None:
    with pytest.raises(APIError) as missing:
        value_ranges(client, ["'Nope'!A1:Z"])
    assert code_of(missing) == (400, "Unable to parse range: 'Nope'!A1:Z")
    assert missing.value.error["status"] == "INVALID_ARGUMENT"
    with pytest.raises(APIError) as wide:
        value_ranges(client, ["Tickets!A1:AB2"])
    assert code_of(wide) == (400, "Range (Tickets!AA1) exceeds grid limits. Max rows: 1000, "
                                  "max columns: 26")


def test_a_field_mask_selects_only_the_named_fields(client: HTTPClient) -> None:
    titles = client.fetch_sheet_metadata(SID, params={"fields": "sheets.properties.title"})
    assert titles == {"sheets": [{"properties": {"title": "Tickets"}},
                                 {"properties": {"title": "My Tab"}}]}
    mixed = client.fetch_sheet_metadata(SID, params={
        "fields": "properties(title,timeZone),sheets(properties(sheetId,gridProperties("
                  "rowCount)))"})
    assert mixed == {"properties": {"title": "Seller Support Tracker",
                                    "timeZone": "Asia/Kolkata"},
                     "sheets": [{"properties": {"sheetId": 0,
                                                "gridProperties": {"rowCount": 1000}}},
                                {"properties": {"sheetId": mixed["sheets"][1]["properties"][
                                    "sheetId"], "gridProperties": {"rowCount": 1000}}}]}
    with pytest.raises(APIError) as bad:
        client.fetch_sheet_metadata(SID, params={"fields": "sheets.properties.titel"})
    assert code_of(bad) == (400, "Invalid field selection sheets.properties.titel")


def test_grid_data_for_ranges_carries_notes_fills_and_validation(fake: FakeSheets,
                                                                 client: HTTPClient) -> None:
    fake.set_note("Tickets", 3, "B", "sheetsync: the number is missing")
    fake.set_fill("Tickets", 3, "C", "#ffcc00")
    fake.set_validation("Tickets", 2, "E", {"condition": {"type": "ONE_OF_LIST", "values": [
        {"userEnteredValue": "Open"}]}, "showCustomUi": True})
    got = client.fetch_sheet_metadata(SID, params={
        "ranges": ["Tickets!B2:E3", "'My Tab'!A1:C1"],
        "fields": "sheets(properties(title),data(startRow,startColumn,rowData(values("
                  "formattedValue,note,dataValidation,userEnteredFormat.backgroundColorStyle"
                  "))))"})
    tickets, my_tab = got["sheets"]
    (data,) = tickets["data"]
    assert (data["startRow"], data["startColumn"]) == (1, 1)
    first, second = data["rowData"]
    assert first["values"][-1] == {"formattedValue": "Open", "dataValidation": {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Open"}]},
        "showCustomUi": True}}
    assert second["values"][0] == {"note": "sheetsync: the number is missing"}  # blank + note
    assert second["values"][1] == {"formattedValue": "Gupta Traders", "userEnteredFormat": {
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 0.8}}}}
    assert my_tab["data"] == [{"rowData": [{"values": [{"formattedValue": "a"}, {},
                                                       {"formattedValue": "c"}]}]}]


def test_the_whole_resource_without_a_mask(fake: FakeSheets, client: HTTPClient) -> None:
    fake.set_fill("Tickets", 2, "A", (1, 0, 0))
    got = client.fetch_sheet_metadata(SID, params={"includeGridData": "true",
                                                   "ranges": ["Tickets!A2"]})
    (sheet,) = got["sheets"]  # only the tabs the ranges name
    assert sheet["properties"] == {"sheetId": 0, "title": "Tickets", "index": 0,
                                   "sheetType": "GRID",
                                   "gridProperties": {"rowCount": 1000, "columnCount": 26}}
    (cell,) = sheet["data"][0]["rowData"][0]["values"]
    assert cell["userEnteredValue"] == cell["effectiveValue"] == {"stringValue": "T-0001"}
    assert cell["userEnteredFormat"]["backgroundColor"] == {"red": 1}
    assert cell["effectiveFormat"]["backgroundColorStyle"] == {"rgbColor": {"red": 1}}
    assert got["spreadsheetUrl"].endswith(f"/d/{SID}/edit")
    bare = client.fetch_sheet_metadata(SID)  # gspread's default: includeGridData=false
    assert all("data" not in s for s in bare["sheets"])


# --- writing -------------------------------------------------------------------------------


def test_sheetsyncs_batch_applies_and_replies(fake: FakeSheets, client: HTTPClient) -> None:
    reply = client.batch_update(SID, SHEETSYNC_BATCH)
    assert reply["spreadsheetId"] == SID
    assert reply["replies"][:3] == [{}, {}, {}]
    protected = reply["replies"][3]["addProtectedRange"]["protectedRange"]
    assert protected["warningOnly"] and isinstance(protected["protectedRangeId"], int)
    assert fake.note("Tickets", 2, "B") == "sheetsync: the WhatsApp number has 9 digits"
    assert fake.validation("Tickets", 999, "E") == \
        SHEETSYNC_BATCH["requests"][1]["setDataValidation"]["rule"]
    assert fake.effective_fill("Tickets", 3, "A") == (0.96, 0.8, 0.8)  # Escalated row
    assert fake.effective_fill("Tickets", 2, "A") is None
    assert fake.tab("Tickets").protected_ranges == [protected]
    values = client.values_batch_update(SID, SHEETSYNC_VALUES)
    assert values["totalUpdatedCells"] == 3 and values["totalUpdatedSheets"] == 1
    assert [r["updatedRange"] for r in values["responses"]] == ["Tickets!A2:A3", "Tickets!H2"]


def test_a_batch_applies_atomically(fake: FakeSheets, client: HTTPClient) -> None:
    before = fake.version()
    body = copy.deepcopy(SHEETSYNC_BATCH)
    body["requests"].append({"updateCells": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 26,
                  "endColumnIndex": 27}, "rows": [{"values": [{"note": "x"}]}],
        "fields": "note"}})
    with pytest.raises(APIError) as error:
        client.batch_update(SID, body)
    assert code_of(error) == (400, "Invalid requests[4].updateCells: Range (Tickets!AA1) "
                                   "exceeds grid limits. Max rows: 1000, max columns: 26")
    assert fake.note("Tickets", 2, "B") is None and fake.validation("Tickets", 2, "E") is None
    assert fake.tab("Tickets").conditional_formats == []
    assert fake.tab("Tickets").protected_ranges == []
    assert fake.version() == before
    for request, message in [
        ({"deleteProtectedRange": {"protectedRangeId": 99}}, "No protected range with id: 99"),
        ({"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
         "No conditional format on sheet: 0 at index: 0"),
        ({"updateCells": {"range": {"sheetId": 5}, "fields": "note"}}, "No grid with id: 5"),
    ]:
        with pytest.raises(APIError) as rejected:
            client.batch_update(SID, {"requests": [request]})
        assert message in code_of(rejected)[1]


def test_update_cells_clears_masked_fields_it_is_not_given(fake: FakeSheets,
                                                           client: HTTPClient) -> None:
    for row in (2, 3, 4):
        fake.set_note("Tickets", row, "B", f"note {row}")
    fake.set_fill("Tickets", 2, "B", "#ff0000")
    client.batch_update(SID, {"requests": [{"updateCells": {
        "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 1,
                  "endColumnIndex": 2}, "fields": "note"}}]})  # no rows: clears the notes
    assert [fake.note("Tickets", r, "B") for r in (2, 3, 4)] == [None, None, "note 4"]
    assert fake.value("Tickets", 2, "B") == 919876543210  # not in the mask: kept
    assert fake.fill("Tickets", 2, "B") == (1.0, 0.0, 0.0)
    client.batch_update(SID, {"requests": [{"updateCells": {
        "start": {"sheetId": 0, "rowIndex": 3, "columnIndex": 1},
        "rows": [{"values": [{"userEnteredValue": {"stringValue": "9198"}}]}],
        "fields": "userEnteredValue,note"}}]})
    assert (fake.value("Tickets", 4, "B"), fake.note("Tickets", 4, "B")) == ("9198", None)
    client.batch_update(SID, {"requests": [{"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
        "fields": "userEnteredFormat.textFormat.bold"}}]})
    assert fake.cell("Tickets", 1, "Z")["userEnteredFormat"] == {"textFormat": {"bold": True}}
    client.batch_update(SID, {"requests": [{"updateCells": {
        "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 1,
                  "endColumnIndex": 2},
        "fields": "userEnteredFormat.backgroundColorStyle"}}]})
    assert fake.fill("Tickets", 2, "B") is None


def test_raw_stores_strings_and_user_entered_parses_them(fake: FakeSheets,
                                                         client: HTTPClient) -> None:
    client.values_batch_update(SID, {"valueInputOption": "RAW", "data": [
        {"range": "Tickets!G2:G3", "values": [["=HYPERLINK(\"x\")"], ["+919876543210"]]}]})
    assert fake.formula("Tickets", 2, "G") is None
    assert fake.values("Tickets")[1][6] == "=HYPERLINK(\"x\")"
    assert fake.value("Tickets", 3, "G") == "+919876543210"
    client.values_batch_update(SID, {"valueInputOption": "USER_ENTERED", "data": [
        {"range": "Tickets!I2", "values": [["=IMPORTXML(\"http://evil\")", "2023-06-15 10:25",
                                            "+919876543210", "TRUE"]]},
        {"range": "Tickets!H3", "values": [["2023-06-15 10:25"]]}]})
    assert fake.formula("Tickets", 2, "I") == "=IMPORTXML(\"http://evil\")"  # injected
    assert fake.value("Tickets", 2, "J") == datetime(2023, 6, 15, 10, 25)
    assert fake.value("Tickets", 2, "K") == 919876543210  # Sheets eats the plus
    (shown,) = value_ranges(client, ["Tickets!J2:L3"])
    assert shown["values"] == [["2023-06-15 10:25", "919876543210", "TRUE"]]
    (kept,) = value_ranges(client, ["Tickets!H3"])  # a formatted cell keeps its format
    assert kept["values"] == [["6/15/2023"]]
    with pytest.raises(APIError) as missing:
        client.values_batch_update(SID, {"data": [{"range": "Tickets!A2", "values": [["x"]]}]})
    assert code_of(missing) == (400, "'valueInputOption' is required but not specified")
    with pytest.raises(APIError) as overflow:
        client.values_batch_update(SID, {"valueInputOption": "RAW", "data": [
            {"range": "Tickets!A2:A3", "values": [["a"], ["b"], ["c"]]}]})
    assert "Requested writing within range [Tickets!A2:A3], but tried writing to row [4]" in \
        code_of(overflow)[1]


def test_sheet_structure_requests(fake: FakeSheets, client: HTTPClient) -> None:
    reply = client.batch_update(SID, {"requests": [
        {"addSheet": {"properties": {"title": "Summary", "gridProperties": {"rowCount": 50,
                                                                            "columnCount": 5}}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {
            "frozenRowCount": 1}}, "fields": "gridProperties.frozenRowCount"}},
        {"setBasicFilter": {"filter": {"range": {"sheetId": 0, "startRowIndex": 0,
                                                 "endRowIndex": 4}}}},
        {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 2}},
        {"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "COLUMNS",
                                                 "startIndex": 0, "endIndex": 1},
                                       "properties": {"pixelSize": 120}, "fields": "pixelSize"}},
        {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}},
        {"mergeCells": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1,
                                  "startColumnIndex": 0, "endColumnIndex": 2},
                        "mergeType": "MERGE_ALL"}},
    ]})
    summary = reply["replies"][0]["addSheet"]["properties"]
    assert summary["title"] == "Summary" and summary["index"] == 2
    tickets = fake.tab("Tickets")
    assert (tickets.frozen_row_count, tickets.column_count) == (1, 28)
    assert tickets.basic_filter == {"range": {"sheetId": 0, "startRowIndex": 0,
                                              "endRowIndex": 4}}
    chart = client.batch_update(SID, {"requests": [{"addChart": {"chart": {
        "spec": {"title": "Tickets by status", "basicChart": {"chartType": "COLUMN"}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": summary["sheetId"]}}}}}}]})
    chart_id = chart["replies"][0]["addChart"]["chart"]["chartId"]
    assert fake.tab("Summary").charts[0]["chartId"] == chart_id
    client.batch_update(SID, {"requests": [
        {"deleteEmbeddedObject": {"objectId": chart_id}},
        {"clearBasicFilter": {"sheetId": 0}},
        {"updateSheetProperties": {"properties": {"sheetId": summary["sheetId"],
                                                  "title": "Report", "index": 0},
                                   "fields": "title,index"}},
    ]})
    assert [t.title for t in fake.spreadsheet().tabs] == ["Report", "Tickets", "My Tab"]
    assert fake.tab("Report").charts == [] and tickets.basic_filter is None
    client.batch_update(SID, {"requests": [{"deleteSheet": {"sheetId": summary["sheetId"]}}]})
    with pytest.raises(APIError) as duplicate:
        client.batch_update(SID, {"requests": [{"addSheet": {"properties": {"title": "My Tab"}}}]})
    assert 'A sheet with the name "My Tab" already exists' in code_of(duplicate)[1]


def test_rows_inserted_and_deleted_move_cells_and_ranges(fake: FakeSheets,
                                                         client: HTTPClient) -> None:
    client.batch_update(SID, SHEETSYNC_BATCH)
    fake.set_note("Tickets", 3, "A", "second ticket")
    client.batch_update(SID, {"requests": [{"insertDimension": {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3},
        "inheritFromBefore": False}}]})
    assert fake.value("Tickets", 4, "A") == "T-0001" and fake.note("Tickets", 5, "A") == \
        "second ticket"
    assert fake.validation("Tickets", 2, "E") is not None  # inherited from the row after
    rule = fake.tab("Tickets").conditional_formats[0]
    assert (rule["ranges"][0]["startRowIndex"], rule["ranges"][0]["endRowIndex"]) == (3, 1002)
    client.batch_update(SID, {"requests": [{"deleteDimension": {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}}]})
    assert [r[0] for r in fake.values("Tickets")] == ["Ticket ID", "T-0001", "T-0002",
                                                      "T-0003"]
    assert fake.tab("Tickets").row_count == 1000
    assert rule["ranges"][0]["startRowIndex"] == 1
    reply = client.batch_update(SID, {"requests": [
        {"updateConditionalFormatRule": {"sheetId": 0, "index": 0, "rule": {
            **rule, "booleanRule": {**rule["booleanRule"], "format": {
                "backgroundColor": {"green": 1}}}}}},
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}}]})
    assert reply["replies"][0]["updateConditionalFormatRule"]["oldRule"] == rule
    assert fake.tab("Tickets").conditional_formats == []


# --- the Drive version -----------------------------------------------------------------------


def test_the_version_moves_on_every_change_and_never_on_reads(fake: FakeSheets,
                                                              client: HTTPClient,
                                                              clock: Clock) -> None:
    def drive() -> dict[str, Any]:
        found: dict[str, Any] = client.request("get", DRIVE, params={
            "fields": "version,modifiedTime", "supportsAllDrives": True}).json()
        return found

    start = drive()
    assert set(start) == {"version", "modifiedTime"} and isinstance(start["version"], str)
    value_ranges(client, ["Tickets"])
    client.fetch_sheet_metadata(SID)
    assert drive() == start
    seen = [int(start["version"])]
    clock.now += 5
    client.values_batch_update(SID, SHEETSYNC_VALUES)
    seen.append(int(drive()["version"]))
    client.batch_update(SID, SHEETSYNC_BATCH)
    seen.append(int(drive()["version"]))
    fake.edit("Tickets", 2, "E", "Resolved")
    seen.append(int(drive()["version"]))
    fake.sort("Tickets", "C")
    seen.append(int(drive()["version"]))
    assert seen == sorted(set(seen)) and len(seen) == 5
    assert drive()["modifiedTime"] > start["modifiedTime"]
    assert fake.version() == seen[-1]


# --- faults, quota, access ----------------------------------------------------------------


def test_a_429_fault_is_googles_quota_error(fake: FakeSheets, client: HTTPClient) -> None:
    fake.fail("values.batchGet", "429")
    with pytest.raises(APIError) as error:
        value_ranges(client, ["Tickets"])
    assert error.value.code == 429
    assert error.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert error.value.error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user'")
    assert error.value.error["details"][0]["metadata"]["quota_limit"] == \
        "ReadRequestsPerMinutePerUser"
    value_ranges(client, ["Tickets"])  # one shot
    fake.fail("batchUpdate", "429-retry-after")
    with pytest.raises(APIError) as write:
        client.batch_update(SID, SHEETSYNC_BATCH)
    assert write.value.response.headers["Retry-After"] == "7"
    assert "'Write requests'" in write.value.error["message"]
    assert fake.tab("Tickets").protected_ranges == []


def test_quota_allows_60_reads_in_any_minute(fake: FakeSheets, client: HTTPClient,
                                             clock: Clock) -> None:
    for _ in range(60):
        clock.now += 0.5
        client.fetch_sheet_metadata(SID, params={"fields": "spreadsheetId"})
    with pytest.raises(APIError) as error:
        value_ranges(client, ["Tickets!A1"])
    assert error.value.code == 429
    client.batch_update(SID, SHEETSYNC_BATCH)  # writes have their own quota
    client.request("get", DRIVE, params={"fields": "version"})  # Drive is not Sheets quota
    clock.now += 30.6  # the first read (at +0.5 s) leaves the window
    value_ranges(client, ["Tickets!A1"])
    with pytest.raises(APIError):
        value_ranges(client, ["Tickets!A1"])
    assert fake.reads() == 63 and fake.writes() == 1 and fake.rate_limited == 2


@pytest.mark.parametrize("kind, raised, applied", [
    ("500", APIError, False), ("503", APIError, False),
    ("timeout", requests.exceptions.ReadTimeout, False),
    ("timeout-after-apply", requests.exceptions.ReadTimeout, True),
    ("drop", requests.exceptions.ConnectionError, False),
])
def test_faults_before_and_after_applying(fake: FakeSheets, client: HTTPClient, kind: str,
                                          raised: type[Exception], applied: bool) -> None:
    fake.fail("values.batchUpdate", kind)
    version = fake.version()
    with pytest.raises(raised) as error:
        client.values_batch_update(SID, {"valueInputOption": "RAW", "data": [
            {"range": "Tickets!G2", "values": [["sheetsync: escalated"]]}]})
    if isinstance(error.value, APIError):
        assert error.value.error["status"] == {"500": "INTERNAL", "503": "UNAVAILABLE"}[kind]
    assert (fake.value("Tickets", 2, "G") == "sheetsync: escalated") is applied
    assert fake.version() == version + applied
    assert fake.counts()["values.batchUpdate"] == 1


def test_a_person_acts_between_the_read_and_the_write(fake: FakeSheets,
                                                      client: HTTPClient) -> None:
    value_ranges(client, ["Tickets"])

    def person() -> None:
        fake.insert_rows("Tickets", 2, [["T-0009"]])
        fake.sort("Tickets", "A", descending=True)

    fake.before("batchUpdate", person)
    client.batch_update(SID, SHEETSYNC_BATCH)  # its note lands on row 2: now T-0009's
    assert fake.values("Tickets")[1][0] == "T-0009"
    assert fake.note("Tickets", 2, "B") == "sheetsync: the WhatsApp number has 9 digits"


def test_access_errors_look_like_googles(fake: FakeSheets, client: HTTPClient) -> None:
    with pytest.raises(APIError) as unknown:
        client.fetch_sheet_metadata("1NoSuchSpreadsheet")
    assert code_of(unknown) == (404, "Requested entity was not found.")
    fake.unshare(SID)
    with pytest.raises(APIError) as forbidden:
        value_ranges(client, ["Tickets"])
    assert code_of(forbidden) == (403, "The caller does not have permission")
    assert forbidden.value.error["status"] == "PERMISSION_DENIED"
    with pytest.raises(APIError) as hidden:
        client.request("get", DRIVE, params={"fields": "version"})
    assert code_of(hidden) == (404, f"File not found: {SID}.")
    fake.reshare(SID)
    fake.delete_spreadsheet(SID)
    with pytest.raises(APIError) as gone:
        client.batch_update(SID, SHEETSYNC_BATCH)
    assert gone.value.code == 404


def test_a_wrong_token_is_401_and_a_refresh_fails_the_test(fake: FakeSheets) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer someone-elses-token"
    with pytest.raises(APIError) as error:
        HTTPClient(auth=None, session=session).fetch_sheet_metadata(SID)  # type: ignore[arg-type]
    assert error.value.code == 401 and error.value.error["status"] == "UNAUTHENTICATED"
    # google-auth answers a 401 by refreshing; a token without a refresh token cannot.
    with pytest.raises(google.auth.exceptions.RefreshError):
        HTTPClient(auth=credentials("stale")).fetch_sheet_metadata(SID)
    expired = credentials("old", refresh_token="r", client_id="c", client_secret="s",
                          token_uri="https://oauth2.googleapis.com/token",
                          expiry=datetime(2020, 1, 1))
    with pytest.raises(AssertionError, match="token refresh attempted"):
        HTTPClient(auth=expired).fetch_sheet_metadata(SID)


# --- strictness ----------------------------------------------------------------------------


def test_a_body_google_would_reject_fails_loudly(fake: FakeSheets, client: HTTPClient) -> None:
    with pytest.raises(AssertionError, match="'warningonly' was unexpected"):
        client.batch_update(SID, {"requests": [{"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": 0}, "warningonly": True}}}]})
    with pytest.raises(AssertionError, match=r"\$\.data\[0\]\.values\[0\]\[0\]: null"):
        client.values_batch_update(SID, {"valueInputOption": "RAW", "data": [
            {"range": "Tickets!A2", "values": [[None]]}]})
    with pytest.raises(AssertionError, match="valueRenderOption='RAW'"):
        value_ranges(client, ["Tickets"], valueRenderOption="RAW")
    with pytest.raises(AssertionError, match=r"not in Google's discovery document: \['range'\]"):
        client.request("get", f"https://sheets.googleapis.com/v4/spreadsheets/{SID}/"
                              "values:batchGet", params={"range": "Tickets"})
    with pytest.raises(AssertionError, match="has no GET .*/values/Tickets"):
        client.values_get(SID, "Tickets")
    with pytest.raises(AssertionError, match="does not implement the sortRange request"):
        client.batch_update(SID, {"requests": [{"sortRange": {"range": {"sheetId": 0}}}]})
    assert len(fake.violations) == 6  # kept, in case the code under test swallows them
    assert fake.tab("Tickets").protected_ranges == []


# --- the person at the sheet ----------------------------------------------------------------


def test_a_persons_edits(fake: FakeSheets) -> None:
    fake.insert_rows("Tickets", 3, [["T-0004", "", "New Shop"]])
    assert [r[0] for r in fake.values("Tickets")] == ["Ticket ID", "T-0001", "T-0004",
                                                      "T-0002", "T-0003"]
    fake.set_note("Tickets", 5, "C", "big customer")
    fake.set_fill("Tickets", 5, "C", (0, 1, 0))
    fake.sort("Tickets", "C")  # Gupta, New Shop, Rao, Sharma
    assert [r[2] for r in fake.values("Tickets")[1:]] == ["Gupta Traders", "New Shop",
                                                          "Rao & Sons", "Sharma General Store"]
    assert fake.note("Tickets", 4, "C") == "big customer"  # moved with Rao & Sons
    assert fake.fill("Tickets", 4, "C") == (0.0, 1.0, 0.0)
    fake.delete_rows("Tickets", 2, 2)
    assert fake.values("Tickets")[1][2] == "Rao & Sons"
    fake.move_column("Tickets", "C", "A")
    assert fake.values("Tickets")[0][:3] == ["Seller Name", "Ticket ID", "WhatsApp Number"]
    assert fake.column_of("Tickets", "Status") == "E"
    fake.rename_tab("Tickets", "Tracker")
    assert fake.tab("Tracker").sheet_id == 0
    fake.type_in("Tracker", 2, "H", "12/01/2026 9:05")
    assert fake.value("Tracker", 2, "H") == datetime(2026, 12, 1, 9, 5)
    fake.type_in("Tracker", 2, "G", "=SUM(1)")
    assert fake.formula("Tracker", 2, "G") == "=SUM(1)"
    fake.set_validation("Tracker", 2, "E", {"condition": {"type": "ONE_OF_LIST", "values": [
        {"userEnteredValue": "Open"}]}, "strict": True})
    with pytest.raises(ValueError, match="violates the data validation rule"):
        fake.edit("Tracker", 2, "E", "Closed")


def test_effective_fill_evaluates_only_the_formulas_it_knows(fake: FakeSheets,
                                                             client: HTTPClient) -> None:
    def rule(formula: str) -> dict[str, Any]:
        return {"addConditionalFormatRule": {"rule": {
            "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 0,
                        "endColumnIndex": 8}],
            "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [
                {"userEnteredValue": formula}]},
                "format": {"backgroundColorStyle": {"rgbColor": {"blue": 1}}}}}}}

    client.batch_update(SID, {"requests": [rule('=$E2="resolved"')]})
    assert fake.effective_fill("Tickets", 4, "C") == (0.0, 0.0, 1.0)
    assert fake.effective_fill("Tickets", 3, "C") is None
    client.batch_update(SID, {"requests": [rule("=AND($E2<>\"\", TODAY()>$H2)")]})
    with pytest.raises(NotImplementedError, match="TODAY"):
        fake.effective_fill("Tickets", 3, "C")


# --- the pieces --------------------------------------------------------------------------


def test_a1_notation_round_trips() -> None:
    assert parse_a1("'Tickets'!A1:Z") == ("Tickets", 0, None, 0, 26)
    assert parse_a1("'My Tab'!C:C") == ("My Tab", 0, None, 2, 3)
    assert parse_a1("Tickets!A2:A1000") == ("Tickets", 1, 1000, 0, 1)
    assert parse_a1("'It''s'!B3") == ("It's", 2, 3, 1, 2)
    assert parse_a1("Tickets") == ("Tickets", None, None, None, None)
    assert parse_a1("A1:B2") == (None, 0, 2, 0, 2)
    assert parse_a1("Tickets!2:5") == ("Tickets", 1, 5, 0, None)
    assert a1("My Tab", 0, 1000, 2, 3) == "'My Tab'!C1:C1000"
    assert a1("A1", 0, 1, 0, 1) == "'A1'!A1"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert column_index("AB") == 27


def test_masks_parse_and_select() -> None:
    mask = parse_mask("sheets(properties(sheetId,title),data(rowData(values(note)))),"
                      "properties.title")
    assert mask == {"sheets": {"properties": {"sheetId": None, "title": None},
                               "data": {"rowData": {"values": {"note": None}}}},
                    "properties": {"title": None}}
    assert select({"a": [{"b": 1, "c": 2}, {"c": 3}], "d": 4}, parse_mask("a.b")) == {
        "a": [{"b": 1}, {}]}
    assert format_pattern("yyyy-mm-dd hh:mm", serial(datetime(2026, 1, 5, 9, 7))) == \
        "2026-01-05 09:07"
    assert format_pattern("h:mm:ss am/pm", serial(datetime(2026, 1, 5, 15, 7, 3))) == \
        "3:07:03 PM"
