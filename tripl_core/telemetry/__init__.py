"""What tripl reports about itself to monitoring (Prometheus): read from every domain, imported by none."""
