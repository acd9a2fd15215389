//go:build !race

package testenv

const RaceEnabled = false
