# Production image: gunicorn serves the portal; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_STATIC_MANIFEST=1 \
    MYHEZO_VAR_DIR=/app/var

# gettext compiles the catalogs; WeasyPrint (the legacy import's PDFs) loads Pango and HarfBuzz with
# subsetting. The PDFs embed the DejaVu shipped in migration/pdf_assets/; the system's is the fallback.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Build-time only: collectstatic and compilemessages need settings, not secrets.
RUN DJANGO_SECRET_KEY=build-only python manage.py messages_compile \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 myhezo \
 && mkdir -p /app/var/media /app/var/mail \
 && chown -R myhezo /app/var

USER myhezo
EXPOSE 8000
CMD ["gunicorn", "myhezo.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
