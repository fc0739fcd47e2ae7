"""Many cases fast, for the tests that prove a page costs the same at 100 or 10,000 cases: one
INSERT … SELECT over generate_series for the clients and one for their cases (no history rows, no
factories one by one). Invented data only."""

from django.db import connection
from django.utils import timezone

from cases.models import Client, RiskLevel

OPEN_UNSTAFFED = ["new", "triaged"]
STAFFED = ["assigned", "active", "on_hold"]


def insert_cases(region, n: int, *, person_in_charge=None, statuses=None, nickname: str = "Bulk") -> None:
    """`n` cases of `region` with a client each, received over the last days, their statuses
    cycling through `statuses` (new/triaged without a person in charge, else the staffed ones),
    their risk levels through every level and their next follow-ups around now."""
    statuses = statuses or (STAFFED if person_in_charge else OPEN_UNSTAFFED)
    year = timezone.now().year
    defaults = {
        name: Client._meta.get_field(name).get_default()
        for name in ("age_band", "residence_status", "city", "code_word", "safe_contact_times")
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MAX(number), 0) FROM cases_case WHERE country = %s AND year = %s",
            [region.country.code, year],
        )
        (first,) = cursor.fetchone()
        cursor.execute(
            """
            WITH clients AS (
                INSERT INTO cases_client (nickname, preferred_languages, age_band, city, residence_status,
                                          safe_contact_channel, safe_contact_times, code_word, created_at)
                SELECT %(nickname)s || ' ' || (%(first)s + g), ARRAY['cmn'], %(age_band)s, %(city)s,
                       %(residence_status)s, 'wechat', %(safe_contact_times)s, %(code_word)s, now()
                FROM generate_series(1, %(n)s) AS g
                RETURNING id
            ), numbered AS (
                SELECT id AS client_id, %(first)s + row_number() OVER (ORDER BY id) AS number FROM clients
            )
            INSERT INTO cases_case (reference, country, year, number, channel, received_at, status,
                                    status_changed_at, closure_reason, risk_level, next_follow_up_due,
                                    created_at, updated_at, person_in_charge_id, region_id, client_id)
            SELECT %(country)s || '-' || %(year)s || '-' || lpad(number::text, 5, '0'), %(country)s, %(year)s,
                   number, 'wechat', now() - number * interval '1 minute',
                   (%(statuses)s::text[])[1 + number %% %(n_statuses)s], now(), '',
                   (%(risks)s::text[])[1 + number %% %(n_risks)s],
                   now() + (number %% 30 - 15) * interval '1 day', now(), now(), %(person)s, %(region)s, client_id
            FROM numbered
            """,
            {
                **defaults,
                "nickname": nickname,
                "first": first,
                "n": n,
                "country": region.country.code,
                "year": year,
                "statuses": list(statuses),
                "n_statuses": len(statuses),
                "risks": list(RiskLevel.values),
                "n_risks": len(RiskLevel.values),
                "person": person_in_charge.pk if person_in_charge else None,
                "region": region.pk,
            },
        )
