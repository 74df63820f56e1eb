"""Domain errors raised by the portal's services."""


class PortalError(Exception):
    """Base class: a request the portal refuses, with a message a person can act on."""


class BrandNotFoundError(PortalError):
    """No brand with that slug, or not one the caller may see."""
