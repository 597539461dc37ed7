"""A worksheet part's XML, edited where sheetsync writes: the cells of one row, and the
sheet-wide elements around the rows (dimension, frozen pane, filter, validations, the link to
its notes).

Every function takes bytes and returns bytes: a row's `<row>` element, or the sheet's
"skeleton" (the part with its `<sheetData>` left empty), so a sheet of 100k rows is never
held whole; the backend streams the rows in between.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sheetsync.core import xlsx_xml as x

#: The children of <worksheet>, in the order the schema (ECMA-376 CT_Worksheet) wants them.
WORKSHEET = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
             "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
             "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
             "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
             "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
             "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
             "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
             "controls", "webPublishItems", "tableParts", "extLst")
LAST_ROW = 1048576
KEEP = object()


@dataclass(frozen=True, slots=True)
class CellEdit:
    """What to do to one cell: set its value (text is always text), give it a style (a
    header's), and put sheetsync's highlight on or take it off (None: leave the fill)."""

    value: Any = KEEP
    style: int | None = None
    mark: bool | None = None

    @property
    def sets_value(self) -> bool:
        return self.value is not KEEP


#: (the cell's style, True to highlight / False to take the highlight off) -> its new style
Restyle = Callable[[int, bool], int]


def rewrite_row(row: bytes | None, number: int, edits: Mapping[int, CellEdit],
                restyle: Restyle, prefix: str = "") -> bytes:
    """The `<row>` element `number` with `edits` (column -> edit) applied, cells in column
    order, every other cell's bytes as they were; a new row when `row` is None."""
    p = f"{prefix}:" if prefix else ""
    if row is None:
        row = f'<{p}row r="{number}"/>'.encode()
    head, cells, rest = _split_row(row)
    out: list[bytes] = []
    pending = sorted(edits)
    column = 0
    for tag in cells:
        found = _CELL_REF.search(tag, 0, tag.find(b">"))
        column = x.column_number(found.group(1).decode()) if found else column + 1
        while pending and pending[0] < column:
            out.append(_cell(None, number, pending[0], edits[pending.pop(0)], restyle, p))
        if pending and pending[0] == column:
            out.append(_cell(tag, number, column, edits[pending.pop(0)], restyle, p))
        else:
            out.append(tag if found else x.with_attribute(
                tag, "r", f"{x.column_letter(column)}{number}"))
    out += [_cell(None, number, c, edits[c], restyle, p) for c in pending]
    head = x.with_attribute(head, "spans", None)  # a hint, wrong once cells move
    head = head[:-2].rstrip() + b">" if head.endswith(b"/>") else head
    return head + b"".join(out) + rest + f"</{p}row>".encode()


_ROW_HEAD = re.compile(rb"<(?:[\w.\-]+:)?row\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
_CELL = re.compile(rb"<(?:[\w.\-]+:)?c\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?"
                   rb"</(?:[\w.\-]+:)?c\s*>)", re.DOTALL)
_CELL_REF = re.compile(rb"\sr\s*=\s*\"\$?([A-Za-z]{1,3})\$?\d+\"")
_ROW_CLOSE = re.compile(rb"</(?:[\w.\-]+:)?row\s*>\s*$")


def _split_row(row: bytes) -> tuple[bytes, list[bytes], bytes]:
    """A `<row>` as its start tag, its cells, and what follows them (a row's extLst)."""
    start = _ROW_HEAD.match(row)
    if start is None:
        raise ValueError("not a row")
    if start.group(1):
        return row[:start.end()], [], b""
    close = _ROW_CLOSE.search(row)
    body_end = close.start() if close else len(row)
    cells, last = [], start.end()
    for found in _CELL.finditer(row, start.end(), body_end):
        cells.append(found.group(0))
        last = found.end()
    return row[:start.end()], cells, row[last:body_end].strip()


def _cell(tag: bytes | None, row: int, column: int, edit: CellEdit, restyle: Restyle,
          p: str) -> bytes:
    """One `<c>`, edited (or made, for a cell that was not there)."""
    reference = f"{x.column_letter(column)}{row}"
    old = tag or f'<{p}c r="{reference}"/>'.encode()
    style = edit.style if edit.style is not None else int(x.attribute(old, "s") or 0)
    if edit.mark is not None:
        style = restyle(style, edit.mark)
    if not edit.sets_value:
        head = x.with_attribute(x.with_attribute(old, "r", reference), "s",
                                str(style) if style else None)
        return head
    shown = "" if not style else f' s="{style}"'
    value = edit.value
    if value is None or value == "":
        return f'<{p}c r="{reference}"{shown}/>'.encode()
    if isinstance(value, bool):
        return f'<{p}c r="{reference}"{shown} t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<{p}c r="{reference}"{shown}><{p}v>{value!r}</{p}v></{p}c>'.encode()
    text = x.escape(str(value))
    return (f'<{p}c r="{reference}"{shown} t="inlineStr"><{p}is><{p}t xml:space="preserve">'
            .encode() + text + f"</{p}t></{p}is></{p}c>".encode())


def row_cells(row: bytes) -> dict[int, bytes]:
    """A row's cells by column (for reading a header row)."""
    found: dict[int, bytes] = {}
    column = 0
    for tag in _split_row(row)[1]:
        reference = _CELL_REF.search(tag, 0, tag.find(b">"))
        column = x.column_number(reference.group(1).decode()) if reference else column + 1
        found[column] = tag
    return found


def cell_text(tag: bytes, shared: Callable[[int], str]) -> str:
    """A cell's value as text: an inline or shared string, a number as written."""
    span = x.root(tag)
    kind = x.attribute(tag, "t")
    if kind == "inlineStr":
        found = x.child(tag, span, "is")
        return x.text_of(tag, found) if found else ""
    value = x.child(tag, span, "v")
    text = x.unescape(tag[value.inner:value.closes].decode("utf-8")) if value else ""
    if kind == "s" and text.strip().isdigit():
        return shared(int(text))
    return text


# --- the skeleton: everything but the rows ----------------------------------------------------


def prefix_of(skeleton: bytes) -> str:
    return x.root(skeleton).prefix


def _element(skeleton: bytes, local: str) -> x.Span | None:
    return x.child(skeleton, x.root(skeleton), local)


def _put(skeleton: bytes, local: str, new: bytes) -> bytes:
    """The skeleton with its `local` child replaced by `new`, or `new` inserted in order."""
    found = _element(skeleton, local)
    if found is not None:
        return x.replace(skeleton, found, new)
    return x.insert_child(skeleton, x.root(skeleton), new, local, WORKSHEET)


def with_dimension(skeleton: bytes, top: int, left: int, bottom: int, right: int) -> bytes:
    """`<dimension>` grown to hold the given area too (left alone when the sheet has none)."""
    found = _element(skeleton, "dimension")
    if found is None:
        return skeleton
    tag = skeleton[found.start:found.end]
    try:
        old = x.area(x.attribute(tag, "ref") or "")
    except ValueError:
        old = (top, left, bottom, right)
    new = x.area_text(min(old[0], top), min(old[1], left), max(old[2], bottom),
                      max(old[3], right))
    return x.replace(skeleton, found, x.with_attribute(tag, "ref", new))


def frozen_below(skeleton: bytes) -> int | None:
    """The row the frozen pane starts at (2 when row 1 is frozen), or None."""
    views = _element(skeleton, "sheetViews")
    view = x.child(skeleton, views, "sheetView") if views else None
    pane = x.child(skeleton, view, "pane") if view else None
    if pane is None:
        return None
    tag = skeleton[pane.start:pane.end]
    if x.attribute(tag, "state") not in ("frozen", "frozenSplit"):
        return None
    top = x.attribute(tag, "topLeftCell")
    return x.cell_position(top)[0] if top else None


def with_frozen_header(skeleton: bytes, header_row: int) -> bytes:
    """The first sheet view frozen below the header row (its other settings kept)."""
    p = prefix_of(skeleton)
    q = f"{p}:" if p else ""
    top = f"A{header_row + 1}"
    pane = (f'<{q}pane ySplit="{header_row}" topLeftCell="{top}" activePane="bottomLeft" '
            f'state="frozen"/>').encode()
    selection = f'<{q}selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'.encode()
    views = _element(skeleton, "sheetViews")
    view = x.child(skeleton, views, "sheetView") if views else None
    if views is None or view is None:
        return _put(skeleton, "sheetViews", f'<{q}sheetViews><{q}sheetView workbookViewId="0">'
                    .encode() + pane + selection + f"</{q}sheetView></{q}sheetViews>".encode())
    tag = skeleton[view.start:view.end]
    inner = x.root(tag)
    kept = [tag[s.start:s.end] for s in x.children(tag, inner.inner, inner.closes)
            if s.local not in ("pane", "selection")] if inner.inner != inner.end else []
    head = tag[:inner.inner]
    head = head[:-2].rstrip() + b">" if head.endswith(b"/>") else head
    new = head + pane + selection + b"".join(kept) + inner.close_tag
    return x.replace(skeleton, view, new)


def filter_area(skeleton: bytes) -> tuple[int, int, int, int] | None:
    found = _element(skeleton, "autoFilter")
    try:
        return x.area(x.attribute(skeleton[found.start:found.end], "ref") or "") \
            if found else None
    except ValueError:
        return None


def with_filter(skeleton: bytes, top: int, left: int, bottom: int, right: int) -> bytes:
    """The filter set to this area: a new `<autoFilter>`, or the ref of the team's own one
    changed (its column filters kept)."""
    ref = x.area_text(top, left, bottom, right)
    found = _element(skeleton, "autoFilter")
    if found is not None:
        return x.replace(skeleton, found, x.with_attribute(
            skeleton[found.start:found.end], "ref", ref))
    p = prefix_of(skeleton)
    return _put(skeleton, "autoFilter", f'<{p + ":" if p else ""}autoFilter ref="{ref}"/>'
                .encode())


@dataclass(frozen=True, slots=True)
class Validation:
    """A data validation of the sheet: the cells it covers and its prompt."""

    areas: tuple[tuple[int, int, int, int], ...]
    prompt: str
    xml: bytes


def validations(skeleton: bytes) -> list[Validation]:
    """The sheet's data validations (the main ones; an x14 extension's are the team's own
    and are listed by `extension_validation_areas`)."""
    found = _element(skeleton, "dataValidations")
    if found is None:
        return []
    out = []
    for rule in x.each(skeleton, found, "dataValidation"):
        tag = skeleton[rule.start:rule.end]
        out.append(Validation(_areas(x.attribute(tag, "sqref") or ""),
                              x.attribute(tag, "prompt") or "", tag))
    return out


def extension_validation_areas(skeleton: bytes) -> list[tuple[int, int, int, int]]:
    """The areas of validations Excel keeps in the x14 extension (lists from another
    sheet): `<xm:sqref>` inside `<x14:dataValidation>`."""
    found = _element(skeleton, "extLst")
    if found is None:
        return []
    text = skeleton[found.start:found.end]
    areas: list[tuple[int, int, int, int]] = []
    for block in re.findall(rb"<(?:\w+:)?dataValidation\b.*?</(?:\w+:)?dataValidation>", text,
                            re.DOTALL):
        for sqref in re.findall(rb"<(?:\w+:)?sqref>([^<]*)<", block):
            areas += _areas(sqref.decode())
    return areas


def _areas(sqref: str) -> tuple[tuple[int, int, int, int], ...]:
    out = []
    for part in sqref.split():
        try:
            out.append(x.area(part))
        except ValueError:
            continue
    return tuple(out)


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def with_validations(skeleton: bytes, keep: Callable[[Validation], bool],
                     add: list[bytes]) -> bytes:
    """The sheet's validations filtered by `keep`, then `add` (each a `<dataValidation>`)."""
    p = prefix_of(skeleton)
    q = f"{p}:" if p else ""
    kept = [v.xml for v in validations(skeleton) if keep(v)] + add
    found = _element(skeleton, "dataValidations")
    if not kept:
        return x.replace(skeleton, found, b"") if found else skeleton
    new = f'<{q}dataValidations count="{len(kept)}">'.encode() + b"".join(kept) + \
        f"</{q}dataValidations>".encode()
    return _put(skeleton, "dataValidations", new)


def list_validation(prompt_title: str, prompt: str, listed: str,
                    top: int, column: int, prefix: str = "") -> bytes:
    """A dropdown on a column below the header: shown, not strict (errorStyle
    "information": a person may keep an odd value, for sheetsync to flag)."""
    q = f"{prefix}:" if prefix else ""
    ref = x.area_text(top, column, LAST_ROW, column)
    return (f'<{q}dataValidation type="list" errorStyle="information" allowBlank="1" '
            f'showInputMessage="1" showErrorMessage="1" promptTitle="').encode() + \
        x.quote(prompt_title) + b'" prompt="' + x.quote(prompt) + \
        f'" sqref="{ref}"><{q}formula1>'.encode() + x.escape(listed) + \
        f"</{q}formula1></{q}dataValidation>".encode()


def legacy_drawing(skeleton: bytes) -> str | None:
    """The relationship ID of the sheet's notes' VML drawing, if it has one."""
    found = _element(skeleton, "legacyDrawing")
    if found is None:
        return None
    tag = skeleton[found.start:found.end]
    return next((value for name in ("r:id", "id") if (value := x.attribute(tag, name))), None)


def with_legacy_drawing(skeleton: bytes, rid: str) -> bytes:
    skeleton = bind_relationships(skeleton)
    p = prefix_of(skeleton)
    rel = _relationship_prefix(skeleton)
    return _put(skeleton, "legacyDrawing",
                f'<{p + ":" if p else ""}legacyDrawing {rel}:id="{rid}"/>'.encode())


def _relationship_prefix(skeleton: bytes) -> str:
    """The prefix the sheet binds to the relationships namespace ("r" as Excel writes it);
    bound on the root when missing."""
    head = skeleton[:x.root(skeleton).inner]
    match = re.search(rb'xmlns:(\w+)="http://schemas.openxmlformats.org/officeDocument/2006/'
                      rb'relationships"', head)
    return match.group(1).decode() if match else "r"


def bind_relationships(skeleton: bytes) -> bytes:
    """The skeleton with the relationships prefix bound on its root (for a new r:id)."""
    top = x.root(skeleton)
    head = skeleton[:top.inner]
    if b"officeDocument/2006/relationships\"" in head:
        return skeleton
    return x.with_attribute(head, "xmlns:r", "http://schemas.openxmlformats.org/"
                            "officeDocument/2006/relationships") + skeleton[top.inner:]
