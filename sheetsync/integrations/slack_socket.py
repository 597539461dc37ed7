"""Socket Mode: the daemon's own connection out to Slack, for the escalation's buttons and
`/ticket`, with no public URL.

slack-sdk's built-in Socket Mode client, opened only by the replica holding the lease (Slack
spreads envelopes over all of an app's connections, so a standby's connection would take
clicks it must not apply) and closed when the lease is lost. Each envelope is recorded in the
state before it is acknowledged (always within Slack's 3 s), then worked; a redelivered
envelope or a repeated click is recognised by its IDs and done once. After a restart, what
was recorded and not applied is applied if the row still holds what the message showed, and
otherwise the clicker is told it was not.

A cycle and an action never edit the tracker at the same time: both hold `lock`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from sheetsync.app import logs
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.config import Config
from sheetsync.core.slack_actions import (
    Click,
    Interaction,
    NewTicket,
    NewTicketForm,
    OpenResolve,
    UNMAPPED,
    TicketQuery,
    parse,
    people,
    required_inputs,
)
from sheetsync.core.slack_blocks import new_ticket_view, resolve_view
from sheetsync.faults import NETWORK, one_line
from sheetsync.integrations import read_token
from sheetsync.integrations.dispatch import Sinks, hand_off
from sheetsync.integrations.slack import APP_TOKEN_ENV, TOKEN_ENV
from sheetsync.jobs.actions import Outcome, apply_click
from sheetsync.jobs.tickets import add_ticket, ticket_answer, ticket_problems
from sheetsync.state import StateStore, open_state

_FAULTS: tuple[type[Exception], ...] = (SlackApiError, *NETWORK)


class SlackSocket:
    """The Socket Mode edge of one tracker's daemon: `follow` the lease each tick, `close`
    at the end. Without SLACK_APP_TOKEN it does nothing at all."""

    def __init__(self, config: Config, environ: Mapping[str, str], sinks: Sinks, *,
                 on_change: Callable[[], None] = lambda: None,
                 backend: Callable[[], TrackerBackend] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.config, self.sinks, self.now = config, sinks, now
        self.app_token = read_token(environ, APP_TOKEN_ENV)
        self.lock = threading.Lock()  # one edit of the tracker at a time: a cycle or an action
        self._on_change = on_change  # the daemon's memory of the tab is out of date
        self._backend = backend or (lambda: open_backend(config, environ))
        self._users = people(config.settings.slack.users)
        self._quiet = logging.getLogger("sheetsync.slack_socket")
        self._quiet.setLevel(logging.CRITICAL)  # we log what matters ourselves
        self.web = WebClient(token=read_token(environ, TOKEN_ENV),
                             base_url=config.settings.slack.api_url, logger=self._quiet)
        self._client: SocketModeClient | None = None
        self._fault: str | None = None  # why it last could not open, said once

    def follow(self, leading: bool) -> None:
        """Open the connection while this replica leads (first doing what a previous run
        recorded and did not apply), close it once it does not; each tick while leading,
        try again what waits for the workbook to be closed."""
        if not self.app_token:
            return
        if not leading:
            self.close()
            return
        self._resume()
        if self._client is None:
            self._open()

    def close(self) -> None:
        """Stop taking envelopes at once (one that arrives now is not acknowledged, so Slack
        delivers it again, to the replica that leads)."""
        client, self._client = self._client, None
        if client is not None:
            _close_later(client)
            logs.event("slack socket closed")

    def _open(self) -> None:
        """Connect; a fault is logged once (not every tick) and tried again next tick."""
        if not self.web.token:
            self._not_open(f"{APP_TOKEN_ENV} is set but {TOKEN_ENV} is not: the answers and "
                           "modals need the bot token", f"export {TOKEN_ENV}=xoxb-...")
            return
        client = SocketModeClient(app_token=self.app_token, web_client=self.web,
                                  logger=self._quiet, concurrency=4)
        client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        try:
            client.connect()
        except _FAULTS as exc:
            _close_later(client)
            self._not_open(one_line(exc), f"check {APP_TOKEN_ENV} (an xapp- token with "
                           "connections:write) and that Socket Mode is on in the app's settings")
            return
        self._client, self._fault = client, None
        logs.event("slack socket open")

    def _not_open(self, error: str, fix: str) -> None:
        if error != self._fault:
            logs.event("slack socket not open", logging.ERROR, error=error, fix=fix)
        self._fault = error

    # --- each envelope -------------------------------------------------------------------

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        """Record, acknowledge, then work (each envelope in a worker thread of the client)."""
        if client is not self._client:
            return  # closed: the replica that leads now takes it
        interaction = parse(request.type, request.payload or {})
        answer: dict[str, Any] | None = None
        fresh = True
        if isinstance(interaction, NewTicket):
            answer, fresh = self._record_new(request.envelope_id, interaction)
        elif isinstance(interaction, Click):
            fresh = self._record(request.envelope_id, interaction)
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, answer))
        if interaction is None or not fresh or (answer and answer.get("response_action")):
            return  # not ours, a redelivery, or the modal shows what to fix
        try:
            self._work(interaction)
        except Exception as exc:  # one envelope's fault: the next ones go on
            logs.debug_traceback("slack action failed", exc)
            logs.event("slack action failed", logging.ERROR, error=one_line(exc))

    def _record(self, envelope: str, click: Click) -> bool:
        with open_state(self.config) as store:
            return store.record_action(click.action_id, envelope, click.kind,
                                       click.shown.ticket_id, click.user, click.record(),
                                       self.now())

    def _record_new(self, envelope: str, new: NewTicket) -> tuple[dict[str, Any] | None, bool]:
        """A `/ticket new` submission: its problems back into the modal, or recorded."""
        if new.user not in self._users:
            return {"response_action": "errors", "errors": {
                key: UNMAPPED for key, *_ in required_inputs(self.config.schema)[:1]}}, False
        problems = ticket_problems(self.config, new, self.now())
        if problems:
            return {"response_action": "errors", "errors": problems}, False
        with open_state(self.config) as store:
            fresh = store.record_action(_new_id(new), envelope, "new", None, new.user,
                                        {"values": dict(new.values), "channel": new.channel,
                                         "view": new.view_id}, self.now())
        return None, fresh

    def _work(self, interaction: Interaction) -> None:
        if isinstance(interaction, Click):
            self._apply(interaction, previously=None)
        elif isinstance(interaction, OpenResolve):
            if interaction.click.user not in self._users:
                self._tell(interaction.click.user, interaction.click.channel,
                           interaction.click.response_url, UNMAPPED)
                return
            header = self.config.schema.column(self.config.schema.roles.resolution).header
            self.web.views_open(trigger_id=interaction.trigger_id,
                                view=resolve_view(interaction.click, header))
        elif isinstance(interaction, NewTicketForm):
            if interaction.user not in self._users:
                self._tell(interaction.user, interaction.channel, None, UNMAPPED)
                return
            self.web.views_open(trigger_id=interaction.trigger_id, view=new_ticket_view(
                required_inputs(self.config.schema), interaction.channel))
        elif isinstance(interaction, TicketQuery):
            if interaction.user not in self._users:
                self._tell(interaction.user, interaction.channel, interaction.response_url,
                           UNMAPPED)
                return
            with self.lock:
                answer = ticket_answer(self.config, self._backend(), interaction.text,
                                       self.now())
            self._tell(interaction.user, interaction.channel, interaction.response_url,
                       answer.text, answer.blocks)
        elif isinstance(interaction, NewTicket):
            self._add(interaction, redo=False)

    def _add(self, new: NewTicket, redo: bool) -> None:
        with self.lock, open_state(self.config) as store:
            if _settled(store, _new_id(new)):
                return
            said = add_ticket(self.config, self._backend(), store, _new_id(new), new,
                              self._users.get(new.user, new.user), self.now(), redo=redo)
            self._on_change()
        self._tell(new.user, new.channel, None, said)

    def _apply(self, click: Click, previously: str | None) -> None:
        """Apply one click; the clicker hears of anything but success (the thread says
        that), and of a waiting change only once."""
        with self.lock, open_state(self.config) as store:
            if _settled(store, click.action_id):
                return
            outcome: Outcome = apply_click(self.config, self._backend(), store, click,
                                           self.now())
            if outcome.status == "applied":
                self._on_change()
                hand_off(store, self.sinks, self.now())
        logs.event("slack action", action=click.kind, ticket=click.shown.ticket_id,
                   outcome=outcome.status)
        if outcome.status == "waiting" and previously == "waiting":
            return
        if outcome.status != "applied":
            said = outcome.text if previously is None else (
                f"Your {click.kind} on {click.shown.ticket_id} was not applied: {outcome.text}"
                if outcome.status == "refused" else outcome.text)
            self._tell(click.user, click.channel, click.response_url, said)

    def _resume(self) -> None:
        """What an earlier run recorded and did not apply, and what waits for the workbook."""
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

    def _tell(self, user: str, channel: str | None, response_url: str | None, text: str,
              blocks: list[dict[str, Any]] | None = None) -> None:
        """An answer only `user` sees: through the interaction's response_url (valid for 30
        minutes), else chat.postEphemeral in the channel."""
        if response_url:
            try:
                sent = WebhookClient(response_url, logger=self._quiet).send(
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
        except _FAULTS as exc:
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


def _close_later(client: SocketModeClient) -> None:
    """The client's threads wound down in the background: its receive loop holds the socket
    for up to 3 s, and its message loop waits 1 s for the next message."""
    threading.Thread(target=client.close, name="slack-socket-close", daemon=True).start()
