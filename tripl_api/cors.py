"""Cross-origin requests from the browser origins the security settings list (`security.cors_origins`,
SEMANTICS §14). The list is read from the effective settings on each cross-origin request (cached for a
second by the settings store), so an owner's change applies without a restart. No origin is allowed by
default: the API is same-origin unless an owner opens it. Session cookies are credentials, so an allowed
origin is echoed back, never `*`."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from tripl_core.service_settings.store import SettingsStore

log = logging.getLogger(__name__)
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "Content-Type")
PREFLIGHT_MAX_AGE = 600


class SettingsCors(CORSMiddleware):
    def __init__(self, app: ASGIApp, store: SettingsStore) -> None:
        super().__init__(app, allow_origins=(), allow_methods=ALLOWED_METHODS, allow_headers=ALLOWED_HEADERS,
                         allow_credentials=True, max_age=PREFLIGHT_MAX_AGE)
        self.store = store

    def is_allowed_origin(self, origin: str) -> bool:
        try:
            allowed = self.store.current().security.cors_origins
        except SQLAlchemyError:  # settings unreadable: stay same-origin rather than fail the request
            log.warning("CORS origins could not be read; cross-origin request not allowed", exc_info=True)
            return False
        return origin.lower() in (entry.lower() for entry in allowed)
