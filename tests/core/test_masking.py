import logging

import pytest

from kefu.core.masking import (
    MaskingFormatter,
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_service_number,
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


@pytest.mark.parametrize("email, shown", [
    ("15096338319@139.com", "150****8319@139.com"),  # the mobile number as the local part
    ("zhaoqiang1990@qq.com", "zh***@qq.com"),
    ("1234567890@qq.com", "12***@qq.com"),  # a QQ number
    ("li@163.com", "l***@163.com"),
    ("a@b.cn", "a***@b.cn"),
    ("", ""),
])
def test_email_local_parts(email, shown):
    assert mask_email(email) == shown


@pytest.mark.parametrize("number, shown", [
    ("13812346138", "138****6138"),  # mobile
    ("02087654321", "020****4321"),  # fixed line, 3-digit area code
    ("075512345678", "0755****5678"),  # fixed line, 4-digit area code
    ("ad02087654321", "ad020****4321"),  # a broadband account named after the line
    ("ad15096338319", "ad150****8319"),
    ("VA1234567890", "VA1234567890"),  # a value-added service's own number is no one's phone
    ("", ""),
])
def test_service_numbers(number, shown):
    assert mask_service_number(number) == shown


def test_text_with_addresses_and_landlines():
    assert mask_text("来邮zhaoqiang1990@qq.com，回拨020-87654321或15096338319@139.com") == \
        "来邮zh***@qq.com，回拨020****4321或150****8319@139.com"
    assert mask_text("金额0.05元，时间2026-01-01 09:30") == "金额0.05元，时间2026-01-01 09:30"


def test_log_lines_are_masked_but_records_untouched():
    record = logging.LogRecord("kefu", logging.INFO, __file__, 1, "caller %s", ("13812346138",), None)
    assert MaskingFormatter().format(record) == "caller 138****6138"
    assert record.args == ("13812346138",)
