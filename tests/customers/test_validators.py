import pytest

from kefu.customers import validators


@pytest.mark.parametrize("raw,expected", [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
                                          ("008619912345678", "19912345678")])
def test_mobile_numbers_are_normalised(raw, expected):
    assert validators.mobile_number(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "abcdefghijk", ""])
def test_bad_mobile_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        validators.mobile_number(raw)


def test_fixed_line_numbers_with_area_code():
    assert validators.phone_number("020-87654321") == "02087654321"
    with pytest.raises(ValueError):
        validators.phone_number("87654321")


def test_resident_id_checksum():
    # GB 11643's worked example.
    assert validators.resident_id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValueError, match="check character"):
        validators.resident_id_number("110105194912310021")
    with pytest.raises(ValueError, match="date of birth"):
        validators.resident_id_number("110105194913310023")
    with pytest.raises(ValueError, match="18 characters"):
        validators.resident_id_number("1101051949123100")
