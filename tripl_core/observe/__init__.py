"""What scans observe in the warehouse: schema drifts, variable contexts, shadow events, daily volumes."""
