import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.attachments import attachment_check, attachments_check, safe_name

from .factories import PDF, PNG


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("fortigate.conf", b"config system global\nend\n", "text/plain"),
        ("Yealink A30.cfg", "#!version:1.0.0.1\naccount.1.label = Sala Zarządu\n".encode(), "text/plain"),
        ("raport.PDF", PDF, "application/pdf"),
        ("ekran.png", PNG, "image/png"),
        ("zdjęcie.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        ("logi.zip", b"PK\x03\x04" + b"\x00" * 26, "application/zip"),
        ("logi.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 16, "application/gzip"),
        ("ruch.pcap", b"\xd4\xc3\xb2\xa1" + b"\x00" * 20, "application/vnd.tcpdump.pcap"),
    ],
)
def test_allowed_types_are_accepted_and_served_as_our_content_type(name, content, content_type):
    checked = attachment_check(SimpleUploadedFile(name, content, content_type="text/html"))
    assert checked.content_type == content_type  # never what the browser claimed


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("strona.html", b"<script>alert(1)</script>", "file_type"),
        ("logo.svg", b"<svg onload=alert(1)>", "file_type"),
        ("setup.exe", b"MZ\x90\x00", "file_type"),
        ("bez-rozszerzenia", b"text", "file_type"),
        ("faktura.pdf", b"MZ\x90\x00 not a pdf", "file_content"),
        ("ekran.png", b"<html><script>alert(1)</script>", "file_content"),
        ("konfig.conf", b"PK\x03\x04\x00\x00binary zip", "file_content"),
        ("pusty.txt", b"", "file_content"),
    ],
)
def test_other_types_and_content_that_does_not_match_the_extension_are_refused(name, content, reason):
    with pytest.raises(ValidationError) as error:
        attachment_check(SimpleUploadedFile(name, content))
    assert error.value.code == reason
    assert safe_name(name) in error.value.messages[0]


def test_size_and_count_limits_come_from_settings(settings):
    settings.MYHEZO_ATTACHMENT_MAX_BYTES = 10
    settings.MYHEZO_ATTACHMENT_MAX_FILES = 2
    with pytest.raises(ValidationError, match=r"duży\.log"):
        attachment_check(SimpleUploadedFile("duży.log", b"x" * 11))
    files = [SimpleUploadedFile(f"{n}.txt", b"ok") for n in range(3)]
    with pytest.raises(ValidationError) as error:
        attachments_check(files)
    assert [e.code for e in error.value.error_list] == ["file_count"]
    assert len(attachments_check(files[:2])) == 2


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\jan\\log.txt", "log.txt"),
        ("raport\u202egpj.exe.txt", "raportgpj.exe.txt"),  # a right-to-left override cannot disguise the name
        ("nowa\r\nlinia.txt", "nowalinia.txt"),
        ("  .ukryty.log  ", "ukryty.log"),
        ("", "attachment"),
        ("a" * 300 + ".log", "a" * 251 + ".log"),
    ],
)
def test_shown_names_are_safe(raw, shown):
    assert safe_name(raw) == shown
