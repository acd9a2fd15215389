package secret

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// TestRedactEveryForm: a registered value is masked as written and in each
// encoding a report could carry it in.
func TestRedactEveryForm(t *testing.T) {
	const v = `s3cr3t/+"value&x`
	AddSecret(v)
	for name, form := range map[string]string{
		"raw":         v,
		"query":       url.QueryEscape(v),
		"path":        url.PathEscape(v),
		"json":        `s3cr3t/+\"value\u0026x`,
		"base64":      base64.StdEncoding.EncodeToString([]byte(v)),
		"base64 raw":  base64.RawStdEncoding.EncodeToString([]byte(v)),
		"base64 url":  base64.RawURLEncoding.EncodeToString([]byte(v)),
		"with spaces": "  " + v + "  ",
	} {
		if got := Redact("before " + form + " after"); strings.Contains(got, strings.TrimSpace(form)) || !strings.Contains(got, "***") {
			t.Errorf("%s form %q: Redact gave %q", name, form, got)
		}
	}
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	AddSecret("on")
	if got := Redact("turned on"); got != "turned on" {
		t.Fatalf("a 2-character value masked: %q", got)
	}
}

// TestLongestFirst: a secret that contains another is masked whole, not
// leaving the rest of it visible around the shorter one's ***.
func TestLongestFirst(t *testing.T) {
	AddSecret("abcd1234")
	AddSecret("xxabcd1234yy")
	if got := Redact("k=xxabcd1234yy"); got != "k=***" {
		t.Fatalf("got %q", got)
	}
}

func TestHeaderSecrets(t *testing.T) {
	AddHeaderSecret("Authorization", "Bearer tok-9f8e7d")
	AddHeaderSecret("Accept", "text/plain-visible")
	if got := Redact("sent tok-9f8e7d and text/plain-visible"); got != "sent *** and text/plain-visible" {
		t.Fatalf("got %q", got)
	}
	for name, want := range map[string]bool{"X-Api-Key": true, "DB_PASSWORD": true, "session": true,
		"Accept": false, "user_id": false, "DATABASE_URL": true, "keyboard": false} {
		if SecretName(name) != want {
			t.Errorf("SecretName(%q) = %v", name, !want)
		}
	}
}

// TestClipRedactsBeforeCutting: a secret straddling the 57-character cut
// must not leak its first half.
func TestClipRedactsBeforeCutting(t *testing.T) {
	tok := "LONGTOKEN-0123456789abcdef"
	AddSecret(tok)
	got := Clip(strings.Repeat("x", 50) + tok)
	if strings.Contains(got, "LONGTOK") {
		t.Fatalf("Clip leaked a prefix: %q", got)
	}
}

// TestOnAddSeesEveryNewForm: the ::add-mask:: hook is called once per new
// form, and not again for a value already known.
func TestOnAddSeesEveryNewForm(t *testing.T) {
	var seen []string
	OnAdd(func(s string) { seen = append(seen, s) })
	defer OnAdd(nil)
	AddSecret("hook-value-77")
	n := len(seen)
	if n < 3 {
		t.Fatalf("hook saw %d forms: %q", n, seen)
	}
	AddSecret("hook-value-77")
	if len(seen) != n {
		t.Fatalf("a known value was announced again: %q", seen[n:])
	}
}
