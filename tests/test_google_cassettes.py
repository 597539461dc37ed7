"""Google Sheets and Drive exchanges replayed by vcrpy through sheetsync's real client stack.

`GoogleSheet` over `GoogleHTTPClient` (gspread's HTTPClient over google-auth's
AuthorizedSession, a `requests.Session`) plays the cassettes in `cassettes/google/` with
`record_mode="none"`, matching method, URI (query included) and body (JSON compared parsed):
a request sheetsync did not send before fails the test. Every POST body and every
values:batchGet answer in them is also checked against Google's discovery documents, so a
cassette re-recorded against real Google is held to the same shapes. They were written from
the fake Google (`tests/fake_google.py`) because no machine here reaches Google. To rewrite
them, or re-record them against a scratch spreadsheet (see cassettes/README.md):

    python -m tests.test_google_cassettes fake
    GOOGLE_APPLICATION_CREDENTIALS=key.json SHEETSYNC_TEST_SPREADSHEET_ID=... \\
        python -m tests.test_google_cassettes real
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import vcr
from google.auth.credentials import Credentials as BaseCredentials
from google.oauth2.credentials import Credentials
from vcr.request import Request
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from sheetsync.backends.google import GoogleSheet
from sheetsync.backends.google_http import GoogleHTTPClient
from sheetsync.config import Config, load_config
from sheetsync.integrations.dispatch import open_sinks
from sheetsync.errors import TrackerError
from sheetsync.jobs.reports import run_report
from sheetsync.core.setup import plan_setup
from sheetsync.jobs.sync import CycleReport, run_sync
from sheetsync.core.reporting import period_containing
from sheetsync.schema import PRESETS
from sheetsync.state import StateStore
from tests import google_discovery
from tests.cassettes import Exchange, write_cassette
from tests.fake_google import DEFAULT_PATTERNS, SPREADSHEET_ID, TOKEN, FakeSheets, serial
from tests.google_setup import CONFIG, NOW, demo_rows, google_tracker
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "google"
MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body"]
REPLAY_TOKEN = "google-scrubbed"  # the dummy credentials' token: never refreshed
SCRUBBED = f"Bearer {REPLAY_TOKEN}"
SHEETS_HOST, DRIVE_HOST, TOKEN_HOST = ("sheets.googleapis.com", "www.googleapis.com",
                                       "oauth2.googleapis.com")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: What an OAuth access token, refresh token or a service account key looks like.
SECRET = re.compile(r"ya29\.|1//0[\w-]{20,}|-----BEGIN|private_key|refresh_token|access_token")
#: A spreadsheet's ID where a URI or a JSON body names one.
SPREADSHEET_IN_URI = re.compile(r"/(?:v4/spreadsheets|drive/v3/files|spreadsheets/d)/"
                                r"([A-Za-z0-9_-]+)")
Json = dict[str, Any]
Edit = Callable[[int, str, object], None]  # (row, header, value): a person at the sheet


# --- what sheetsync sent ------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One request sheetsync's client sent, and the status it got back."""

    method: str
    url: str
    body: Json | None
    status: int

    @property
    def operation(self) -> str:
        return operation(self.method, self.url)


def operation(method: str, url: str) -> str:
    """Which Google call a request is, by host, verb and URI suffix."""
    if "//" + DRIVE_HOST + "/drive/" in url:
        return "files.get"
    path = url.split("?", 1)[0]
    if path.endswith("/values:batchGet"):
        return "values.batchGet"
    if path.endswith("/values:batchUpdate"):
        return "values.batchUpdate"
    if path.endswith(":batchUpdate"):
        return "batchUpdate"
    if path.endswith(":getByDataFilter"):
        return "spreadsheets.getByDataFilter"
    return "spreadsheets.get" if method.upper() == "GET" else f"{method} {path}"


