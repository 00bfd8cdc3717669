"""Deterministic demo data: customers, subscriptions, contacts and work orders with legal histories.

`generate()` is driven by one `random.Random(seed)` and an anchor date, so the same seed and
anchor on a freshly migrated database always give the same rows. Rows get explicit primary keys
(max existing id + 1, so a second run adds to the first), which lets numbers (customer_no,
order number) be computed before the insert. Rows are written as plain tuples with executemany:
bulk_create's per-value SQL compilation would take minutes for a million rows. Sequences are
reset afterwards (PostgreSQL).

Work order histories are walks of orders.states.TRANSITIONS, and the orders' own fields (status,
handler, department, times, reopen count, satisfaction, version) are set the way orders.services
would set them for that history.

Every demo customer's service password is 123456: one hash is computed per run and shared.
All generated times lie in the ~120 days before the horizon: 00:00 of the anchor day
(settings.TIME_ZONE), or the moment given as `now` (`kefu demo`: the data is as of the moment it
is loaded). Open orders are young, placed by their time limits (OPEN_BUDGET_HOURS), and the
escalations their clocks would have fired before the horizon are written as history.
"""

import bisect
import copy
import datetime as dt
import functools
import itertools
import json
import string
import time
from contextlib import contextmanager
from random import Random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import F, Max, Prefetch

from kefu.contacts.models import Channel, Contact, ContactOrder, IdentityVerification
from kefu.core import crypto
from kefu.customers.models import Account, Customer, Segment, Subscription
from kefu.customers.services import customer_number
from kefu.customers.validators import id_check_char
from kefu.demo import org
from kefu.orders.models import (
    OPEN_STATUSES,
    Category,
    Feedback,
    Kind,
    OrderEvent,
    Severity,
    Status,
    WorkOrder,
)
from kefu.orders.services import order_number
from kefu.orders.states import TRANSITIONS
from kefu.staff import roles
from kefu.staff.models import Department, User

DEMO_SERVICE_PASSWORD = "123456"
WINDOW_DAYS = 120
CHUNK = 5000  # orders or customers built and inserted at a time: bounded memory, big batches

S = Status
Product = Subscription.Product

# --- people and places ---------------------------------------------------------------------

