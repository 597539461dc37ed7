"""The small parts of an .xlsx package sheetsync edits beside a sheet: styles (appended to,
never reindexed), notes (comments and their VML shapes), relationships, content types, the
workbook's list of sheets and docProps/app.xml.

Each is bytes in, bytes out, changed only where sheetsync writes; every other byte stays as
the program that saved it wrote it. The notes of a big tracker are parts of tens of MB (17k
notes: a 15 MB comments part, a 50 MB VML drawing), so those two go out as pieces: the
comments as views of the part as read, the drawing streamed a chunk at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sheetsync.core import xlsx_xml as x
from sheetsync.core.cells import NOTE_AUTHOR, NOTE_SECTION, merged_note, persons_note

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
COMMENTS = f"{REL}/comments"
VML = f"{REL}/vmlDrawing"
WORKSHEET = f"{REL}/worksheet"
DRAWING = f"{REL}/drawing"
CHART = f"{REL}/chart"
CALC_CHAIN = f"{REL}/calcChain"
CONTENT = "application/vnd.openxmlformats-officedocument"
COMMENTS_TYPE = f"{CONTENT}.spreadsheetml.comments+xml"
VML_TYPE = f"{CONTENT}.vmlDrawing"
WORKSHEET_TYPE = f"{CONTENT}.spreadsheetml.worksheet+xml"
DRAWING_TYPE = f"{CONTENT}.drawing+xml"
CHART_TYPE = f"{CONTENT}.drawingml.chart+xml"

#: The children of <workbook>, in the schema's order (ECMA-376 CT_Workbook).
WORKBOOK = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
            "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr",
            "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
            "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")
STYLESHEET = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
              "dxfs", "tableStyles", "colors", "extLst")


#: The number formats every spreadsheet program knows by ID (ECMA-376 Part 1, 18.8.30).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                   "0.00%": 10}
FIRST_CUSTOM_FORMAT = 164  # IDs below are built in

HIGHLIGHT = "FFFCE4E4"  # sheetsync's fill; a cell with a fill of its own is never repainted
EMPTY_STYLES = (f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
                '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
                'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
                '</fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf '
                'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs '
                'count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '</cellXfs></styleSheet>').encode()


def _q(prefix: str) -> str:
    return f"{prefix}:" if prefix else ""


# --- styles ----------------------------------------------------------------------------------


class Styles:
    """styles.xml, with number formats, fills, fonts and cell formats appended as sheetsync
    needs them: existing indices never move, so every cell keeps the style it points at."""

    def __init__(self, xml: bytes, highlight: str = HIGHLIGHT) -> None:
        self._xml = xml
        self._highlight = highlight
        top = x.root(xml)
        self._p = top.prefix
        self._xfs = self._list("cellXfs", "xf")
        self._fills = self._list("fills", "fill")
        self._fonts = self._list("fonts", "font")
        self._formats = self._list("numFmts", "numFmt")
        self._added: dict[str, list[bytes]] = {"cellXfs": [], "fills": [], "fonts": [],
                                               "numFmts": []}
        self._ours: int | None = None
        self._restyled: dict[tuple[int, bool], int] = {}

    def _list(self, group: str, item: str) -> list[bytes]:
        found = x.child(self._xml, x.root(self._xml), group)
        return [self._xml[s.start:s.end] for s in x.each(self._xml, found, item)] \
            if found else []

    @property
    def changed(self) -> bool:
        return any(self._added.values())

    def highlighted(self, style: int, on: bool) -> int:
        """The style for a cell of `style` with sheetsync's highlight on, or taken off. A
        cell with a fill of its own keeps it; only sheetsync's own fill is taken away."""
        if (style, on) not in self._restyled:
            self._restyled[(style, on)] = self._highlighted(style, on)
        return self._restyled[(style, on)]

    def _highlighted(self, style: int, on: bool) -> int:
        xf = self._xf(style)
        fill = int(x.attribute(xf, "fillId") or 0)
        if on and not self._filled(fill):
            changed = x.with_attribute(x.with_attribute(xf, "fillId", str(self._our_fill())),
                                       "applyFill", "1")
        elif not on and self._is_ours(fill):
            changed = x.with_attribute(x.with_attribute(xf, "fillId", "0"), "applyFill", None)
        else:
            return style
        return self._index("cellXfs", changed, self._xfs)

    def has_our_fill(self, style: int) -> bool:
        return self._is_ours(int(x.attribute(self._xf(style), "fillId") or 0))

    def style(self, font: bytes | None = None, fill: bytes | None = None,
              number_format: int | None = None, horizontal: str | None = None) -> int:
        """A cell format with this font and fill (each an element), number format (an ID, see
        `number_format`) and horizontal alignment, on the default one."""
        p = _q(self._p)
        attributes = ['numFmtId="%d"' % (number_format or 0)]
        if number_format:
            attributes.append('applyNumberFormat="1"')
        if font is not None:
            attributes.append(f'fontId="{self._index("fonts", font, self._fonts)}" '
                              'applyFont="1"')
        else:
            attributes.append('fontId="0"')
        if fill is not None:
            attributes.append(f'fillId="{self._index("fills", fill, self._fills)}" '
                              'applyFill="1"')
        else:
            attributes.append('fillId="0"')
        attributes.append('borderId="0" xfId="0"')
        if horizontal is None:
            xf = f'<{p}xf {" ".join(attributes)}/>'
        else:
            xf = (f'<{p}xf {" ".join(attributes)} applyAlignment="1"><{p}alignment '
                  f'horizontal="{horizontal}"/></{p}xf>')
        return self._index("cellXfs", xf.encode(), self._xfs)

    def number_format(self, code: str) -> int:
        """The ID of the number format `code` ("0.0"): a built-in one's, the workbook's own
        where it has it, else a new one after every ID already taken."""
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        every = self._formats + self._added["numFmts"]
        ids = {x.attribute(f, "formatCode") or "": int(x.attribute(f, "numFmtId") or 0)
               for f in every}
        if code in ids:
            return ids[code]
        number = max([*ids.values(), FIRST_CUSTOM_FORMAT - 1]) + 1
        self._added["numFmts"].append(f'<{_q(self._p)}numFmt numFmtId="{number}" formatCode="'
                                      .encode() + x.quote(code) + b'"/>')
        return number

    def font(self, bold: bool = False, italic: bool = False, size: float = 11) -> bytes:
        p = _q(self._p)
        return (f"<{p}font>" + (f"<{p}b/>" if bold else "") + (f"<{p}i/>" if italic else "") +
                f'<{p}sz val="{size:g}"/><{p}name val="Calibri"/><{p}family val="2"/></{p}font>'
                ).encode()

    def solid_fill(self, rgb: str) -> bytes:
        p = _q(self._p)
        return (f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
                f'<{p}bgColor rgb="{rgb}"/></{p}patternFill></{p}fill>').encode()

    def _xf(self, style: int) -> bytes:
        every = self._xfs + self._added["cellXfs"]
        return every[style] if 0 <= style < len(every) else every[0] if every else \
            f'<{_q(self._p)}xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'.encode()

    def _fill(self, index: int) -> bytes | None:
        every = self._fills + self._added["fills"]
        return every[index] if 0 <= index < len(every) else None

    def _filled(self, index: int) -> bool:
        fill = self._fill(index)
        if fill is None:
            return False
        pattern = re.search(rb"<(?:\w+:)?patternFill\b[^>]*", fill)
        if pattern is None:
            return b"gradientFill" in fill
        kind = x.attribute(pattern.group(0) + b"/>", "patternType")
        return kind not in (None, "none")

    def _is_ours(self, index: int) -> bool:
        fill = self._fill(index)
        return fill is not None and self._filled(index) and \
            b'patternType="solid"' in fill and self._highlight.encode() in \
            b"".join(re.findall(rb"<(?:\w+:)?fgColor\b[^>]*", fill))

    def _our_fill(self) -> int:
        if self._ours is None:
            every = self._fills + self._added["fills"]
            self._ours = next((i for i in range(len(every)) if self._is_ours(i)), None)
            if self._ours is None:
                self._ours = self._index("fills", self.solid_fill(self._highlight), self._fills)
        return self._ours

    def _index(self, group: str, item: bytes, existing: list[bytes]) -> int:
        """The index of `item` in the group, appended when it is not there."""
        every = existing + self._added[group]
        if item in every:
            return every.index(item)
        self._added[group].append(item)
        return len(every)

    def xml(self) -> bytes:
        out = self._xml
        for group in ("cellXfs", "fills", "fonts", "numFmts"):  # (later groups first)
            if not self._added[group]:
                continue
            top = x.root(out)
            found = x.child(out, top, group)
            total = len(getattr(self, {"cellXfs": "_xfs", "fills": "_fills", "fonts": "_fonts",
                                       "numFmts": "_formats"}[group])) + \
                len(self._added[group])
            new = b"".join(self._added[group])
            if found is None:
                out = x.insert_child(out, top, f'<{_q(self._p)}{group} count="{total}">'.encode()
                                     + new + f"</{_q(self._p)}{group}>".encode(), group,
                                     STYLESHEET)
                continue
            tag = out[found.start:found.end]
            inner = x.root(tag)
            if inner.inner == inner.end:
                tag = tag[:-2].rstrip() + b">" + inner.close_tag
                inner = x.root(tag)
            tag = tag[:inner.closes] + new + tag[inner.closes:]
            out = x.replace(out, found, x.with_attribute(tag, "count", str(total)))
        return out


