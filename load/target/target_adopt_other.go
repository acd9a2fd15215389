//go:build !linux && !windows

package target

// adopted: without a subreaper (outside Linux) loadgate adopts nothing.
func (t *Target) adopted() []int { return nil }
