// One index's state (ONLINE, POPULATING, FAILED) and how far its population is; no row when it does not exist.
// Parameters: $name (the index's name).
SHOW INDEXES YIELD name, state, populationPercent
WHERE name = $name
RETURN state, populationPercent
