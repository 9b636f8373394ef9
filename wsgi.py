"""The WSGI entry point: `gunicorn wsgi:app`, and the app `flask` finds."""

from app import create_app

app = create_app()
