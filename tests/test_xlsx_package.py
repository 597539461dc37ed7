"""The workbook edited in place: what Excel and LibreOffice put in a tracker survives every
write, byte for byte, and the values sheetsync writes read back right."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetsync.backends.workbook import Workbook
from sheetsync.backends.xlsx_package import backup_path
from sheetsync.core.cells import NOTE_SECTION, CellMark, CellWrite
from sheetsync.core.setup import plan_setup
from sheetsync.core.xlsx_parts import vml_edited
from sheetsync.schema import PRESETS
from tests.helpers import stored_entries

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["WhatsApp Number", "Seller Name", "Issue Type", "Description", "Status",
          "Assigned To", "Resolution Summary", "Timestamp", "Total"]

# What Excel writes beside a tracker: a chart on a drawing, a formula column with cached
# values (and a calcChain), shared strings, a person's note (comments + VML), a conditional
# format, an x14 extension, a team's validation, defined names and macros.
SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN}" xmlns:r="{R}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><dimension ref="A1:I3"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><sheetData><row r="1" spans="1:9" s="1" customFormat="1">{"".join(f'<c r="{chr(65 + i)}1" s="1" t="s"><v>{i}</v></c>' for i in range(9))}</row><row r="2" spans="1:9"><c r="A2" t="s"><v>9</v></c><c r="B2" t="s"><v>10</v></c><c r="C2" t="s"><v>11</v></c><c r="D2" t="s"><v>12</v></c><c r="E2" s="2" t="s"><v>13</v></c><c r="I2"><f>LEN(B2)</f><v>20</v></c></row><row r="3" spans="1:9"><c r="A3" t="s"><v>14</v></c><c r="B3" t="s"><v>15</v></c><c r="E3" t="s"><v>13</v></c><c r="I3"><f>LEN(B3)</f><v>4</v></c></row></sheetData><autoFilter ref="A1:I3"/><conditionalFormatting sqref="E2:E3"><cfRule type="containsText" dxfId="0" priority="1" operator="containsText" text="Escalated"><formula>NOT(ISERROR(SEARCH("Escalated",E2)))</formula></cfRule></conditionalFormatting><dataValidations count="1"><dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" sqref="C2:C100"><formula1>"Bug,Feature"</formula1></dataValidation></dataValidations><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><drawing r:id="rId1"/><legacyDrawing r:id="rId2"/><extLst><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="dataBar" id="{{1}}"/><xm:sqref>I2:I3</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst></worksheet>"""
STRINGS = HEADER + ["+919876543210", "Sharma General Store", "Bug", "Stock will not update",
                    "Escalated", "+919812345670", "Rao"]
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FF00FF00"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="1"><dxf><font><color rgb="FF9C0006"/></font></dxf></dxfs></styleSheet>"""
COMMENTS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="{MAIN}"><authors><author>Priya</author></authors><commentList><comment ref="E2" authorId="0"><text><r><rPr><b/><sz val="9"/></rPr><t>Priya:</t></r><r><rPr><sz val="9"/></rPr><t xml:space="preserve"> call him back</t></r></text></comment></commentList></comments>"""
VML = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype><v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute;visibility:hidden" fillcolor="#ffffe1"><v:fill color2="#ffffe1"/><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill><x:Row>1</x:Row><x:Column>4</x:Column></x:ClientData></v:shape></xml>"""
DRAWING = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:twoCellAnchor><xdr:from><xdr:col>10</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>16</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>15</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId1" xmlns:r="{R}"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"""
CHART = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/><c:val><c:numRef><c:f>Tracker!$I$2:$I$3</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="2"/><c:pt idx="0"><c:v>20</c:v></c:pt><c:pt idx="1"><c:v>4</c:v></c:pt></c:numCache></c:numRef></c:val></c:ser><c:axId val="1"/><c:axId val="2"/></c:barChart><c:catAx><c:axId val="1"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/><c:crossAx val="2"/></c:catAx><c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:crossAx val="1"/></c:valAx></c:plotArea></c:chart></c:chartSpace>"""


def excel_like(path: Path, macros: bool = False) -> Path:
    """A tracker package as Excel saves one, with everything a team adds to it."""
    def sst() -> str:
        items = "".join(f"<si><t>{s}</t></si>" for s in STRINGS)
        return f'<sst xmlns="{MAIN}" count="{len(STRINGS) + 1}" uniqueCount="{len(STRINGS)}">' \
               f"{items}</sst>"
    kind = "application/vnd.ms-excel.sheet.macroEnabled.main+xml" if macros else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    o = "application/vnd.openxmlformats-officedocument"
    members = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Default Extension="vml" ContentType="{o}.vmlDrawing"/>'
        + ('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
           if macros else "") +
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{o}.spreadsheetml.'
        f'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="{o}.spreadsheetml.'
        f'styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{o}.'
        f'spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/calcChain.xml" '
        f'ContentType="{o}.spreadsheetml.calcChain+xml"/><Override PartName="/xl/comments1.xml"'
        f' ContentType="{o}.spreadsheetml.comments+xml"/><Override PartName="/xl/drawings/'
        f'drawing1.xml" ContentType="{o}.drawing+xml"/><Override PartName="/xl/charts/chart1.'
        f'xml" ContentType="{o}.drawingml.chart+xml"/><Override PartName="/docProps/app.xml" '
        f'ContentType="{o}.extended-properties+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{R}/'
        f'officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="{R}/'
        f'extended-properties" Target="docProps/app.xml"/></Relationships>',
        "docProps/app.xml": '<Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/'
        'officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application>'
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets'
        '</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector>'
        '</HeadingPairs><TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>Tracker'
        '</vt:lpstr></vt:vector></TitlesOfParts></Properties>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN}" xmlns:r="{R}"><workbookPr/><bookViews><workbookView '
        f'activeTab="0"/></bookViews><sheets><sheet name="Tracker" sheetId="1" r:id="rId1"/>'
        f'</sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
        f'hidden="1">Tracker!$A$1:$I$3</definedName><definedName name="Sellers">Tracker!$B:$B'
        f'</definedName></definedNames><calcPr calcId="191029"/></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{R}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{R}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="{R}/'
        f'sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId4" Type="{R}/'
        f'calcChain" Target="calcChain.xml"/>' + (
            '<Relationship Id="rId5" Type="http://schemas.microsoft.com/office/2006/'
            'relationships/vbaProject" Target="vbaProject.bin"/>' if macros else "") +
        "</Relationships>",
        "xl/worksheets/sheet1.xml": SHEET,
        "xl/worksheets/_rels/sheet1.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship '
        f'Id="rId1" Type="{R}/drawing" Target="../drawings/drawing1.xml"/><Relationship '
        f'Id="rId2" Type="{R}/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/><Relationship '
        f'Id="rId3" Type="{R}/comments" Target="../comments1.xml"/></Relationships>',
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": sst(),
        "xl/calcChain.xml": f'<calcChain xmlns="{MAIN}"><c r="I2" i="1"/><c r="I3"/>'
        "</calcChain>",
        "xl/comments1.xml": COMMENTS,
        "xl/drawings/vmlDrawing1.vml": VML,
        "xl/drawings/drawing1.xml": DRAWING,
        "xl/drawings/_rels/drawing1.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship '
        f'Id="rId1" Type="{R}/chart" Target="../charts/chart1.xml"/></Relationships>',
        "xl/charts/chart1.xml": CHART,
    }
    if macros:
        members["xl/vbaProject.bin"] = "\x00VBA" * 64
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("latin-1") if name.endswith(".bin") else text)
    return path


def loads_cleanly(path: Path) -> openpyxl.Workbook:
    """The file as openpyxl and python-calamine load it, with no warning but the one
    openpyxl gives for the team's own x14 extension (which it says it cannot keep; Excel's
    file gives it too, and sheetsync keeps the extension)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book = openpyxl.load_workbook(path)
        calamine = CalamineWorkbook.from_path(str(path))
        for name in calamine.sheet_names:
            calamine.get_sheet_by_name(name).to_python()
    assert [str(w.message) for w in caught
            if "Conditional Formatting extension" not in str(w.message)] == []
    return book


