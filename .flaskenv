# Read by the `flask` command in this checkout (through python-dotenv), so that
# `flask db upgrade`, `flask papers import …` and `flask run` work without exporting
# anything. A variable already set in the environment wins over this file; a `.env`
# beside it (not committed) wins too. `gunicorn wsgi:app` does not read it: there,
# APP_CONFIG stays `production` unless the environment says otherwise.
FLASK_APP=wsgi.py
APP_CONFIG=development
