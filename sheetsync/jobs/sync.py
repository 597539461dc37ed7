"""One sync cycle: read, check, identify, diff, plan, commit, dispatch, write back.

The order is the contract: everything the cycle learned is committed in one transaction
before any effect is dispatched, and the sheet is written last, only cells sheetsync owns.
In the daemon, dispatch hands the committed effects off to one courier per destination and
does not wait for their delivery (a one-shot `sheetsync sync` delivers them before it ends).
A crash anywhere leaves a state the next cycle resumes from without losing or repeating an
effect.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sheetsync.app import logs
from sheetsync.backends import TrackerBackend, open_backend
from sheetsync.core.cells import CellMark, CellWrite
from sheetsync.config import Config
from sheetsync.integrations.dispatch import Sinks, TaskTracker, hand_off, open_sinks
from sheetsync.core.effects import Effect
from sheetsync.core.perf import keep_large_blocks_apart, release_free_memory, without_gc
from sheetsync.errors import TrackerError
from sheetsync.core.delta import Changes, LastCycle, changes, position_of
from sheetsync.core.identity import Identity, carry, identify
from sheetsync.core.incidents import Incident, Report, detect, is_problem
from sheetsync.core.incidents import effects as incident_effects
from sheetsync.core.incidents import note as incident_note
from sheetsync.integrations.clickup import ClickUpFault
from sheetsync.core.privacy import mask_free_text, mask_phone
from sheetsync.core.rules import (
    CLICKUP_TASK,
    SLACK_MESSAGE,
    Past,
    Policy,
    TicketDetails,
    plan,
    task_linked,
)
from sheetsync.schema import SUGGESTED_CATEGORY, SUGGESTED_PRIORITY, Schema, Sheet, bind
from sheetsync.state import (
    CycleRecord,
    Lease,
    Standby,
    StateStore,
    has_state,
    open_state,
)
from sheetsync.core.table import Grid, is_blank
from sheetsync.core.task_links import (
    CREATED_BY_SHEETSYNC,
    TYPED_BY_A_PERSON,
    TaskLink,
    TaskState,
    follow,
    task_note,
)
from sheetsync.core.tickets import YES, Snapshot, Ticket, row_hashes, tracked_fields
from sheetsync.core.triage import (
    PriorityRule,
    Suggested,
    Suggestion,
    escalation_level,
    rules_for,
    suggest,
    suggest_category,
)
from sheetsync.core.triage import note as triage_note
from sheetsync.core.transitions import CREATED, TICKET, Transition, diff, next_snapshot
from sheetsync.validators import CLOCK_CODES, CheckContext, Finding, check
from sheetsync.core.values import parse_date, text_of


@dataclass(frozen=True)
class CycleReport:
    """What one cycle saw and did."""

    rows: int
    adopted: bool  # this cycle recorded the tracker's baseline
    new_tickets: int
    transitions: list[Transition]
    findings: int
    planned: list[Effect]
    delivered: int = 0
    writes: list[CellWrite] = field(default_factory=list)
    write_skipped: str | None = None
    seconds: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds by stage
    findings_by_code: Mapping[str, int] = field(default_factory=dict)
    redone: int = 0  # rows looked at: every one, or those changed since the last cycle


class _Laps:
    """Where a cycle's time goes: read, core, state, dispatch, write."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.spent: dict[str, float] = {}

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - self.last
        self.last = now

    @property
    def total(self) -> float:
        return self.last - self.started


class CycleMemory:
    """What one cycle of a tracker hands the next in this process: the tab as it read it and
    what it worked out, so the next redoes only the rows that changed (see delta). The daemon
    keeps one per tracker; without one, every cycle reads its tab whole."""

    def __init__(self) -> None:
        self._last: LastCycle | None = None

    def take(self) -> LastCycle | None:
        """The last cycle's view, used up: a cycle that fails halfway leaves none behind."""
        last, self._last = self._last, None
        return last

    def keep(self, view: LastCycle) -> None:
        self._last = view

    def forget(self) -> None:
        """Make the next cycle read its tab whole."""
        self._last = None


def run_sync(config: Config, now: datetime, *, dry_run: bool = False,
             echo: Callable[[str], None] | None = None,
             sinks: Sinks | None = None, backend: TrackerBackend | None = None,
             lease: Lease | None = None, memory: CycleMemory | None = None,
             progress: Callable[[str, int, int], None] = lambda what, done, total: None
             ) -> CycleReport:
    """Run one cycle on the configured tracker. A dry run commits, sends and writes nothing.

    The stages of the design, in order: read, detect, check and identify, diff, plan, commit,
    dispatch, write back. `sinks` are where effects go, `backend` where the tracker is (each
    opened from the config and environment when not given; the daemon keeps one of each).
    With a `lease`, the cycle runs only while this replica holds it (else Standby), and sends
    nothing once it is lost. With a `memory`, a cycle after another redoes only what changed.
    `progress` hears each of the STEPS as it starts: (step, steps done, len(STEPS)).
    """
    keep_large_blocks_apart()  # a cycle's large blocks go back to the OS when freed
    lap = _Laps()
    step = _stepper(progress)
    step("reading the tracker")
    backend = backend or open_backend(config)
    grid, archived = _read(config, backend)
    lap("read")
    if dry_run and not has_state(config):
        return _plan_only(bind(grid, config.schema), config, now, lap)
    if sinks is None and not dry_run:
        sinks = open_sinks(config, echo=echo)
    last = None if dry_run or memory is None else memory.take()
    with open_state(config, lease=lease) as store:
        known = _recall(store, lease, last)
        lap("state")
        step("checking the rows")
        view, scope = _check_and_identify(grid, last, known, config, now, store, lap)
        del grid  # the view holds what it keeps of the read; the rest goes before the write
        step("finding what changed")
        diffed = _diff(view, scope, known, archived, sinks, config, now, lap)
        step("planning")
        plan = _plan(view, scope, diffed, known, archived, store, config, now,
                     backend.row_link, lap)
        if dry_run or sinks is None:  # (no sinks only in a dry run)
            writes = _writes(view.sheet, view.identity, view.findings, known.links,
                             view.suggested, _incident_notes(store), scope.positions)[0]
            return _report(view, scope, diffed, plan, lap, writes=writes)
        step("committing")
        generation = _commit(store, view, scope, diffed, plan, config, now)
        lap("state")
        step("sending")
        delivered = hand_off(store, sinks, now)
        created, updates = _link_created_tasks(store, sinks, plan.details, plan.policy, now)
        delivered += updates
        lap("dispatch")
        links, notes, touched = _after_commit(store, view, scope, plan, known.links,
                                              [*diffed.task_links, *created])
        lap("state")
        step("writing the tracker")
        written = _write_back(store, backend, view, scope, plan, links, notes, touched)
        store.record_write(written.skipped, now)
        lap("write")
        kept = _remember(view, scope, now=now, generation=generation, written=written,
                         levels=diffed.levels)
        if memory is not None:
            memory.keep(kept)
    report = _report(view, scope, diffed, plan, lap, delivered=delivered,
                     writes=written.writes, skipped=written.skipped)
    del view, scope, diffed, plan, kept, written
    release_free_memory()  # what the cycle let go of, before the daemon sleeps
    return report


