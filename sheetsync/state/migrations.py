"""The state's schema, as numbered SQL scripts run in order (the state's version is how many
have run)."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY,
        row_number INTEGER NOT NULL,
        row_hash TEXT NOT NULL,
        fields TEXT NOT NULL,            -- JSON: the tracked fields, canonical
        present INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE cycles (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        rows INTEGER NOT NULL,
        new_tickets INTEGER NOT NULL,
        transitions INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        effects INTEGER NOT NULL
    );
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        field TEXT NOT NULL,
        before TEXT,
        after TEXT,
        observed_at TEXT NOT NULL,
        cycle_id INTEGER NOT NULL REFERENCES cycles(id)
    );
    CREATE INDEX transitions_by_ticket ON transitions (ticket_id, id);
    CREATE INDEX transitions_by_time ON transitions (observed_at);
    CREATE TABLE effects (
        key TEXT PRIMARY KEY,            -- says what the effect is for; never sent twice
        kind TEXT NOT NULL,              -- slack.message, clickup.task, ...
        ticket_id TEXT,
        payload TEXT NOT NULL,           -- JSON
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        result TEXT,                     -- JSON: what the service answered (ts, task id)
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        cycle_id INTEGER NOT NULL REFERENCES cycles(id)
    );
    CREATE INDEX effects_by_status ON effects (status, created_at);
    CREATE TABLE job_runs (
        job TEXT NOT NULL,
        period TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        PRIMARY KEY (job, period)
    );
    """,
    # 2: whether a ticket's ID has been read back from the sheet (IDs given out but never
    # written are found again by their row; others never move to another row)
    """
    ALTER TABLE tickets ADD COLUMN in_sheet INTEGER NOT NULL DEFAULT 1;
    """,
    # 3: when a person last asked for an effect to be retried (its hold age counts from then)
    """
    ALTER TABLE effects ADD COLUMN retried_at TEXT;
    """,
    # 4: the notes and highlights sheetsync put on a ticket's cells (recorded once written)
    """
    ALTER TABLE tickets ADD COLUMN marks TEXT NOT NULL DEFAULT '{}';
    """,
    # 5: tickets moved to the archive tab (archived, not deleted)
    """
    ALTER TABLE tickets ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: an attempt whose outcome is unknown (sent, then the connection dropped or the process
    # died): the next attempt looks the effect up in the service before sending it again
    """
    ALTER TABLE effects ADD COLUMN unclear INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX effects_by_ticket ON effects (ticket_id, kind);
    """,
    # 7: the ClickUp task each ticket follows, created by sheetsync or typed by a person
    """
    CREATE TABLE tasks (
        ticket_id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        url TEXT,
        source TEXT NOT NULL,
        status TEXT,
        closed INTEGER NOT NULL DEFAULT 0,
        found INTEGER NOT NULL DEFAULT 1,
        written INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 8: incidents (many sellers, one problem) and the tickets in each
    """
    CREATE TABLE incidents (
        number INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        sellers TEXT NOT NULL            -- JSON: the sellers' keyed hashes, never their numbers
    );
    CREATE TABLE incident_tickets (
        ticket_id TEXT PRIMARY KEY,
        number INTEGER NOT NULL REFERENCES incidents(number),
        joined_at TEXT NOT NULL
    );
    """,
    # 9: follow-ups people scheduled (a Follow-up Date), for reminders on the clock
    """
    CREATE TABLE followups (
        ticket_id TEXT PRIMARY KEY,
        due TEXT NOT NULL,
        assignee TEXT
    );
    """,
    # 10: each escalated ticket's escalation level (L1-L3), so raising it is a transition
    """
    CREATE TABLE levels (
        ticket_id TEXT PRIMARY KEY,
        level TEXT NOT NULL
    );
    """,
    # 11: the lease: which replica runs cycles and sends effects, until when (seconds since
    # the epoch on the database's own clock, so the replicas' clocks need not agree)
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires DOUBLE PRECISION NOT NULL
    );
    """,
    # 12: what people did from Slack (a button, a modal, /ticket), recorded before Slack is
    # answered so each is applied once across redeliveries and restarts; and who made each
    # transition that was not a cycle's finding (a person's click: "Priya (Support) (Slack)")
    """
    CREATE TABLE slack_actions (
        action_id TEXT PRIMARY KEY,      -- the click's action_ts:user:ticket:kind
        envelope_id TEXT NOT NULL UNIQUE, -- Slack's delivery: a redelivery has the same one
        kind TEXT NOT NULL,              -- take, wait, resolve, new, query
        ticket_id TEXT,
        user_id TEXT NOT NULL,
        payload TEXT NOT NULL,           -- JSON: what the message showed, where to answer
        status TEXT NOT NULL CHECK (status IN ('recorded', 'waiting', 'applied', 'refused')),
        outcome TEXT,                    -- what the person was told
        received_at TEXT NOT NULL,
        settled_at TEXT
    );
    CREATE INDEX slack_actions_by_status ON slack_actions (status, received_at);
    ALTER TABLE transitions ADD COLUMN actor TEXT;
    """,
)
