"""Level shifts of counts (SEMANTICS.md §4): the median of the last day's residuals, judged against how
far such medians stray in the series' own history.

A lasting step (a release that doubles a screen's views, a tracking change that loses half of them) need
not put any bucket or any hour far out: a bursty series' ordinary bursts are as large in events over an
hour or a day (``bursts`` bounds every rise of the bucket and of its sums by them), and the expectation
follows a new level within about half a day (``seasonal``'s recent level). What sets a step apart from
bursts is that *every* bucket moved: the **median** of the last day's residuals (each in units of its
bucket's everyday spread) moves with a step, while bursts, which lift a few buckets a lot and decay within
hours, hardly move it. It is judged like the gauges' sustained mean (``sustained.beyond_history_z``):

- **significance**: against the typical size of the earlier medians (per day the median |median|, the
  median over the last ``blocks`` days, / 0.674), never below √(π / 2k + shared): the median's own
  sampling spread for ``k`` independent buckets plus the expectation error the day's buckets share (the
  weekday effect learnt from a week or two, ``anomaly._expectation_noise``; without it the demo's project
  total drew three borderline day-long "steps" over 37 dates, z 4.1-4.5);
- **plausibility**: beyond the third-largest of the earlier days' largest medians on its side
  (``silence.PLAUSIBLE_DAYS``): a drift shown on three days of a fortnight (a weekday rhythm the model
  misses, a wandering level) is the series' normal, one or two earlier incidents never mask the next.

Both need ``MIN_BLOCKS`` days of medians (a week: the third-largest of three days is their smallest, and
with three the bench drew 6 more false positives). It is one more look at a count bucket, Bonferroni-
corrected over its looks (``anomaly._count_z``), and flags once, where it first crosses (an empty bucket
is no drop of its own, as for sums), and not within two days of another incident (the expectation takes
a day to forget one, and the median holds a day: the return to normal after a drop read as a step up).

Measured on bench/bursty_counts.py (issue 19 session 16, seeds 19 / 7 / 23): steps found 22 / 28 / 27 →
27 / 31 / 32 of 42, false positives +8 / +5 / +9 (of ~400), F1 +0.003 / +0.002 / +0.003; NAB, low volume
and the demo unchanged. Tried (before the two-day rule and the shared term): a 6-hour median found 27
steps for 144 more false positives (a cluster of bursts holds half of six hours), 12 hours 29 for 55 more;
a floor on the median's size (0.5-1 spreads) or a bound of 1.5-2 × the plausible value cut steps and false
positives alike.

Only earlier buckets set either bound, so appending data never changes an earlier verdict.
"""

from __future__ import annotations

import numpy as np

from tripl_core.analysis.seasonal import moving
from tripl_core.analysis.sustained import beyond_history_z

# Hours of buckets per judged median.
SPAN = 24
# Days of medians known before one is judged.
MIN_BLOCKS = 7


def width(buckets_per_day: int) -> int:
    """Buckets per judged median at an interval with ``buckets_per_day`` buckets a day (at least 2)."""
    return max(2, buckets_per_day * SPAN // 24)


def median_z(standardised: np.ndarray, shared: np.ndarray, span: int, block: int, blocks: int) -> np.ndarray:
    """z of the median of the ``span`` standardised residuals ending at each bucket (see the module); NaN
    unless all of them are known, ``MIN_BLOCKS`` days of medians are and the median is beyond what three
    earlier days reached."""
    median = moving(standardised, span, span, "median")
    return beyond_history_z(median, np.sqrt(np.pi / (2 * span) + shared), block, blocks, MIN_BLOCKS)