def _json(body: object) -> Json | None:
    """A request or answer body as parsed JSON (None when there is none)."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or not body:
        return None
    loaded: Json = json.loads(body)
    return loaded


# --- the world a scenario runs in ---------------------------------------------------------


@dataclass
class World:
    """sheetsync configured for one spreadsheet, on a clock that never waits, and every
    request its client sent (seen by a requests hook, so the same on replay and record)."""

    config: Config
    clock: Clock
    credentials: BaseCredentials
    sleep: Callable[[float], None]
    sent: list[Sent] = field(default_factory=list)

    def backend(self) -> GoogleSheet:
        client = GoogleHTTPClient(self.credentials, clock=self.clock, sleep=self.sleep,
                                  jitter=lambda: 0.5)
        client.session.hooks["response"].append(self._saw)
        return GoogleSheet(self.config, client, clock=self.clock)

    def _saw(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        self.sent.append(Sent(request.method or "", request.url or "", _json(request.body),
                              response.status_code))

    def cycle(self) -> CycleReport:
        return run_sync(self.config, NOW, backend=self.backend(),
                        sinks=open_sinks(self.config, {}))

    def operations(self) -> list[str]:
        return [s.operation for s in self.sent]

    def write(self) -> Json:
        """The one batchUpdate body this scenario sent."""
        [body] = [s.body for s in self.sent if s.operation == "batchUpdate"]
        assert body is not None
        return body


def kinds(body: Mapping[str, Any]) -> list[str]:
    """The request kinds of a batchUpdate body, in order."""
    return [kind for request in body["requests"] for kind in request]


def written(body: Mapping[str, Any]) -> dict[tuple[int, int, int], Json]:
    """Every cell the body's updateCells requests set, by (sheetId, row, column), 0-based."""
    cells: dict[tuple[int, int, int], Json] = {}
    for request in body["requests"]:
        spec = request.get("updateCells")
        if spec is None:
            continue
        where = spec.get("range") or {}
        top, left = where.get("startRowIndex", 0), where.get("startColumnIndex", 0)
        for r, row in enumerate(spec.get("rows", [])):
            for c, cell in enumerate(row.get("values", [])):
                cells[(where.get("sheetId", 0), top + r, left + c)] = cell
    return cells


def text(cell: Mapping[str, Any] | None) -> str | None:
    """The text a CellData writes, if any."""
    found = (cell or {}).get("userEnteredValue", {}).get("stringValue")
    return str(found) if found is not None else None


def column_written(cells: Mapping[tuple[int, int, int], Json], header: str) -> tuple[int, int]:
    """(sheetId, column) of the header cell the body wrote as `header`."""
    [found] = [(s, c) for (s, r, c), cell in cells.items() if r == 0 and text(cell) == header]
    return found


# --- the scenarios ------------------------------------------------------------------------


def adoption(world: World) -> None:
    """The first cycle on the demo tracker: metadata, one read, the narrow read, one write."""
    report = world.cycle()
    assert report.adopted and report.new_tickets == 16 and report.write_skipped is None
    assert world.operations() == ["spreadsheets.get", "values.batchGet",
                                  "spreadsheets.getByDataFilter", "batchUpdate"]
    body = world.write()
    cells = written(body)
    sheet, ids = column_written(cells, "Ticket ID")
    assert [text(cells.get((sheet, r, ids))) for r in range(1, 17)] == \
        [f"INT-{n:06d}" for n in range(1, 17)]  # every row got its ID, in the sheet's order
    _, notes = column_written(cells, "Sync Notes")
    assert any(text(cells.get((sheet, r, notes))) for r in range(1, 17))
    assert any("note" in cell for cell in cells.values())
    assert "addConditionalFormatRule" in kinds(body)


def idle(world: World) -> None:
    """The daemon's idle tick: Drive's version, outside the Sheets quota, twice the same."""
    backend = world.backend()
    first, second = backend.probe(), backend.probe()
    assert first is not None and first == second  # nothing changed: the daemon reads nothing
    assert world.operations() == ["files.get", "files.get"]
    assert all(s.url.startswith(f"https://{DRIVE_HOST}/drive/v3/files/") and
               "fields=version" in s.url and "supportsAllDrives=true" in s.url
               for s in world.sent)


