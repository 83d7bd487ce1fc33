"""The rule phases, one module each: canonicalize, constant_fold, stabilize, specialize and
dead_code (rule sets), fusion (a whole-graph pass); forms and algebra are what they share."""
