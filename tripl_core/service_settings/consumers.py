"""What the effective settings hand to the parts of tripl that act on them."""

from __future__ import annotations

from dataclasses import replace

from tripl_core.alerting.sending import ChannelPolicy, SmtpSettings
from tripl_core.scans.schemas import ScanConfigCreate
from tripl_core.service_settings.schema import EmailSettings, RuntimeSettings, SmtpSecurity
from tripl_core.service_settings.store import Effective


def smtp(email: EmailSettings) -> SmtpSettings:
    return SmtpSettings(host=email.smtp_host, port=email.smtp_port, username=email.smtp_username,
                        password=email.smtp_password, starttls=email.smtp_security == SmtpSecurity.starttls,
                        implicit_tls=email.smtp_security == SmtpSecurity.implicit_tls)


def channel_policy(base: ChannelPolicy, effective: Effective) -> ChannelPolicy:
    """The alert channels' policy with the SMTP server the email settings name now."""
    return replace(base, smtp=smtp(effective.email))


def with_row_limit_defaults(body: ScanConfigCreate, runtime: RuntimeSettings) -> ScanConfigCreate:
    """A new scan config that leaves its row limits unset (or null) gets the service's defaults."""
    defaults = {"scan_row_limit": runtime.scan_row_limit_default,
                "metrics_row_limit": runtime.metrics_row_limit_default}
    missing = {name: value for name, value in defaults.items() if getattr(body, name) is None
               or name not in body.model_fields_set}
    return body.model_copy(update=missing) if missing else body
