from collections.abc import Callable

import pytest

from portal.models import AuditEvent, Brand
from tests.conftest import WorkerProcess, wait_for


@pytest.mark.worker
def test_a_real_worker_consumes_tasks_from_the_configured_broker(
    celery_worker_factory: Callable[..., WorkerProcess], make_brand: Callable[..., Brand]
) -> None:
    from tests.portal.worker_tasks import record_worker_visit

    # given
    brand = make_brand("acme")
    celery_worker_factory(includes=["tests.portal.worker_tasks"])
    # when
    record_worker_visit.delay(brand_id=brand.pk)
    # then
    wait_for(lambda: AuditEvent.objects.filter(action="test.worker_visit", brand=brand).exists(), timeout=60)


@pytest.mark.worker
@pytest.mark.postgres  # persistent connections (CONN_MAX_AGE) are a PostgreSQL setting here
def test_a_worker_keeps_its_database_connection_from_task_to_task(
    celery_worker_factory: Callable[..., WorkerProcess], make_brand: Callable[..., Brand]
) -> None:
    from tests.portal.worker_tasks import record_database_session

    # given: a worker with two processes (Celery's Django fixup alone reconnects for every task)
    brand = make_brand("acme")
    celery_worker_factory(includes=["tests.portal.worker_tasks"])
    # when
    for _ in range(8):
        record_database_session.delay(brand_id=brand.pk)
    # then: one connection per process, not one per task
    visits = AuditEvent.objects.filter(action="test.database_session", brand=brand)
    wait_for(lambda: visits.count() == 8, timeout=60, describe=lambda: f"{visits.count()} of 8 tasks ran")
    sessions = {event.data["session"] for event in visits}
    assert len(sessions) == len({session.split(":")[0] for session in sessions}) <= 2, sessions