@pytest.mark.parametrize("macros", [False, True])
def test_a_write_leaves_every_part_sheetsync_does_not_own_byte_for_byte(
        tmp_path: Path, macros: bool) -> None:
    path = excel_like(tmp_path / ("tracker.xlsm" if macros else "tracker.xlsx"), macros)
    before = stored_entries(path)
    workbook = Workbook(path, "Tracker")
    assert workbook.save_blockers() == []
    workbook.read()
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001"),
                              CellWrite(3, "Ticket ID", "=HYPERLINK(\"x\")")],
                          [CellMark(2, "Status", "Escalated without an assignee"),
                           CellMark(3, "Seller Name", "Name missing")]) is None
    after = stored_entries(path)
    owned = {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/comments1.xml",
             "xl/drawings/vmlDrawing1.vml", "xl/workbook.xml"}
    assert {n for n in before if n not in owned and before[n] != after.get(n)} == set()
    book = loads_cleanly(path)
    sheet = book["Tracker"]
    assert sheet["J1"].value == "Ticket ID" and sheet["J1"].font.b  # the header row's style
    assert sheet["J2"].value == "INT-000001"
    assert sheet["J3"].value == '=HYPERLINK("x")' and sheet["J3"].data_type == "s"  # text
    assert sheet["I2"].value == "=LEN(B2)"  # a formula keeps its text ...
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the x14 extension, as above)
        values = openpyxl.load_workbook(path, data_only=True)["Tracker"]
    assert values["I2"].value == 20  # ... and its cached value
    assert sheet.auto_filter.ref == "A1:J3"  # the filter covers the column sheetsync added
    note = sheet["E2"].comment
    assert note.author == "Priya" and note.text.startswith("Priya: call him back")
    assert NOTE_SECTION + "Escalated without an assignee" in note.text
    assert sheet["E2"].fill.fgColor.rgb == "FF00FF00"  # the team's colour is kept
    assert sheet["B3"].fill.fgColor.rgb == "FFFCE4E4"  # sheetsync's where there was none
    assert sheet["B3"].comment.text == NOTE_SECTION + "Name missing"
    with zipfile.ZipFile(path) as archive:
        assert b'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml")
        assert b'<definedName name="Sellers">' in archive.read("xl/workbook.xml")
        styles = archive.read("xl/styles.xml")
        assert styles.startswith(STYLES.split("<cellXfs")[0].encode()[:200])
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        assert b"x14:conditionalFormatting" in sheet_xml and b"<dimension ref=\"A1:J3\"/>" \
            in sheet_xml
        assert archive.read("xl/sharedStrings.xml").count(b"<si>") == len(STRINGS)
    assert backup_path(path).exists()  # the first save keeps the file it replaced
    assert stored_entries(backup_path(path)) == before


