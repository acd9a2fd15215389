package load

import (
	"slices"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/secret"
)

// TestClipRedactsBeforeShortening: a long secret near the end of the
// 60-character limit is cut by the shortening; redacting afterwards would
// no longer recognise it, and its first part would reach the reports.
func TestClipRedactsBeforeShortening(t *testing.T) {
	const tok = "aa7bd313aba7bfe927b6351e868a2bde.1c46fa90f71934938e35057c0ffee"
	secret.AddSecret(tok)
	got := secret.Clip(`expect json detail: got "` + tok + `", want "x"`)
	if strings.Contains(got, tok[:12]) {
		t.Errorf("clip leaks the secret's start: %q", got)
	}
	if !strings.Contains(got, "***") {
		t.Errorf("clip did not redact: %q", got)
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "pass": true, "user_token": true, "DB_PASSWORD": true, "API_KEY": true,
		"apikey": true, "SECRET_KEY_BASE": true, "DATABASE_URL": true, "GITHUB_TOKEN": true,
		"user": false, "email": false, "PORT": false, "HOST": false, "passenger": false, "LOG_LEVEL": false,
	} {
		if got := secret.SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestStartEnvSecrets: the target's environment values named like
// credentials are secrets (the app's log tail reaches the report when it
// fails to start); others, like a port, are not.
func TestStartEnvSecrets(t *testing.T) {
	_, err := config.ParseConfig("loadgate.yml", t.TempDir(), []byte(`
target:
  url: http://127.0.0.1:18123
  start:
    command: ./app
    env: {DB_PASSWORD: PlainEnvPw99, PORT: "18123"}
tasks: [{get: /}]
`), config.Overrides{}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	s := secret.Secrets()
	if !slices.Contains(s, "PlainEnvPw99") || slices.Contains(s, "18123") {
		t.Errorf("secrets %q: want DB_PASSWORD's value and not PORT's", s)
	}
}
