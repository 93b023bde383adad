from __future__ import annotations

import pytest

from tripl_core.access.rate_limit import Rate, RateLimiter
from tripl_core.errors import RateLimited


def test_window_slides_and_retry_after_counts_down() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    rate = Rate.parse("2/minute")
    limiter.hit("login", "1.2.3.4", rate, what="login")
    now[0] += 30
    limiter.hit("login", "1.2.3.4", rate, what="login")
    with pytest.raises(RateLimited) as exc:
        limiter.hit("login", "1.2.3.4", rate, what="login")
    assert exc.value.retry_after_seconds == 30
    limiter.hit("login", "5.6.7.8", rate, what="login")  # other addresses are counted apart
    now[0] += 31
    limiter.hit("login", "1.2.3.4", rate, what="login")


@pytest.mark.parametrize("text", ["5", "5/fortnight", "five/minute", ""])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Rate.parse(text)
