"""The database connection settings docker-compose.yml ships, for the benchmarks to run exactly those.

bench/load.py and bench/load/run.py start gunicorn with every `DJANGO_CONN*` variable of the `x-app`
environment (the `&app` anchor all of compose's Django services share) and none inherited from the shell, so a
figure is always the figure of what compose runs. A variable compose does not write takes the settings' default
there as here.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "DJANGO_CONN"


def compose_connection_env(compose_file: Path = ROOT / "docker-compose.yml") -> dict[str, str]:
    """The `DJANGO_CONN*` variables of docker-compose.yml's `x-app` environment, as strings."""
    import yaml  # PyYAML, in requirements-dev.txt: only the benchmarks read compose's file

    environment = yaml.safe_load(compose_file.read_text())["x-app"].get("environment") or {}
    if isinstance(environment, list):  # compose also accepts ["NAME=value", ...]
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items() if name.startswith(PREFIX)}


def with_compose_connection(environ: dict[str, str]) -> dict[str, str]:
    """`environ` without any `DJANGO_CONN*` variable of its own, with docker-compose.yml's instead."""
    return {
        **{name: value for name, value in environ.items() if not name.startswith(PREFIX)},
        **compose_connection_env(),
    }
