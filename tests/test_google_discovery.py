"""Google's discovery documents as strict validators: sheetsync's real bodies pass, and each
kind of mistake Google would answer with a 400 fails here, naming the field that is wrong."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import google_discovery as discovery

TICKETS = 0
SHEETSYNC_BATCH: dict[str, Any] = {"requests": [
    {"updateCells": {
        "range": {"sheetId": TICKETS, "startRowIndex": 1, "endRowIndex": 2,
                  "startColumnIndex": 1, "endColumnIndex": 2},
        "rows": [{"values": [{"note": "sheetsync: the WhatsApp number has 9 digits"}]}],
        "fields": "note"}},
    {"setDataValidation": {
        "range": {"sheetId": TICKETS, "startRowIndex": 1, "endRowIndex": 1000,
                  "startColumnIndex": 4, "endColumnIndex": 5},
        "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
            {"userEnteredValue": "Open"}, {"userEnteredValue": "In Progress"},
            {"userEnteredValue": "Resolved"}]},
            "showCustomUi": True, "strict": False}}},
    {"addConditionalFormatRule": {"index": 0, "rule": {
        "ranges": [{"sheetId": TICKETS, "startRowIndex": 1, "endRowIndex": 1000,
                    "startColumnIndex": 0, "endColumnIndex": 8}],
        "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA", "values": [
                {"userEnteredValue": '=ISNUMBER(SEARCH("Escalated", $E2))'}]},
            "format": {"backgroundColorStyle": {"rgbColor": {"red": 0.96, "green": 0.8,
                                                             "blue": 0.8}}}}}}},
    {"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": TICKETS, "startRowIndex": 0, "endRowIndex": 1},
        "description": "sheetsync: the header row", "warningOnly": True}}},
]}
SHEETSYNC_VALUES: dict[str, Any] = {"valueInputOption": "RAW", "data": [
    {"range": "'Tickets'!A2:A3", "majorDimension": "ROWS", "values": [["T-0001"], ["T-0002"]]},
    {"range": "'Tickets'!H2", "values": [[46350.4375]]},
]}


def rejected(schema: str, body: object) -> str:
    with pytest.raises(jsonschema.ValidationError) as caught:
        discovery.validate(schema, body)
    return str(caught.value.message)


def test_sheetsyncs_batch_update_is_valid() -> None:
    discovery.validate("BatchUpdateSpreadsheetRequest", SHEETSYNC_BATCH)


def test_a_raw_values_batch_update_is_valid() -> None:
    discovery.validate("BatchUpdateValuesRequest", SHEETSYNC_VALUES)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A mutation of SHEETSYNC_BATCH: set the value at a dotted path (ints index lists)."""
    def mutate(body: dict[str, Any]) -> None:
        parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = body
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    return mutate


def _two_kinds(body: dict[str, Any]) -> None:
    body["requests"][0]["addSheet"] = {"properties": {"title": "Summary"}}


def _rename(body: dict[str, Any]) -> None:
    protected = body["requests"][3]["addProtectedRange"]["protectedRange"]
    protected["warningonly"] = protected.pop("warningOnly")


@pytest.mark.parametrize("mutate, path, says", [
    (_rename, "$.requests[3].addProtectedRange.protectedRange", "'warningonly' was unexpected"),
    (_set("requests.1.setDataValidation.rule.condition.type", "ONE_OF_LISTS"),
     "$.requests[1].setDataValidation.rule.condition.type", "'ONE_OF_LISTS' is not one of"),
    (_two_kinds, "$.requests[0]", "got ['addSheet', 'updateCells']"),
    (_set("requests.0.updateCells.range.endRowIndex", 2**31),
     "$.requests[0].updateCells.range.endRowIndex", "2147483648 is greater than the maximum"),
    (_set("requests.0.updateCells.rows", {"values": [{"note": "x"}]}),
     "$.requests[0].updateCells.rows", "an object is not of type 'array'"),
    (_set("requests.0.updateCells.rows.0.values.0.note", None),
     "$.requests[0].updateCells.rows[0].values[0].note", "null is not allowed"),
    (_set("requests.2.addConditionalFormatRule.rule.booleanRule.format.backgroundColorStyle."
          "rgbColor.red", "1"),
     "$.requests[2].addConditionalFormatRule.rule.booleanRule.format.backgroundColorStyle"
     ".rgbColor.red", "'1' is not of type 'number'"),
], ids=["unknown-field", "enum-typo", "two-kinds", "int32-overflow", "rows-object", "null",
        "string-for-number"])
def test_a_mistake_is_rejected_naming_the_field(mutate: Callable[[dict[str, Any]], None],
                                                path: str, says: str) -> None:
    body = copy.deepcopy(SHEETSYNC_BATCH)
    mutate(body)
    message = rejected("BatchUpdateSpreadsheetRequest", body)
    assert path + ":" in message or f"at {path}:" in message, message
    assert says in message, message


def test_an_empty_request_is_rejected() -> None:
    assert "$.requests[0]: exactly one field must be set" in rejected(
        "BatchUpdateSpreadsheetRequest", {"requests": [{}]})


def test_a_null_among_values_is_rejected_though_values_are_any() -> None:
    body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [["a", None]]}]}
    assert "at $.data[0].values[0][1]: null is not allowed" in rejected(
        "BatchUpdateValuesRequest", body)


