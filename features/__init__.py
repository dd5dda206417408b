"""Per-user behavioural metrics and the activity-threshold study."""
