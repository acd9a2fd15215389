package scaffold

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Credentials never come from the document or a recording: the generated
// config reads them from these environment variables with `env`, whose
// values are secrets in every report. An empty default keeps the config
// valid before they are set; the login then fails with a message naming
// them.
const (
	envUser     = "LOADGATE_USER"
	envPassword = "LOADGATE_PASSWORD"
	loginFailed = "login failed: set LOADGATE_USER and LOADGATE_PASSWORD, or point this step at your login"
)

// authNeed is what an operation's security asks for: a bearer token from
// a login, and keys sent as headers or query parameters.
type authNeed struct {
	bearer bool
	headers,
	query []Field
	notes []string
}

// security is what an operation needs to be let in, nil when nothing: its
// own security requirements, else the document's. Of alternatives, one
// that needs only keys is preferred (nothing to log in to); an empty one
// means the operation is open. A header parameter named Authorization (as
// FastAPI writes Header() arguments) asks for a bearer token too.
func (b *builder) security(o operation) *authNeed {
	reqs := b.doc.Security
	if o.op.Security != nil {
		reqs = *o.op.Security
	}
	if len(reqs) == 0 {
		for _, p := range o.params {
			if p.In == "header" && strings.EqualFold(p.Name, "authorization") {
				return &authNeed{bearer: true}
			}
		}
		return nil
	}
	var chosen openapi3.SecurityRequirement
	for i, alt := range reqs {
		if len(alt) == 0 {
			return nil
		}
		if i == 0 || b.keysOnly(alt) && !b.keysOnly(chosen) {
			chosen = alt
		}
	}
	need := &authNeed{}
	for _, name := range sortedKeys(chosen) {
		s := b.scheme(name)
		switch {
		case s == nil:
			need.bearer = true
		case s.Type == "apiKey" && s.In == "header":
			need.headers = append(need.headers, Field{Key: s.Name, Val: envValue(name), Note: "the key, from the environment"})
		case s.Type == "apiKey" && s.In == "query":
			need.query = append(need.query, Field{Key: s.Name, Val: envValue(name), Note: "the key, from the environment"})
		case s.Type == "apiKey":
			need.notes = append(need.notes, "needs the cookie "+s.Name+" ("+name+"): the cookie jar sends what the app set")
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			need.headers = append(need.headers, Field{Key: "Authorization", Val: Tmpl("Basic {{ env `LOADGATE_BASIC_AUTH` `` }}"),
				Note: "LOADGATE_BASIC_AUTH: base64 of user:password"})
		default: // http bearer, oauth2, openIdConnect
			need.bearer = true
		}
	}
	return need
}

func (b *builder) scheme(name string) *openapi3.SecurityScheme {
	if b.doc.Components == nil {
		return nil
	}
	if r := b.doc.Components.SecuritySchemes[name]; r != nil {
		return r.Value
	}
	return nil
}

func (b *builder) keysOnly(alt openapi3.SecurityRequirement) bool {
	if len(alt) == 0 {
		return false
	}
	for name := range alt {
		if s := b.scheme(name); s == nil || s.Type != "apiKey" || s.In == "cookie" {
			return false
		}
	}
	return true
}

func needsLogin(b *builder, ops []operation) bool {
	for _, o := range ops {
		if n := b.security(o); n != nil && n.bearer {
			return true
		}
	}
	return false
}

