import logging

import pytest

from kefu.core.masking import (
    MaskingFormatter,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)


@pytest.mark.parametrize("address, shown", [
    ("广东省广州市天河区天河路385号", "广东省广州市天河区****"),
    ("北京市朝阳区建国路88号", "北京市朝阳区****"),
    ("上海市浦东新区世纪大道1号", "上海市浦东新区****"),
    ("内蒙古自治区呼和浩特市新城区中山西路1号", "内蒙古自治区呼和浩特市新城区****"),
    ("湖北省恩施土家族苗族自治州恩施市舞阳大道", "湖北省恩施土家族苗族自治州恩施市****"),
    ("广东省广州市天河区天河城市广场", "广东省广州市天河区****"),  # 市 in a street name is not a city
    ("中山路5号", "****"),
    ("", ""),
])
def test_addresses_down_to_the_district(address, shown):
    assert mask_address(address) == shown


@pytest.mark.parametrize("name, shown", [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧阳**"), ("欧阳", "欧*"),
                                         ("John Smith", "J*** S****"), ("", "")])
def test_names_keep_the_family_name(name, shown):
    assert mask_name(name) == shown


def test_numbers():
    assert mask_phone("13812346138") == "138****6138"
    assert mask_id_number("11010119900307123X") == "110101********123X"
    assert mask_text("回拨13812346138，证件11010119900307123X，金额20元") == "回拨138****6138，证件110101********123X，金额20元"
    assert mask_text("订单GD2026112200000012345") == "订单GD2026112200000012345"  # not a phone inside a longer number


def test_log_lines_are_masked_but_records_untouched():
    record = logging.LogRecord("kefu", logging.INFO, __file__, 1, "caller %s", ("13812346138",), None)
    assert MaskingFormatter().format(record) == "caller 138****6138"
    assert record.args == ("13812346138",)
