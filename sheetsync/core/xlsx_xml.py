"""Byte-level XML of an .xlsx part: find an element, read or set an attribute, insert a child
in the order the schema wants, without parsing the part into a tree.

A tree (ElementTree, lxml) rewrites what it does not understand: namespace prefixes, the
order of attributes, `mc:Ignorable` lists that name prefixes it renamed. Editing the bytes
leaves everything sheetsync does not change exactly as the program that saved it wrote it.
The scanner below understands tags, attribute values (quoted `>` included) and depth; it
skips comments, processing instructions and CDATA, which the parts it edits do not use for
content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_TAG = re.compile(rb"<(/?)(?:([A-Za-z_][\w.\-]*):)?([A-Za-z_][\w.\-]*)"
                  rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>|<!--.*?-->|<\?.*?\?>|"
                  rb"<!\[CDATA\[.*?\]\]>", re.DOTALL)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Span:
    """An element's place in a part: [start, end) of the whole element, and where its start
    tag ends (`inner`; equal to `end` for an empty element `<x/>`)."""

    local: str
    prefix: str
    start: int
    inner: int
    end: int

    @property
    def closes(self) -> int:
        """Where its end tag starts (its content is [inner, closes))."""
        return self.end if self.inner == self.end else self.end - len(self.close_tag)

    @property
    def close_tag(self) -> bytes:
        return f"</{self.prefix + ':' if self.prefix else ''}{self.local}>".encode()


def root(xml: bytes) -> Span:
    """The document's root element (its end is the last end tag of its name: nothing but
    whitespace and comments may follow the root)."""
    for match in _TAG.finditer(xml):
        close, prefix, local, _, empty = match.groups()
        if local and not close:
            name, space = local.decode(), (prefix or b"").decode()
            if empty:
                return Span(name, space, match.start(), match.end(), match.end())
            closing = f"</{space + ':' if space else ''}{name}".encode()
            end = xml.rfind(closing)
            end = xml.find(b">", end) + 1 if end >= 0 else len(xml)
            return Span(name, space, match.start(), match.end(), end)
    raise ValueError("no root element")


def children(xml: bytes, start: int, end: int) -> list[Span]:
    """The elements at the top level of xml[start:end] (the content of an element, or a
    fragment of it), each with its span."""
    return _scan(xml, start, end)[0]


def _scan(xml: bytes, start: int, end: int) -> tuple[list[Span], int | None]:
    """The top-level elements from `start`, and where the end tag that closes the element
    they are in ends (None if it is not before `end`)."""
    found: list[Span] = []
    level = 0
    opened: tuple[int, int, str, str] = (0, 0, "", "")
    for match in _TAG.finditer(xml, start, end):
        close, prefix, local, _, empty = match.groups()
        if not local:
            continue
        if close:
            level -= 1
            if level < 0:
                return found, match.end()
            if level == 0:
                found.append(Span(opened[2], opened[3], opened[0], opened[1], match.end()))
        elif empty:
            if level == 0:
                found.append(Span(local.decode(), (prefix or b"").decode(), match.start(),
                                  match.end(), match.end()))
        else:
            if level == 0:
                opened = (match.start(), match.end(), local.decode(),
                          (prefix or b"").decode())
            level += 1
    return found, None


def child(xml: bytes, parent: Span, local: str) -> Span | None:
    """`parent`'s first child named `local` (any prefix)."""
    return next((s for s in children(xml, parent.inner, parent.closes) if s.local == local),
                None)


def each(xml: bytes, parent: Span, local: str) -> list[Span]:
    return [s for s in children(xml, parent.inner, parent.closes) if s.local == local]


@lru_cache(maxsize=64)
def _attribute_pattern(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"\s" + re.escape(name.encode()) + rb"\s*=\s*(\"([^\"]*)\"|'([^']*)')")


