"""Slack: escalations posted to the team's channel, follow-ups in their thread, exactly once.

Slack has no idempotency key, so sheetsync carries the effect's key in the message's
metadata and, after any attempt whose outcome is unknown (a dropped connection, a timeout, a
5xx, a crash between Slack's answer and the state store's record), looks the key up in the
channel's history (or the thread's replies) before posting again. The SDK's own retries are
limited to 429s, which Slack answers before posting anything; its default retry of a dropped
connection, which can post a message twice, is not used. Posts are paced below Slack's one
message per second per channel.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from sheetsync.app import metrics
from sheetsync.core.effects import Effect
from sheetsync.faults import NETWORK, describe
from sheetsync.integrations import DeliveryError
from sheetsync.integrations.pacing import Pacer, Sleep, backoff
from sheetsync.core.rules import (
    SLACK_DIGEST,
    SLACK_INCIDENT,
    SLACK_MESSAGE,
    SLACK_REMINDER,
    SLACK_REPLY,
    SLACK_SLA,
    SLACK_UPDATE,
)
from sheetsync.core.slack_actions import Choices
from sheetsync.core.values import split_people
from sheetsync.core.slack_blocks import (
    SlackMessage,
    digest_message,
    escalation_message,
    follow_up_message,
    incident_message,
)

TOKEN_ENV = "SLACK_BOT_TOKEN"
APP_TOKEN_ENV = "SLACK_APP_TOKEN"  # an app-level xapp- token: Socket Mode, the buttons, /ticket
API_URL = "https://slack.com/api/"
EVENT_TYPE = "sheetsync_effect"  # the metadata event a message's key travels in
PACE_SECONDS = 1.0  # Slack: one message per second per channel, counted from the end
# of the last call, so the gap Slack sees is never shorter
ATTEMPTS = 3  # tries of one effect within a cycle when the outcome is unclear
RATE_LIMIT_RETRIES = 3
LOOKBACK_SECONDS = 3600  # the history searched starts this long before the effect was
# planned: room for the machine's clock to be off from Slack's
MAX_PAGES = 50

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired",
                 "account_inactive", "no_permission", "team_access_not_granted",
                 "ekm_access_denied", "org_login_required", "access_denied"}
_CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action",
                   "restricted_action_read_only_channel", "cannot_reply_to_message"}
_REJECTED = {"msg_too_long", "no_text", "invalid_blocks", "invalid_blocks_format",
             "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
             "metadata_must_be_sent_from_app", "invalid_arguments", "too_many_attachments",
             "message_not_found", "cant_update_message", "edit_window_closed",
             "thread_not_found", "duplicate_message_not_found"}
#: Errors after which Slack has certainly not posted the message (it refused up front).
_REFUSED = _TOKEN_ERRORS | _CHANNEL_ERRORS | _REJECTED | {"missing_scope", "ratelimited",
                                                           "rate_limited"}


class _PacedRateLimitHandler(RateLimitErrorRetryHandler):
    """The SDK's 429 retry, bounded, sleeping on the injected clock and telling the pacer."""

    def __init__(self, pacer: Pacer, channel: Callable[[], str], sleep: Sleep) -> None:
        super().__init__(max_retry_count=RATE_LIMIT_RETRIES)
        self.pacer, self.channel, self.sleep = pacer, channel, sleep
        self.received = 0  # 429s seen, for the benchmark and the logs

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        if response is None:  # pragma: no cover - _can_retry only accepts responses
            raise error or RuntimeError("no response to a rate-limited request")
        self.received += 1
        metrics.of(metrics.API_RATE_LIMITED, "slack").inc()
        wait = _retry_after({k: v[0] for k, v in response.headers.items() if v})
        self.pacer.back_off(wait, self.channel())
        self.sleep(wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0


class _CountedClient(WebClient):
    """slack-sdk's WebClient, each API call counted for the metrics."""

    def api_call(self, *args: Any, **kwargs: Any) -> Any:
        metrics.of(metrics.API_REQUESTS, "slack").inc()
        return super().api_call(*args, **kwargs)


class SlackSink:
    """Delivers Slack effects to one channel with a bot token."""

    name = "slack"

    def __init__(self, token: str, channel: str, *, api_url: str = API_URL,
                 pacer: Pacer | None = None, sleep: Sleep | None = None,
                 jitter: Callable[[], float] = random.random, timeout: int = 15,
                 users: Mapping[str, str] | None = None,
                 buttons: Choices | None = None) -> None:
        self.channel = channel
        self.buttons = buttons  # the escalation's buttons, when Socket Mode is on
        self.users = dict(users or {})  # Assigned To names -> Slack user IDs, for mentions
        self.pacer = pacer or Pacer(PACE_SECONDS)
        self.sleep = sleep or self.pacer.sleep
        self.jitter = jitter
        self._ids: dict[str, str] = {}  # channel names and IDs, as resolved
        self._calling = threading.local()  # each courier's message call in progress: the
        # channel a 429 slows
        quiet = logging.getLogger("sheetsync.slack_sdk")  # we log each fault ourselves
        quiet.setLevel(logging.CRITICAL)
        self.rate_limits = _PacedRateLimitHandler(self.pacer,
                                                  lambda: getattr(self._calling, "channel",
                                                                  ""),
                                                  self.sleep)
        self.client = _CountedClient(token=token, base_url=api_url, timeout=timeout,
                                     logger=quiet, retry_handlers=[self.rate_limits])

    # --- delivery --------------------------------------------------------------------------

    def deliver(self, effect: Effect, parent: Mapping[str, Any] | None,
                begin: Callable[[], None]) -> Mapping[str, Any]:
        """Post (or update) once; look the key up first after any unclear attempt."""
        channel = self.channel_id(effect.payload.get("channel"))  # a level's own channel
        if effect.kind == SLACK_UPDATE:
            return self._update(effect, _required(parent, effect))
        thread = _required(parent, effect) if effect.kind == SLACK_REPLY else None
        unclear = effect.unclear
        for attempt in range(ATTEMPTS):
            if attempt:
                self.sleep(backoff(attempt, rng=self.jitter))
            if unclear:
                found = self._find(effect, channel, thread)
                if found is not None:
                    return found
            begin()
            try:
                return self._post(effect, channel, thread)
            except SlackApiError as exc:
                error = _error(exc)
                if error in _REFUSED or exc.response.status_code == 429:
                    raise self._refused(exc, unclear) from None
                unclear, last = True, f"Slack answered {exc.response.status_code} {error}"
            except NETWORK as exc:  # dropped, reset, timed out, cut mid-body
                unclear, last = True, f"no answer from Slack ({describe(exc)})"
        raise DeliveryError(f"{last}; will look for it before posting again", "retry",
                            unclear=True)

    def _post(self, effect: Effect, channel: str, thread: Mapping[str, Any] | None
              ) -> Mapping[str, Any]:
        message = _message(effect, self.users, self.buttons)
        extra: dict[str, Any] = {}
        if thread is not None:  # a reply goes where its escalation is
            channel = thread["channel"]
            extra = {"thread_ts": thread["ts"],
                     "reply_broadcast": bool(effect.payload.get("broadcast"))}
        with self._paced(channel):
            response = self.client.chat_postMessage(
                channel=channel, text=message.text, blocks=message.blocks,
                metadata=_metadata(effect.key), parse="none", link_names=False,
                unfurl_links=False, unfurl_media=False, **extra)
        return {"channel": response["channel"], "ts": response["ts"]}

    @contextmanager
    def _paced(self, channel: str) -> Iterator[None]:
        """One message call in `channel`, spaced from the end of the one before."""
        self.pacer.wait(channel)
        self._calling.channel = channel
        try:
            yield
        finally:
            self.pacer.done(channel)

    def _update(self, effect: Effect, parent: Mapping[str, Any]) -> Mapping[str, Any]:
        """chat.update is idempotent (same message, same content): no lookup needed."""
        message = escalation_message(effect.payload, self.buttons)
        try:
            with self._paced(parent["channel"]):
                self.client.chat_update(channel=parent["channel"], ts=parent["ts"],
                                        text=message.text, blocks=message.blocks,
                                        metadata=_metadata(str(effect.payload["parent"])),
                                        parse="none", link_names=False)
        except SlackApiError as exc:
            if _error(exc) in _REFUSED or exc.response.status_code == 429:
                raise self._refused(exc, False) from None
            raise DeliveryError(f"Slack answered {exc.response.status_code} {_error(exc)}",
                                "retry") from None
        except NETWORK as exc:
            raise DeliveryError(f"no answer from Slack ({describe(exc)})", "retry") from None
        return {"channel": parent["channel"], "ts": parent["ts"]}

    # --- looking an effect up ----------------------------------------------------------------

    def _find(self, effect: Effect, channel: str, thread: Mapping[str, Any] | None
              ) -> Mapping[str, Any] | None:
        """The message carrying this effect's key, if an earlier attempt posted it."""
        try:
            if thread is not None:
                pages = self._pages(self.client.conversations_replies, channel=thread["channel"],
                                    ts=thread["ts"])
            else:
                oldest = datetime.fromisoformat(effect.created_at).timestamp() - LOOKBACK_SECONDS
                pages = self._pages(self.client.conversations_history, channel=channel,
                                    oldest=f"{oldest:.6f}", inclusive=True)
            for message in pages:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE and \
                        (meta.get("event_payload") or {}).get("key") == effect.key:
                    return {"channel": thread["channel"] if thread else channel,
                            "ts": message["ts"], "found": True}
        except SlackApiError as exc:
            if _error(exc) == "missing_scope":
                needed = exc.response.get("needed") or "channels:history or groups:history"
                raise DeliveryError(
                    f"cannot check whether {effect.key} reached Slack: the app lacks the "
                    f"{needed} scope. Look in {self.channel}: if it is there, run `sheetsync "
                    f"outbox cancel {effect.key}`; if not, `sheetsync outbox retry "
                    f"{effect.key} --not-sent`", "held", unclear=True) from None
            raise self._refused(exc, True) if _error(exc) in _REFUSED else DeliveryError(
                f"looking for {effect.key} in Slack failed: {_error(exc)}", "retry",
                unclear=True) from None
        except NETWORK as exc:
            raise DeliveryError(f"no answer from Slack ({describe(exc)})", "retry",
                                unclear=True) from None
        return None

    def _pages(self, method: Callable[..., Any], **query: Any) -> Iterator[Mapping[str, Any]]:
        cursor = None
        for _ in range(MAX_PAGES):
            page = method(include_all_metadata=True, limit=200, cursor=cursor, **query)
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
        raise DeliveryError(f"more than {MAX_PAGES * 200} messages to look through in "
                            f"{self.channel}", "held", unclear=True)

    # --- the channel -------------------------------------------------------------------------

    def start(self) -> str:
        """Check the token and find the channel, so a mistake shows at start, not at the first
        escalation days later. Returns the channel's ID; raises DeliveryError."""
        try:
            self.client.auth_test()
        except SlackApiError as exc:
            raise self._refused(exc, False) if _error(exc) in _REFUSED else DeliveryError(
                f"Slack's auth.test failed: {_error(exc)}", "retry") from None
        except NETWORK as exc:
            raise DeliveryError(f"no answer from Slack ({describe(exc)})", "retry") from None
        return self.channel_id()

    def channel_id(self, channel: str | None = None) -> str:
        """A channel's ID (the configured one by default): given, or found by name once per
        process."""
        wanted = channel or self.channel
        if wanted not in self._ids:
            self._ids[wanted] = wanted if _CHANNEL_ID.match(wanted) else self._find_channel(
                wanted, "slack.channel" if channel is None else "slack.level_channels")
        return self._ids[wanted]

    def _find_channel(self, channel: str, setting: str) -> str:
        name = channel.lstrip("#")
        try:
            for page in self.client.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=1000):
                for found in page.get("channels") or []:
                    if found.get("name") == name:
                        return str(found["id"])
        except SlackApiError as exc:
            if _error(exc) == "missing_scope":
                raise DeliveryError(
                    f"{setting}: cannot find #{name} by name without the channels:read scope; "
                    "give the channel's ID instead (in Slack: the channel's name > About > "
                    "Channel ID), or add the scope", "blocked") from None
            raise self._refused(exc, False) if _error(exc) in _REFUSED else DeliveryError(
                f"finding #{name} in Slack failed: {_error(exc)}", "retry") from None
        except NETWORK as exc:
            raise DeliveryError(f"no answer from Slack ({describe(exc)})", "retry") from None
        raise DeliveryError(
            f"{setting}: no channel #{name} that the Slack app can see; check the name, or "
            "invite the app to the channel (/invite @your-app)", "blocked")

    def _refused(self, exc: SlackApiError, unclear: bool) -> DeliveryError:
        """A definite answer: what it means for the effect, naming the setting to fix."""
        error = _error(exc)
        if exc.response.status_code == 429 or error in ("ratelimited", "rate_limited"):
            return DeliveryError("Slack rate limit: still 429 after the retries Retry-After "
                                 "asked for", "retry", unclear=unclear)
        if error in _TOKEN_ERRORS:
            return DeliveryError(f"Slack refused the token ({error}): set a valid bot token in "
                                 f"{TOKEN_ENV}", "blocked", unclear=unclear)
        if error in _CHANNEL_ERRORS:
            hint = "invite the app to the channel (/invite @your-app)" \
                if error == "not_in_channel" else "check slack.channel in the config"
            return DeliveryError(f"Slack cannot post in {self.channel} ({error}): {hint}",
                                 "blocked", unclear=unclear)
        if error == "missing_scope":
            needed = exc.response.get("needed") or "chat:write"
            return DeliveryError(f"the Slack app lacks the {needed} scope: add it and "
                                 f"reinstall the app ({TOKEN_ENV} changes)", "blocked",
                                 unclear=unclear)
        return DeliveryError(f"Slack refused the message ({error})", "rejected",
                             unclear=unclear)


