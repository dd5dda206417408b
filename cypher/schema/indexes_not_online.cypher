// The indexes that are not ONLINE yet (populating, or failed), with how far their population is.
// Parameters: $vector (false leaves out VECTOR indexes).
SHOW INDEXES YIELD name, type, state, populationPercent
WHERE state <> 'ONLINE' AND ($vector OR type <> 'VECTOR')
RETURN name, state, populationPercent
ORDER BY name
