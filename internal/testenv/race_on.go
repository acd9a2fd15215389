//go:build race

package testenv

// raceEnabled: the race detector changes allocation counts (sync.Pool
// drops items at random), so allocation tests skip under it.
const raceEnabled = true
