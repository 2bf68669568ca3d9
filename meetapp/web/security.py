"""What every request is trusted for and what every response carries: the reverse proxies'
`X-Forwarded-*` headers, the host names the app answers to, and the security headers."""
from flask import Flask, Response, make_response
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def register(app: Flask) -> None:
    trust_proxies(app)
    app.after_request(add_security_headers)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and the scheme from their headers.

    Without it every request seems to come from the proxy, and one client's refused logins would
    lock everyone out. Never trust the headers without a proxy: anyone could set them. The host
    and the path prefix are trusted only when TRUSTED_PROXY_HOST / TRUSTED_PROXY_PREFIX say so:
    most proxies pass a client's own X-Forwarded-Host and X-Forwarded-Prefix straight through, and
    the app would then build its links and redirects from whatever the client wrote there.
    (The host must still be one of TRUSTED_HOSTS either way.)
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=hops,
            x_proto=hops,
            x_host=hops if app.config["TRUSTED_PROXY_HOST"] else 0,
            x_prefix=hops if app.config["TRUSTED_PROXY_PREFIX"] else 0,
        )


def key_in_url(response) -> Response:
    """For a page whose URL carries a key (a reset or confirmation link): no cache keeps it, and no
    link on it passes the URL on."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
