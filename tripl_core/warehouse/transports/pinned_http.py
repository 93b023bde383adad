"""An HTTP session bound to the address a host was checked at (tripl_core.warehouse.pinning), for
clients that dial by URL (BigQuery's `api_endpoint`). The URL keeps its host name, so TLS still sends
that name (SNI) and verifies the certificate against it, and the Host header carries it; only the TCP
connection goes to the checked address, so a second DNS answer cannot move it. A request for any other
host (a redirect elsewhere) is refused instead of dialled unchecked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool


class PinnedHostRefused(requests.exceptions.ConnectionError):
    """A request for a host the session is not bound to."""


class PinnedAdapter(HTTPAdapter):
    def __init__(self, host: str, address: str) -> None:
        self.host = host.lower()
        self.address = address
        super().__init__()

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str,
                                        proxies: dict[str, str] | None = None,
                                        cert: Any = None) -> HTTPConnectionPool:
        requested = (urlsplit(request.url or "").hostname or "").lower()
        if requested != self.host:
            raise PinnedHostRefused(f"{requested or 'a URL without a host'} is not the checked endpoint "
                                    f"{self.host}", request=request)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": self.host, "assert_hostname": self.host}
        return self.poolmanager.connection_from_host(**{**host_params, "host": self.address},
                                                     pool_kwargs=pool_kwargs)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # The pool's host is the address; the request names the host it was checked as.
        request.headers["Host"] = urlsplit(request.url or "").netloc.rsplit("@", 1)[-1]


def pin_session(session: requests.Session, url: str, address: str) -> requests.Session:
    """`session`, made to send every request for `url`'s host to `address` and no request anywhere else
    (no proxies or netrc from the environment either: the checked address is the only way out)."""
    adapter = PinnedAdapter(urlsplit(url).hostname or "", address)
    session.trust_env = False
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