# --- notes: comments and their VML shapes ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteChange:
    """What setting a cell's note did: the note is new (a shape to draw), gone (its shape
    to remove), changed in place, unchanged, or left alone (a threaded comment)."""

    kind: str  # "added", "removed", "changed", "same", "left"


_AUTHORS = re.compile(rb"<(?:[\w.\-]+:)?authors\b[^>]*?(?:/>|>.*?</(?:[\w.\-]+:)?authors>)",
                      re.DOTALL)
_AUTHOR = re.compile(rb"<(?:[\w.\-]+:)?author>(.*?)</(?:[\w.\-]+:)?author>", re.DOTALL)
_LIST = re.compile(rb"<(?:[\w.\-]+:)?commentList\b[^>]*?(?:/>|>.*</(?:[\w.\-]+:)?commentList>)",
                   re.DOTALL)
_COMMENT = re.compile(rb"<(?:[\w.\-]+:)?comment\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?"
                      rb"</(?:[\w.\-]+:)?comment\s*>)", re.DOTALL)


class Comments:
    """A sheet's comments part (a new one when there is none yet), read once: its comments
    by cell, its authors; written back whole by `xml`, the rest of the part as it was."""

    def __init__(self, xml: bytes | None) -> None:
        self._xml = xml or (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                            f'<comments xmlns="{MAIN}"><authors/><commentList/></comments>'
                            ).encode()
        self.changed = False
        self._p = _q(x.root(self._xml).prefix)
        authors = _AUTHORS.search(self._xml)
        self._authors = [x.unescape(a.decode("utf-8")) for a in _AUTHOR.findall(
            authors.group(0))] if authors else []
        self._known_authors = len(self._authors)
        # Each comment as its span in the part (one written anew: its bytes), so the part is
        # held once, not once more in 100k slices.
        self._comments: dict[str, tuple[int, int] | bytes] = {}
        for found in _COMMENT.finditer(self._xml):  # (one pattern: a part may hold 100k)
            start = found.start()
            opening = self._xml[start:self._xml.find(b">", start) + 1]
            self._comments[x.attribute(opening, "ref") or ""] = found.span()

    def refs(self) -> list[str]:
        return list(self._comments)

    def _tag(self, ref: str) -> bytes | None:
        found = self._comments.get(ref)
        return self._xml[found[0]:found[1]] if isinstance(found, tuple) else found

    def text(self, ref: str) -> str | None:
        tag = self._tag(ref)
        if tag is None:
            return None
        text = x.child(tag, x.root(tag), "text")
        return x.text_of(tag, text) if text else ""

    def set(self, ref: str, note: str | None) -> NoteChange:
        """Put sheetsync's part of the note on `ref` (None: take it away), keeping a person's
        own text, runs and author."""
        tag = self._tag(ref)
        own = self.text(ref) or ""
        new = merged_note(own, note)
        if (tag is not None and new == own) or (tag is None and new is None):
            return NoteChange("same")
        p = self._p
        if tag is not None:
            author = self._author_name(int(x.attribute(tag, "authorId") or 0))
            if author.startswith("tc="):
                return NoteChange("left")  # a threaded comment: Excel owns its text
            self.changed = True
            if new is None:
                del self._comments[ref]
                return NoteChange("removed")
            persons = persons_note(own)
            text = self._text_element(tag, persons, note, p)
            author_id = (x.attribute(tag, "authorId") or "0") if persons else \
                str(self._author_id(NOTE_AUTHOR))
            head = x.with_attribute(tag[:x.root(tag).inner], "authorId", author_id)
            self._comments[ref] = head + text + f"</{p}comment>".encode()
            return NoteChange("changed")
        ours = self._author_id(NOTE_AUTHOR)
        self._comments[ref] = f'<{p}comment ref="{ref}" authorId="{ours}"><{p}text>'.encode() + \
            _run(new or "", p) + f"</{p}text></{p}comment>".encode()
        self.changed = True
        return NoteChange("added")

    def _text_element(self, tag: bytes, persons: str, note: str | None, p: str) -> bytes:
        """The comment's `<text>`: a person's runs kept as they are, sheetsync's after them
        in a run of its own."""
        text = x.child(tag, x.root(tag), "text")
        ours = NOTE_SECTION + note if note else ""
        if text is not None and persons:
            runs = [s for s in x.children(tag, text.inner, text.closes)
                    if s.local in ("t", "r")]
            seen = ""
            for count, run in enumerate(runs, start=1):
                seen += x.text_of(tag, run) if run.local == "r" else \
                    x.unescape(tag[run.inner:run.closes].decode("utf-8"))
                if seen.rstrip("\n") == persons:
                    kept = b"".join(tag[r.start:r.end] for r in runs[:count])
                    added = f"<{p}r><{p}t xml:space=\"preserve\">".encode() + \
                        x.escape("\n\n" + ours) + f"</{p}t></{p}r>".encode() if ours else b""
                    return f"<{p}text>".encode() + kept + added + f"</{p}text>".encode()
        merged = "\n\n".join(part for part in (persons, ours) if part)
        return f"<{p}text>".encode() + _run(merged, p) + f"</{p}text>".encode()

    def _author_name(self, index: int) -> str:
        return self._authors[index] if 0 <= index < len(self._authors) else ""

    def _author_id(self, name: str) -> int:
        if name not in self._authors:
            self._authors.append(name)
        return self._authors.index(name)

    def xml(self) -> bytes:
        """The part with its comments and authors as they are now."""
        return b"".join(self.pieces())

    def pieces(self) -> Iterator[bytes | memoryview]:
        """The part as `xml` has it, in pieces: every comment not written anew is a view of
        the part as read, not a copy."""
        p = self._p
        marker = f"<{p}commentList/>".encode()  # where the list goes (unique: text is escaped)
        listed = _LIST.search(self._xml)
        if listed is None:
            out = x.insert_child(self._xml, x.root(self._xml), marker, "commentList",
                                 ("authors", "commentList", "extLst"))
        else:  # (the list comes after the authors, so their spans hold)
            out = self._xml[:listed.start()] + marker + self._xml[listed.end():]
        out = self._with_authors(out)
        at = out.index(marker)
        read = memoryview(self._xml)
        yield out[:at]
        yield f"<{p}commentList>".encode()
        for found in self._comments.values():
            yield read[found[0]:found[1]] if isinstance(found, tuple) else found
        yield f"</{p}commentList>".encode()
        yield out[at + len(marker):]

    def _with_authors(self, out: bytes) -> bytes:
        """The part with the authors this edit added."""
        p = self._p
        added = b"".join(f"<{p}author>".encode() + x.escape(name) + f"</{p}author>".encode()
                         for name in self._authors[self._known_authors:])
        if not added:
            return out
        authors = x.child(out, x.root(out), "authors")
        if authors is None:
            return x.insert_child(out, x.root(out), f"<{p}authors>".encode() + added +
                                  f"</{p}authors>".encode(), "authors",
                                  ("authors", "commentList", "extLst"))
        tag = out[authors.start:authors.end]
        inner = x.root(tag)
        tag = (tag[:-2].rstrip() + b">" + added + inner.close_tag) \
            if inner.inner == inner.end else tag[:inner.closes] + added + tag[inner.closes:]
        return x.replace(out, authors, tag)


