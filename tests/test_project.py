"""Checks of the project as a whole: migrations, deployment settings, translations."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**overrides) -> dict:
    """The environment of a fresh shell: none of this run's service URLs unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update(overrides)
    return env


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"makemigrations --check found model changes without a migration:\n{out.getvalue()}")


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = clean_env(
        DJANGO_SECURE="1",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="myhezo.pl,myhezo.com",
        MYHEZO_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_default_prints_no_warning_on_check_migrate_and_an_email(tmp_path):
    """A clean `make run` (issue 18): no models.W040 from SQLite's covering indexes, and no kombu "No hostname
    was supplied" each time an e-mail task is queued to the in-memory broker."""
    env = clean_env(DJANGO_DEBUG="1", MYHEZO_VAR_DIR=str(tmp_path))

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    checked = run("check", "--database", "default", "--fail-level", "WARNING")
    assert "WARNING" not in checked.upper() and "W040" not in checked, checked
    migrated = run("migrate", "--noinput", "-v", "0")
    assert "W040" not in migrated and "WARNING" not in migrated.upper(), migrated
    queued = run(
        "shell",
        "-v",
        "0",
        "-c",
        "from core.tasks import outbox_email_deliver; outbox_email_deliver.delay(0); outbox_email_deliver.delay(0)",
    )
    assert "WARNING" not in queued and "No hostname" not in queued, queued


def test_polish_catalog_is_complete_and_up_to_date(tmp_path):
    """Extract every string from a copy of the sources, merge into a copy of locale/pl, and require each
    one to be translated and not fuzzy: a new string without a Polish translation fails here."""
    if not shutil.which("xgettext"):
        skip_or_fail("GNU gettext is not installed (apt-get install gettext)")
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "*.mo", ".pytest_cache", "node_modules"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "--no-obsolete", "-i", "tests", "-i", "*/tests/*"],
        cwd=copy,
        env=clean_env(MYHEZO_VAR_DIR=str(tmp_path / "var")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    catalog = polib.pofile(str(copy / "locale/pl/LC_MESSAGES/django.po"))
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated, f"Polish translation missing (run makemessages -l pl and translate): {untranslated}"
    assert not fuzzy, f"Polish translation marked fuzzy (check and unmark): {fuzzy}"
    committed = polib.pofile(str(ROOT / "locale/pl/LC_MESSAGES/django.po"))
    assert {e.msgid for e in catalog if not e.obsolete} <= {e.msgid for e in committed if not e.obsolete}, (
        "locale/pl/LC_MESSAGES/django.po is behind the sources: run `manage.py makemessages -l pl`"
    )


def _readme_layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Layout\n") : readme.index("\n### Layers")]


def test_the_readme_layout_names_every_package_and_only_paths_that_exist():
    layout = _readme_layout()
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "var")
    assert len(packages) >= 10
    missing = [name for name in packages if f"`{name}/`" not in layout]
    assert not missing, f"README's Layout does not describe {missing}"
    wrong = []
    for bullet in layout.split("\n- ")[1:]:
        owner = bullet[1 : bullet.index("/`")] if bullet.startswith("`") and "/`" in bullet[:20] else ""
        for path in re.findall(r"`([\w./]+)`", bullet):
            named = "/" in path or (owner and path.endswith(".py"))
            if named and not ((ROOT / path).exists() or (owner and (ROOT / owner / path).exists())):
                wrong.append(path)
    assert not wrong, f"README's Layout names paths that do not exist: {wrong}"


def test_the_readme_draws_every_app_in_the_layers_import_linter_checks():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    drawing = (ROOT / "README.md").read_text(encoding="utf-8").split("### Layers")[1].split("```")[1]
    # The drawing lists the layers top to bottom as pyproject.toml does, each line "<layer>  <what it is>".
    drawn = [line.strip().split("  ")[0] for line in drawing.strip().splitlines()]
    assert drawn == layers
    # Every app with code of its own is in a layer (a new app must be placed).
    placed = {package.strip() for layer in layers for package in layer.split("|")}
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= placed, apps - placed


def test_the_readme_names_the_demo_contracts_serials_and_companies_a_newcomer_can_register_with():
    from demo.management.commands.demo_data import DEMO_COMPANY, DEMO_CONTRACTS, DEMO_RESELLER

    readme = (ROOT / "README.md").read_text()
    for company in (DEMO_COMPANY, DEMO_RESELLER):
        assert company["nip"] in readme and company["name"] in readme
    for contract in DEMO_CONTRACTS:
        assert contract["number"] in readme
        for line in contract["lines"]:
            assert f"(H)-{line.serial}" in readme
