"""graphsvc: one graph of everyone a person or a team knows, and the analytics on it."""

__version__ = "0.1.0"
