"""Migration operations for tables that are large in production.

An index added to a table of ten million notifications must not lock out the workers that
write to it while it builds: on PostgreSQL ``AddIndexWithoutLocking`` builds it with
``CREATE INDEX CONCURRENTLY`` (writes go on; the migration must be ``atomic = False``). A
concurrent build that was interrupted leaves an invalid index of that name behind; it is
dropped first, so running the migration again finishes the job. Other databases (SQLite in
development) build the index as ``AddIndex`` does.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.migrations.operations import AddIndex


class AddIndexWithoutLocking(AddIndex):
    """``AddIndex``, built concurrently on PostgreSQL so the table stays writable."""

    atomic = False

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (concurrently on PostgreSQL)"

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        _outside_transaction(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(connection.alias, model):
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND NOT i.indisvalid",
                [self.index.name],
            )
            if cursor.fetchone() is not None:
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        _outside_transaction(schema_editor)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


def _outside_transaction(schema_editor: Any) -> None:
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError("An index is built concurrently outside a transaction: set atomic = False.")
