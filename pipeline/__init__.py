"""`shopgraph run`: the steps from month files to named segments and the dossier, skipping what is current."""