def attribute(tag: bytes, name: str) -> str | None:
    """An attribute of the start tag `tag` (unescaped), or None."""
    match = _attribute_pattern(name).search(_start_tag(tag))
    if match is None:
        return None
    value = match.group(2) if match.group(2) is not None else match.group(3)
    return unescape(value.decode("utf-8"))


def with_attribute(tag: bytes, name: str, value: str | None) -> bytes:
    """The element `tag` with an attribute set (added at the end of its start tag), or taken
    away (None); the rest of its bytes unchanged."""
    head = _start_tag(tag)
    pattern = _attribute_pattern(name)
    if value is None:
        new = pattern.sub(b"", head, count=1)
    elif pattern.search(head):
        new = pattern.sub(lambda _: b" " + name.encode() + b'="' + quote(value) + b'"',
                          head, count=1)
    else:
        cut = len(head) - (2 if head.endswith(b"/>") else 1)
        new = head[:cut].rstrip() + b" " + name.encode() + b'="' + quote(value) + b'"' + \
            head[cut:]
    return new + tag[len(head):]


def _start_tag(tag: bytes) -> bytes:
    match = _TAG.match(tag)
    if match is None:
        raise ValueError("not an element")
    return tag[:match.end()]


def insert_child(xml: bytes, parent: Span, new: bytes, local: str,
                 order: Sequence[str]) -> bytes:
    """`new` (an element named `local`) inserted into `parent` where `order`, the schema's
    sequence of its children, puts it: before the first child that comes after it."""
    after = set(order[order.index(local) + 1:])
    if parent.inner == parent.end:  # <parent/>: open it
        head = xml[parent.start:parent.end - 2].rstrip() + b">"
        return xml[:parent.start] + head + new + parent.close_tag + xml[parent.end:]
    at = next((s.start for s in children(xml, parent.inner, parent.closes)
               if s.local in after), parent.closes)
    return xml[:at] + new + xml[at:]


def replace(xml: bytes, span: Span, new: bytes) -> bytes:
    return xml[:span.start] + new + xml[span.end:]


def text_of(xml: bytes, span: Span) -> str:
    """The text of every `<t>` in an element (a cell's inline string, a comment's runs)."""
    return "".join(unescape(m.decode("utf-8")) for m in re.findall(
        rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", xml[span.inner:span.closes],
        re.DOTALL))


def quote(value: str) -> bytes:
    """Text for an attribute value (in double quotes)."""
    return _escaped(value).replace('"', "&quot;").replace("\n", "&#10;") \
        .replace("\t", "&#9;").encode("utf-8")


def escape(value: str) -> bytes:
    """Text for element content; characters XML 1.0 cannot hold are left out, and a
    carriage return is a reference (a parser reads a bare one as a line feed)."""
    return _escaped(value).encode("utf-8")


def _escaped(value: str) -> str:
    return _ILLEGAL.sub("", value).replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;").replace("\r", "&#13;")


_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(value: str) -> str:
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(
        int(m.group(1)[2:], 16) if m.group(1)[1] in "xX" else int(m.group(1)[1:])), value)


def column_letter(column: int) -> str:
    """1 -> "A", 28 -> "AB"."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """"AB" -> 28."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def cell_position(reference: str) -> tuple[int, int]:
    """"B12" -> (12, 2): the 1-based row and column."""
    match = _REF.fullmatch(reference.strip())
    if match is None:
        raise ValueError(f"not a cell reference: {reference!r}")
    return int(match.group(2)), column_number(match.group(1))


def area(reference: str) -> tuple[int, int, int, int]:
    """"A1:H20" (or "B3") -> (first row, first column, last row, last column)."""
    first, _, last = reference.partition(":")
    top, left = cell_position(first)
    bottom, right = cell_position(last) if last else (top, left)
    return top, left, bottom, right


def area_text(top: int, left: int, bottom: int, right: int) -> str:
    start = f"{column_letter(left)}{top}"
    end = f"{column_letter(right)}{bottom}"
    return start if start == end else f"{start}:{end}"