SURNAMES = (
    "王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 6 + "杨" * 4 + "黄" * 3 + "赵" * 3 + "吴" * 3 + "周" * 3
    + "徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAMES = list(SURNAMES) + ["欧阳", "司马", "诸葛"]  # repeated letters above weight the common ones
GIVEN_MALE = ("伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 旭 宁 龙 林 阳 峰 "
              "建国 建华 志强 志明 海涛 晓东 文博 子豪 浩然 宇轩 俊杰 家豪 国庆 永康 德华 振宇 一鸣 思远").split()
GIVEN_FEMALE = ("芳 娜 敏 静 丽 艳 娟 霞 玲 婷 雪 慧 颖 琳 晶 燕 倩 丹 萍 洁 "
                "秀英 桂英 欣怡 雨涵 梓涵 诗涵 思琪 佳怡 晓燕 美玲 丽娟 玉兰 淑珍 雅静 梦瑶 紫萱 晓红 春梅").split()

# province, weight, [(city, 4-digit admin code, area code, [(district, 2-digit code), ...])]
REGIONS = [
    ("广东省", 12, [("广州市", "4401", "020", [("天河区", "06"), ("越秀区", "04"), ("海珠区", "05"), ("白云区", "11")]),
                   ("深圳市", "4403", "0755", [("福田区", "04"), ("南山区", "05"), ("宝安区", "06"), ("龙岗区", "07")]),
                   ("东莞市", "4419", "0769", [("莞城街道", "00"), ("南城街道", "00"), ("东城街道", "00")])]),
    ("北京市", 6, [("北京市", "1101", "010", [("东城区", "01"), ("西城区", "02"), ("朝阳区", "05"), ("海淀区", "08")])]),
    ("上海市", 6, [("上海市", "3101", "021", [("黄浦区", "01"), ("徐汇区", "04"), ("闵行区", "12"), ("浦东新区", "15")])]),
    ("江苏省", 8, [("南京市", "3201", "025", [("玄武区", "02"), ("秦淮区", "04"), ("鼓楼区", "06"), ("江宁区", "15")]),
                  ("苏州市", "3205", "0512", [("姑苏区", "08"), ("吴中区", "06"), ("相城区", "07")]),
                  ("无锡市", "3202", "0510", [("梁溪区", "13"), ("滨湖区", "11")])]),
    ("浙江省", 7, [("杭州市", "3301", "0571", [("上城区", "02"), ("西湖区", "06"), ("滨江区", "08"), ("余杭区", "10")]),
                  ("宁波市", "3302", "0574", [("海曙区", "03"), ("鄞州区", "12")])]),
    ("四川省", 6, [("成都市", "5101", "028", [("锦江区", "04"), ("武侯区", "07"), ("成华区", "08"), ("双流区", "16")]),
                  ("绵阳市", "5107", "0816", [("涪城区", "03"), ("游仙区", "04")])]),
    ("湖北省", 5, [("武汉市", "4201", "027", [("江岸区", "02"), ("武昌区", "06"), ("洪山区", "11"), ("江夏区", "15")]),
                  ("宜昌市", "4205", "0717", [("西陵区", "02"), ("伍家岗区", "03")])]),
    ("山东省", 6, [("济南市", "3701", "0531", [("历下区", "02"), ("市中区", "03"), ("槐荫区", "04")]),
                  ("青岛市", "3702", "0532", [("市南区", "02"), ("黄岛区", "11"), ("崂山区", "12")])]),
    ("河南省", 5, [("郑州市", "4101", "0371", [("中原区", "02"), ("二七区", "03"), ("金水区", "05")]),
                  ("洛阳市", "4103", "0379", [("西工区", "03"), ("洛龙区", "11")])]),
    ("湖南省", 4, [("长沙市", "4301", "0731", [("芙蓉区", "02"), ("天心区", "03"), ("岳麓区", "04"), ("雨花区", "11")])]),
    ("福建省", 4, [("福州市", "3501", "0591", [("鼓楼区", "02"), ("台江区", "03")]),
                  ("厦门市", "3502", "0592", [("思明区", "03"), ("湖里区", "06")])]),
    ("陕西省", 3, [("西安市", "6101", "029", [("新城区", "02"), ("碑林区", "03"), ("雁塔区", "13"), ("长安区", "16")])]),
    ("重庆市", 3, [("重庆市", "5001", "023", [("渝中区", "03"), ("江北区", "05"), ("南岸区", "08"), ("渝北区", "12")])]),
    ("天津市", 2, [("天津市", "1201", "022", [("和平区", "01"), ("河西区", "03"), ("南开区", "04")])]),
    ("安徽省", 3, [("合肥市", "3401", "0551", [("庐阳区", "03"), ("蜀山区", "04"), ("包河区", "11")])]),
    ("辽宁省", 3, [("沈阳市", "2101", "024", [("和平区", "02"), ("沈河区", "03")]),
                  ("大连市", "2102", "0411", [("中山区", "02"), ("甘井子区", "11")])]),
]
STREETS = ("人民路 中山路 解放路 建设路 和平路 新华路 文化路 长江路 黄河路 青年路 胜利路 朝阳路 "
           "东风路 幸福路 学府路 科技路 滨江大道 世纪大道 光明街 友谊路").split()
ESTATES = ("阳光花园 碧水湾 万家城 金地花园 香槟小镇 新都会 幸福里 和谐家园 锦绣江南 世纪城 翠苑 "
           "丽景湾 书香苑 滨江名苑 枫林小区 春晓花园").split()
COMPANY_BRANDS = ("华锐 恒通 鑫源 中科 博远 天成 宏达 瑞丰 金鹏 新纪元 盛世 永安 德润 嘉禾 远航 "
                  "信达 佳和 启明 云帆 海纳 蓝海 创联").split()
INDUSTRIES = "科技 贸易 物流 建设工程 餐饮管理 电子 网络科技 医疗器械 教育咨询 文化传媒 置业 机械设备".split()
GOV_UNITS = "人民政府办公室 教育局 卫生健康局 市场监督管理局 人力资源和社会保障局".split()
MOBILE_PREFIXES = ("134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 198 "
                   "130 131 132 155 156 166 175 176 185 186 133 153 173 177 180 181 189 191 199 195").split()
# Multiplier of the number scrambles: odd and not a multiple of 5, so coprime to 10^k and 7·10^k.
_SCRAMBLE = 48_271_009

MOBILE_PLANS = ["5G畅享套餐 129元", "5G畅享套餐 199元", "5G智享套餐 99元", "4G飞享套餐 38元",
                "畅越冰激凌 99元", "全球通 158元", "神州行 8元", "动感地带 校园卡 29元", "亲情卡 19元"]
SENIOR_PLANS = ["神州行 8元", "亲情卡 19元"]
YOUTH_PLANS = ["动感地带 校园卡 29元", "5G智享套餐 99元"]
BROADBAND_PLANS = ["融合宽带 200M", "融合宽带 500M", "千兆宽带 1000M", "单宽带 100M"]
ENTERPRISE_BROADBAND = ["企业专线 100M", "企业专线 500M", "商务宽带 300M"]
FIXED_PLANS = ["固话基础套餐 15元/月", "商务固话 50元/月", "亲情固话 10元/月"]
VAS_NAMES = ["视频彩铃", "来电显示", "云盘会员", "手机视频会员", "定向流量包", "139邮箱VIP", "国际漫游包"]
VAS_PLANS = {"视频彩铃": "5元/月", "来电显示": "5元/月", "云盘会员": "10元/月", "手机视频会员": "15元/月",
             "定向流量包": "20元/月", "139邮箱VIP": "5元/月", "国际漫游包": "30元/次"}

DEVICES = ["华为Mate 60", "iPhone 15", "小米14", "OPPO Reno11", "vivo X100", "荣耀90", "iPhone 13", "红米K70"]
MODEMS = ["华为HG8145", "中兴F650", "烽火HG6543", "华为HN8145X6", "中兴F7610M"]
PLACES = ["地下车库", "电梯里", "办公室", "卧室", "地铁站", "商场里", "小区门口"]
RELATIVES = ["配偶", "儿子", "女儿", "父亲", "母亲"]

# --- order texts ---------------------------------------------------------------------------
# Placeholders are filled per order by _Values; see its generators for what each one yields.

TEMPLATES = {
    "consult-plan": [
        ("咨询{plan}资费", "客户咨询{plan}的月费、包含流量和通话分钟数，以及能否叠加{data_gb}GB流量包。"),
        ("咨询适合老人使用的套餐", "客户想给家里老人办一张卡，咨询有没有月费低、通话多的套餐，预算每月{small_amount}元左右。"),
        ("咨询5G套餐升级", "客户目前使用{plan}，咨询升级5G套餐后月费变化以及合约期限制。"),
    ],
    "consult-usage": [
        ("查询本月流量使用情况", "客户收到提醒称流量已用{percent}%，询问本月剩余流量和结转规则。"),
        ("查询通话分钟数余量", "客户咨询本月套餐内通话分钟数还剩多少，{date}以后打电话是否另外收费。"),
        ("咨询流量超出后如何计费", "客户本月流量已超出套餐内{data_gb}GB，询问超出部分如何计费、是否会自动限速。"),
    ],
    "consult-balance": [
        ("查询话费余额", "客户来电查询话费余额，称{date}刚充值{amount}元，担心没有到账。"),
        ("咨询欠费停机时间", "客户询问余额不足后多久会停机，能否开通信用额度延缓停机。"),
    ],
    "consult-bill": [
        ("咨询{month}账单明细", "客户对{month}账单有疑问，账单金额{amount}元，比平时多，希望了解费用构成。"),
        ("咨询账单中的其他费用", "客户发现账单中有一项{small_amount}元的“其他费用”，咨询具体是什么费用。"),
        ("咨询电子账单订阅", "客户希望每月收到电子账单，咨询如何在APP或公众号订阅。"),
    ],
    "consult-rules": [
        ("咨询携号转网条件", "客户想了解携号转网需要满足哪些条件，在网时长和合约期是否有影响。"),
        ("咨询国际漫游开通", "客户{days}天后出国，咨询国际漫游如何开通、资费标准以及流量包。"),
        ("咨询副卡办理规则", "客户咨询{plan}最多能办几张副卡，副卡是否共享流量和通话。"),
    ],
    "consult-coverage": [
        ("咨询{estate}宽带覆盖", "客户刚搬到{district}{estate}，咨询小区是否已覆盖光纤宽带，最高能装多少兆。"),
        ("咨询5G信号覆盖范围", "客户询问{district}{road}一带是否有5G信号覆盖，近期有无建站计划。"),
    ],
    "biz-open": [
        ("新开手机号码", "客户申请新开一张手机卡，选择{plan}，希望选一个尾号带8的号码。"),
        ("为家人开通副卡", "客户申请为{relative}开通一张副卡，挂在主卡{plan}下共享流量。"),
    ],
    "biz-plan-change": [
        ("套餐变更为{new_plan}", "客户当前使用{plan}，申请下月起变更为{new_plan}。"),
        ("申请降低套餐档次", "客户表示每月流量用不完，申请从{plan}降档，询问是否有合约限制。"),
    ],
    "biz-transfer": [
        ("号码过户", "客户申请将名下号码过户给{relative}，双方将携带身份证原件到{store}办理。"),
        ("宽带过户", "客户房屋已出售，申请将{district}{estate}的宽带账号过户给新房主。"),
    ],
    "biz-suspend": [
        ("申请停机保号", "客户{days}天后出国，申请手机号码停机保号，期间不收月租。"),
        ("手机丢失申请挂失停机", "客户手机于{date}在{place}丢失，申请紧急挂失停机。"),
    ],
    "biz-resume": [
        ("申请复机", "客户已缴清欠费{amount}元，申请恢复号码正常使用。"),
        ("停机保号后申请复机", "客户已回国，申请恢复此前停机保号的号码。"),
    ],
    "biz-cancel": [
        ("申请销户", "客户因工作调动将离开{city}，申请注销号码并结清费用。"),
        ("宽带拆机", "客户搬家后新住址不在覆盖范围内，申请宽带拆机并退还光猫。"),
    ],
    "biz-vas": [
        ("开通{vas}", "客户申请开通{vas}，询问资费和生效时间。"),
        ("退订{vas}", "客户申请退订{vas}，要求下月起不再收费。"),
    ],
    "biz-portability": [
        ("携号转入申请", "客户申请将其他运营商的号码携号转入，选择{plan}。"),
        ("携号转出授权码", "客户申请携号转出，需查询是否满足条件并获取授权码。"),
    ],
    "biz-install": [
        ("新装宽带预约", "客户新居位于{district}{estate}{building}栋，申请安装{bb_plan}，希望{future_date}上门。"),
        ("固话装机申请", "客户公司新址位于{district}{road}{door}号，申请安装{count}部固定电话。"),
        ("宽带移机", "客户搬家至{district}{estate}，申请将{bb_plan}移机到新地址。"),
    ],
    "biz-data-change": [
        ("变更账单寄送地址", "客户搬家，申请将账单寄送地址变更为{district}{road}{door}号{estate}。"),
        ("重置服务密码", "客户忘记服务密码，已凭身份证核实身份，申请重置服务密码。"),
    ],
    "biz-invoice": [
        ("申请开具{month}发票", "客户需要{month}话费的电子普通发票，金额{amount}元，用于单位报销。"),
        ("发票抬头变更", "客户申请将发票抬头变更为单位名称，并提供了纳税人识别号。"),
    ],
    "fault-no-signal": [
        ("手机无信号", "客户反映在{district}{estate}家中手机一直显示无服务，已{days}天，换到其他手机也一样。"),
        ("{place}没有信号", "客户反映在{district}{road}附近的{place}手机没有信号，无法拨打电话。"),
    ],
    "fault-mobile-data": [
        ("手机无法上网", "客户手机有信号但无法使用流量上网，已重启手机、开关飞行模式，问题依旧。机型{device}。"),
        ("5G网络不稳定", "客户反映{device}在{district}经常从5G掉到4G，网页打开很慢。"),
    ],
    "fault-call-quality": [
        ("通话断断续续", "客户反映最近{days}天在{district}通话经常断断续续，对方听不清。"),
        ("通话经常掉线", "客户反映每次通话{minutes}分钟左右就自动掉线，一天出现{times}次。"),
    ],
    "fault-broadband-down": [
        ("宽带无法上网", "家里宽带从昨晚开始无法上网，光猫LOS灯闪红，已重启无效。"),
        ("宽带频繁断网", "客户反映{district}{estate}的宽带从{date}起频繁断网，每次持续{minutes}分钟左右，影响居家办公。"),
        ("宽带拨号失败", "客户宽带拨号提示错误691，已确认账号密码无误，光猫型号{modem}。"),
    ],
    "fault-broadband-slow": [
        ("宽带网速慢", "客户办理的{bb_plan}实测只有{speed}，晚上{evening}点以后尤其慢。"),
        ("WiFi信号差", "客户反映家里WiFi覆盖差，卧室几乎没有信号，测速只有{speed}。"),
    ],
    "fault-line": [
        ("入户光纤中断", "客户反映{district}{estate}楼道施工后入户光纤被挖断，宽带和固话同时中断。"),
        ("线路老化有杂音", "客户家中线路老化，固话有杂音，宽带时断时续。"),
    ],
    "fault-device": [
        ("光猫故障", "客户家中光猫{modem}指示灯全灭，插拔电源后无反应，疑似设备损坏。"),
        ("机顶盒无法开机", "客户反映IPTV机顶盒通电后无法开机，指示灯一直亮红色。"),
    ],
    "fault-fixed-line": [
        ("固话无拨号音", "客户固定电话拿起话筒没有拨号音，已持续{days}天，家中老人无法联系外界。"),
        ("固话只能接不能打", "客户固话能接听来电但无法拨出，提示“您的电话受限”。"),
    ],
    "fault-iptv": [
        ("IPTV画面卡顿", "客户反映IPTV看直播频道画面经常卡顿、出现马赛克，晚上{evening}点以后尤其严重。"),
        ("IPTV无法回看", "客户IPTV回看功能无法使用，提示“节目源不可用”。"),
    ],
    "cmp-service-attitude": [
        ("投诉营业员服务态度差", "客户{date}在{store}办理业务时，营业员态度冷淡、不耐烦，对客户的询问敷衍了事。"),
        ("投诉客服人员态度恶劣", "客户反映{date}拨打客服热线，工号{staff_no}的客服人员语气生硬，中途挂断电话。"),
    ],
    "cmp-service-efficiency": [
        ("投诉业务办理时间过长", "客户在{store}排队等候{minutes}分钟才办上业务，现场只开了{count}个窗口。"),
        ("投诉装机迟迟不上门", "客户{date}申请安装宽带，承诺{hours}小时内上门，至今已{days}天仍无人联系。"),
    ],
    "cmp-service-process": [
        ("投诉销户流程繁琐", "客户反映销户要求本人到原开户营业厅办理，已跑了{count}次仍未办成。"),
        ("投诉报修流程反复", "客户反映报修后被要求反复提供相同信息，已重复描述问题{count}次。"),
    ],
    "cmp-quality-signal": [
        ("投诉家中长期信号差", "客户反映{district}{estate}家中手机信号长期只有一格，多次报修未解决，要求给出解决时间。"),
        ("投诉5G信号名不副实", "客户办理5G套餐后，在{district}大部分时间只有4G信号，认为名不副实，要求降档或补偿。"),
    ],
    "cmp-quality-broadband": [
        ("投诉宽带反复断网", "客户宽带{days}天内断网{times}次，维修人员处理后仍反复出现，要求赔偿。"),
        ("投诉宽带速率不达标", "客户办理{bb_plan}，多次测速只有{speed}，要求达到签约速率或退还差价。"),
    ],
    "cmp-quality-product": [
        ("投诉APP缴费不到账", "客户{date}通过掌上营业厅APP缴费{amount}元，扣款成功但话费未到账。"),
        ("投诉会员权益缩水", "客户反映开通的{vas}权益与宣传不符，下载速度被限制。"),
    ],
    "cmp-billing-wrong": [
        ("投诉乱扣费", "客户反映{month}话费被多扣{amount}元，本人未使用相关业务，要求退费并说明原因。"),
        ("投诉重复扣费", "客户{date}缴费{amount}元，银行卡被扣了两次，要求退还多扣的款项。"),
        ("投诉停机后仍扣月租", "客户号码已于{date}停机保号，但{month}仍被扣除月租{small_amount}元。"),
    ],
    "cmp-billing-high": [
        ("投诉话费过高", "客户{month}话费{amount}元，平时只有{small_amount}元左右，怀疑计费错误。"),
        ("投诉漫游流量费过高", "客户出差期间产生流量费{amount}元，表示没有收到任何提醒短信。"),
    ],
    "cmp-billing-unclear": [
        ("投诉收费不明", "客户账单中有一笔{small_amount}元的费用，营业厅和热线都解释不清。"),
        ("投诉套餐外费用未告知", "客户办理{plan}时未被告知套餐外通话资费，{month}额外产生{amount}元。"),
    ],
    "cmp-billing-vas": [
        ("投诉未经同意订购{vas}", "客户发现从{month}起每月被扣{vas}费用{small_amount}元，本人从未订购，要求全额退费。"),
        ("投诉被强制开通增值业务", "客户在{store}办理业务时被开通{vas}，营业员未说明会收费，要求退订并退费。"),
    ],
    "cmp-communication": [
        ("投诉多次反映无人回复", "客户就同一问题已来电{count}次，每次都说会回电，但一直没有人联系。"),
        ("投诉答复前后不一致", "客户反映热线和营业厅对{vas}退订规则的说法不一致，无所适从。"),
    ],
    "sug-service": [
        ("建议营业厅周末增加窗口", "客户建议{store}周末增加办理窗口，周六上午排队时间太长。"),
        ("建议热线增设老年人专席", "客户建议客服热线为老年人设置一键转人工的专席，语音导航层级太多。"),
    ],
    "sug-product": [
        ("建议推出家庭共享流量包", "客户建议推出家庭成员共享的流量包，多张卡之间可以互相分配流量。"),
        ("建议APP支持导出账单", "客户建议掌上营业厅APP支持把最近{count}个月的账单明细导出为PDF。"),
    ],
    "praise-staff": [
        ("表扬装维人员", "客户表扬装维工程师{surname}师傅{date}冒雨上门，耐心排查宽带故障，服务热情。"),
        ("表扬客服代表", "客户来电表扬工号{staff_no}的客服代表，耐心细致地帮其解决了话费问题。"),
    ],
    "praise-service": [
        ("表扬营业厅服务", "客户表扬{store}服务周到，工作人员主动帮助老人办理业务。"),
        ("表扬故障处理及时", "客户表扬{date}报修的宽带故障{hours}小时内就修好了，效率很高。"),
    ],
}

RESOLUTIONS = {
    "consultation": ["已向客户详细解答，客户表示清楚。", "已通过短信将相关资费和规则发送给客户，客户表示了解。"],
    "consult-plan": ["已介绍{plan}及同档位套餐的资费和权益，客户表示考虑后再办理。"],
    "consult-bill": ["已逐项解释账单构成，费用无误，客户表示认可。"],
    "business": ["已按客户要求办理完成，并短信通知客户。"],
    "biz-open": ["已为客户开通号码并完成实名登记，号卡已激活。"],
    "biz-plan-change": ["已办理套餐变更，下月1日起生效，已短信告知客户。"],
    "biz-transfer": ["双方已到厅完成过户手续。"],
    "biz-suspend": ["已办理停机，提醒客户补卡或复机需本人持身份证办理。"],
    "biz-resume": ["已恢复号码正常使用。"],
    "biz-cancel": ["已办理销户，账户余额已退还。"],
    "biz-vas": ["已按客户要求办理{vas}，次月生效。"],
    "biz-portability": ["已完成携号转网办理，告知客户生效时间。"],
    "biz-install": ["装维人员已上门完成安装调测，客户确认可以正常使用。"],
    "biz-invoice": ["已开具电子发票并发送至客户邮箱。"],
    "fault": ["装维人员上门检测处理，故障已排除，回访客户使用正常。"],
    "fault-no-signal": ["经核查为附近基站传输故障，已抢修恢复，回访客户信号正常。",
                        "已安排网优人员现场测试，调整天线方位角后覆盖改善，客户确认可以正常通话。"],
    "fault-mobile-data": ["核查发现客户APN设置错误，已指导改回默认设置，恢复上网。",
                          "后台重置客户数据业务并刷新位置信息后恢复正常。"],
    "fault-call-quality": ["经路测发现该区域存在干扰，已优化基站参数，通话质量恢复。", "更换客户SIM卡后通话恢复正常。"],
    "fault-broadband-down": ["装维人员上门检查，更换入户光纤跳线后恢复上网。", "分光器端口故障，已更换端口，宽带恢复正常。",
                             "OLT板卡故障已修复，客户确认可以上网。"],
    "fault-broadband-slow": ["上门测速发现路由器老旧，已更换千兆路由器，实测速率达标。", "优化WiFi信道并加装一台无线AP，卧室信号明显改善。"],
    "fault-line": ["已重新熔接入户光纤，宽带和固话恢复正常。", "更换老化的入户线后杂音消失。"],
    "fault-device": ["已上门更换光猫，设备恢复正常。", "机顶盒故障，已免费更换新机顶盒。"],
    "fault-fixed-line": ["交换机端口数据异常，已重新配置，固话恢复。", "取消客户误开通的呼出限制，可以正常拨打。"],
    "fault-iptv": ["调整组播配置并升级机顶盒软件后播放流畅。", "节目源故障已由平台修复，回看功能恢复。"],
    "complaint": ["已核实情况并向客户致歉，客户接受处理结果。"],
    "cmp-service-attitude": ["已调听录音，涉事员工服务用语不规范，已批评教育并纳入考核，向客户致歉。",
                             "已约谈当班营业员并电话致歉，客户接受道歉。"],
    "cmp-service-efficiency": ["已向客户致歉，协调装维人员优先上门完成安装，并减免一个月宽带功能费。",
                               "营业厅已调整高峰期窗口排班，已向客户致歉。"],
    "cmp-service-process": ["已向客户解释流程规定，安排专人协助一次性办结。"],
    "cmp-quality-signal": ["已列入基站建设计划，临时为客户免费提供家庭信号放大器。",
                           "网优部门已调整覆盖参数，回访客户信号明显改善，赠送{data_gb}GB流量表示歉意。"],
    "cmp-quality-broadband": ["更换分光器并整改入户线路，连续观察{days}天未再断网，减免当月宽带费。",
                              "核实为带宽配置错误，已按签约速率重新配置，退还差价{small_amount}元。"],
    "cmp-quality-product": ["经核实为支付渠道延迟，话费已到账，已向客户致歉。"],
    "cmp-billing-wrong": ["经核查为系统计费错误，已退还{amount}元至客户账户。", "核实为客户误订业务，作为特殊情况予以退费并关闭相关业务。"],
    "cmp-billing-high": ["已逐项核对话费清单，费用无误，已详细解释并推荐更合适的套餐。", "核实漫游提醒短信未下发，同意减免{small_amount}元。"],
    "cmp-billing-unclear": ["已向客户逐项解释费用构成，客户表示认可。"],
    "cmp-billing-vas": ["核实无客户订购记录，已退订{vas}并全额退还{amount}元。", "已退订全部增值业务，退还违规收取的费用，并对相关渠道进行处罚。"],
    "cmp-communication": ["已安排专人跟进，向客户致歉并说明处理结果。"],
    "suggestion": ["已记录客户建议并反馈相关部门，感谢客户。", "建议已转产品部门评估，将在后续版本中考虑。"],
    "praise": ["已将表扬转达相关员工，纳入月度考核加分。", "已感谢客户，表扬信息已在部门内通报。"],
}

MAJOR_COMPLAINT = ["客户表示如{days}天内不解决，将向工信部申诉。", "客户称已拨打12300电信用户申诉受理中心电话。",
                   "客户表示将向媒体曝光此事。", "客户称已咨询律师，保留追究法律责任的权利。",
                   "客户表示将在微博发帖并联系媒体曝光。"]
MAJOR_FAULT = ["同一小区已有多户反映同样问题，疑似大面积故障。", "客户称已多次报修未修复，表示将向工信部申诉。"]
MAJOR_ENTERPRISE_FAULT = ["涉及企业专线中断，客户业务全部停摆。", "客户单位整栋楼通信中断，影响对外办公。"]
URGENT_NOTES = ["客户情绪激动，要求尽快处理。", "客户要求今天内给予答复。", "家中有独居老人，需尽快恢复通信。"]
REGULATOR_PREFIX = "通信管理局转办申诉："
WAIT_REASONS = ["需客户提供话费清单截图", "需与客户确认上门时间", "客户暂时不在家，约定下次上门",
                "需客户提供身份证复印件", "等待客户重启光猫后反馈结果", "需客户提供故障发生的具体时间和地点"]
REJECT_REASONS = ["重复工单，已在原工单中处理", "非本公司业务范围，已告知客户咨询对应单位",
                  "客户信息不全且多次联系不上客户", "诉求不符合业务规定，已向客户解释"]
CANCEL_REASONS = ["客户来电表示问题已自行解决，要求撤单", "客户表示不再需要办理", "客户误操作提交，要求撤销",
                  "故障已自行恢复，客户要求取消"]
REOPEN_REASONS = ["客户表示问题仍未解决", "客户对处理结果不满意，再次投诉", "故障再次出现", "客户认为补偿方案不合理"]
DISPUTE_REASON = "客户对处理结果有异议。"
LOW_SCORE_REASON = "满意度评分{score}分，低于{min}分。"
AUTO_CONFIRM_NOTE = "客户{hours}小时内未反馈，系统自动确认。"
TRANSFER_TO = {"tech-support": "network-ops", "network-ops": "tech-support", "complaints": "billing",
               "billing": "complaints", "front-office": "sales", "sales": "front-office", "store": "front-office"}
TRANSFER_REASONS = {"network-ops": "经排查为网络侧问题，转网络运维中心处理", "tech-support": "需技术支持上门排查，转技术支持中心",
                    "billing": "涉及计费核查，转计费账务中心", "complaints": "客户情绪激动，转投诉处理中心跟进",
                    "sales": "涉及营销政策，转市场销售部处理", "front-office": "转客服中心一线跟进处理"}
HAPPY_COMMENTS = ["处理及时，很满意", "工程师态度很好", "问题已解决，谢谢", "", "", "服务很专业"]
UNHAPPY_COMMENTS = ["处理太慢了", "问题虽然解决了但等了太久", "态度一般", "问题还是没有彻底解决", "扣的钱还没有退回来"]
KIND_VERBS = {"consultation": "咨询", "business": "申请办理", "fault": "报修", "complaint": "投诉",
              "suggestion": "建议", "praise": "表扬"}
CHANNEL_OPENERS = {"hotline": "客户来电", "online_chat": "客户在线客服", "email": "客户来邮", "self_service": "客户通过APP自助",
                   "wechat": "客户通过微信公众号", "store": "客户到厅", "social_media": "客户在微博留言",
                   "letter": "客户来信", "account_manager": "客户经理代客户", "regulator": "通信管理局转办，客户"}
# What the customer reads of an order (its customer-visible summary), by kind; {name}: the
# category's name. Self-service orders carry the customer's own words (their title) instead.
CUSTOMER_SUMMARIES = {
    "consultation": "您咨询的{name}问题我们已记录，将尽快为您解答。",
    "business": "您申请办理的{name}业务已受理，我们会尽快为您办理，办理结果将及时告知您。",
    "fault": "您报修的{name}问题已受理，我们正在安排处理，请保持电话畅通。",
    "complaint": "您反映的{name}问题已登记，我们会认真核实，并尽快给您答复。",
    "suggestion": "感谢您的建议，我们已记录并转交相关部门研究。",
    "praise": "感谢您的表扬，我们已转达给相关同事。",
}
ANSWERED = ["客户咨询{plan}的资费和包含流量，已解答。", "客户查询本月话费余额，已告知。", "客户询问营业厅营业时间，已告知。",
            "客户咨询携号转网条件，已说明在网满120天、无欠费等要求。", "客户查询宽带到期时间，已告知并提醒续费。",
            "客户咨询国际漫游开通方式，已指导在APP办理。", "客户要求重置服务密码，已告知需本人持身份证到营业厅办理。",
            "客户查询{month}账单金额，已告知并发送电子账单。", "客户咨询{vas}如何退订，已指导发送短信退订。"]

CATEGORY_PRODUCT = {
    "fault-no-signal": Product.MOBILE, "fault-mobile-data": Product.MOBILE, "fault-call-quality": Product.MOBILE,
    "cmp-quality-signal": Product.MOBILE, "consult-usage": Product.MOBILE, "biz-plan-change": Product.MOBILE,
    "fault-broadband-down": Product.BROADBAND, "fault-broadband-slow": Product.BROADBAND, "fault-iptv": Product.BROADBAND,
    "fault-device": Product.BROADBAND, "cmp-quality-broadband": Product.BROADBAND, "biz-install": Product.BROADBAND,
    "fault-line": Product.FIXED_LINE, "fault-fixed-line": Product.FIXED_LINE,
    "biz-vas": Product.VALUE_ADDED, "cmp-billing-vas": Product.VALUE_ADDED,
}
CATEGORY_WEIGHTS = {"consult-bill": 3, "consult-plan": 3, "consult-balance": 2, "biz-plan-change": 3, "biz-vas": 2,
                    "fault-broadband-down": 4, "fault-broadband-slow": 3, "fault-no-signal": 2,
                    "cmp-billing-wrong": 3, "cmp-billing-vas": 2, "cmp-quality-broadband": 2}

KIND_WEIGHTS = [(Kind.CONSULTATION, 30), (Kind.BUSINESS, 22), (Kind.FAULT, 25), (Kind.COMPLAINT, 15),
                (Kind.SUGGESTION, 4), (Kind.PRAISE, 4)]
# Final status by the order's age in days (up to the first number): intake is even over the
# window, young orders are mostly open, old ones closed but for a few overdue stragglers.
STATUS_BY_AGE = [
    (1, [(S.NEW, 22), (S.ACCEPTED, 18), (S.ASSIGNED, 18), (S.IN_PROGRESS, 15), (S.WAITING_CUSTOMER, 3),
         (S.RESOLVED, 8), (S.CONFIRMED, 2), (S.CLOSED, 8), (S.CANCELLED, 4), (S.REJECTED, 2)]),
    (3, [(S.NEW, 3), (S.ACCEPTED, 4), (S.ASSIGNED, 9), (S.IN_PROGRESS, 18), (S.WAITING_CUSTOMER, 7),
         (S.RESOLVED, 15), (S.CONFIRMED, 6), (S.CLOSED, 30), (S.CANCELLED, 5), (S.REJECTED, 3)]),
    (7, [(S.NEW, 0.5), (S.ACCEPTED, 0.5), (S.ASSIGNED, 3), (S.IN_PROGRESS, 9), (S.WAITING_CUSTOMER, 6),
         (S.RESOLVED, 5), (S.CONFIRMED, 4), (S.CLOSED, 63), (S.CANCELLED, 6), (S.REJECTED, 3)]),
    (WINDOW_DAYS, [(S.NEW, 0.03), (S.ACCEPTED, 0.05), (S.ASSIGNED, 0.15), (S.IN_PROGRESS, 0.5),
                   (S.WAITING_CUSTOMER, 0.3), (S.RESOLVED, 0.1), (S.CONFIRMED, 0.3), (S.CLOSED, 86),
                   (S.CANCELLED, 8), (S.REJECTED, 4)]),
]
CHANNEL_WEIGHTS = [(Channel.HOTLINE, 45), (Channel.ONLINE_CHAT, 14), (Channel.WECHAT, 10), (Channel.SELF_SERVICE, 8),
                   (Channel.STORE, 9), (Channel.EMAIL, 3), (Channel.SOCIAL_MEDIA, 2), (Channel.LETTER, 1),
                   (Channel.ACCOUNT_MANAGER, 3)]
SEVERITY_WEIGHTS = {
    Kind.COMPLAINT: [(Severity.GENERAL, 70), (Severity.URGENT, 22), (Severity.MAJOR, 8)],
    Kind.FAULT: [(Severity.GENERAL, 75), (Severity.URGENT, 22), (Severity.MAJOR, 3)],
    Kind.BUSINESS: [(Severity.GENERAL, 90), (Severity.URGENT, 10)],
    Kind.CONSULTATION: [(Severity.GENERAL, 97), (Severity.URGENT, 3)],
}
HOUR_WEIGHTS = [1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 7, 7, 6, 5, 3, 2]
# Minutes between an order's events, by action: (shortest, longest); short gaps are likelier.
# Answers to a resolution stay well inside KEFU_AUTO_CONFIRM_HOURS (72 h), or auto-confirm would
# have come first.
GAPS = {"accept": (1, 60), "assign": (5, 240), "assign_dept": (5, 240), "claim": (10, 480), "start": (5, 1440),
        "wait": (60, 2880), "resume": (120, 4320), "transfer": (30, 1440), "resolve": (60, 4320),
        "confirm_fb": (120, 3300), "confirm": (60, 2880), "feedback_low": (120, 2880), "dispute": (120, 2880),
        "reopen": (120, 3300), "reopen_closed": (1440, 14400), "close": (10, 1440), "reject": (10, 1440),
        "cancel": (10, 2880), "reply": (1, 10)}
DAY = dt.timedelta(days=1)
# Hours an open order may be old before one of its clocks runs late, by (kind, severity): the
# tightest running target of the default policies (sla/defaults.py) once the order has had its
# first reply — resolution, investigation, feedback, or the interval between updates to the
# customer — with working days counted short (N·24 − 6 h: a start late in the evening). NEW
# orders have acceptance and first response still running: OPEN_NEW_BUDGET_HOURS. A well-run
# centre's backlog is younger than these; tests/demo measures the clocks the demo really gets.
OPEN_BUDGET_HOURS = {
    (Kind.CONSULTATION, Severity.GENERAL): 2, (Kind.CONSULTATION, Severity.URGENT): 2,
    (Kind.BUSINESS, Severity.GENERAL): 48, (Kind.BUSINESS, Severity.URGENT): 18,
    (Kind.FAULT, Severity.GENERAL): 24, (Kind.FAULT, Severity.URGENT): 4, (Kind.FAULT, Severity.MAJOR): 1,
    (Kind.COMPLAINT, Severity.GENERAL): 24, (Kind.COMPLAINT, Severity.URGENT): 24, (Kind.COMPLAINT, Severity.MAJOR): 4,
    (Kind.SUGGESTION, Severity.GENERAL): 48, (Kind.PRAISE, Severity.GENERAL): 24,
}
OPEN_NEW_BUDGET_HOURS = {
    (Kind.CONSULTATION, Severity.GENERAL): 0.25, (Kind.CONSULTATION, Severity.URGENT): 0.25,
    (Kind.BUSINESS, Severity.GENERAL): 24, (Kind.BUSINESS, Severity.URGENT): 1,
    (Kind.FAULT, Severity.GENERAL): 1, (Kind.FAULT, Severity.URGENT): 0.5, (Kind.FAULT, Severity.MAJOR): 0.25,
    (Kind.COMPLAINT, Severity.GENERAL): 1, (Kind.COMPLAINT, Severity.URGENT): 1, (Kind.COMPLAINT, Severity.MAJOR): 1,
    (Kind.SUGGESTION, Severity.GENERAL): 24, (Kind.PRAISE, Severity.GENERAL): 24,
}
# Share of the orders raised by frequent callers (the rest: any customer alike).
FREQUENT_SHARE = 0.15
# The run's first customer (the README's customer 1) raises this many orders spread over the
# window, besides any it draws like everyone: a handful, as an ordinary customer.
REGULAR_ORDERS = 4
# Finished orders resolved within their budget; the rest took up to twice it.
ON_TIME_SHARE = 0.85
# Of the open orders older than their budget: the share still open and late (the rest were
# finished in time, i.e. closed), and how late at most.
LATE_SHARE = 0.2
MAX_OVERDUE = dt.timedelta(days=2)
# Of the open orders in the last fifth of their budget (at risk): the share still open.
AT_RISK_SHARE = 0.3
# Consultations and praise are answered at first contact but for this share.
OPEN_FIRST_CONTACT_SHARE = 0.25
# Staff read their notifications within the day: older ones are written as read.
NOTIFICATIONS_READ_AFTER = dt.timedelta(hours=12)
# A resolution nobody answers is auto-confirmed after 72 h: orders left resolved are younger.
RESOLVED_WITHIN = dt.timedelta(hours=70)
CUSTOMER_VISIBLE = {"resolve", "reject", "cancel", "reopen", "wait"}
OPEN = frozenset(OPEN_STATUSES)
FIRST_REPLIES = ["已联系客户，告知工单已受理及预计处理时间。", "已回复客户：问题已登记，正在安排处理。",
                 "已短信告知客户工单编号和处理进度查询方式。"]


# --- small helpers -------------------------------------------------------------------------

class Weighted:
    """Weighted choice by bisecting cumulative weights: faster than Random.choices per call."""

    def __init__(self, pairs):
        self.items = [item for item, _w in pairs]
        self.cum = list(itertools.accumulate(w for _i, w in pairs))

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


REJECT_STOPS = Weighted([(S.NEW, 50), (S.ACCEPTED, 35), (S.ASSIGNED, 15)])
CANCEL_STOPS = Weighted([(S.NEW, 25), (S.ACCEPTED, 20), (S.ASSIGNED, 20), (S.IN_PROGRESS, 20), (S.WAITING_CUSTOMER, 15)])
CONFIRM_WAYS = Weighted([("confirm_fb", 55), ("auto_confirm", 30), ("confirm", 15)])
VERIFY_METHODS = Weighted([(IdentityVerification.Method.SERVICE_PASSWORD, 60),
                           (IdentityVerification.Method.SMS_CODE, 40)])
FEEDBACK_CHANNELS = Weighted([(Channel.HOTLINE, 70), (Channel.WECHAT, 15), (Channel.SELF_SERVICE, 15)])


# Random.choice/randint/randrange go through a slow rejection loop; these are plain scaling of
# random(), just as deterministic, and several times faster in the million-call loops here.
def _choice(rng, seq):
    return seq[int(rng.random() * len(seq))]


def _randint(rng, lo, hi):
    return lo + int(rng.random() * (hi - lo + 1))


def _randrange(rng, *args):
    lo, hi = (0, args[0]) if len(args) == 1 else args
    return lo + int(rng.random() * (hi - lo))


def _skewed(rng, lo, hi):
    return lo + (hi - lo) * rng.random() ** 2


def _scramble(n: int, modulus: int, offset: int = 7_654_321) -> int:
    """A bijection of range(modulus): consecutive ids give unrelated-looking numbers."""
    return (n * _SCRAMBLE + offset) % modulus


def mobile_number(index: int, attempt: int = 0) -> str:
    """A mobile number unique per index below 4·10^9 (40 prefixes × 10^8 numbers)."""
    m = _scramble(index + attempt * 1_000_003, len(MOBILE_PREFIXES) * 10**8)
    return f"{MOBILE_PREFIXES[m % len(MOBILE_PREFIXES)]}{m // len(MOBILE_PREFIXES):08d}"


def landline_local(index: int) -> str:
    """An 8-digit local number starting with 2–8, unique per index below 7·10^7."""
    return str(_scramble(index, 7 * 10**7, 27_182_818) + 2 * 10**7)


def resident_id(region6: str, birth: dt.date, seq: int) -> str:
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def social_credit_code(rng, kind_code: str, region6: str) -> str:
    """A unified social credit code (GB 32100) with valid organisation-code and final check chars."""
    body = "".join(_choice(rng, string.digits) for _ in range(8))
    org_check = 11 - sum(int(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    body += {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = (kind_code + region6 + body).replace("X", "0")  # X is not in the USCC alphabet
    check = (31 - sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True)) % 31) % 31
    return first17 + USCC_CHARS[check]


class CustomerInfo:
    """What order generation needs to know about a generated customer."""

    __slots__ = ("pk", "name", "type", "segment", "phone", "email", "province", "city", "district", "area",
                 "since", "subs")

    def __init__(self, pk):
        self.pk = pk
        self.subs = {}  # product -> pk of the customer's first live subscription of it


class _Values(dict):
    """Template values made on first use, so an order only draws the random numbers it needs."""

    def __init__(self, ctx, customer, created):
        super().__init__()
        self.ctx, self.customer, self.day = ctx, customer, created.date()

    def __missing__(self, key):
        value = self[key] = str(getattr(self, "_" + key)(self.ctx.rng))
        return value

    def _amount(self, rng):
        return f"{_randint(rng, 30, 800)}.{_choice(rng, ['00', '50', '80', '20'])}"

    def _small_amount(self, rng):
        return _choice(rng, [5, 8, 10, 15, 19, 20, 29, 30, 38])

    def _plan(self, rng):
        return _choice(rng, MOBILE_PLANS).replace(" ", "")

    def _new_plan(self, rng):
        return _choice(rng, [p for p in MOBILE_PLANS if p.replace(" ", "") != self["plan"]]).replace(" ", "")

    def _bb_plan(self, rng):
        return _choice(rng, BROADBAND_PLANS).replace(" ", "")

    def _vas(self, rng):
        return _choice(rng, VAS_NAMES)

    def _date(self, rng):
        d = self.day - dt.timedelta(days=_randint(rng, 1, 25))
        return f"{d.month}月{d.day}日"

    def _future_date(self, rng):
        d = self.day + dt.timedelta(days=_randint(rng, 1, 5))
        return f"{d.month}月{d.day}日"

    def _month(self, rng):
        return f"{(self.day.month - 2) % 12 + 1}月"

    def _days(self, rng):
        return _randint(rng, 2, 7)

    def _hours(self, rng):
        return _choice(rng, [4, 8, 12, 24, 48])

    def _minutes(self, rng):
        return _choice(rng, [5, 10, 15, 20, 30, 40, 60])

    def _times(self, rng):
        return _randint(rng, 3, 10)

    def _count(self, rng):
        return _randint(rng, 2, 5)

    def _percent(self, rng):
        return _choice(rng, [80, 85, 90, 95])

    def _data_gb(self, rng):
        return _choice(rng, [10, 20, 30, 40, 60])

    def _speed(self, rng):
        return _choice(rng, ["2M", "5M", "8M", "10M", "20M", "30M"])

    def _evening(self, rng):
        return _randint(rng, 7, 10)

    def _place(self, rng):
        return _choice(rng, PLACES)

    def _device(self, rng):
        return _choice(rng, DEVICES)

    def _modem(self, rng):
        return _choice(rng, MODEMS)

    def _relative(self, rng):
        return _choice(rng, RELATIVES)

    def _road(self, rng):
        return _choice(rng, STREETS)

    def _estate(self, rng):
        return _choice(rng, ESTATES)

    def _building(self, rng):
        return _randint(rng, 1, 28)

    def _door(self, rng):
        return _randint(rng, 1, 399)

    def _store(self, rng):
        return f"{self.customer.district}{_choice(rng, STREETS)}营业厅"

    def _staff_no(self, rng):
        return _randint(rng, 1001, 9899)

    def _surname(self, rng):
        return _choice(rng, SURNAMES)

    def _city(self, rng):
        return self.customer.city

    def _district(self, rng):
        return self.customer.district


def _fill(template: str, values: _Values) -> str:
    return template.format_map(values)


# --- writing rows --------------------------------------------------------------------------

class _Table:
    """Rows of one model as tuples in COLUMNS order, inserted with executemany (COPY on PostgreSQL).

    Raw inserts skip the ORM's per-value SQL compilation (most of bulk_create's time for a
    million rows) and auto_now, so the generated timestamps are stored as they are.
    """

    def __init__(self, model, columns):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        missing = [a for a, f in fields.items() if a not in columns and not (f.null or f.primary_key)]
        if unknown or missing:  # the model changed: fail loudly rather than insert wrong rows
            raise LookupError(f"demo seed columns of {meta.label} are out of date: unknown {unknown}, missing {missing}")
        qn = connection.ops.quote_name
        self.rows, self.count = [], 0
        target = f"{qn(meta.db_table)} ({', '.join(qn(fields[c].column) for c in columns)})"
        self.sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})"
        self.copy_sql = f"COPY {target} FROM STDIN"

    def flush(self):
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # executemany costs a round trip per row through Django's client-side binding cursor.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.count += len(self.rows)
        self.rows = []


