"""Which fields are secrets, per data-source type and per destination type: the one list the services
encrypt, the responses leave out (saying `*_configured`/`*_set`), and the audit log masks.

A key listed for one type is a secret for every type (a `private_key` sent to a PostgreSQL source is still
stored encrypted): the union is what the code uses; the per-type lists say what each driver reads."""

from __future__ import annotations

DATA_SOURCE_SECRETS: dict[str, frozenset[str]] = {
    "clickhouse": frozenset({"password", "access_token", "token", "client_key_password", "tls_key_password"}),
    "postgres": frozenset({"password", "sslpassword", "passfile_contents"}),
    "bigquery": frozenset({"credentials_info", "credentials_json", "service_account_json", "private_key",
                           "private_key_id", "client_secret", "refresh_token", "access_token", "token",
                           "api_key"}),
    "chdb": frozenset(),
}
# Every secret key a data source's extra_params can carry, whatever its type (`password` is a column).
DATA_SOURCE_SECRET_PARAMS = frozenset().union(*DATA_SOURCE_SECRETS.values())

DESTINATION_SECRETS: dict[str, frozenset[str]] = {
    "slack": frozenset({"webhook_url"}),
    "telegram": frozenset({"bot_token"}),
    "webhook": frozenset({"target_url", "webhook_header_value"}),
    "email": frozenset(),  # the SMTP password is a workspace setting (TRIPL_SMTP_PASSWORD), never stored
    "jira": frozenset({"jira_api_token"}),
    "linear": frozenset({"linear_api_key"}),
}
DESTINATION_SECRET_FIELDS = frozenset().union(*DESTINATION_SECRETS.values())

# Account secrets sent in request bodies (login, register, password change).
ACCOUNT_SECRETS = frozenset({"password", "current_password", "new_password", "token"})

ALL_SECRET_KEYS = DATA_SOURCE_SECRET_PARAMS | DESTINATION_SECRET_FIELDS | ACCOUNT_SECRETS
# Any key containing one of these is treated as a secret too (a driver option tripl does not know yet).
SECRET_MARKERS = ("password", "passwd", "token", "secret", "api_key", "apikey", "credential", "private_key",
                  "passphrase", "webhook_url", "target_url", "header_value", "authorization")


def is_secret_key(key: object) -> bool:
    name = str(key).lower()
    return name in ALL_SECRET_KEYS or any(marker in name for marker in SECRET_MARKERS)
