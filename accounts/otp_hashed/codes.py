"""Generating, normalising, hashing and checking backup codes (no database access here)."""

import hashlib
import hmac
import secrets

from django.contrib.auth.hashers import check_password, make_password

# Crockford's base32: no I, L, O or U, so nothing is mistaken for 1, 0 or a word.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_LENGTH = 24  # 24 × 5 = 120 random bits: above ASVS V6.5.2's 112, so a fast salted hash is enough.
GROUP = 4
FAST_PREFIX = "hmac_sha256$"
# What people type for the letters the alphabet leaves out.
_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})


def code_generate() -> str:
    """A new code as shown to the user: `7kq2-m9xd-…` (six groups of four)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def code_normalize(code: str) -> str:
    """What is hashed and compared: case, spaces, dashes and look-alike letters do not matter."""
    return "".join((code or "").lower().split()).replace("-", "").translate(_LOOKALIKES)


def code_hash(code: str, *, high_entropy: bool) -> str:
    """The stored form of a code. Generated codes (high entropy) get a salted HMAC-SHA-256; anything else gets
    Django's password hasher, because a short code could be found by trying them all against a fast hash."""
    normalized = code_normalize(code)
    if not high_entropy:
        return make_password(normalized)
    salt = secrets.token_hex(16)
    return FAST_PREFIX + salt + "$" + _hmac(salt, normalized)


def code_matches(code: str, stored: str) -> bool:
    normalized = code_normalize(code)
    if not normalized:
        return False
    if stored.startswith(FAST_PREFIX):
        salt, _sep, digest = stored[len(FAST_PREFIX) :].partition("$")
        return hmac.compare_digest(_hmac(salt, normalized), digest)
    return check_password(normalized, stored)


def _hmac(salt: str, normalized: str) -> str:
    return hmac.new(salt.encode(), normalized.encode(), hashlib.sha256).hexdigest()
