"""Outbound HTTP to LINE and SMS vendors: the only modules that import ``requests``."""
