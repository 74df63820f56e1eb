"""An index added to a large table is built without locking its writers, and an interrupted build is finished."""

from __future__ import annotations

import pytest
from django.db import NotSupportedError, connection, models, transaction
from django.db.migrations.state import ProjectState

from portal.migration_operations import AddIndexWithoutLocking

INDEX = models.Index(fields=["-created_at", "-id"], name="probe_recent")


def _operation() -> AddIndexWithoutLocking:
    return AddIndexWithoutLocking(model_name="notification", index=INDEX)


def _states() -> tuple[ProjectState, ProjectState]:
    from django.db.migrations.loader import MigrationLoader

    before = MigrationLoader(connection).project_state()
    after = before.clone()
    _operation().state_forwards("notifications", after)
    return before, after


def _index(name: str) -> dict[str, object] | None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "notifications_notification")
    return constraints.get(name)


def _forwards() -> None:
    before, after = _states()
    with connection.schema_editor(atomic=False) as editor:
        _operation().database_forwards("notifications", editor, before, after)


def _backwards() -> None:
    before, after = _states()
    with connection.schema_editor(atomic=False) as editor:
        _operation().database_backwards("notifications", editor, after, before)


@pytest.mark.django_db(transaction=True)
def test_the_index_is_built_and_removed_on_any_database() -> None:
    _forwards()
    try:
        index = _index("probe_recent")
        assert index is not None and index["columns"] == ["created_at", "id"]
    finally:
        _backwards()
    assert _index("probe_recent") is None


@pytest.mark.parametrize("name", ["0011_notification_recent", "0014_notification_unsuccessful"])
def test_the_notification_list_indexes_are_added_outside_a_transaction(name: str) -> None:
    from importlib import import_module

    migration = import_module(f"notifications.migrations.{name}").Migration
    assert migration.atomic is False
    assert [type(op) for op in migration.operations] == [AddIndexWithoutLocking]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_build_is_concurrent_and_refused_inside_a_transaction() -> None:
    before, after = _states()
    with pytest.raises(NotSupportedError, match="atomic = False"), transaction.atomic():
        with connection.schema_editor(atomic=False) as editor:
            _operation().database_forwards("notifications", editor, before, after)
    assert _index("probe_recent") is None
    statements: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        _forwards()
    try:
        assert any("CREATE INDEX CONCURRENTLY" in sql and "probe_recent" in sql for sql in statements)
    finally:
        _backwards()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_interrupted_build_is_dropped_and_built_again() -> None:
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "probe_recent" ON notifications_notification (id)')
        # What an interrupted CREATE INDEX CONCURRENTLY leaves: an index PostgreSQL does not use.
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'probe_recent'::regclass")
    try:
        _forwards()
        with connection.cursor() as cursor:
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'probe_recent'::regclass")
            assert cursor.fetchone() == (True,)
        index = _index("probe_recent")
        assert index is not None and index["columns"] == ["created_at", "id"]
    finally:
        _backwards()
