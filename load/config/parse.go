package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/loadgate/loadgate/load/secret"
)

// The raw* types mirror loadgate.yml exactly; decoding into them with
// yaml.Strict() rejects unknown keys and wrong types with a position. They
// are then validated and resolved into Config.
type RawConfig struct {
	Version    *int                `yaml:"version"`
	Target     rawTarget           `yaml:"target"`
	Load       rawLoad             `yaml:"load"`
	Data       map[string]rawFeed  `yaml:"data"`
	Users      []rawUser           `yaml:"users"`
	Tasks      []rawTask           `yaml:"tasks"`
	WaitTime   *string             `yaml:"wait_time" want:"a wait time such as between 1s 2s"`
	OnStart    []rawStep           `yaml:"on_start"`
	OnStop     []rawStep           `yaml:"on_stop"`
	Thresholds map[string][]string `yaml:"thresholds"`
	Baseline   rawBaseline         `yaml:"baseline"`
	// Secrets names further environment variables whose values are masked
	// in every output (the app may print them); Public names variables
	// the config uses whose values are not secrets (a port, a version).
	Secrets []string `yaml:"secrets"`
	Public  []string `yaml:"public"`
}

type rawTarget struct {
	URL       string            `yaml:"url"`
	Timeout   string            `yaml:"timeout" want:"a duration such as 10s"`
	MaxBody   string            `yaml:"max_body" want:"a size such as 1MiB"`
	Cookies   *bool             `yaml:"cookies" want:"true or false"`
	Redirects *int              `yaml:"redirects" want:"a whole number of redirects to follow, such as 10 (0: none)"`
	Headers   map[string]string `yaml:"headers"`
	Start     *rawStart         `yaml:"start"`
	Metrics   string            `yaml:"metrics" want:"the URL of the app's Prometheus metrics, such as http://127.0.0.1:8000/metrics"`
}

type rawStart struct {
	Command     string            `yaml:"command"`
	Dir         string            `yaml:"dir"`
	Env         map[string]string `yaml:"env"`
	Ready       *rawReady         `yaml:"ready"`
	StopTimeout string            `yaml:"stop_timeout" want:"a duration such as 10s"`
}

type rawReady struct {
	URL     string `yaml:"url"`
	TCP     string `yaml:"tcp"`
	Timeout string `yaml:"timeout" want:"a duration such as 10s"`
}

type rawLoad struct {
	Duration    string     `yaml:"duration" want:"a duration such as 10s"`
	Warmup      string     `yaml:"warmup" want:"a duration such as 10s"`
	Users       *int       `yaml:"users"`
	SpawnRate   *float64   `yaml:"spawn_rate"`
	ArrivalRate string     `yaml:"arrival_rate" want:"a rate such as 200/s"`
	Stages      []rawStage `yaml:"stages"`
	Connections string     `yaml:"connections"`
}

type rawStage struct {
	Duration    string `yaml:"duration" want:"a duration such as 10s"`
	Users       *int   `yaml:"users"`
	ArrivalRate string `yaml:"arrival_rate" want:"a rate such as 200/s"`
}

type rawFeed struct {
	CSV   string `yaml:"csv"`
	Order string `yaml:"order"`
	Per   string `yaml:"per"`
}

type rawUser struct {
	Name     string    `yaml:"name"`
	Weight   *int      `yaml:"weight"`
	WaitTime *string   `yaml:"wait_time" want:"a wait time such as between 1s 2s"`
	OnStart  []rawStep `yaml:"on_start"`
	OnStop   []rawStep `yaml:"on_stop"`
	Tasks    []rawTask `yaml:"tasks"`
	Cookies  *bool     `yaml:"cookies" want:"true or false"`
}

