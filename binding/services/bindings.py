"""Binding a member's phone number to their LINE account: proofs, consent, the link itself.

A binding needs two things (DOMAIN.md, "Rules"): proof that the LINE user is the member
(a bind link the member received on their phone, or a one-time password sent to it) and the
member's consent to the binding, recorded as a ``line_binding`` consent in the same
transaction as the binding.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from binding.choices import BindingMetric, BindMethod, TokenKind
from binding.exceptions import (
    BindingError,
    BindingNotConfiguredError,
    LineUserNotFriendError,
    LineUserUnverifiedError,
    OtpError,
    OtpRateLimitedError,
    TokenGoneError,
    TokenInvalidError,
)
from binding.links import UID_RE, BindToken, settings_for, token_verify
from binding.models import BindingSettings, BindOtp, UsedBindToken
from binding.stats import binding_stat_add
from integrations import line as line_client
from members.choices import ConsentPurpose, ConsentSource
from members.models import LineLink, Member, UnlinkedLineFollower
from members.services import consent_record, line_link_bind, line_link_unbind
from notifications.services import SendRequest, notification_accept
from portal.services import Actor, audit_record

OTP_VARIABLE = "otp_code"
OTP_TTL = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
# Per member: a code costs the brand a message and nags the member; three in 15 minutes is plenty.
OTP_SENDS_PER_WINDOW = 3
OTP_WINDOW = timedelta(minutes=15)


def _masked_uid(uid: str) -> str:
    return f"{uid[:5]}…{uid[-4:]}" if uid else ""


@transaction.atomic
def binding_settings_save(*, binding: BindingSettings, actor: Actor) -> BindingSettings:
    """Validate and save a brand's binding settings, with an audit row."""
    created = binding.pk is None
    binding.full_clean()
    binding.save()
    audit_record(
        action="binding_settings.created" if created else "binding_settings.updated",
        actor=actor,
        obj=binding,
        brand=binding.brand,
        data={
            "page_url_template": binding.page_url_template,
            "otp_template_code": binding.otp_template_code,
            "welcome_template_code": binding.welcome_template_code,
        },
    )
    return binding


@transaction.atomic
def binding_settings_remove(*, binding: BindingSettings, actor: Actor) -> None:
    """Remove a brand's binding settings (no more bind links or welcomes), with an audit row."""
    audit_record(action="binding_settings.removed", actor=actor, obj=binding, brand=binding.brand)
    binding.delete()


# --- One-time passwords ------------------------------------------------------------------------


