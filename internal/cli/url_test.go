package cli

import (
	"testing"

	"github.com/loadgate/loadgate/load/config"
)

// TestURLConfigLoad: --url runs 10 users, like a quick look with hey; with
// --arrival-rate it runs the open model with its default pool (rate ×
// timeout), not 10 users that would drop every start beyond 10 in flight.
func TestURLConfigLoad(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cases := []struct {
		rate  string
		model string
		users int
	}{
		{"", "closed", 10},
		{"40/s", "open", 400},
	}
	for _, c := range cases {
		cfg, err := urlConfig("http://127.0.0.1:1/x?q=1", config.Overrides{ArrivalRate: c.rate}, none)
		if err != nil {
			t.Fatal(err)
		}
		model := "closed"
		if cfg.Load.ArrivalRate > 0 {
			model = "open"
		}
		if model != c.model || cfg.Load.Users != c.users {
			t.Errorf("--arrival-rate %q: %s model with %d users, want %s with %d", c.rate, model, cfg.Load.Users, c.model, c.users)
		}
	}
}
