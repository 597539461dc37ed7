"""The state's tables as SQLAlchemy Core sees them, for building queries (the revisions under
`revisions/` make them; these describe the newest one)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Double, Integer, MetaData, String, Table, Text

metadata = MetaData()

meta = Table("meta", metadata, Column("key", Text, primary_key=True),
             Column("value", Text, nullable=False))

tickets = Table(
    "tickets", metadata,
    Column("ticket_id", Text, primary_key=True),
    Column("row_number", Integer, nullable=False),
    Column("row_hash", Text, nullable=False),
    Column("fields", Text, nullable=False),  # JSON: the tracked fields, canonical
    Column("present", Integer, nullable=False),
    Column("first_seen", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
    Column("in_sheet", Integer, nullable=False),
    Column("marks", Text, nullable=False),  # JSON: the notes sheetsync put on its cells
    Column("archived", Integer, nullable=False),
)

cycles = Table(
    "cycles", metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("rows", Integer, nullable=False),
    Column("new_tickets", Integer, nullable=False),
    Column("transitions", Integer, nullable=False),
    Column("findings", Integer, nullable=False),
    Column("effects", Integer, nullable=False),
)

transitions = Table(
    "transitions", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("observed_at", Text, nullable=False),
    Column("cycle_id", Integer, nullable=False),
    Column("actor", Text),  # who made it from Slack; NULL: a cycle saw it
)

effects = Table(
    "effects", metadata,
    Column("key", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("ticket_id", Text),
    Column("payload", Text, nullable=False),  # JSON
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("result", Text),  # JSON: what the service answered (ts, task id)
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("cycle_id", Integer, nullable=False),
    Column("retried_at", Text),
    Column("unclear", Integer, nullable=False),
    # Insertion order: SQLite's own rowid; on PostgreSQL a column the revisions add
    Column("rowid", BigInteger),
)

job_runs = Table(
    "job_runs", metadata,
    Column("job", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("status", Text, nullable=False),
)

tasks = Table(
    "tasks", metadata,
    Column("ticket_id", Text, primary_key=True),
    Column("task_id", Text, nullable=False),
    Column("url", Text),
    Column("source", Text, nullable=False),
    Column("status", Text),
    Column("closed", Integer, nullable=False),
    Column("found", Integer, nullable=False),
    Column("written", Integer, nullable=False),
)

incidents = Table(
    "incidents", metadata,
    Column("number", Integer, primary_key=True),
    Column("label", Text, nullable=False),
    Column("opened_at", Text, nullable=False),
    Column("last_at", Text, nullable=False),
    Column("sellers", Text, nullable=False),  # JSON: the sellers' keyed hashes
)

incident_tickets = Table(
    "incident_tickets", metadata,
    Column("ticket_id", Text, primary_key=True),
    Column("number", Integer, nullable=False),
    Column("joined_at", Text, nullable=False),
)

followups = Table("followups", metadata, Column("ticket_id", Text, primary_key=True),
                  Column("due", Text, nullable=False), Column("assignee", Text))

levels = Table("levels", metadata, Column("ticket_id", Text, primary_key=True),
               Column("level", Text, nullable=False))

leases = Table("leases", metadata, Column("name", Text, primary_key=True),
               Column("holder", Text, nullable=False),
               Column("expires", Double, nullable=False))

slack_actions = Table(
    "slack_actions", metadata,
    Column("action_id", Text, primary_key=True),
    Column("envelope_id", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("ticket_id", Text),
    Column("user_id", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: what the message showed, where to answer
    Column("status", Text, nullable=False),
    Column("outcome", Text),
    Column("received_at", Text, nullable=False),
    Column("settled_at", Text),
    # Insertion order: SQLite's own rowid; on PostgreSQL a column the revision adds
    Column("rowid", BigInteger),
)

# PostgreSQL only: the version the releases before Alembic read (SQLite's is user_version)
schema_version = Table("schema_version", metadata, Column("version", Integer))

# Alembic's own: the revision the state is at (Alembic makes and writes it)
alembic_version = Table("alembic_version", metadata,
                        Column("version_num", String(32), primary_key=True))

#: The tables holding the state itself (not a version)
STATE_TABLES = tuple(t for t in metadata.sorted_tables
                     if t not in (schema_version, alembic_version))
