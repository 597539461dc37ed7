"""Findings as a person reads them in a terminal, and as the JSON contract scripts rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import groupby

from sheetsync.validators import Finding

#: The keys of every object in `check --format json`, in order. A contract: never rename.
JSON_KEYS = ("row", "ticket_id", "column", "code", "message", "value", "suggestion")


def findings_json(findings: Sequence[Finding]) -> str:
    """One JSON array of objects with exactly the JSON_KEYS."""
    return json.dumps([{k: getattr(f, k) for k in JSON_KEYS} for f in findings],
                      ensure_ascii=False, indent=2)


def findings_text(findings: Sequence[Finding], where: str, rows_checked: int) -> Iterator[str]:
    """Findings grouped by row, each with its column, code, message, value and suggestion."""
    checked = _count(rows_checked, "ticket row")
    if not findings:
        yield f"{where}: {checked}, no findings."
        return
    rows_with = len({f.row for f in findings})
    yield f"{where}: {checked}, {_count(len(findings), 'finding')} in {_count(rows_with, 'row')}"
    for row, group in groupby(findings, key=lambda f: f.row):
        items = list(group)
        ticket = items[0].ticket_id
        yield ""
        yield f"Row {row}" + (f"  {ticket}" if ticket else "")
        for f in items:
            value = "(empty)" if f.value is None else _quote(f.value)
            yield f"  {f.column}: {value}  [{f.code}]"
            yield f"    {f.message}"
            if f.suggestion is not None:
                yield f"    Suggested: {f.suggestion}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _quote(text: str) -> str:
    flat = text.replace("\n", " ")
    return json.dumps(flat[:77] + "..." if len(flat) > 80 else flat, ensure_ascii=False)