def _run(text: str, p: str) -> bytes:
    return f'<{p}r><{p}t xml:space="preserve">'.encode() + x.escape(text) + \
        f"</{p}t></{p}r>".encode()


VML_NEW = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
           b'xmlns:o="urn:schemas-microsoft-com:office:office" '
           b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
           b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
           b"</xml>")
_SHAPETYPE = (b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
              b'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
              b'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_SHAPE_START = re.compile(rb"<v:shape\b")
_SHAPE_ID = re.compile(rb'id="_x0000_s(\d+)"')
_ROW = re.compile(rb"<x:Row>\s*(\d+)\s*</x:Row>")
_COLUMN = re.compile(rb"<x:Column>\s*(\d+)\s*</x:Column>")
_SHAPE_END = b"</v:shape>"


def vml_edited(vml: Iterable[bytes] | None, removed: set[tuple[int, int]],
               added: Sequence[tuple[int, int]]) -> Iterator[bytes]:
    """The VML drawing (read in chunks; None: a new one) without the note shapes of the
    `removed` (row, column) cells and with a hidden note shape for each `added` one, 1-based,
    streamed: a drawing of 17k notes is never whole in memory.

    It is cut only before a `<`, so no tag is ever split between two pieces, and what it
    must know of the whole drawing (the highest shape ID, whether the note shape type is
    there) is known by its end, where the new shapes go.
    """
    highest, typed, buffer = 1024, False, b""
    for chunk in (*(vml if vml is not None else (VML_NEW,)), None):
        buffer += chunk or b""
        kept: list[tuple[int, int]] = []  # spans of the buffer to pass on
        run = position = 0  # where the span being kept starts; where the scan is
        while removed:
            found = _SHAPE_START.search(buffer, position)
            end = buffer.find(_SHAPE_END, found.start()) if found else -1
            if found is None or end < 0:
                break
            position = end + len(_SHAPE_END)
            if _is_note_of(buffer, found.start(), position, removed):
                kept.append((run, found.start()))
                run = position
        if chunk is None:
            cut = len(buffer)
        else:
            waiting = _SHAPE_START.search(buffer, position) if removed else None
            cut = max(waiting.start() if waiting else buffer.rfind(b"<", position), position)
        kept.append((run, cut))
        pieces = [buffer[a:b] for a, b in kept if b > a]
        for piece in pieces:
            highest = max([highest, *map(int, _SHAPE_ID.findall(piece))])
            typed = typed or b'id="_x0000_t202"' in piece
        buffer = buffer[cut:]
        if chunk is None:  # the end: the new shapes go before </xml>
            tail = b"".join(pieces)
            end = tail.rfind(b"</xml>")
            end = end if end >= 0 else len(tail)
            yield tail[:end]
            if not typed:
                yield _SHAPETYPE
            yield from _note_shapes(highest + 1, added)
            yield tail[end:]
        else:
            yield from pieces


def _is_note_of(vml: bytes, start: int, end: int, cells: set[tuple[int, int]]) -> bool:
    """Whether the shape at vml[start:end] is the note of one of these (row, column) cells."""
    row, column = _ROW.search(vml, start, end), _COLUMN.search(vml, start, end)
    return vml.find(b'ObjectType="Note"', start, end) >= 0 and row is not None and \
        column is not None and (int(row.group(1)) + 1, int(column.group(1)) + 1) in cells


def _note_shapes(shape: int, cells: Sequence[tuple[int, int]]) -> Iterator[bytes]:
    """Hidden note shapes for these (row, column) cells, numbered from `shape`."""
    for row, column in cells:
        r, c = row - 1, column - 1
        yield (
            f'<v:shape id="_x0000_s{shape}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:90pt;z-index:1;'
            f'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill '
            f'color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path '
            f'o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div '
            f'style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{c + 1}, 15, {r}, 10, {c + 4}, 15, "
            f"{r + 5}, 4</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{r}</x:Row>"
            f"<x:Column>{c}</x:Column></x:ClientData></v:shape>".encode())
        shape += 1


# --- relationships and content types ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool = False


def relationships(xml: bytes | None) -> list[Relationship]:
    if not xml:
        return []
    top = x.root(xml)
    out = []
    for span in x.each(xml, top, "Relationship"):
        tag = xml[span.start:span.end]
        out.append(Relationship(x.attribute(tag, "Id") or "", x.attribute(tag, "Type") or "",
                                x.attribute(tag, "Target") or "",
                                x.attribute(tag, "TargetMode") == "External"))
    return out


def with_relationship(xml: bytes | None, kind: str, target: str) -> tuple[bytes, str]:
    """The relationships part with one more (a new part when None), and its new ID."""
    xml = xml or (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  f'<Relationships xmlns="{PACKAGE_REL}"></Relationships>').encode()
    taken = {r.id for r in relationships(xml)}
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    rid = f"rId{number}"
    element = b'<Relationship Id="' + rid.encode() + b'" Type="' + x.quote(kind) + \
        b'" Target="' + x.quote(target) + b'"/>'
    return x.insert_child(xml, x.root(xml), element, "Relationship", ("Relationship",)), rid


def without_relationships(xml: bytes, gone: Callable[[Relationship], bool]) -> bytes:
    top = x.root(xml)
    for span in reversed(x.each(xml, top, "Relationship")):
        tag = xml[span.start:span.end]
        found = Relationship(x.attribute(tag, "Id") or "", x.attribute(tag, "Type") or "",
                             x.attribute(tag, "Target") or "")
        if gone(found):
            xml = x.replace(xml, span, b"")
    return xml


def resolve(base: str, target: str) -> str:
    """A relationship's target as a part name: "worksheets/sheet1.xml" from "xl/workbook.xml"
    is "xl/worksheets/sheet1.xml"; an absolute "/xl/..." is taken as it is."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = base.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def rels_of(part: str) -> str:
    """Where a part's relationships are: xl/worksheets/_rels/sheet1.xml.rels."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def relative(base: str, part: str) -> str:
    """The target from `base` to `part` ("../comments1.xml" style)."""
    here = base.split("/")[:-1]
    there = part.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def with_override(xml: bytes, part: str, content_type: str) -> bytes:
    if f'PartName="/{part}"'.encode() in xml:
        return xml
    element = b'<Override PartName="/' + x.quote(part) + b'" ContentType="' + \
        x.quote(content_type) + b'"/>'
    top = x.root(xml)
    return x.insert_child(xml, top, element, "Override", ("Default", "Override"))


def with_default(xml: bytes, extension: str, content_type: str) -> bytes:
    if re.search(rb'Extension="' + re.escape(extension.encode()) + rb'"', xml, re.IGNORECASE):
        return xml
    element = b'<Default Extension="' + extension.encode() + b'" ContentType="' + \
        x.quote(content_type) + b'"/>'
    return x.insert_child(xml, x.root(xml), element, "Default", ("Default", "Override"))


def without_overrides(xml: bytes, parts: set[str]) -> bytes:
    top = x.root(xml)
    for span in reversed(x.each(xml, top, "Override")):
        name = (x.attribute(xml[span.start:span.end], "PartName") or "").lstrip("/")
        if name in parts:
            xml = x.replace(xml, span, b"")
    return xml


# --- the workbook's sheets --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetEntry:
    name: str
    sheet_id: int
    rid: str


def sheets(workbook: bytes) -> list[SheetEntry]:
    top = x.root(workbook)
    found = x.child(workbook, top, "sheets")
    out = []
    for span in x.each(workbook, found, "sheet") if found else []:
        tag = workbook[span.start:span.end]
        rid = next((v for k in ("r:id", "id") if (v := x.attribute(tag, k))), None) or \
            next(iter(re.findall(rb'\s\w+:id="([^"]+)"', tag)), b"").decode()
        out.append(SheetEntry(x.attribute(tag, "name") or "", int(x.attribute(tag, "sheetId")
                                                                 or 0), rid))
    return out


def with_sheet(workbook: bytes, name: str, rid: str) -> bytes:
    """The workbook with one more sheet, last."""
    top = x.root(workbook)
    found = x.child(workbook, top, "sheets")
    if found is None:
        raise ValueError("the workbook lists no sheets")
    number = max((s.sheet_id for s in sheets(workbook)), default=0) + 1
    p = _q(top.prefix)
    rel = re.search(rb'xmlns:(\w+)="' + REL.encode() + b'"', workbook[:top.inner])
    r = rel.group(1).decode() if rel else "r"
    element = f'<{p}sheet name="'.encode() + x.quote(name) + \
        f'" sheetId="{number}" {r}:id="{rid}"/>'.encode()
    if rel is None:
        workbook = x.with_attribute(workbook[:top.inner], "xmlns:r", REL) + \
            workbook[top.inner:]
        found = x.child(workbook, x.root(workbook), "sheets")
        assert found is not None
    return x.insert_child(workbook, found, element, "sheet", ("sheet",))


def without_sheet(workbook: bytes, name: str) -> bytes:
    """The workbook without a sheet: its names local to it gone, later sheets' local names
    and the active tab moved down one."""
    listed = sheets(workbook)
    index = [s.name for s in listed].index(name)
    top = x.root(workbook)
    found = x.child(workbook, top, "sheets")
    assert found is not None
    span = x.each(workbook, found, "sheet")[index]
    workbook = x.replace(workbook, span, b"")
    top = x.root(workbook)
    names = x.child(workbook, top, "definedNames")
    if names is not None:
        block = workbook[names.start:names.end]
        inner = x.root(block)
        kept = []
        for defined in x.children(block, inner.inner, inner.closes):
            tag = block[defined.start:defined.end]
            local = x.attribute(tag, "localSheetId")
            if local is not None and int(local) == index:
                continue
            if local is not None and int(local) > index:
                tag = x.with_attribute(tag, "localSheetId", str(int(local) - 1))
            kept.append(tag)
        new = block[:inner.inner] + b"".join(kept) + block[inner.closes:] if kept else b""
        workbook = x.replace(workbook, names, new)
    top = x.root(workbook)
    views = x.child(workbook, top, "bookViews")
    if views is not None:
        for view in reversed(x.each(workbook, views, "workbookView")):
            tag = workbook[view.start:view.end]
            for key in ("activeTab", "firstSheet"):
                value = x.attribute(tag, key)
                if value is not None and int(value) >= index and int(value) > 0:
                    tag = x.with_attribute(tag, key, str(min(int(value) - (int(value) > index),
                                                             len(listed) - 2)))
            workbook = x.replace(workbook, view, tag)
    return workbook


PRINT_TITLES = "_xlnm.Print_Titles"


def with_print_titles(workbook: bytes, name: str, rows: int) -> bytes:
    """The workbook with rows 1 to `rows` of the sheet `name` printed atop each of its pages:
    its `_xlnm.Print_Titles` defined name (local to the sheet), replacing one it had."""
    index = str([s.name for s in sheets(workbook)].index(name))
    top = x.root(workbook)
    p = _q(top.prefix)
    reference = "'" + name.replace("'", "''") + f"'!$1:${rows}"
    element = f'<{p}definedName name="{PRINT_TITLES}" localSheetId="{index}">'.encode() + \
        x.escape(reference) + f"</{p}definedName>".encode()
    found = x.child(workbook, top, "definedNames")
    if found is None:
        return x.insert_child(workbook, top, f"<{p}definedNames>".encode() + element +
                              f"</{p}definedNames>".encode(), "definedNames", WORKBOOK)
    block = workbook[found.start:found.end]
    inner = x.root(block)
    kept = [tag for s in x.children(block, inner.inner, inner.closes)
            if not (x.attribute(tag := block[s.start:s.end], "name") == PRINT_TITLES
                    and x.attribute(tag, "localSheetId") == index)]
    head = block[:inner.inner]
    head = head[:-2].rstrip() + b">" if head.endswith(b"/>") else head
    return x.replace(workbook, found, head + b"".join(kept) + element + inner.close_tag)


def with_full_calculation(workbook: bytes) -> bytes:
    """`<calcPr fullCalcOnLoad="1"/>`: Excel and LibreOffice compute every formula again
    on opening, so none shows a value computed before sheetsync's write."""
    top = x.root(workbook)
    found = x.child(workbook, top, "calcPr")
    if found is not None:
        tag = workbook[found.start:found.end]
        if x.attribute(tag, "fullCalcOnLoad") in ("1", "true"):
            return workbook
        return x.replace(workbook, found, x.with_attribute(tag, "fullCalcOnLoad", "1"))
    p = _q(top.prefix)
    return x.insert_child(workbook, top, f'<{p}calcPr fullCalcOnLoad="1"/>'.encode(),
                          "calcPr", WORKBOOK)


def defined_names_text(workbook: bytes) -> str:
    top = x.root(workbook)
    found = x.child(workbook, top, "definedNames")
    return x.unescape(workbook[found.start:found.end].decode("utf-8")) if found else ""


def with_titles(app: bytes, names: Sequence[str]) -> bytes:
    """docProps/app.xml with its list of worksheet titles set to `names` (what Explorer and
    Finder show); left alone when it keeps no such list."""
    pairs = re.search(rb"(<(?:\w+:)?HeadingPairs>\s*<(?:\w+:)?vector\b[^>]*>)(.*?)"
                      rb"(</(?:\w+:)?vector>)", app, re.DOTALL)
    titles = re.search(rb"(<(?:\w+:)?TitlesOfParts>\s*<(?:\w+:)?vector\b[^>]*>)(.*?)"
                       rb"(</(?:\w+:)?vector>)", app, re.DOTALL)
    if pairs is None or titles is None:
        return app
    variants = re.findall(rb"<(?:\w+:)?variant>.*?</(?:\w+:)?variant>", pairs.group(2), re.DOTALL)
    listed = re.findall(rb"<(?:\w+:)?lpstr>.*?</(?:\w+:)?lpstr>|<(?:\w+:)?lpstr/>",
                        titles.group(2), re.DOTALL)
    start, counted = 0, None
    for heading, count in zip(variants[::2], variants[1::2]):
        number = re.search(rb">(\d+)<", count)
        if number is None:
            return app
        if b"Worksheets" in heading or b"Feuilles" in heading:
            counted = (start, int(number.group(1)), count, number)
            break
        start += int(number.group(1))
    if counted is None:
        return app
    first, total, count, number = counted
    spelled = re.match(rb"<(\w+:)?", listed[0] if listed else b"<vt:")
    prefix = (spelled.group(1) if spelled else None) or b""
    new_titles = listed[:first] + [b"<" + prefix + b"lpstr>" + x.escape(n) + b"</" + prefix +
                                   b"lpstr>" for n in names] + listed[first + total:]
    new_count = count[:number.start(1)] + str(len(names)).encode() + count[number.end(1):]
    pairs_body = pairs.group(2).replace(count, new_count, 1)
    head = x.with_attribute(titles.group(1)[titles.group(1).rfind(b"<"):], "size",
                            str(len(new_titles)))
    titles_head = titles.group(1)[:titles.group(1).rfind(b"<")] + head
    app = app[:titles.start()] + titles_head + b"".join(new_titles) + titles.group(3) + \
        app[titles.end():]
    return app[:pairs.start(2)] + pairs_body + app[pairs.end(2):]
