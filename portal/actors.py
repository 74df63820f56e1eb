"""Who acted: the one way every app names the user, API key or task behind a change.

An audit row, a consent's ``captured_by_label``, an application's timeline and a
notification's ``submitted_by`` all carry the same label for the same actor, so one API key
reads ``api-key:<prefix>`` wherever it appears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework.request import Request

from portal.api.authentication import request_api_key
from portal.models import BrandAPIKey

if TYPE_CHECKING:
    # The stubs type every foreign key to a user as auth.User, the project's user model.
    from django.contrib.auth.models import User

# A user, a brand's API key, a task or process named by a string ("task:<name>", "system"),
# or nobody (an anonymous user counts as nobody).
Actor = AbstractBaseUser | AnonymousUser | BrandAPIKey | str | None

SYSTEM = "system"


def request_actor(request: HttpRequest | Request) -> Actor:
    """Return who made a request: the API key it was authenticated with, else its user."""
    return request_api_key(request) or getattr(request, "user", None)


def actor_user(actor: Actor) -> User | None:
    """Return the signed-in user behind an actor, or None for a key, a task or nobody."""
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return cast("User", actor)
    return None


def actor_label(actor: Actor | HttpRequest | Request) -> str:
    """Name an actor: a username, ``api-key:<prefix>``, a task's own name, or ``system``."""
    if isinstance(actor, HttpRequest | Request):
        actor = request_actor(actor)
    if isinstance(actor, BrandAPIKey):
        return f"api-key:{actor.prefix}"
    if isinstance(actor, str):
        return actor or SYSTEM
    user = actor_user(actor)
    return user.get_username() if user is not None else SYSTEM


__all__ = ["SYSTEM", "Actor", "actor_label", "actor_user", "request_actor"]
