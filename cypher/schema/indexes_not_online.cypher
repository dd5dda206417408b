// The indexes that are not ONLINE yet (populating, or failed), with how far their population is.
// Parameters: none.
SHOW INDEXES YIELD name, state, populationPercent
WHERE state <> 'ONLINE'
RETURN name, state, populationPercent
ORDER BY name