#: A cycle's steps, in order, as `run_sync` reports its progress.
STEPS = ("reading the tracker", "checking the rows", "finding what changed", "planning",
         "committing", "sending", "writing the tracker")


def _stepper(progress: Callable[[str, int, int], None]) -> Callable[[str], None]:
    """Tell `progress` that one of the STEPS starts, and how many are done."""
    def step(what: str) -> None:
        progress(what, STEPS.index(what), len(STEPS))
    return step


@dataclass(frozen=True)
class _Recalled:
    """What the state says before the cycle."""

    adopting: bool  # no baseline yet: this cycle records it
    key: bytes  # the secret that keys row hashes
    next_number: int  # the next ticket number never given out
    links: dict[str, TaskLink]  # every ticket's task link
    generation: int  # the last committed cycle's ID
    polled_at: datetime | None  # when ClickUp was last asked about the tasks


@dataclass(frozen=True)
class _Diffed:
    """What changed: transitions by ticket ID, task links people typed or ClickUp answered,
    escalation levels, and when ClickUp was asked (None: not this cycle)."""

    transitions: list[Transition]
    task_links: list[TaskLink]
    levels: dict[str, str]
    polled_at: datetime | None


@dataclass(frozen=True)
class _Plan:
    """What the cycle will commit and do."""

    policy: Policy
    details: Callable[[set[str]], dict[str, TicketDetails]]
    effects: list[Effect]
    incidents: list[Incident]
    joined: list[tuple[int, str, str | None]]
    snapshot: dict[str, Snapshot]  # the whole snapshot after the cycle
    changed: frozenset[str]  # the tickets whose snapshot changed
    marks: list[CellMark]
    wanted: dict[str, dict[str, str]]  # each changed ticket's marks, once written
    new_tickets: int
    findings: int
    adopting: bool  # this cycle records the tracker's baseline


@dataclass(frozen=True)
class _Written:
    """What the write-back did: the cells, why it was skipped (None: written), and the task
    links and incident notes the rows now show."""

    writes: list[CellWrite]
    marks: list[CellMark]
    skipped: str | None
    links: dict[str, TaskLink]
    notes: dict[str, str]
    snapshot: dict[str, Snapshot]


def _read(config: Config, backend: TrackerBackend) -> tuple[Grid, frozenset[str]]:
    """Read: the tracker tab, and the ticket IDs in the archive tab where there is one."""
    grid = backend.read()
    archive_tab = config.settings.tracker.archive_tab
    archived = _archived_ids(backend.read_tab(archive_tab, missing_ok=True), config.schema) \
        if archive_tab else frozenset()
    return grid, archived


def _recall(store: StateStore, lease: Lease | None, last: LastCycle | None) -> _Recalled:
    """The state before the cycle; with a `lease`, only while this replica holds it.

    The task links come from the `last` cycle's memory when no other process committed a
    cycle since (they change only in a cycle), so a cycle never loads every link.
    """
    if lease is not None:
        leading, holder, left = store.hold_lease()
        if not leading:
            raise Standby(holder, left)
    generation = store.generation()
    links = last.links if last is not None and last.generation == generation else store.tasks()
    return _Recalled(store.adopted_at is None, store.hash_key(), store.next_ticket_number,
                     links, generation, store.tasks_polled_at)


def _check_and_identify(grid: Grid, last: LastCycle | None, known: _Recalled, config: Config,
                        now: datetime, store: StateStore, lap: _Laps
                        ) -> tuple[LastCycle, _Scope]:
    """Detect, check and identify: the rows that changed since the last cycle redone over its
    view, or (first, or when only the whole tab can settle it) the whole tab."""
    # One pass over the rows, comparing them with the last read (kept in memory), tells which
    # rows changed; the view keeps the last read's rows where they are unchanged.
    found = changes(last, grid, config, now, known.generation) if last is not None else None
    if last is not None and found is not None:
        last.body = found.body
    lap("detect")
    carried = _carry(last, found, config, now, known.key) \
        if last is not None and found is not None else None
    lap("core")
    return carried or _read_whole(grid, config, now, store, known.key, known.next_number, lap)


