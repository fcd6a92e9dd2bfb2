"""docker-compose.yml cannot be run here (no Docker engine), so it is read against the settings."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "myhezo" / "settings.py").read_text()
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def test_compose_starts_web_worker_beat_postgresql_and_redis():
    services = COMPOSE["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert services["web"]["command"][:2] == ["gunicorn", "myhezo.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "myhezo", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "myhezo", "beat"]
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_every_variable_compose_sets_is_read_by_the_settings():
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name]["environment"]
        for variable in environment:
            assert f'"{variable}"' in SETTINGS_SOURCE, f"{name} sets {variable}, which settings.py never reads"


def test_app_services_use_postgresql_redis_and_production_security():
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert re.fullmatch(r"redis://redis:6379/\d+", environment["REDIS_URL"])
        assert environment["DJANGO_SECURE"] == "1"
        assert "DJANGO_SECRET_KEY" in environment


def test_web_and_worker_share_the_media_volume():
    services = COMPOSE["services"]
    assert "media:/app/var/media" in services["web"]["volumes"]
    assert "media:/app/var/media" in services["worker"]["volumes"]
    assert services["web"]["environment"]["MYHEZO_MEDIA_ROOT"] == "/app/var/media"
