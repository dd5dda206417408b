// Forgets the last finished vector write before a new one changes the graph: a write stopped midway (vectors sent,
// none of its record saved) must not leave the old record trusted, or the vectors it sent beyond that record would
// stay on the graph for good (REES46 month 4: 3.83 M vectors held where the record listed 1.98 M).
MATCH (w:VectorsOnGraph)
DELETE w