def changed(world: World) -> None:
    """After adoption, a person's short number: the cycle flags it, and writes only that."""
    report = world.cycle()
    assert not report.adopted and report.new_tickets == 0 and report.write_skipped is None
    # The metadata is the adoption's, cached: the read, the row's own cells, the write.
    assert world.operations() == ["values.batchGet", "spreadsheets.getByDataFilter",
                                  "batchUpdate"]
    cells = written(world.write())
    assert any("WhatsApp Number" in (text(cell) or "") or "WhatsApp Number" in
               cell.get("note", "") for (_, r, _), cell in cells.items() if r == 2)


def a_person_types_a_short_number(edit: Edit) -> None:
    """Row 3's WhatsApp Number becomes one with no country code (as in tests/test_google.py)."""
    edit(3, "WhatsApp Number", "98123")


def setup(world: World) -> None:
    """`sheetsync setup`: every piece in one batchUpdate, dropdowns that never reject."""
    changes = world.backend().setup(plan_setup(world.config.schema), lambda done, total: None)
    assert changes.skipped == []
    for done in ("froze the header (row 1)", "turned on the filter", "dropdown on Status",
                 "a warning on Ticket ID, which sheetsync writes",
                 "highlight rules for the checked columns"):
        assert done in changes.done, done
    body = world.write()
    assert {"updateSheetProperties", "setBasicFilter", "setDataValidation",
            "addProtectedRange", "addConditionalFormatRule"} <= set(kinds(body))
    for request in body["requests"]:
        if "setDataValidation" in request:
            rule = request["setDataValidation"]["rule"]
            assert rule["condition"]["type"] == "ONE_OF_LIST"
            assert rule["strict"] is False and rule["showCustomUi"] is True  # never rejects
        if "addProtectedRange" in request:
            assert request["addProtectedRange"]["protectedRange"]["warningOnly"] is True


def report(world: World) -> None:
    """The daily report after adoption: its own tab, its cells and its chart, one write."""
    period = period_containing("daily", NOW.astimezone(world.config.timezone))
    with StateStore(world.config.state_path) as store:
        done = run_report(world.config, period, NOW, store, None, world.backend())
    assert done.skipped is None and done.tab == period.tab
    body = world.write()
    assert kinds(body)[:2] == ["addSheet", "updateCells"]
    assert kinds(body).count("addChart") == len(done.report.charts) >= 1
    added = body["requests"][0]["addSheet"]["properties"]
    assert added["title"] == period.tab
    assert text(written(body).get((added["sheetId"], 0, 0))) == done.report.title


def not_shared(world: World) -> None:
    """A spreadsheet the account cannot see: the error says what to do, not just "403"."""
    with pytest.raises(TrackerError) as raised:
        world.backend().read()
    message = str(raised.value)
    assert f"spreadsheet {world.config.settings.tracker.spreadsheet_id} is not shared" \
        in message and "Share it with that address as an Editor" in message
    assert [(s.operation, s.status) for s in world.sent] == [("spreadsheets.get", 403)]


@dataclass(frozen=True)
class Scenario:
    """One cassette: what sheetsync does, what a person did first, where it starts from."""

    run: Callable[[World], None]
    #: scenarios whose cassettes play first, in the same state folder (this one's start)
    after: tuple[str, ...] = ()
    #: what a person does before it, while recording (on replay the cassette holds it)
    person: Callable[[Edit], None] | None = None
    #: the demo tracker, or the demo under the preset's whole header (setup's subject)
    whole_header: bool = False
    #: the spreadsheet is one the account cannot see
    unshared: bool = False


SCENARIOS: dict[str, Scenario] = {
    "adoption": Scenario(adoption),
    "idle": Scenario(idle),
    "changed": Scenario(changed, after=("adoption",), person=a_person_types_a_short_number),
    "setup": Scenario(setup, whole_header=True),
    "report": Scenario(report, after=("adoption",)),
    "not_shared": Scenario(not_shared, unshared=True),
}


def tracker_rows(folder: Path, whole_header: bool) -> list[list[Any]]:
    """The demo tracker; with the columns sheetsync writes already in the header (empty)
    when `whole_header`, so setup has every piece to add."""
    rows = demo_rows(folder)
    if whole_header:
        owned = plan_setup(PRESETS["seller-support"]).owned
        rows = [rows[0] + list(owned), *(row + [""] * len(owned) for row in rows[1:])]
    return rows