def test_a_note_taken_away_leaves_the_persons_note_and_colour(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "tracker.xlsx")
    workbook = Workbook(path, "Tracker")
    workbook.read()
    assert workbook.write(1, [], [CellMark(2, "Status", "flagged"),
                                  CellMark(2, "Seller Name", "flagged")]) is None
    workbook.read()
    assert workbook.write(1, [], [CellMark(2, "Status", None),
                                  CellMark(2, "Seller Name", None)]) is None
    sheet = loads_cleanly(path)["Tracker"]
    assert sheet["E2"].comment.text == "Priya: call him back"
    assert sheet["E2"].fill.fgColor.rgb == "FF00FF00"
    assert sheet["B2"].comment is None and sheet["B2"].fill.fill_type is None
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/drawings/vmlDrawing1.vml").count(b"<v:shape ") == 1


def test_setup_on_the_teams_sheet_keeps_its_chart_and_skips_a_dropdown_over_its_validation(
        tmp_path: Path) -> None:
    path = excel_like(tmp_path / "tracker.xlsx")
    before = stored_entries(path)
    changes = Workbook(path, "Tracker").setup(plan_setup(PRESETS["seller-support"]),
                                              lambda done, total: None)
    assert "froze the header (row 1)" in changes.done
    assert any("Issue Type" in s and "validation of the team's own" in s
               for s in changes.skipped)
    assert "dropdown on Status" in changes.done
    after = stored_entries(path)
    assert all(after[n] == before[n] for n in ("xl/charts/chart1.xml",
                                               "xl/drawings/drawing1.xml",
                                               "xl/comments1.xml", "xl/calcChain.xml"))
    sheet = loads_cleanly(path)["Tracker"]
    assert sheet.freeze_panes == "A2"
    rules = {str(r.sqref): r for r in sheet.data_validations.dataValidation}
    assert rules["C2:C100"].formula1 == '"Bug,Feature"'  # the team's, untouched
    assert Workbook(path, "Tracker").setup(plan_setup(PRESETS["seller-support"]),
                                           lambda done, total: None).done == []
    removed = Workbook(path, "Tracker").remove_setup(plan_setup(PRESETS["seller-support"]))
    assert removed.done and "dropdowns" in removed.done[0]
    sheet = loads_cleanly(path)["Tracker"]
    assert [str(r.sqref) for r in sheet.data_validations.dataValidation] == ["C2:C100"]


