"""Fixtures for the provider clients: a fake echo server, a clock to move, and sleeps to count.

The fake Zoom and Google servers (`fake_zoom`, `fake_google`) are in tests/conftest.py: web and API tests use them too.
"""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.providers.fakes import FakeEcho


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, now: float = 1_795_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_echo():
    with FakeEcho() as fake:
        yield fake


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def sleeps():
    """Pass `sleeps.append` as a client's sleep: retries are recorded instead of waited for."""
    return []


@pytest.fixture(scope="session")
def rsa_key():
    """(private PEM, public key) for a service account, made once: RSA generation is slow."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()
