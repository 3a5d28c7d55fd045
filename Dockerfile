# Rolecall in a container: the README's install command, then `rolecall serve` (HTTP mode on PORT).
# The pages are a volume at /pages (ROLECALL_SEEDS); docker-compose.yml runs two replicas with Redis
# and PostgreSQL. tests/test_deploy_files.py keeps this file in line with pyproject.toml and the README.
FROM python:3.10-slim

RUN useradd --create-home --uid 10001 rolecall
WORKDIR /app
COPY . .
RUN python3 -m venv .venv && .venv/bin/pip install -q -e .
# An editable install leaves Rolecall's own modules uncompiled, and the rolecall user cannot write
# /app: compile them here, or every start (and every answer worker) compiles them again.
RUN .venv/bin/python -m compileall -q bot handlers

USER rolecall
ENV ROLECALL_SEEDS=/pages HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD [".venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2)"]
CMD [".venv/bin/rolecall", "serve"]
