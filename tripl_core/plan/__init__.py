"""The tracking plan: projects, event types, events, fields, meta fields, variables and relations."""
