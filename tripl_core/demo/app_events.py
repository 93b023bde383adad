"""The demo app's events: a small shop app with screens, clicks, purchases, sign-ins and system events.

Names and weights are fixed here so the warehouse generator and the demo plan agree on them; the
moments of the planted cases depend on the generated range and are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tripl_core.demo.synth import (
    ByEvent,
    Choice,
    EventSpec,
    EventTypeSpec,
    KeySpec,
    Nested,
    Number,
    Sometimes,
)

SCREEN_VIEW, CLICK, PURCHASE, AUTH, SYSTEM = "screen_view", "click", "purchase", "auth", "system"

SPIKE_EVENT = "add_to_cart"
DROP_EVENT = "product_screen"
MISSING_EVENT = "share_product"
SHADOW_EVENT = "wishlist_add"
DEAD_EVENT = "rate_prompt_shown"
# A low-volume event (about 8 a quarter-hour at busy hours) that stops being sent: the planted silence.
SILENCE_EVENT = "purchase_completed"

SCREENS = {
    "home_screen": "home",
    "product_screen": "product",
    "search_screen": "search",
    "cart_screen": "cart",
    "profile_screen": "profile",
    "settings_screen": "settings",
}
BUTTONS = {
    "add_to_cart": "add_to_cart",
    "buy_now": "buy_now",
    "share_product": "share",
    "open_search": "search",
    "banner_tap": "promo_banner",
    "wishlist_add": "wishlist",
}
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "BRL")
CURRENCY_BASELINE = (0.52, 0.24, 0.12, 0.07, 0.05)
# A storefront change makes EUR the default for most of Europe and Latin America.
CURRENCY_SHIFTED = (0.26, 0.50, 0.12, 0.07, 0.05)
COUPON_KEY = "coupon"
COUPONS = ("SPRING10", "WELCOME5", "FREESHIP", "VIP20")
COUPON_SHARE = 0.35
AB_VARIANTS = ("control", "treatment")
PAYMENT_METHODS = ("card", "apple_pay", "google_pay", "paypal")
AUTH_METHODS = ("password", "google", "apple", "magic_link")
NETWORKS = ("wifi", "cellular", "offline")
REFERRERS = ("organic", "push", "deeplink", "search")

# Share of all traffic per event. The spike and drop events are among the largest so that their
# 15-minute counts at busy hours sit well above the detector's minimum expected count.
WEIGHTS: dict[str, dict[str, float]] = {
    SCREEN_VIEW: {
        "home_screen": 0.14,
        DROP_EVENT: 0.18,
        "search_screen": 0.06,
        "cart_screen": 0.04,
        "profile_screen": 0.025,
        "settings_screen": 0.015,
    },
    CLICK: {
        SPIKE_EVENT: 0.16,
        "buy_now": 0.035,
        MISSING_EVENT: 0.025,
        "open_search": 0.04,
        "banner_tap": 0.03,
        SHADOW_EVENT: 0.02,
    },
    PURCHASE: {
        "checkout_started": 0.03,
        "payment_submitted": 0.022,
        SILENCE_EVENT: 0.016,
        "refund_requested": 0.002,
    },
    AUTH: {"login": 0.04, "logout": 0.012, "signup": 0.012, "password_reset": 0.006},
    SYSTEM: {"app_open": 0.07, "app_background": 0.045, "push_received": 0.02, DEAD_EVENT: 0.004},
}


@dataclass(frozen=True)
class PlantedMoments:
    """When the time-dependent cases start (they shape the JSON and the events' lifetimes)."""

    currency_shift: datetime
    coupon_since: datetime
    dead_after: datetime


def demo_types(moments: PlantedMoments) -> tuple[EventTypeSpec, ...]:
    ab = Nested("ab", (Choice("variant", AB_VARIANTS),))
    properties: dict[str, tuple[KeySpec, ...]] = {
        SCREEN_VIEW: (
            ByEvent("screen", SCREENS),
            Choice("referrer", REFERRERS, (0.6, 0.15, 0.1, 0.15)),
            Number("load_ms", 80, 2500, log=True),
            ab,
        ),
        CLICK: (
            Choice("screen", tuple(SCREENS.values()), (0.3, 0.4, 0.12, 0.1, 0.05, 0.03)),
            ByEvent("button", BUTTONS),
            Number("position", 1, 12),
            ab,
        ),
        PURCHASE: (
            Number("price", 0.99, 199.99, decimals=2, log=True),
            Choice("currency", CURRENCIES, CURRENCY_BASELINE, (moments.currency_shift, CURRENCY_SHIFTED)),
            Number("items", 1, 5),
            Nested("payment", (Choice("method", PAYMENT_METHODS, (0.55, 0.2, 0.15, 0.1)),)),
            Sometimes(Choice(COUPON_KEY, COUPONS), share=COUPON_SHARE, since=moments.coupon_since),
        ),
        AUTH: (
            Choice("method", AUTH_METHODS, (0.5, 0.25, 0.2, 0.05)),
            Choice("success", (True, False), (0.93, 0.07)),
        ),
        SYSTEM: (
            Choice("network", NETWORKS, (0.62, 0.36, 0.02)),
            Number("memory_mb", 512, 8192),
            Number("battery", 5, 100),
        ),
    }
    return tuple(
        EventTypeSpec(
            name=type_name,
            events=tuple(
                EventSpec(name, weight, moments.dead_after if name == DEAD_EVENT else None)
                for name, weight in events.items()
            ),
            properties=properties[type_name],
        )
        for type_name, events in WEIGHTS.items()
    )


def event_type_of(event_name: str) -> str:
    return next(type_name for type_name, events in WEIGHTS.items() if event_name in events)
