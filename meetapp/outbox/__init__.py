"""Mail about sessions: queued in the outbox with the change that causes it, delivered by `flask worker`."""
