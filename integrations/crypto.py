"""Encryption of connection credentials at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key is settings.CREDENTIALS_KEY. When it is empty (the embedded default), a key is derived
from SECRET_KEY, so changing SECRET_KEY then makes stored credentials unreadable.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """Stored credentials were encrypted with another key or were altered."""


def _fernet():
    key = settings.CREDENTIALS_KEY
    if not key:
        digest = hashlib.sha256(b"kontor-credentials:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    try:
        return Fernet(key)
    except ValueError as error:
        raise ImproperlyConfigured(
            "CREDENTIALS_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes). "
            "Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from error


def encrypt_credentials(credentials):
    """Encrypt a dict of credential fields to a text token."""
    plain = json.dumps(credentials, sort_keys=True).encode()
    return _fernet().encrypt(plain).decode()


def decrypt_credentials(token):
    """Decrypt a token written by encrypt_credentials; an empty token gives an empty dict."""
    if not token:
        return {}
    try:
        plain = _fernet().decrypt(token.encode())
    except InvalidToken as error:
        raise CredentialsUnreadable(
            "Stored credentials cannot be decrypted with the current CREDENTIALS_KEY. "
            "Restore the previous key or enter the credentials again."
        ) from error
    return json.loads(plain)
