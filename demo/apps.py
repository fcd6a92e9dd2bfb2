from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Made-up data: `demo_data` for `make run` (refused unless DEBUG) and `bench_seed` for the benchmarks.
    It sits on top of every app and nothing imports it."""

    name = "demo"
    verbose_name = "Demo and benchmark data"
