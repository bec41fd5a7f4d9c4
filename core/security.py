"""Passwords, access tokens and secret tokens derived from business ids.

Secret tokens (email links, verification codes) are derived with an HMAC of the server
secret and a business key, so an activity retried after a crash produces the same token
and sends the same link, while only a hash is ever stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): about 30 ms a
# hash here, against 120 ms for pwdlib's default (64 MiB, 3, 4), which made sign-up and
# sign-in the API's dominant cost. Hashes keep their parameters, so older ones still verify.
_password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # a malformed stored hash must not become a 500
        return False


# Verified against when an email is unknown, so a login answers in the same time.
DUMMY_PASSWORD_HASH = hash_password("not-a-real-password")


def create_access_token(secret: str, subject: str, role: str, ttl: timedelta,
                        session_version: int = 0) -> str:
    """`sv` is the account's session version when the token is issued: a password change
    or reset raises the account's, and the tokens issued before stop working."""
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": role, "sv": session_version, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_access_token(secret: str, token: str) -> dict[str, Any] | None:
    try:
        return jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None


def derive_token(secret: str, key: str) -> str:
    """A URL-safe secret token, always the same for the same key."""
    digest = hmac.new(secret.encode(), f"token:{key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def derive_code(secret: str, key: str, digits: int = 6) -> str:
    """A numeric one-time code, always the same for the same key."""
    digest = hmac.new(secret.encode(), f"code:{key}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**digits).zfill(digits)


def hash_secret(value: str) -> str:
    """Hash of a token or code, as stored and looked up."""
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- secrets a message shows but the message log keeps sealed (a pickup code) ---------

SEALED_PREFIX = "sealed:v1:"
_SEAL_CONTEXT = b"esame-message-secret"


def _seal_cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(f"message-secrets:{secret}".encode()).digest())


def seal(secret: str, value: str) -> str:
    """`value` encrypted (AES-256-GCM, a key derived from the server secret), as text."""
    nonce = os.urandom(12)
    sealed = nonce + _seal_cipher(secret).encrypt(nonce, value.encode(), _SEAL_CONTEXT)
    return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode()


def unseal(secret: str, value: str) -> str | None:
    """The value `seal` sealed; None if it is not sealed text or not sealed with `secret`."""
    if not value.startswith(SEALED_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(value[len(SEALED_PREFIX):])
        return _seal_cipher(secret).decrypt(raw[:12], raw[12:], _SEAL_CONTEXT).decode()
    except (ValueError, InvalidTag):
        return None
