package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/brianvoe/gofakeit/v7"
)

// tmpl is one config string compiled once. A string without actions is kept
// as a literal so the request path does no template work for it.
type tmpl struct {
	lit       string
	parts     []part // the fast path, when every action is a common one
	t         *template.Template
	typed     bool // exactly one action, rendered to JSON to keep its type
	userBound bool // calls seq: needs the user's own clone
}

// isConst reports whether the string renders to the same text every time.
func (t *tmpl) isConst() bool { return t.t == nil }

var singleAction = regexp.MustCompile(`^\s*\{\{-?\s*([^{}]*?)\s*-?\}\}\s*$`)

// templateFuncs are the functions every template may call. seq is replaced
// per user (see vuser.tmplFor); the placeholder here only lets parsing succeed.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"randInt":   randInt,
		"randFloat": randFloat,
		"uuid":      uuidV4,
		"env":       envFunc,
		"fake":      fake,
		"seq":       func() int64 { return 0 },
		"__json":    jsonValue,
	}
}

var baseFuncs = templateFuncs()

// compileTmpl parses s. When typed is true and s is exactly one action, the
// action's value is rendered as JSON so that "{{ randFloat 1 2 2 }}" sends a
// number, not a string.
func compileTmpl(s string, typed bool) (*tmpl, error) {
	if !strings.Contains(s, "{{") {
		return &tmpl{lit: s}, nil
	}
	src := s
	isTyped := false
	if typed {
		if m := singleAction.FindStringSubmatch(s); m != nil && !strings.HasPrefix(m[1], "/*") && !strings.Contains(m[1], ":=") {
			src, isTyped = "{{ __json ("+m[1]+") }}", true
		}
	}
	t, err := template.New("").Funcs(baseFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, cleanTemplateErr(err)
	}
	if err := checkCalls(t); err != nil {
		return nil, err
	}
	out := &tmpl{t: t, typed: isTyped, userBound: usesFunc(t, "seq")}
	// The fast path reads the template as written (without the __json wrapper).
	if plain, err := template.New("").Funcs(baseFuncs).Option("missingkey=error").Parse(s); err == nil {
		if parts := fastParts(plain); parts != nil && (!isTyped || len(parts) == 1) {
			out.parts = parts
		}
	}
	return out, nil
}

// cleanTemplateErr drops text/template's internal prefix ("template: :1:") so
// the message reads well after our own file:line:col.
func cleanTemplateErr(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, ":") {
		msg = msg[i+2:]
	}
	msg = strings.ReplaceAll(msg, "__json ", "")
	return fmt.Errorf("template: %s", msg)
}

// walk visits every node of a parsed template.
func walk(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch v := n.(type) {
	case *parse.ListNode:
		if v == nil {
			return
		}
		for _, c := range v.Nodes {
			walk(c, f)
		}
	case *parse.ActionNode:
		walk(v.Pipe, f)
	case *parse.PipeNode:
		if v == nil {
			return
		}
		for _, c := range v.Cmds {
			walk(c, f)
		}
	case *parse.CommandNode:
		for _, a := range v.Args {
			walk(a, f)
		}
	case *parse.IfNode:
		walk(v.Pipe, f)
		walk(v.List, f)
		walk(v.ElseList, f)
	case *parse.RangeNode:
		walk(v.Pipe, f)
		walk(v.List, f)
		walk(v.ElseList, f)
	case *parse.WithNode:
		walk(v.Pipe, f)
		walk(v.List, f)
		walk(v.ElseList, f)
	}
}

func usesFunc(t *template.Template, name string) bool {
	found := false
	walk(t.Tree.Root, func(n parse.Node) {
		if id, ok := n.(*parse.IdentifierNode); ok && id.Ident == name {
			found = true
		}
	})
	return found
}

// checkCalls validates constant arguments at load time: env names must be
// set, fake kinds must exist. A typo then fails `loadgate validate`, not the
// 10,000th request.
func checkCalls(t *template.Template) error {
	var err error
	walk(t.Tree.Root, func(n parse.Node) {
		cmd, ok := n.(*parse.CommandNode)
		if !ok || len(cmd.Args) < 2 || err != nil {
			return
		}
		id, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok {
			return
		}
		arg, ok := cmd.Args[1].(*parse.StringNode)
		if !ok {
			return
		}
		switch id.Ident {
		case "env":
			if v, set := os.LookupEnv(arg.Text); set {
				AddSecret(v)
			} else if len(cmd.Args) < 3 {
				err = fmt.Errorf("template: env %s: environment variable is not set (give a default: env `%s` `value`)", arg.Text, arg.Text)
			} else if def, ok := cmd.Args[2].(*parse.StringNode); ok {
				AddSecret(def.Text)
			}
		case "fake":
			if _, e := fakeFunc(arg.Text); e != nil {
				err = e
			}
		}
	})
	return err
}

