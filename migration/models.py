from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One run of `import_legacy`, with its counts and errors, for the engineers' admin page."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        INTERRUPTED = "interrupted", _("interrupted")

    source = models.CharField(_("export file"), max_length=500)
    dry_run = models.BooleanField(_("dry run"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    # The process that runs it: a "running" run whose process is gone was killed (services.import_runs_stale_mark).
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.started_at:%Y-%m-%d %H:%M})"

    def count(self, kind: str, outcome: str) -> int:
        return (self.report.get(kind) or {}).get(outcome, 0)