def load_config_for(folder: Path, spreadsheet_id: str) -> Config:
    """tests/google_setup.py's config, for another spreadsheet when recording for real."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sheetsync.toml"
    path.write_text(CONFIG.format(preset="seller-support").replace(SPREADSHEET_ID,
                                                                    spreadsheet_id),
                    encoding="utf-8")
    return load_config(path, environ={})


# --- replay -------------------------------------------------------------------------------


def json_body(r1: Request, r2: Request) -> None:
    """vcrpy's body matcher, but JSON compared parsed whatever the headers say: key order
    and spacing are not what sheetsync sent."""
    b1, b2 = r1.body or b"", r2.body or b""
    try:
        same = json.loads(b1) == json.loads(b2) if b1 and b2 else b1 == b2
    except ValueError:
        same = b1 == b2
    if not same:
        raise AssertionError(f"the bodies differ:\n{b1[:300]!r}\n{b2[:300]!r}")


REPLAY = vcr.VCR(record_mode="none", match_on=MATCH_ON)
REPLAY.register_matcher("body", json_body)


def token_only(token: str) -> Credentials:
    """Credentials holding a token and nothing to refresh it with: never refreshed."""
    return Credentials(token=token)  # type: ignore[no-untyped-call]


def replay_world(folder: Path) -> World:
    """sheetsync on the placeholder spreadsheet, with dummy credentials that never refresh."""
    clock = Clock(NOW)
    return World(load_config_for(folder, SPREADSHEET_ID), clock,
                 token_only(REPLAY_TOKEN), clock.sleep)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_recorded_exchange_replays_exactly(name: str, tmp_path: Path) -> None:
    """A change to what sheetsync sends fails here and shows up as a cassette diff."""
    world = replay_world(tmp_path)
    for step in (*SCENARIOS[name].after, name):  # the state it starts from, then itself
        world.sent.clear()
        with REPLAY.use_cassette(str(CASSETTES / f"{step}.yaml")) as cassette:
            SCENARIOS[step].run(world)
        assert cassette.all_played, f"{step}: a recorded request was not sent"
    assert world.clock.slept == []  # no retry, no budget wait: nothing was throttled


# --- the cassettes themselves -------------------------------------------------------------


def cassette_files() -> list[Path]:
    """Every Google cassette on disk, whoever recorded it."""
    return sorted(CASSETTES.glob("*.yaml"))


def interactions(path: Path) -> list[tuple[Request, Json]]:
    """A cassette's requests and answers, read by vcrpy's own deserializer."""
    requests_, responses = deserialize(path.read_text(encoding="utf-8"), yamlserializer)
    return list(zip(requests_, responses, strict=True))


def answer(response: Mapping[str, Any]) -> str:
    """A recorded answer's body as text."""
    body = response["body"]["string"]
    return body.decode("utf-8") if isinstance(body, bytes) else str(body)


