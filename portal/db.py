"""Database helpers the ORM has no fast form for."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from time import monotonic
from types import SimpleNamespace
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import NOT_PROVIDED, DateTimeField, Field, JSONField, Model
from django.db.models.fields.related import ForeignObject
from django.db.models.lookups import Lookup
from django.utils import timezone
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=Model)


class _Unsupported(Exception):
    """A column or value the JSON row set cannot carry: the caller falls back to Django's own method."""


def _column_type(field: Field[Any, Any], connection: Any) -> tuple[str, str]:
    """How the JSON row set declares the column, and the cast that turns it into the column's type.

    ``varchar(n)`` is declared ``varchar``: the assignment to the column then refuses a long
    value, where an explicit cast to ``varchar(n)`` would cut it.
    """
    if field.get_internal_type() == "JSONField":
        if _plain_json(field):
            return "jsonb", ""  # the value is nested in the row set as it is
        return "text", "::jsonb"  # the value is the field's own JSON text, encoded with its encoder
    kind = field.db_type(connection)
    if not kind:
        raise _Unsupported(field.name)
    return kind.split("(")[0], ""


def _json_value(value: Any) -> Any:
    """One value prepared for the database (``get_db_prep_save``), as JSON the row set parses back."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Jsonb):
        return value.dumps(value.obj)  # type: ignore[misc]  # Django always sets the field's dumps
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise _Unsupported(type(value).__name__)


# Fields whose value is saved as it is when it has the plain Python type of the column (and
# None): the JSON row set takes it without ``get_db_prep_save``, a third of a batch's encoding
# time for rows made mostly of such fields. Any other value goes the whole way (for text, any
# str does not: a CharField saves a str subclass as it is, and JSON encodes it as its string).
_TEXT, _INTEGER = (str,), (int,)
_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "CharField": _TEXT,
    "SlugField": _TEXT,
    "TextField": _TEXT,
    "BooleanField": (bool,),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "BigIntegerField",
            "IntegerField",
            "PositiveBigIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SmallAutoField",
            "SmallIntegerField",
        ),
        _INTEGER,
    ),
}


def _plain_json(field: Field[Any, Any]) -> bool:
    """A JSON field without an encoder of its own: its value is nested in the row set as it is."""
    return getattr(field, "encoder", None) is None and type(field).get_db_prep_value is JSONField.get_db_prep_value


def _saved_value(
    field: Field[Any, Any], *, adding: bool | None, now: datetime | None = None
) -> Callable[[Model, Any], Any]:
    """A function of (object, connection) giving the field's value as the row set carries it.

    With ``adding`` set, the value is the field's ``pre_save`` (``auto_now_add`` and the like);
    otherwise it is the attribute as it stands, as ``bulk_update`` saves it (leaving ``auto_now``
    alone). When adding, ``auto_now`` and ``auto_now_add`` take ``now``, one time for the whole
    statement, set on each object too.
    """
    attname = field.attname
    if adding is not None and type(field).pre_save is DateTimeField.pre_save:
        if field.auto_now or (field.auto_now_add and adding):  # type: ignore[attr-defined]
            moment = now if now is not None else timezone.now()
            stamp = moment.isoformat()

            def stamped(obj: Model, connection: Any) -> Any:
                setattr(obj, attname, moment)
                return stamp

            return stamped
    # DateTimeField's pre_save only differs from reading the attribute for auto_now(_add), above.
    pre_save = adding is not None and type(field).pre_save not in (Field.pre_save, DateTimeField.pre_save)

    def full(obj: Model, connection: Any) -> Any:
        value = field.pre_save(obj, bool(adding)) if pre_save else getattr(obj, attname)
        return _json_value(field.get_db_prep_save(value, connection))

    if pre_save:
        return full
    if field.get_internal_type() == "JSONField" and _plain_json(field):
        return lambda obj, connection: getattr(obj, attname)  # encoded once, with the whole row set
    if type(field) is DateTimeField and settings.USE_TZ:

        def aware(obj: Model, connection: Any) -> Any:
            value = getattr(obj, attname)
            if type(value) is datetime and value.tzinfo is not None:
                return value.isoformat()
            return None if value is None else full(obj, connection)

        return aware
    target = getattr(field, "target_field", field)  # a foreign key saves its target's value
    plain_types = _PLAIN_TYPES.get(target.get_internal_type())
    if plain_types is None:
        return full

    text = plain_types is _TEXT

    def plain(obj: Model, connection: Any) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) in plain_types or (text and isinstance(value, str)):
            return value  # a str subclass (a TextChoices member) is saved, and encoded, as its string
        return full(obj, connection)

    return plain


def _row_set(fields: Sequence[Field[Any, Any]], connection: Any) -> tuple[str, list[str]]:
    """``json_to_recordset(%s::json) AS v(...)`` for these fields, and the select expression of each."""
    quote = connection.ops.quote_name
    declared, selected = [], []
    for field in fields:
        kind, cast = _column_type(field, connection)
        name = quote(str(field.column))
        declared.append(f"{name} {kind}")
        selected.append(f"v.{name}{cast}")
    return f"json_to_recordset(%s::json) AS v ({', '.join(declared)})", selected


def _rows_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def bulk_insert(objs: Sequence[M], *, batch_size: int = 1000, ignore_conflicts: bool = False) -> Sequence[M]:
    """Insert the objects like ``bulk_create`` and set their primary keys, in one statement per batch.

    On PostgreSQL, Django's ``bulk_create`` passes each column as an array parameter, which
    psycopg quotes element by element in Python: that costs three to four times the CPU of
    the insert itself. Here the rows travel as one JSON document (encoded by the ``json``
    module's C code) that ``json_to_recordset`` unpacks on the server, under a statement text
    that stays the same for every batch. For a single row, elsewhere, or for a model or value
    this does not handle, it is ``bulk_create``. Like ``bulk_create``, it sends no signals;
    ``auto_now_add`` and other ``pre_save`` values are set. With ``ignore_conflicts``, rows that
    would break a unique constraint are skipped and no primary key is set (as ``bulk_create`` does).
    """
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [field for field in meta.local_concrete_fields if not field.primary_key]
    if (
        connection.vendor != "postgresql"
        or len(objs) == 1  # one row: Django's single VALUES row costs no more
        or meta.parents
        or any(obj.pk is not None for obj in objs)
        or any(field.db_default is not NOT_PROVIDED or field.generated for field in meta.local_concrete_fields)
    ):
        return model._default_manager.using(alias).bulk_create(
            objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts
        )
    try:
        row_set, selected = _row_set(fields, connection)
        now = timezone.now()
        values = [(str(field.column), _saved_value(field, adding=True, now=now)) for field in fields]
        batches = []
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            rows = [{column: value(obj, connection) for column, value in values} for obj in chunk]
            batches.append((chunk, _rows_json(rows)))
    except _Unsupported:
        return model._default_manager.using(alias).bulk_create(
            objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts
        )
    quote = connection.ops.quote_name
    # Identifiers come from the model's own metadata; the rows are one parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(str(field.column)) for field in fields)})"  # noqa: S608
        f" SELECT {', '.join(selected)} FROM {row_set}"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else f" RETURNING {quote(str(meta.pk.column))}")
    )
    with connection.cursor() as cursor:
        for chunk, document in batches:
            cursor.execute(sql, [document])
            if not ignore_conflicts:
                for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                    obj.pk = pk
            for obj in chunk:
                obj._state.adding, obj._state.db = False, alias
    return objs


def bulk_set(objs: Sequence[Model], fields: Sequence[str], *, batch_size: int = 1000) -> None:
    """Save ``fields`` of each object, like ``bulk_update``, in one statement per batch.

    Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per row and field,
    whose compilation costs more than the update itself (about 1 ms per row for three fields).
    On PostgreSQL this writes ``UPDATE … FROM json_to_recordset(…)`` instead, the rows passed
    as one JSON document (see :func:`bulk_insert`); elsewhere it is ``bulk_update``. Like
    ``bulk_update``, it sends no signals and leaves ``auto_now`` alone.
    """
    if objs:
        model = type(objs[0])
        _set(
            model, fields, objs, lambda alias: model._default_manager.using(alias).bulk_update(objs, fields, batch_size)
        )


def bulk_set_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, batch_size: int = 1000
) -> None:
    """:func:`bulk_set` for rows of (primary key, value of each field), without model instances."""
    if not rows:
        return
    meta = model._meta
    names = [meta.pk.attname, *(meta.get_field(name).attname for name in fields)]  # type: ignore[union-attr]
    values = [dict(zip(names, row, strict=True)) for row in rows]

    def fallback(alias: str) -> None:
        instances = [model(**row) for row in values]
        model._default_manager.using(alias).bulk_update(instances, fields, batch_size)

    _set(model, fields, [SimpleNamespace(**row) for row in values], fallback, batch_size)


def _set(
    model: type[Model],
    fields: Sequence[str],
    objs: Sequence[Any],
    fallback: Callable[[str], object],
    batch_size: int = 1000,
) -> None:
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    columns: list[Field[Any, Any]] = [meta.pk, *(meta.get_field(name) for name in fields)]  # type: ignore[list-item]
    if connection.vendor != "postgresql":
        fallback(alias)
        return
    try:
        row_set, selected = _row_set(columns, connection)
        values = [(str(field.column), _saved_value(field, adding=None)) for field in columns]
        documents = [
            _rows_json([{column: value(obj, connection) for column, value in values} for obj in chunk])
            for chunk in (objs[start : start + batch_size] for start in range(0, len(objs), batch_size))
        ]
    except _Unsupported:
        fallback(alias)
        return
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = [quote(str(field.column)) for field in columns]
    key = names[0]
    assignments = ", ".join(f"{name} = {value}" for name, value in zip(names[1:], selected[1:], strict=True))
    # Identifiers come from the model's own metadata; the rows are one parameter.
    sql = f"UPDATE {table} SET {assignments} FROM {row_set} WHERE {table}.{key} = v.{key}"  # noqa: S608
    with connection.cursor() as cursor:
        for document in documents:
            cursor.execute(sql, [document])


def execute_prepared(sql: str, params: Sequence[Any], *, using: str = "default") -> int:
    """Run one statement that a process repeats many times; return the rows it changed.

    On PostgreSQL it is a prepared statement of this connection: the server parses and plans
    it once, and the parameters travel apart from the text instead of being quoted into it
    in Python (Django's client-side binding). ``sql`` uses ``%s`` placeholders either way.
    Elsewhere it is a plain cursor's ``execute``.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)
    connection.ensure_connection()
    started = monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        if connection.queries_logged:  # DEBUG, or a test counting queries: logged as Django's cursor would
            connection.queries_log.append(
                {
                    "sql": connection.ops.last_executed_query(cursor, sql, params),
                    "time": f"{monotonic() - started:.3f}",
                }
            )
        return int(cursor.rowcount)


@Field.register_lookup
class AnyOf(Lookup):  # type: ignore[type-arg]
    """``field__any_of=values``: ``field__in`` for the hundreds of ids or keys of a batch.

    For ``__in``, Django writes ``IN (%s, %s, …)``: psycopg quotes each value in Python, and
    PostgreSQL parses and plans each constant; that is five times the client CPU of the query
    itself for 500 ids. Here the values are one parameter, a PostgreSQL array literal
    (``= ANY('{…}'::bigint[])``: the planner still sees how many there are), or on SQLite a
    JSON document. An integer column takes integers; any other column, strings.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet  # as ``__in=[]``: no row, and no query where Django can tell
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        field = getattr(field, "target_field", field)  # a foreign key compares its target's values
        typed: list[int] | list[str]
        if _PLAIN_TYPES.get(field.get_internal_type()) is _INTEGER:
            kind, typed = "bigint", [int(value) for value in values]
            items = [str(value) for value in typed]
        else:
            kind, typed = "text", [str(value) for value in values]
            items = ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in typed]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::{kind}[])", (*lhs_params, "{" + ",".join(items) + "}")
        document = json.dumps(typed, ensure_ascii=False)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, document)  # noqa: S608


ForeignObject.register_lookup(AnyOf)  # a foreign key keeps lookups of its own: ``notification_id__any_of``
