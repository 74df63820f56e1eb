"""Model fields for secrets that must be encrypted at rest."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Secret:
    """A decrypted secret that never shows itself in ``str()``, ``repr()`` or logs.

    Code that really needs the value (the LINE client signing a request) calls
    :meth:`reveal`; everything else, including tracebacks, sees ``********``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the plain secret."""
        return self._value

    def __str__(self) -> str:
        return "********"

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY holds an invalid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    """Return the cipher for the configured keys (the first encrypts, all decrypt)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedSecretField(models.TextField):
    """A text column holding a Fernet token; Python code sees a :class:`Secret`.

    Fernet tokens are randomised, so the column can be neither indexed nor searched.
    """

    _pyi_private_set_type: Secret | str  # type: ignore[assignment]
    _pyi_private_get_type: Secret  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret:
        if not value:
            return Secret("")
        try:
            return Secret(fernet().decrypt(value.encode()).decode())
        except InvalidToken:
            raise ImproperlyConfigured(
                "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY; "
                "add the key it was written with to the list."
            ) from None

    def to_python(self, value: Any) -> Secret:
        if isinstance(value, Secret):
            return value
        return Secret(value or "")

    def get_prep_value(self, value: Any) -> str:
        plain = value.reveal() if isinstance(value, Secret) else (value or "")
        if not plain:
            return ""
        return fernet().encrypt(plain.encode()).decode()

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata, exports) never see the plain value.
        return ""
