# One image for every tripl service: the API (`tripl api`), the Dagster webserver, the Dagster daemon and
# the Dagster code server (tripl_pipelines.definitions); compose.yaml picks the command. See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRIPL_STATE_DIR=/var/lib/tripl \
    DAGSTER_HOME=/var/lib/tripl/dagster

WORKDIR /app
COPY pyproject.toml README.md ./
COPY tripl_core ./tripl_core
COPY tripl_api ./tripl_api
COPY tripl_pipelines ./tripl_pipelines
COPY tripl_cli ./tripl_cli
COPY spec ./spec
COPY dagster.yaml workspace.yaml ./
COPY deploy ./deploy
RUN pip install . \
    && useradd --system --create-home --home-dir /home/tripl tripl \
    && mkdir -p /var/lib/tripl/dagster && chown -R tripl /var/lib/tripl
USER tripl
EXPOSE 8000 3000 4000
CMD ["tripl", "api", "--host", "0.0.0.0", "--port", "8000"]
