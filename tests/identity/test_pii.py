import re

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from seagreen.identity.domain import ResidentContact
from seagreen.identity.pii import (
    PiiError,
    PiiProtector,
    national_id_check_digit,
    new_resident_ref,
    normalise_national_id,
    normalise_phone,
)

KEY = Fernet.generate_key().decode()
PII = PiiProtector(b"test-hash-key", KEY)

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", "  ", " - ", "\u3000"])
prefixes = st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"])
FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")


@st.composite
def spellings(draw, digits: str) -> str:
    """The same number as people type it: split anywhere, with or without +86, perhaps full-width."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    parts, start = [], 0
    for cut in [*cuts, len(digits)]:
        parts.append(digits[start:cut])
        start = cut
    text = draw(prefixes) + "".join(part + draw(separators) for part in parts).strip()
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@given(st.data(), mobiles)
def test_every_spelling_of_a_phone_number_hashes_the_same(data, mobile):
    spelled = data.draw(spellings(mobile))
    assert normalise_phone(spelled) == mobile
    assert PII.phone_hash(spelled) == PII.phone_hash(mobile)


@given(mobiles, mobiles)
def test_different_phone_numbers_hash_differently(first, second):
    assert (PII.phone_hash(first) == PII.phone_hash(second)) == (first == second)


@pytest.mark.parametrize(
    "raw", ["", "12345", "0631-5200000", "+1 415 555 0100", "2380631000", "138063100001"]
)
def test_refuses_what_is_not_a_mainland_mobile_number(raw):
    with pytest.raises(PiiError):
        normalise_phone(raw)


@given(st.from_regex(r"[1-6][0-9]{16}", fullmatch=True), st.booleans(), separators)
def test_id_numbers_hash_the_same_whatever_the_case_of_x_or_spacing(first17, lower, separator):
    valid = first17 + national_id_check_digit(first17)
    typed = valid[:6] + separator + valid[6:14] + separator + valid[14:]
    if lower:
        typed = typed.lower()
    assert normalise_national_id(typed) == valid
    assert PII.national_id_hash(typed) == PII.national_id_hash(valid)


def test_refuses_an_id_number_whose_check_digit_is_wrong():
    first17 = "37100219900307123"
    right = national_id_check_digit(first17)
    wrong = next(c for c in "0123456789X" if c != right)
    with pytest.raises(PiiError):
        normalise_national_id(first17 + wrong)


def test_the_check_digit_follows_gb_11643():
    assert normalise_national_id("11010519491231002x") == "11010519491231002X"  # the standard's example


def test_a_phone_and_an_id_with_the_same_digits_do_not_share_a_hash():
    assert PII._keyed_hash("phone", "13806310000") != PII._keyed_hash("national_id", "13806310000")


def test_hashes_depend_on_the_key():
    other = PiiProtector(b"another-key", KEY)
    assert other.phone_hash("13806310000") != PII.phone_hash("13806310000")


def test_contact_details_round_trip_and_are_unreadable_encrypted():
    contact = ResidentContact(name="王海燕", phone="13806310000", address="威海市环翠区")
    token = PII.encrypt_contact(contact)
    assert "13806310000" not in token and "王" not in token and "威海" not in token
    assert PII.decrypt_contact(token) == contact


def test_contact_cannot_be_read_with_another_key():
    token = PII.encrypt_contact(ResidentContact(name="王海燕"))
    with pytest.raises(PiiError):
        PiiProtector(b"test-hash-key", Fernet.generate_key().decode()).decrypt_contact(token)


def test_a_new_encryption_key_still_reads_what_the_old_one_wrote_and_can_reencrypt_it():
    old_token = PII.encrypt_contact(ResidentContact(name="王海燕"))
    new_key = Fernet.generate_key().decode()
    rotated = PiiProtector(b"test-hash-key", f"{new_key},{KEY}")
    assert rotated.decrypt_contact(old_token).name == "王海燕"
    fresh = rotated.reencrypt(old_token)
    assert PiiProtector(b"test-hash-key", new_key).decrypt_contact(fresh).name == "王海燕"


def test_resident_refs_are_r_and_twelve_base32_characters_and_do_not_repeat():
    refs = {new_resident_ref() for _ in range(1000)}
    assert len(refs) == 1000
    assert all(re.fullmatch(r"R[A-Z2-7]{12}", ref) for ref in refs)
