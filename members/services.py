"""Writes to members, consent and LINE links; each change is audited in its transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count
from django.utils import timezone

from members.choices import ConsentPurpose, ConsentSource, ImportJobStatus, PhoneType
from members.exceptions import BindingConsentError, LineUidTakenError, MemberErasedError
from members.importing import (
    POOL_MIN_ROWS,
    ImportFileError,
    ImportResult,
    ProgressCallback,
    can_fork,
    estimate_rows,
    file_check,
    validated_chunks,
    write_report,
)
from members.loaders import PostgresLoader, SimpleLoader
from members.models import Consent, ImportJob, LineLink, Member, UnlinkedLineFollower
from members.phones import mask_e164, normalize_phone
from portal.actors import Actor, actor_label, actor_user
from portal.services import audit_record

logger = logging.getLogger(__name__)

# Purposes mirrored onto the member row, so filters and the send pipeline need no subquery.
CONSENT_FIELDS: dict[str, str] = {
    ConsentPurpose.PNP_NOTIFICATION: "pnp_consent",
    ConsentPurpose.SMS_NOTIFICATION: "sms_consent",
}


def members_refresh_duplicate_flags(*, brand_id: int, phones: Iterable[str] | None = None) -> int:
    """Flag members of a brand who share an E.164 number with another; return rows changed."""
    scope = Member.objects.filter(brand_id=brand_id)
    if phones is not None:
        phones = [p for p in set(phones) if p]
        if not phones:
            return 0
        scope = scope.filter(phone_e164__in=phones)
    shared = (
        Member.objects.filter(brand_id=brand_id, erased_at__isnull=True)
        .exclude(phone_e164="")
        .values("phone_e164")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values("phone_e164")
    )
    if phones is not None:
        shared = shared.filter(phone_e164__in=phones)
    cleared = (
        scope.filter(duplicate_phone=True)
        .exclude(phone_e164__in=shared, erased_at__isnull=True)
        .update(duplicate_phone=False)
    )
    flagged = scope.filter(duplicate_phone=False, phone_e164__in=shared, erased_at__isnull=True).update(
        duplicate_phone=True
    )
    return cleared + flagged


@transaction.atomic
def member_upsert(*, brand: Any, external_id: str, name: str, phone: str, actor: Actor) -> tuple[Member, bool]:
    """Create the brand's member with this number, or update name and phone; return (member, created)."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationError({"external_id": ["The member number is empty."]})
    try:
        normalized = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    member = Member.objects.select_for_update().filter(brand=brand, external_id=external_id).first()
    if member is not None and member.is_erased:
        raise MemberErasedError(external_id)
    created = member is None
    old_phone = ""
    if member is None:
        member = Member(brand=brand, external_id=external_id)
    else:
        old_phone = member.phone_e164
    changes = []
    values = {
        "name": name.strip(),
        "phone_raw": phone.strip(),
        "phone_e164": normalized.e164,
        "phone_type": str(normalized.number_type),
        "phone_hash": normalized.hash,
    }
    for field, value in values.items():
        if getattr(member, field) != value:
            setattr(member, field, value)
            changes.append(field)
    if not created and old_phone != normalized.e164:
        # A new number has not been refused by LINE nor confirmed by the member yet.
        member.needs_phone_confirmation = False
        member.phone_flag_reason = ""
        member.phone_flagged_at = None
        member.phone_confirmed_at = None
        changes += ["needs_phone_confirmation", "phone_flag_reason", "phone_flagged_at", "phone_confirmed_at"]
    if created or changes:
        member.full_clean(exclude=["brand"], validate_unique=False)
        member.save()
        members_refresh_duplicate_flags(brand_id=brand.pk, phones=[old_phone, normalized.e164])
        member.refresh_from_db(fields=["duplicate_phone"])
        audit_record(
            action="member.created" if created else "member.updated",
            actor=actor,
            obj=member,
            data={"fields": sorted(set(changes)), "phone": mask_e164(normalized.e164)},
        )
    return member, created


