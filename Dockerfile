# Production-like image: gunicorn for web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 supportdesk
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The compiled translations are generated, not committed.
RUN pybabel -q compile -d locale -D django
# collectstatic needs settings but no database or secret of consequence.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput
USER supportdesk
EXPOSE 8000
# Worker class and counts: supportdesk/gunicorn_conf.py (chosen with `make load`).
CMD ["gunicorn", "supportdesk.wsgi:application", "--config=python:supportdesk.gunicorn_conf", "--bind", "0.0.0.0:8000"]
