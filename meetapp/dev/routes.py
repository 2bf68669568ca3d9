"""The dev mailbox: every mail in the outbox, newest first, each readable with its links clickable.

No login: it is a tool for someone running the app on their own machine, and the
blueprint is only registered when MEETAPP_ENV is development. Even then it answers
only requests addressed to this machine by a local name. The mails carry people's
personal join links, so no answer here may be cached.
"""
import re
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, render_template, request
from markupsafe import Markup, escape

from meetapp.config import LOCAL_HOSTS
from meetapp.dev import bp
from meetapp.extensions import db
from meetapp.models import OutboxMail
from meetapp.outbox.upkeep import mails_with_status
from meetapp.web.errors import error_page

MAILS_SHOWN = 200
# The largest id a row can have on every database (PostgreSQL's integer): a larger one is a 404,
# not a parameter the database refuses with an error.
LARGEST_ID = 2**31 - 1
# The HTML part keeps its inline styles; nothing in it may run, load, submit or frame.
MAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
URL = re.compile(r"https?://[^\s<>\"']+")
# Punctuation that ends a sentence rather than the address before it.
TRAILING_PUNCTUATION = ".,;:!?)]}"


def linkify(text: str) -> Markup:
    """The text escaped, with every http(s) URL in it turned into a link to itself."""
    pieces: list[Markup] = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING_PUNCTUATION)
        if not url.partition("://")[2]:
            continue
        pieces.append(escape(text[position:match.start()]))
        pieces.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.start() + len(url)
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


@bp.before_request
def only_for_this_machine():
    """A 404 unless the Host is 127.0.0.1, localhost or ::1. Another name that reaches the app (one in
    TRUSTED_HOSTS for the LAN, or an attacker's that resolves to 127.0.0.1: DNS rebinding, which lets
    that site's scripts read the answers) must not open everyone's mail."""
    if urlsplit(f"//{request.host}").hostname not in LOCAL_HOSTS:
        abort(404)


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def no_such_mail():
    return error_page(404, "Mail not found", "The dev mailbox has no mail with this id.")


@bp.get("/mail")
def mailbox():
    return render_template("dev/mailbox.html", mails=mails_with_status(None, MAILS_SHOWN), shown=MAILS_SHOWN)


@bp.get(f"/mail/<int(max={LARGEST_ID}):mail_id>")
def mail(mail_id: int):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        return no_such_mail()
    return render_template(
        "dev/mail.html",
        mail=mail,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        text=linkify(mail.text_body),
    )


@bp.get(f"/mail/<int(max={LARGEST_ID}):mail_id>/html")
def mail_html(mail_id: int):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        return no_such_mail()
    response = make_response(mail.html_body)
    response.mimetype = "text/html"
    # Set before the app's after_request, whose site-wide policy would refuse the mail's inline styles.
    response.headers["Content-Security-Policy"] = MAIL_HTML_CSP
    return response


@bp.get(f"/mail/<int(max={LARGEST_ID}):mail_id>/invite.ics")
def mail_invite(mail_id: int):
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        return no_such_mail()
    if mail.ics is None:
        return error_page(404, "No invite", "This mail has no calendar invite attached.")
    response = make_response(mail.ics)
    response.headers["Content-Type"] = f"text/calendar; charset=utf-8; method={mail.ics_method}"
    response.headers["Content-Disposition"] = "attachment; filename=invite.ics"
    return response
