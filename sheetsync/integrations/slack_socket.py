"""Socket Mode: the process's one connection out to Slack, for the escalation's buttons and
`/ticket`, with no public URL, shared by every tracker the process serves.

slack-sdk's built-in Socket Mode client, opened while this process holds at least one of its
trackers' leases (Slack spreads envelopes over all of an app's connections, so a process
leading none would take clicks it can do nothing with) and closed once it holds none. Each
envelope is routed to the tracker it concerns (`SlackDesk`): a click to the tracker that
posted the message clicked (else the one whose state knows the ticket, in the message's
channel), `/ticket new` to the tracker whose channel it was typed in, and `/ticket ID` is
looked up in every tracker the person may act in; what no tracker can be told from writes
nothing, and the person is told. The desk records it in that tracker's state before it is
acknowledged (always within Slack's 3 s); the work is done after, by the process holding
that tracker's lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from sheetsync.app import logs
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.config import Config
from sheetsync.core.slack_actions import (
    UNMAPPED,
    Click,
    Interaction,
    NewTicket,
    NewTicketForm,
    OpenResolve,
    TicketQuery,
    parse,
)
from sheetsync.core.slack_blocks import SlackMessage, ticket_cards
from sheetsync.errors import SheetsyncError
from sheetsync.faults import one_line
from sheetsync.integrations import read_token
from sheetsync.integrations.dispatch import Sinks
from sheetsync.integrations.slack import APP_TOKEN_ENV, TOKEN_ENV
from sheetsync.integrations.slack_desk import FAULTS, SlackDesk


class SlackSocket:
    """The process's Socket Mode edge: each tracker's daemon takes its `desk` (`fleet`: the
    process serves several, so each envelope is placed by its message, ticket or channel).
    Without SLACK_APP_TOKEN it does nothing at all."""

    def __init__(self, environ: Mapping[str, str],
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), *,
                 fleet: bool = False) -> None:
        self.environ, self.now = environ, now
        self.fleet = fleet  # the process serves several trackers ([[trackers]])
        self.app_token = read_token(environ, APP_TOKEN_ENV)
        self.token = read_token(environ, TOKEN_ENV)
        self.quiet = logging.getLogger("sheetsync.slack_socket")
        self.quiet.setLevel(logging.CRITICAL)  # we log what matters ourselves
        self._desks: dict[str, SlackDesk] = {}
        self._guard = threading.Lock()  # the trackers' threads open and close it
        self._client: SocketModeClient | None = None
        self._fault: str | None = None  # why it last could not open, said once

    def desk(self, config: Config, sinks: Sinks, *, on_change: Callable[[], None] = lambda: None,
             backend: Callable[[], TrackerBackend] | None = None) -> SlackDesk:
        """One tracker's place on the connection (its name is its key)."""
        desk = SlackDesk(self, config, sinks, self.token, on_change,
                         backend or (lambda: open_backend(config, self.environ)))
        with self._guard:
            self._desks[desk.name] = desk
        return desk

    def follow(self, desk: SlackDesk) -> None:
        """A tracker's tick: while it leads, what waits for it first; then the connection
        open while any tracker leads, closed once none does."""
        if not self.app_token:
            return
        desk.find_channels()  # here, not while Slack waits for an acknowledgement
        if desk.leading:
            desk.resume()
        with self._guard:
            if not any(d.leading for d in self._desks.values()):
                self._close()
            elif self._client is None:
                self._open(desk)

    def leave(self, desk: SlackDesk) -> None:
        """A tracker's daemon stops; the connection closes once no tracker left leads."""
        with self._guard:
            if self._desks.get(desk.name) is desk:
                del self._desks[desk.name]
            if not any(d.leading for d in self._desks.values()):
                self._close()

    def close(self) -> None:
        """Stop taking envelopes at once (one that arrives now is not acknowledged, so Slack
        delivers it again, to a process that leads)."""
        with self._guard:
            self._close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _close_later(client)
            logs.event("slack socket closed")

    def _open(self, desk: SlackDesk) -> None:
        """Connect; a fault is logged once (not every tick) and tried again next tick."""
        if not self.token:
            self._not_open(f"{APP_TOKEN_ENV} is set but {TOKEN_ENV} is not: the answers and "
                           "modals need the bot token", f"export {TOKEN_ENV}=xoxb-...")
            return
        client = SocketModeClient(app_token=self.app_token, web_client=desk.web,
                                  logger=self.quiet, concurrency=4)
        client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        try:
            client.connect()
        except FAULTS as exc:
            _close_later(client)
            self._not_open(one_line(exc), f"check {APP_TOKEN_ENV} (an xapp- token with "
                           "connections:write) and that Socket Mode is on in the app's settings")
            return
        self._client, self._fault = client, None
        served: dict[str, Any] = {"trackers": sorted(self._desks)} if self.fleet else {}
        logs.event("slack socket open", **served)

    def _not_open(self, error: str, fix: str) -> None:
        if error != self._fault:
            logs.event("slack socket not open", logging.ERROR, error=error, fix=fix)
        self._fault = error

    # --- each envelope -------------------------------------------------------------------

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        """Route, record, acknowledge, then work (each envelope in a worker thread of the
        client)."""
        if client is not self._client:
            return  # closed: a process that leads takes it
        interaction = parse(request.type, request.payload or {})
        desk = self._route(interaction)
        answer, fresh = desk.record(request.envelope_id, interaction) if desk is not None \
            else (None, True)
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, answer))
        if interaction is None or not fresh or (answer and answer.get("response_action")):
            return  # not ours, a redelivery, or the modal shows what to fix
        try:
            if isinstance(interaction, TicketQuery):
                self._look_up(interaction)
            elif desk is None:
                self._unplaced(interaction)
            else:
                desk.work(interaction)
        except Exception as exc:  # one envelope's fault: the next ones go on
            logs.debug_traceback("slack action failed", exc)
            logs.event("slack action failed", logging.ERROR, error=one_line(exc))

    def _route(self, interaction: Interaction | None) -> SlackDesk | None:
        """The tracker an envelope concerns; None for `/ticket ID` (every tracker's), for
        what is not sheetsync's, and for what no tracker of this process can be told from.
        In a fleet, a tracker not (or no longer) served here is never taken for another."""
        desks = list(self._desks.values())
        if interaction is None or isinstance(interaction, TicketQuery) or not desks:
            return None
        if not self.fleet:
            return desks[0]
        if isinstance(interaction, (Click, OpenResolve)):
            click = interaction if isinstance(interaction, Click) else interaction.click
            desks = [d for d in desks if d.posted(click.channel, click.message_ts)] or [
                d for d in desks  # a message it no longer keeps: its ticket, in its channel
                if click.channel in d.channels() and d.knows(click.shown.ticket_id)]
        else:
            desks = [d for d in desks if interaction.channel in d.channels()]
        return desks[0] if len(desks) == 1 else None

    def _unplaced(self, interaction: Interaction) -> None:
        """An action no tracker of this process can be told from: nothing is written, and
        the person is told what would place it."""
        names = ", ".join(sorted(self._desks))
        if isinstance(interaction, (Click, OpenResolve)):
            click = interaction if isinstance(interaction, Click) else interaction.click
            where = (click.user, click.channel, click.response_url)
            said = (f"Nothing written: sheetsync cannot tell which of its trackers ({names}) "
                    f"this message's {click.shown.ticket_id} is in. Edit the row in the sheet.")
        else:
            assert isinstance(interaction, (NewTicketForm, NewTicket))
            where = (interaction.user, interaction.channel, interaction.response_url
                     if isinstance(interaction, NewTicketForm) else None)
            shared = sum(interaction.channel in d.channels() for d in self._desks.values()) > 1
            said = (f"/ticket new adds to the tracker whose Slack channel it is typed in, and "
                    f"this channel is {'shared by several' if shared else 'not one'} of this "
                    f"sheetsync's trackers ({names}): type it in that tracker's own channel.")
        logs.event("slack action not placed", trackers=names)
        self._any().tell(*where, said)

    def _look_up(self, query: TicketQuery) -> None:
        """`/ticket ID`, in every tracker where the person is mapped: each holding the
        ticket shows its card (named, when the process serves several); else why none."""
        desks = [d for d in self._desks.values() if query.user in d.users]
        teller = desks[0] if desks else self._any()
        where = (query.user, query.channel, query.response_url)
        if not desks:
            teller.tell(*where, UNMAPPED)
            return
        named = self.fleet
        read = [(d, t) for d in desks if (t := d.config.schema.ticket_id.read(query.text))]
        if not read:
            teller.tell(*where, f"Give a ticket ID (/ticket "
                        f"{desks[0].config.schema.ticket_id.format(123)}) or /ticket new")
            return
        cards: list[tuple[str, SlackMessage]] = []
        missing: list[str] = []
        for desk, ticket in read:
            try:
                found = desk.lookup(ticket)
            except SheetsyncError as exc:
                found = f"the tracker cannot be read now ({exc})"
            if isinstance(found, SlackMessage):
                cards.append((desk.name, found))
            else:
                missing.append(f"{desk.name}: {found}" if named else found)
        if cards:
            answer = ticket_cards(cards, named)
            teller.tell(*where, answer.text, answer.blocks)
        else:
            teller.tell(*where, "\n".join(missing))

    def _any(self) -> SlackDesk:
        return next(iter(self._desks.values()))


def _close_later(client: SocketModeClient) -> None:
    """The client's threads wound down in the background: its receive loop holds the socket
    for up to 3 s, and its message loop waits 1 s for the next message."""
    threading.Thread(target=client.close, name="slack-socket-close", daemon=True).start()

