"""An .xlsx package edited in place: the parts sheetsync changes rewritten, every other zip
entry copied raw, the tracker sheet streamed row by row.

Tooling, chosen deliberately. The sheet is spliced at the byte level: a scanner finds each
`<row>` span in the inflating stream; rows sheetsync does not touch are copied as bytes into
the deflating stream, and only the rows holding its cells are rewritten
(sheetsync.core.xlsx_sheet). So a 100k-row sheet is never a DOM (openpyxl, ElementTree and
lxml's tree all are) and no byte of a row sheetsync does not touch changes: no prefix
renamed, no attribute reordered, no `mc:Ignorable` left naming a prefix a tree dropped.
`iterparse` or lxml's incremental `xmlfile` would parse and re-serialise every row (a few
seconds for 100k rows, against well under one for the scanner, see bench/cycle.py) and still
rewrite namespaces; a scanner is enough because SpreadsheetML rows hold no nested rows and
their text escapes `<`. Entries sheetsync does not change are copied compressed, byte for
byte (their CRC and sizes kept), without inflating them.

The file is replaced only if it is still the one that was read (`replace_if_unchanged`);
the first replace keeps a copy of the file as it was beside it (`backup_path`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sheetsync.core import xlsx_parts as parts
from sheetsync.core import xlsx_sheet as sheet
from sheetsync.core import xlsx_xml as x
from sheetsync.core.xlsx_sheet import CellEdit, Restyle
from sheetsync.backends.file_swap import FileStamp, replace_if_unchanged
from sheetsync.faults import HALF_WRITTEN

CHUNK = 1 << 20
LEVEL = 1  # zlib's fastest: the sheet deflates in half the time of level 6, for a file ~25% larger
_STRICT = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook, or a legacy .xls
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row\b|</(?:[A-Za-z_][\w.\-]*:)?sheetData\s*>")
_START_END = re.compile(rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_R = re.compile(rb"\sr\s*=\s*\"(\d+)\"")



class NotReady(Exception):
    """The file is being saved by another program this moment: next cycle."""


def read_only_reason(path: Path) -> str | None:
    """Why a workbook can only be read, with the fix; None when it can be edited."""
    if path.suffix.lower() == ".xls":
        return "it is a legacy .xls workbook; save it as .xlsx (Excel Workbook)"
    try:
        with path.open("rb") as file:
            start = file.read(8)
    except OSError:
        return None
    if start == _OLE:
        return ("it is encrypted (or a legacy .xls file renamed); remove its password in "
                "Excel (File > Info > Protect Workbook) or save it as .xlsx")
    try:
        with zipfile.ZipFile(path) as archive:
            if any(i.flag_bits & 0x1 for i in archive.infolist()):
                return "its parts are encrypted; save it again without a password"
            with archive.open(_workbook_part(archive)) as part:
                if _STRICT in part.read(4096):
                    return ("it is saved as Strict Open XML; save it as an ordinary Excel "
                            "Workbook (.xlsx)")
    except HALF_WRITTEN + (KeyError, OSError):
        return None  # being saved this moment, or not a workbook: the read says which
    return None


def _workbook_part(archive: zipfile.ZipFile) -> str:
    try:
        found = parts.relationships(archive.read("_rels/.rels"))
    except KeyError:
        return "xl/workbook.xml"
    return next((parts.resolve("", r.target) for r in found
                 if r.type.endswith("/officeDocument")), "xl/workbook.xml")


@dataclass
class Timings:
    """Where a write's time goes (seconds): inflating the sheet, splicing its rows,
    deflating it, and everything else (copying the other entries, the small parts)."""

    inflate: float = 0.0
    splice: float = 0.0
    deflate: float = 0.0
    rest: float = 0.0


def _unstyled(style: int, on: bool) -> int:
    """A cell's style as it is (no highlight asked for yet)."""
    return style


@dataclass
class SheetEdit:
    """What to do to one sheet: cells by row and column, and an edit of its skeleton (the
    part without its rows; applied to the part before the rows and to the part after, so
    it must insert or change elements only where it finds or puts them)."""

    rows: dict[int, dict[int, CellEdit]] = field(default_factory=dict)
    skeleton: Callable[[bytes], bytes] = lambda xml: xml
    has_formula: bool = False  # found while splicing: the sheet holds a formula