COLUMNS = {
    Customer: ("id", "created_at", "updated_at", "version", "customer_no", "type", "name", "id_type", "id_number",
               "phone", "alt_phone", "email", "address", "province", "city", "district", "segment", "status",
               "service_password_hash", "id_number_bidx", "phone_bidx", "alt_phone_bidx", "key_id"),
    Account: ("id", "created_at", "updated_at", "version", "account_no", "customer_id", "name", "billing", "status"),
    Subscription: ("id", "created_at", "updated_at", "version", "service_number", "customer_id", "account_id",
                   "product", "plan", "status", "opened_on", "terminated_on", "province", "city", "area"),
    Contact: ("id", "created_at", "updated_at", "version", "channel", "direction", "started_at", "ended_at", "agent_id",
              "customer_id", "caller", "summary", "outcome", "key_id"),
    IdentityVerification: ("id", "contact_id", "method", "result", "at", "agent_id", "code_hash", "expires_at"),
    WorkOrder: ("id", "created_at", "updated_at", "version", "number", "kind", "category_id", "severity", "channel",
                "status", "customer_id", "subscription_id", "title", "description", "customer_summary", "resolution", "owner_id",
                "handler_id", "department_id", "parent_id", "reopen_count", "satisfaction", "needs_review",
                "accepted_at", "resolved_at", "closed_at", "repeat_count", "flagged", "tier", "province"),
    OrderEvent: ("id", "order_id", "at", "actor_id", "action", "from_status", "to_status", "reason", "note",
                 "visibility", "data", "disputes_id"),
    Feedback: ("id", "order_id", "resolution_event_id", "confirmed", "score", "satisfied", "comment", "channel",
               "recorded_by_id", "at"),
    ContactOrder: ("id", "contact_id", "order_id", "role"),
}
LABELS = {Customer: "customers", Account: "accounts", Subscription: "subscriptions", Contact: "contacts",
          IdentityVerification: "identity verifications", WorkOrder: "work orders", OrderEvent: "order events",
          Feedback: "feedback", ContactOrder: "contact-order links"}


