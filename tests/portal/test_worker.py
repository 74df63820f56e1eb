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
