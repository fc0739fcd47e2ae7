"""A real e-mail backend for tests that kill a worker in the middle of a send: Django's file backend
(one .log file per message sent), made slow. Before it writes it leaves a marker file
`.sending-<pid>-<n>` (the pid of the process sending) and waits TEST_EMAIL_DELAY_SECONDS
(SRP_TEST_EMAIL_DELAY): a test sees the send has begun, and kills that process before it ends."""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f".sending-{os.getpid()}-{uuid.uuid4().hex[:8]}").write_text(str(os.getpid()))
        time.sleep(settings.TEST_EMAIL_DELAY_SECONDS)
        return super().send_messages(email_messages)
