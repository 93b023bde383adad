"""The sender's bounded concurrency: at most `per_key` at once per destination and `workers` in all,
every item run once, results handed back in batches on the calling thread, and a destination whose
sends hang does not hold up the others."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

from tripl_core.alerting.dispatch import Limits, run_bounded


def test_limits_per_key_and_in_all_and_batched_results() -> None:
    lock = threading.Lock()
    running: Counter[str] = Counter()
    peaks: Counter[str] = Counter()
    peak_total = 0
    caller = threading.get_ident()
    handed: list[list[tuple[tuple[str, int], str]]] = []

    def work(item: tuple[str, int]) -> str:
        nonlocal peak_total
        with lock:
            running[item[0]] += 1
            peaks[item[0]] = max(peaks[item[0]], running[item[0]])
            peak_total = max(peak_total, sum(running.values()))
        threading.Event().wait(0.005)  # long enough for others to overlap
        with lock:
            running[item[0]] -= 1
        return f"{item[0]}{item[1]}"

    def on_results(results: list[tuple[tuple[str, int], str]]) -> None:
        assert threading.get_ident() == caller
        handed.append(results)

    items = [(key, n) for n in range(30) for key in "abc"]
    batches = iter([items[start:start + 7] for start in range(0, len(items), 7)])
    run_bounded(batches, key=lambda item: item[0], work=work, on_results=on_results,
                limits=Limits(workers=5, per_key=2, flush_every=10, flush_seconds=60))
    done = [result for batch in handed for result in batch]
    assert sorted(done) == sorted((item, f"{item[0]}{item[1]}") for item in items)
    assert max(peaks.values()) <= 2
    assert peak_total <= 5
    assert all(len(batch) >= 10 for batch in handed[:-1])  # batches of flush_every, the rest at the end


def test_a_hanging_destination_does_not_hold_up_the_others() -> None:
    others_done = threading.Event()
    finished: list[str] = []
    lock = threading.Lock()

    def work(item: tuple[str, int]) -> bool:
        if item[0] == "slow":
            return others_done.wait(timeout=30)  # hangs until every other item ran (False: it never did)
        with lock:
            finished.append(f"{item[0]}{item[1]}")
            if len(finished) == 5:
                others_done.set()
        return True

    def batches() -> Iterator[list[tuple[str, int]]]:
        yield [("slow", n) for n in range(10)]  # more than the workers can take: all for one busy key
        yield [("fast", n) for n in range(5)]

    results: list[bool] = []
    run_bounded(batches(), key=lambda item: item[0], work=work,
                on_results=lambda done: results.extend(result for _item, result in done),
                limits=Limits(workers=4, per_key=2))
    assert len(finished) == 5
    assert results.count(True) == 15
