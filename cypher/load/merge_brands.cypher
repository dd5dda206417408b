// Creates brands by name. Parameters: $rows = [{name}]. Idempotent.
UNWIND $rows AS row
MERGE (:Brand {name: row.name})
