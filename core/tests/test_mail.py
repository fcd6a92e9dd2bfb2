from django.core.mail import EmailMessage, get_connection

from core.mail import OneFilePerEmailBackend


def test_every_email_gets_a_file_of_its_own(tmp_path):
    # Django's own file backend appends all messages of a connection to one file, and two connections
    # can share a name; SPEC §11 promises one file per e-mail.
    connection = get_connection("core.mail.OneFilePerEmailBackend", file_path=str(tmp_path))
    messages = [EmailMessage(f"Temat {n}", f"Treść {n}", "a@example.com", ["b@example.com"]) for n in range(3)]
    assert connection.send_messages(messages) == 3
    for n in range(3, 6):
        OneFilePerEmailBackend(file_path=str(tmp_path)).send_messages(
            [EmailMessage(f"Temat {n}", "x", "a@example.com", ["b@example.com"])]
        )
    files = sorted(tmp_path.iterdir())
    assert len(files) == 6
    assert sorted(f.read_text().count("Subject: Temat") for f in files) == [1] * 6
