package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/loadgate/loadgate/load/config"
)

// jnode is a compiled `json:` body: the YAML tree with every string
// compiled as a template. Constant subtrees are marshalled once.
type jnode struct {
	raw   []byte // constant JSON for this subtree
	str   *tmpl  // a string template
	keys  []string
	obj   []*jnode
	arr   []*jnode
	isArr bool
}

func compileJSON(v any, p config.Ypath, loc *config.Locator) (*jnode, error) {
	switch x := v.(type) {
	case string:
		t, err := compileTmpl(x, true)
		if err != nil {
			return nil, loc.ErrAt(p, "%v", err)
		}
		if t.isConst() {
			b, _ := json.Marshal(x)
			return &jnode{raw: b}, nil
		}
		return &jnode{str: t}, nil
	case map[string]any:
		n := &jnode{}
		for _, k := range config.SortedKeys(x) {
			c, err := compileJSON(x[k], p.With(k), loc)
			if err != nil {
				return nil, err
			}
			n.keys, n.obj = append(n.keys, k), append(n.obj, c)
		}
		return n.fold(), nil
	case []any:
		n := &jnode{isArr: true}
		for i, e := range x {
			c, err := compileJSON(e, p.With(i), loc)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, c)
		}
		return n.fold(), nil
	default:
		// goccy decodes integers as uint64/int64 and floats as float64; all
		// marshal to their natural JSON form.
		b, err := json.Marshal(x)
		if err != nil {
			return nil, loc.ErrAt(p, "cannot encode %v as JSON", x)
		}
		return &jnode{raw: b}, nil
	}
}

// fold turns a container whose children are all constant into one constant.
func (n *jnode) fold() *jnode {
	for _, c := range append(n.obj, n.arr...) {
		if c.raw == nil {
			return n
		}
	}
	var b bytes.Buffer
	if err := n.write(&b, nil, nil); err != nil {
		return n
	}
	return &jnode{raw: b.Bytes()}
}

// write renders the node; u is nil only for constant trees.
func (n *jnode) write(b *bytes.Buffer, u *vuser, scratch *bytes.Buffer) error {
	switch {
	case n.raw != nil:
		b.Write(n.raw)
	case n.str != nil:
		s, err := u.render(n.str, scratch)
		if err != nil {
			return err
		}
		if n.str.typed {
			b.WriteString(s)
		} else {
			b.Write(appendJSONString(b.AvailableBuffer(), s))
		}
	case n.isArr:
		b.WriteByte('[')
		for i, c := range n.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := c.write(b, u, scratch); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, c := range n.obj {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(appendJSONString(b.AvailableBuffer(), n.keys[i]))
			b.WriteByte(':')
			if err := c.write(b, u, scratch); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	return nil
}

// jsonEqual compares two JSON texts as values, so 50 equals 50.0.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
	}
	return fmt.Sprint(normalize(x)) == fmt.Sprint(normalize(y))
}

// normalize makes maps print in a stable order for comparison.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			out = append(out, k, normalize(x[k]))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}