def test_a_report_tab_is_a_part_of_its_own_and_pruned_with_its_parts(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from sheetsync.core.reporting import Chart, Period, Report, Table

    path = excel_like(tmp_path / "tracker.xlsx")
    before = stored_entries(path)

    def report(day: str) -> Report:
        start = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        return Report(period=Period("daily", start, start, day), generated_at=start,
                      figures=[("Open tickets", 3)],
                      tables=[Table("By status", ("Status", "Count"),
                                    [("Pending", 2), ("=cmd", 1)])],
                      charts=[Chart("bar", "By status", "By status")])
    workbook = Workbook(path, "Tracker")
    for day in ("2026-11-21", "2026-11-22", "2026-11-23"):
        workbook.read()
        assert workbook.write_report(report(day), f"Daily {day}", keep=2) is None
    book = loads_cleanly(path)
    assert book.sheetnames == ["Tracker", "Daily 2026-11-22", "Daily 2026-11-23"]
    tab = book["Daily 2026-11-23"]
    assert len(tab._charts) == 1
    cells = [c.value for row in tab.iter_rows() for c in row if c.value is not None]
    assert "=cmd" in cells and 3 in cells
    after = stored_entries(path)
    assert after["xl/charts/chart1.xml"] == before["xl/charts/chart1.xml"]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        app = archive.read("docProps/app.xml")
    assert sum(n.startswith("xl/worksheets/sheet") for n in names) == 3  # the pruned one gone
    assert sum(n.startswith("xl/charts/chart") for n in names) == 3
    assert b"Daily 2026-11-21" not in app and b"Daily 2026-11-23" in app


def test_a_report_tabs_number_formats_are_appended_to_the_teams_styles(tmp_path: Path) -> None:
    import re
    from datetime import datetime, timezone

    from sheetsync.core.reporting import Hours, Percent, Period, Report

    path = excel_like(tmp_path / "tracker.xlsx")
    start = datetime(2026, 11, 23, tzinfo=timezone.utc)
    workbook = Workbook(path, "Tracker")
    workbook.read()
    assert workbook.write_report(Report(
        Period("weekly", start, start, "2026-W48"), start,
        [("Share", Percent(0.25)), ("Median (h)", Hours(4.0)), ("Tickets", 3),
         ("Rating", None)], []), "Weekly 2026-W48", keep=None) is None

    def xfs(styles: bytes) -> bytes:
        return re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)  # type: ignore

    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml")
    assert xfs(styles).startswith(xfs(STYLES.encode()))  # the team's formats keep their index
    assert b'<numFmt numFmtId="164" formatCode="0.0"/>' in styles  # the first custom ID
    book = loads_cleanly(path)
    tab = book["Weekly 2026-W48"]
    shown = {tab.cell(r, 1).value: tab.cell(r, 2) for r in range(6, 10)}
    assert [(c.value, c.number_format) for c in shown.values()] == [
        (0.25, "0%"), (4.0, "0.0"), (3, "0"), ("n/a", "General")]
    assert shown["Rating"].alignment.horizontal == "right"  # beside the numbers
    assert book["Tracker"]["A1"].font.b  # the team's header still bold