def _message(effect: Effect, users: Mapping[str, str], buttons: Choices | None = None
             ) -> SlackMessage:
    if effect.kind == SLACK_MESSAGE:
        return escalation_message(effect.payload, buttons)
    if effect.kind == SLACK_INCIDENT:
        return incident_message(effect.payload, buttons)
    if effect.kind == SLACK_DIGEST:
        return digest_message(effect.payload)
    mentions = [users[person] for person in split_people(effect.payload.get("assignee") or "")
                if person in users] if effect.kind in (SLACK_SLA, SLACK_REMINDER) else []
    return follow_up_message(effect.payload, mentions)


def _metadata(key: str) -> dict[str, Any]:
    """The key, visible to the whole workspace: so it holds a ticket ID and nothing personal."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def _required(parent: Mapping[str, Any] | None, effect: Effect) -> Mapping[str, Any]:
    if not parent or "ts" not in parent:  # it went to the local outbox, before the token
        raise DeliveryError(f"its escalation message {effect.payload.get('parent')} was not "
                            f"posted to Slack, so it has no thread; `sheetsync outbox cancel "
                            f"{effect.key}`", "rejected")
    return parent


def _error(exc: SlackApiError) -> str:
    """Slack's error code (`invalid_auth`), or the start of a body that was not JSON."""
    try:
        return str(exc.response.get("error") or "")[:80]
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - a binary body
        return ""
