// Placeholder so drl_proto has a source while proto/drl is empty.
