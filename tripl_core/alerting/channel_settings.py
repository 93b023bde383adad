"""What the effective service settings hand to the alert channels: the SMTP server the email settings name."""

from __future__ import annotations

from dataclasses import replace

from tripl_core.alerting.sending import ChannelPolicy, SmtpSettings
from tripl_core.service_settings.schema import EmailSettings, SmtpSecurity
from tripl_core.service_settings.store import Effective


def smtp(email: EmailSettings) -> SmtpSettings:
    return SmtpSettings(host=email.smtp_host, port=email.smtp_port, username=email.smtp_username,
                        password=email.smtp_password, starttls=email.smtp_security == SmtpSecurity.starttls,
                        implicit_tls=email.smtp_security == SmtpSecurity.implicit_tls)


def channel_policy(base: ChannelPolicy, effective: Effective) -> ChannelPolicy:
    """The alert channels' policy with the SMTP server the email settings name now."""
    return replace(base, smtp=smtp(effective.email))
