"""Dev and test only: when DATABASE_URL is unset, use the embedded PostgreSQL server."""

import environ

from srp import embedded_db


def embedded_database() -> dict:
    config = environ.Env.db_url_config(embedded_db.ensure_running())
    return config