def test_every_scenario_has_a_cassette_that_says_where_it_came_from() -> None:
    """A reader of a cassette must know whether Google or the fake answered it."""
    assert [p.stem for p in cassette_files()] == sorted(SCENARIOS)
    for path in cassette_files():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert re.fullmatch(rf"# Google scenario '{path.stem}': (written from the fake .*|"
                            r"recorded against a real spreadsheet on \d{4}-\d\d-\d\d.*)",
                            first), first


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.stem)
def test_every_body_is_valid_per_googles_discovery_documents(path: Path) -> None:
    """Strictly (an unknown field, a wrong enum, two kinds in one Request fail): a cassette
    re-recorded against real Google is checked as the fake's requests are."""
    schemas = {"batchUpdate": "BatchUpdateSpreadsheetRequest",
               "values.batchUpdate": "BatchUpdateValuesRequest",
               "spreadsheets.getByDataFilter": "GetSpreadsheetByDataFilterRequest"}
    for request, response in interactions(path):
        kind = operation(request.method, request.uri)
        if request.method == "POST":
            assert kind in schemas, f"{path.stem}: an unexpected POST {request.uri}"
            google_discovery.validate(schemas[kind], _json(request.body))
        if kind == "values.batchGet" and response["status"]["code"] == 200:
            google_discovery.validate("BatchGetValuesResponse", json.loads(answer(response)))


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.stem)
def test_no_credential_address_or_real_spreadsheet_is_kept(path: Path) -> None:
    """A re-recorded cassette is committed: nothing of the account or the sheet may leak."""
    text = path.read_text(encoding="utf-8")
    assert not SECRET.search(text), SECRET.search(text)
    assert not EMAIL.search(text), EMAIL.search(text)
    for request, response in interactions(path):
        assert request.headers.get("Authorization", SCRUBBED) == SCRUBBED
        assert request.host in (SHEETS_HOST, DRIVE_HOST), request.uri
        for where in (request.uri, (request.body or b"").decode("utf-8"), answer(response)):
            named = {*SPREADSHEET_IN_URI.findall(where),
                     *re.findall(r'"spreadsheetId":\s*"([^"]*)"', where)}
            assert named <= {SPREADSHEET_ID}, f"{path.stem}: a real spreadsheet ID {named}"


def test_an_idle_probe_costs_no_sheets_request() -> None:
    """The quota promise of an idle daemon, as the cassette itself shows it."""
    assert {r.host for r, _ in interactions(CASSETTES / "idle.yaml")} == {DRIVE_HOST}


# --- recording ----------------------------------------------------------------------------


def note(name: str, real: str | None = None) -> str:
    """A cassette's opening comment: who answered, and when for a real recording."""
    if real is None:
        return (f"Google scenario {name!r}: written from the fake Google Sheets and Drive "
                "(tests/fake_google.py), shapes from Google's Sheets v4 and Drive v3 discovery "
                "documents; see cassettes/README.md.")
    return (f"Google scenario {name!r}: recorded against a real spreadsheet on {real}, "
            "spreadsheet ID, token and e-mail addresses scrubbed; see cassettes/README.md.")


def record_fake() -> None:
    """Every cassette from the fake, through vcrpy's own serializer."""
    import tempfile

    for name, scenario in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            rows = tracker_rows(folder / "local", scenario.whole_header)
            for tracker in google_tracker(folder / "google", rows):
                fake = tracker.fake
                world = World(tracker.config, tracker.clock, token_only(TOKEN),
                              tracker.clock.sleep)
                for step in scenario.after:
                    SCENARIOS[step].run(world)
                    world.sent.clear()
                if scenario.person is not None:
                    scenario.person(fake_person(fake))
                if scenario.unshared:
                    fake.unshare(SPREADSHEET_ID)
                fake.exchanges.clear()
                scenario.run(world)
                write_cassette(CASSETTES / f"{name}.yaml",
                               [exchange(r, a) for r, a in fake.exchanges], note(name))
        print(f"wrote {(CASSETTES / f'{name}.yaml').relative_to(ROOT)}")


def fake_person(fake: FakeSheets) -> Edit:
    """A person's edit on the fake's sheet, as pasted."""
    def edit(row: int, header: str, value: object) -> None:
        fake.edit("Tracker", row, fake.column_of("Tracker", header), value)
    return edit


def exchange(request: requests.PreparedRequest, response: requests.Response) -> Exchange:
    """One of the fake's exchanges, keeping only the headers matching and retries need."""
    sent = request.body
    body = sent if isinstance(sent, bytes) else sent.encode() if isinstance(sent, str) else b""
    kind = request.headers.get("Content-Type")
    headers = {k: response.headers[k] for k in ("Content-Type", "Retry-After")
               if k in response.headers}
    return Exchange(request.method or "", request.url or "", body,
                    kind if isinstance(kind, str) else None, response.status_code, headers,
                    response.content)


