"""Binding's writes: the binding settings, one-time passwords, binding and unbinding a LINE user,
and the welcome message a new, unbound friend receives.

``bindings`` holds the member's side (settings, OTP, confirm, remove); ``welcome`` the
follower's side (queue on follow, send once). What other modules call is in ``__all__``.
"""

from binding.services.bindings import (
    binding_settings_remove,
    binding_settings_save,
    line_binding_confirm,
    line_binding_remove,
    otp_send,
)
from binding.services.friends import FriendSync, line_friends_sync, line_friends_sync_all
from binding.services.welcome import (
    WelcomeRetryLater,
    welcome_follow_apply,
    welcome_on_follow,
    welcome_send,
    welcomes_requeue,
)

__all__ = [
    "FriendSync",
    "WelcomeRetryLater",
    "binding_settings_remove",
    "binding_settings_save",
    "line_binding_confirm",
    "line_binding_remove",
    "line_friends_sync",
    "line_friends_sync_all",
    "otp_send",
    "welcome_follow_apply",
    "welcome_on_follow",
    "welcome_send",
    "welcomes_requeue",
]
