"""Where effects go: the local outbox by default; Slack and ClickUp when configured."""
