// How many customers are in one segment of the current segmentation?
// Parameters: $name, a segment's English name, e.g. 'Window shoppers' (in Browser: :param name => 'Window shoppers').
MATCH (u:User {segment: $name})
RETURN count(u)
