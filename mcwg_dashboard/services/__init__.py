"""The service layer: every read that needs rules and every write goes through these modules."""
