package main

// Placeholder, replaced by the sharding work (issue #6).
func cmdMerge(args []string, e *environment) (int, error) {
	return exitUsage, usagef("merge is not available in this build yet")
}
