"""LINE users, webhook events, messages and the monthly quota (owned by the LINE bot work)."""
