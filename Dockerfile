# Lotse: slim Python image, non-root, served by gunicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi.py \
    LOTSE_ENV=production \
    PORT=8080 \
    LOTSE_UPLOAD_DIR=/data/uploads

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .
COPY . .
# The uploads directory is where fly.toml mounts the volume; the numeric user lets the runtime check it is not root.
RUN useradd --create-home --uid 10001 lotse && mkdir -p /data/uploads && chown -R lotse /app /data/uploads
USER 10001

EXPOSE 8080
CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:${PORT} --workers 2 --access-logfile - wsgi:app"]