def _code_hash(*, salt: str, member_id: int, code: str) -> str:
    message = f"{salt}:{member_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def otp_send(*, member: Member, actor: Actor, now: datetime | None = None) -> BindOtp:
    """Send the member a new 6-digit code through the brand's approved OTP template.

    The code goes out through the normal send pipeline (PNP or LINE push, SMS after it, as the
    template's channels and urgency decide). A newer code replaces older ones. Raises
    :class:`OtpRateLimitedError` after ``OTP_SENDS_PER_WINDOW`` codes in ``OTP_WINDOW``.
    """
    binding = settings_for(member.brand)
    if binding is None or not binding.otp_template_code:
        raise BindingNotConfiguredError(
            _("The brand has no OTP template configured for binding (Binding settings › OTP template)."),
            field="otp",
        )
    now = now or timezone.now()
    with transaction.atomic():
        # One member's sends are serialised, so the count below cannot be raced.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        recent = list(
            BindOtp.objects.filter(member=member, created_at__gt=now - OTP_WINDOW)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:OTP_SENDS_PER_WINDOW]
        )
        if len(recent) >= OTP_SENDS_PER_WINDOW:
            retry_after = max(1, math.ceil((recent[-1] + OTP_WINDOW - now).total_seconds()))
            raise OtpRateLimitedError(
                retry_after=retry_after, limit=OTP_SENDS_PER_WINDOW, minutes=int(OTP_WINDOW.total_seconds() // 60)
            )
        BindOtp.objects.filter(member=member, used_at__isnull=True, replaced_at__isnull=True).update(replaced_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        otp = BindOtp.objects.create(
            member=member,
            code_hash=_code_hash(salt=salt, member_id=member.pk, code=code),
            salt=salt,
            expires_at=now + OTP_TTL,
        )
        BindOtp.objects.filter(pk=otp.pk).update(created_at=now)
        notification = notification_accept(
            brand=member.brand,
            request=SendRequest(
                template=binding.otp_template_code,
                member=member.external_id,
                variables={OTP_VARIABLE: code},
                occurred_at=now,
            ),
            submitted_by="binding:otp",
        )
        otp.notification = notification
        otp.save(update_fields=["notification"])
        binding_stat_add(brand_id=member.brand_id, metric=BindingMetric.OTP_SENT, at=now)
        audit_record(action="line_binding.otp_sent", actor=actor, obj=member, data={"notification_id": notification.pk})
    return otp


def _otp_check(*, member: Member, code: str, now: datetime) -> BindOtp:
    """Return the member's open code if ``code`` matches; count a wrong try (committed) and raise."""
    wrong: OtpError | None = None
    with transaction.atomic():
        otp = (
            BindOtp.objects.select_for_update()
            .filter(member=member, used_at__isnull=True, replaced_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if otp is None:
            raise OtpError(
                _("No one-time password is waiting for this member; request one with POST …/line-binding/otp."),
                code="otp_not_requested",
            )
        if otp.expires_at <= now:
            raise OtpError(
                _("The one-time password has expired (codes last 5 minutes); request a new one."),
                code="otp_expired",
                status_code=410,
            )
        if otp.attempts >= OTP_MAX_ATTEMPTS:
            raise OtpError(
                _("Too many wrong codes; request a new one-time password."), code="otp_locked", status_code=410
            )
        expected = _code_hash(salt=otp.salt, member_id=member.pk, code=code)
        if not hmac.compare_digest(expected, otp.code_hash):
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
            left = OTP_MAX_ATTEMPTS - otp.attempts
            if left:
                wrong = OtpError(
                    _("The one-time password is wrong; %(left)d tries left.") % {"left": left}, code="otp_wrong"
                )
            else:
                wrong = OtpError(
                    _("The one-time password is wrong, and that was the last try; request a new one."),
                    code="otp_locked",
                    status_code=410,
                )
    if wrong is not None:
        raise wrong  # after the commit: the wrong try stays counted
    return otp


# --- Binding -------------------------------------------------------------------------------------


def _token_for(*, member: Member, token: str, uid: str, otp: str, binding: BindingSettings | None) -> BindToken:
    if binding is None:
        raise BindingNotConfiguredError(
            _("The brand has no binding page configured, so it has issued no bind links."), field="token"
        )
    proof = token_verify(token=token, brand=member.brand, valid_for=timedelta(days=binding.link_valid_days))
    if proof.kind == TokenKind.MEMBER and proof.member_id != member.pk:
        raise TokenInvalidError(_("This bind link was sent to another member."))
    if proof.kind == TokenKind.FOLLOWER:
        if proof.uid != uid:
            raise BindingError(
                _("This bind link was sent to another LINE user; give the LINE user id of the person who opened it."),
                field="uid",
                code="uid_mismatch",
            )
        if not otp:
            raise OtpError(
                _(
                    "A welcome-message link proves the LINE account, not the member: confirm the member with a "
                    "one-time password (POST …/line-binding/otp, then give otp)."
                ),
                code="otp_required",
            )
    return proof


def _verified_uid(*, binding: BindingSettings | None, id_token: str, uid: str) -> tuple[str, str]:
    """Return the LINE user id and who vouched for it: LINE (the ID token) or the brand's backend."""
    if id_token:
        if binding is None or not binding.login_channel_id:
            raise BindingNotConfiguredError(
                _("Set the LINE Login channel ID of the binding page's LIFF app in the binding settings."),
                field="id_token",
                code="login_channel_not_configured",
            )
        try:
            claims = line_client.id_token_verify(id_token=id_token, client_id=binding.login_channel_id)
        except line_client.LineIdTokenInvalidError as exc:
            raise LineUserUnverifiedError(
                _("LINE did not accept the ID token (%(reason)s); get a fresh one with liff.getIDToken() and retry.")
                % {"reason": exc},
                code="id_token_invalid",
            ) from None
        except line_client.LineError:
            raise LineUserUnverifiedError(
                _("LINE could not be asked who the ID token names; nothing was bound, try again shortly."),
                code="line_unavailable",
                status_code=503,
            ) from None
        if uid and uid != claims.user_id:
            raise BindingError(
                _("The uid is not the LINE user the ID token names; send the ID token alone."),
                field="uid",
                code="uid_mismatch",
            )
        return claims.user_id, "line_id_token"
    if not uid:
        raise LineUserUnverifiedError(
            _("Give the LIFF ID token (liff.getIDToken()) so the portal can ask LINE who the member is."),
            code="id_token_required",
        )
    if binding is None or not binding.backend_verifies_uid:
        raise LineUserUnverifiedError(
            _(
                "A LINE user id alone does not show who the member is: give the LIFF ID token, or, if your "
                "backend verifies it with LINE, turn on 'the brand's backend verifies the LINE user'."
            ),
            code="id_token_required",
        )
    return uid, "brand_backend"


def _friend_check(*, brand_id: int, uid: str) -> None:
    """Refuse a LINE user who is not a friend of the brand's account, or who blocked it."""
    states = [
        *LineLink.objects.filter(brand_id=brand_id, uid=uid).values_list("is_friend", "is_blocked"),
        *UnlinkedLineFollower.objects.filter(brand_id=brand_id, uid=uid).values_list("is_friend", "is_blocked"),
    ]
    if any(friend and not blocked for friend, blocked in states):
        return
    if any(blocked for _friend, blocked in states):
        raise LineUserNotFriendError(
            _("This LINE user has blocked the brand's account; they must unblock it before binding."),
            code="uid_blocked",
        )
    raise LineUserNotFriendError(
        _(
            "This LINE user has not added the brand's account as a friend; binding is completed by adding it "
            "(the bind link offers it). Ask the member to add the account, then try again."
        ),
        code="uid_not_friend",
    )


def line_binding_confirm(
    *,
    member: Member,
    evidence: str,
    notice_version: str,
    actor: Actor,
    uid: str = "",
    id_token: str = "",
    token: str = "",
    otp: str = "",
    captured_at: datetime | None = None,
) -> LineLink:
    """Bind the member to a LINE user on the proof of a bind link or a one-time password.

    Who the LINE user is comes from the LIFF ID token, verified with LINE (``id_token``), or,
    where the brand's settings say its backend verified it, from ``uid`` alone; the audit row
    says which. The user must be a friend of the brand's account and not have blocked it.
    Records the ``line_binding`` consent (source API) and the binding in one transaction;
    the token or code is spent in that same transaction. Raises a ``BindingError`` naming the
    field at fault, or ``LineUidTakenError`` (409) when the UID is bound to another member.
    """
    if uid and not UID_RE.match(uid):
        raise BindingError(
            _("Give the LINE user id: 'U' followed by 32 lowercase hex characters."), field="uid", code="uid_invalid"
        )
    if not token and not otp:
        raise BindingError(
            _("Give the bind link's token, or a one-time password sent to the member (otp)."),
            field="token",
            code="proof_missing",
        )
    binding = settings_for(member.brand)
    uid, verified_by = _verified_uid(binding=binding, id_token=id_token, uid=uid)
    _friend_check(brand_id=member.brand_id, uid=uid)
    now = timezone.now()
    proof = None
    if token:
        proof = _token_for(member=member, token=token, uid=uid, otp=otp, binding=binding)
    otp_row = _otp_check(member=member, code=otp, now=now) if otp else None
    with transaction.atomic():
        consent = consent_record(
            member=member,
            purpose=ConsentPurpose.LINE_BINDING,
            granted=True,
            source=ConsentSource.API,
            evidence=evidence,
            notice_version=notice_version,
            captured_at=captured_at,
            actor=actor,
        )
        link = line_link_bind(member=member, uid=uid, consent=consent, actor=actor)
        if proof is not None:
            try:
                with transaction.atomic():
                    UsedBindToken.objects.create(
                        brand_id=member.brand_id, token_hash=proof.token_hash, kind=proof.kind, member=member
                    )
            except IntegrityError:
                raise TokenGoneError(used=True) from None
        if otp_row is not None and not BindOtp.objects.filter(pk=otp_row.pk, used_at__isnull=True).update(used_at=now):
            raise OtpError(_("This one-time password was already used."), code="otp_used", status_code=410)
        binding_stat_add(brand_id=member.brand_id, metric=BindingMetric.BOUND, at=now)
        methods = [m for m, used in ((BindMethod.TOKEN, proof), (BindMethod.OTP, otp_row)) if used is not None]
        audit_record(
            action="line_binding.confirmed",
            actor=actor,
            obj=member,
            data={
                "methods": methods,
                "uid": _masked_uid(uid),
                "uid_verified_by": verified_by,
                "consent_id": consent.pk,
            },
        )
    return link


@transaction.atomic
def line_binding_remove(*, member: Member, actor: Actor, reason: str = "") -> LineLink | None:
    """Unbind the member's LINE account (the consent history is left as it is)."""
    was_bound = LineLink.objects.filter(member=member, bound_at__isnull=False).exists()
    link = line_link_unbind(member=member, actor=actor, reason=reason)
    if was_bound:
        binding_stat_add(brand_id=member.brand_id, metric=BindingMetric.UNBOUND)
    return link
