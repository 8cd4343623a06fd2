// The Ferry module. See ARCHITECTURE.md for its file map.
