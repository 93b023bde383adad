"""The one outbound client: address judgement (every IPv4-embedding IPv6 form), DNS rebinding, redirects
to another origin, the response cap. Receivers are local (127.0.0.1), allowed explicitly per test."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpcore
import pytest

from tests.support.receivers import http_receiver
from tripl_core.outbound import (
    OutboundFailed,
    OutboundPolicy,
    OutboundRefused,
    check_host,
    check_url,
    embedded_ipv4,
    is_public,
    request,
)

NOT_PUBLIC = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
    "::127.0.0.1",                         # IPv4-compatible
    "::ffff:127.0.0.1",                    # IPv4-mapped
    "::ffff:0:7f00:1",                     # SIIT IPv4-translated
    "::ffff:0:a9fe:a9fe",                  # SIIT of the metadata address
    "2002:7f00:1::",                       # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",                   # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",                  # NAT64 (well-known prefix) of 169.254.169.254
    "64:ff9b::7f00:1",                     # NAT64 of 127.0.0.1
    "64:ff9b:1:a9fe:a9:fe00::",            # NAT64 local-use /48 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
]
PUBLIC = ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_global_addresses_and_their_ipv6_forms_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(OutboundRefused, match=r"target_url: .* is not a public address"):
        check_url(f"https://{host}/hook", OutboundPolicy(), what="target_url")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
    assert check_host(address, 443, OutboundPolicy()) == [ipaddress.ip_address(address)]


def test_embedded_address_is_what_is_judged() -> None:
    assert embedded_ipv4(ipaddress.ip_address("::ffff:0:7f00:1")) == ipaddress.ip_address("127.0.0.1")
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b:1:a9fe:a9:fe00::")) == ipaddress.ip_address("169.254.169.254")


def test_a_name_resolving_to_any_private_address_is_refused() -> None:
    policy = OutboundPolicy(resolver=lambda _host, _port: ["8.8.8.8", "10.0.0.7"])
    with pytest.raises(OutboundRefused, match=r"hooks.example.com resolves to 10\.0\.0\.7"):
        check_url("https://hooks.example.com/x", policy)


def test_owner_switches_allow_private_targets() -> None:
    assert check_host("127.0.0.1", 80, OutboundPolicy(allow_private=True))
    assert check_host("10.0.0.7", 80, OutboundPolicy(allowed_hosts=("10.0.0.0/8",)))
    with pytest.raises(OutboundRefused):
        check_host("10.0.0.7", 80, OutboundPolicy(allowed_hosts=("192.168.0.0/16",)))
    with pytest.raises(OutboundRefused, match="https"):
        check_url("http://hooks.example.com/x", OutboundPolicy(resolver=lambda _h, _p: ["8.8.8.8"]))


def test_dns_rebinding_cannot_reach_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver answers a public address, then loopback: the connection dials the first, checked
    address and the name is never resolved again."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    dialed: list[tuple[str, int]] = []

    def record(_self: Any, host: str, port: int, *_args: Any, **_kwargs: Any) -> Any:
        dialed.append((host, port))
        raise httpcore.ConnectError("no network in tests")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", record)
    with http_receiver() as local:
        port = int(local.url.rsplit(":", 1)[1])
        with pytest.raises(OutboundFailed, match=r"Connection to rebind\.example failed"):
            request(OutboundPolicy(resolver=rebinding, timeout_seconds=2), "POST",
                    f"https://rebind.example:{port}/hook", json={})
        assert local.requests == []
    assert asked == ["rebind.example"]
    assert dialed == [("93.184.216.34", port)]


def test_cross_origin_redirect_drops_credentials_and_secret_headers() -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",))
    headers = {"Authorization": "Bearer top-secret", "X-Webhook-Secret": "s3cret", "Idempotency-Key": "d-1",
               "Content-Type": "application/json"}
    with http_receiver() as other, http_receiver(faults=[f"redirect:{other.url}/landing"]) as first:
        response = request(policy, "POST", first.url + "/start", content=b"{}", headers=headers,
                           auth=("jira@example.com", "jira-token"))
        assert response.status_code == 200
        assert first.requests[0].headers["x-webhook-secret"] == "s3cret"
        landed = other.requests[0].headers
        assert "authorization" not in landed
        assert "x-webhook-secret" not in landed
        assert landed["idempotency-key"] == "d-1"


def test_same_origin_redirect_keeps_headers() -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",))
    with http_receiver() as receiver:
        receiver.faults.append(f"redirect:{receiver.url}/moved")
        request(policy, "POST", receiver.url + "/start", content=b"{}", headers={"X-Webhook-Secret": "s3cret"})
        assert [r.headers.get("x-webhook-secret") for r in receiver.requests] == ["s3cret", "s3cret"]


def test_response_size_is_capped() -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",), max_response_bytes=1024)
    with http_receiver(ok_body={"blob": "x" * 10_000}) as receiver:
        with pytest.raises(OutboundFailed, match="more than 1024 bytes") as failed:
            request(policy, "POST", receiver.url + "/big", json={})
        assert failed.value.transient is False
        assert request(OutboundPolicy(allowed_hosts=("127.0.0.1",)), "POST", receiver.url, json={}).is_success


def test_redirect_loops_are_bounded() -> None:
    policy = OutboundPolicy(allowed_hosts=("127.0.0.1",), max_redirects=2)
    with http_receiver() as receiver:
        receiver.faults.extend([f"redirect:{receiver.url}/again"] * 5)
        with pytest.raises(OutboundRefused, match="More than 2 redirects"):
            request(policy, "POST", receiver.url, json={})
