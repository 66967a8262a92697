"""API tokens: random secrets of which Kontor keeps only a SHA-256 hash and a short prefix.

A token has 256 bits of randomness, so an unsalted fast hash is enough: nobody can guess
one from its hash, and a lookup by hash is one indexed query.
"""

import hashlib
import secrets

TOKEN_PREFIX = "kt_"
PREFIX_LENGTH = 11  # "kt_" plus the first 8 characters of the secret part


def generate_token():
    """Return a new token, such as kt_Zq3…; show it once, then forget it."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token):
    return token[:PREFIX_LENGTH]
