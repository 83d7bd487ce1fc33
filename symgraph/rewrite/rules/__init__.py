"""The rule phases, one module each: canonicalize, constant_fold, stabilize, specialize,
dead_code (rule sets) and fusion (a whole-graph pass)."""
