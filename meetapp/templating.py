"""Jinja filters and globals: times appear in the viewer's own time zone, nowhere else."""
from datetime import datetime

from flask import Flask
from flask_login import current_user

from meetapp.domain.timeutil import iso_z, to_local


def viewer_timezone() -> str:
    return current_user.timezone if current_user.is_authenticated else "UTC"


def local_datetime(value: datetime, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    return to_local(value, viewer_timezone()).strftime(fmt)


def local_time(value: datetime) -> str:
    return to_local(value, viewer_timezone()).strftime("%H:%M")


def zone_abbreviation(value: datetime) -> str:
    return to_local(value, viewer_timezone()).strftime("%Z")


def register(app: Flask) -> None:
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(zone_abbreviation, "zone")
    app.add_template_filter(iso_z, "iso_z")
    app.add_template_global(viewer_timezone, "viewer_timezone")
