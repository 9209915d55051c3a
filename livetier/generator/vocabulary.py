"""The shop's vocabulary: categories and brands, event types, comments, gifts, coupons, order
statuses, outreach channels, provinces, nicknames, the daily rhythm and the festival calendar.

Codes used in the simulation are positions in these tuples (``EV_CLICK`` is the index of
``product_click`` in ``EVENT_TYPES``); the weights next to a vocabulary are its draw weights.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("beauty", "apparel", "digital", "home", "food")
CAT_W = np.array([0.30, 0.28, 0.10, 0.17, 0.15])
CAT_PRICE_MEDIAN = np.array([129.0, 159.0, 599.0, 89.0, 39.0])  # yuan
BRANDS = {
    "beauty": ["花颜记", "水光肌", "玉兰油坊", "青黛", "Lumi", "Aurelle"],
    "apparel": ["云织", "南山衣橱", "简白", "UrbanLeaf", "北岸", "棉麻集"],
    "digital": ["极客派", "声浪", "NovaTech", "光年", "小方块", "Ampere"],
    "home": ["家有", "木语", "清居", "HomeNest", "暖窝", "器物集"],
    "food": ["山野食堂", "三餐四季", "果园直送", "老味道", "Snacko", "鲜到家"],
}

EVENT_TYPES = (
    "enter_room",
    "leave_room",
    "like",
    "comment",
    "share",
    "follow",
    "gift",
    "product_impression",
    "product_click",
    "add_to_cart",
    "favorite",
    "coupon_claim",
)
EV_ENTER, EV_LEAVE, EV_LIKE, EV_COMMENT, EV_SHARE, EV_FOLLOW, EV_GIFT = range(7)
EV_IMPR, EV_CLICK, EV_CART, EV_FAV, EV_COUPON = range(7, 12)

COMMENTS = (
    "好看",
    "链接呢",
    "已下单",
    "上链接",
    "多少钱",
    "有优惠吗",
    "主播好美",
    "求讲解",
    "1号链接",
    "已拍",
    "好用吗",
    "什么时候发货",
    "能便宜点吗",
    "666",
    "来了来了",
    "想要",
    "尺码怎么选",
    "敏感肌能用吗",
    "还有货吗",
    "主播辛苦了",
    "买过 好用",
    "哈哈哈",
    "关注了",
    "质量怎么样",
    "包邮吗",
    "蹲福袋",
    "再来一单",
    "姐妹们冲",
    "等了好久",
    "❤❤❤",
)
COMMENT_W = 1.0 / np.arange(1, len(COMMENTS) + 1) ** 0.8
GIFT_CENTS = np.array([10, 100, 600, 1000, 5200, 9900, 19900, 52000, 131400])
GIFT_W = np.array([0.35, 0.30, 0.12, 0.10, 0.06, 0.04, 0.015, 0.01, 0.005])
COUPONS = (
    "cp-new10",
    "cp-full99-10",
    "cp-full199-30",
    "cp-full299-50",
    "cp-flash20",
    "cp-fans15",
    "cp-vip50",
    "cp-618-60",
    "cp-night8",
    "cp-live5",
)
COUPON_W = np.array([0.08, 0.2, 0.18, 0.1, 0.12, 0.1, 0.04, 0.08, 0.05, 0.05])
STATUSES = ("created", "paid", "cancelled", "refunded")
ST_CREATED, ST_PAID, ST_CANCELLED, ST_REFUNDED = range(4)
CHANNELS = ("push", "sms", "in_app", "community")
CHANNEL_HOUR = np.array([20, 10, 12, 21])
CHANNEL_OPEN = np.array([0.18, 0.08, 0.30, 0.40])
PROVINCES = (
    "广东",
    "浙江",
    "江苏",
    "山东",
    "河南",
    "四川",
    "湖北",
    "湖南",
    "河北",
    "福建",
    "上海",
    "北京",
    "安徽",
    "辽宁",
    "陕西",
    "江西",
    "广西",
    "重庆",
    "云南",
    "天津",
    "山西",
    "黑龙江",
    "吉林",
    "贵州",
    "内蒙古",
    "新疆",
    "甘肃",
    "海南",
    "宁夏",
    "青海",
    "西藏",
)
PROVINCE_W = np.linspace(3.0, 0.2, len(PROVINCES))
ACQ = ("organic", "ad", "referral", "live_share")
NICK_PREFIX = (
    "小",
    "阿",
    "爱吃",
    "柠檬",
    "momo",
    "大橙子",
    "糖糖",
    "晴天",
    "一只",
    "喵",
    "Lily",
    "追光",
    "不吃香菜",
    "夏天",
    "奶茶",
    "木子",
    "Echo",
    "佳佳",
    "早睡",
    "胖虎",
)
PHONE_PREFIX = np.array([138, 139, 137, 136, 135, 158, 159, 188, 187, 186, 177, 150, 151, 152, 189, 199, 166])

# Hour-of-day weights (Shanghai) for activity outside live rooms (browsing the shop, orders).
HOUR_W = np.array(
    [0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 0.9, 1.3, 1.4, 1.5, 1.7]
    + [2.2, 2.0, 1.6, 1.6, 1.7, 1.9, 2.4, 3.3, 4.0, 4.3, 3.8, 2.2]
)
HOUR_W = HOUR_W / HOUR_W.sum()
# Shopping festivals: (month, day) -> activity factor.
FESTIVALS = {(3, 8): 1.3, (6, 1): 1.3, (6, 17): 1.3, (6, 18): 1.8, (11, 10): 1.3, (11, 11): 1.8, (12, 12): 1.4}


# Time: seconds, the business time zone, attribution.
DAY = 86_400
ATTRIBUTION_SECONDS = 7 * DAY
UTC_OFFSET = 8 * 3600  # Asia/Shanghai, no DST
