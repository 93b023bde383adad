"""Alerting (SEMANTICS §7): destinations, rules, correlation groups (the inbox), deliveries, monitors."""