def _diff(view: LastCycle, scope: _Scope, known: _Recalled, archived: frozenset[str],
          sinks: Sinks | None, config: Config, now: datetime, lap: _Laps) -> _Diffed:
    """Diff by ticket ID (never by row), with the levels raised, the task IDs people typed,
    and what ClickUp says of the tasks when it is due to be asked."""
    sheet, identity = view.sheet, view.identity
    transitions = diff(scope.known, scope.tickets, identity.disputed, archived)
    task_links = _typed_tasks(sheet, identity, known.links, scope.positions)
    levels = _levels(sheet, identity, scope.tickets)
    transitions = [*transitions, *_raised(view.stored_levels, levels)]
    lap("core")
    polled_at = None
    if sinks is not None and sinks.tasks is not None and not known.adopting and _due(
            known.polled_at, now, config.settings.clickup.poll_minutes):
        followed = _follow_tasks(sinks.tasks, {**known.links, **{k.ticket_id: k for k in
                                                                 task_links}},
                                 known.polled_at, now)
        if followed is not None:  # ClickUp answered: its news is this cycle's too
            more, answered = followed
            transitions = [*transitions, *more]
            task_links = list({k.ticket_id: k for k in [*task_links, *answered]}.values())
            polled_at = now
        lap("dispatch")
    return _Diffed(transitions, task_links, levels, polled_at)


def _plan(view: LastCycle, scope: _Scope, diffed: _Diffed, known: _Recalled,
          archived: frozenset[str], store: StateStore, config: Config, now: datetime,
          row_link: Callable[[int], str | None], lap: _Laps) -> _Plan:
    """Plan: the effects the transitions call for (and the incidents new tickets make), the
    snapshot after the cycle, and the marks its findings put on cells."""
    sheet, identity, transitions = view.sheet, view.identity, diffed.transitions
    policy = _policy(config)
    past = _past(store, transitions) if not known.adopting else Past()
    lap("state")
    # Only tickets whose transitions can call for an effect need their message details.
    involved = set() if known.adopting and not policy.on_adoption else {
        t.ticket_id for t in transitions
        if t.field in ("ticket", "escalated", "technical") or t.ticket_id in past.threads}
    now_levels = {**view.levels, **diffed.levels}
    redone = {t.ticket_id: t for t in scope.tickets}

    def details(ids: set[str]) -> dict[str, TicketDetails]:
        # A ticket not redone this cycle is as the last cycle committed it.
        return _details(sheet, identity, [
            redone[t] if t in redone else _unchanged(view.snapshot[t])
            for t in sorted(ids) if t in identity.position],
            full_contact=config.settings.messages.full_contact, levels=now_levels,
            link=row_link, region=config.settings.phone_region)

    planned = plan(transitions, details(involved), past, known.adopting, policy)
    opened, joined, alerts = _incidents(store, sheet, identity, transitions, known.key, now,
                                        config) if not known.adopting else ([], [], [])
    after = next_snapshot(scope.known, scope.tickets, identity.disputed, archived)
    changed = frozenset(t for t, s in after.items()
                        if (before := scope.known.get(t)) is not s and before != s)
    snapshot = after if scope.whole else view.snapshot  # (carried: used up, patched)
    if not scope.whole:
        snapshot.update(after)
    marks, wanted = _marks(sheet, identity, view.findings, view.suggested, snapshot,
                           scope.positions)
    lap("core")
    return _Plan(policy, details, [*planned, *alerts], opened, joined, snapshot, changed,
                 marks, wanted, sum(1 for t in transitions if t.after == CREATED),
                 sum(view.by_code.values()), known.adopting)


def _commit(store: StateStore, view: LastCycle, scope: _Scope, diffed: _Diffed, plan: _Plan,
            config: Config, now: datetime) -> int:
    """Commit everything the cycle learned in one transaction, before anything is sent;
    returns the cycle's ID. Effects pending too long are then held for a person."""
    sheet, identity = view.sheet, view.identity
    generation = store.commit_cycle(CycleRecord(
        started_at=now, rows=len(sheet.numbers), snapshot=plan.snapshot,
        transitions=diffed.transitions, effects=plan.effects,
        next_ticket_number=identity.next_number, findings=plan.findings,
        new_tickets=plan.new_tickets, changed=plan.changed, tasks=diffed.task_links,
        tasks_polled_at=diffed.polled_at, incidents=plan.incidents, joined=plan.joined,
        followups=_followups(sheet, identity, scope.tickets, config, scope.positions),
        levels=diffed.levels, scope=None if scope.whole else frozenset(
            t.ticket_id for t in scope.tickets)))
    store.hold_stale(now - timedelta(hours=config.settings.outbox.hold_after_hours))
    return generation


def _after_commit(store: StateStore, view: LastCycle, scope: _Scope, plan: _Plan,
                  links: dict[str, TaskLink], linked: Sequence[TaskLink]
                  ) -> tuple[dict[str, TaskLink], dict[str, str], set[str]]:
    """Every ticket's task link and incident line after the commit, and the tickets whose
    link or line changed: the cycle's own news applied to what the last cycle kept (the state
    is asked for the incident lines only when the whole tab is redone or incidents changed)."""
    links = {**links, **{k.ticket_id: k for k in linked}}
    touched = {k.ticket_id for k in linked if view.links.get(k.ticket_id) != k}
    notes = view.ticket_notes
    if scope.whole or plan.incidents or plan.joined:
        notes = _incident_notes(store)
        touched |= _changed_keys(view.ticket_notes, notes)
    return links, notes, touched


