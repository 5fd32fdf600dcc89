"""Renderers turn states, snapshots and traces into text, JSON and pictures."""
