"""SeaGreen (海绿): green- and blue-finance platform for a coastal city."""

__version__ = "0.1.0"
