package result

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteUnits are the sizes a memory threshold may be written in. Binary
// units only: "MB" would leave open whether 10^6 or 2^20 was meant, and a
// gate that is 5 % off its limit is a gate that lies.
var byteUnits = []struct {
	name string
	size float64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseBytes reads a size such as 300MiB, 1.5GiB or 512KiB and returns
// bytes. A bare number is refused, as a bare duration is: the unit is
// where the mistakes are.
func ParseBytes(metric, v string) (float64, error) {
	neg := strings.HasPrefix(v, "-")
	num := strings.TrimPrefix(v, "-")
	for _, u := range byteUnits {
		if !strings.HasSuffix(num, u.name) {
			continue
		}
		n, ok := plainNumber(strings.TrimSuffix(num, u.name))
		if !ok {
			break
		}
		if neg && metric != "app_rss_growth" {
			return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
		}
		if neg {
			n = -n
		}
		return n * u.size, nil
	}
	if _, ok := plainNumber(num); ok {
		return 0, fmt.Errorf("%s: a size needs a unit, e.g. %sMiB (KiB, MiB, GiB)", metric, num)
	}
	return 0, fmt.Errorf("%s needs a size such as 300MiB, 512KiB or 1GiB; got %q", metric, v)
}

// FormatBytes renders bytes in the largest binary unit that keeps the
// number at 1 or more, at four significant digits: 212.4MiB, 48KiB, 0B.
func FormatBytes(v float64) string {
	a := math.Abs(v)
	for _, u := range byteUnits {
		if a >= u.size || u.size == 1 {
			x := v / u.size
			dec := 0
			switch ax := math.Abs(x); {
			case ax == 0 || ax >= 1000:
			case ax >= 100:
				dec = 1
			case ax >= 10:
				dec = 2
			default:
				dec = 3
			}
			if u.size == 1 {
				dec = 0
			}
			s := strconv.FormatFloat(x, 'f', dec, 64)
			if strings.Contains(s, ".") {
				s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			}
			if s == "-0" {
				s = "0"
			}
			return s + u.name
		}
	}
	return "0B"
}

// plainNumber is a decimal number as a config writes one: no NaN,
// infinities, hex or digit separators.
func plainNumber(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}
