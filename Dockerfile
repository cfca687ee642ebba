# Lotse: slim Python image, non-root, served by gunicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi.py \
    LOTSE_ENV=production \
    PORT=8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .
COPY . .
# The numeric user lets the runtime check it is not root; the app writes nothing to the image's disk.
RUN useradd --create-home --uid 10001 lotse && chown -R lotse /app
USER 10001

EXPOSE 8080
CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:${PORT} --workers 2 wsgi:app"]
