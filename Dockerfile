# The engagement image: the API, the dashboard and the ETL job run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENGAGEMENT_HOME=/home/engagement/.engagement

RUN groupadd --system --gid 10001 engagement \
    && useradd --system --uid 10001 --gid engagement --create-home engagement

WORKDIR /app
# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md LICENSE ./
COPY engagement/__init__.py engagement/
COPY api/__init__.py api/
RUN pip install --no-cache-dir -e ".[all]"

COPY engagement/ engagement/
COPY api/ api/
COPY notebooks/ notebooks/
COPY data/ data/
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p /reports && chown engagement:engagement /reports

USER 10001:10001
EXPOSE 8000 8866
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["engagement", "serve", "--host", "0.0.0.0", "--port", "8000"]
