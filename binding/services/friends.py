"""The friend list kept with LINE: who follows the brand's LINE account, read from LINE's follower ids.

LINE's rules ask a brand to keep its friend list with the follower ids API plus follow and
unfollow events. Events keep it current from go-live on; a sync (on demand at go-live, then
daily) catches the friends from before go-live and any event that was missed. LINE lists
the users who follow the account now (a user who blocked it is not listed), so a known user
who is not listed is no longer a friend; whether they blocked the account stays as the
events said.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.db import transaction

from integrations import line as line_client
from members.services import line_friends_mark
from portal.actors import Actor
from portal.models import Brand
from portal.services import audit_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FriendSync:
    """What one sync found and changed; ``available`` is False when LINE refused the API (403)."""

    available: bool
    followers: int = 0
    bound_now_friends: int = 0
    bound_no_longer_friends: int = 0
    followers_added: int = 0
    followers_no_longer_friends: int = 0


def line_friends_sync(*, brand: Brand, actor: Actor) -> FriendSync:
    """Read every follower id of the brand's LINE account and mark each known LINE user friend or not.

    One request per page of 1,000 ids, one page after another (LINE allows 2,000 requests a
    second on this endpoint). Raises :class:`~integrations.line.LineError` when LINE cannot be
    read (nothing is changed then); an account LINE does not give the list to (403: neither
    verified nor premium) is recorded as "not available".
    """
    try:
        followers = set(
            line_client.followers_ids(
                access_token=brand.channel_access_token.reveal(), limit=line_client.FOLLOWERS_PAGE_LIMIT
            )
        )
    except line_client.LineNotAvailableError:
        result = FriendSync(available=False)
        audit_record(action="line_friends.synced", actor=actor, obj=brand, data=asdict(result))
        return result
    with transaction.atomic():
        marked = line_friends_mark(brand=brand, followers=followers)
        result = FriendSync(available=True, followers=len(followers), **marked)
        audit_record(action="line_friends.synced", actor=actor, obj=brand, data=asdict(result))
    logger.info("LINE friends of %s synced: %s", brand.slug, result)
    return result


def line_friends_sync_all(*, actor: Actor = "system") -> dict[str, str]:
    """Sync every active brand with a LINE channel (beat, daily); one brand's failure does not stop the others."""
    outcome: dict[str, str] = {}
    for brand in Brand.objects.filter(is_active=True).exclude(line_channel_id="").order_by("slug"):
        try:
            result = line_friends_sync(brand=brand, actor=actor)
        except line_client.LineError as exc:
            logger.warning("LINE friends of %s not synced: %s", brand.slug, exc)
            outcome[brand.slug] = f"error: {exc}"
        else:
            outcome[brand.slug] = f"{result.followers} followers" if result.available else "not available"
    return outcome