def _db_converters(tz, start, end):
    """(timestamp, date) converters to what the database driver takes, as Django would store them.

    Times are generated as naive wall-clock times in TZ (cheap arithmetic, local hours at hand).
    Django keeps SQLite datetimes as naive UTC text; all our times are whole seconds.
    """
    if connection.vendor != "sqlite":
        return (lambda d: d.replace(tzinfo=tz)), (lambda d: d)
    offsets = {tz.utcoffset(start + DAY * i) for i in range((end - start).days + 1)}
    if len(offsets) == 1:  # no daylight saving in the window (always so for Asia/Shanghai)
        offset = offsets.pop()
        timestamp = lambda d: str(d - offset)  # noqa: E731 -- hot path: about 10^6 calls
    else:
        timestamp = lambda d: str(d - tz.utcoffset(d))  # noqa: E731
    return timestamp, (lambda d: None if d is None else d.isoformat())


@contextmanager
def _big_cache(kib=256 * 1024):
    """SQLite's default 2 MB page cache makes index inserts thrash on a big run; lend it more."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _next_ids(*models) -> dict:
    return {m: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in models}


def _reset_sequences(models):
    """PostgreSQL sequences do not see explicit ids: move them past the rows we inserted."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- the run context -----------------------------------------------------------------------

class _Context:
    """Random source, time window, staff pools, categories, id counters and tables of one run."""

    def __init__(self, seed, anchor, now=None):
        self.rng, self.seed, self.anchor = Random(seed), seed, anchor
        self.tz = ZoneInfo(settings.TIME_ZONE)
        # The data ends at the horizon: 00:00 of the anchor day, or NOW (kefu demo), so nothing
        # lies in the future. Times are naive wall-clock times in self.tz until they are written
        # (see _db_converters).
        self.horizon = dt.datetime.combine(anchor, dt.time()) if now is None else (
            now.astimezone(self.tz).replace(tzinfo=None, microsecond=0))
        # 00:00 of the last day with data: the day before a midnight horizon, else the horizon's day.
        self.last_day = dt.datetime.combine((self.horizon - dt.timedelta(seconds=1)).date(), dt.time())
        self.window_start = self.last_day - dt.timedelta(days=WINDOW_DAYS - 1)
        self.hours = Weighted(list(enumerate(HOUR_WEIGHTS)))
        # The feedback rules of orders.services, read once (settings is a lazy object).
        self.threshold = threshold = settings.KEFU_SATISFIED_THRESHOLD
        self.review_low_scores = settings.KEFU_LOW_SCORE_ACTION == "review"
        self.auto_confirm = dt.timedelta(hours=settings.KEFU_AUTO_CONFIRM_HOURS)
        self.happy_scores = Weighted([(s, 1 + (s - threshold) * 2) for s in range(threshold, 11)])
        # Customers who waited past the time limit still confirm, but score lower.
        self.late_scores = Weighted([(s, 1 + max(0, 10 - s - 1)) for s in range(max(1, threshold - 3), 11)])
        self.ts, self.day = _db_converters(self.tz, self.horizon - 4000 * DAY, self.horizon)
        self.tables = {model: _Table(model, columns) for model, columns in COLUMNS.items()}
        self.key_id = crypto.ring().current.id
        self.ids = _next_ids(*COLUMNS)
        self.first_order_id = self.ids[WorkOrder]
        self.places: list[int] | None = None  # see order_id
        self.registered_at: list[dt.datetime] = []
        self.customers: list[CustomerInfo] = []
        self.by_product: dict[str, list[CustomerInfo]] = {p: [] for p in Product.values}
        self._load_staff()
        self._load_categories()

    def take_id(self, model) -> int:
        pk = self.ids[model]
        self.ids[model] = pk + 1
        return pk

    def order_id(self, created) -> int:
        """The id of the next work order built, registered at CREATED. Live, ids follow
        registration (numbers GD<date><id> rise with their dates, and a search lists newest first
        by id): with `places` (_registration_places) each order takes the id of its place among
        all by registration time; without (the dry run that finds them), ids in build order."""
        pk = self.take_id(WorkOrder)
        self.registered_at.append(created)
        return pk if self.places is None else self.first_order_id + self.places[pk - self.first_order_id]

    def rows(self, model) -> list:
        return self.tables[model].rows

    def flush(self):
        for table in self.tables.values():  # COLUMNS lists parents before children
            table.flush()

    def _load_staff(self):
        people = [(u, r, d) for u, _p, _n, r, d in org.DEMO_USERS] + [(u, r, d) for u, _n, r, d in org.EXTRA_STAFF]
        users = {u.username: u.pk for u in User.objects.filter(username__in=[p[0] for p in people]).order_by("id")}
        depts = Department.objects.filter(code__in=[c for c, _n, _k in org.DEPARTMENTS])
        self.dept_ids = {d.code: d.pk for d in depts}
        self.dept_tiers = {d.pk: d.tier for d in depts}
        self.pool: dict[str, list[int]] = {}  # department code -> staff who handle its orders
        for username, role, dept in people:
            if dept and role in (roles.AGENT, roles.TECH_SUPPORT, roles.COORDINATOR, roles.SALES):
                self.pool.setdefault(dept, []).append(users[username])
        self.user_dept = {users[u]: d for u, _r, d in people}
        self.supervisor = users["supervisor"]
        self.owners = self.pool["front-office"]

    def _load_categories(self):
        cats = list(Category.objects.filter(is_active=True).exclude(kind="").order_by("sort_order", "code"))
        parents = {c.parent_id for c in cats}
        self.categories: dict[str, Weighted] = {}
        for kind in Kind.values:
            leaves = [c for c in cats if c.kind == kind and c.pk not in parents]
            if leaves:
                self.categories[kind] = Weighted([(c, CATEGORY_WEIGHTS.get(c.code, 1)) for c in leaves])

    def daytime(self, day_start: dt.datetime) -> dt.datetime:
        """A moment in the day starting at DAY_START; office hours are busier than nights."""
        return day_start + dt.timedelta(hours=self.hours.pick(self.rng), seconds=_randrange(self.rng, 3600))