def test_an_extended_value_holds_one_kind_of_value() -> None:
    cell = {"userEnteredValue": {"stringValue": "7", "numberValue": 7}}
    message = rejected("CellData", cell)
    assert "$.userEnteredValue: at most 1 of its fields" in message, message
    discovery.validate("CellData", {"userEnteredValue": {}})


def test_an_unknown_value_input_option_is_rejected() -> None:
    body = {**SHEETSYNC_VALUES, "valueInputOption": "RAW_VALUE"}
    assert "$.valueInputOption: 'RAW_VALUE' is not one of" in rejected(
        "BatchUpdateValuesRequest", body)


def test_responses_with_read_only_fields_validate() -> None:
    discovery.validate("Spreadsheet", {
        "spreadsheetId": "abc", "properties": {"title": "T", "locale": "en_US"},
        "sheets": [{"properties": {"sheetId": 0, "title": "Tickets", "index": 0,
                                   "sheetType": "GRID",
                                   "gridProperties": {"rowCount": 1000, "columnCount": 26}},
                    "protectedRanges": [{"protectedRangeId": 7, "warningOnly": True,
                                         "requestingUserCanEdit": True}]}]})
    discovery.validate("BatchGetValuesResponse", {"spreadsheetId": "abc", "valueRanges": [
        {"range": "Tickets!A1:Z1000", "majorDimension": "ROWS", "values": [["a", 1, True]]}]})
    discovery.validate("BatchUpdateSpreadsheetResponse", {
        "spreadsheetId": "abc", "replies": [{}, {"addSheet": {"properties": {"sheetId": 5}}}]})


def test_drives_file_has_its_int64_version_as_a_string() -> None:
    discovery.validate("File", {"version": "17", "modifiedTime": "2026-11-24T05:00:00.000Z"})
    assert "$.version: 17 is not of type 'string'" in rejected("File", {"version": 17})
    assert "'modifiedtime' was unexpected" in rejected("File", {"modifiedtime": "x"})


def test_discovery_schemas_become_closed_json_schema() -> None:
    defs = discovery.json_schema("sheets")["$defs"]
    assert defs["GridRange"]["additionalProperties"] is False
    assert defs["GridRange"]["properties"]["startRowIndex"] == {
        "type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert defs["CellData"]["properties"]["userEnteredValue"] == {
        "$ref": "#/$defs/ExtendedValue"}
    assert defs["ValueRange"]["properties"]["values"]["items"]["items"] == {}  # "any"
    assert defs["BasicFilter"]["properties"]["criteria"]["additionalProperties"] == {
        "$ref": "#/$defs/FilterCriteria"}  # a map, converted
    assert (defs["Request"]["minProperties"], defs["Request"]["maxProperties"]) == (1, 1)
    assert defs["ExtendedValue"]["maxProperties"] == 1
    assert defs["ClearValuesRequest"]["additionalProperties"] is False  # an empty message
    file_version = discovery.json_schema("drive")["$defs"]["File"]["properties"]["version"]
    assert file_version == {"type": "string"}


def test_query_parameters_come_from_the_method_and_the_document() -> None:
    get = discovery.query_parameters("sheets", "sheets.spreadsheets.get")
    assert {"ranges", "includeGridData", "fields", "alt", "key", "prettyPrint", "quotaUser",
            "$.xgafv"} <= get
    assert "spreadsheetId" not in get  # a path parameter
    batch_get = discovery.query_parameters("sheets", "sheets.spreadsheets.values.batchGet")
    assert {"ranges", "valueRenderOption", "dateTimeRenderOption", "majorDimension"} <= batch_get
    assert "valueInputOption" not in discovery.query_parameters(
        "sheets", "sheets.spreadsheets.values.batchUpdate")  # it is in the body
    assert discovery.query_parameters("sheets", "sheets.spreadsheets.batchUpdate") == \
        set(discovery.document("sheets")["parameters"])
    assert {"supportsAllDrives", "fields"} <= discovery.query_parameters("drive",
                                                                        "drive.files.get")


def test_enum_values_of_query_parameters() -> None:
    method = "sheets.spreadsheets.values.batchGet"
    assert discovery.enum_values("sheets", method, "valueRenderOption") == [
        "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"]
    assert discovery.enum_values("sheets", method, "dateTimeRenderOption") == [
        "SERIAL_NUMBER", "FORMATTED_STRING"]
    assert "ROWS" in discovery.enum_values("sheets", method, "majorDimension")
    with pytest.raises(KeyError):
        discovery.enum_values("sheets", method, "ranges")
    with pytest.raises(KeyError):
        discovery.query_parameters("sheets", "sheets.spreadsheets.values.frobnicate")


def test_validators_are_built_once() -> None:
    assert discovery.validator("Spreadsheet") is discovery.validator("Spreadsheet")
    assert discovery.api_of("File") == "drive"
    with pytest.raises(KeyError):
        discovery.api_of("Spreadshit")


def test_the_schemas_readme_names_each_document_with_its_revision() -> None:
    schemas = Path(discovery.__file__).resolve().parent / "schemas"
    readme = (schemas / "README.md").read_text(encoding="utf-8")
    for path in sorted(schemas.glob("*.json")):
        assert f"`{path.name}`" in readme, path.name
    for api, path in discovery.DOCUMENTS.items():
        revision = json.loads(path.read_text(encoding="utf-8"))["revision"]
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{path.name}`"))
        assert re.search(rf"`revision` {revision}\b", row), (api, row)
        assert "google-api-python-client` 2.202.0" in readme
