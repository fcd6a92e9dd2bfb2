"""The embedded default's e-mail backend: one file per e-mail under var/mail/ (SPEC §11)."""

import os
import uuid

from django.core.mail.backends.filebased import EmailBackend
from django.utils import timezone


class OneFilePerEmailBackend(EmailBackend):
    """Django's file backend names its file by the second and the id() of the connection and appends every
    message of the connection to it; ids are reused, so two e-mails could land in one file. Here every
    message gets a file of its own, named so that `ls` lists them in order."""

    def _get_filename(self) -> str:
        if self._fname is None:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:12]}.eml"
            self._fname = os.path.join(self.file_path, name)
        return self._fname

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            self.close()
            self._fname = None
            sent += super().send_messages([message])
        return sent
