import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")

app = Celery("myhezo")
# Every Celery setting lives in Django's settings module with the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
