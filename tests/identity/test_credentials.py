import hashlib

from argon2 import PasswordHasher

from seagreen.identity import credentials
from seagreen.identity.domain import parse_api_key


def test_passwords_are_hashed_with_argon2id(monkeypatch):
    monkeypatch.setattr(credentials, "password_hasher", PasswordHasher)  # the real costs, once
    stored = credentials.hash_password("tide-and-seagrass-42")
    assert stored.startswith("$argon2id$")
    assert "tide-and-seagrass-42" not in stored
    assert credentials.verify_password(stored, "tide-and-seagrass-42")
    assert not credentials.verify_password(stored, "tide-and-seagrass-43")


def test_a_user_without_a_password_never_matches():
    assert not credentials.verify_password(None, "")
    assert not credentials.verify_password(None, "anything")


def test_a_malformed_stored_hash_does_not_match():
    assert not credentials.verify_password("not-a-hash", "anything")


def test_new_api_keys_parse_back_to_their_prefix_and_are_all_different():
    keys = [credentials.new_api_key() for _ in range(200)]
    assert len({key for _, key in keys}) == 200
    for prefix, key in keys:
        assert parse_api_key(key) == prefix
        assert len(key) > 40


def test_token_digest_is_sha256_and_comparison_matches_only_the_same_token():
    assert credentials.token_digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert credentials.digests_match(credentials.token_digest("abc"), "abc")
    assert not credentials.digests_match(credentials.token_digest("abc"), "abd")
