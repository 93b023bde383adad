"""Jobs across kinds: listing (per project and workspace-wide), retrying a failed run over the same
window, dismissing it, and the job rows of scheduled metrics collections (SEMANTICS §2 "Jobs")."""
