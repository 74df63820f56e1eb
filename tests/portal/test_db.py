"""bulk_set and bulk_insert: the same rows as saving each object, in one statement per batch; execute_prepared."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from notifications.models import IdempotencyKey, WebhookEvent
from portal.db import bulk_insert, bulk_set, execute_prepared
from portal.models import Brand

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)


def test_each_row_gets_its_own_values_and_other_rows_and_fields_stay(brand: Brand) -> None:
    events = [
        WebhookEvent.objects.create(
            brand=brand, event_id=f"e{n}", event_type="delivery", occurred_at=T0, payload={"n": n}, detail="before"
        )
        for n in range(5)
    ]
    changed = events[:4]
    for n, event in enumerate(changed):
        event.processed_at = T0 + timedelta(seconds=n) if n % 2 else None
        event.result = ["applied", "duplicate", "unmatched", ""][n]
        event.detail = f"詳細 {n} 'quoted'"
        event.is_redelivery = bool(n % 2)
        event.payload = {"n": n, "changed": [True, None]}
        event.event_type = "ignored-by-bulk-set"  # not among the fields: must stay
    bulk_set(changed, ["processed_at", "result", "detail", "is_redelivery", "payload"], batch_size=3)

    rows = {e.event_id: e for e in WebhookEvent.objects.all()}
    for n in range(4):
        row = rows[f"e{n}"]
        assert row.processed_at == (T0 + timedelta(seconds=n) if n % 2 else None)
        assert (row.result, row.detail, row.is_redelivery) == (
            ["applied", "duplicate", "unmatched", ""][n],
            f"詳細 {n} 'quoted'",
            bool(n % 2),
        )
        assert row.payload == {"n": n, "changed": [True, None]}
        assert row.event_type == "delivery"
    assert (rows["e4"].detail, rows["e4"].payload, rows["e4"].result) == ("before", {"n": 4}, "")


def test_nothing_to_save_is_no_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        bulk_set([], ["result"])


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_is_refused_not_cut(brand: Brand) -> None:
    from django.db import DataError, transaction

    event = WebhookEvent.objects.create(brand=brand, event_id="long", event_type="delivery", occurred_at=T0, payload={})
    event.detail = "x" * 201  # the column holds 200
    with pytest.raises(DataError), transaction.atomic():
        bulk_set([event], ["detail"])
    event.refresh_from_db()
    assert event.detail == ""


def _event(brand: Brand, n: int, **fields: object) -> WebhookEvent:
    defaults: dict[str, object] = {
        "event_id": f"i{n}",
        "event_type": "delivery",
        "occurred_at": T0 + timedelta(microseconds=n),
        "payload": {"n": n, "text": f"您的訂單 {n} 'quoted' \\ \"x\"", "list": [None, True, 1.5]},
        "detail": f"詳細 {n}",
    }
    return WebhookEvent(brand=brand, **{**defaults, **fields})


def test_insert_sets_each_primary_key_to_its_own_row(brand: Brand) -> None:
    events = [_event(brand, n, is_redelivery=bool(n % 2)) for n in range(7)]
    before = datetime.now(UTC)
    bulk_insert(events, batch_size=3)

    assert len({e.pk for e in events}) == 7
    for n, event in enumerate(events):
        row = WebhookEvent.objects.get(pk=event.pk)
        assert (row.event_id, row.occurred_at, row.payload, row.detail, row.is_redelivery, row.processed_at) == (
            f"i{n}",
            T0 + timedelta(microseconds=n),
            {"n": n, "text": f"您的訂單 {n} 'quoted' \\ \"x\"", "list": [None, True, 1.5]},
            f"詳細 {n}",
            bool(n % 2),
            None,
        )
        assert row.received_at >= before  # auto_now_add, set as bulk_create sets it
        assert event.received_at == row.received_at
        assert not event._state.adding


def test_insert_can_skip_rows_a_unique_constraint_refuses(brand: Brand) -> None:
    bulk_insert([_event(brand, 1)])
    bulk_insert([_event(brand, 1, detail="again"), _event(brand, 2)], ignore_conflicts=True)

    assert sorted(WebhookEvent.objects.values_list("event_id", "detail")) == [("i1", "詳細 1"), ("i2", "詳細 2")]


def test_insert_of_a_json_response_keeps_it_whole(brand: Brand) -> None:
    body = {"id": 12, "status": "queued", "channels": ["pnp", "sms"], "note": "含 ' 與 \" 與 \\"}
    keys = [
        IdempotencyKey(brand=brand, key=f"k-{n}", request_hash="h" * 64, status_code=202, response={**body, "id": n})
        for n in range(2)
    ]
    bulk_insert(keys)

    assert [IdempotencyKey.objects.get(pk=key.pk).response for key in keys] == [{**body, "id": n} for n in range(2)]


def test_nothing_to_insert_is_no_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        bulk_insert([])


@pytest.mark.postgres
def test_an_insert_too_long_for_its_column_is_refused_whole(brand: Brand) -> None:
    from django.db import DataError, transaction

    with pytest.raises(DataError), transaction.atomic():
        bulk_insert([_event(brand, 1), _event(brand, 2, detail="x" * 201)])  # the column holds 200
    assert not WebhookEvent.objects.exists()


@pytest.mark.postgres
def test_on_postgresql_a_batch_is_one_statement(brand: Brand, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    events = [_event(brand, n) for n in range(50)]
    with django_assert_num_queries(1):
        bulk_insert(events)
    for event in events[:3]:
        event.detail = "changed"
    with django_assert_num_queries(1):
        bulk_set(events[:3], ["detail"])
    assert WebhookEvent.objects.filter(detail="changed").count() == 3


def test_enums_and_plain_values_are_saved_alike(brand: Brand) -> None:
    from notifications.choices import WebhookEventResult

    events = [_event(brand, n) for n in range(3)]
    events[0].result = WebhookEventResult.APPLIED  # an enum member goes through get_db_prep_save
    events[1].result = "duplicate"
    bulk_insert(events)
    events[2].result = WebhookEventResult.UNMATCHED
    bulk_set(events[2:], ["result"])

    assert list(WebhookEvent.objects.order_by("pk").values_list("result", flat=True)) == [
        "applied",
        "duplicate",
        "unmatched",
    ]


def test_a_prepared_statement_returns_its_row_count_and_is_logged_each_time(
    brand: Brand,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    events = [_event(brand, n) for n in range(3)]
    bulk_insert(events)
    sql = f"UPDATE {WebhookEvent._meta.db_table} SET detail = %s WHERE id = %s AND detail <> %s"
    with django_assert_num_queries(3):
        counts = [execute_prepared(sql, ["done", event.pk, "done"]) for event in events[:2]]
        counts.append(execute_prepared(sql, ["done", events[0].pk, "done"]))  # already done: no row
    assert counts == [1, 1, 0]
    assert list(WebhookEvent.objects.order_by("pk").values_list("detail", flat=True)) == ["done", "done", "詳細 2"]


@pytest.mark.postgres
def test_a_prepared_statement_raises_django_errors(brand: Brand) -> None:
    from django.db import IntegrityError, transaction

    first, second = _event(brand, 1), _event(brand, 2)
    bulk_insert([first, second])
    sql = f"UPDATE {WebhookEvent._meta.db_table} SET event_id = %s WHERE id = %s"
    with pytest.raises(IntegrityError), transaction.atomic():
        execute_prepared(sql, [first.event_id, second.pk])  # unique per brand
    assert WebhookEvent.objects.get(pk=second.pk).event_id == second.event_id


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_prepared_once_per_connection(brand: Brand) -> None:
    from django.db import connection

    event = _event(brand, 1)
    bulk_insert([event, _event(brand, 2)])
    sql = f"UPDATE {WebhookEvent._meta.db_table} SET detail = %s WHERE id = %s"
    for n in range(3):
        assert execute_prepared(sql, [f"pass {n}", event.pk]) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"UPDATE {WebhookEvent._meta.db_table} SET detail%"],
        )
        assert cursor.fetchone() == (1,)
    assert WebhookEvent.objects.get(pk=event.pk).detail == "pass 2"


def test_json_values_of_every_kind_round_trip(brand: Brand) -> None:
    payloads: list[object] = [{"a": [1, None, "é"]}, [1, "two", {"3": True}], "just text", 42, 1.5, True, False]
    events = [_event(brand, n, payload=payload) for n, payload in enumerate(payloads)]
    bulk_insert(events)
    assert [WebhookEvent.objects.get(pk=e.pk).payload for e in events] == payloads

    for event in events:
        event.payload = {"wrapped": event.payload}
    bulk_set(events, ["payload"])
    assert [WebhookEvent.objects.get(pk=e.pk).payload for e in events] == [{"wrapped": p} for p in payloads]


def test_auto_now_add_is_one_time_for_the_statement_and_set_on_each_object(brand: Brand) -> None:
    keys = [
        IdempotencyKey(brand=brand, key=f"t-{n}", request_hash="h" * 64, status_code=202, response={}) for n in range(3)
    ]
    bulk_insert(keys)

    from django.db import connection

    stamps = {key.created_at for key in keys}
    assert None not in stamps
    assert set(IdempotencyKey.objects.values_list("created_at", flat=True)) == stamps
    if connection.vendor == "postgresql":  # elsewhere it is bulk_create: a time per object
        assert len(stamps) == 1


def test_a_json_field_with_its_own_encoder_is_saved_as_its_encoder_writes_it() -> None:
    from decimal import Decimal
    from types import SimpleNamespace

    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection, models

    from portal.db import _column_type, _saved_value

    field = models.JSONField(encoder=DjangoJSONEncoder)
    field.set_attributes_from_name("payload")
    value = _saved_value(field, adding=None, now=T0)(SimpleNamespace(payload={"amount": Decimal("1.50")}), connection)  # type: ignore[arg-type]

    assert json.loads(value if isinstance(value, str) else json.dumps(value)) == {"amount": "1.50"}
    if connection.vendor == "postgresql":
        assert _column_type(field, connection) == ("text", "::jsonb")
        assert _column_type(models.JSONField(), connection) == ("jsonb", "")


def test_any_of_finds_the_rows_of_integers_or_strings_like_in(brand: Brand, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    tricky = ['a"b', "c\\d", "e'f", "g,h}", "{x}", "NULL", "雙11"]
    events = [_event(brand, n, event_id=event_id) for n, event_id in enumerate(tricky)]
    bulk_insert([*events, _event(brand, 99, event_id="other")])

    by_key = WebhookEvent.objects.filter(event_id__any_of=tricky).values_list("event_id", flat=True)
    assert sorted(by_key) == sorted(tricky)
    ids = [event.pk for event in events[:3]]
    assert sorted(WebhookEvent.objects.filter(pk__any_of=set(ids)).values_list("pk", flat=True)) == sorted(ids)
    with django_assert_num_queries(0):
        assert list(WebhookEvent.objects.filter(pk__any_of=[])) == []
    assert WebhookEvent.objects.filter(brand_id__any_of=[brand.pk]).count() == len(tricky) + 1  # a foreign key
    assert WebhookEvent.objects.filter(brand__any_of=[brand.pk]).count() == len(tricky) + 1
    assert WebhookEvent.objects.filter(pk__any_of=ids).update(detail="set") == 3
    assert WebhookEvent.objects.filter(pk__any_of=[str(ids[0])]).count() == 1  # an integer column takes integers
    assert WebhookEvent.objects.filter(event_id__any_of=[]).count() == 0  # no values: no row, on any column
    with pytest.raises(ValueError):
        list(WebhookEvent.objects.filter(pk__any_of=["not a number"]))


@pytest.mark.postgres
def test_on_postgresql_any_of_is_one_parameter(brand: Brand) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        list(WebhookEvent.objects.filter(pk__any_of=list(range(1, 501))))
    assert "= ANY('{1,2,3," in captured[0]["sql"] and " IN (" not in captured[0]["sql"]


def test_rows_without_instances_are_set_like_bulk_set(brand: Brand) -> None:
    from notifications.choices import WebhookEventResult
    from portal.db import bulk_set_rows

    events = [_event(brand, n) for n in range(4)]
    bulk_insert(events)
    bulk_set_rows(
        WebhookEvent,
        ["result", "processed_at", "payload"],
        [(events[0].pk, WebhookEventResult.APPLIED, T0, {"a": 1}), (events[2].pk, "unmatched", None, ["b"])],
    )

    rows = {e.pk: e for e in WebhookEvent.objects.all()}
    assert (rows[events[0].pk].result, rows[events[0].pk].processed_at, rows[events[0].pk].payload) == (
        "applied",
        T0,
        {"a": 1},
    )
    assert (rows[events[2].pk].result, rows[events[2].pk].processed_at, rows[events[2].pk].payload) == (
        "unmatched",
        None,
        ["b"],
    )
    assert rows[events[1].pk].payload == events[1].payload and rows[events[1].pk].result == ""
    with pytest.raises(ValueError):  # a row with a value missing
        bulk_set_rows(WebhookEvent, ["result", "detail"], [(events[3].pk, "applied")])