def _write_back(store: StateStore, backend: TrackerBackend, view: LastCycle, scope: _Scope,
                plan: _Plan, links: dict[str, TaskLink], notes: dict[str, str],
                touched: set[str]) -> _Written:
    """Write back only what sheetsync owns, in the rows this cycle looked at (and those of the
    `touched` tickets, whose task link or incident note changed); record the task IDs and
    marks once they are in."""
    sheet, identity, snapshot = view.sheet, view.identity, plan.snapshot
    rows = scope.positions if scope.whole else sorted({*scope.positions, *(
        identity.position[t] for t in touched if t in identity.position)})
    writes, written = _writes(sheet, identity, view.findings, links, view.suggested, notes,
                              rows)
    skipped = backend.write(sheet.binding.header_row, writes, plan.marks)
    if skipped is None and written:
        store.save_tasks(written)  # their IDs are in the rows now
        links = {**links, **{k.ticket_id: k for k in written}}
    if skipped is None and plan.wanted:
        store.record_marks(plan.wanted)  # only once they are in the sheet
        snapshot |= {t: replace(snapshot[t], marks=m) for t, m in plan.wanted.items()}
    return _Written(writes, plan.marks, skipped, links, notes, snapshot)


def _report(view: LastCycle, scope: _Scope, diffed: _Diffed, plan: _Plan, lap: _Laps, *,
            delivered: int = 0, writes: list[CellWrite] | None = None,
            skipped: str | None = None) -> CycleReport:
    """What the cycle saw and did, for the log, the metrics and `sheetsync sync`."""
    return CycleReport(len(view.sheet.numbers), plan.adopting, plan.new_tickets,
                       diffed.transitions, plan.findings, plan.effects, delivered=delivered,
                       writes=writes or [], write_skipped=skipped, seconds=lap.total,
                       timings=lap.spent, findings_by_code=_by_code(view.by_code),
                       redone=len(scope.positions))


@dataclass(frozen=True)
class _Scope:
    """The rows a cycle looks at: every one, or those that changed since the last cycle."""

    whole: bool
    positions: Sequence[int]
    tickets: list[Ticket]  # the tickets at those positions
    known: Mapping[str, Snapshot]  # the snapshot before this cycle: of those tickets, or all


def _context(config: Config, now: datetime) -> CheckContext:
    return CheckContext(now=now.astimezone(config.timezone), timezone=config.timezone,
                        phone_region=config.settings.phone_region)


def _read_whole(grid: Grid, config: Config, now: datetime, store: StateStore, key: bytes,
                next_number: int, lap: _Laps) -> tuple[LastCycle, _Scope]:
    """Bind, check and identify the whole tab, against the whole stored snapshot."""
    bound = bind(grid, config.schema)
    columns = {k: list(v) for k, v in bound.columns.items()}
    sheet = Sheet(bound.schema, bound.binding, bound.numbers, columns)
    findings = _by_position(sheet, check(sheet, _context(config, now)))
    lap("core")
    known, stored_levels = store.snapshot(), store.levels()
    lap("state")
    identity, tickets = identify(sheet, known, key, next_number)
    head = sheet.binding.header_row - grid.first_row + 1
    view = LastCycle(
        config=config, generation=0, now=now, first_row=grid.first_row,
        head=list(grid.rows[:head]), body=grid.rows[head:], sheet=sheet, columns=columns,
        findings=findings, by_code=Counter(f.code for row in findings.values() for f in row),
        identity=identity, snapshot=known,
        suggested=_suggestions(sheet, config), levels={}, stored_levels=stored_levels,
        links={}, ticket_notes={}, timely=set(), again=set())
    return view, _Scope(True, range(len(sheet.numbers)), tickets, known)


@without_gc
def _carry(last: LastCycle, found: Changes, config: Config, now: datetime, key: bytes
           ) -> tuple[LastCycle, _Scope] | None:
    """The last cycle's view of the tab with the changed rows redone; None when an ID changed
    in a way only the whole tab can settle (see identity.carry)."""
    sheet, positions, schema = found.sheet, found.positions, config.schema
    id_key = schema.roles.ticket_id
    identity = carry(last.identity, sheet.columns[id_key], found.edited, last.snapshot,
                     schema.ticket_id, schema.column(id_key).owner)
    if identity is None:
        return None
    redo = sheet.subset(positions)
    at = dict(zip(redo.numbers, positions))
    fresh = _by_position(redo, check(redo, _context(config, now)), at)
    for p in positions:
        last.by_code.subtract(f.code for f in last.findings.pop(p, ()))
        if p in fresh:
            last.findings[p] = fresh[p]
            last.by_code.update(f.code for f in fresh[p])
    hashes, fields = row_hashes(redo, key), tracked_fields(redo)
    tickets = [Ticket(t, sheet.numbers[p], fields[j], hashes[j], in_sheet=p not in identity.fresh)
               for j, p in enumerate(positions) if (t := identity.ids[p]) is not None]
    for column, redone in zip(last.suggested, _suggestions(redo, config, len(sheet.numbers))):
        for p, value in zip(positions, redone.values):
            if p < len(column.values):
                column.values[p] = value
            else:
                column.values.append(value)  # an added row: positions come in order
    ids = {t.ticket_id for t in tickets}
    known = {t: last.snapshot[t] for t in ids if t in last.snapshot}
    last.sheet, last.identity, last.now = sheet, identity, now
    last.levels = {t: level for t, level in last.levels.items() if t not in ids}
    return last, _Scope(False, positions, tickets, known)


def _remember(view: LastCycle, scope: _Scope, *, now: datetime, generation: int,
              written: _Written, levels: dict[str, str]) -> LastCycle:
    """What this committed cycle worked out, kept for the next cycle of this tracker."""
    timely = set() if scope.whole else view.timely - set(scope.positions)
    timely.update(p for p in scope.positions for f in view.findings.get(p, ())
                  if f.code in CLOCK_CODES)
    view.generation, view.now, view.snapshot = generation, now, written.snapshot
    view.levels = {**view.levels, **levels}
    view.stored_levels |= levels
    view.links, view.ticket_notes, view.timely = written.links, written.notes, timely
    touched: list[CellWrite | CellMark] = [*written.writes, *written.marks]
    view.again = timely | {position_of(view.sheet, c.row) for c in touched}
    return view


