"""The one client for every outbound connection tripl makes on a user's behalf (alert destinations,
data-source HTTP transports, AI endpoints).

A target host is resolved once; every address it resolves to must be global (judged by the IPv4 address
an IPv6 form embeds: mapped, compatible, SIIT, 6to4, NAT64, Teredo), unless the owner allowed private
targets (`TRIPL_OUTBOUND_ALLOW_PRIVATE`) or listed the host (`TRIPL_OUTBOUND_ALLOWED_HOSTS`). The
connection then dials the checked address itself (Host header and TLS SNI keep the name), so a resolver
that answers differently the second time (DNS rebinding) is never asked again. Redirects are followed by
hand, each hop checked the same way; a hop to another origin carries no credentials and no secret headers.
Responses are capped in size and time.

`outbound_policy(settings)` is the only place the switches are read."""

from __future__ import annotations

import ipaddress
import json as json_module
import socket
import ssl
import threading
import time
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from tripl_core.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers that may follow a redirect to another origin; every other header (Authorization, a webhook's
# secret header, cookies, API keys under any name) is dropped there.
CROSS_ORIGIN_SAFE_HEADERS = frozenset({"accept", "content-type", "user-agent", "idempotency-key"})
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


class OutboundRefused(Exception):
    """The target is not allowed (its address, scheme or shape). Never worth retrying."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutboundFailed(Exception):
    """The target was allowed but the exchange failed (timeout, connection, too large). `transient` says
    whether a retry may help."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()  # names (exact) or IPs/CIDRs allowed even when not global
    timeout_seconds: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_redirects: int = 5
    resolver: Resolver = field(default=system_resolver, compare=False)

    def host_allowed(self, host: str) -> bool:
        """True when the owner allowed this host name or literal address explicitly."""
        name = host.strip("[]").lower().rstrip(".")
        return self.allow_private or name in {entry.lower().rstrip(".") for entry in self.allowed_hosts}

    def address_allowed(self, address: IPAddress) -> bool:
        if self.allow_private:
            return True
        judged = embedded_ipv4(address) or address
        for entry in self.allowed_hosts:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if address in network or judged in network:
                return True
        return False


def outbound_policy(settings: Settings, *, timeout_seconds: float | None = None) -> OutboundPolicy:
    """The owner's switches for non-global targets: `outbound_allow_private` (and its older alias
    `allow_private_webhooks`) and `outbound_allowed_hosts`."""
    return OutboundPolicy(allow_private=settings.outbound_allow_private or settings.allow_private_webhooks,
                          allowed_hosts=tuple(split_list(settings.outbound_allowed_hosts)),
                          timeout_seconds=timeout_seconds or settings.alert_http_timeout_seconds,
                          max_response_bytes=settings.outbound_max_response_bytes)


def split_list(raw: str) -> list[str]:
    """A comma- or space-separated setting as its entries."""
    return [entry for entry in raw.replace(",", " ").split() if entry]


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (so `::ffff:127.0.0.1` is judged as 127.0.0.1)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address; the server is judged too in `is_public`
    packed = address.packed
    if address in _NAT64_WELL_KNOWN or address in _SIIT:
        return ipaddress.IPv4Address(packed[12:])
    if address in _NAT64_LOCAL:  # RFC 6052 /48: the IPv4 octets straddle the reserved "u" octet
        return ipaddress.IPv4Address(packed[6:8] + packed[9:11])
    if address in _COMPATIBLE and int(address) > 1:  # ::a.b.c.d (not :: or ::1)
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public(address: IPAddress) -> bool:
    """Global unicast, judged by the embedded IPv4 address for IPv6 forms that carry one."""
    if isinstance(address, ipaddress.IPv6Address) and address.teredo is not None:
        server, client = address.teredo
        return _public_v4(server) and _public_v4(client)
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return _public_v4(embedded)
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    return address.is_global and not address.is_multicast and address.scope_id is None


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_host(host: str, port: int, policy: OutboundPolicy, *, what: str = "host",
               resolve: bool = True) -> list[IPAddress]:
    """The addresses `host` may be reached at, every one checked; raises OutboundRefused naming `what`.
    With `resolve=False` (save time) only a literal address is judged and a name is returned unchecked
    when it does not resolve; the connection checks it again."""
    name = host.strip().strip("[]")
    if not name:
        raise OutboundRefused(f"{what}: a host is required")
    literal = literal_address(name)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in policy.resolver(name, port)]
        except (OSError, UnicodeError) as exc:
            if not resolve:
                return []
            raise OutboundFailed(f"{what}: cannot resolve {name}: {exc}") from exc
        if not addresses:
            if not resolve:
                return []
            raise OutboundFailed(f"{what}: {name} resolves to no address")
    if policy.host_allowed(name):
        return addresses
    for address in addresses:
        if not is_public(address) and not policy.address_allowed(address):
            shown = name if literal is not None else f"{name} resolves to {address}, which"
            raise OutboundRefused(
                f"{what}: {shown} is not a public address (loopback, private, link-local, metadata or "
                "another non-global range); an owner can allow it with TRIPL_OUTBOUND_ALLOW_PRIVATE or "
                "TRIPL_OUTBOUND_ALLOWED_HOSTS")
    return addresses


