# Varsel: slim, non-root; the container runs the server only.
# Migrations are a separate, one-off command (`docker compose run --rm web varsel db upgrade`,
# or the same command as a release step of the operator's platform), so that replicas
# starting at once never race to migrate.
# (No Docker engine runs on the project machines; this file is for the operator's platform.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VARSEL_ENV=production
# WeasyPrint (letters and reports as PDF) needs Pango; fonts for Swedish text.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml setup.py README.md LICENSE alembic.ini ./
COPY app ./app
COPY integrations ./integrations
COPY notifications ./notifications
COPY migrations ./migrations
# The landlord-API examples: setup.py puts them in the package (the OpenAPI request examples).
COPY examples ./examples
RUN pip install . && useradd --system --uid 10001 --home /app varsel && mkdir -p /data && chown varsel /data

USER varsel
ENV VARSEL_STORAGE_DIR=/data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["varsel", "serve", "--host", "0.0.0.0", "--port", "8000"]