def _unchanged(snapshot: Snapshot) -> Ticket:
    """A ticket whose row did not change since the last cycle, from what it committed."""
    return Ticket(snapshot.ticket_id, snapshot.row, snapshot.fields, snapshot.row_hash,
                  snapshot.in_sheet)


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """Keys whose value differs between two mappings (added and removed ones included)."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def _by_position(sheet: Sheet, findings: Sequence[Finding],
                 at: Mapping[int, int] | None = None) -> dict[int, list[Finding]]:
    """Findings grouped by row position (`at` maps row numbers to positions when `sheet` is a
    subset of the tab)."""
    grouped: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[at[f.row] if at is not None else position_of(sheet, f.row)].append(f)
    return dict(grouped)


def _policy(config: Config) -> Policy:
    """What the configuration switches on for the rules."""
    adoption = config.settings.adoption
    return Policy(
        brief_length=config.settings.messages.brief_length,
        on_adoption={kind for kind, on in ((SLACK_MESSAGE, adoption.escalations),
                                           (CLICKUP_TASK, adoption.clickup_tasks)) if on},
        follow_ups=frozenset(config.settings.slack.follow_ups),
        broadcast_resolved=config.settings.slack.broadcast_resolved,
        level_channels={str(k): v for k, v in config.settings.slack.level_channels.items()},
        level_lists={str(k): v for k, v in config.settings.clickup.level_lists.items()})


def _by_code(counts: Counter[str]) -> dict[str, int]:
    return {code: n for code, n in counts.items() if n > 0}


def _link_created_tasks(store: StateStore, sinks: Sinks,
                        details: Callable[[set[str]], dict[str, TicketDetails]],
                        policy: Policy, now: datetime) -> tuple[list[TaskLink], int]:
    """Link the tasks dispatch created to their tickets, and update those tickets' escalation
    messages to show them; returns the new links and the updates delivered."""
    new_links = store.link_created_tasks(now)
    if not new_links:
        return [], 0
    ids = {k.ticket_id for k in new_links}
    threads = store.effect_keys(SLACK_MESSAGE, ids)
    updates = task_linked(new_links, details(ids),
                          Past(threads={t: keys[-1] for t, keys in threads.items()}), policy)
    if not updates:
        return new_links, 0
    store.add_effects(updates, now)
    return new_links, hand_off(store, sinks, now)


def _archived_ids(grid: Grid, schema: Schema) -> frozenset[str]:
    """The ticket IDs in the archive tab (none when it is empty or has no ID column)."""
    if not grid.rows:
        return frozenset()
    try:
        archive = bind(grid, schema)
    except TrackerError:
        return frozenset()  # an archive without the tracker's header holds no tickets we know
    ids = archive.columns.get(schema.roles.ticket_id, ())
    return frozenset(t for t in map(schema.ticket_id.read, ids) if t)


def _plan_only(sheet: Sheet, config: Config, now: datetime, lap: _Laps) -> CycleReport:
    """A dry run before the first cycle: the baseline it would record."""
    findings = _by_position(sheet, check(sheet, _context(config, now)))
    identity, tickets = identify(sheet, {}, b"dry-run", 1)
    writes = _writes(sheet, identity, findings, {}, [], {}, range(len(sheet.numbers)))[0]
    lap("core")
    return CycleReport(len(sheet.numbers), True, len(tickets),
                       diff({}, tickets, identity.disputed),
                       sum(len(row) for row in findings.values()), [], writes=writes,
                       seconds=lap.total, timings=lap.spent)


def _past(store: StateStore, transitions: Sequence[Transition]) -> Past:
    """What the rules need to remember about the tickets these transitions touch."""
    touched = sorted({t.ticket_id for t in transitions})
    occurrences = store.occurrences(touched)
    messages = store.effect_keys(SLACK_MESSAGE, touched)
    escalations = {}
    for ticket in touched:
        # Numbered by the messages planned and by history: a ticket created escalated has a
        # message but no "became escalated" transition, and a purge may take either.
        numbers = [int(key.rsplit(":", 1)[1]) for key in messages.get(ticket, ())]
        became = occurrences.get((ticket, "escalated", YES), 0)
        if numbers or became:
            escalations[ticket] = max(numbers + [became])
    return Past(escalations=escalations,
                threads={ticket: keys[-1] for ticket, keys in messages.items()},
                occurrences=occurrences)


def _levels(sheet: Sheet, identity: Identity, tickets: Sequence[Ticket]) -> dict[str, str]:
    """Each escalated ticket's escalation level (L1-L3): the Escalation Level a person gave,
    else the level its words and its being technical point to."""
    roles = sheet.schema.roles
    levels = {}
    for ticket in tickets:
        i = identity.position.get(ticket.ticket_id)
        if ticket.fields.get("escalated") != YES or i is None:
            continue
        levels[ticket.ticket_id] = escalation_level(
            sheet.text(roles.level, i), sheet.text(roles.description, i),
            ticket.fields.get("technical") == YES).value
    return levels


def _raised(before: Mapping[str, str], now: Mapping[str, str]) -> list[Transition]:
    """A level that changed for a ticket still escalated is a transition (a new escalation
    carries its level in its message instead)."""
    return [Transition(ticket, "level", before[ticket], level)
            for ticket, level in sorted(now.items())
            if ticket in before and before[ticket] != level]


def _details(sheet: Sheet, identity: Identity, tickets: Sequence[Ticket], *,
             full_contact: bool = False, levels: Mapping[str, str] | None = None,
             link: Callable[[int], str | None] = lambda row: None, region: str | None = None
             ) -> dict[str, TicketDetails]:
    """What the messages need of each ticket, read from its row, with a link to the row where
    the backend has one. Unless `full_contact`, the contact is masked and so is every phone
    number in the free text (a seller who typed theirs into the description): what leaves
    the tracker, and what the state keeps of a message, holds no full number."""
    roles = sheet.schema.roles

    def cell(role: str, i: int) -> str | None:
        return sheet.text(getattr(roles, role), i)

    def free(role: str, i: int) -> str:
        text = cell(role, i) or ""
        return text if full_contact else mask_free_text(text, region)

    details = {}
    for ticket in tickets:
        i = identity.position[ticket.ticket_id]
        contact = cell("contact", i)
        details[ticket.ticket_id] = TicketDetails(
            ticket_id=ticket.ticket_id, issue_type=ticket.fields.get("type") or "",
            description=free("description", i), seller=free("seller_name", i),
            status=ticket.fields.get("status"), priority=ticket.fields.get("priority"),
            assignee=ticket.fields.get("assignee"), reported_at=cell("timestamp", i),
            contact=mask_phone(contact) if contact and "@" not in contact and not full_contact
            else contact,
            task_id=cell("task_id", i), escalated=ticket.fields.get("escalated") == YES,
            technical=ticket.fields.get("technical") == YES,
            level=(levels or {}).get(ticket.ticket_id), row_url=link(sheet.numbers[i]))
    return details


def _marks(sheet: Sheet, identity: Identity, findings: Mapping[int, Sequence[Finding]],
           suggested: Sequence[Suggested], snapshot: Mapping[str, Snapshot],
           positions: Iterable[int]) -> tuple[list[CellMark], dict[str, dict[str, str]]]:
    """The notes and highlights to put on or take off the cells of the rows at `positions`,
    and each ticket's marks after: a finding's on its cell, and a suggestion's reason on the
    suggestion's own cell where it differs from the person's value (not in Sync Notes, which
    are for what a person must fix).

    Marks are kept by ticket and column, not by cell address, so after a sort or a column move
    sheetsync still takes its note off the right cell once it is fixed.
    """
    key_of = {header: key for key, header in sheet.binding.headers.items()}
    marks: list[CellMark] = []
    changed: dict[str, dict[str, str]] = {}
    for i in positions:
        ticket = identity.ids[i]
        if ticket is None:
            continue
        now: dict[str, str] = {}
        for f in findings.get(i, ()):
            if (key := key_of.get(f.column)) is not None:
                now[key] = f"{now[key]}\n{f.message}" if key in now else f.message
        for column in suggested:
            if (reason := _differs(sheet, column, i)) is not None:
                now[column.key] = reason
        before = snapshot[ticket].marks if ticket in snapshot else {}
        if now == before:
            continue
        changed[ticket] = now
        row = sheet.numbers[i]
        marks += [CellMark(row, sheet.header(key), note) for key, note in now.items()
                  if before.get(key) != note]
        marks += [CellMark(row, sheet.header(key), None) for key in before if key not in now]
    return marks, changed


def _writes(sheet: Sheet, identity: Identity, findings: Mapping[int, Sequence[Finding]],
            links: Mapping[str, TaskLink], suggested: Sequence[Suggested],
            ticket_notes: Mapping[str, str], positions: Sequence[int]
            ) -> tuple[list[CellWrite], list[TaskLink]]:
    """The cells sheetsync owns whose value should change in the rows at `positions`, and the
    task links they write.

    New ticket IDs; the IDs of tasks sheetsync created, into blank ClickUp Task ID cells only;
    the suggestions (Suggested Priority, Suggested Category); and Sync Notes, recomputed from
    the row's current state (its findings, what identity says about it, its task, its
    incident), so it is never a log and a fixed cell clears its note. Why a suggestion differs
    from the person's value is the suggestion cell's own note (see `_marks`).
    """
    roles = sheet.schema.roles
    notes_header = sheet.header(roles.sync_notes)
    current_notes = sheet.columns.get(roles.sync_notes)
    writes = [CellWrite(sheet.numbers[i], sheet.header(roles.ticket_id), ticket)
              for i, ticket in sorted(identity.written.items())]
    # A row holding only what a lost race's write left there: all of that taken away.
    nobody = {i for i in identity.mended if identity.ids[i] is None}
    writes += [CellWrite(sheet.numbers[i], sheet.header(roles.ticket_id), None)
               for i in sorted(nobody)]
    task_writes, written, task_notes = _task_cells(sheet, identity, links, positions)
    writes += task_writes
    writes += _suggested_cells(sheet, suggested, positions)
    # standing facts kept by ticket (incidents)
    standing = {i: [note] for i, note in _at_rows(ticket_notes, identity, positions).items()}
    whole = isinstance(positions, range) and len(positions) == len(sheet.numbers)
    if whole:  # only rows with something to say now, or a note to clear, can need a write
        noted = [] if current_notes is None else \
            [i for i, v in enumerate(current_notes) if v is not None and v != ""]
        rows: Iterable[int] = sorted({*findings, *identity.notes, *noted, *task_notes,
                                      *standing})
    else:
        rows = positions
    for i in rows:
        lines = [] if i in nobody else [
                 *(f"{f.column}: {f.message}" for f in findings.get(i, ())),
                 *([identity.notes[i]] if i in identity.notes else []),
                 *([task_notes[i]] if i in task_notes else []),
                 *standing.get(i, ())]
        text = " | ".join(lines) or None
        current = current_notes[i] if current_notes is not None else None
        if text != (None if is_blank(current) else text_of(current)):
            writes.append(CellWrite(sheet.numbers[i], notes_header, text))
    return writes, written


def _incidents(store: StateStore, sheet: Sheet, identity: Identity,
               transitions: Sequence[Transition], key: bytes, now: datetime, config: Config
               ) -> tuple[list[Incident], list[tuple[int, str, str | None]], list[Effect]]:
    """The incidents this cycle's new tickets open or join, and the messages they call for.

    Only new tickets are compared, with the open incidents and the tickets seen within the
    window (from the history, not the whole sheet). Sellers are kept as keyed hashes.
    """
    settings = config.settings.triage
    created = [t.ticket_id for t in transitions if t.field == TICKET and t.after == CREATED]
    if not settings.incidents or not created:
        return [], [], []
    window = timedelta(hours=settings.incident_window_hours)
    roles = sheet.schema.roles
    position = identity.position
    full, region = config.settings.messages.full_contact, config.settings.phone_region
    rules = priority_rules(config)

    def free(text: str | None) -> str | None:  # the incident's messages and label
        return text if full or text is None else mask_free_text(text, region)

    def report(ticket: str, seen: datetime) -> Report | None:
        i = position[ticket]
        seller = sheet.text(roles.seller, i)
        hashed = hashlib.blake2b(seller.encode(), key=key[:64], digest_size=8).hexdigest() \
            if seller else None
        found = Report(ticket, hashed, free(sheet.text(roles.seller_name, i)),
                       free(sheet.text(roles.description, i)), seen)
        if not is_problem(found, sheet.text(roles.type, i), rules):
            return None
        fields = tracked_fields(sheet.subset([i]))[0]  # what its buttons show of it
        return replace(found, status=fields.get("status"), assignee=fields.get("assignee"))

    new = [r for t in created if t in position and (r := report(t, now)) is not None]
    earlier = [r for t, seen in store.recent_tickets(now - window).items()
               if t in position and t not in set(created)
               and (r := report(t, datetime.fromisoformat(seen))) is not None]
    opened, joined = detect(new, [*earlier, *new], store.active_incidents(now - window),
                            store.next_incident_number(), window, settings.incident_sellers)
    reports = {r.ticket_id: r for r in [*earlier, *new]}
    return opened, [(i.number, r.ticket_id, r.seller) for i, r in joined], \
        incident_effects(opened, joined, reports)


def _followups(sheet: Sheet, identity: Identity, tickets: Sequence[Ticket], config: Config,
               positions: Iterable[int]) -> dict[str, tuple[str, str | None]] | None:
    """The scheduled follow-up (Follow-up Required Yes, and a Follow-up Date) of each ticket
    at `positions`, for the reminders that run on the clock; None when the preset records no
    follow-ups."""
    roles = sheet.schema.roles
    if roles.followup_required is None or roles.followup_date is None:
        return None
    required = sheet.columns.get(roles.followup_required) or ()
    dates = sheet.columns.get(roles.followup_date) or ()
    assignees = {t.ticket_id: t.fields.get("assignee") for t in tickets}
    found = {}
    for i in positions:
        ticket = identity.ids[i]
        if ticket is None or i >= len(required) or is_blank(required[i]) or \
                text_of(required[i]).strip().lower() != "yes":
            continue
        day = parse_date(dates[i], config.timezone).value if i < len(dates) else None
        if isinstance(day, date):
            found[ticket] = (day.isoformat(), assignees.get(ticket))
    return found


def _incident_notes(store: StateStore) -> dict[str, str]:
    return {ticket: incident_note(*member) for ticket, member in store.incident_members().items()}


#: Suggestions by (description, issue type), kept across the daemon's cycles for each rule set.
_SUGGESTED: dict[tuple[Any, ...], dict[tuple[Any, Any], Suggestion | None]] = {}


def _suggestions(sheet: Sheet, config: Config, tab_rows: int | None = None) -> list[Suggested]:
    """The priority the guidelines suggest for each row, and for a preset whose issue type is
    a Category (SayPro) the category where a person left it blank. (`sheet` may be some rows
    of a tab of `tab_rows` rows.)"""
    settings = config.settings.triage
    roles = sheet.schema.roles
    blank = [None] * len(sheet.numbers)
    descriptions = [None if is_blank(d) else text_of(d)
                    for d in sheet.columns.get(roles.description) or blank]
    types = [None if is_blank(t) else text_of(t) for t in sheet.columns.get(roles.type) or blank]
    found = []
    if settings.suggest_priority:
        rules = priority_rules(config)
        # A row unchanged since an earlier read (a restart, a sort) costs a lookup, not the
        # rules again; the memo is kept to a few times the tab's size.
        seen = _SUGGESTED.setdefault(rules, {})
        if len(seen) > 4 * (tab_rows or len(sheet.numbers)) + 1000:
            seen.clear()
        for pair in zip(descriptions, types):
            if pair not in seen:
                seen[pair] = suggest(*pair, rules)
        found.append(Suggested(SUGGESTED_PRIORITY, roles.priority, "Priority",
                               [seen[pair] for pair in zip(descriptions, types)]))
    if any(c.key == SUGGESTED_CATEGORY for c in sheet.schema.columns):
        found.append(Suggested(SUGGESTED_CATEGORY, roles.type, "Category",
                               [suggest_category(d) if t is None else None
                                for d, t in zip(descriptions, types)]))
    return found


def priority_rules(config: Config) -> tuple[PriorityRule, ...]:
    """The rules that suggest a priority: the team's own (`[[triage.priority_rules]]`), else
    its preset's (the Seller Support Tracker Guide's, or SayPro's)."""
    rules = config.settings.triage.priority_rules
    return tuple(rules) if rules is not None else rules_for(config.schema.name)


