"""Encryption at rest for identifying details, with keys the NGO holds apart from SECRET_KEY.

- `FIELD_ENCRYPTION_KEYS`: Fernet keys (AES-128-CBC + HMAC-SHA256), newest first. The newest
  encrypts; every key listed decrypts (cryptography's MultiFernet). Rotation: put a new key in
  front, run `manage.py rotate_field_keys`, then drop the old key.
- `FIELD_BLIND_INDEX_KEY`: the key of a keyed hash (HMAC-SHA256) of normalised phone numbers and
  messenger handles, so an exact-match duplicate check works without decrypting anything. It is
  separate from the encryption keys: rotating those leaves the index as it is. The same key, under
  its own purpose label, hashes the search terms the access log records (`search_digest`).

A value that no key decrypts is an error naming FIELD_ENCRYPTION_KEYS, never garbage; so is a
missing or malformed key (system checks below, and `decrypt` at run time).
"""

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# Every Fernet token starts with version byte 0x80, which is "gAAAAA" in url-safe base64.
FERNET_PREFIX = "gAAAAA"
BLIND_INDEX_KEY_MIN_LENGTH = 32


class FieldEncryptionError(ImproperlyConfigured):
    """The field-encryption keys are missing, malformed, or do not open the stored data."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise FieldEncryptionError("FIELD_ENCRYPTION_KEYS is not set: identifying details cannot be read or stored.")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.strip()))
        except (ValueError, TypeError):
            raise FieldEncryptionError(
                f"FIELD_ENCRYPTION_KEYS: key number {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `manage.py rotate_field_keys --new-key`)."
            ) from None
    return MultiFernet(fernets)


def encryption_keys() -> tuple[str, ...]:
    return tuple(key.strip() for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if key.strip())


def multi_fernet() -> MultiFernet:
    return _multi_fernet(encryption_keys())


def newest_fernet() -> Fernet:
    keys = encryption_keys()
    _multi_fernet(keys)  # the same clear errors for a missing or malformed key
    return Fernet(keys[0])


def new_key() -> str:
    return Fernet.generate_key().decode()


def encrypt(plaintext: str) -> str:
    """A Fernet token (text) for `plaintext`, under the newest key."""
    return multi_fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a token; a FieldEncryptionError if no key in FIELD_ENCRYPTION_KEYS opens it."""
    try:
        return multi_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise FieldEncryptionError(
            "A stored identifying detail cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS: "
            "a key is wrong or was removed before `rotate_field_keys` re-encrypted everything."
        ) from None


def is_token(value: str) -> bool:
    return value.startswith(FERNET_PREFIX)


# --- Blind index ---------------------------------------------------------------------------------


def normalised_phone(value: str) -> str:
    """A phone number as compared: no spaces, dots, dashes or brackets; "00" before the country
    code written as "+". Empty unless it has a digit."""
    phone = re.sub(r"[\s().\-]", "", value)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    return phone if re.search(r"\d", phone) else ""


def normalised_handle(value: str) -> str:
    """A messenger handle as compared: no whitespace, any case."""
    return "".join(value.split()).upper()


def normalised_search_term(value: str) -> str:
    """A search term as the access log hashes it: Unicode-normalised (NFKC), spaces collapsed,
    any case. "  Li  WEI " and "li wei" are the same term."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


NORMALISERS = {"phone": normalised_phone, "messenger": normalised_handle, "search": normalised_search_term}


def _blind_index_key() -> bytes:
    key = getattr(settings, "FIELD_BLIND_INDEX_KEY", "").strip()
    if len(key) < BLIND_INDEX_KEY_MIN_LENGTH:
        raise FieldEncryptionError(
            f"FIELD_BLIND_INDEX_KEY must be set to a random string of at least {BLIND_INDEX_KEY_MIN_LENGTH} characters."
        )
    return key.encode()


def blind_index(kind: str, value: str) -> str:
    """The keyed hash (hex) of `value` normalised as a `kind` ("phone" or "messenger"); "" for
    nothing to compare. The kind is part of the hashed message, so a phone never matches a handle
    by accident of equal text."""
    normalised = NORMALISERS[kind](value or "")
    if not normalised:
        return ""
    message = f"{kind}\x00{normalised}".encode()
    return hmac.new(_blind_index_key(), message, hashlib.sha256).hexdigest()


def search_digest(term: str) -> str:
    """What the access log keeps of a search term: its keyed hash under the purpose label "search"
    (never equal to a phone's or handle's blind index, even for the same text); "" for no term.
    Without FIELD_BLIND_INDEX_KEY nobody can test guesses against it; with the key, an auditor can
    ask "who searched for this?" by hashing the term the same way (the admin's access log search)."""
    return blind_index("search", term)


# --- System checks: a missing or malformed key stops `manage.py` (and so a deployment) early ------


@checks.register(checks.Tags.security)
def check_field_keys(app_configs=None, **kwargs):
    errors = []
    try:
        multi_fernet()
    except FieldEncryptionError as error:
        errors.append(checks.Error(str(error), hint="Set FIELD_ENCRYPTION_KEYS (see README, Security).", id="srp.E001"))
    try:
        _blind_index_key()
    except FieldEncryptionError as error:
        errors.append(checks.Error(str(error), hint="Set FIELD_BLIND_INDEX_KEY (see README, Security).", id="srp.E002"))
    return errors


@checks.register(checks.Tags.database)
def check_field_keys_open_stored_data(app_configs=None, databases=None, **kwargs):
    """With database checks (`migrate`, `check --database default`): the newest stored identity
    decrypts with the configured keys, so a wrong key fails the deployment, not a caseworker."""
    if not databases or "default" not in databases:
        return []
    from django.db import connection
    from django.db.utils import DatabaseError

    from cases.models import IDENTITY_FIELDS, ClientIdentity

    table = connection.ops.quote_name(ClientIdentity._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field) for field in IDENTITY_FIELDS)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id DESC LIMIT 20")  # noqa: S608
            rows = cursor.fetchall()
    except DatabaseError:
        return []  # not migrated yet: nothing stored to open
    try:
        for row in rows:
            for value in row:
                if isinstance(value, str) and is_token(value):
                    decrypt(value)
    except FieldEncryptionError as error:
        return [checks.Error(str(error), id="srp.E003")]
    return []
