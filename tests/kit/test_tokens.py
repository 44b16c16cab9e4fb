"""Key rotation without downtime: tokens name their key; the previous keys still verify."""

from __future__ import annotations

import pytest

from services.kit.errors import Unauthenticated
from services.kit.tokens import TokenCodec, key_id

OLD, NEW = "old-secret-of-32-characters-xxxxx", "new-secret-of-32-characters-yyyyy"


def _codec(secret: str, previous: list[str] | None = None) -> TokenCodec:
    return TokenCodec(secret, "openirm", "openirm", 60, previous=previous)


def test_a_token_of_the_previous_key_verifies_after_a_rotation() -> None:
    before = _codec(OLD).issue("user:x")
    after = _codec(NEW, previous=[OLD])
    assert after.verify(before).subject == "user:x"
    fresh = after.issue("user:y")
    assert _codec(NEW).verify(fresh).subject == "user:y"  # signed with the new key only
    with pytest.raises(Unauthenticated, match="unknown or retired key"):
        _codec(OLD).verify(fresh)


def test_a_retired_key_stops_verifying() -> None:
    before = _codec(OLD).issue("user:x")
    with pytest.raises(Unauthenticated, match="unknown or retired key"):
        _codec(NEW).verify(before)


def test_key_ids_name_keys_without_revealing_them() -> None:
    assert key_id(OLD) != key_id(NEW) and len(key_id(OLD)) == 16
    assert OLD not in _codec(OLD).issue("user:x")