# --- customers -----------------------------------------------------------------------------

REGION_PICK = Weighted([(r, r[1]) for r in REGIONS])


def _person_name(rng, male: bool) -> str:
    given = GIVEN_MALE if male else GIVEN_FEMALE
    name = _choice(rng, given)
    if len(name) == 1 and rng.random() < 0.45:
        name += _choice(rng, given[:20])  # the single-character names come first
    return _choice(rng, SURNAMES) + name


def _individual(ctx, c, region):
    """Name, ID number and segment of a person; segment follows age where it can."""
    rng = ctx.rng
    male = rng.random() < 0.5
    birth = dt.date(_randint(rng, 1945, ctx.anchor.year - 18), 1, 1) + dt.timedelta(days=_randrange(rng, 365))
    age = ctx.anchor.year - birth.year
    c.segment = Segment.ORDINARY
    if age >= 62 and rng.random() < 0.6:
        c.segment = Segment.SENIOR
    elif age <= 24 and rng.random() < 0.5:
        c.segment = Segment.YOUTH
    elif rng.random() < 0.08:
        c.segment = Segment.VIP
    c.type, c.name = Customer.Type.INDIVIDUAL, _person_name(rng, male)
    seq = _randrange(rng, 500) * 2 + (1 if male else 0)  # odd = male, as on real cards
    return Customer.IdType.RESIDENT_ID, resident_id(region, birth, seq)


def _enterprise(ctx, c, region):
    rng = ctx.rng
    c.type = Customer.Type.ENTERPRISE
    if rng.random() < 0.2:
        c.name, c.segment = f"{c.city}{c.district}{_choice(rng, GOV_UNITS)}", Segment.GOVERNMENT
        return Customer.IdType.BUSINESS_LICENCE, social_credit_code(rng, "11", region)
    suffix = "股份有限公司" if rng.random() < 0.1 else "有限公司"
    c.name = f"{c.city.removesuffix('市')}{_choice(rng, COMPANY_BRANDS)}{_choice(rng, INDUSTRIES)}{suffix}"
    c.segment = Segment.ENTERPRISE
    return Customer.IdType.BUSINESS_LICENCE, social_credit_code(rng, "91", region)


def _customer(ctx, password_hash, taken) -> CustomerInfo:
    rng = ctx.rng
    c = CustomerInfo(ctx.take_id(Customer))
    c.province, _weight, cities = REGION_PICK.pick(rng)
    c.city, city_code, c.area, districts = _choice(rng, cities)
    c.district, district_code = _choice(rng, districts)
    if rng.random() < 0.06:
        id_type, id_number = _enterprise(ctx, c, city_code + district_code)
        address = f"{_choice(rng, STREETS)}{_randint(rng, 1, 399)}号{_choice(rng, COMPANY_BRANDS)}大厦{_randint(rng, 2, 30)}层"
    else:
        id_type, id_number = _individual(ctx, c, city_code + district_code)
        address = (f"{_choice(rng, STREETS)}{_randint(rng, 1, 399)}号{_choice(rng, ESTATES)}{_randint(rng, 1, 28)}栋"
                   f"{_randint(rng, 1, 4)}单元{_randint(rng, 1, 30)}{_randint(rng, 1, 4):02d}室")
    # Derived from the id, so later runs never reuse a number; `taken` guards against hand-made rows.
    c.phone = _unique(lambda a: mobile_number(c.pk, a), taken)
    c.since = ctx.daytime(ctx.horizon - dt.timedelta(days=_randint(rng, 30, 3650)))
    c.email = ""
    if rng.random() < 0.3:
        c.email = _choice(rng, [f"{c.phone}@139.com", f"{_randint(rng, 10**5, 10**10)}@qq.com", f"{c.phone}@163.com"])
    # Indexes 2·10^9 and up are nobody's main number (customer ids and second lines stay below).
    alt_phone = mobile_number(_randrange(rng, 2 * 10**9, 3 * 10**9)) if rng.random() < 0.15 else ""
    status = Customer.Status.INACTIVE if rng.random() < 0.02 else Customer.Status.ACTIVE
    since = ctx.ts(c.since)
    # Written as Customer.save would: identity encrypted, with its blind indexes (kefu.core.crypto).
    enc = functools.partial(_encrypted, "customers.customer")
    ctx.rows(Customer).append((c.pk, since, since, 1, customer_number(c.pk), c.type, c.name, id_type,
                               enc("id_number", id_number), enc("phone", c.phone), enc("alt_phone", alt_phone), c.email,
                               enc("address", address), c.province, c.city, c.district, c.segment, status, password_hash,
                               crypto.blind_index(id_number, "id_number"), crypto.blind_index(c.phone, "phone"),
                               crypto.blind_index(alt_phone, "phone"), ctx.key_id))
    return c


def _encrypted(context, field, value):
    return crypto.encrypt(value, f"{context}.{field}")


def _unique(make, taken) -> str:
    attempt = 0
    while (value := make(attempt)) in taken:
        attempt += 1
    taken.add(value)
    return value