@dataclass(frozen=True)
class Scrubber:
    """What a real recording must not keep: the spreadsheet IDs (replaced by the replay's
    placeholder), the token (the token host is not recorded at all), e-mail addresses, and
    headers matching does not need."""

    ids: Mapping[str, str]  # a real spreadsheet ID -> the placeholder

    def text(self, value: str) -> str:
        for real, placeholder in self.ids.items():
            value = value.replace(real, placeholder)
        return EMAIL.sub("person@example.com", value)

    def request(self, request: Request) -> Request | None:
        if request.host == TOKEN_HOST:
            return None
        request.uri = self.text(request.uri)
        if isinstance(request.body, (bytes, str)) and request.body:
            body = request.body.decode("utf-8") if isinstance(request.body, bytes) else \
                request.body
            request.body = self.text(body).encode("utf-8")
        kept = {k: request.headers[k] for k in ("Content-Type",) if k in request.headers}
        request.headers = {**kept, "Authorization": SCRUBBED}
        return request

    def response(self, response: Json) -> Json:
        response["body"]["string"] = self.text(answer(response)).encode("utf-8")
        response["headers"] = {k: v for k, v in response["headers"].items()
                               if k.lower() in ("content-type", "retry-after")}
        return response


def cell_data(value: object) -> Json:
    """A value as the fake keeps a pasted one: text stays text, a date-time is a serial
    number in Google's default date-time format."""
    if value is None or value == "":
        return {}
    if isinstance(value, (datetime, date)):
        kind = "DATE_TIME" if isinstance(value, datetime) else "DATE"
        return {"userEnteredValue": {"numberValue": serial(value)},
                "userEnteredFormat": {"numberFormat": {"type": kind,
                                                       "pattern": DEFAULT_PATTERNS[kind]}}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def prepare(spreadsheet: Any, rows: list[list[Any]]) -> int:
    """Outside any cassette: the scratch spreadsheet as the fake starts, one tab "Tracker"
    holding `rows` and nothing else of sheetsync's or anyone's (the tab is kept, not made
    again, so its sheetId is the same in every scenario). Its sheetId."""
    meta = spreadsheet.fetch_sheet_metadata(params={"fields": (
        "sheets(properties(sheetId,title),conditionalFormats(ranges(sheetId)),"
        "protectedRanges(protectedRangeId),charts(chartId),basicFilter(range))")})
    sheets = meta.get("sheets", [])
    tracker = next((s for s in sheets if s["properties"]["title"] == "Tracker"), sheets[0])
    sheet_id = int(tracker["properties"]["sheetId"])
    body: Json = {"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": "Tracker"},
                                   "fields": "title"}},
        *({"deleteSheet": {"sheetId": s["properties"]["sheetId"]}} for s in sheets
          if s is not tracker),
        *({"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}}
          for _ in tracker.get("conditionalFormats", [])),
        *({"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
          for p in tracker.get("protectedRanges", [])),
        *({"deleteEmbeddedObject": {"objectId": c["chartId"]}}
          for c in tracker.get("charts", [])),
        *([{"clearBasicFilter": {"sheetId": sheet_id}}] if "basicFilter" in tracker else []),
        {"updateSpreadsheetProperties": {
            "properties": {"title": "Seller Support Tracker", "locale": "en_US",
                           "timeZone": "Asia/Kolkata"},
            "fields": "title,locale,timeZone"}},
        {"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "index": 0, "gridProperties": {
                "rowCount": 1000, "columnCount": 26, "frozenRowCount": 0}},
            "fields": "index,gridProperties(rowCount,columnCount,frozenRowCount)"}},
        # No rows: every field of every cell (values, formats, notes, dropdowns) cleared.
        {"updateCells": {"range": {"sheetId": sheet_id}, "fields": "*"}},
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": [cell_data(v) for v in row]} for row in rows],
                         "fields": "userEnteredValue,userEnteredFormat.numberFormat"}},
    ]}
    google_discovery.validate("BatchUpdateSpreadsheetRequest", body)
    spreadsheet.batch_update(body)
    return sheet_id


