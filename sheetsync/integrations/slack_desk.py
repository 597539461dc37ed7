"""One tracker's side of the Slack actions: each envelope the process's connection routes to
it recorded in its state, then worked, and what an earlier run (or another process) recorded
applied by the process holding its lease.

The connection (`sheetsync.integrations.slack_socket`) is the process's, shared by its
trackers; a desk is one tracker's. An envelope is recorded in the tracker's own state before
it is acknowledged, whichever process took it; only the process holding that tracker's lease
applies it (at once when it took the envelope itself, else on its next tick, as after a
restart), so an action is never lost and never applied twice. After a restart, what was
recorded and not applied is applied if the row still holds what the message showed, and
otherwise the clicker is told it was not.

A cycle and an action never edit the tracker at the same time: both hold `lock`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sheetsync.app import logs
from sheetsync.backends import TrackerBackend
from sheetsync.config import Config
from sheetsync.core.rules import SLACK_MESSAGE
from sheetsync.core.slack_actions import (
    UNMAPPED,
    Click,
    Interaction,
    NewTicket,
    NewTicketForm,
    OpenResolve,
    people,
    required_inputs,
)
from sheetsync.core.slack_blocks import SlackMessage, new_ticket_view, resolve_view
from sheetsync.faults import NETWORK, one_line
from sheetsync.integrations import DeliveryError
from sheetsync.integrations.dispatch import Sinks, hand_off
from sheetsync.jobs.actions import Outcome, apply_click
from sheetsync.jobs.tickets import add_ticket, ticket_answer, ticket_problems
from sheetsync.state import StateStore, open_state

if TYPE_CHECKING:
    from sheetsync.integrations.slack_socket import SlackSocket

FAULTS: tuple[type[Exception], ...] = (SlackApiError, *NETWORK)


class SlackDesk:
    """One tracker's Slack actions, on the process's connection: its daemon calls `follow`
    each tick with whether it holds the tracker's lease, and `close` at the end."""

    def __init__(self, socket: SlackSocket, config: Config, sinks: Sinks, token: str,
                 on_change: Callable[[], None],
                 backend: Callable[[], TrackerBackend]) -> None:
        self.config, self.sinks, self.socket = config, sinks, socket
        self.name = config.name
        self.lock = threading.Lock()  # one edit of the tracker at a time: a cycle or an action
        self.leading = False  # whether this process holds the tracker's lease
        self.users = people(config.settings.slack.users)
        self._on_change = on_change  # the daemon's memory of the tab is out of date
        self._backend = backend
        self.web = WebClient(token=token, base_url=config.settings.slack.api_url,
                             logger=socket.quiet)
        self._channels: set[str] = set()

    def follow(self, leading: bool) -> None:
        """This tick's lease: the connection is open while any tracker of the process leads;
        while this one does, what waits for it is done first."""
        self.leading = leading
        self.socket.follow(self)

    def close(self) -> None:
        """The tracker's daemon stops: its envelopes go to the process that leads it now."""
        self.leading = False
        self.socket.leave(self)

    # --- where an envelope belongs ---------------------------------------------------------

    def posted(self, channel: str | None, ts: str | None) -> bool:
        """Whether this tracker posted the message `ts` in `channel` (the one clicked)."""
        if not channel or not ts:
            return False
        with open_state(self.config) as store:
            return store.message_at(channel, ts) is not None

    def knows(self, ticket: str) -> bool:
        """Whether this tracker's state has seen `ticket`."""
        with open_state(self.config) as store:
            return store.ticket_fields(ticket) is not None

    def channels(self) -> set[str]:
        """The IDs of the channels this tracker posts to (its own, and its levels'), as last
        found."""
        return self._channels

    def find_channels(self) -> None:
        """Look the channels' IDs up (once each: the Slack sink keeps what it found); a name
        Slack cannot find now is left out, and looked for again next tick."""
        sink = self.sinks.for_kind(SLACK_MESSAGE)
        settings = self.config.settings.slack
        found: set[str] = set()
        for channel in (settings.channel, *settings.level_channels.values()):
            try:
                found.add(sink.channel_id(channel))  # type: ignore[attr-defined]
            except DeliveryError:
                continue
        self._channels = found

    # --- each envelope -------------------------------------------------------------------

    def record(self, envelope: str, interaction: Interaction | None
               ) -> tuple[dict[str, Any] | None, bool]:
        """Before the acknowledgement: a click or a `/ticket new` row recorded in this
        tracker's state (whether it is fresh: not a redelivery), or the modal's problems."""
        if isinstance(interaction, NewTicket):
            return self._record_new(envelope, interaction)
        if isinstance(interaction, Click):
            with open_state(self.config) as store:
                return None, store.record_action(
                    interaction.action_id, envelope, interaction.kind,
                    interaction.shown.ticket_id, interaction.user, interaction.record(),
                    self.socket.now())
        return None, True

    def _record_new(self, envelope: str, new: NewTicket) -> tuple[dict[str, Any] | None, bool]:
        """A `/ticket new` submission: its problems back into the modal, or recorded."""
        if new.user not in self.users:
            return {"response_action": "errors", "errors": {
                key: UNMAPPED for key, *_ in required_inputs(self.config.schema)[:1]}}, False
        problems = ticket_problems(self.config, new, self.socket.now())
        if problems:
            return {"response_action": "errors", "errors": problems}, False
        with open_state(self.config) as store:
            fresh = store.record_action(_new_id(new), envelope, "new", None, new.user,
                                        {"values": dict(new.values), "channel": new.channel,
                                         "view": new.view_id}, self.socket.now())
        return None, fresh

    def work(self, interaction: Interaction) -> None:
        """After the acknowledgement: what a recorded action does, here only while this
        process holds the tracker's lease (else the holder does it on its next tick)."""
        if isinstance(interaction, Click):
            if self.leading:
                self._apply(interaction, previously=None)
            else:
                logs.event("slack action left to the lease holder", action=interaction.kind,
                           ticket=interaction.shown.ticket_id)
        elif isinstance(interaction, NewTicket):
            if self.leading:
                self._add(interaction, redo=False)
            else:
                logs.event("slack action left to the lease holder", action="new")
        elif isinstance(interaction, OpenResolve):
            if interaction.click.user not in self.users:
                self.tell(interaction.click.user, interaction.click.channel,
                          interaction.click.response_url, UNMAPPED)
                return
            header = self.config.schema.column(self.config.schema.roles.resolution).header
            self.web.views_open(trigger_id=interaction.trigger_id,
                                view=resolve_view(interaction.click, header))
        elif isinstance(interaction, NewTicketForm):
            if interaction.user not in self.users:
                self.tell(interaction.user, interaction.channel, interaction.response_url,
                          UNMAPPED)
                return
            self.web.views_open(trigger_id=interaction.trigger_id, view=new_ticket_view(
                required_inputs(self.config.schema), interaction.channel))

    def lookup(self, ticket: str) -> SlackMessage | str:
        """`/ticket ID` in this tracker: its card, or why it is not shown."""
        with self.lock:
            return ticket_answer(self.config, self._backend(), ticket, self.socket.now())

    def _add(self, new: NewTicket, redo: bool) -> None:
        with self.lock, open_state(self.config) as store:
            if _settled(store, _new_id(new)):
                return
            said = add_ticket(self.config, self._backend(), store, _new_id(new), new,
                              self.users.get(new.user, new.user), self.socket.now(), redo=redo)
            self._on_change()
        self.tell(new.user, new.channel, None, said)

    def _apply(self, click: Click, previously: str | None) -> None:
        """Apply one click; the clicker hears of anything but success (the thread says
        that), and of a waiting change only once."""
        with self.lock, open_state(self.config) as store:
            if _settled(store, click.action_id):
                return
            outcome: Outcome = apply_click(self.config, self._backend(), store, click,
                                           self.socket.now())
            if outcome.status == "applied":
                self._on_change()
                hand_off(store, self.sinks, self.socket.now())
        logs.event("slack action", action=click.kind, ticket=click.shown.ticket_id,
                   outcome=outcome.status)
        if outcome.status == "waiting" and previously == "waiting":
            return
        if outcome.status != "applied":
            said = outcome.text if previously is None else (
                f"Your {click.kind} on {click.shown.ticket_id} was not applied: {outcome.text}"
                if outcome.status == "refused" else outcome.text)
            self.tell(click.user, click.channel, click.response_url, said)

    def resume(self) -> None:
        """What an earlier run, or another process, recorded and did not apply, and what
        waits for the workbook."""
        with open_state(self.config) as store:
            waiting = store.unsettled_actions()
            for credited in store.credit_created():
                logs.event("ticket credited", ticket=credited[0], by=credited[1])
        for action in waiting:
            if action.kind == "new":
                self._add(NewTicket(action.user_id, action.payload.get("channel"),
                                    str(action.payload.get("view")),
                                    action.payload.get("values") or {}), redo=True)
            else:
                self._apply(Click.recorded(action.payload), previously=action.status)

    def tell(self, user: str, channel: str | None, response_url: str | None, text: str,
             blocks: list[dict[str, Any]] | None = None) -> None:
        """An answer only `user` sees: through the interaction's response_url (valid for 30
        minutes), else chat.postEphemeral in the channel."""
        if response_url:
            try:
                sent = WebhookClient(response_url, logger=self.socket.quiet).send(
                    text=text, blocks=blocks, response_type="ephemeral",
                    replace_original=False)
                if sent.status_code == 200:
                    return
            except NETWORK:
                pass
        if not channel:
            return
        try:
            self.web.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        except FAULTS as exc:
            logs.event("slack answer not delivered", logging.WARNING, user=user,
                       error=one_line(exc))


def _new_id(new: NewTicket) -> str:
    """A `/ticket new` submission's own ID: its modal's, and who sent it."""
    return f"{new.view_id}:{new.user}:new"


def _settled(store: StateStore, action_id: str) -> bool:
    """Whether an action was applied or refused meanwhile: a tick's resume and the envelope's
    own worker may both reach one action; the second one leaves it as it is."""
    recorded = store.action(action_id)
    return recorded is not None and recorded.status in ("applied", "refused")