// envValue is a key or secret parameter read from LOADGATE_<NAME>.
func envValue(name string) Value {
	return Tmpl("{{ env `" + envName(name) + "` `` }}")
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]+`)

func envName(name string) string {
	n := notEnvChar.ReplaceAllString(strings.ToUpper(name), "_")
	return "LOADGATE_" + strings.Trim(n, "_")
}

// secretName: a name that holds a credential, as load/secret counts them.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "key", "secret", "password", "passwd", "session", "auth", "cookie", "credential", "signature"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var loginPath = regexp.MustCompile(`(?i)(log-?in|sign-?in|token|auth|session)`)

// login is the on_start step of AuthenticatedUser: the OAuth2 password
// flow's token URL if the document has one; else an operation that looks
// like a login (a POST to a login-like path whose body has a password);
// else a placeholder to point at the real login. The operation it uses,
// if any, is returned so it is not also a task.
func (b *builder) login(ops []operation) (Step, *operation) {
	st := Step{Name: "login", Method: "POST", OnFailure: "stop_test",
		Expect:     &Expect{Status: []string{"2xx"}, Message: loginFailed},
		Extract:    []Field{{Key: "token", Val: Raw("json access_token")}},
		SetHeaders: []Field{{Key: "Authorization", Val: Tmpl("Bearer {{ .token }}")}}}
	user, pass := Tmpl("{{ env `"+envUser+"` `` }}"), Tmpl("{{ env `"+envPassword+"` `` }}")
	if b.doc.Components != nil {
		for _, name := range sortedKeys(b.doc.Components.SecuritySchemes) {
			s := b.scheme(name)
			if s == nil || s.Flows == nil || s.Flows.Password == nil || s.Flows.Password.TokenURL == "" {
				continue
			}
			st.Path = tokenPath(s.Flows.Password.TokenURL)
			st.Form = []Field{{Key: "grant_type", Val: Lit("password")}, {Key: "username", Val: user}, {Key: "password", Val: pass}}
			st.Comment = []string{"The OAuth2 password flow of " + name + " (tokenUrl " + s.Flows.Password.TokenURL + ")."}
			return st, nil
		}
	}
	for i, o := range ops {
		if o.method != "POST" || !loginPath.MatchString(o.path) {
			continue
		}
		s, _ := b.step(o, "login")
		if !withCredentials(&s, user, pass) {
			continue
		}
		st.Path, st.JSON, st.Form = s.Path, s.JSON, s.Form
		if s.Expect != nil {
			st.Expect.Status = s.Expect.Status
		}
		st.Extract[0].Val = Raw("json " + tokenField(o.op))
		st.Comment = []string{"The document's " + o.String() + ", which looks like its login."}
		return st, &ops[i]
	}
	st.Path = "/login"
	st.JSON = Obj{{Key: "username", Val: user}, {Key: "password", Val: pass}}
	st.Comment = []string{"A placeholder: point it at your API's login, and extract the token it answers."}
	return st, nil
}

// tokenPath is a token URL as a step's path: relative ones against the
// target, absolute ones kept.
func tokenPath(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.IsAbs() {
		return literal(raw)
	}
	return literal("/" + strings.TrimLeft(raw, "/"))
}

// withCredentials puts the environment's user and password into a login
// body's fields: the first user-like one and every password-like one.
// False when the body has no password field.
func withCredentials(s *Step, user, pass Value) bool {
	found, userSet := false, false
	set := func(key string) (Value, bool) {
		switch nameKind(key) {
		case "password":
			found = true
			return pass, true
		case "username", "email":
			if !userSet {
				userSet = true
				return user, true
			}
		}
		return nil, false
	}
	if obj, ok := s.JSON.(Obj); ok {
		for i := range obj {
			if v, ok := set(obj[i].Key); ok {
				obj[i].Val = v
			}
		}
	}
	for i := range s.Form {
		if v, ok := set(s.Form[i].Key); ok {
			s.Form[i].Val = v
		}
	}
	return found
}

// tokenField is where a login's answer holds the token, from its success
// response's schema; access_token (OAuth2's name) when it does not say.
func tokenField(op *openapi3.Operation) string {
	if op.Responses == nil {
		return "access_token"
	}
	for _, code := range sortedKeys(op.Responses.Map()) {
		r := op.Responses.Map()[code]
		if !strings.HasPrefix(code, "2") || r == nil || r.Value == nil {
			continue
		}
		for _, t := range sortedKeys(r.Value.Content) {
			mt := r.Value.Content[t]
			if mt == nil {
				continue
			}
			s := schemaOf(mt.Schema)
			if s == nil {
				continue
			}
			for _, k := range sortedKeys(s.Properties) {
				switch strings.ToLower(strings.ReplaceAll(k, "_", "")) {
				case "accesstoken", "token", "jwt", "idtoken", "authtoken", "bearer":
					return k
				}
			}
		}
	}
	return "access_token"
}
