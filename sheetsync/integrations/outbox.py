"""The local outbox: effects written as JSON lines (and a console line) instead of being sent.

Exactly once, like a real service: before appending, the outbox looks the effect's key up in
what it already holds, so a crash between the append and the state store's "sent" leaves one
line, not two.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sheetsync.core.effects import Effect
from sheetsync.integrations import DeliveryError


class LocalOutbox:
    """An append-only `outbox.jsonl`; each line an effect with `kind`, `key`, `ticket_id`..."""

    name = "outbox"

    def __init__(self, path: Path, echo: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.echo = echo
        self._keys: set[str] | None = None

    def delivered(self, key: str) -> bool:
        """Whether the outbox already holds this effect (the lookup after an unclear outcome)."""
        if self._keys is None:
            self._keys = set()
            if self.path.exists():
                with self.path.open(encoding="utf-8") as lines:
                    for line in lines:
                        try:
                            self._keys.add(json.loads(line)["key"])
                        except (ValueError, KeyError, TypeError):
                            continue  # a line cut short by a crash holds no whole effect
        return key in self._keys

    def deliver(self, effect: Effect, parent: Mapping[str, Any] | None = None,
                begin: Callable[[], None] = lambda: None) -> Mapping[str, Any]:
        """Append the effect unless it is there already; durable before returning."""
        try:
            if not self.delivered(effect.key):
                self._append(effect)
        except OSError as exc:
            raise DeliveryError(f"{self.path}: {exc}", "retry") from None
        return {"outbox": str(self.path)}

    def _append(self, effect: Effect) -> None:
        line = json.dumps({"kind": effect.kind, "key": effect.key,
                           "ticket_id": effect.ticket_id, "created_at": effect.created_at,
                           **effect.payload}, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as out:
            if out.tell() and (out.seek(-1, os.SEEK_END), out.read(1))[1] != b"\n":
                out.write(b"\n")  # end a line a crash cut short, so ours stands alone
            out.write(line.encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        assert self._keys is not None
        self._keys.add(effect.key)
        if self.echo is not None:
            summary = effect.payload.get("text") or effect.payload.get("name") or effect.key
            self.echo(f"outbox: {effect.kind} {effect.ticket_id}: {summary}")