type rawStep struct {
	Name       string            `yaml:"name"`
	Get        *string           `yaml:"get"`
	Post       *string           `yaml:"post"`
	Put        *string           `yaml:"put"`
	Patch      *string           `yaml:"patch"`
	Delete     *string           `yaml:"delete"`
	Head       *string           `yaml:"head"`
	Headers    map[string]string `yaml:"headers"`
	Query      map[string]string `yaml:"query"`
	JSON       any               `yaml:"json"`
	Form       map[string]string `yaml:"form"`
	Body       *string           `yaml:"body"`
	Extract    map[string]string `yaml:"extract"`
	Expect     *rawExpect        `yaml:"expect"`
	SetHeaders map[string]string `yaml:"set_headers"`
	OnFailure  *string           `yaml:"on_failure" want:"continue, stop_user or stop_test"`
	Redirects  *int              `yaml:"redirects" want:"a whole number of redirects to follow, such as 10 (0: none)"`
	Think      *string           `yaml:"think" want:"a duration or wait time such as 2s or between 1s 3s"`
}

// RawStep is exported only because the YAML decoder can fill an embedded
// struct through an exported field name; it is not part of the API.
type RawStep = rawStep

type rawTask struct {
	RawStep `yaml:",inline"`
	Weight  *int      `yaml:"weight"`
	Steps   []rawStep `yaml:"steps"`
}

type rawExpect struct {
	Status      any            `yaml:"status"`
	JSON        map[string]any `yaml:"json"`
	Contains    *string        `yaml:"contains"`
	NotContains *string        `yaml:"not_contains"`
	Within      *string        `yaml:"within" want:"a duration such as 500ms"`
	Message     *string        `yaml:"message"`
}

type rawBaseline struct {
	File         string         `yaml:"file"`
	Missing      string         `yaml:"missing"`
	Tolerance    map[string]any `yaml:"tolerance"`
	Keep         *int           `yaml:"keep"`
	Inconclusive string         `yaml:"inconclusive"`
}

// Overrides are the command-line (or LOADGATE_*) values that win over the file.
type Overrides struct {
	Host        string
	Users       *int
	SpawnRate   *float64
	Duration    *float64 // seconds; pointer so 0 can be refused
	ArrivalRate string
}

// LoadConfigFile reads, expands and validates a config file.
func LoadConfigFile(path string, ov Overrides, getenv func(string) (string, bool)) (*Config, error) {
	if st, err := os.Stat(path); err == nil && st.Size() > MaxConfigBytes {
		return nil, &ConfigError{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("the config file is %d MiB; a config is at most %d MiB", st.Size()>>20, MaxConfigBytes>>20)}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &ConfigError{File: path, Msg: "config file not found (give one with -c FILE, or --url URL for a quick check)"}
		}
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	return ParseConfig(path, filepath.Dir(abs), src, ov, getenv)
}

