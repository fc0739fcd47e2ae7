"""Re-encrypt every client identity, and the users' second-factor secrets, under the newest key in
FIELD_ENCRYPTION_KEYS.

Encryption keys: make a key (`rotate_field_keys --new-key`), put it first in FIELD_ENCRYPTION_KEYS
(keeping the old ones after it), restart, run `rotate_field_keys`, then remove the old keys and
restart again. Rows are taken in batches (`SELECT ... FOR UPDATE SKIP LOCKED`, one transaction
per batch), so the application keeps running; a row being edited meanwhile is left for the next
run and counted. The ciphertext is rotated as it is (MultiFernet.rotate): nothing is decrypted
into Python objects, and the blind indexes do not change.

Blind-index key: set the new FIELD_BLIND_INDEX_KEY, restart, run `rotate_field_keys --reindex`
(duplicate checks miss matches between the restart and the end of the run).
"""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from cases.models import IDENTITY_FIELDS, ClientIdentity
from srp import crypto


class Command(BaseCommand):
    help = "Re-encrypt client identities under the newest key in FIELD_ENCRYPTION_KEYS, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--new-key", action="store_true", help="Print a fresh Fernet key and exit.")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Recompute the blind indexes under FIELD_BLIND_INDEX_KEY (after changing that key).",
        )

    def handle(self, *args, batch_size, new_key, reindex, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            rotator, newest = crypto.multi_fernet(), crypto.newest_fernet()
            crypto.blind_index("phone", "0")  # the index key, checked before anything is written
        except crypto.FieldEncryptionError as error:
            raise CommandError(str(error)) from None
        if reindex:
            self.reindex(batch_size)
        else:
            self.rotate_second_factors(rotator, newest)
            self.rotate(batch_size, rotator, newest)

    def rotate_second_factors(self, rotator, newest):
        """The users' second-factor secrets (TOTP keys, recovery-code seeds: volunteers.adapters.
        MFAAdapter encrypts them with the same keys), one small row per user and kind."""
        from allauth.mfa.models import Authenticator

        secrets = {Authenticator.Type.TOTP: "secret", Authenticator.Type.RECOVERY_CODES: "seed"}
        rotated = 0
        with transaction.atomic():
            for authenticator in Authenticator.objects.select_for_update().filter(type__in=list(secrets)):
                name = secrets[authenticator.type]
                token = authenticator.data.get(name, "")
                try:
                    newest.decrypt(token.encode())
                    continue
                except InvalidToken:
                    pass
                try:
                    authenticator.data[name] = rotator.rotate(token.encode()).decode()
                except InvalidToken:
                    raise CommandError(
                        f"The {authenticator.get_type_display()} of user #{authenticator.user_id} cannot be decrypted "
                        "with any key in FIELD_ENCRYPTION_KEYS; nothing of the second factors was changed."
                    ) from None
                Authenticator.objects.filter(pk=authenticator.pk).update(data=authenticator.data)
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} second-factor secrets under the newest key.")

    def reindex(self, batch_size):
        """Decrypt each identity in memory and store its blind indexes under the current key."""
        done, last_pk = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    ClientIdentity.objects.select_for_update(skip_locked=True)
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", "phone", "messenger_id")[:batch_size]
                )
                if not batch:
                    break
                for identity in batch:
                    # An update, not a save: no history row, as nothing a person wrote changed.
                    ClientIdentity.objects.filter(pk=identity.pk).update(
                        phone_index=crypto.blind_index("phone", identity.phone),
                        messenger_index=crypto.blind_index("messenger", identity.messenger_id),
                    )
                done += len(batch)
                last_pk = batch[-1].pk
        self.stdout.write(f"Recomputed the blind indexes of {done} client identities.")

    def rotate(self, batch_size, rotator, newest):
        rotated = current = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    ClientIdentity.objects.select_for_update(skip_locked=True)
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    # Cast: the stored token itself, not the field's decrypted value.
                    .annotate(**{f"raw_{name}": Cast(name, output_field=TextField()) for name in IDENTITY_FIELDS})
                    .values("pk", *(f"raw_{name}" for name in IDENTITY_FIELDS))[:batch_size]
                )
                if not batch:
                    break
                for row in batch:
                    changes = {}
                    for name in IDENTITY_FIELDS:
                        token = row[f"raw_{name}"]
                        if not token:
                            continue
                        try:
                            newest.decrypt(token.encode())
                        except InvalidToken:
                            try:
                                changes[name] = Value(rotator.rotate(token.encode()).decode(), TextField())
                            except InvalidToken:
                                raise CommandError(
                                    f"Client identity #{row['pk']} ({name}) cannot be decrypted with any key in "
                                    "FIELD_ENCRYPTION_KEYS: a key is wrong or an old key was removed too early. "
                                    "Nothing in this batch was changed; earlier batches are rotated."
                                ) from None
                    if changes:
                        ClientIdentity.objects.filter(pk=row["pk"]).update(**changes)
                        rotated += 1
                    else:
                        current += 1
                last_pk = batch[-1]["pk"]

        total = ClientIdentity.objects.count()
        busy = total - rotated - current
        self.stdout.write(
            f"Re-encrypted {rotated} client identities under the newest key; {current} already were."
            + (f" {busy} were being edited and were skipped: run the command again." if busy > 0 else "")
        )
        if busy > 0:
            raise CommandError(f"{busy} client identities were locked and not rotated; run rotate_field_keys again.")
