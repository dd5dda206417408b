"""What every layer of shopgraph shares: errors, workspace, settings, files, progress and words.

It sits below ``events`` and imports nothing of the project, so any layer may import it.
"""
