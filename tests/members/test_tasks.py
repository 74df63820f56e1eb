from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members.models import ImportJob, Member
from members.services import import_job_create, import_job_run
from members.tasks import member_import_job_run
from portal.models import AuditEvent, Brand
from tests.conftest import WorkerProcess, wait_for


def csv_upload(rows: int) -> SimpleUploadedFile:
    lines = ["external_id,name,phone,pnp_consent"]
    lines += [f"W{n:05d},Member {n},09{n:08d},1" for n in range(rows)]
    lines.append("BAD,Bad,0912-34-567,1")
    return SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode())


@pytest.mark.worker
def test_a_background_import_runs_in_a_real_worker_and_reports_progress_and_result(
    celery_worker_factory: Callable[..., WorkerProcess], make_brand: Callable[..., Brand], settings, tmp_path: Path
) -> None:
    # given
    brand = make_brand("acme")
    job = import_job_create(brand=brand, upload=csv_upload(3000), actor="test")
    celery_worker_factory()
    # when
    member_import_job_run.delay(job_id=job.pk)
    # then
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == "done", timeout=90)
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count, job.processed_rows) == (3000, 1, 3001)
    assert job.percent == 100
    assert job.report_file
    assert Member.objects.filter(brand=brand).count() == 3000


def test_running_a_finished_job_again_does_nothing(make_brand: Callable[..., Brand]) -> None:
    brand = make_brand("acme")
    job = import_job_create(brand=brand, upload=csv_upload(5), actor="test")
    assert import_job_run(job_id=job.pk).created_count == 5
    assert import_job_run(job_id=job.pk).created_count == 5
    assert AuditEvent.objects.filter(action="member.imported").count() == 1
