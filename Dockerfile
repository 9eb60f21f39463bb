# SalonBook: the web app (gunicorn), the Celery worker and beat all run this image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image and served by whitenoise.
RUN DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 salonbook \
    && mkdir -p /app/var && chown salonbook /app/var

USER salonbook
EXPOSE 8000

# Migrations run once per release (the compose "release" service), not in every web process.
CMD ["gunicorn", "--config", "salonbook/gunicorn.conf.py", "salonbook.wsgi"]
