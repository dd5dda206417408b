// Creates users or adds a file's activity to them: n_events adds up, first/last seen widen.
// Parameters: $rows = [{user_id, n_events, first_seen, last_seen (epoch ms)}]. Additive: run once per
// file, guarded by the file's load cursor. No WITH before the MERGE (it made the planner add an Eager).
UNWIND $rows AS row
MERGE (u:User {user_id: row.user_id})
ON CREATE SET u.n_events = row.n_events, u.first_seen = datetime({epochMillis: row.first_seen}),
              u.last_seen = datetime({epochMillis: row.last_seen})
ON MATCH SET u.n_events = u.n_events + row.n_events,
             u.first_seen = CASE WHEN row.first_seen < u.first_seen.epochMillis
                                 THEN datetime({epochMillis: row.first_seen}) ELSE u.first_seen END,
             u.last_seen = CASE WHEN row.last_seen > u.last_seen.epochMillis
                                THEN datetime({epochMillis: row.last_seen}) ELSE u.last_seen END
