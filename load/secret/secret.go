package secret

import (
	"sort"
	"strings"
	"sync"
)

// Secrets seen by this process: values rendered by {{ env }}, and the values
// of Authorization and Cookie headers. Every report redacts them, so a token
// echoed back by a server in an error body never reaches a summary or a log.
var secrets struct {
	mu   sync.RWMutex
	vals map[string]struct{}
	repl *strings.Replacer
}

// minSecretLen keeps short values ("1", "on") from turning every report
// into asterisks; such values are not secrets worth the name.
const minSecretLen = 4

// AddSecret registers a value that must never appear in any output.
func AddSecret(v string) {
	v = strings.TrimSpace(v)
	if len(v) < minSecretLen {
		return
	}
	secrets.mu.RLock()
	_, known := secrets.vals[v]
	secrets.mu.RUnlock()
	if known {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.vals == nil {
		secrets.vals = map[string]struct{}{}
	}
	secrets.vals[v] = struct{}{}
	// Longest first, so a secret that contains another is replaced whole.
	all := make([]string, 0, len(secrets.vals))
	for s := range secrets.vals {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, "***")
	}
	secrets.repl = strings.NewReplacer(pairs...)
}

// Secrets returns the registered secret values (for ::add-mask::).
func Secrets() []string {
	secrets.mu.RLock()
	defer secrets.mu.RUnlock()
	out := make([]string, 0, len(secrets.vals))
	for s := range secrets.vals {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Redact replaces every registered secret in s with ***.
func Redact(s string) string {
	secrets.mu.RLock()
	r := secrets.repl
	secrets.mu.RUnlock()
	if r == nil || s == "" {
		return s
	}
	return r.Replace(s)
}

// SecretName reports whether a CSV column or an environment variable of
// the target's is named like a credential (password, DB_PASSWORD,
// user_token, API_KEY, DATABASE_URL, …): its values are secrets.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "pass", "pwd", "key", "auth":
		return true
	}
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "api_key",
		"credential", "private_key", "auth_", "_auth", "dsn", "database_url"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// sensitiveHeader reports headers whose values are credentials.
func sensitiveHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key":
		return true
	}
	return false
}

// AddHeaderSecret registers a credential header's value, and for
// "Bearer X" / "Basic X" also the bare credential.
func AddHeaderSecret(name, value string) {
	if !sensitiveHeader(name) {
		return
	}
	AddSecret(value)
	if _, cred, ok := strings.Cut(value, " "); ok {
		AddSecret(cred)
	}
}

func SortedStrings(xs []string) []string {
	sort.Strings(xs)
	return xs
}

// clip keeps reasons short: they are grouped and shown in tables. It
// redacts first: a secret cut in two by the shortening would no longer be
// recognised, and its first 57 characters would reach every report.
func Clip(s string) string {
	s = strings.Join(strings.Fields(Redact(s)), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
