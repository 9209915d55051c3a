"""How each latent user type behaves: one record per type, and the shop-wide rates.

The simulation is vectorised over users, so it reads these records through arrays indexed by
type code (``P_WATCH[types]``), derived below in ``LATENT_TYPES`` order. A new type or a
changed rate is edited in its record only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livetier.generator.vocabulary import EV_LIKE, EVENT_TYPES

ROOM_EVENTS = EVENT_TYPES[EV_LIKE:]  # the in-room events a session produces, like .. coupon_claim
THEMES = ("potential_recall", "winback", "coupon_blast", "fan_day", "broad_push")  # campaign themes
NEVER = 0
UNLIMITED = 10**9


@dataclass(frozen=True)
class LatentType:
    name: str
    # share of all users (casual: None, it takes the rest), at small/medium and at large
    mix: float | None
    mix_large: float | None
    p_watch: float  # chance to watch a live room on an active day (times the user's activity)
    extra_sessions: float  # mean extra sessions on a watch day (Poisson)
    session_minutes: float  # median session length
    activity_shape: float  # gamma shape of the user's activity multiplier (mean 1)
    slots: tuple[float, float, float]  # preferred stream slot: afternoon, evening, late night
    room_events: dict[str, float]  # ROOM_EVENTS per session of the median length (Poisson)
    p_order_session: float  # chance a session ends in an order (times activity and day factor)
    off_room_orders_per_day: float  # orders outside live rooms per active day
    order_cap: int  # at most this many orders in the window
    coupon_p: float  # chance an order uses a coupon
    browse_per_day: float  # browsing bursts outside live rooms per active day
    browse_click: float  # chance a burst clicks its product ...
    browse_favorite: float  # ... adds it to favourites ...
    browse_cart: float  # ... adds it to the cart ...
    browse_coupon: float  # ... claims a coupon
    targeting: dict[str, float]  # campaign targeting weight per theme (0: never targeted)
    status: tuple[float, float, float, float] = (0.035, 0.89, 0.04, 0.035)  # created, paid, cancelled, refunded
    p_registered_in_window: float = 0.2  # chance the registration falls inside the window
    open_boost: float = 1.0  # multiplies the channel's open rate
    quick_buyer: bool = False  # buys within minutes of entering a room
    claims_coupon_first: bool = False  # claims a coupon event before every coupon order

    def __post_init__(self) -> None:
        assert tuple(self.room_events) == ROOM_EVENTS, self.name
        assert tuple(self.targeting) == THEMES, self.name


def _room(*rates: float) -> dict[str, float]:
    return dict(zip(ROOM_EVENTS, rates, strict=True))


def _themes(*weights: float) -> dict[str, float]:
    return dict(zip(THEMES, weights, strict=True))


TYPES: tuple[LatentType, ...] = (
    LatentType(
        "core_fan", 0.04, 0.01, p_watch=0.40, extra_sessions=0.3, session_minutes=40, activity_shape=6.0,
        slots=(0.15, 0.75, 0.10), room_events=_room(1.2, 0.8, 0.15, 0.03, 0.10, 1.05, 0.5, 0.15, 0.10, 0.10),
        p_order_session=0.12, off_room_orders_per_day=0.012, order_cap=UNLIMITED, coupon_p=0.15,
        browse_per_day=0.10, browse_click=0.5, browse_favorite=0.15, browse_cart=0.15, browse_coupon=0.1,
        targeting=_themes(0.5, 0, 1, 5, 1), open_boost=1.8,
    ),
    LatentType(
        "potential", 0.10, 0.03, p_watch=0.20, extra_sessions=0.3, session_minutes=25, activity_shape=4.0,
        slots=(0.18, 0.74, 0.08), room_events=_room(0.8, 0.5, 0.15, 0.03, 0.03, 0.84, 0.5, 0.15, 0.20, 0.10),
        p_order_session=0.012, off_room_orders_per_day=0.0, order_cap=1, coupon_p=0.2,
        browse_per_day=0.08, browse_click=0.5, browse_favorite=0.2, browse_cart=0.15, browse_coupon=0.05,
        targeting=_themes(5, 0.5, 1, 1, 1),
    ),
    LatentType(
        "new_visitor", 0.08, 0.05, p_watch=0.12, extra_sessions=0.1, session_minutes=5, activity_shape=2.5,
        slots=(0.25, 0.68, 0.07), room_events=_room(0.15, 0.05, 0.01, 0.03, 0.0, 0.7, 0.2, 0.03, 0.03, 0.08),
        p_order_session=0.0, off_room_orders_per_day=0.0, order_cap=NEVER, coupon_p=0.0,
        browse_per_day=0.15, browse_click=0.3, browse_favorite=0.05, browse_cart=0.02, browse_coupon=0.1,
        targeting=_themes(0, 0, 0, 0, 0),
    ),
    LatentType(
        "churning", 0.10, 0.05, p_watch=0.22, extra_sessions=0.2, session_minutes=15, activity_shape=2.5,
        slots=(0.20, 0.72, 0.08), room_events=_room(0.4, 0.2, 0.03, 0.01, 0.02, 0.84, 0.4, 0.10, 0.05, 0.08),
        p_order_session=0.05, off_room_orders_per_day=0.004, order_cap=UNLIMITED, coupon_p=0.12,
        browse_per_day=0.05, browse_click=0.4, browse_favorite=0.1, browse_cart=0.1, browse_coupon=0.05,
        targeting=_themes(0.5, 5, 1, 0.2, 1), p_registered_in_window=0.0,
    ),
    LatentType(
        "returning", 0.03, 0.01, p_watch=0.22, extra_sessions=0.2, session_minutes=15, activity_shape=2.5,
        slots=(0.20, 0.72, 0.08), room_events=_room(0.4, 0.2, 0.03, 0.01, 0.02, 0.84, 0.4, 0.10, 0.05, 0.08),
        p_order_session=0.05, off_room_orders_per_day=0.004, order_cap=UNLIMITED, coupon_p=0.12,
        browse_per_day=0.05, browse_click=0.4, browse_favorite=0.1, browse_cart=0.1, browse_coupon=0.05,
        targeting=_themes(0.5, 3, 1, 0.5, 1), p_registered_in_window=0.0,
    ),
    LatentType(
        "price_sensitive", 0.08, 0.03, p_watch=0.10, extra_sessions=0.2, session_minutes=12, activity_shape=3.0,
        slots=(0.22, 0.70, 0.08), room_events=_room(0.3, 0.2, 0.05, 0.01, 0.005, 1.05, 0.7, 0.25, 0.15, 0.80),
        p_order_session=0.12, off_room_orders_per_day=0.02, order_cap=UNLIMITED, coupon_p=0.85,
        browse_per_day=0.15, browse_click=0.6, browse_favorite=0.2, browse_cart=0.2, browse_coupon=0.6,
        targeting=_themes(1, 1, 5, 0.5, 1), status=(0.05, 0.85, 0.06, 0.04), claims_coupon_first=True,
    ),
    LatentType(
        "late_night", 0.05, 0.02, p_watch=0.20, extra_sessions=0.2, session_minutes=35, activity_shape=3.0,
        slots=(0.04, 0.14, 0.82), room_events=_room(0.8, 0.5, 0.05, 0.02, 0.10, 0.84, 0.4, 0.10, 0.08, 0.08),
        p_order_session=0.05, off_room_orders_per_day=0.003, order_cap=UNLIMITED, coupon_p=0.1,
        browse_per_day=0.05, browse_click=0.4, browse_favorite=0.1, browse_cart=0.1, browse_coupon=0.05,
        targeting=_themes(1, 0.5, 0.5, 3, 1),
    ),
    LatentType(
        "impulse", 0.05, 0.02, p_watch=0.13, extra_sessions=0.5, session_minutes=3.5, activity_shape=3.0,
        slots=(0.20, 0.72, 0.08), room_events=_room(0.15, 0.10, 0.02, 0.01, 0.02, 0.56, 0.5, 0.10, 0.03, 0.05),
        p_order_session=0.20, off_room_orders_per_day=0.004, order_cap=UNLIMITED, coupon_p=0.08,
        browse_per_day=0.04, browse_click=0.5, browse_favorite=0.05, browse_cart=0.1, browse_coupon=0.05,
        targeting=_themes(2, 0.5, 1, 2, 1), status=(0.03, 0.85, 0.05, 0.07), quick_buyer=True,
    ),
    LatentType(
        "cart_abandoner", 0.07, 0.03, p_watch=0.10, extra_sessions=0.2, session_minutes=14, activity_shape=3.0,
        slots=(0.20, 0.72, 0.08), room_events=_room(0.2, 0.15, 0.02, 0.01, 0.01, 1.05, 1.0, 0.80, 0.50, 0.10),
        p_order_session=0.01, off_room_orders_per_day=0.0, order_cap=1, coupon_p=0.2,
        browse_per_day=0.15, browse_click=0.7, browse_favorite=0.5, browse_cart=0.6, browse_coupon=0.1,
        targeting=_themes(4, 0.5, 2, 0.5, 1),
    ),
    LatentType(
        "casual", None, None, p_watch=0.02, extra_sessions=0.05, session_minutes=6, activity_shape=2.0,
        slots=(0.22, 0.70, 0.08), room_events=_room(0.15, 0.05, 0.01, 0.01, 0.005, 0.7, 0.2, 0.03, 0.02, 0.03),
        p_order_session=0.03, off_room_orders_per_day=0.0015, order_cap=UNLIMITED, coupon_p=0.1,
        browse_per_day=0.015, browse_click=0.3, browse_favorite=0.05, browse_cart=0.05, browse_coupon=0.02,
        targeting=_themes(1, 1.5, 1, 0.3, 1), p_registered_in_window=0.3,
    ),
)
LATENT_TYPES: tuple[str, ...] = tuple(t.name for t in TYPES)
# type codes, for the rules that are a type's definition (lifecycle shapes in world.build_users)
CORE, POTENTIAL, NEW, CHURNING, RETURNING, PRICE, LATE, IMPULSE, CART, CASUAL = range(len(TYPES))
assert LATENT_TYPES[CASUAL] == "casual" and TYPES[CASUAL].mix is None


def _per_type(attr: str, dtype=None) -> np.ndarray:
    return np.array([getattr(t, attr) for t in TYPES], dtype=dtype)


# Latent type mix (casual takes the rest). At `large` most registered users are casual.
MIX_STANDARD = [t.mix for t in TYPES[:CASUAL]]
MIX_LARGE = [t.mix_large for t in TYPES[:CASUAL]]

P_WATCH = _per_type("p_watch")
EXTRA_SESS = _per_type("extra_sessions")
SESS_MED_MIN = _per_type("session_minutes", float)
ACT_SHAPE = _per_type("activity_shape")
SLOT_CUM = np.cumsum(_per_type("slots"), axis=1)
LAM = np.array([[t.room_events[e] for e in ROOM_EVENTS] for t in TYPES])
P_ORDER_SESS = _per_type("p_order_session")
OFF_ORDER_DAY = _per_type("off_room_orders_per_day")
ORDER_CAP = _per_type("order_cap")
COUPON_P = _per_type("coupon_p")
BROWSE_DAY = _per_type("browse_per_day")
BROWSE_CLICK = _per_type("browse_click")
BROWSE_FAV = _per_type("browse_favorite")
BROWSE_CART = _per_type("browse_cart")
BROWSE_COUPON = _per_type("browse_coupon")
STATUS_CUM = np.cumsum(_per_type("status"), axis=1)
P_REG_IN_WINDOW = _per_type("p_registered_in_window")
OPEN_BOOST = _per_type("open_boost")
QUICK_BUYER = _per_type("quick_buyer", bool)
CLAIMS_COUPON_FIRST = _per_type("claims_coupon_first", bool)
THEME_WEIGHTS = {theme: np.array([t.targeting[theme] for t in TYPES], dtype=float) for theme in THEMES}

# ---- shop-wide rates ------------------------------------------------------------------------
DUP_RATE = 0.007  # events delivered twice (at-least-once delivery)
MISSING_LEAVE = 0.04  # sessions whose leave_room event never arrives
UNREGISTERED = 0.02  # buyers and viewers missing from `users`
# users.marketing_consent: granted below CONSENT_GRANTED, unknown (null) in the top CONSENT_UNKNOWN,
# refused in between (most platforms ask at registration; a few old accounts were never asked)
CONSENT_GRANTED = 0.82
CONSENT_UNKNOWN = 0.06
