"""Reading, validating, cleaning and pseudonymising REES46 month files into the event store."""
