package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/secret"
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

// argKind is what a template function's argument must be when it is
// written as a literal; checkCalls checks it at load time.
type argKind uint8

const (
	argAny argKind = iota
	argInt
	argNum
	argString
)

// builtin is one function templates may call: the single list of names,
// implementations and arities that templateFuncs and checkCalls follow
// (TestBuiltinsMatchFuncs ties arities to the Go signatures). The fast path
// (fasttmpl.go) keeps its own test of which calls it can render; arity is
// already checked when it runs.
type builtin struct {
	fn       any
	usage    string    // as docs/config.md writes it
	min, max int       // how many arguments it takes
	args     []argKind // literal kind of each argument, by position
}

var builtins = map[string]builtin{
	"randInt":   {randInt, "randInt A B", 2, 2, []argKind{argInt, argInt}},
	"randFloat": {randFloat, "randFloat A B [DECIMALS]", 2, 3, []argKind{argNum, argNum, argInt}},
	"uuid":      {uuidV4, "uuid", 0, 0, nil},
	"env":       {envFunc, "env NAME [DEFAULT]", 1, 2, []argKind{argString, argString}},
	"fake":      {fake, "fake KIND [ARGS]", 1, 3, []argKind{argString, argInt, argInt}},
	"pick":      {pick, "pick A B ...", 1, 64, nil},
	// seq is replaced per user (see vuser.tmplFor); this one only lets
	// parsing succeed.
	"seq":    {func() int64 { return 0 }, "seq", 0, 0, nil},
	"__json": {jsonValue, "", 1, 1, nil}, // internal: wraps a typed JSON value
}

// templateFuncs are the functions every template may call.
func templateFuncs() template.FuncMap {
	m := template.FuncMap{}
	for name, b := range builtins {
		m[name] = b.fn
	}
	return m
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
	// function "randint" not defined: name the one that is.
	if rest, ok := strings.CutPrefix(msg, `function "`); ok {
		if name, _, ok := strings.Cut(rest, `"`); ok {
			known := make([]string, 0, len(builtins))
			for k := range builtins {
				if !strings.HasPrefix(k, "__") {
					known = append(known, k)
				}
			}
			if best := config.SuggestName(name, known); best != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", best)
			}
		}
	}
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
	case *parse.ChainNode:
		walk(v.Node, f)
	case *parse.TemplateNode:
		walk(v.Pipe, f)
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

