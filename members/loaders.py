"""Loading validated member rows into the database: set-based on PostgreSQL, in chunks elsewhere.

Both loaders apply the same rules:

- the brand's member number is the key: a known number is updated, an unknown one created,
  a row identical to what is stored changes nothing (so re-importing a file is a no-op);
- a member number that appears twice in one file is imported from its first line only;
- an erased member is never recreated;
- a consent column that differs from the member's current state appends a ``Consent``
  record (unless the same statement, with the same capture time, is already recorded),
  and the current state is then re-derived from the history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from members.choices import ConsentPurpose
from members.importing import RowError, ValidRow, rows_as_copy_text
from members.models import Consent, Member

logger = logging.getLogger(__name__)


@contextmanager
def _timed(step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    logger.debug("member import: %s took %.2f s", step, time.perf_counter() - started)


PURPOSE_COLUMNS = (
    (ConsentPurpose.PNP_NOTIFICATION, 7, "pnp_consent"),
    (ConsentPurpose.SMS_NOTIFICATION, 8, "sms_consent"),
)
MEMBER_FIELDS = ("name", "phone_raw", "phone_e164", "phone_type", "phone_hash")
FLAG_RESET = {
    "needs_phone_confirmation": False,
    "phone_flag_reason": "",
    "phone_flagged_at": None,
    "phone_confirmed_at": None,
}


def _duplicate_error(line: int, external_id: str, first_line: int) -> RowError:
    return RowError(
        line,
        "external_id",
        external_id,
        _("Member number %(id)s already appears on line %(first)d; only the first line is imported.")
        % {"id": external_id, "first": first_line},
    )


def _erased_error(line: int, external_id: str) -> RowError:
    return RowError(
        line, "external_id", external_id, _("This member was erased at their request and cannot be re-imported.")
    )


class SimpleLoader:
    """Load rows with the ORM in chunks: any database, meant for files up to some ten thousand rows."""

    def __init__(self, *, brand_id: int, actor_id: int | None, actor_label: str) -> None:
        self.brand_id = brand_id
        self.actor_id = actor_id
        self.actor_label = actor_label
        self.first_line: dict[str, int] = {}
        self.created = self.updated = self.unchanged = 0
        self.errors: list[RowError] = []
        self.phones: set[str] = set()

    def __enter__(self) -> SimpleLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add(self, rows: list[ValidRow]) -> None:
        fresh: list[ValidRow] = []
        for row in rows:
            line, external_id = row[0], row[1]
            first = self.first_line.setdefault(external_id, line)
            if first != line:
                self.errors.append(_duplicate_error(line, external_id, first))
            else:
                fresh.append(row)
        if not fresh:
            return
        now = timezone.now()
        existing = {
            m.external_id: m
            for m in Member.objects.filter(brand_id=self.brand_id, external_id__in=[r[1] for r in fresh])
        }
        to_create: list[tuple[Member, ValidRow]] = []
        to_update: list[Member] = []
        changed_ids: set[int] = set()
        kept: list[tuple[Member, ValidRow]] = []
        for row in fresh:
            values = dict(zip(MEMBER_FIELDS, row[2:7], strict=True))
            member = existing.get(row[1])
            if member is None:
                member = Member(brand_id=self.brand_id, external_id=row[1], created_at=now, updated_at=now, **values)
                member.pnp_consent, member.sms_consent = row[7], row[8]
                to_create.append((member, row))
                self.phones.add(row[4])
                continue
            if member.is_erased:
                self.errors.append(_erased_error(row[0], row[1]))
                continue
            if any(getattr(member, f) != v for f, v in values.items()):
                self.phones.update({member.phone_e164, row[4]})
                if member.phone_e164 != row[4]:
                    for f, v in FLAG_RESET.items():
                        setattr(member, f, v)
                for f, v in values.items():
                    setattr(member, f, v)
                member.updated_at = now
                to_update.append(member)
                changed_ids.add(member.pk)
            kept.append((member, row))
        Member.objects.bulk_create([m for m, _ in to_create], batch_size=1000)
        if to_update:
            Member.objects.bulk_update(to_update, [*MEMBER_FIELDS, *FLAG_RESET, "updated_at"], batch_size=1000)
        consents = [c for m, row in to_create for c in self._consents(m, row, now, only_differing=False)]
        touched: set[int] = set()
        differing = [
            (m, row)
            for m, row in kept
            if any(row[i] is not None and row[i] != getattr(m, f) for _, i, f in PURPOSE_COLUMNS)
        ]
        if differing:
            recorded = set(
                Consent.objects.filter(member_id__in=[m.pk for m, _ in differing]).values_list(
                    "member_id", "purpose", "granted", "captured_at"
                )
            )
            for member, row in differing:
                for consent in self._consents(member, row, now, only_differing=True):
                    if (member.pk, consent.purpose, consent.granted, consent.captured_at) in recorded:
                        continue
                    consents.append(consent)
                    touched.add(member.pk)
        Consent.objects.bulk_create(consents, batch_size=1000)
        if touched:
            self._rederive(touched, now)
        self.created += len(to_create)
        changed_ids |= touched
        self.updated += len(changed_ids)
        self.unchanged += len(kept) - len(changed_ids)

    def _consents(self, member: Member, row: ValidRow, now: datetime, *, only_differing: bool) -> list[Consent]:
        captured_at = datetime.fromisoformat(row[11]) if row[11] else now
        result = []
        for purpose, index, field in PURPOSE_COLUMNS:
            granted: Any = row[index]
            if granted is None or (only_differing and granted == getattr(member, field)):
                continue
            result.append(
                Consent(
                    member=member,
                    purpose=purpose,
                    granted=granted,
                    source=row[9],
                    evidence=row[10],
                    captured_at=captured_at,
                    captured_by_id=self.actor_id,
                    captured_by_label=self.actor_label,
                )
            )
        return result

    def _rederive(self, member_ids: set[int], now: datetime) -> None:
        latest: dict[tuple[int, str], bool] = {}
        history = Consent.objects.filter(
            member_id__in=member_ids, purpose__in=[p for p, _, _ in PURPOSE_COLUMNS]
        ).order_by("member_id", "purpose", "-captured_at", "-id")
        for member_id, purpose, granted in history.values_list("member_id", "purpose", "granted"):
            latest.setdefault((member_id, purpose), granted)
        members = list(Member.objects.filter(pk__in=member_ids))
        for member in members:
            for purpose, _index, field in PURPOSE_COLUMNS:
                setattr(member, field, latest.get((member.pk, purpose)))
            member.updated_at = now
        Member.objects.bulk_update(members, ["pnp_consent", "sms_consent", "updated_at"], batch_size=1000)

    def finish(self) -> None:
        from members.services import members_refresh_duplicate_flags

        members_refresh_duplicate_flags(brand_id=self.brand_id, phones=self.phones)


_STAGE_COLUMNS = (
    "line, external_id, name, phone_raw, phone_e164, phone_type, phone_hash, "
    "pnp_consent, sms_consent, consent_source, consent_evidence, consent_captured_at"
)


class PostgresLoader:
    """Load rows with ``COPY`` into a staging table and upsert them set-based (PostgreSQL only)."""

    def __init__(self, *, brand_id: int, actor_id: int | None, actor_label: str) -> None:
        self.brand_id = brand_id
        self.actor_id = actor_id
        self.actor_label = actor_label
        self.created = self.updated = self.unchanged = 0
        self.errors: list[RowError] = []
        self._copy: Any = None
        self._copy_cm: Any = None
        self._cursor: Any = None

    def __enter__(self) -> PostgresLoader:
        connection.ensure_connection()
        self._cursor = connection.connection.cursor()
        # ON COMMIT DROP is not enough when the import runs inside a larger transaction.
        self._cursor.execute("DROP TABLE IF EXISTS member_stage, member_touched, member_shared_phone")
        # Room for the hash joins of a million staged rows; reset when the transaction ends.
        self._cursor.execute("SET LOCAL work_mem = '256MB'")
        # The statements below are few and big: compiling them (JIT) costs seconds and saves none.
        self._cursor.execute("SET LOCAL jit = off")
        # Foreign keys checked as each statement ends rather than queued to the commit: the same
        # checks, but a million queued checks cost far more at commit than inline.
        self._cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self._cursor.execute(
            """
            CREATE TEMP TABLE member_stage (
                line integer, external_id text, name text, phone_raw text, phone_e164 text, phone_type text,
                phone_hash text, pnp_consent boolean, sms_consent boolean, consent_source text,
                consent_evidence text, consent_captured_at timestamptz
            ) ON COMMIT DROP
            """
        )
        self._copy_cm = self._cursor.copy(f"COPY member_stage ({_STAGE_COLUMNS}) FROM STDIN")
        self._copy = self._copy_cm.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._copy_cm is not None:
            self._copy_cm.__exit__(*exc)
            self._copy_cm = None
        if self._cursor is not None:
            if exc[0] is None:
                self._cursor.execute("DROP TABLE IF EXISTS member_stage, member_touched, member_shared_phone")
                # Back to Django's default (every foreign key it creates is INITIALLY DEFERRED)
                # for whatever else the surrounding transaction does.
                self._cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            self._cursor.close()

    def add(self, rows: list[ValidRow], copy_text: bytes | None = None) -> None:
        self._copy.write(copy_text if copy_text is not None else rows_as_copy_text(rows))

    def _exec(self, sql: str, params: Any = None) -> None:
        with _timed(" ".join(sql.split())[:60]):
            self._cursor.execute(sql, params)

    def finish(self) -> None:
        with _timed("COPY into the staging table (includes waiting for the parsers)"):
            self._copy_cm.__exit__(None, None, None)
        self._copy_cm = None
        cur = self._cursor
        brand = self.brand_id
        self._exec("ANALYZE member_stage")
        # A member number twice in the file: keep the first line.
        self._exec(
            """
            WITH dup AS (
                SELECT line, external_id, min(line) OVER (PARTITION BY external_id) AS first_line
                FROM member_stage WHERE external_id IN (
                    SELECT external_id FROM member_stage GROUP BY external_id HAVING count(*) > 1)
            ), gone AS (
                DELETE FROM member_stage s USING dup WHERE s.line = dup.line AND dup.line <> dup.first_line
                RETURNING s.line, s.external_id, dup.first_line
            ) SELECT line, external_id, first_line FROM gone
            """
        )
        self.errors += [_duplicate_error(line, eid, first) for line, eid, first in cur.fetchall()]
        # Erased members stay erased.
        self._exec(
            """
            DELETE FROM member_stage s USING members_member m
            WHERE m.brand_id = %s AND m.external_id = s.external_id AND m.erased_at IS NOT NULL
            RETURNING s.line, s.external_id
            """,
            [brand],
        )
        self.errors += [_erased_error(line, eid) for line, eid in cur.fetchall()]
        self._exec("CREATE TEMP TABLE member_touched (member_id bigint, inserted boolean) ON COMMIT DROP")
        # Consent changes of members that already exist (compared before the upsert).
        params = {"brand": brand, "actor_id": self.actor_id, "actor_label": self.actor_label}
        self._exec(
            """
            WITH ins AS (
                INSERT INTO members_consent (member_id, purpose, granted, source, evidence, notice_version,
                                             captured_at, captured_by_id, captured_by_label, created_at)
                SELECT m.id, p.purpose, p.granted, s.consent_source, s.consent_evidence, '',
                       coalesce(s.consent_captured_at, now()), %(actor_id)s, %(actor_label)s, now()
                FROM member_stage s
                JOIN members_member m ON m.brand_id = %(brand)s AND m.external_id = s.external_id
                CROSS JOIN LATERAL (
                    VALUES ('pnp_notification', s.pnp_consent, m.pnp_consent),
                           ('sms_notification', s.sms_consent, m.sms_consent)
                ) AS p(purpose, granted, current)
                WHERE p.granted IS NOT NULL AND p.granted IS DISTINCT FROM p.current
                  -- the same statement with the same capture time is already on record
                  AND NOT EXISTS (
                    SELECT 1 FROM members_consent c WHERE c.member_id = m.id AND c.purpose = p.purpose
                    AND c.granted = p.granted AND c.captured_at = s.consent_captured_at)
                RETURNING member_id
            ) INSERT INTO member_touched SELECT DISTINCT member_id, false FROM ins
            """,
            params,
        )
        # Members whose data differ from the file: update (and reset the 422 flag of a new number).
        self._exec(
            """
            WITH up AS (
                UPDATE members_member AS m SET
                    name = s.name, phone_raw = s.phone_raw, phone_e164 = s.phone_e164,
                    phone_type = s.phone_type, phone_hash = s.phone_hash, updated_at = now(),
                    needs_phone_confirmation = m.needs_phone_confirmation AND m.phone_e164 = s.phone_e164,
                    phone_flag_reason = CASE WHEN m.phone_e164 = s.phone_e164 THEN m.phone_flag_reason ELSE '' END,
                    phone_flagged_at = CASE WHEN m.phone_e164 = s.phone_e164 THEN m.phone_flagged_at END,
                    phone_confirmed_at = CASE WHEN m.phone_e164 = s.phone_e164 THEN m.phone_confirmed_at END
                FROM member_stage s
                WHERE m.brand_id = %(brand)s AND m.external_id = s.external_id
                  AND (m.name, m.phone_raw, m.phone_e164, m.phone_type, m.phone_hash)
                      IS DISTINCT FROM (s.name, s.phone_raw, s.phone_e164, s.phone_type, s.phone_hash)
                RETURNING m.id
            ) INSERT INTO member_touched SELECT id, false FROM up
            """,
            params,
        )
        # New members, with their consent rows (their current state is the file's value). Ids are
        # drawn from the sequence up front, so the consent rows need no join back to the members.
        self._exec(
            """
            WITH fresh AS MATERIALIZED (
                SELECT nextval(pg_get_serial_sequence('members_member', 'id')) AS id, s.*
                FROM member_stage s
                WHERE NOT EXISTS (
                    SELECT 1 FROM members_member m WHERE m.brand_id = %(brand)s AND m.external_id = s.external_id)
            ), ins AS (
                INSERT INTO members_member (id, brand_id, external_id, name, phone_raw, phone_e164, phone_type,
                    phone_hash, pnp_consent, sms_consent, needs_phone_confirmation, phone_flag_reason,
                    duplicate_phone, created_at, updated_at)
                SELECT id, %(brand)s, external_id, name, phone_raw, phone_e164, phone_type, phone_hash,
                       pnp_consent, sms_consent, false, '', false, now(), now()
                FROM fresh
            ), consents AS (
                INSERT INTO members_consent (member_id, purpose, granted, source, evidence, notice_version,
                                             captured_at, captured_by_id, captured_by_label, created_at)
                SELECT f.id, p.purpose, p.granted, f.consent_source, f.consent_evidence, '',
                       coalesce(f.consent_captured_at, now()), %(actor_id)s, %(actor_label)s, now()
                FROM fresh f
                CROSS JOIN LATERAL (VALUES ('pnp_notification', f.pnp_consent),
                                           ('sms_notification', f.sms_consent)) AS p(purpose, granted)
                WHERE p.granted IS NOT NULL
            ) INSERT INTO member_touched SELECT id, true FROM fresh
            """,
            params,
        )
        # Re-derive the current state of existing members whose history grew.
        self._exec(
            """
            UPDATE members_member m SET pnp_consent = x.pnp, sms_consent = x.sms, updated_at = now()
            FROM (
                SELECT t.member_id,
                    (SELECT c.granted FROM members_consent c WHERE c.member_id = t.member_id
                       AND c.purpose = 'pnp_notification' ORDER BY c.captured_at DESC, c.id DESC LIMIT 1) AS pnp,
                    (SELECT c.granted FROM members_consent c WHERE c.member_id = t.member_id
                       AND c.purpose = 'sms_notification' ORDER BY c.captured_at DESC, c.id DESC LIMIT 1) AS sms
                FROM (SELECT DISTINCT member_id FROM member_touched WHERE NOT inserted) t
            ) x
            WHERE m.id = x.member_id AND (m.pnp_consent, m.sms_consent) IS DISTINCT FROM (x.pnp, x.sms)
            """
        )
        self._exec(
            """
            SELECT count(*) FILTER (WHERE inserted), count(DISTINCT member_id) FILTER (WHERE NOT inserted),
                   (SELECT count(*) FROM member_stage)
            FROM member_touched
            """
        )
        created, updated, staged = cur.fetchone()
        self.created, self.updated = created, updated
        self.unchanged = staged - created - updated
        self._refresh_duplicates()

    def _refresh_duplicates(self) -> None:
        # The numbers shared within the brand go to a small table of their own first: with the
        # members just written in this transaction, the planner's row estimates are stale, and
        # an ``IN (subquery)`` could be re-run for every member.
        params = {"brand": self.brand_id}
        self._exec(
            """
            CREATE TEMP TABLE member_shared_phone ON COMMIT DROP AS
            SELECT phone_e164 FROM members_member
            WHERE brand_id = %(brand)s AND erased_at IS NULL AND phone_e164 <> ''
            GROUP BY phone_e164 HAVING count(*) > 1
            """,
            params,
        )
        self._exec("ANALYZE member_shared_phone")
        self._exec(
            """
            UPDATE members_member m SET duplicate_phone = false
            WHERE m.brand_id = %(brand)s AND m.duplicate_phone AND (m.erased_at IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM member_shared_phone p WHERE p.phone_e164 = m.phone_e164))
            """,
            params,
        )
        self._exec(
            """
            UPDATE members_member m SET duplicate_phone = true
            FROM member_shared_phone p
            WHERE m.brand_id = %(brand)s AND NOT m.duplicate_phone AND m.erased_at IS NULL
              AND m.phone_e164 = p.phone_e164
            """,
            params,
        )
        self._exec("DROP TABLE member_shared_phone")
