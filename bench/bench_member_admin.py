"""Member changelist at 1,000,000 members: the portal's admin against Django's default ModelAdmin.

Usage: python bench/bench_member_admin.py [--members 1000000] [--repeat 20] [--database-url URL]
Creates its own database (default bench_members_admin), drops it at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _results import result
from _setup import drop_database, peak_rss_mb, setup_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_members_admin"

POPULATE = """
INSERT INTO members_member (brand_id, external_id, name, phone_raw, phone_e164, phone_type, phone_hash,
    pnp_consent, sms_consent, needs_phone_confirmation, phone_flag_reason, duplicate_phone, created_at, updated_at)
SELECT CASE WHEN i %% 10 = 0 THEN %(small)s ELSE %(big)s END,
       'M' || lpad(i::text, 8, '0'), 'Member ' || i, '09' || lpad(i::text, 8, '0'),
       '+8869' || lpad(i::text, 8, '0'), 'mobile',
       encode(sha256(convert_to('+8869' || lpad(i::text, 8, '0'), 'UTF8')), 'hex'),
       CASE i %% 5 WHEN 0 THEN NULL WHEN 1 THEN false ELSE true END,
       CASE i %% 3 WHEN 0 THEN true ELSE NULL END,
       i %% 997 = 0, '', i %% 1009 = 0, now(), now()
FROM generate_series(1, %(n)s) AS i
"""


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    setup_database(args.database_url)
    try:
        from django.contrib.auth.models import User
        from django.db import connection
        from django.test import Client, override_settings
        from django.test.utils import CaptureQueriesContext

        from portal.models import Brand

        big = Brand.objects.create(name="Big", slug="big")
        small = Brand.objects.create(name="Small", slug="small")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(POPULATE, {"big": big.pk, "small": small.pk, "n": args.members})
            cursor.execute("VACUUM ANALYZE members_member")
        print(f"{args.members:,} members created in {time.perf_counter() - started:.0f} s")
        user = User.objects.create_superuser("bench", password="bench-password-123")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)

        pages = {
            "page 1": {},
            "filter (PNP consent withdrawn)": {"pnp_consent__exact": "0"},
            "phone search": {"q": "0900-000-123"},
            "page 100": {"p": "100"},
        }
        reference_query = {"phone search": {"q": "+886900000123"}}
        rows = []
        with override_settings(ROOT_URLCONF="_admin_urls", ALLOWED_HOSTS=["localhost"]):
            for label, query in pages.items():
                timings: dict[str, list[float]] = {"ours": [], "reference": []}
                queries = 0
                for site in ("ours", "reference"):
                    url = "/admin/members/member/" if site == "ours" else "/reference/members/member/"
                    params = reference_query.get(label, query) if site == "reference" else query
                    response = client.get(url, params)  # warm-up
                    assert response.status_code == 200, (site, label, response.status_code)
                    for _ in range(args.repeat):
                        with CaptureQueriesContext(connection) as captured:
                            started = time.perf_counter()
                            response = client.get(url, params)
                            timings[site].append((time.perf_counter() - started) * 1000)
                        if site == "ours":
                            queries = max(queries, len(captured.captured_queries))
                    if site == "ours" and label == "phone search":
                        assert b"M00000123" in response.content
                ours, reference = p95(timings["ours"]), p95(timings["reference"])
                medians = statistics.median(timings["ours"]), statistics.median(timings["reference"])
                rows.append((label, ours, reference, queries, *medians))

        print(f"{'page':34} {'ours p95':>10} {'reference p95':>14} {'ratio':>7} {'queries':>8}   (medians)")
        for label, ours, reference, queries, ours_median, reference_median in rows:
            print(
                f"{label:34} {ours:8.0f}ms {reference:12.0f}ms {reference / ours:6.1f}x {queries:8d}"
                f"   ({ours_median:.0f} ms / {reference_median:.0f} ms)"
            )
        worst = max(r[1] for r in rows)
        worst_reference = max(r[2] for r in rows)
        result(
            bench="member_admin",
            figure="member admin pages, worst p95",
            ours=worst,
            unit="ms",
            reference=worst_reference,
            reference_label="Django's default changelist, worst p95",
            ratio=worst_reference / worst,
            target="< 150 ms, <= 10 queries a page",
            met=worst < 150 and max(r[3] for r in rows) <= 10,
        )
        print(
            f"ours: worst p95 {worst:.0f} ms (target < 150 ms); at most {max(r[3] for r in rows)} queries a page "
            f"(target <= 10); peak RSS {peak_rss_mb():.0f} MB"
        )
    finally:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
