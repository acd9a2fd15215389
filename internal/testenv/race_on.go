//go:build race

package testenv

// RaceEnabled: the race detector changes allocation counts (sync.Pool
// drops items at random), so allocation tests skip under it.
const RaceEnabled = true
