"""The app boundaries (README "Layers"). Which app may import which is import-linter's job (pyproject.toml,
`lint-imports` in make test); this file checks what it cannot: no module uses a private name (`_name`) of
another app, whether it imports the name, a private module, or reads the name off an imported module."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# The project's own top-level packages: its apps, the project package, the cross-app tests and the benchmarks.
PACKAGES = {Path(config.path).name for config in apps.get_app_configs() if Path(config.path).parent == ROOT} | {
    "myhezo",
    "tests",
    "bench",
}


# Django's documented model API, public despite its underscore.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager", "_state"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in DJANGO_PUBLIC


def private_uses(source: str, package: str) -> list[str]:
    """Each use, in a module of `package`, of a private name or module of another of the project's packages."""
    found = []
    foreign_modules: set[str] = set()  # local names bound to another package's modules
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] not in PACKAGES or parts[0] == package:
                continue
            found += [f"line {node.lineno}: {node.module}" for part in parts if _private(part)][:1]
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: {node.module}.{alias.name}")
                foreign_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] not in PACKAGES or parts[0] == package:
                    continue
                if any(_private(part) for part in parts):
                    found.append(f"line {node.lineno}: {alias.name}")
                foreign_modules.add(alias.asname or parts[0])
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_modules
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in PACKAGES and "migrations" not in relative.parts:
            yield relative


def test_the_checker_finds_every_kind_of_private_use():
    source = (
        "from tickets.services.base import _name_of\n"
        "from tickets.services._hidden import ticket_lock\n"
        "import tickets.services._hidden\n"
        "from tickets import selectors\n"
        "selectors._visible(None)\n"
        "from tickets.services import ticket_reply, __all__\n"
        "from tickets.models import Ticket\n"
        "Ticket._meta.get_fields()\n"
    )
    assert len(private_uses(source, "operations")) == 4
    assert private_uses(source, "tickets") == []  # an app's own private names are its own business


def test_the_project_packages_are_found():
    assert {"core", "contracts", "accounts", "tickets", "sla", "operations", "migration", "tests"} <= PACKAGES


def test_no_module_uses_another_apps_private_names():
    found = {}
    for module in _modules():
        uses = private_uses((ROOT / module).read_text(encoding="utf-8"), module.parts[0])
        if uses:
            found[str(module)] = uses
    assert len(list(_modules())) > 100
    assert not found, f"private names of another app (make a public function instead): {found}"
