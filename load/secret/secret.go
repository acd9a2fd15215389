// Package secret is loadgate's one redaction policy: the registry of values
// that must never appear in any output, in any encoding, and the function
// every output goes through.
//
// What is a secret (docs/config.md, "Secrets"): values of environment
// variables a config uses (${VAR}, {{ env }}, target.start.env) unless
// declared public; values extracted from responses that a request then
// sends in a credential header or query parameter (Authorization, Cookie,
// or any name containing token, key, secret, password, session or auth);
// CSV columns named like credentials; URL userinfo. Each is registered in
// the forms a report could show it in: as written, URL-encoded, JSON-escaped
// and base64-encoded (Basic auth).
package secret

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
)

var registry struct {
	mu    sync.RWMutex
	vals  map[string]struct{}
	repl  *strings.Replacer // nil when vals changed since it was built
	onAdd func(string)
}

// minSecretLen keeps short values ("1", "on") from turning every report
// into asterisks; such values are not secrets worth the name.
const minSecretLen = 4

// OnAdd sets a function called once for every new value and form as it is
// registered (the command line emits GitHub's ::add-mask:: with it, so a
// token extracted mid-run is masked in the job log before any step prints
// it). Set it before the run starts.
func OnAdd(f func(string)) {
	registry.mu.Lock()
	registry.onAdd = f
	registry.mu.Unlock()
}

// AddSecret registers a value, with its encoded forms, that must never
// appear in any output. Registering is cheap (the replacer is rebuilt on
// the next Redact), so a CSV feed of 100,000 secret rows loads in linear
// time.
func AddSecret(v string) {
	v = strings.TrimSpace(v)
	if len(v) < minSecretLen {
		return
	}
	registry.mu.RLock()
	_, known := registry.vals[v]
	registry.mu.RUnlock()
	if known {
		return
	}
	var added []string
	registry.mu.Lock()
	if registry.vals == nil {
		registry.vals = map[string]struct{}{}
	}
	for _, f := range forms(v) {
		if _, ok := registry.vals[f]; !ok && len(f) >= minSecretLen {
			registry.vals[f] = struct{}{}
			added = append(added, f)
		}
	}
	registry.repl = nil
	hook := registry.onAdd
	registry.mu.Unlock()
	if hook != nil {
		for _, f := range added {
			hook(f)
		}
	}
}

// forms are the spellings of v that an output could carry: as written,
// URL-encoded (query and path), JSON-escaped, and base64 (standard and
// URL alphabets, as in a Basic auth header or a JWT segment).
func forms(v string) []string {
	out := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	if b, err := json.Marshal(v); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	out = append(out, base64.StdEncoding.EncodeToString([]byte(v)),
		base64.RawStdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)))
	return out
}

// AddBasicAuth registers the credential of a Basic auth header for user
// and password: the password and the base64 of "user:password".
func AddBasicAuth(user, password string) {
	AddSecret(password)
	AddSecret(base64.StdEncoding.EncodeToString([]byte(user + ":" + password)))
}

// Secrets returns every registered value and form (for ::add-mask::).
func Secrets() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]string, 0, len(registry.vals))
	for s := range registry.vals {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Redact replaces every registered secret, in every form, with ***.
func Redact(s string) string {
	if s == "" {
		return s
	}
	registry.mu.RLock()
	r, n := registry.repl, len(registry.vals)
	registry.mu.RUnlock()
	if n == 0 {
		return s
	}
	if r == nil {
		r = rebuild()
	}
	return r.Replace(s)
}

// rebuild makes the replacer of the registered values, longest first, so a
// secret that contains another is replaced whole.
func rebuild() *strings.Replacer {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.repl != nil {
		return registry.repl
	}
	all := make([]string, 0, len(registry.vals))
	for s := range registry.vals {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, "***")
	}
	registry.repl = strings.NewReplacer(pairs...)
	return registry.repl
}

// SecretName reports whether a CSV column, an environment variable, a
// header or a query parameter is named like a credential (password,
// DB_PASSWORD, user_token, API_KEY, X-Auth-Token, session, DATABASE_URL,
// …): its values are secrets.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "pass", "pwd", "key", "auth", "sid", "jwt":
		return true
	}
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "api_key", "api-key",
		"credential", "private_key", "auth", "session", "cookie", "dsn", "database_url", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// AddHeaderSecret registers the value of a credential header (by
// SecretName: Authorization, Cookie, X-Auth-Token, X-Api-Key, …), and for
// "Bearer X" / "Basic X" also the bare credential.
func AddHeaderSecret(name, value string) {
	if !SecretName(name) {
		return
	}
	AddSecret(value)
	if _, cred, ok := strings.Cut(value, " "); ok {
		AddSecret(cred)
	}
}

// SortedStrings sorts xs in place and returns it.
func SortedStrings(xs []string) []string {
	sort.Strings(xs)
	return xs
}

// Clip keeps reasons short: they are grouped and shown in tables. It
// redacts first: a secret cut in two by the shortening would no longer be
// recognised, and its first 57 characters would reach every report.
func Clip(s string) string {
	s = strings.Join(strings.Fields(Redact(s)), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
