# newsbot: one image for the bot (`newsbot run`, the default) and every other command (`newsbot index ...`).
# Build: docker build -t newsbot .   Run: see docs/deploy.md (the store and the index live on the /data volume).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the package needs: the build reads pyproject.toml and README.md (its readme), then the two packages.
COPY pyproject.toml README.md ./
COPY index ./index
COPY bot ./bot
# The PostgreSQL extra is small (psycopg's bundled libpq) and lets one image serve either store.
RUN pip install '.[postgres]' && rm -rf /app/build

# An unprivileged user owns the data volume; the bot never needs root.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin newsbot \
    && mkdir -p /data && chown newsbot:newsbot /data
USER newsbot
WORKDIR /data
VOLUME ["/data"]
ENV NEWSBOT_DB=/data/newsbot.db

# SIGTERM (docker stop) closes the gateway connection and the database cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["newsbot"]
CMD ["run"]
