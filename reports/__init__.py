"""Plots and the HTML/PDF dossier."""
