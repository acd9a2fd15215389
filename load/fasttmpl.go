package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"text/template"
	"text/template/parse"
)

// A template made only of text and the common actions — randInt and
// randFloat with literal bounds, uuid, seq, fake KIND, and variables such as
// .token or .accounts.username — is rendered by appending parts, without
// text/template's reflection. Anything else goes through text/template,
// which gives the same output, only slower. TestFastTemplatesMatch proves
// the two agree.
type part struct {
	kind   partKind
	lit    string
	ia, ib int
	fa, fb float64
	dec    int
	fake   func() string
	fields []string
}

type partKind uint8

const (
	pLit partKind = iota
	pRandInt
	pRandFloat
	pUUID
	pSeq
	pFake
	pField
)

// fastParts returns the parts of a parsed template, or nil when some node
// needs text/template.
func fastParts(t *template.Template) []part {
	var parts []part
	for _, n := range t.Tree.Root.Nodes {
		switch v := n.(type) {
		case *parse.TextNode:
			parts = append(parts, part{kind: pLit, lit: string(v.Text)})
		case *parse.ActionNode:
			if len(v.Pipe.Decl) > 0 || len(v.Pipe.Cmds) != 1 {
				return nil
			}
			p, ok := fastCommand(v.Pipe.Cmds[0].Args)
			if !ok {
				return nil
			}
			parts = append(parts, p)
		default:
			return nil
		}
	}
	return parts
}

func fastCommand(args []parse.Node) (part, bool) {
	if f, ok := args[0].(*parse.FieldNode); ok && len(args) == 1 {
		return part{kind: pField, fields: f.Ident}, true
	}
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return part{}, false
	}
	nums := func(want ...bool) ([]*parse.NumberNode, bool) { // want[i]: must be an integer
		if len(args)-1 != len(want) {
			return nil, false
		}
		out := make([]*parse.NumberNode, len(want))
		for i := range want {
			n, ok := args[i+1].(*parse.NumberNode)
			if !ok || (want[i] && !n.IsInt) || (!want[i] && !n.IsFloat) {
				return nil, false
			}
			out[i] = n
		}
		return out, true
	}
	switch id.Ident {
	case "randInt":
		if n, ok := nums(true, true); ok && n[1].Int64 >= n[0].Int64 && n[1].Int64-n[0].Int64 < math.MaxInt32 {
			return part{kind: pRandInt, ia: int(n[0].Int64), ib: int(n[1].Int64)}, true
		}
	case "randFloat":
		if n, ok := nums(false, false); ok && n[1].Float64 >= n[0].Float64 {
			return part{kind: pRandFloat, fa: n[0].Float64, fb: n[1].Float64, dec: -1}, true
		}
		if n, ok := nums(false, false, true); ok && n[1].Float64 >= n[0].Float64 && n[2].Int64 >= 0 && n[2].Int64 <= 15 {
			return part{kind: pRandFloat, fa: n[0].Float64, fb: n[1].Float64, dec: int(n[2].Int64)}, true
		}
	case "uuid":
		return part{kind: pUUID}, len(args) == 1
	case "seq":
		return part{kind: pSeq}, len(args) == 1
	case "fake":
		if len(args) != 2 {
			return part{}, false
		}
		if s, ok := args[1].(*parse.StringNode); ok {
			if f, err := fakeFunc(s.Text); err == nil {
				return part{kind: pFake, fake: f}, true
			}
		}
	}
	return part{}, false
}

// appendParts renders the parts for a user; typed renders the (single)
// value as JSON, as the __json wrapper does for text/template.
func appendParts(b *bytes.Buffer, parts []part, u *vuser, typed bool) error {
	for i := range parts {
		p := &parts[i]
		switch p.kind {
		case pLit:
			b.WriteString(p.lit)
		case pRandInt:
			b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(p.ia+rand.IntN(p.ib-p.ia+1)), 10))
		case pRandFloat:
			f := p.fa + rand.Float64()*(p.fb-p.fa)
			if p.dec >= 0 {
				pow := math.Pow10(p.dec)
				f = math.Round(f*pow) / pow
			}
			writeFloat(b, f, typed)
		case pUUID:
			writeString(b, uuidV4(), typed)
		case pSeq:
			u.seq++
			b.Write(strconv.AppendInt(b.AvailableBuffer(), u.seq, 10))
		case pFake:
			writeString(b, p.fake(), typed)
		case pField:
			v, err := lookupField(u.data, p.fields)
			if err != nil {
				return err
			}
			if err := writeValue(b, v, typed); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFloat prints a float as text/template's fmt.Fprint does (%v), and
// as JSON when typed.
func writeFloat(b *bytes.Buffer, f float64, typed bool) {
	if typed {
		b.Write(appendJSONFloat(b.AvailableBuffer(), f))
		return
	}
	b.Write(strconv.AppendFloat(b.AvailableBuffer(), f, 'g', -1, 64))
}

func writeString(b *bytes.Buffer, s string, typed bool) {
	if typed {
		b.Write(appendJSONString(b.AvailableBuffer(), s))
		return
	}
	b.WriteString(s)
}

func writeValue(b *bytes.Buffer, v any, typed bool) error {
	if typed {
		switch x := v.(type) {
		case string:
			b.Write(appendJSONString(b.AvailableBuffer(), x))
			return nil
		case float64:
			b.Write(appendJSONFloat(b.AvailableBuffer(), x))
			return nil
		case json.Number:
			b.WriteString(string(x))
			return nil
		}
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(j)
		return nil
	}
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case json.Number:
		b.WriteString(string(x))
	default:
		fmt.Fprint(b, v)
	}
	return nil
}

// lookupField follows .a.b through the user's variables and feed rows,
// failing on a missing key as text/template's missingkey=error does.
func lookupField(data map[string]any, fields []string) (any, error) {
	var cur any = data
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("can't evaluate field %s in type %T", f, cur)
		}
		v, ok := m[f]
		if !ok {
			return nil, fmt.Errorf("map has no entry for key %q", f)
		}
		cur = v
	}
	return cur, nil
}
