// The server's clock now (ISO datetime string), read right after the switch committed. Parameters: none.
RETURN toString(datetime.realtime()) AS now
