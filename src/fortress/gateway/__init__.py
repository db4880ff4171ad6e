"""The ensemble gateway: the investigation inference API in front of the models."""