def _account(ctx, c) -> int:
    rng = ctx.rng
    pk = ctx.take_id(Account)
    billing = Account.Billing.PREPAID if rng.random() < 0.3 else Account.Billing.POSTPAID
    status = Account.Status.IN_ARREARS if rng.random() < 0.04 else Account.Status.ACTIVE
    since = ctx.ts(c.since)
    ctx.rows(Account).append((pk, since, since, 1, f"A{pk:010d}", c.pk, c.name, billing, status))
    return pk


def _service_number(ctx, c, product, pk, first, taken):
    """(number, plan) of a new subscription; numbers derive from the subscription id."""
    rng = ctx.rng
    enterprise = c.type == Customer.Type.ENTERPRISE
    if product == Product.MOBILE:
        plans = {Segment.SENIOR: SENIOR_PLANS, Segment.YOUTH: YOUTH_PLANS}.get(c.segment, MOBILE_PLANS)
        number = c.phone if first or enterprise else _unique(lambda a: mobile_number(10**9 + pk, a), taken)
        return number, _choice(rng, plans)
    if product == Product.BROADBAND:
        number = _unique(lambda a: f"ad{c.area}{_scramble(pk + a * 10**7, 10**8, 31_415_926):08d}", taken)
        return number, _choice(rng, ENTERPRISE_BROADBAND if enterprise else BROADBAND_PLANS)
    if product == Product.FIXED_LINE:
        return _unique(lambda a: c.area + landline_local(pk + a * 10**6), taken), _choice(rng, FIXED_PLANS)
    # Value-added services hang off a line but need a number of their own (unique while live).
    vas = _choice(rng, VAS_NAMES)
    return _unique(lambda a: f"VA{_scramble(pk + a * 10**7, 10**10, 16_180_339):010d}", taken), f"{vas} {VAS_PLANS[vas]}"


def _subscriptions(ctx, c, account, taken):
    """1–3 subscriptions: individuals start with their mobile, enterprises with a fixed line."""
    rng = ctx.rng
    if c.type == Customer.Type.ENTERPRISE:
        products = [Product.FIXED_LINE, Product.BROADBAND, Product.MOBILE]
    else:
        products = [Product.MOBILE, Product.BROADBAND, Product.VALUE_ADDED if rng.random() < 0.6 else Product.FIXED_LINE]
    for i, product in enumerate(products[:_choice(rng, [1, 2, 2, 3, 3])]):
        pk = ctx.take_id(Subscription)
        number, plan = _service_number(ctx, c, product, pk, i == 0, taken)
        opened = c.since
        if i:
            opened = ctx.daytime(c.since + dt.timedelta(days=_randint(rng, 1, max(1, (ctx.horizon - c.since).days - 1))))
            opened = min(opened, ctx.horizon - dt.timedelta(hours=1))
        opened_on = opened.date()
        status, terminated_on = _subscription_status(ctx, opened_on)
        if status != Subscription.Status.TERMINATED and product not in c.subs:
            c.subs[product] = pk
            ctx.by_product[product].append(c)
        ctx.rows(Subscription).append((pk, ctx.ts(opened), ctx.ts(opened), 1, number, c.pk, account, product, plan,
                                       status, ctx.day(opened_on), ctx.day(terminated_on), c.province, c.city,
                                       _area(pk)))


def _area(pk: int) -> str:
    """About one line in seven is rural (longer statutory repair time); derived from the id so
    the random stream, and with it every other value, stays as it was."""
    return Subscription.Area.RURAL if (pk * 7919) % 7 == 0 else Subscription.Area.URBAN


def _subscription_status(ctx, opened_on):
    r = ctx.rng.random()
    if r < 0.04:
        last = ctx.anchor - dt.timedelta(days=1)
        day = opened_on + dt.timedelta(days=_randint(ctx.rng, 1, max(1, (last - opened_on).days)))
        return Subscription.Status.TERMINATED, max(opened_on, min(day, last))
    if r < 0.07:
        return Subscription.Status.SUSPENDED, None
    return Subscription.Status.ACTIVE, None


def _make_customers(ctx, count):
    # One hash for all: make_password per customer would take minutes. A salt derived from the
    # seed keeps runs identical; the password is public anyway (demo customers only).
    password_hash = make_password(DEMO_SERVICE_PASSWORD, salt=f"kefudemo{ctx.seed}")
    taken = set(Subscription.objects.exclude(status=Subscription.Status.TERMINATED)
                .values_list("service_number", flat=True))
    for n in range(count):
        c = _customer(ctx, password_hash, taken)
        _subscriptions(ctx, c, _account(ctx, c), taken)
        ctx.customers.append(c)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    ctx.flush()


# --- work orders: what happens to them -------------------------------------------------------

def _reach(rng, status, kind):
    """Actions from `new` to the open STATUS."""
    if status == S.NEW:
        return []
    if status == S.ACCEPTED:
        return ["accept"]
    if status == S.ASSIGNED:
        if kind in (Kind.CONSULTATION, Kind.PRAISE):
            return ["accept", "claim"]
        r = rng.random()
        return ["accept"] + (["assign"] if r < 0.6 else ["assign_dept", "claim"] if r < 0.85 else ["claim"])
    steps = _reach(rng, S.ASSIGNED, kind) + ["start"]
    if kind in (Kind.FAULT, Kind.COMPLAINT, Kind.BUSINESS) and rng.random() < 0.08:
        steps += ["transfer", "start"]
    if rng.random() < 0.12:
        steps += ["wait", "resume"]
    if status == S.WAITING_CUSTOMER:
        steps.append("wait")
    return steps


def _plan(ctx, final, kind):
    """The actions, in order, that take a new order to FINAL (a legal walk of TRANSITIONS).
    Orders with a first-response time limit get a reply to the customer first."""
    steps = _walk(ctx, final, kind)
    if steps and kind not in (Kind.SUGGESTION, Kind.PRAISE):
        steps.insert(0, "reply")
    return steps


def _walk(ctx, final, kind):
    rng = ctx.rng
    if final in (S.NEW, S.ACCEPTED, S.ASSIGNED, S.WAITING_CUSTOMER):
        return _reach(rng, final, kind)
    if final == S.REJECTED:
        return _reach(rng, REJECT_STOPS.pick(rng), kind) + ["reject"]
    if final == S.CANCELLED:
        return _reach(rng, CANCEL_STOPS.pick(rng), kind) + ["cancel"]
    steps = _reach(rng, S.IN_PROGRESS, kind)
    if final == S.IN_PROGRESS:
        return steps + (["resolve", _choice(rng, ["dispute", "reopen"])] if rng.random() < 0.05 else [])
    steps.append("resolve")
    reopen = rng.random()
    if reopen < 0.06:
        steps += [_choice(rng, ["dispute", "reopen"]), "resolve"]
    review = ctx.review_low_scores
    if final == S.RESOLVED:
        return steps + (["feedback_low"] if review and rng.random() < 0.15 else [])
    steps += ["feedback_low", "confirm"] if review and rng.random() < 0.03 else [CONFIRM_WAYS.pick(rng)]
    if final == S.CONFIRMED:
        return steps
    steps.append("close")
    if 0.06 <= reopen < 0.09:  # the customer complains again after the order was archived
        steps += ["reopen_closed", "resolve", _choice(rng, ["confirm_fb", "auto_confirm"]), "close"]
    return steps


def _gap(ctx, action, kind) -> dt.timedelta:
    rng = ctx.rng
    if action == "auto_confirm":
        return ctx.auto_confirm + dt.timedelta(seconds=_randint(rng, 60, 3600))  # the job runs now and then
    lo, hi = (5, 150) if action == "resolve" and kind == Kind.CONSULTATION else GAPS[action]
    return dt.timedelta(seconds=int(_skewed(rng, lo, hi) * 60))


def _in_time(ctx, plan, gaps, budget):
    """GAPS with the way to the first resolution shortened to fit the order's budget for all but
    ON_TIME_SHARE of the orders (the late ones take up to twice it): finished work was mostly on
    time, as the open backlog is."""
    if "resolve" not in plan:
        return gaps
    rng, upto = ctx.rng, plan.index("resolve") + 1
    want = budget * (0.1 + 0.8 * rng.random() if rng.random() < ON_TIME_SHARE else 1 + rng.random())
    taken = sum(gaps[:upto], dt.timedelta())
    if taken <= want:
        return gaps
    scale = want / taken
    return [dt.timedelta(seconds=max(1, int(g.total_seconds() * scale))) for g in gaps[:upto]] + gaps[upto:]


def _open_timeline(ctx, created, gaps):
    """(created, event times) of an order still open: its history fits between CREATED and the
    horizon (gaps shortened if need be, no moves by whole days), so its clocks are as young as it."""
    total = sum(gaps, dt.timedelta())
    room = (ctx.horizon - created) * 0.9
    scale = min(1.0, room / total) if total else 1.0
    times, at = [], created
    for gap in gaps:
        at += dt.timedelta(seconds=max(1, int(gap.total_seconds() * scale)))
        times.append(at)
    return created, times


