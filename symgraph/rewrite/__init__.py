"""Graph rewriting: the pattern DSL, the engine, the rule phases and the per-mode pipeline."""