// ParseConfig parses config text. file names it in errors; dir is the folder
// relative paths resolve against.
func ParseConfig(file, dir string, src []byte, ov Overrides, getenv func(string) (string, bool)) (*Config, error) {
	if getenv == nil {
		getenv = LookupEnv
	}
	if len(src) > MaxConfigBytes {
		return nil, &ConfigError{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("the config is %d MiB; a config is at most %d MiB", len(src)>>20, MaxConfigBytes>>20)}
	}
	if err := checkDepth(file, src); err != nil {
		return nil, err
	}
	// The variables ${NAME} read from the environment: their values are
	// secrets unless the config declares them public.
	used := map[string]string{}
	text, err := ExpandEnv(file, src, func(name string) (string, bool) {
		v, ok := getenv(name)
		if ok {
			used[name] = v
		}
		return v, ok
	})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, &ConfigError{File: file, Line: 1, Col: 1, Msg: "config file is empty"}
	}
	if len(text) > MaxConfigBytes { // ${VAR} values can grow it
		return nil, &ConfigError{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("the config, after ${VAR} expansion, is over %d MiB", MaxConfigBytes>>20)}
	}
	if err := checkDepth(file, text); err != nil { // a value can nest too
		return nil, err
	}
	// The environment's values are secrets before any message can quote
	// them: only secrets: and public: are read first.
	var policy struct {
		Secrets []string `yaml:"secrets"`
		Public  []string `yaml:"public"`
	}
	_ = yaml.Unmarshal(text, &policy)
	registerEnvSecrets(used, policy.Secrets, policy.Public, getenv)
	v := &validator{loc: NewLocator(file, text), dir: dir}
	if err := checkExpansion(v.loc); err != nil {
		return nil, err
	}
	if v.loc.body != nil {
		v.errs = checkShape(v.loc)
	}
	var raw RawConfig
	if err := yaml.UnmarshalWithOptions(text, &raw, yaml.Strict()); err != nil {
		v.addDecodeError(YamlError(file, err, v.loc))
	}
	if len(v.errs) > 0 {
		// A value of the wrong kind is not validated further: the decoder
		// stopped at the first problem or truncated 2.7 to 2.
		return nil, v.joined()
	}
	if v.loc.body == nil {
		return nil, &ConfigError{File: file, Line: 1, Col: 1, Msg: "config file is empty"}
	}
	cfg := v.config(&raw, ov)
	if len(v.errs) > 0 {
		return nil, v.joined()
	}
	cfg.File, cfg.Dir, cfg.Raw, cfg.Loc = file, dir, text, v.loc
	return cfg, nil
}

// validator collects every problem in the file so the user can fix them in
// one go, each located by line and column.
type validator struct {
	loc  *Locator
	dir  string
	errs []*ConfigError

	redirectDefault int // target.redirects, the steps' default
}

// addDecodeError adds the decoder's error unless checkShape already
// reported a problem at the same place (in the user's terms).
func (v *validator) addDecodeError(ce *ConfigError) {
	for _, e := range v.errs {
		if e.Line == ce.Line && e.Col == ce.Col {
			return
		}
	}
	v.errs = append(v.errs, ce)
}

func (v *validator) errf(p Ypath, format string, args ...any) {
	v.errs = append(v.errs, v.loc.ErrAt(p, format, args...))
}

// reported tells whether a problem with field p was reported already, so
// that a later, broader check does not say it again.
func (v *validator) reported(p Ypath) bool {
	f := p.String()
	for _, e := range v.errs {
		if e.Field == f {
			return true
		}
	}
	return false
}

// ConfigErrors is several located problems; Error lists them one per line.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	var b bytes.Buffer
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap exposes each error to errors.As.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (v *validator) joined() error {
	sort.SliceStable(v.errs, func(i, j int) bool {
		if v.errs[i].Line != v.errs[j].Line {
			return v.errs[i].Line < v.errs[j].Line
		}
		return v.errs[i].Col < v.errs[j].Col
	})
	if len(v.errs) == 1 {
		return v.errs[0]
	}
	return ConfigErrors(v.errs)
}

func (v *validator) abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.dir, p)
}

func SortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// registerEnvSecrets applies the redaction policy to the environment: the
// value of every variable the config used is a secret, unless the config
// names it under public: or the value cannot be one (a number of up to
// five digits, such as a port; a boolean); so is the value of every
// variable named under secrets:, used or not.
func registerEnvSecrets(used map[string]string, secrets, publicNames []string, getenv func(string) (string, bool)) {
	public := map[string]bool{}
	for _, n := range publicNames {
		public[n] = true
	}
	for name, v := range used {
		if !public[name] && !plainlyPublic(v) {
			secret.AddSecret(v)
		}
	}
	for _, name := range secrets {
		if v, ok := getenv(name); ok {
			secret.AddSecret(v)
		}
	}
}

// plainlyPublic: values no one keeps secret, which masking would only
// blank out of every URL and report (ports, counts, switches).
func plainlyPublic(v string) bool {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off":
		return true
	}
	if len(v) > 5 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