def check_url(url: str, policy: OutboundPolicy, *, what: str = "url", resolve: bool = True) -> list[IPAddress]:
    """An absolute https URL (http only for hosts the owner allowed) whose host passes `check_host`."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"{what}: the port is not valid") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused(f"{what} must be an absolute https URL")
    if parts.scheme == "http" and not (policy.host_allowed(parts.hostname) or _literal_allowed(parts.hostname,
                                                                                             policy)):
        raise OutboundRefused(f"{what} must use https (plain http only for hosts an owner allowed with "
                              "TRIPL_OUTBOUND_ALLOW_PRIVATE or TRIPL_OUTBOUND_ALLOWED_HOSTS)")
    return check_host(parts.hostname, port or (443 if parts.scheme == "https" else 80), policy, what=what,
                      resolve=resolve)


def _literal_allowed(host: str, policy: OutboundPolicy) -> bool:
    literal = literal_address(host)
    return literal is not None and policy.address_allowed(literal)


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content)


def request(policy: OutboundPolicy, method: str, url: str, *, json: Any = None, content: bytes | None = None,
            headers: Mapping[str, str] | None = None, auth: tuple[str, str] | None = None,
            pools: ConnectionPools | None = None) -> OutboundResponse:
    """One exchange, redirects followed by hand: each hop is checked and pinned; a hop to another origin
    goes without `auth`, without a body's secret headers (anything outside CROSS_ORIGIN_SAFE_HEADERS).
    With `pools`, each hop reuses a kept-alive connection to its checked address (see ConnectionPools)."""
    deadline = time.monotonic() + policy.timeout_seconds
    hop_headers = dict(headers or {})
    origin = _origin(url)
    for _hop in range(policy.max_redirects + 1):
        response = _send_once(policy, method, url, json=json, content=content, headers=hop_headers, auth=auth,
                              deadline=deadline, pools=pools)
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            return response
        url = urljoin(url, location)
        if response.status_code == 303:
            method, json, content = "GET", None, None
        if _origin(url) != origin:
            auth = None
            hop_headers = {k: v for k, v in hop_headers.items() if k.lower() in CROSS_ORIGIN_SAFE_HEADERS}
            origin = _origin(url)
    raise OutboundRefused(f"More than {policy.max_redirects} redirects")


def _send_once(policy: OutboundPolicy, method: str, url: str, *, json: Any, content: bytes | None,
               headers: dict[str, str], auth: tuple[str, str] | None, deadline: float,
               pools: ConnectionPools | None = None) -> OutboundResponse:
    addresses = check_url(url, policy)
    host = urlsplit(url).hostname or ""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundFailed(f"Timed out after {policy.timeout_seconds:g}s: {host}")
    if pools is not None:
        return _send_pooled(pools.pool(url, addresses[0]), policy, method, url, json=json, content=content,
                            headers=headers, auth=auth, deadline=deadline, remaining=remaining, host=host)
    transport = PinnedTransport(host, addresses[0])
    try:
        with httpx.Client(transport=transport, timeout=remaining, follow_redirects=False, auth=auth,
                          trust_env=False) as client, \
                client.stream(method, url, json=json, content=content, headers=headers) as response:
            body = _read_capped(response, policy, deadline, host)
            return OutboundResponse(response.status_code, response.headers, body, url)
    except httpx.TimeoutException as exc:
        raise OutboundFailed(f"Timed out after {policy.timeout_seconds:g}s: {host}") from exc
    except httpx.HTTPError as exc:
        raise OutboundFailed(f"Connection to {host} failed: {type(exc).__name__}: {exc}") from exc


def _read_capped(response: httpx.Response, policy: OutboundPolicy, deadline: float, host: str) -> bytes:
    return _read_capped_chunks(response.iter_raw(), policy, deadline, host)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


class _PinnedBackend(httpcore.SyncBackend):
    """Dials the checked address whatever name httpcore asks for; refuses any other name (a proxy, a
    second host) so nothing reaches an address that was not checked."""

    def __init__(self, host: str, address: IPAddress) -> None:
        self._host = host.strip("[]").lower()
        self._address = str(address)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        if host.strip("[]").lower() != self._host:
            raise httpcore.ConnectError(f"refused to dial {host}: only {self._host} was checked")
        return super().connect_tcp(self._address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not outbound targets")


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go to one checked address. TLS still verifies the URL's
    host name (SNI and certificate), and the Host header is the URL's."""

    def __init__(self, host: str, address: IPAddress, max_connections: int = 1) -> None:
        super().__init__(verify=tls_context(), trust_env=False)
        # httpx has no public hook for the network backend; the pool it built is replaced by the same
        # pool dialing through the pinned backend.
        self._pool = httpcore.ConnectionPool(ssl_context=tls_context(), max_connections=max_connections,
                                             network_backend=_PinnedBackend(host, address))


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once: loading the
    CA bundle costs ~40 ms, which a client per request paid on every delivery. Contexts are thread-safe."""
    return httpx.create_ssl_context()


# Kept-alive connections


PoolKey = tuple[str, str, int, str]  # (scheme, host, port, pinned address)
POOL_CONNECTIONS = 16  # connections kept per pool; more concurrent requests wait for one
MAX_POOLS = 256  # pools a thread keeps at once; its least recently used is closed beyond it


class ConnectionPools:
    """One keep-alive connection pool per (scheme, host, port, checked address) and thread, for a sender
    making many requests to few hosts. Every request is still checked (`check_url`, each redirect hop)
    before a pool is chosen, and a pool only ever dials the address in its key, so a reused connection stays
    pinned to the address that was checked; a host resolving elsewhere later gets a pool of its own. Each
    sending thread has pools of its own: one pool shared by 32 threads spent more CPU on its lock and
    bookkeeping (httpcore matches every waiting request to every connection) than on the requests, and a
    thread sends one request at a time anyway, so connections to a host stay at most one per thread. A
    thread only ever closes its own least recently used pool, never one another thread is sending on.
    Timeouts and the response size cap apply per request as without pools. Thread-safe; `close()` ends
    every connection (also as a context manager)."""

    def __init__(self, max_connections: int = POOL_CONNECTIONS, max_pools: int = MAX_POOLS) -> None:
        self.max_connections = max_connections
        self.max_pools = max_pools
        self._pools: dict[int, dict[PoolKey, httpcore.ConnectionPool]] = {}  # by thread
        self._lock = threading.Lock()

    def pool(self, url: str, address: IPAddress) -> httpcore.ConnectionPool:
        scheme, host, port = _origin(url)
        key: PoolKey = (scheme, host, port or 0, str(address))
        with self._lock:
            mine = self._pools.setdefault(threading.get_ident(), {})
            found = mine.pop(key, None)
            if found is None:
                found = httpcore.ConnectionPool(ssl_context=tls_context(), max_connections=self.max_connections,
                                                network_backend=_PinnedBackend(host, address))
            mine[key] = found  # most recently used last
            evicted = list(mine)[:-self.max_pools] if len(mine) > self.max_pools else []
            closing = [mine.pop(old) for old in evicted]
        for stale in closing:
            stale.close()
        return found

    def close(self) -> None:
        with self._lock:
            pools = [pooled for mine in self._pools.values() for pooled in mine.values()]
            self._pools = {}
        for pooled in pools:
            pooled.close()

    def __enter__(self) -> ConnectionPools:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _send_pooled(pool: httpcore.ConnectionPool, policy: OutboundPolicy, method: str, url: str, *, json: Any,
                 content: bytes | None, headers: dict[str, str], auth: tuple[str, str] | None, deadline: float,
                 remaining: float, host: str) -> OutboundResponse:
    """One exchange on a kept-alive connection, through httpcore itself: the request httpx would send
    (`_pooled_request`), without httpx's client layers (request and response models, cookie extraction,
    auth and redirect machinery), which cost more CPU than the exchange on a fast receiver. No cookie is
    kept, as requests sharing a pool belong to different destinations."""
    try:
        response = pool.handle_request(_pooled_request(method, url, json=json, content=content, headers=headers,
                                                       auth=auth, timeout=remaining))
        try:
            body = _read_capped_chunks(response.stream, policy, deadline, host)  # type: ignore[arg-type]
        finally:
            response.close()
        return OutboundResponse(response.status, httpx.Headers(response.headers), body, url)
    except httpcore.TimeoutException as exc:
        raise OutboundFailed(f"Timed out after {policy.timeout_seconds:g}s: {host}") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, httpcore.ProxyError) as exc:
        raise OutboundFailed(f"Connection to {host} failed: {type(exc).__name__}: {exc}") from exc


def _pooled_request(method: str, url: str, *, json: Any, content: bytes | None, headers: Mapping[str, str],
                    auth: tuple[str, str] | None, timeout: float) -> httpcore.Request:
    """The request an httpx client (no cookies, no environment) sends: its default headers (POOLED_HEADERS),
    Host, the caller's headers over them, basic auth (from `auth` or the URL's user info), a JSON body
    encoded as httpx encodes it, Content-Length."""
    target = httpx.URL(url)
    if json is not None:
        body = json_module.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    else:
        body = content or b""
    merged = {name.lower(): (name, value) for name, value in POOLED_HEADERS}
    merged.setdefault("host", ("Host", target.netloc.decode("ascii")))
    if auth is None and (target.username or target.password):
        auth = (target.username, target.password)
    if auth is not None:
        token = b64encode(b":".join(part.encode() for part in auth)).decode()
        merged["authorization"] = ("Authorization", f"Basic {token}")
    for name, value in headers.items():
        merged[name.lower()] = (name, value)
    if body or method in ("POST", "PUT", "PATCH"):
        merged["content-length"] = ("Content-Length", str(len(body)))
    if json is not None:
        merged.setdefault("content-type", ("Content-Type", "application/json"))
    return httpcore.Request(method, httpcore.URL(scheme=target.raw_scheme, host=target.raw_host, port=target.port,
                                                 target=target.raw_path),
                            headers=list(merged.values()), content=body,
                            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)})


# An httpx client's default headers, but for the encoding: the body is read raw (never decoded), so none
# but identity is asked for (an httpx client asks for gzip and deflate it would not decode here either).
POOLED_HEADERS = (("Accept", "*/*"), ("Accept-Encoding", "identity"), ("Connection", "keep-alive"),
                  ("User-Agent", f"python-httpx/{httpx.__version__}"))


def _read_capped_chunks(chunks: Iterable[bytes], policy: OutboundPolicy, deadline: float, host: str) -> bytes:
    read: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > policy.max_response_bytes:
            raise OutboundFailed(f"{host} answered more than {policy.max_response_bytes} bytes", transient=False)
        if time.monotonic() > deadline:
            raise OutboundFailed(f"Timed out after {policy.timeout_seconds:g}s: {host}")
        read.append(chunk)
    return b"".join(read)
