"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS;
the two that vary most between hosts come from the environment.
"""
import multiprocessing
import os

# Behind a reverse proxy on the same host; set BIND=0.0.0.0:8000 when the proxy is elsewhere.
bind = os.environ.get("BIND", "127.0.0.1:8000")
# gunicorn's own convention; by default two processes per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threads let a process keep serving while one request waits on the database.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then, so a slow leak never becomes an outage.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
# The app decides what to trust from X-Forwarded-* (TRUSTED_PROXIES); gunicorn's own check only sets the scheme.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Before anything is served: read the settings as the app will, and refuse rate limits that
    each of the processes gunicorn is about to start would count on its own. A ConfigError stops
    gunicorn with "Error: …" and exit status 1."""
    from dotenv import load_dotenv

    from meetapp.config import check_rate_limit_storage, dotenv_path, from_environ

    root = os.path.dirname(os.path.abspath(__file__))
    if dotenv := dotenv_path(root):
        load_dotenv(dotenv, override=False)  # as create_app does in each process
    settings = from_environ(os.environ, os.path.join(root, "instance"))
    check_rate_limit_storage(settings["MEETAPP_ENV"], settings["RATELIMIT_STORAGE_URI"], server.cfg.workers)
