"""Alembic's environment for the state's revisions: they run on the connection the store
opened, inside its transaction (`sheetsync.state.migrations` hands it over)."""

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