def _timeline(ctx, created, final, plan, gaps):
    """(created, event times). Staff work that would fall at night moves to the next morning
    (the auto-confirm job runs any time). A history that runs past the horizon, or a resolved
    one old enough to have been auto-confirmed, moves by whole days: hours of day stay put."""
    rng, times, at = ctx.rng, [], created
    for step, gap in zip(plan, gaps, strict=True):
        at += gap
        if step != "auto_confirm" and not 8 <= at.hour < 22:
            morning = at.replace(hour=8, minute=0, second=0) + (DAY if at.hour >= 22 else dt.timedelta())
            at = morning + dt.timedelta(seconds=_randrange(rng, 6 * 3600))
        times.append(at)
    room = ctx.horizon - (times[-1] if times else created)
    shift = dt.timedelta()
    if room <= dt.timedelta():
        shift = -((-room) // DAY + 1) * DAY
    elif final == S.RESOLVED and room > RESOLVED_WITHIN:
        shift = _randint(rng, -((RESOLVED_WITHIN - room) // DAY), (room - dt.timedelta(seconds=1)) // DAY) * DAY
    return created + shift, [t + shift for t in times]


def _route(ctx, kind, category_code, owner):
    """(department code, handler) the order is dispatched to."""
    rng = ctx.rng
    if kind == Kind.CONSULTATION:  # answered by whoever took it
        return ctx.user_dept[owner], owner
    if kind == Kind.PRAISE:  # the team lead passes praise on to the staff it names
        return "front-office", ctx.supervisor
    if kind == Kind.FAULT:
        network = category_code in ("fault-no-signal", "fault-call-quality", "fault-line")
        dept = "network-ops" if network and rng.random() < 0.5 else "tech-support"
    elif kind == Kind.COMPLAINT:
        dept = "billing" if category_code.startswith("cmp-billing") else "complaints"
    elif kind == Kind.SUGGESTION:
        dept = "sales" if category_code == "sug-product" else "complaints"
    else:
        dept = "store" if ctx.user_dept[owner] == "store" else _choice(rng, ["front-office", "sales"])
    return dept, _choice(rng, ctx.pool[dept])


# --- work orders: building the rows ----------------------------------------------------------

class _Order:
    """The work order row while its history is being written. Its times are copies of its
    events' times, already converted for the database."""

    __slots__ = ("pk", "number", "kind", "category_id", "severity", "channel", "status", "customer_id",
                 "subscription_id", "title", "description", "customer_summary", "resolution", "owner_id", "handler_id", "department_id",
                 "reopen_count", "satisfaction", "needs_review", "accepted_at", "resolved_at", "closed_at",
                 "created_at", "updated_at", "version", "tier", "province")

    def __init__(self, **fields):
        self.status, self.resolution, self.handler_id, self.department_id, self.tier = S.NEW, "", None, None, 1
        self.reopen_count, self.satisfaction, self.needs_review, self.version = 0, None, False, 0
        self.accepted_at = self.resolved_at = self.closed_at = None
        for name, value in fields.items():
            setattr(self, name, value)

    def row(self):
        return (self.pk, self.created_at, self.updated_at, self.version, self.number, self.kind,
                self.category_id, self.severity, self.channel, self.status, self.customer_id, self.subscription_id,
                self.title, self.description, self.customer_summary, self.resolution, self.owner_id, self.handler_id, self.department_id,
                None, self.reopen_count, self.satisfaction, self.needs_review, self.accepted_at,
                self.resolved_at, self.closed_at, 0, False, self.tier, self.province)


class _History:
    """Applies a plan to one order: appends events and keeps the order's fields in step,
    the way orders.services would."""

    def __init__(self, ctx, order, route, values, resolutions, budget):
        self.ctx, self.order, self.values, self.resolutions = ctx, order, values, resolutions
        self.dept, self.handler = route
        self.events = ctx.rows(OrderEvent)
        self.last_resolve = None
        self.resolver = None
        self.budget = budget  # how long the order may take before it is late (OPEN_BUDGET_HOURS)
        self.late = False  # the last resolution came after the budget
        self.stamp = None  # the last event's time as stored

    def event(self, action, at, actor, *, reason="", note="", data=None, disputes=None, visibility=None):
        order = self.order
        from_status = order.status
        if action in TRANSITIONS:
            t = TRANSITIONS[action]
            assert from_status in t.sources, (action, from_status)  # a bug in _plan, not bad input
            order.status = t.target or from_status
        order.version += 1
        order.updated_at = self.stamp = self.ctx.ts(at)
        pk = self.ctx.take_id(OrderEvent)
        self.events.append((pk, order.pk, self.stamp, actor, action, "" if action == "create" else from_status,
                            order.status, reason, note,
                            visibility or ("customer" if action in CUSTOMER_VISIBLE else "internal"),
                            json.dumps(data) if data else "{}", disputes))
        return pk

    def create(self, at):
        self.created = at
        o = self.order
        self.event("create", at, o.owner_id, data={"number": o.number, "kind": o.kind, "severity": o.severity,
                                                    "channel": o.channel, "category": o.category_id})
        o.created_at = self.stamp

    def apply(self, step, at):
        getattr(self, "_" + step)(at)

    def _move(self, dept_code, handler):
        o = self.order
        dept = self.ctx.dept_ids[dept_code]
        data = {}
        if dept != o.department_id:
            data["department"] = [o.department_id, dept]
        if handler != o.handler_id:
            data["handler"] = [o.handler_id, handler]
        tier = self.ctx.dept_tiers[dept]
        if tier != o.tier:
            data["tier"] = [o.tier, tier]
            o.tier = tier
        o.department_id, o.handler_id = dept, handler
        return data

    def _dispatcher(self):
        return self.ctx.supervisor if self.ctx.rng.random() < 0.2 else self.order.owner_id

    def _reply(self, at):  # the first response: a comment the customer reads
        self.event("comment", at, self.order.owner_id, note=_choice(self.ctx.rng, FIRST_REPLIES), visibility="customer")

    def _accept(self, at):
        self.event("accept", at, self.order.owner_id)
        self.order.accepted_at = self.stamp

    def _assign(self, at):
        self.event("assign", at, self._dispatcher(), data=self._move(self.dept, self.handler))

    def _assign_dept(self, at):  # to the department's queue; someone there claims it
        self.event("assign", at, self._dispatcher(), data=self._move(self.dept, None))

    def _claim(self, at):
        self.event("claim", at, self.handler, data=self._move(self.dept, self.handler))

    def _start(self, at):
        self.event("start", at, self.order.handler_id)

    def _wait(self, at):
        self.event("wait", at, self.order.handler_id, reason=_choice(self.ctx.rng, WAIT_REASONS))

    def _resume(self, at):
        self.event("resume", at, self.order.handler_id)

    def _transfer(self, at):
        actor = self.order.handler_id
        self.dept = TRANSFER_TO[self.dept]
        self.handler = _choice(self.ctx.rng, self.ctx.pool[self.dept])
        self.event("transfer", at, actor, reason=TRANSFER_REASONS[self.dept], data=self._move(self.dept, self.handler))

    def _resolve(self, at):
        o = self.order
        o.resolution = _fill(self.resolutions.pop(0) if len(self.resolutions) > 1 else self.resolutions[0], self.values)
        o.needs_review = False
        self.last_resolve = self.event("resolve", at, o.handler_id, note=o.resolution)
        self.resolver = o.handler_id
        self.late = at - self.created > self.budget
        o.resolved_at = self.stamp

    def _feedback(self, at, *, confirmed, score):
        """A Feedback row as record_feedback writes it; returns (comment, event data)."""
        rng, threshold = self.ctx.rng, self.ctx.threshold
        satisfied = None if score is None else score >= threshold
        comment = _choice(rng, HAPPY_COMMENTS if confirmed and satisfied is not False else UNHAPPY_COMMENTS)
        pk, channel = self.ctx.take_id(Feedback), FEEDBACK_CHANNELS.pick(rng)
        self.ctx.rows(Feedback).append((pk, self.order.pk, self.last_resolve, confirmed, score, satisfied, comment,
                                        channel, self._relayer(), self.ctx.ts(at)))
        if score is not None:
            self.order.satisfaction = score
        return comment, {"feedback": pk, "score": score, "confirmed": confirmed, "channel": channel}

    def _relayer(self):
        """Who records the customer's answer to a resolution: the first-contact owner, or when the
        owner resolved it themselves, a colleague on the follow-up call (回访): the person who
        resolved an order never confirms it for the customer (orders.services.confirm)."""
        resolver, owner = self.resolver, self.order.owner_id
        if owner != resolver:
            return owner
        colleagues = [u for u in self.ctx.owners if u != resolver]
        return colleagues[self.order.pk % len(colleagues)]

    def _confirm_fb(self, at):
        scores = self.ctx.late_scores if self.late else self.ctx.happy_scores
        comment, data = self._feedback(at, confirmed=True, score=scores.pick(self.ctx.rng))
        self.order.needs_review = False
        self.event("confirm", at, self._relayer(), note=comment, data=data)

    def _confirm(self, at):  # relayed by the owner, as orders.services.confirm records it: no score
        comment, data = self._feedback(at, confirmed=True, score=None)
        self.order.needs_review = False
        self.event("confirm", at, self._relayer(), note=comment, data=data | {"relayed": True})

    def _auto_confirm(self, at):
        hours = int(self.ctx.auto_confirm.total_seconds() // 3600)
        self.event("auto_confirm", at, None, note=AUTO_CONFIRM_NOTE.format(hours=hours))

    def _low_score(self):
        return _randint(self.ctx.rng, 1, max(1, self.ctx.threshold - 1))

    def _feedback_low(self, at):  # KEFU_LOW_SCORE_ACTION=review: flagged, status unchanged
        comment, data = self._feedback(at, confirmed=True, score=self._low_score())
        self.order.needs_review = True
        self.event("feedback", at, self._relayer(), note=comment, data=data | {"review": True})

    def _dispute(self, at):
        """The customer's answer reopens the order: disputed, or (reopen mode) scored too low."""
        if not self.ctx.review_low_scores and self.ctx.rng.random() < 0.4:
            comment, data = self._feedback(at, confirmed=True, score=self._low_score())
            reason = LOW_SCORE_REASON.format(score=data["score"], min=self.ctx.threshold)
        else:
            score = None if self.ctx.rng.random() < 0.4 else self._low_score()
            comment, data = self._feedback(at, confirmed=False, score=score)
            reason = DISPUTE_REASON
        self._reopen_event(at, reason, comment, data)

    def _reopen(self, at):
        self._reopen_event(at, _choice(self.ctx.rng, REOPEN_REASONS), "", {})

    _reopen_closed = _reopen

    def _reopen_event(self, at, reason, note, data):
        o = self.order
        o.reopen_count += 1
        o.resolved_at = o.closed_at = None
        o.needs_review = False
        self.event("reopen", at, o.owner_id, reason=reason, note=note,
                   data=data | {"reopen_count": o.reopen_count}, disputes=self.last_resolve)

    def _close(self, at):
        self.event("close", at, self.order.owner_id)
        self.order.closed_at = self.stamp

    def _reject(self, at):
        actor = self.ctx.supervisor if self.ctx.rng.random() < 0.3 else self.order.owner_id
        self.event("reject", at, actor, reason=_choice(self.ctx.rng, REJECT_REASONS))
        self.order.closed_at = self.stamp

    def _cancel(self, at):
        self.event("cancel", at, self.order.owner_id, reason=_choice(self.ctx.rng, CANCEL_REASONS))
        self.order.closed_at = self.stamp


def _budget(kind, severity) -> dt.timedelta:
    key = (kind, severity) if (kind, severity) in OPEN_BUDGET_HOURS else (kind, Severity.GENERAL)
    return dt.timedelta(hours=OPEN_BUDGET_HOURS[key])


class _OrderFactory:
    """Draws what an order is about, who takes it, and its texts."""

    def __init__(self, ctx, count):
        self.ctx = ctx
        self.regular_every = max(1, count // REGULAR_ORDERS)
        self.built = 0
        self.kinds = Weighted(KIND_WEIGHTS)
        self.by_age = [(days, Weighted(weights)) for days, weights in STATUS_BY_AGE]
        self.channels = Weighted(CHANNEL_WEIGHTS)
        self.complaint_channels = Weighted(CHANNEL_WEIGHTS + [(Channel.REGULATOR, 4)])
        self.severities = {k: Weighted(v) for k, v in SEVERITY_WEIGHTS.items()}
        self.ranked = {}  # id(customer pool) -> the pool, frequent callers first

    def forced_statuses(self, count):
        """Each status once when there is room (None: by age), so small demos show them all."""
        forced = list(S.values)[:count] + [None] * max(0, count - len(S.values))
        self.ctx.rng.shuffle(forced)
        return forced

    def registered(self, forced):
        """(created, final status): intake spread evenly over the window, status by age.
        Orders with a forced status are recent, where every status is at home."""
        ctx, rng = self.ctx, self.ctx.rng
        days_back = _randrange(rng, 3) if forced else _randrange(rng, WINDOW_DAYS)
        created = ctx.daytime(ctx.last_day - days_back * DAY)
        if forced:
            return created, forced
        age = (ctx.horizon - created) / DAY
        return created, next(w for days, w in self.by_age if age < days or days == WINDOW_DAYS).pick(rng)

    def young(self, created, final, kind, severity, forced):
        """(created, final) of an order drawn as open: a well-run centre finishes most work within
        its time limits, so an open order older than its budget (OPEN_BUDGET_HOURS) was mostly
        closed by now, a few are late (at most MAX_OVERDUE), and some near the limit are at risk.
        Consultations and praise are mostly answered at first contact."""
        ctx, rng = self.ctx, self.ctx.rng
        if not forced and kind in (Kind.CONSULTATION, Kind.PRAISE) and rng.random() >= OPEN_FIRST_CONTACT_SHARE:
            return created, S.CLOSED
        key = (kind, severity) if (kind, severity) in OPEN_BUDGET_HOURS else (kind, Severity.GENERAL)
        budget = _budget(kind, severity)
        while created > ctx.horizon - dt.timedelta(minutes=10):  # later today than the horizon
            created -= min(DAY, max(budget, dt.timedelta(hours=1)))
        if final == S.NEW:
            new_budget = dt.timedelta(hours=OPEN_NEW_BUDGET_HOURS[key])
            if forced or ctx.horizon - created <= new_budget:
                budget = new_budget
            else:
                final = S.IN_PROGRESS  # accepted and started since
        age = ctx.horizon - created
        if forced:
            return ctx.horizon - max(budget * (0.1 + 0.6 * rng.random()), dt.timedelta(minutes=10)), final
        if age > budget:
            if rng.random() >= LATE_SHARE:
                return created, S.CLOSED
            return ctx.horizon - budget - min(MAX_OVERDUE, budget) * rng.random(), final
        if age > budget * 0.8 and rng.random() >= AT_RISK_SHARE:
            return created, S.CLOSED
        return created, final

    def customer(self, product):
        """Most customers call rarely; a share of the orders comes from a few frequent callers,
        ranked in a shuffled order so that they are not the first customers (the README's
        example customer 1 looks like anyone)."""
        rng = self.ctx.rng
        pool = self.ctx.by_product.get(product) or self.ctx.customers
        if rng.random() >= FREQUENT_SHARE:
            return pool[_randrange(rng, len(pool))]
        ranked = self.ranked.get(id(pool))
        if ranked is None:
            ranked = self.ranked[id(pool)] = sorted(pool, key=lambda c: _scramble(c.pk, 10**9 + 7))
            first = self.ctx.customers[0]
            if first in ranked:  # the README's example customer gets its handful in build()
                ranked.remove(first)
                ranked.append(first)
        return ranked[int(len(ranked) * rng.random() ** 2)]

    def channel(self, kind, customer):
        rng = self.ctx.rng
        if customer.type == Customer.Type.ENTERPRISE and rng.random() < 0.4:
            return Channel.ACCOUNT_MANAGER
        return (self.complaint_channels if kind == Kind.COMPLAINT else self.channels).pick(rng)

    def severity(self, kind, channel, customer):
        rng = self.ctx.rng
        if channel == Channel.REGULATOR:
            return Severity.MAJOR if rng.random() < 0.5 else Severity.URGENT
        severity = self.severities[kind].pick(rng) if kind in self.severities else Severity.GENERAL
        if severity == Severity.GENERAL and kind in (Kind.FAULT, Kind.COMPLAINT) and customer.segment in (
                Segment.VIP, Segment.ENTERPRISE, Segment.GOVERNMENT) and rng.random() < 0.3:
            severity = Severity.URGENT
        return severity

    def owner(self, channel):
        """The first-contact owner: whoever took the contact on that channel."""
        rng = self.ctx.rng
        if channel == Channel.STORE:
            return _choice(rng, self.ctx.pool["store"])
        if channel == Channel.ACCOUNT_MANAGER:
            return _choice(rng, self.ctx.pool["sales"])
        return _choice(rng, self.ctx.owners)

    def texts(self, kind, category, severity, channel, customer, values):
        rng = self.ctx.rng
        code = category.code if category else ""
        name = category.name if category else KIND_VERBS[kind]
        # Categories an operator added have no templates: a plain text from the name.
        title, description = _choice(rng, TEMPLATES.get(code) or [(name, f"客户反映{name}相关问题，请尽快处理。")])
        title, description = _fill(title, values), _fill(description, values)
        if severity == Severity.MAJOR:
            if kind == Kind.COMPLAINT:
                extra = MAJOR_COMPLAINT
            else:
                extra = MAJOR_ENTERPRISE_FAULT if customer.type == Customer.Type.ENTERPRISE else MAJOR_FAULT
            description += _fill(_choice(rng, extra), values)
        elif severity == Severity.URGENT:
            description += _choice(rng, URGENT_NOTES)
        if channel == Channel.REGULATOR:
            description = REGULATOR_PREFIX + description
        options = RESOLUTIONS.get(code) or RESOLUTIONS[kind]
        return title[:200], description, [_choice(rng, options), _choice(rng, options)]  # 2nd: after a reopen

    def build(self, forced):
        ctx, rng = self.ctx, self.ctx.rng
        created, final = self.registered(forced)
        kind = self.kinds.pick(rng)
        category = ctx.categories[kind].pick(rng) if kind in ctx.categories else None
        product = CATEGORY_PRODUCT.get(category.code if category else "", Product.MOBILE)
        customer = self.customer(product)
        if self.built % self.regular_every == self.regular_every - 1:
            customer = ctx.customers[0]
        self.built += 1
        channel = self.channel(kind, customer)
        severity = self.severity(kind, channel, customer)
        if final in OPEN:
            created, final = self.young(created, final, kind, severity, forced)
        owner = self.owner(channel)
        route = _route(ctx, kind, category.code if category else "", owner)
        plan = _plan(ctx, final, kind)
        gaps = _in_time(ctx, plan, [_gap(ctx, step, kind) for step in plan], _budget(kind, severity))
        if final in OPEN:
            created, times = _open_timeline(ctx, created, gaps)
        else:
            created, times = _timeline(ctx, created, final, plan, gaps)
        values = _Values(ctx, customer, created)
        title, description, resolutions = self.texts(kind, category, severity, channel, customer, values)
        pk = ctx.order_id(created)
        order = _Order(pk=pk, number=order_number(pk, created.replace(tzinfo=ctx.tz)), kind=kind, category_id=category.pk if category else None,
                       severity=severity, channel=channel, customer_id=customer.pk, title=title,
                       description=description, owner_id=owner, province=customer.province,
                       customer_summary=title if channel == Channel.SELF_SERVICE
                       else CUSTOMER_SUMMARIES[kind].format(name=category.name if category else ""),
                       subscription_id=None if kind in (Kind.SUGGESTION, Kind.PRAISE) else customer.subs.get(product))
        history = _History(ctx, order, route, values, resolutions, _budget(kind, severity))
        history.create(created)
        for step, at in zip(plan, times, strict=True):
            history.apply(step, at)
        ctx.rows(WorkOrder).append(order.row())
        _order_contact(ctx, order, customer, created)


# --- contacts --------------------------------------------------------------------------------

def _caller(rng, channel, customer):
    if channel in (Channel.HOTLINE, Channel.ONLINE_CHAT, Channel.SELF_SERVICE, Channel.ACCOUNT_MANAGER):
        return customer.phone
    if channel == Channel.EMAIL:
        return customer.email or f"{customer.phone}@139.com"
    if channel == Channel.WECHAT:
        return f"wx_{rng.getrandbits(48):012x}"
    if channel == Channel.SOCIAL_MEDIA:
        return f"@微博用户{_randint(rng, 10**6, 10**7)}"
    return ""


def _contact(ctx, customer, channel, agent, started, ended, summary, outcome) -> int:
    rng, ts = ctx.rng, ctx.ts
    pk = ctx.take_id(Contact)
    start_ts, end_ts = ts(started), ts(ended)
    ctx.rows(Contact).append((pk, start_ts, end_ts, 1, channel, Contact.Direction.INBOUND, start_ts, end_ts,
                              agent, customer.pk, _encrypted("contacts.contact", "caller", _caller(rng, channel, customer)),
                              summary, outcome, ctx.key_id))
    # The agent verifies identity before touching the account (REQUIREMENTS.md §3).
    if channel in (Channel.HOTLINE, Channel.ONLINE_CHAT, Channel.WECHAT) and rng.random() < 0.4:
        at = started + dt.timedelta(seconds=_randint(rng, 20, 90))
        if rng.random() < 0.05:  # a forgotten service password, then an SMS code
            ctx.rows(IdentityVerification).append((ctx.take_id(IdentityVerification), pk,
                                                   IdentityVerification.Method.SERVICE_PASSWORD,
                                                   IdentityVerification.Result.FAILED, ts(at), agent, "", None))
            at += dt.timedelta(seconds=_randint(rng, 30, 90))
            method = IdentityVerification.Method.SMS_CODE
        else:
            method = VERIFY_METHODS.pick(rng)
        ctx.rows(IdentityVerification).append((ctx.take_id(IdentityVerification), pk, method,
                                               IdentityVerification.Result.PASSED, ts(at), agent, "", None))
    return pk


def _order_contact(ctx, order, customer, created):
    rng = ctx.rng
    started = created - dt.timedelta(seconds=_randint(rng, 60, 900))
    ended = created + dt.timedelta(seconds=_randint(rng, 30, 300))
    summary = f"{CHANNEL_OPENERS[order.channel]}{KIND_VERBS[order.kind]}：{order.title}。已登记工单{order.number}。"
    contact = _contact(ctx, customer, order.channel, order.owner_id, started, ended, summary,
                       Contact.Outcome.ORDER_CREATED)
    ctx.rows(ContactOrder).append((ctx.take_id(ContactOrder), contact, order.pk, ContactOrder.Role.RAISED))


def _answered_contact(ctx, factory):
    """A contact answered at first contact: no work order."""
    rng = ctx.rng
    customer = ctx.customers[_randrange(rng, len(ctx.customers))]
    channel = factory.channel(Kind.CONSULTATION, customer)
    started = ctx.daytime(ctx.window_start + dt.timedelta(days=_randrange(rng, WINDOW_DAYS)))
    if started > ctx.horizon - dt.timedelta(minutes=10):  # later today than the horizon
        started -= DAY
    ended = started + dt.timedelta(seconds=_randint(rng, 60, 600))
    summary = _fill(_choice(rng, ANSWERED), _Values(ctx, customer, started))
    _contact(ctx, customer, channel, factory.owner(channel), started, ended, summary, Contact.Outcome.ANSWERED)


# --- the run -------------------------------------------------------------------------------

def _registration_places(ctx, count) -> list[int]:
    """Each order's place (0, 1, …) among the COUNT orders by registration time, in build order:
    the same draws made on a copy of CTX that writes nothing (the build sets an order's
    registration time only after drawing its status, its timeline and its texts)."""
    dry = copy.deepcopy(ctx)
    dry.flush = lambda: [table.rows.clear() for table in dry.tables.values()]
    factory = _OrderFactory(dry, count)
    for n, forced in enumerate(factory.forced_statuses(count)):
        factory.build(forced)
        if n % CHUNK == CHUNK - 1:
            dry.flush()
    by_time = sorted(range(count), key=lambda i: (dry.registered_at[i], i))
    places = [0] * count
    for place, i in enumerate(by_time):
        places[i] = place
    return places


def _make_orders(ctx, count, extra_contacts):
    ctx.places = _registration_places(ctx, count)
    factory = _OrderFactory(ctx, count)
    for n, forced in enumerate(factory.forced_statuses(count)):
        factory.build(forced)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    for n in range(extra_contacts):
        _answered_contact(ctx, factory)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    ctx.flush()


def generate(*, customers: int, orders: int, seed: int, anchor: dt.date | None = None, stdout=None,
             clocks: bool = False, now: dt.datetime | None = None) -> dict:
    """Add CUSTOMERS customers and ORDERS work orders (plus ~20 % contacts answered without one).

    The data ends at NOW (an aware datetime; `kefu demo` passes the current moment) or, without
    it, at 00:00 of ANCHOR (default today). Returns {label: rows created}. Same seed and anchor
    on an empty database: same data.
    """
    if orders and not customers:
        raise ValueError("work orders need customers: pass customers >= 1")
    tz = ZoneInfo(settings.TIME_ZONE)
    anchor = now.astimezone(tz).date() if now is not None else anchor or dt.datetime.now(tz).date()
    began = time.monotonic()
    org.ensure_org()
    with transaction.atomic(), _big_cache():
        ctx = _Context(seed, anchor, now)
        _make_customers(ctx, customers)
        _progress(stdout, f"customers written after {time.monotonic() - began:.1f} s")
        _make_orders(ctx, orders, orders // 5)
        _progress(stdout, f"work orders and contacts written after {time.monotonic() - began:.1f} s")
        _reset_sequences(list(COLUMNS))
        if clocks:
            with_clocks = _open_order_clocks(ctx.first_order_id)
            escalations = _escalation_history(ctx.horizon.replace(tzinfo=ctx.tz))
            _progress(stdout, f"SLA clocks of {with_clocks} open orders after {time.monotonic() - began:.1f} s")
    # The raw inserts bypass the services that keep the orders' word index (search): index them.
    from kefu.orders.services import reindex_words

    reindex_words(from_id=ctx.first_order_id)
    _progress(stdout, f"work orders indexed for search after {time.monotonic() - began:.1f} s")
    counts = {LABELS[model]: table.count for model, table in ctx.tables.items()}
    if clocks:
        counts["open orders with SLA clocks"] = with_clocks
        counts["escalations"] = escalations
    return counts


def _open_order_clocks(first_id) -> int:
    """Open orders get their time limits by replaying their history through the SLA service,
    so the demo shows running, paused and breached clocks exactly as live orders have them.
    (Closed ones are left without: thousands of finished clocks would only slow the seed.)"""
    from kefu.core.recent import batch
    from kefu.sla.services import replay

    orders = WorkOrder.objects.filter(pk__gte=first_id, status__in=OPEN_STATUSES).select_related("customer", "subscription")
    n = 0
    with batch():
        for order in orders.prefetch_related(Prefetch("events", OrderEvent.objects.order_by("at", "id"))).iterator(chunk_size=500):
            replay(order, order.events.all())
            n += 1
    return n


def _escalation_history(horizon) -> int:
    """Run the escalation scan at each moment a check fell due before the horizon, as the worker
    would have then: warnings and breaches of the demo's clocks are history (events, escalations
    and notifications at their own times), and the worker started after `kefu demo` finds no
    backlog. Notifications older than NOTIFICATIONS_READ_AFTER were read by their recipients.
    Returns the escalations written."""
    import logging

    from kefu.sla import escalation
    from kefu.sla.models import Escalation, Notification

    before = Escalation.objects.count()
    logger = logging.getLogger("kefu.sla")
    level = logger.level
    logger.setLevel(logging.WARNING)  # hundreds of "escalated" lines would bury the logins
    try:
        while (moment := escalation.oldest_due_check(horizon)) is not None:
            escalation.scan(moment, limit=10**6)
    finally:
        logger.setLevel(level)
    read_before = horizon - NOTIFICATIONS_READ_AFTER
    Notification.objects.filter(read_at=None, created_at__lt=read_before).update(
        read_at=F("created_at") + dt.timedelta(minutes=5))
    return Escalation.objects.count() - before


def _progress(stdout, message):
    if stdout is not None:
        stdout.write(message)