def _suggested_cells(sheet: Sheet, suggested: Sequence[Suggested], positions: Sequence[int]
                     ) -> list[CellWrite]:
    """Suggestion cells to write in the rows at `positions` (a blank one where nothing is
    suggested)."""
    writes: list[CellWrite] = []
    for column in suggested:
        header = sheet.header(column.key)
        current = sheet.columns.get(column.key)
        for i in positions:
            suggestion = column.values[i]
            value = suggestion.value if suggestion is not None else None
            now = current[i] if current is not None else None
            if value != (None if is_blank(now) else text_of(now).strip()):
                writes.append(CellWrite(sheet.numbers[i], header, value))
    return writes


def _differs(sheet: Sheet, column: Suggested, i: int) -> str | None:
    """Why row `i`'s suggestion differs from the person's value (blank included), in the
    guide's words; None when they agree or nothing is suggested."""
    suggestion = column.values[i] if i < len(column.values) else None
    given = sheet.columns.get(column.person)
    person = given[i] if given is not None else None
    if suggestion is None or (not is_blank(person) and text_of(person).strip().lower() ==
                              suggestion.value.lower()):
        return None
    return triage_note(suggestion, column.what)


def _task_cells(sheet: Sheet, identity: Identity, links: Mapping[str, TaskLink],
                positions: Sequence[int]
                ) -> tuple[list[CellWrite], list[TaskLink], dict[int, str]]:
    """Task IDs to write into blank cells of the rows at `positions` (and the links that
    marks written), and each such row's task line for its Sync Notes, by position."""
    if not links:
        return [], [], {}
    key = sheet.schema.roles.task_id
    cells = sheet.columns.get(key)
    writes, written, notes = [], [], {}
    within = positions if isinstance(positions, range) else set(positions)
    # A task ID sheetsync's write left on another ticket's row, with that ticket's new ID (a
    # lost race, see identity): taken off that row, and written into its own ticket's.
    astray = _astray_tasks(sheet, identity, links)
    writes += [CellWrite(sheet.numbers[i], sheet.header(key), None) for i in astray.values()
               if i in within]
    for i, link in _at_rows(links, identity, positions).items():
        if (note := task_note(link)) is not None:
            notes[i] = note
        if (link.written and link.ticket_id not in astray) or \
                link.source != CREATED_BY_SHEETSYNC:
            continue
        cell = cells[i] if cells is not None else None
        if is_blank(cell):
            writes.append(CellWrite(sheet.numbers[i], sheet.header(key), link.task_id))
            written.append(replace(link, written=True))
        elif text_of(cell).strip() == link.task_id:
            written.append(replace(link, written=True))
    return writes, written, notes


