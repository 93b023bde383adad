"""Kept-alive connection pools of the outbound client: connections are reused, every request is still
checked, a pool only ever reaches the address it was made for, and the time and size caps hold per
request on a reused connection."""

from __future__ import annotations

import pytest

from tests.support.receiver_process import receiver_process
from tests.support.receivers import http_receiver
from tripl_core.outbound import ConnectionPools, OutboundFailed, OutboundPolicy, OutboundRefused, request

LOCAL = OutboundPolicy(allowed_hosts=("127.0.0.1",), timeout_seconds=5)


def test_requests_to_one_host_share_a_kept_alive_connection() -> None:
    with receiver_process() as receiver, ConnectionPools() as pools:
        for n in range(10):
            response = request(LOCAL, "POST", f"{receiver.url}/d{n % 3}", json={"n": n},
                               headers={"Idempotency-Key": f"k{n}"}, pools=pools)
            assert response.status_code == 200
        stats = receiver.stats()
    assert stats["requests"] == 10
    assert stats["connections"] == 2  # one for the ten requests, one for the stats request itself


def test_a_pool_is_pinned_to_the_address_it_was_made_for() -> None:
    answers = iter([["127.0.0.1"], ["127.0.0.1"], ["127.0.0.2"]])

    def rebinding(_host: str, _port: int) -> list[str]:
        return next(answers)

    policy = OutboundPolicy(allowed_hosts=("hooks.test",), resolver=rebinding, timeout_seconds=2)
    with http_receiver() as receiver, ConnectionPools() as pools:
        url = receiver.url.replace("127.0.0.1", "hooks.test") + "/hook"
        assert request(policy, "POST", url, json={}, pools=pools).status_code == 200
        assert request(policy, "POST", url, json={}, pools=pools).status_code == 200
        # the name now resolves elsewhere: that address gets a pool of its own, which dials it (nothing
        # listens there), never the connection kept alive for 127.0.0.1
        with pytest.raises(OutboundFailed, match=r"Connection to hooks\.test failed"):
            request(policy, "POST", url, json={}, pools=pools)
        assert len(receiver.requests) == 2
        assert {r.headers["host"].split(":")[0] for r in receiver.requests} == {"hooks.test"}


def test_every_pooled_request_is_checked_again() -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.5"]])

    def rebinding(_host: str, _port: int) -> list[str]:
        return next(answers)

    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",), resolver=rebinding, timeout_seconds=2)
    with http_receiver() as receiver, ConnectionPools() as pools:
        url = receiver.url.replace("http://127.0.0.1", "https://hooks.test") + "/hook"
        with pytest.raises(OutboundFailed):  # allowed, dialed; the plain-http receiver fails the TLS handshake
            request(policy, "POST", url, json={}, pools=pools)
        with pytest.raises(OutboundRefused, match=r"10\.0\.0\.5"):  # refused before any pool is chosen
            request(policy, "POST", url, json={}, pools=pools)


def test_size_and_time_caps_hold_on_a_pooled_connection_and_the_pool_recovers() -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",), max_response_bytes=1024, timeout_seconds=0.5)
    with http_receiver(ok_body={"blob": "x" * 10_000}, hang_seconds=1.5) as receiver, ConnectionPools() as pools:
        with pytest.raises(OutboundFailed, match="more than 1024 bytes") as too_big:
            request(policy, "POST", receiver.url + "/big", json={}, pools=pools)
        assert too_big.value.transient is False
        receiver.ok_body = {"ok": True}
        receiver.faults.append("timeout")
        with pytest.raises(OutboundFailed, match="Timed out") as timed_out:
            request(policy, "POST", receiver.url + "/slow", json={}, pools=pools)
        assert timed_out.value.transient is True
        response = request(policy, "POST", receiver.url + "/fine", json={}, pools=pools)
        assert response.status_code == 200
        assert response.json() == {"ok": True}


def test_a_pooled_request_carries_what_an_httpx_client_sends() -> None:
    """Pooled sends skip httpx's client layers; the request stays the one an httpx client makes (headers,
    basic auth, JSON encoding, Content-Length), but for asking for no compression (the body is read raw)."""
    import httpx

    with http_receiver() as receiver, ConnectionPools() as pools:
        url = f"{receiver.url}/hook?x=1"
        response = request(LOCAL, "POST", url, json={"text": "é", "n": [1, 2.5, None]},
                           headers={"Idempotency-Key": "k1", "X-Secret": "s"}, auth=("me@example.com", "tök"),
                           pools=pools)
        assert response.status_code == 200
        assert response.json() == {"ok": True}
        request(LOCAL, "POST", url, content=b"", pools=pools)
    sent, empty = receiver.requests
    expected = httpx.BasicAuth("me@example.com", "tök").auth_flow(
        httpx.Client(trust_env=False).build_request("POST", url, json={"text": "é", "n": [1, 2.5, None]},
                                                    headers={"Idempotency-Key": "k1", "X-Secret": "s"}))
    wanted = next(expected)
    assert sent.path == "/hook?x=1"
    assert sent.body == wanted.content
    assert {**{k.lower(): v for k, v in wanted.headers.items()}, "accept-encoding": "identity"} == sent.headers
    assert empty.headers["content-length"] == "0"
    assert empty.body == b""


def test_a_thread_closes_only_its_own_least_recently_used_pool() -> None:
    """Pools are per thread; beyond `max_pools` a thread drops its own least recently used one, never a
    pool another thread may be sending on."""
    import ipaddress
    import threading

    address = ipaddress.ip_address("127.0.0.1")
    pools = ConnectionPools(max_pools=1)
    asked, answered, done = threading.Event(), threading.Event(), threading.Event()
    seen: list[object] = []

    def other_thread() -> None:
        seen.append(pools.pool("http://one.test/", address))
        answered.set()
        asked.wait(10)
        seen.append(pools.pool("http://one.test/again", address))
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    answered.wait(10)
    mine = pools.pool("http://one.test/", address)
    assert mine is not seen[0]  # a pool of this thread's own
    assert pools.pool("http://one.test/x", address) is mine  # kept alive and reused
    pools.pool("http://two.test/", address)  # one pool per thread: this thread's one.test pool goes
    assert pools.pool("http://one.test/", address) is not mine
    asked.set()
    done.wait(10)
    worker.join(10)
    assert seen[1] is seen[0]  # the other thread's pool was never dropped
    pools.close()
