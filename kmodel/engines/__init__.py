"""Engines run a model; they know nothing about Kubernetes beyond the Model interface."""
