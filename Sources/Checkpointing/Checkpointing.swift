// The Checkpointing module. See ARCHITECTURE.md for its file map.
