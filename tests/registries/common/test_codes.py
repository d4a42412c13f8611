"""Estonian personal codes (isikukood) and registry codes: checks and messages."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registries.common.codes import (
    InvalidCodeError,
    check_digit,
    personal_code,
    registry_code,
    validate_personal_code,
    validate_registry_code,
)

FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
SECOND = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)


def remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11


def test_a_well_known_valid_personal_code_is_accepted_with_its_birth_date() -> None:
    assert validate_personal_code("37605030299") == date(1976, 5, 3)


def test_a_personal_code_with_a_wrong_check_digit_is_rejected_saying_so() -> None:
    with pytest.raises(InvalidCodeError, match="check digit is wrong"):
        validate_personal_code("37605030298")


def test_a_personal_code_with_an_impossible_birth_date_is_rejected_saying_so() -> None:
    head = "3760230029"  # 30 February 1976
    with pytest.raises(InvalidCodeError, match="birth date does not exist"):
        validate_personal_code(head + str(check_digit(head)))


@pytest.mark.parametrize("code", ["3760503029", "376050302991", "3760503029a", "", " 37605030299"])
def test_a_personal_code_of_the_wrong_length_or_with_non_digits_is_rejected(code: str) -> None:
    with pytest.raises(InvalidCodeError, match="exactly 11 digits"):
        validate_personal_code(code)


@pytest.mark.parametrize("first", ["0", "9"])
def test_a_personal_code_with_an_unknown_century_digit_is_rejected(first: str) -> None:
    head = first + "760503029"
    with pytest.raises(InvalidCodeError, match="first digit must be 1-8"):
        validate_personal_code(head + str(check_digit(head)))


def test_the_second_round_weights_decide_when_the_first_round_remainder_is_10() -> None:
    head = "3800517011"
    assert remainder(head, FIRST) == 10
    assert remainder(head, SECOND) == 9
    assert validate_personal_code(head + "9") == date(1980, 5, 17)
    with pytest.raises(InvalidCodeError, match="check digit is wrong"):
        validate_personal_code(head + "0")  # what skipping the second round would give


def test_the_check_digit_is_0_when_both_rounds_leave_10() -> None:
    head = "3800517084"
    assert remainder(head, FIRST) == 10
    assert remainder(head, SECOND) == 10
    assert validate_personal_code(head + "0") == date(1980, 5, 17)


def test_a_valid_registry_code_is_accepted() -> None:
    assert remainder("1000001", FIRST) == 8
    assert validate_registry_code("10000018") == "10000018"


def test_a_registry_code_with_a_wrong_check_digit_is_rejected_saying_so() -> None:
    with pytest.raises(InvalidCodeError, match="registry code 10000019: check digit is wrong"):
        validate_registry_code("10000019")


@pytest.mark.parametrize("code", ["1000000", "100000066", "1000000x", "abcdefgh"])
def test_a_registry_code_of_the_wrong_length_is_rejected_saying_so(code: str) -> None:
    with pytest.raises(InvalidCodeError, match="exactly 8 digits"):
        validate_registry_code(code)


def test_registry_codes_use_the_second_round_weights_too() -> None:
    head = "1000006"
    assert remainder(head, FIRST) == 10
    assert remainder(head, SECOND) == 2
    assert validate_registry_code("10000062") == "10000062"
    with pytest.raises(InvalidCodeError, match="check digit is wrong"):
        validate_registry_code("10000060")
    assert remainder("1000064", FIRST) == remainder("1000064", SECOND) == 10
    assert validate_registry_code("10000640") == "10000640"


@given(
    born=st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(min_value=0, max_value=999),
)
def test_every_built_personal_code_validates_to_its_birth_date(
    born: date, sex: str, serial: int
) -> None:
    code = personal_code(born, sex, serial)
    assert validate_personal_code(code) == born
    assert int(code[0]) % 2 == (1 if sex == "M" else 0)


@given(serial=st.integers(min_value=0, max_value=999_999))
def test_every_built_registry_code_validates_and_any_other_check_digit_fails(serial: int) -> None:
    code = registry_code(serial)
    assert validate_registry_code(code) == code
    wrong = code[:7] + str((int(code[7]) + 1) % 10)
    with pytest.raises(InvalidCodeError):
        validate_registry_code(wrong)
