"""The bench database is reused only while its fingerprint holds: migrations by name and content."""

import hashlib
from pathlib import Path

from django.conf import settings

from cases.benchmark import database


def test_a_migration_counts_by_its_content_not_only_its_name(monkeypatch):
    entries = database.migrations_on_disk()
    path = Path(settings.BASE_DIR) / "cases" / "migrations" / "0015_case_search_nickname.py"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert f"cases.0015_case_search_nickname:{digest}" in entries
    before = database.fingerprint(cases=1000, loader_version=2)
    assert before == database.fingerprint(cases=1000, loader_version=2)
    edited = [entry.replace(digest, "0" * 16) for entry in entries]
    monkeypatch.setattr(database, "migrations_on_disk", lambda: edited)
    assert database.fingerprint(cases=1000, loader_version=2) != before
