"""A run: what a validated project is made into (its data prepared, its model built) and the training
loop with its history and loss watch. Below the project layer: it takes plain settings, never the
field table."""
