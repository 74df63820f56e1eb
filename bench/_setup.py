"""Shared set-up for the member benchmarks: a throw-away PostgreSQL database, Django, cleanup."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_members"


def _admin_connection(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parsed = urlparse(url)
    return psycopg.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
    )


def setup_database(url: str, *, reuse: bool = False) -> bool:
    """Create a fresh benchmark database (with ``reuse``, keep one a ``--keep`` run left); point Django at it, migrate.

    Returns whether an existing database was kept.
    """
    name = urlparse(url).path.lstrip("/")
    if not name.startswith("bench"):
        sys.exit(f"refusing to use database {name!r}: benchmark databases must be named bench*")
    with _admin_connection(url) as conn:
        kept = reuse and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if not kept:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return kept


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = urlparse(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def peak_rss_mb() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024
