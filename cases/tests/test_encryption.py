"""Encryption at rest of ClientIdentity (srp/crypto.py, cases/fields.py): round trip, ciphertext
in the columns, key rotation, wrong and missing keys, the blind index, the data migration."""

import datetime as dt
import importlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from cases.models import IDENTITY_FIELDS, ClientIdentity
from cases.selectors import possible_duplicates
from cases.tests.factories import ClientFactory, ClientIdentityFactory
from srp import crypto

pytestmark = pytest.mark.django_db

KEY_OLD, KEY_NEW, KEY_WRONG = (Fernet.generate_key().decode() for _ in range(3))
DETAILS = {
    "legal_name": "Zhao Quartzlight",
    "phone": "+32 470 55 66 77",
    "messenger_id": "wxid_Quartz_2026",
    "address": "Rue de la Quartzlumière 17\n1000 Bruxelles",
    "date_of_birth": dt.date(1991, 4, 23),
    "id_document_number": "QZ9876543",
}


def raw_row(pk) -> dict:
    """The identity's columns exactly as stored."""
    columns = [*IDENTITY_FIELDS, "phone_index", "messenger_index"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM cases_clientidentity WHERE id = %s", [pk])  # noqa: S608
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_identifying_details_round_trip_and_are_stored_only_as_ciphertext():
    identity = ClientIdentityFactory(**DETAILS)
    loaded = ClientIdentity.objects.get(pk=identity.pk)
    assert {name: getattr(loaded, name) for name in IDENTITY_FIELDS} == DETAILS
    stored = raw_row(identity.pk)
    for name in IDENTITY_FIELDS:
        assert stored[name].startswith(crypto.FERNET_PREFIX), name
        assert str(DETAILS[name]) not in stored[name]
    # The date is kept as ISO text inside the token.
    assert crypto.decrypt(stored["date_of_birth"]) == "1991-04-23"
    # The blind indexes are keyed hashes, not the handle.
    assert len(stored["phone_index"]) == 64
    assert "470" not in stored["phone_index"]


def test_empty_details_stay_empty_and_dates_may_be_null():
    identity = ClientIdentityFactory(legal_name="", phone="", messenger_id="", address="", date_of_birth=None)
    stored = raw_row(identity.pk)
    assert (stored["phone"], stored["date_of_birth"], stored["phone_index"]) == ("", None, "")
    assert ClientIdentity.objects.get(pk=identity.pk).date_of_birth is None


def test_each_save_encrypts_afresh():
    """Fernet tokens carry a random IV: equal details give unequal ciphertext (no frequency leaks)."""
    first = ClientIdentityFactory(legal_name="Same Name")
    second = ClientIdentityFactory(legal_name="Same Name")
    assert raw_row(first.pk)["legal_name"] != raw_row(second.pk)["legal_name"]


def test_rotation_re_encrypts_under_the_newest_key_and_the_old_key_can_then_go():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_OLD]):
        identities = [ClientIdentityFactory(**DETAILS | {"client": ClientFactory()}) for _ in range(3)]
        index_before = raw_row(identities[0].pk)["phone_index"]
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_NEW, KEY_OLD]):
        # Old data stays readable while both keys are listed.
        assert ClientIdentity.objects.get(pk=identities[0].pk).legal_name == DETAILS["legal_name"]
        out = StringIO()
        call_command("rotate_field_keys", batch_size=2, stdout=out)
        assert "Re-encrypted 3 client identities under the newest key; 0 already were." in out.getvalue()
        stored = raw_row(identities[0].pk)
        assert Fernet(KEY_NEW).decrypt(stored["legal_name"].encode()).decode() == DETAILS["legal_name"]
        assert stored["phone_index"] == index_before  # the blind index does not depend on these keys
        out = StringIO()
        call_command("rotate_field_keys", stdout=out)
        assert "Re-encrypted 0 client identities under the newest key; 3 already were." in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_NEW]):
        loaded = ClientIdentity.objects.get(pk=identities[2].pk)
        assert {name: getattr(loaded, name) for name in IDENTITY_FIELDS} == DETAILS


def test_a_wrong_key_is_a_clear_error_never_garbage():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_OLD]):
        identity = ClientIdentityFactory(legal_name="Zhao Quartzlight")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_WRONG]):
        with pytest.raises(crypto.FieldEncryptionError, match="FIELD_ENCRYPTION_KEYS"):
            ClientIdentity.objects.get(pk=identity.pk)
        with pytest.raises(CommandError, match=rf"#{identity.pk} \(legal_name\).*FIELD_ENCRYPTION_KEYS"):
            call_command("rotate_field_keys", stdout=StringIO())
        errors = crypto.check_field_keys_open_stored_data(databases=["default"])
        assert [error.id for error in errors] == ["srp.E003"]
        assert "FIELD_ENCRYPTION_KEYS" in errors[0].msg
    # Nothing was changed by the failed rotation.
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_OLD]):
        assert ClientIdentity.objects.get(pk=identity.pk).legal_name == "Zhao Quartzlight"
        assert crypto.check_field_keys_open_stored_data(databases=["default"]) == []