def _recompute_consent_field(member: Member, purpose: str) -> None:
    field = CONSENT_FIELDS.get(purpose)
    if field is None:
        return
    latest = (
        Consent.objects.filter(member=member, purpose=purpose)
        .order_by("-captured_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    if getattr(member, field) != latest:
        setattr(member, field, latest)
        member.save(update_fields=[field, "updated_at"])


@transaction.atomic
def consent_record(
    *,
    member: Member,
    purpose: str,
    granted: bool,
    source: str,
    actor: Actor,
    evidence: str = "",
    notice_version: str = "",
    captured_at: datetime | None = None,
) -> Consent:
    """Append a consent or withdrawal; the member's current state follows the latest captured record."""
    if purpose not in ConsentPurpose.values:
        raise ValidationError(
            {"purpose": [f"Unknown purpose {purpose!r}; use one of {', '.join(ConsentPurpose.values)}."]}
        )
    if source not in ConsentSource.values:
        raise ValidationError({"source": [f"Unknown source {source!r}; use one of {', '.join(ConsentSource.values)}."]})
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.is_erased:
        raise MemberErasedError(member.external_id)
    now = timezone.now()
    if captured_at is not None and captured_at > now + timedelta(minutes=5):
        raise ValidationError({"captured_at": ["The consent cannot have been captured in the future."]})
    consent = Consent.objects.create(
        member=member,
        purpose=purpose,
        granted=granted,
        source=source,
        evidence=evidence,
        notice_version=notice_version,
        captured_at=captured_at or now,
        captured_by=actor_user(actor),
        captured_by_label=actor_label(actor),
    )
    _recompute_consent_field(member, purpose)
    audit_record(
        action="consent.granted" if granted else "consent.withdrawn",
        actor=actor,
        obj=member,
        data={"purpose": purpose, "source": source, "consent_id": consent.pk},
    )
    if purpose == ConsentPurpose.LINE_BINDING and not granted and _is_current(consent):
        # Binding rests on this consent: without it the phone number and the UID part ways.
        line_link_unbind(member=member, actor=actor, reason="line_binding consent withdrawn")
    return consent


def _is_current(consent: Consent) -> bool:
    """True when no later-captured record of the same purpose supersedes this one."""
    latest = (
        Consent.objects.filter(member_id=consent.member_id, purpose=consent.purpose)
        .order_by("-captured_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return latest == consent.pk


@transaction.atomic
def member_erase(*, member: Member, actor: Actor, reason: str = "") -> Member:
    """Blank the member's personal data at their request; keep the record and consent history."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.is_erased:
        return member
    old_phone = member.phone_e164
    member.name = ""
    member.phone_raw = ""
    member.phone_e164 = ""
    member.phone_hash = ""
    member.phone_type = PhoneType.UNKNOWN
    member.phone_confirmed_at = None
    member.needs_phone_confirmation = False
    member.phone_flag_reason = ""
    member.duplicate_phone = False
    member.erased_at = timezone.now()
    member.save()
    LineLink.objects.filter(member=member).update(
        uid="", is_friend=False, is_blocked=False, bound_at=None, binding_consent=None, updated_at=timezone.now()
    )
    members_refresh_duplicate_flags(brand_id=member.brand_id, phones=[old_phone])
    audit_record(action="member.erased", actor=actor, obj=member, data={"reason": reason})
    return member


@transaction.atomic
def member_flag_phone_unreachable(*, member: Member, reason: str, actor: Actor = "system") -> Member:
    """Flag the member "confirm phone number" after LINE refused a PNP to it (HTTP 422)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.needs_phone_confirmation and member.phone_flag_reason == reason[:200]:
        return member
    member.needs_phone_confirmation = True
    member.phone_flag_reason = reason[:200]
    member.phone_flagged_at = timezone.now()
    member.save(update_fields=["needs_phone_confirmation", "phone_flag_reason", "phone_flagged_at", "updated_at"])
    audit_record(action="member.phone_flagged", actor=actor, obj=member, data={"reason": reason[:200]})
    logger.info("member %s flagged: confirm phone number %s", member.pk, mask_e164(member.phone_e164))
    return member


@transaction.atomic
def member_confirm_phone(*, member: Member, actor: Actor) -> Member:
    """Record that the member confirmed their number; clear the "confirm phone number" flag."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    member.phone_confirmed_at = timezone.now()
    member.needs_phone_confirmation = False
    member.phone_flag_reason = ""
    member.phone_flagged_at = None
    member.save()
    audit_record(action="member.phone_confirmed", actor=actor, obj=member)
    return member


@transaction.atomic
def line_link_update(
    *, brand: Any, uid: str, is_friend: bool | None = None, is_blocked: bool | None = None, actor: Actor = "system"
) -> LineLink | None:
    """Record a follow/unfollow (or a send result) for a LINE user; return their member's link if bound."""
    changes: dict[str, Any] = {}
    if is_friend is not None:
        changes["is_friend"] = is_friend
    if is_blocked is not None:
        changes["is_blocked"] = is_blocked
    link = LineLink.objects.select_for_update().filter(brand=brand, uid=uid, bound_at__isnull=False).first()
    if link is None:
        follower, _created = UnlinkedLineFollower.objects.get_or_create(brand=brand, uid=uid)
        for field, value in changes.items():
            setattr(follower, field, value)
        follower.save()
        return None
    for field, value in changes.items():
        setattr(link, field, value)
    if changes:
        link.save()
        audit_record(action="line_link.updated", actor=actor, obj=link.member, data=changes)
    return link


def _chunks(values: Iterable[str], size: int = 2000) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


@transaction.atomic
def line_friends_mark(*, brand: Any, followers: set[str]) -> dict[str, int]:
    """Mark every known LINE user of the brand friend or not, from LINE's full list of follower ids.

    A listed user is a friend and not blocking; a known user who is not listed is no longer a
    friend (blocked or removed: the events say which). Users LINE lists whom the portal did not
    know are kept as unbound followers. Bulk statements, so a million followers take seconds.
    """
    now = timezone.now()
    links = LineLink.objects.filter(brand=brand, bound_at__isnull=False)
    now_friends = 0
    for chunk in _chunks(followers):
        now_friends += (
            links.filter(uid__in=chunk)
            .exclude(is_friend=True, is_blocked=False)
            .update(is_friend=True, is_blocked=False, updated_at=now)
        )
    bound_uids = set(links.values_list("uid", flat=True))
    gone = [uid for uid in links.filter(is_friend=True).values_list("uid", flat=True) if uid not in followers]
    no_longer = 0
    for chunk in _chunks(gone):
        no_longer += links.filter(uid__in=chunk).update(is_friend=False, updated_at=now)

    unlinked = UnlinkedLineFollower.objects.filter(brand=brand)
    known = set(unlinked.values_list("uid", flat=True))
    for chunk in _chunks(followers & known):
        unlinked.filter(uid__in=chunk).exclude(is_friend=True, is_blocked=False).update(
            is_friend=True, is_blocked=False, updated_at=now
        )
    new = [UnlinkedLineFollower(brand=brand, uid=uid) for uid in followers - known - bound_uids]
    UnlinkedLineFollower.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    stale = [uid for uid in unlinked.filter(is_friend=True).values_list("uid", flat=True) if uid not in followers]
    followers_gone = 0
    for chunk in _chunks(stale):
        followers_gone += unlinked.filter(uid__in=chunk).update(is_friend=False, updated_at=now)
    return {
        "bound_now_friends": now_friends,
        "bound_no_longer_friends": no_longer,
        "followers_added": len(new),
        "followers_no_longer_friends": followers_gone,
    }


@transaction.atomic
def line_link_bind(*, member: Member, uid: str, consent: Consent, actor: Actor) -> LineLink:
    """Bind the member's phone number to a LINE UID, on the strength of their binding consent."""
    if consent.member_id != member.pk or consent.purpose != ConsentPurpose.LINE_BINDING or not consent.granted:
        raise BindingConsentError()
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.is_erased:
        raise MemberErasedError(member.external_id)
    taken = LineLink.objects.filter(brand_id=member.brand_id, uid=uid, bound_at__isnull=False).exclude(member=member)
    if taken.exists():
        raise LineUidTakenError()
    follower = UnlinkedLineFollower.objects.filter(brand_id=member.brand_id, uid=uid).first()
    link, _created = LineLink.objects.get_or_create(member=member, defaults={"brand_id": member.brand_id})
    link.uid = uid
    link.bound_at = timezone.now()
    link.binding_consent = consent
    if follower is not None:
        link.is_friend, link.is_blocked = follower.is_friend, follower.is_blocked
        follower.delete()
    link.save()
    audit_record(action="line_link.bound", actor=actor, obj=member, data={"consent_id": consent.pk})
    return link


@transaction.atomic
def line_link_unbind(*, member: Member, actor: Actor, reason: str = "") -> LineLink | None:
    """Undo the phone ↔ UID binding (e.g. the member withdrew binding consent)."""
    link = LineLink.objects.select_for_update().filter(member=member).first()
    if link is None or not link.is_bound:
        return link
    UnlinkedLineFollower.objects.update_or_create(
        brand_id=member.brand_id, uid=link.uid, defaults={"is_friend": link.is_friend, "is_blocked": link.is_blocked}
    )
    link.bound_at = None
    link.binding_consent = None
    link.uid = ""
    link.is_friend = False
    link.is_blocked = False
    link.save()
    audit_record(action="line_link.unbound", actor=actor, obj=member, data={"reason": reason})
    return link


# --- Imports ----------------------------------------------------------------------------------


def member_import_file(
    *,
    brand: Any,
    path: Path,
    actor: Actor,
    dry_run: bool = False,
    source_name: str | None = None,
    encoding: str | None = None,
    report_path: Path | None = None,
    progress: ProgressCallback | None = None,
    processes: int | None = None,
    fast: bool | None = None,
) -> ImportResult:
    """Import a CSV/XLSX file of members into a brand; bad rows are reported, never saved.

    Raises :class:`members.importing.ImportFileError` when the file as a whole cannot be read.
    The whole import is one transaction; a dry run rolls it back after counting.
    """
    if processes is None:
        processes = 2 if can_fork() and estimate_rows(path) >= POOL_MIN_ROWS else 1
    if fast is None:
        fast = connection.vendor == "postgresql"
    source_name = source_name or path.name
    user = actor_user(actor)
    loader_class = PostgresLoader if fast else SimpleLoader
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        with loader_class(
            brand_id=brand.pk, actor_id=user.pk if user else None, actor_label=actor_label(actor)
        ) as loader:
            for valid, errors, count, copy_text in validated_chunks(
                path, source_name=source_name, processes=processes, as_copy=fast, encoding=encoding
            ):
                result.rows_read += count
                result.errors += errors
                if fast:
                    loader.add(valid, copy_text)  # type: ignore[call-arg]
                else:
                    loader.add(valid)
                if progress is not None:
                    progress(result.rows_read)
            loader.finish()
        result.errors += loader.errors
        result.created, result.updated, result.unchanged = loader.created, loader.updated, loader.unchanged
        result.rejected = len(result.errors)
        audit_record(
            action="member.import_dry_run" if dry_run else "member.imported",
            actor=actor,
            obj=brand,
            data={
                "file": source_name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    result.errors.sort(key=lambda e: e.line)
    if report_path is not None and result.errors:
        result.report_path = write_report(report_path, result.errors)
    return result


def import_files_purge(*, now: datetime | None = None) -> int:
    """Delete member files and reports of imports older than the retention period; return jobs cleared.

    The job keeps its counts and original file name; a running import keeps its file. A file is
    deleted before its field is cleared, so a failure in between is finished by the next run.
    """
    days = settings.MEMBER_IMPORT_FILE_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    jobs = (
        ImportJob.objects.filter(created_at__lt=cutoff)
        .exclude(status=ImportJobStatus.RUNNING)
        .exclude(file="", report_file="")
        .select_related("brand")
    )
    cleared = 0
    for job in jobs.iterator(chunk_size=200):
        for stored in (job.file, job.report_file):
            if stored.name:
                stored.storage.delete(stored.name)
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(file="", report_file="")
            audit_record(
                action="member.import_files_deleted",
                actor="system",
                obj=job,
                data={"file": job.original_name, "retention_days": days},
            )
        cleared += 1
    if cleared:
        logger.info("member imports: deleted the files of %d imports older than %d days", cleared, days)
    return cleared


@transaction.atomic
def import_job_create(*, brand: Any, upload: Any, actor: Actor, dry_run: bool = False) -> ImportJob:
    """Store an uploaded member file as an import job (run it with :func:`import_job_run`).

    Raises :class:`members.importing.ImportFileError` (and keeps nothing, not even the stored
    file) when the file cannot be opened or its first row does not name the columns.
    """
    job = ImportJob(brand=brand, created_by=actor_user(actor), original_name=upload.name[:255], dry_run=dry_run)
    job.file.save(upload.name, upload, save=False)
    try:
        file_check(Path(job.file.path))
        job.total_rows = estimate_rows(Path(job.file.path))
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.save()
    audit_record(action="member.import_queued", actor=actor, obj=brand, data={"job": job.pk, "file": job.original_name})
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a waiting import job; a job already running or finished is left alone (idempotent)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.PENDING).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("brand", "created_by").get(pk=job_id)
    if not claimed:
        return job
    # The import is one transaction (and on PostgreSQL its connection is busy with COPY), so
    # progress goes through a connection of its own, committed at once, for the admin to read.
    # SQLite allows one writer at a time: there only the final counts are written.
    progress_connection = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None
    last_saved = [0.0]

    def progress(rows: int) -> None:
        now = time.monotonic()
        if progress_connection is not None and now - last_saved[0] >= 0.5:
            last_saved[0] = now
            with progress_connection.cursor() as cursor:
                cursor.execute("UPDATE members_importjob SET processed_rows = %s WHERE id = %s", [rows, job_id])

    report_name = f"member_import_reports/import-{job.pk}-rejected.csv"
    try:
        result = member_import_file(
            brand=job.brand,
            path=Path(job.file.path),
            actor=job.created_by or "system",
            dry_run=job.dry_run,
            source_name=job.original_name,
            report_path=Path(settings.MEDIA_ROOT) / report_name,
            progress=progress,
        )
    except ImportFileError as exc:
        # The reason is for the user; the cause (openpyxl's, csv's) stays in the worker log.
        logger.warning("member import %d: %s cannot be read", job_id, job.original_name, exc_info=True)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJobStatus.FAILED, error=f"{job.original_name}: {exc}", finished_at=timezone.now()
        )
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJobStatus.FAILED,
            error="The import stopped on an unexpected error; nothing was saved. See the worker log.",
            finished_at=timezone.now(),
        )
        raise
    else:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJobStatus.DONE,
            processed_rows=result.rows_read,
            total_rows=result.rows_read,
            created_count=result.created,
            updated_count=result.updated,
            unchanged_count=result.unchanged,
            rejected_count=result.rejected,
            report_file=report_name if result.report_path else "",
            finished_at=timezone.now(),
        )
    finally:
        if progress_connection is not None:
            progress_connection.close()
    job.refresh_from_db()
    return job
