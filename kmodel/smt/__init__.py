"""Z3-based analyses of the model (SMT encodings of cluster states)."""