@pytest.mark.parametrize(
    ("keys", "message"),
    [([], "FIELD_ENCRYPTION_KEYS is not set"), ([KEY_NEW, "not-a-key"], "key number 2 is not a Fernet key")],
    ids=["missing", "malformed"],
)
def test_a_missing_or_malformed_key_fails_the_system_check_and_every_use(keys, message):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys):
        errors = crypto.check_field_keys()
        assert [error.id for error in errors] == ["srp.E001"]
        assert message in errors[0].msg
        with pytest.raises(crypto.FieldEncryptionError, match=message):
            ClientIdentityFactory(legal_name="Zhao Quartzlight")
        with pytest.raises(CommandError, match=message):
            call_command("rotate_field_keys", stdout=StringIO())


def test_a_short_blind_index_key_fails_the_system_check():
    with override_settings(FIELD_BLIND_INDEX_KEY="short"):
        assert [error.id for error in crypto.check_field_keys()] == ["srp.E002"]


def test_rotate_field_keys_can_make_a_key_and_refuses_a_bad_batch_size():
    out = StringIO()
    call_command("rotate_field_keys", new_key=True, stdout=out)
    Fernet(out.getvalue().strip())  # a valid key
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("rotate_field_keys", batch_size=0)


def test_the_duplicate_check_matches_a_phone_or_handle_through_the_blind_index(world):
    ClientIdentityFactory(client=world.case_a.client, phone="+32 470 55 66 77", messenger_id="wxid_Quartz_2026")

    def matches(handle):
        return possible_duplicates(user=world.intake_a, region=world.brussels, contact_handle=handle)

    assert matches("0032-470-556677") == [world.case_a]
    assert matches("(+32) 470.55.66.77") == [world.case_a]
    assert matches(" WXID_quartz_2026 ") == [world.case_a]
    assert matches("+32 470 55 66 78") == []
    assert matches("wxid_quartz_2027") == []
    # Another index key gives other hashes: without the NGO's key, a phone cannot be looked up.
    with override_settings(FIELD_BLIND_INDEX_KEY="another-blind-index-key-0123456789-abcdef"):
        assert matches("+32 470 55 66 77") == []


def test_the_data_migration_encrypts_plaintext_rows_and_can_undo_it():
    identity = ClientIdentityFactory(**DETAILS)
    plain = {name: str(value) for name, value in DETAILS.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_clientidentity SET legal_name=%s, phone=%s, messenger_id=%s, address=%s, "
            "date_of_birth=%s, id_document_number=%s, phone_index='', messenger_index='' WHERE id=%s",
            [*(plain[name] for name in IDENTITY_FIELDS), identity.pk],
        )
    migration = importlib.import_module("cases.migrations.0007_identity_encryption")
    with connection.schema_editor() as editor:
        migration.encrypt_existing(None, editor)
    stored = raw_row(identity.pk)
    assert all(stored[name].startswith(crypto.FERNET_PREFIX) for name in IDENTITY_FIELDS)
    assert stored["phone_index"] == crypto.blind_index("phone", DETAILS["phone"])
    assert stored["messenger_index"] == crypto.blind_index("messenger", DETAILS["messenger_id"])
    loaded = ClientIdentity.objects.get(pk=identity.pk)
    assert {name: getattr(loaded, name) for name in IDENTITY_FIELDS} == DETAILS
    # Running it again changes nothing already encrypted; undoing it gives the plaintext back.
    with connection.schema_editor() as editor:
        migration.encrypt_existing(None, editor)
        assert raw_row(identity.pk)["legal_name"] == stored["legal_name"]
        migration.decrypt_existing(None, editor)
    assert {name: raw_row(identity.pk)[name] for name in IDENTITY_FIELDS} == plain


def test_reindex_recomputes_the_blind_indexes_under_a_new_index_key(world):
    ClientIdentityFactory(client=world.case_a.client, phone="+32 470 55 66 77")
    new_index_key = "a-new-blind-index-key-0123456789-abcdefghij"
    with override_settings(FIELD_BLIND_INDEX_KEY=new_index_key):
        assert possible_duplicates(user=world.intake_a, region=world.brussels, contact_handle="+32470556677") == []
        out = StringIO()
        call_command("rotate_field_keys", reindex=True, stdout=out)
        assert "Recomputed the blind indexes of 1 client identities." in out.getvalue()
        found = possible_duplicates(user=world.intake_a, region=world.brussels, contact_handle="+32470556677")
        assert found == [world.case_a]
    assert world.case_a.client.identity.history.count() == 1  # no history row for a re-index
