"""Where effects go: the local outbox by default; Slack (and later ClickUp) when configured.

A sink delivers one effect and says how it went. Its outcomes are the dispatcher's whole
vocabulary: delivered (a result to record), or a `DeliveryError` that says whether to try
again later, wait for a fix to the configuration, or hold the effect for a person, and
whether the attempt may have reached the service (so the next one looks before it sends).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from sheetsync.core.effects import Effect
from sheetsync.errors import ConfigError

#: retry: a passing fault, try again next cycle; blocked: the configuration must be fixed,
#: the effect waits; rejected: the service refused this effect, a person decides; held:
#: sheetsync cannot tell whether it was delivered, a person looks.
Verdict = Literal["retry", "blocked", "rejected", "held"]


class DeliveryError(Exception):
    """Why an effect was not delivered, and what happens to it now."""

    def __init__(self, message: str, verdict: Verdict, *, unclear: bool = False) -> None:
        super().__init__(message)
        self.verdict = verdict
        self.unclear = unclear  # the attempt may have reached the service


class Sink(Protocol):
    """Somewhere effects are delivered: exactly once, by key."""

    name: str

    def deliver(self, effect: Effect, parent: Mapping[str, Any] | None,
                begin: Callable[[], None]) -> Mapping[str, Any]:
        """Deliver `effect` (a reply: under `parent`, its parent's result); call `begin`
        just before anything that may reach the service. Raises DeliveryError."""
        ...


def read_token(environ: Mapping[str, str], name: str) -> str:
    """The token in the environment variable `name` ("" when unset), checked to be one that an
    HTTP header can carry: visible ASCII, no line break, no space.

    A token pasted with a typographic quote or a line break inside would fail in the client
    library, whose error can hold the whole token; this error names the variable and the
    character, never the token.
    """
    token = environ.get(name, "").strip()
    for position, char in enumerate(token, start=1):
        if not "!" <= char <= "~":
            what = "a line break" if char in "\r\n" else "a space" if char.isspace() else \
                f"U+{ord(char):04X} ({unicodedata.name(char, 'a control character').lower()})"
            raise ConfigError(f"{name}: the token holds {what} at character {position}, which "
                              "no HTTP header can carry; copy the token again and set it "
                              f"with nothing around it: export {name}='...'")
    return token