class Package:
    """An .xlsx file opened for an edit: its parts as read, and what will change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._archive = zipfile.ZipFile(path)
        self.names = self._archive.namelist()
        self._edited: dict[str, bytes] = {}
        self._streamed: dict[str, Callable[[], Iterable[bytes | memoryview]]] = {}
        self._late: dict[str, Callable[[], bytes | None]] = {}  # made once the sheets are spliced
        self._removed: set[str] = set()
        self._sheets: dict[str, SheetEdit] = {}
        self._styles: parts.Styles | None = None
        self._restyle: Restyle = _unstyled
        self.workbook = _workbook_part(self._archive)

    def close(self) -> None:
        """Close the file and let go of the edit. The parts made late or streamed are
        closures over this package (a reference cycle), so without this the last write's
        parts (the comments and sheet edits of thousands of notes at 100k rows) would live
        on into the next cycle, until a full garbage collection happened to run."""
        self._archive.close()
        for held in (self._edited, self._streamed, self._late, self._sheets):
            held.clear()
        self._styles = None
        self._restyle = _unstyled

    # --- parts -------------------------------------------------------------------------

    def read(self, name: str) -> bytes | None:
        if name in self._removed:
            return None
        if name in self._streamed:
            return b"".join(self._streamed[name]())
        if name in self._edited:
            return self._edited[name]
        try:
            return self._archive.read(name)
        except KeyError:
            return None

    def put(self, name: str, data: bytes) -> None:
        self._removed.discard(name)
        self._streamed.pop(name, None)
        self._edited[name] = data

    def put_streamed(self, name: str, pieces: Callable[[], Iterable[bytes | memoryview]]
                     ) -> None:
        """A part written piece by piece into the package when it is written (the notes of
        a big tracker: tens of MB that are never joined into one copy)."""
        self._removed.discard(name)
        self._edited.pop(name, None)
        self._streamed[name] = pieces

    def chunks(self, name: str) -> Iterator[bytes]:
        """A part as read, inflated a chunk at a time."""
        with self.open_stream(name) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    def put_late(self, name: str, make: Callable[[], bytes | None]) -> None:
        """A part made after the sheets are spliced (styles, the workbook's calcPr); `make`
        returns None to keep it as it was (copied raw)."""
        self._late[name] = make

    def remove(self, name: str) -> None:
        self._edited.pop(name, None)
        self._streamed.pop(name, None)
        self._removed.add(name)

    def exists(self, name: str) -> bool:
        return name not in self._removed and (name in self._edited or name in self._streamed
                                               or name in self.names)

    def edit_sheet(self, part: str, edit: SheetEdit) -> None:
        """Splice `part` as `edit` says when the package is written (a part made in this
        edit, small by nature, is spliced at once)."""
        if part in self._edited:
            sink = _Collect()
            splice(io.BytesIO(self._edited[part]), sink, edit, self._restyle, Timings())
            self._edited[part] = sink.data
        else:
            self._sheets[part] = edit

    def styles(self) -> parts.Styles:
        """The workbook's styles, appended to by this edit and written back (late, once the
        rows asked for their fills) only when something was appended."""
        if self._styles is None:  # (styles.xml read once)
            found = self.related(self.workbook, f"{parts.REL}/styles")
            name = found[0] if found else "xl/styles.xml"
            styles = self._styles = parts.Styles(self.read(name) or parts.EMPTY_STYLES)
            self.put_late(name, lambda: styles.xml() if styles.changed else None)
            if not found:
                self.link(self.workbook, f"{parts.REL}/styles", name)
                self.content_type(name, f"{parts.CONTENT}.spreadsheetml.styles+xml")
            self._restyle = styles.highlighted
        return self._styles

    def open_stream(self, name: str) -> IO[bytes]:
        """A part as this edit leaves it, read as a stream (a part made in this edit, such
        as setup's new tab, from memory; any other from the file)."""
        if name in self._edited:
            return io.BytesIO(self._edited[name])
        return self._archive.open(name)

    def skeleton(self, part: str) -> bytes:
        """A sheet without its rows: everything before `<sheetData>` and after it, read
        through once (for setup, which looks at the filter and validations after the rows)."""
        kept = SheetEdit()
        sink = _Collect()
        with self.open_stream(part) as source:
            splice(source, sink, kept, _unstyled, Timings(), rows=False)
        return sink.data

    # --- the workbook's structure ------------------------------------------------------

    def sheet_parts(self) -> dict[str, str]:
        """Every tab's name -> its part ("xl/worksheets/sheet1.xml")."""
        workbook = self.read(self.workbook) or b""
        rels = {r.id: r for r in parts.relationships(self.read(parts.rels_of(self.workbook)))}
        return {s.name: parts.resolve(self.workbook, rels[s.rid].target)
                for s in parts.sheets(workbook) if s.rid in rels}

    def related(self, part: str, kind: str) -> list[str]:
        """The parts `part` links to with relationships of this type."""
        return [parts.resolve(part, r.target) for r in parts.relationships(
            self.read(parts.rels_of(part))) if r.type == kind and not r.external]

    def link(self, part: str, kind: str, target: str) -> str:
        """Relate `part` to the part `target`; the new relationship's ID."""
        rels = parts.rels_of(part)
        xml, rid = parts.with_relationship(self.read(rels), kind,
                                           parts.relative(part, target))
        self.put(rels, xml)
        return rid

    def content_type(self, part: str, kind: str) -> None:
        types = self.read("[Content_Types].xml") or b""
        self.put("[Content_Types].xml", parts.with_override(types, part, kind))

    def default_type(self, extension: str, kind: str) -> None:
        types = self.read("[Content_Types].xml") or b""
        self.put("[Content_Types].xml", parts.with_default(types, extension, kind))

    def drop(self, names: set[str]) -> None:
        """Remove parts with their content types."""
        for name in names:
            self.remove(name)
        types = self.read("[Content_Types].xml") or b""
        self.put("[Content_Types].xml", parts.without_overrides(types, names))

    def free_name(self, pattern: str) -> str:
        """The first "xl/comments{n}.xml"-style name no part has."""
        number = 1
        while self.exists(pattern.format(number)) or pattern.format(number) in self.names:
            number += 1
        return pattern.format(number)

    # --- reading a few cells without reading the sheet ---------------------------------

    def row(self, part: str, number: int) -> bytes | None:
        """One `<row>` of a sheet, read from the top (for a header row: a few rows in)."""
        with self.open_stream(part) as stream:
            for found, row in rows_of(stream):
                if found == number:
                    return row
                if found > number:
                    return None
        return None

    def shared_strings(self, wanted: set[int]) -> dict[int, str]:
        """The shared strings at these indices, read only as far as the highest."""
        rels = self.related(self.workbook, f"{parts.REL}/sharedStrings")
        found: dict[int, str] = {}
        if not wanted or not rels or not self.exists(rels[0]):
            return found
        index = 0
        with self.open_stream(rels[0]) as stream:
            buffer = b""
            while index <= max(wanted):
                chunk = stream.read(CHUNK)
                buffer += chunk
                while True:
                    match = re.search(rb"<(?:\w+:)?si\b[^>]*?(/>|>.*?</(?:\w+:)?si>)", buffer,
                                      re.DOTALL)
                    if match is None:
                        break
                    if index in wanted:
                        found[index] = x.text_of(match.group(0), x.root(match.group(0))) \
                            if match.group(1) != b"/>" else ""
                    index += 1
                    buffer = buffer[match.end():]
                if not chunk:
                    break
        return found

    # --- writing -----------------------------------------------------------------------

    def commit(self, target: Path, timings: Timings) -> None:
        """Write the edited package to `target`: edited parts, spliced sheets, the rest
        copied raw in their order, then the parts made late and the new ones."""
        started = time.perf_counter()
        splice_spent = 0.0
        with target.open("wb") as out_file, zipfile.ZipFile(
                out_file, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as out, \
                self.path.open("rb") as raw:
            written: set[str] = set()
            for info in self._archive.infolist():
                name = info.filename
                if name in self._removed or name in self._late or name in written:
                    continue
                written.add(name)
                if name in self._sheets:
                    mark = time.perf_counter()
                    self._splice(name, out, timings)
                    splice_spent += time.perf_counter() - mark
                elif name in self._edited:
                    out.writestr(_like(info), self._edited[name])
                elif name in self._streamed:
                    _write_pieces(out, _like(info), self._streamed[name]())
                else:
                    _copy_raw(raw, info, out)
            for name, make in self._late.items():
                if name in self._removed:
                    continue
                made = make()
                if made is not None:
                    out.writestr(_like(self._info(name)), made)
                elif name in self.names:
                    _copy_raw(raw, self._info(name), out)
                written.add(name)
            for name, data in self._edited.items():
                if name not in written:
                    out.writestr(_like(self._info(name)), data)
            for name, pieces in self._streamed.items():
                if name not in written:
                    _write_pieces(out, _like(self._info(name)), pieces())
        timings.rest += time.perf_counter() - started - splice_spent

    def _info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self._archive.getinfo(name)
        except KeyError:
            return zipfile.ZipInfo(name, date_time=time.localtime()[:6])

    def _splice(self, name: str, out: zipfile.ZipFile, timings: Timings) -> None:
        edit = self._sheets[name]
        with self.open_stream(name) as source, out.open(name, "w") as sink:
            splice(source, sink, edit, self._restyle, timings)


def _like(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with the name, time and attributes of `info`, deflated."""
    made = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    made.compress_type = zipfile.ZIP_DEFLATED
    made.external_attr = info.external_attr
    made.create_system = info.create_system
    return made


def _write_pieces(out: zipfile.ZipFile, info: zipfile.ZipInfo,
                  pieces: Iterable[bytes | memoryview]) -> None:
    """Deflate a part into the package as its pieces come."""
    with out.open(info, "w") as sink:
        for piece in pieces:
            sink.write(piece)


def _copy_raw(raw: IO[bytes], info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy an entry's compressed bytes as they are: no inflate, no deflate, same CRC.

    zipfile has no public call for this: its writer's own bookkeeping (`fp`, `start_dir`,
    `filelist`, `NameToInfo`, as `ZipFile.writestr` keeps it) is updated by hand.
    """
    raw.seek(info.header_offset)
    header = raw.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    copied = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    for key in ("compress_type", "CRC", "compress_size", "file_size", "external_attr",
                "internal_attr", "create_system", "comment"):
        setattr(copied, key, getattr(info, key))
    copied.flag_bits = info.flag_bits & ~0x08  # sizes go in the local header, no descriptor
    zip64 = copied.file_size > zipfile.ZIP64_LIMIT or copied.compress_size > zipfile.ZIP64_LIMIT
    assert out.fp is not None
    out.fp.seek(out.start_dir)
    copied.header_offset = out.fp.tell()
    out.fp.write(copied.FileHeader(zip64))
    left = info.compress_size
    while left:
        chunk = raw.read(min(CHUNK, left))
        if not chunk:
            raise EOFError(f"{info.filename} is cut short")
        out.fp.write(chunk)
        left -= len(chunk)
    out.start_dir = out.fp.tell()
    out.filelist.append(copied)
    out.NameToInfo[copied.filename] = copied


class _Collect:
    """A sink that keeps what is written to it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    @property
    def data(self) -> bytes:
        return b"".join(self._parts)


class _Timed:
    """A stream whose reads (or writes) add their time to one of the timings."""

    def __init__(self, stream: IO[bytes] | _Collect, timings: Timings, stage: str) -> None:
        self._stream, self._timings, self._stage = stream, timings, stage

    def read(self, size: int) -> bytes:
        mark = time.perf_counter()
        try:
            return self._stream.read(size)  # type: ignore[union-attr]
        finally:
            self._add(mark)

    def write(self, data: bytes) -> None:
        mark = time.perf_counter()
        self._stream.write(data)
        self._add(mark)

    def _add(self, mark: float) -> None:
        setattr(self._timings, self._stage,
                getattr(self._timings, self._stage) + time.perf_counter() - mark)


def splice(source: IO[bytes], sink: IO[bytes] | _Collect, edit: SheetEdit,
           restyle: Restyle, timings: Timings, rows: bool = True) -> None:
    """Copy a sheet from `source` to `sink`, rewriting its skeleton and the rows `edit`
    names (a row that is not there is made, in its place); every other row's bytes pass
    as they are (or, `rows` False, are left out: the skeleton alone)."""
    started = time.perf_counter()
    before = timings.inflate + timings.deflate
    reader = _Timed(source, timings, "inflate")
    writer = _Timed(sink, timings, "deflate")
    buffer = b""
    while True:  # the head: up to <sheetData>
        match = re.search(rb"<(?:[\w.\-]+:)?sheetData\b(?:[^>\"']|\"[^\"]*\")*?(/?)>", buffer)
        if match:
            break
        chunk = reader.read(CHUNK)
        if not chunk:
            raise zipfile.BadZipFile("the sheet has no <sheetData>")
        buffer += chunk
    top = x.root(buffer[:match.start()] + b"<sheetData/>" + b"</worksheet>")
    opening = buffer[top.start:top.inner]
    p = f"{top.prefix}:" if top.prefix else ""
    close_root = f"</{p}worksheet>".encode()
    head = buffer[:match.start()]
    writer.write(_half(edit, head + f"<{p}sheetData/>".encode() + close_root, p, first=True))
    writer.write(f"<{p}sheetData>".encode())
    edit.has_formula |= re.search(rb"<(?:[\w.\-]+:)?f[\s>/]", head) is not None
    pending = sorted(edit.rows)
    left = 0  # pending[left:] are still to write
    buffer = buffer[match.end():]
    position = written = current = 0  # where the scan is; what is written of the buffer
    last = _last_row(buffer, p)
    empty = bool(match.group(1))  # <sheetData/>: no rows at all
    formula = (f"<{p}f>".encode(), f"<{p}f ".encode())

    def flush(upto: int) -> None:
        nonlocal written
        if not edit.has_formula:
            edit.has_formula = any(buffer.find(f, written, upto) >= 0 for f in formula)
        if rows:
            writer.write(buffer[written:upto])
        written = upto

    while True:
        target = pending[left] if left < len(pending) else None
        if last is not None and last[0] > position and (target is None or last[1] < target):
            position = last[0]  # rows before the next one to edit pass without a look
        found = None if empty else _ROW.search(buffer, position)
        closing = empty or (found is not None and found.group(0)[1:2] == b"/")
        end = None if found is None or closing else _row_end(buffer, found)
        if not closing and end is None:
            chunk = reader.read(CHUNK)
            if not chunk:
                raise EOFError("the sheet is cut short")
            flush(position)
            buffer, position, written = buffer[position:] + chunk, 0, 0
            last = _last_row(buffer, p)
            continue
        if closing:
            flush(found.start() if found is not None else 0)
            writer.write(b"".join(_rewritten(edit, None, n, restyle, p)
                                  for n in pending[left:]))
            writer.write(f"</{p}sheetData>".encode())
            buffer = buffer[found.end():] if found is not None else buffer[written:]
            break
        assert found is not None and end is not None
        start = found.start()
        number = _R.search(buffer, start, min(end, start + 200))
        current = int(number.group(1)) if number else current + 1
        made = []
        while left < len(pending) and pending[left] < current:
            made.append(_rewritten(edit, None, pending[left], restyle, p))
            left += 1
        replaced = left < len(pending) and pending[left] == current
        if replaced:
            left += 1
            edit.has_formula |= any(buffer.find(f, start, end) >= 0 for f in formula)
            made.append(_rewritten(edit, buffer[start:end], current, restyle, p))
        if made:
            flush(start)
            writer.write(b"".join(made))
        if replaced:
            written = end  # (the old row is not written)
        position = end
    while chunk := reader.read(CHUNK):  # the tail: after </sheetData>
        buffer += chunk
    writer.write(_half(edit, opening + f"<{p}sheetData/>".encode() + buffer, p, first=False))
    timings.splice += time.perf_counter() - started - (timings.inflate + timings.deflate
                                                        - before)


def _last_row(buffer: bytes, p: str) -> tuple[int, int] | None:
    """Where the buffer's last row starts, and its number. Rows are in ascending order
    (the schema says so, and Excel refuses a file where they are not), so every row before
    it in the buffer comes before it: when it comes before the next row to edit, all of
    them pass without being looked at."""
    last = buffer.rfind(f"<{p}row ".encode())
    number = _R.search(buffer, last, last + 200) if last >= 0 else None
    return (last, int(number.group(1))) if number else None


def _row_end(buffer: bytes, found: re.Match[bytes]) -> int | None:
    """Where the `<row>` starting at `found` ends, or None if not in the buffer yet."""
    tag_end = _START_END.match(buffer, found.end())
    if tag_end is None:
        return None
    if buffer[tag_end.end() - 2:tag_end.end()] == b"/>":
        return tag_end.end()
    close = re.compile(rb"</(?:[\w.\-]+:)?row\s*>").search(buffer, tag_end.end())
    return close.end() if close else None


def _rewritten(edit: SheetEdit, row: bytes | None, number: int, restyle: Restyle,
               p: str) -> bytes:
    return sheet.rewrite_row(row, number, edit.rows[number], restyle, p.rstrip(":"))


def _half(edit: SheetEdit, skeleton: bytes, p: str, first: bool) -> bytes:
    """The part of the edited skeleton before its rows (`first`) or after them."""
    edited = edit.skeleton(skeleton)
    top = x.root(edited)
    data = x.child(edited, top, "sheetData")
    assert data is not None
    return edited[:data.start] if first else edited[data.end:]


def rows_of(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """A sheet's rows from the top, each (number, its `<row>`), read a chunk at a time."""
    buffer, position, current = b"", 0, 0
    while True:
        found = _ROW.search(buffer, position)
        end = _row_end(buffer, found) if found and found.group(0)[1:2] != b"/" else None
        if found is not None and found.group(0)[1:2] == b"/":
            return
        if found is None or end is None:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            buffer, position = buffer[position:] + chunk, 0
            continue
        number = _R.search(buffer, found.start(), min(end, found.start() + 200))
        current = int(number.group(1)) if number else current + 1
        yield current, buffer[found.start():end]
        position = end


@contextmanager
def opened(path: Path) -> Iterator[Package]:
    """The package, or NotReady when a program is writing the file this moment."""
    try:
        package = Package(path)
    except HALF_WRITTEN as exc:
        raise NotReady(str(exc)) from None
    try:
        yield package
    except HALF_WRITTEN as exc:
        raise NotReady(str(exc)) from None
    finally:
        package.close()


def save(package: Package, path: Path, read: FileStamp | None,
         timings: Timings | None = None) -> str | None:
    """Write the edited package over `path` if the file is still the one read (its stamp
    `read`; None: do not check); None when written, else why not."""
    timings = timings or Timings()
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink(missing_ok=True)  # a save a crash cut short
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    replacement = Path(temporary)
    try:
        package.commit(replacement, timings)
        os.chmod(replacement, path.stat().st_mode & 0o777)
        backup = backup_path(path)
        if not backup.exists():
            shutil.copy2(path, backup)
    except BaseException as exc:
        replacement.unlink(missing_ok=True)
        if isinstance(exc, HALF_WRITTEN + (NotReady,)):
            raise NotReady("the file was being saved by another program") from None
        raise
    # The replacement is used up either way: moved in, or removed (never a person's file).
    if not _replace(path, replacement, read):
        return "it changed while sheetsync was writing"
    return None


def backup_path(path: Path) -> Path:
    """Where the first save by this writer keeps the file it replaced, once per tracker."""
    return path.with_name(f"{path.stem}.before-sheetsync{path.suffix}")


def stamp(path: Path) -> FileStamp:
    """Which file `path` is, and as what: the stamp a write checks before replacing it."""
    return FileStamp.of(path)


def _replace(path: Path, replacement: Path, read: FileStamp | None) -> bool:
    """Put `replacement` in place of `path` if `path` is still the file that was read
    (`file_swap`: an exchange, checked and undone, where the platform has one); with no
    `read` (setup, run by a person), unconditionally."""
    if read is None:
        os.replace(replacement, path)
        return True
    return replace_if_unchanged(path, replacement, read)
