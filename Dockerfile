# graphsvc: the GraphQL service, built from this repository (docker-compose.yml runs it on Neo4j).
#
#   docker build -t graphsvc .
#   docker run --rm -p 127.0.0.1:8000:8000 -v graphsvc_data:/data graphsvc     # embedded SQLite store in /data
#
# The package is installed in editable mode on purpose: graphsvc reads schema/neo4j/ (the Neo4j
# constraints, the Browser style sheet and guide) from the source tree next to it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRAPHSVC_DATA_DIR=/data

WORKDIR /app

COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
COPY importers ./importers
COPY schema ./schema
RUN pip install -e . \
    && useradd --create-home --uid 10001 graphsvc \
    && mkdir -p /data \
    && chown graphsvc /data

USER graphsvc
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=10s --start-period=20s --retries=6 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5)"]

CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]
