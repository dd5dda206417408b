// How many transactions that started before $since (ISO datetime, taken right after the switch committed)
// are still open: they may have read the previous run through the pointer, so its IN_SEGMENT are deleted
// only once none is left (segments/writeback.py). SHOW TRANSACTIONS gives startTime as a string.
// Parameters: $since.
SHOW TRANSACTIONS YIELD transactionId, startTime
WHERE datetime(startTime) < datetime($since)
RETURN count(transactionId) AS open