def real_person(spreadsheet: Any, sheet_id: int) -> Edit:
    """A person's edit on the real spreadsheet, made outside any cassette, as pasted."""
    def edit(row: int, header: str, value: object) -> None:
        header_row = spreadsheet.values_batch_get(["Tracker!1:1"])["valueRanges"][0]["values"]
        column = header_row[0].index(header)
        spreadsheet.batch_update({"requests": [{"updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": column},
            "rows": [{"values": [cell_data(value)]}], "fields": "userEnteredValue"}}]})
    return edit


def record_real_step(name: str, world: World, scrub: Scrubber) -> None:
    """One scenario against the real spreadsheet, recorded, scrubbed, and written."""
    import tempfile

    recorder = vcr.VCR(record_mode="all", match_on=MATCH_ON, decode_compressed_response=True,
                       ignore_hosts=[TOKEN_HOST], before_record_request=scrub.request,
                       before_record_response=scrub.response)
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / f"{name}.yaml"  # "all" would keep a loaded file's leftovers
        world.sent.clear()
        with recorder.use_cassette(str(fresh)):
            SCENARIOS[name].run(world)
        recorded = scrub.text(fresh.read_text(encoding="utf-8"))
    comment = "".join(f"# {line}\n" for line in note(name, date.today().isoformat())
                      .splitlines())
    (CASSETTES / f"{name}.yaml").write_text(comment + recorded, encoding="utf-8")
    print(f"recorded {(CASSETTES / f'{name}.yaml').relative_to(ROOT)}")


def record_real(environ: Mapping[str, str]) -> None:
    """Every scenario a real spreadsheet can show, recorded against the scratch one; a
    scenario that names its prerequisites records them again first, so that the cassettes
    its replay plays before it were taken from the same spreadsheet state."""
    import tempfile

    import gspread
    from google.auth.transport.requests import Request as TokenRequest

    from sheetsync.backends.google import load_credentials

    missing = [v for v in ("GOOGLE_APPLICATION_CREDENTIALS", "SHEETSYNC_TEST_SPREADSHEET_ID")
               if not environ.get(v)]
    if missing:
        raise SystemExit(
            f"{' and '.join(missing)} not set: recording for real needs "
            "GOOGLE_APPLICATION_CREDENTIALS (a service account's JSON key) and "
            "SHEETSYNC_TEST_SPREADSHEET_ID (a scratch spreadsheet shared with its e-mail as "
            "Editor; it is cleared); see cassettes/README.md")
    main = environ["SHEETSYNC_TEST_SPREADSHEET_ID"]
    unshared = environ.get("SHEETSYNC_TEST_UNSHARED_SPREADSHEET_ID", "")
    credentials = load_credentials(environ)
    credentials.refresh(TokenRequest())  # type: ignore[no-untyped-call]  # outside cassettes
    spreadsheet = gspread.authorize(credentials).open_by_key(main)
    scrub = Scrubber({i: SPREADSHEET_ID for i in (main, unshared) if i})
    for name, scenario in SCENARIOS.items():
        if scenario.unshared and not unshared:
            print(f"kept the fake recording of {name}: set "
                  "SHEETSYNC_TEST_UNSHARED_SPREADSHEET_ID to a spreadsheet the account "
                  "cannot see to record it")
            continue
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            sheet_id = prepare(spreadsheet, tracker_rows(folder / "local",
                                                         scenario.whole_header))
            clock = Clock(NOW)

            def sleep(seconds: float) -> None:
                time.sleep(seconds)  # Google's clock is real; sheetsync's is the scenario's
                clock.sleep(seconds)

            world = World(load_config_for(folder / "run", unshared if scenario.unshared
                                          else main), clock, credentials, sleep)
            for step in scenario.after:
                record_real_step(step, world, scrub)
            if scenario.person is not None:
                scenario.person(real_person(spreadsheet, sheet_id))
            record_real_step(name, world, scrub)


def main(argv: list[str]) -> None:
    """The recorder's command line: `fake` (the default) or `real`."""
    import os

    mode = argv[1] if len(argv) > 1 else "fake"
    if mode == "fake":
        record_fake()
    elif mode == "real":
        record_real(os.environ)
    else:
        raise SystemExit("usage: python -m tests.test_google_cassettes fake|real")


if __name__ == "__main__":
    main(sys.argv)