_T = TypeVar("_T")


def _at_rows(by_ticket: Mapping[str, _T], identity: Identity, positions: Sequence[int]
             ) -> dict[int, _T]:
    """The values of the tickets at `positions`, by position, in row order: looked up row by
    row when the rows are fewer, so a cycle of a few edits never walks every ticket's."""
    if len(positions) < len(by_ticket):
        return {i: by_ticket[t] for i in positions if (t := identity.ids[i]) is not None
                and t in by_ticket and identity.position.get(t) == i}
    within = positions if isinstance(positions, range) else set(positions)
    return dict(sorted((i, v) for t, v in by_ticket.items()
                       if (i := identity.position.get(t)) is not None and i in within))


def _astray_tasks(sheet: Sheet, identity: Identity, links: Mapping[str, TaskLink]
                  ) -> dict[str, int]:
    """Tickets whose task ID sheetsync wrote, in a lost race, on the row identity mended:
    ticket -> that row's position."""
    cells = sheet.columns.get(sheet.schema.roles.task_id)
    if cells is None:
        return {}
    return {wrong: i for i, wrong in identity.mended.items()
            if (link := links.get(wrong)) is not None and link.source == CREATED_BY_SHEETSYNC
            and not is_blank(cells[i]) and text_of(cells[i]).strip() == link.task_id}


