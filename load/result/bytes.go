package result

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units a size may be written in: binary multiples, with
// KB, MB and GB (and K, M, G) read as the same, as most tools that take a
// memory limit do.
var sizeUnits = map[string]float64{"b": 1, "kib": 1 << 10, "kb": 1 << 10, "k": 1 << 10, "mib": 1 << 20, "mb": 1 << 20, "m": 1 << 20,
	"gib": 1 << 30, "gb": 1 << 30, "g": 1 << 30}

// ParseSize reads a size such as 512KiB, 2MiB or 1.5GiB and returns bytes.
// A number needs its unit: "300" could be bytes or megabytes.
func ParseSize(s string) (int64, error) {
	n, err := parseSize(s)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("%q is not a size: give a number and a unit, e.g. 512KiB or 2MiB", s)
	}
	return int64(n), nil
}

// parseSize is ParseSize with a sign allowed.
func parseSize(s string) (float64, error) {
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("%q is not a size: give a number and a unit, e.g. 512KiB or 2MiB", s)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, fmt.Errorf("%q is not a size: give a number and a unit, e.g. 512KiB or 2MiB", s)
	}
	mult := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if mult == 0 {
		return 0, fmt.Errorf("%q has an unknown unit: use B, KiB, MiB or GiB", s)
	}
	if neg {
		n = -n
	}
	return n * mult, nil
}

// ParseBytes reads a memory threshold's limit (300MiB, 512KiB, 1GiB) and
// returns bytes. Only app_rss_growth may be negative (memory given back).
func ParseBytes(metric, v string) (float64, error) {
	if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
		return 0, fmt.Errorf("%s: a size needs a unit, e.g. %sMiB (KiB, MiB, GiB)", metric, strings.TrimSpace(v))
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("%s needs a size such as 300MiB, 512KiB or 1GiB; got %q", metric, v)
	}
	if n < 0 && metric != "app_rss_growth" {
		return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
	}
	return n, nil
}

// byteUnits are the units sizes are shown in, largest first.
var byteUnits = []struct {
	name string
	size float64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// FormatBytes renders bytes in the largest binary unit that keeps the
// number at 1 or more, at four significant digits: 212.4MiB, 48KiB, 0B.
func FormatBytes(v float64) string {
	a := math.Abs(v)
	for _, u := range byteUnits {
		if a < u.size && u.size > 1 {
			continue
		}
		if u.size == 1 {
			if v == 0 {
				v = 0 // a negative zero would print "-0"
			}
			return strconv.FormatFloat(v, 'f', 0, 64) + u.name
		}
		return Sig4(v/u.size) + u.name
	}
	return "0B"
}

// Sig4 renders a measurement at four significant digits, without trailing
// zeros (597.5, 57.7, 1.875, 3600): a measurement's last decimals are noise.
func Sig4(v float64) string {
	dec := 0
	switch a := math.Abs(v); {
	case a == 0 || a >= 1000:
	case a >= 100:
		dec = 1
	case a >= 10:
		dec = 2
	default:
		dec = 3
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