// checkCalls validates calls at load time: every built-in gets the number
// of arguments it takes and, where an argument is a literal, the right kind
// of literal; env names must be set, fake kinds must exist. A typo then fails
// `loadgate validate`, not the 10,000th request.
func checkCalls(t *template.Template) error {
	var err error
	fail := func(e error) {
		if err == nil {
			err = e
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		walk(tt.Tree.Root, func(n parse.Node) {
			pipe, ok := n.(*parse.PipeNode)
			if !ok || pipe == nil {
				return
			}
			for i, cmd := range pipe.Cmds {
				// A command after | gets the previous result as its last argument.
				if e := checkCall(cmd, i > 0); e != nil {
					fail(e)
				}
			}
		})
	}
	return err
}

// checkCall checks one command: the function it calls (if a built-in) and
// built-ins named as arguments, which text/template calls with no arguments.
func checkCall(cmd *parse.CommandNode, piped bool) error {
	for _, a := range cmd.Args[1:] {
		if id, ok := a.(*parse.IdentifierNode); ok {
			if b, ok := builtins[id.Ident]; ok && b.min > 0 {
				return arityError(id.Ident, b, 0)
			}
		}
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	b, ok := builtins[id.Ident]
	if !ok {
		return nil
	}
	args := cmd.Args[1:]
	n := len(args)
	if piped {
		n++
	}
	if n < b.min || n > b.max {
		return arityError(id.Ident, b, n)
	}
	for i, a := range args {
		if i < len(b.args) {
			if e := checkLiteral(id.Ident, i, b.args[i], a); e != nil {
				return e
			}
		}
	}
	num := func(i int) (float64, bool) {
		if i < len(args) {
			if x, ok := args[i].(*parse.NumberNode); ok && x.IsFloat {
				return x.Float64, true
			}
		}
		return 0, false
	}
	str := func(i int) (string, bool) {
		if i < len(args) {
			if x, ok := args[i].(*parse.StringNode); ok {
				return x.Text, true
			}
		}
		return "", false
	}
	switch id.Ident {
	case "randInt", "randFloat":
		lo, ok1 := num(0)
		hi, ok2 := num(1)
		if ok1 && ok2 && hi < lo {
			return fmt.Errorf("template: %s %s %s: the second must not be less than the first", id.Ident, args[0], args[1])
		}
	case "env":
		name, ok := str(0)
		if !ok {
			return nil
		}
		if v, set := os.LookupEnv(name); set {
			secret.AddSecret(v)
		} else if n < 2 {
			return fmt.Errorf("template: env %s: environment variable is not set (give a default: env `%s` `value`)", name, name)
		} else if def, ok := str(1); ok {
			secret.AddSecret(def)
		}
	case "fake":
		if kind, ok := str(0); ok {
			if n > 1 {
				if k, ok := fakeWithArgs[strings.ToLower(kind)]; !ok || k.n != n-1 {
					return fakeArgsError(kind, n-1)
				}
			} else if _, e := fakeFunc(kind); e != nil {
				return e
			}
		}
	}
	return nil
}

func arityError(name string, b builtin, got int) error {
	want := fmt.Sprintf("%d arguments", b.min)
	switch {
	case b.max == 0:
		want = "no arguments"
	case b.min == 1 && b.max == 1:
		want = "1 argument"
	case b.max >= 64:
		want = fmt.Sprintf("at least %d argument", b.min)
	case b.max == b.min+1:
		want = fmt.Sprintf("%d or %d arguments", b.min, b.max)
	case b.max > b.min:
		want = fmt.Sprintf("%d to %d arguments", b.min, b.max)
	}
	if b.usage != "" {
		want += " (" + b.usage + ")"
	}
	return fmt.Errorf("template: %s takes %s, got %d", name, want, got)
}

// checkLiteral checks argument i of fn when it is written as a literal;
// variables, fields and calls are only known when the request is made.
func checkLiteral(fn string, i int, want argKind, a parse.Node) error {
	var got string
	switch x := a.(type) {
	case *parse.NumberNode:
		switch {
		case want == argString:
			got = "the number " + x.Text
		case want == argInt && !x.IsInt:
			got = x.Text
		case want == argNum && !x.IsFloat:
			got = x.Text // a complex number
		}
	case *parse.StringNode:
		if want != argString && want != argAny {
			got = "the string " + x.Quoted
		}
	case *parse.BoolNode:
		if want != argAny {
			got = a.String()
		}
	case *parse.NilNode:
		if want != argAny {
			got = "nil"
		}
	}
	if got == "" {
		return nil
	}
	return fmt.Errorf("template: %s: argument %d must be %s, got %s", fn, i+1, map[argKind]string{argInt: "a whole number", argNum: "a number", argString: "a string"}[want], got)
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
	secret.AddSecret(v)
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
	return nil, fmt.Errorf("template: fake %q is not a known kind (known: %s, or any gofakeit function)", kind, strings.Join(secret.SortedStrings(names), " "))
}

// fakeWithArgs are the kinds that take arguments, as gofakeit's functions
// do: a password's length, a number's range, a sentence's words.
var fakeWithArgs = map[string]struct {
	usage string
	n     int
	fn    func(a []int) string
}{
	"password": {"fake password LENGTH", 1, func(a []int) string { return gofakeit.Password(true, true, true, false, false, a[0]) }},
	"int":      {"fake int MIN MAX", 2, func(a []int) string { return strconv.Itoa(gofakeit.Number(a[0], a[1])) }},
	"number":   {"fake number MIN MAX", 2, func(a []int) string { return strconv.Itoa(gofakeit.Number(a[0], a[1])) }},
	"sentence": {"fake sentence WORDS", 1, func(a []int) string { return gofakeit.Sentence(a[0]) }},
	"word":     {"fake word (no arguments)", 0, nil},
}

func fake(kind string, args ...int) (string, error) {
	if len(args) > 0 {
		k, ok := fakeWithArgs[strings.ToLower(kind)]
		if !ok || k.n != len(args) {
			return "", fakeArgsError(kind, len(args))
		}
		return k.fn(args), nil
	}
	f, err := fakeFunc(kind)
	if err != nil {
		return "", err
	}
	return f(), nil
}

func fakeArgsError(kind string, n int) error {
	var forms []string
	for _, k := range fakeWithArgs {
		if k.n > 0 {
			forms = append(forms, k.usage)
		}
	}
	sort.Strings(forms)
	return fmt.Errorf("template: fake %s does not take %d arguments (these kinds do: %s)", kind, n, strings.Join(forms, ", "))
}

// pick returns one of its arguments at random: a choice from a short list
// without a CSV feed (pick "red" "green" "blue").
func pick(first any, rest ...any) any {
	if i := rand.IntN(len(rest) + 1); i > 0 {
		return rest[i-1]
	}
	return first
}