def _typed_tasks(sheet: Sheet, identity: Identity, links: Mapping[str, TaskLink],
                 positions: Iterable[int]) -> list[TaskLink]:
    """Task IDs people typed into the rows at `positions` that sheetsync does not follow yet
    (the person's ID wins over one sheetsync made, and is followed instead)."""
    cells = sheet.columns.get(sheet.schema.roles.task_id)
    if cells is None:
        return []
    astray = set(_astray_tasks(sheet, identity, links).values())
    found = []
    for i in positions:
        ticket = identity.ids[i]
        if ticket is None or is_blank(cells[i]) or i in astray:
            continue
        task_id = text_of(cells[i]).strip()
        link = links.get(ticket)
        if link is None or link.task_id != task_id:
            found.append(TaskLink(ticket, task_id, None, TYPED_BY_A_PERSON, written=True))
    return found


def _due(last: datetime | None, now: datetime, minutes: int) -> bool:
    return last is None or now - last >= timedelta(minutes=minutes)


def _follow_tasks(tracker: TaskTracker, links: Mapping[str, TaskLink],
                  since: datetime | None, now: datetime, person_checks: int = 20
                  ) -> tuple[list[Transition], list[TaskLink]] | None:
    """Ask ClickUp about the tasks followed: what changed in the list since the last poll,
    and a few of the tasks people linked (they may live in other lists). None when ClickUp
    cannot be asked now; the next cycle tries again."""
    by_task = {link.task_id: link for link in links.values() if link.exists}
    if not by_task:
        return [], []
    start = (since or now - timedelta(days=1)) - timedelta(minutes=5)  # overlap: clock skew
    states: dict[str, TaskState] = {}
    try:
        for state in tracker.updated_since(int(start.timestamp() * 1000)):
            if state.task_id in by_task:
                states[state.task_id] = state
        typed = sorted((k for k in by_task.values() if k.source == TYPED_BY_A_PERSON
                        and not k.closed and k.task_id not in states),
                       key=lambda k: k.status is not None)  # never asked about: first
        for link in typed[:person_checks]:
            states[link.task_id] = tracker.task(link.task_id)
    except ClickUpFault as exc:
        if _POLL_FAULTS.get(tracker.name) != str(exc):  # once per fault, not every cycle
            logs.event("task poll failed", logging.WARNING, service=tracker.name,
                       error=str(exc))
        _POLL_FAULTS[tracker.name] = str(exc)
        return None
    _POLL_FAULTS.pop(tracker.name, None)
    return follow(links.values(), states)


_POLL_FAULTS: dict[str, str] = {}  # the fault each service's last poll met, in this process
