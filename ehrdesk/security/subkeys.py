"""Keys derived from the database key for one purpose each (HKDF-SHA256)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(db_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(db_key)


def audit_key(db_key: bytes) -> bytes:
    """K_audit: the key of the audit log's HMAC chain."""
    return _derive(db_key, b"ehrdesk audit chain v1")
