# sheetsync's daemon in a container: a slim base, a non-root user, the state on a volume,
# a health check on /healthz. Build: docker build -t sheetsync .  (see docs/how-to/deploy.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY sheetsync ./sheetsync
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home sheetsync \
    && mkdir -p /data && chown sheetsync:sheetsync /data

USER sheetsync
WORKDIR /data
VOLUME ["/data"]
# The config, the tracker workbook and the state file live in /data (relative paths in the
# config resolve against its folder). Tokens come from the environment, never the file.
ENV SHEETSYNC_CONFIG=/data/sheetsync.toml

EXPOSE 9108
HEALTHCHECK --interval=60s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]

# SIGTERM (docker stop) ends the daemon after the cycle in progress.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sheetsync"]
CMD ["run", "--log-format", "json", "--metrics-host", "0.0.0.0", "--metrics-port", "9108"]
