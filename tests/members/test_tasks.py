from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import ImportJob, Member
from members.services import import_job_create, import_job_run
from members.tasks import member_import_files_purge, member_import_job_run
from portal.celery import app as celery_app
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


def test_import_files_past_the_retention_period_are_deleted_and_the_job_keeps_its_counts(
    make_brand: Callable[..., Brand], settings, tmp_path: Path
) -> None:
    # given an old finished import with its report, an old running one and a recent one
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MEMBER_IMPORT_FILE_RETENTION_DAYS = 30
    brand = make_brand("acme")
    old = import_job_run(job_id=import_job_create(brand=brand, upload=csv_upload(5), actor="test").pk)
    running = import_job_create(brand=brand, upload=csv_upload(5), actor="test")
    recent = import_job_create(brand=brand, upload=csv_upload(5), actor="test")
    long_ago = timezone.now() - timedelta(days=31)
    ImportJob.objects.filter(pk=old.pk).update(created_at=long_ago)
    ImportJob.objects.filter(pk=running.pk).update(created_at=long_ago, status="running")
    old_files = [Path(old.file.path), Path(old.report_file.path)]
    assert all(path.exists() for path in old_files)
    # when the daily task runs
    assert member_import_files_purge.apply().get() == 1
    # then the old job's files are gone, its fields cleared, its counts kept
    old.refresh_from_db()
    assert not any(path.exists() for path in old_files)
    assert (old.file.name, old.report_file.name) == ("", "")
    assert (old.created_count, old.rejected_count, old.original_name) == (5, 1, "big.csv")
    assert AuditEvent.objects.filter(action="member.import_files_deleted", object_id=str(old.pk)).exists()
    # and the running and recent imports keep theirs
    for job in (running, recent):
        job.refresh_from_db()
        assert Path(job.file.path).exists()
    # and a second run has nothing left to do
    assert member_import_files_purge.apply().get() == 0


def test_the_import_file_purge_runs_daily_from_beat() -> None:
    entry = celery_app.conf.beat_schedule["members-import-files-purge"]
    assert entry["task"] == "members.tasks.member_import_files_purge"
    assert entry["schedule"].hour == {3}