def test_a_half_written_file_is_not_ready_next_cycle(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "tracker.xlsx")
    workbook = Workbook(path, "Tracker")
    workbook.read()
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a person's program writing in place
    workbook._stamp = workbook.probe()
    said = workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")])
    assert said is not None and "being saved" in said
    path.write_bytes(whole)
    workbook.read()
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")]) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(st.integers(2, 40), st.sampled_from(
    ["Ticket ID", "Sync Notes", "Seller Name", "Total"]), st.one_of(
    st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))),
    max_size=15))
def test_random_writes_read_back_as_written(tmp_path: Path,
                                            writes: list[tuple[int, str, str | None]]) -> None:
    path = excel_like(tmp_path / "random.xlsx")
    workbook = Workbook(path, "Tracker")
    grid = workbook.read()
    expected = {(r, c): v for r, c, v in writes}  # the last write to a cell wins
    assert workbook.write(1, [CellWrite(r, c, v) for r, c, v in writes]) is None
    rows = Workbook(path, "Tracker").read().rows
    header = list(rows[0])
    for (row, column), value in expected.items():
        shown = rows[row - 1][header.index(column)] if row <= len(rows) else ""
        wanted = "".join(ch for ch in (value or "") if ch >= " " or ch in "\t\n\r")
        assert (shown or "") == wanted
    untouched = [(r, c) for r in range(1, len(grid.rows) + 1) for c in range(len(HEADER))
                 if all((r, HEADER[c]) != (w[0], w[1]) for w in writes)]
    for r, c in untouched:
        assert rows[r - 1][c] == grid.rows[r - 1][c]
    loads_cleanly(path)


def test_a_tracker_libreoffice_saved_with_an_empty_drawing_is_written(tmp_path: Path) -> None:
    """LibreOffice writes an empty xl/drawings/drawing1.xml for a sheet with a filter."""
    path = excel_like(tmp_path / "tracker.xlsx")
    empty = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr='
             b'"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"/>')
    with zipfile.ZipFile(path) as source:
        members = {n: source.read(n) for n in source.namelist()}
    members["xl/drawings/drawing1.xml"] = empty
    members.pop("xl/drawings/_rels/drawing1.xml.rels")
    members.pop("xl/charts/chart1.xml")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    workbook = Workbook(path, "Tracker")
    assert workbook.save_blockers() == []
    workbook.read()
    assert workbook.write(1, [CellWrite(2, "Ticket ID", "INT-000001")]) is None
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/drawings/drawing1.xml") == empty
    assert Workbook(path, "Tracker").read().rows[1][9] == "INT-000001"


def _notes_vml(cells: list[tuple[int, int]]) -> bytes:
    """VML as Excel writes it beside a sheet, with a note shape for each (row, column)."""
    shapes = "".join(
        f'<v:shape id="_x0000_s{1025 + i}" type="#_x0000_t202" style="visibility:hidden">'
        f'<x:ClientData ObjectType="Note"><x:Row>{row - 1}</x:Row><x:Column>{column - 1}'
        f"</x:Column></x:ClientData></v:shape>" for i, (row, column) in enumerate(cells))
    end = VML.index("<v:shape id=")
    return (VML[:end] + shapes + "</xml>").encode()


@given(st.sets(st.integers(2, 40), max_size=10), st.sets(st.integers(41, 50), max_size=4),
       st.integers(1, 300))
@settings(max_examples=40, deadline=None)
def test_a_drawing_of_notes_streamed_in_any_chunks_loses_exactly_the_notes_taken_away(
        gone: set[int], new: set[int], chunk: int) -> None:
    vml = _notes_vml([(row, 3) for row in range(2, 41)])
    pieces = (vml[i:i + chunk] for i in range(0, len(vml), chunk))
    edited = b"".join(vml_edited(pieces, {(row, 3) for row in gone}, sorted((r, 3) for r in new)))
    rows = [int(r) + 1 for r in re.findall(rb"<x:Row>(\d+)</x:Row>", edited)]
    assert rows == [r for r in range(2, 41) if r not in gone] + sorted(new)
    ids = re.findall(rb'id="_x0000_s(\d+)"', edited)
    assert len(set(ids)) == len(ids)  # a new shape never takes a kept one's ID
    assert edited.endswith(b"</xml>") and edited.count(b"_x0000_t202\" coordsize") == 1
    assert b"".join(vml_edited([vml], {(row, 3) for row in gone},
                               sorted((r, 3) for r in new))) == edited