// render executes the template for a user's data.
func (t *tmpl) render(tt *template.Template, data map[string]any, buf *bytes.Buffer) (string, error) {
	if t.t == nil {
		return t.lit, nil
	}
	if tt == nil {
		tt = t.t
	}
	buf.Reset()
	if err := tt.Execute(buf, data); err != nil {
		return "", cleanTemplateErr(err)
	}
	return buf.String(), nil
}

func randInt(a, b int) (int, error) {
	if b < a {
		return 0, fmt.Errorf("randInt %d %d: the second must not be less than the first", a, b)
	}
	return a + rand.IntN(b-a+1), nil
}

func randFloat(a, b float64, dec ...int) (float64, error) {
	if b < a {
		return 0, fmt.Errorf("randFloat: the second must not be less than the first")
	}
	f := a + rand.Float64()*(b-a)
	if len(dec) > 0 {
		p := math.Pow10(dec[0])
		f = math.Round(f*p) / p
	}
	return f, nil
}

func uuidV4() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(hi>>(8*i)), byte(lo>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(out)
}

// envFunc reads an environment variable, with an optional default. Both
// are treated as secrets: they never appear in a report.
func envFunc(name string, def ...string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		if len(def) == 0 {
			return "", fmt.Errorf("env %s: environment variable is not set", name)
		}
		v = def[0]
	}
	AddSecret(v)
	return v, nil
}

// jsonValue renders a value as JSON; extracted numbers are json.Number and
// so keep their exact digits.
func jsonValue(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

var fakeKinds = map[string]func() string{
	"name": gofakeit.Name, "first_name": gofakeit.FirstName, "last_name": gofakeit.LastName,
	"email": gofakeit.Email, "username": fakeUsername, "word": gofakeit.Word,
	"sentence": func() string { return gofakeit.Sentence(8) }, "paragraph": func() string { return gofakeit.Paragraph(1, 4, 10, " ") },
	"password": func() string { return gofakeit.Password(true, true, true, false, false, 12) },
	"phone":    gofakeit.Phone, "city": gofakeit.City, "country": gofakeit.Country, "street": gofakeit.Street,
	"zip": gofakeit.Zip, "company": gofakeit.Company, "job": gofakeit.JobTitle, "url": gofakeit.URL,
	"ipv4": gofakeit.IPv4Address, "color": gofakeit.Color, "uuid": gofakeit.UUID, "product": gofakeit.ProductName,
	"int": func() string { return strconv.Itoa(gofakeit.Number(0, 1_000_000)) },
}

// fakeUsername is gofakeit's username as sign-up forms accept one: 3 to
// 30 characters, no spaces. gofakeit draws some from a word list with
// multi-word entries ("App Inventor for Android's visual block
// language123") and some as short as "T0", which a typical length rule
// rejects now and then: a flaky failure in a test that should not fail.
func fakeUsername() string {
	u := strings.ReplaceAll(gofakeit.Username(), " ", "")
	if len(u) > 30 {
		u = u[len(u)-30:] // keep the digits that make it unique
	}
	if len(u) < 3 {
		u += strconv.Itoa(gofakeit.Number(100, 999))
	}
	return u
}

var fakeLookupMu sync.Mutex

// fakeFunc resolves a fake KIND: the short names above, or any gofakeit
// function name (e.g. "hackerphrase").
func fakeFunc(kind string) (func() string, error) {
	if f, ok := fakeKinds[kind]; ok {
		return f, nil
	}
	fakeLookupMu.Lock()
	defer fakeLookupMu.Unlock()
	if gofakeit.GetFuncLookup(strings.ToLower(kind)) != nil {
		tag := "{" + strings.ToLower(kind) + "}"
		return func() string { s, _ := gofakeit.Generate(tag); return s }, nil
	}
	names := make([]string, 0, len(fakeKinds))
	for k := range fakeKinds {
		names = append(names, k)
	}
	return nil, fmt.Errorf("template: fake %q is not a known kind (known: %s, or any gofakeit function)", kind, strings.Join(sortedStrings(names), " "))
}

func fake(kind string) (string, error) {
	f, err := fakeFunc(kind)
	if err != nil {
		return "", err
	}
	return f(), nil
}
