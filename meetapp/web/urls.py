"""Absolute links for mail, calendar files and API answers, built from PUBLIC_BASE_URL.

They work with or without a request (the worker has none), and never trust the
Host header of whoever happens to be asking.
"""
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: object) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def public_host() -> str:
    """The host name of PUBLIC_BASE_URL, used to make mail Message-IDs and calendar UIDs unique."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "meetapp.localhost"
