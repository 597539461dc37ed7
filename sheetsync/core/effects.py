"""Effects: what sheetsync does outside the sheet (a Slack message, a ClickUp task), as plain data.

Each has a key that says what it is for; the state store keeps one effect per key, so
planning it again never sends it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

EffectStatus = Literal["pending", "sent", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class Effect:
    """An external effect (a Slack message, a ClickUp task) planned by a cycle."""

    key: str
    kind: str
    ticket_id: str | None
    payload: Mapping[str, Any]
    status: EffectStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    result: Mapping[str, Any] | None = None
    created_at: str = ""
    unclear: bool = False  # an attempt may have reached the service: look it up before sending
