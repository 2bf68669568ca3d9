"""Security headers on every page: a strict CSP, no framing, no sniffing, a careful referrer policy."""
import pytest


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/healthz", "/join/not-a-token", "/nowhere"])
def test_every_answer_carries_the_site_wide_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    expected_referrer = "no-referrer" if path.startswith("/join/") else "strict-origin-when-cross-origin"
    assert response.headers["Referrer-Policy"] == expected_referrer


def test_pages_have_a_csp_without_inline_or_eval_scripts(client):
    policy = client.get("/auth/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"


def test_htmx_is_configured_without_eval_or_injected_styles(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '"allowEval": false' in page
    assert '"includeIndicatorStyles": false' in page
