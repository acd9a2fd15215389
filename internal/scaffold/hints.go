package scaffold

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kind is one sort of string value: its template, the lengths it comes
// in (so a maxLength it would break rules it out), and whether it can
// stand in a path segment without escaping.
type kind struct {
	tmpl     string
	min, max int
	pathSafe bool
}

// A string value that is one action keeps its JSON type, so numbers for a
// string field come from `fake "int"` (a string), never from randInt.
var kinds = map[string]kind{
	"email":      {"{{ fake `email` }}", 8, 40, true},
	"username":   {"{{ fake `username` }}", 3, 30, true},
	"first_name": {"{{ fake `first_name` }}", 2, 15, false},
	"last_name":  {"{{ fake `last_name` }}", 2, 20, false},
	"name":       {"{{ fake `name` }}", 5, 40, false},
	"password":   {"{{ fake `password` }}", 12, 12, true},
	"phone":      {"{{ fake `phone` }}", 10, 10, true},
	"street":     {"{{ fake `street` }}", 8, 40, false},
	"city":       {"{{ fake `city` }}", 3, 30, false},
	"country":    {"{{ fake `country` }}", 4, 45, false},
	"zip":        {"{{ fake `zip` }}", 5, 5, true},
	"company":    {"{{ fake `company` }}", 3, 40, false},
	"url":        {"{{ fake `url` }}", 15, 90, false},
	"hostname":   {"{{ fake `domainname` }}", 6, 40, true},
	"uuid":       {"{{ uuid }}", 36, 36, true},
	"sentence":   {"{{ fake `sentence` 8 }}", 20, 100, false},
	"title":      {"{{ fake `sentence` 3 }}", 8, 40, false},
	"word":       {"{{ fake `word` }}", 1, 15, true},
	"color":      {"{{ fake `color` }}", 3, 20, true},
	"ipv4":       {"{{ fake `ipv4` }}", 7, 15, true},
	"ipv6":       {"{{ fake `ipv6address` }}", 15, 39, false},
	"product":    {"{{ fake `product` }}", 4, 40, false},
	"date":       {"{{ randInt 2000 2029 }}-0{{ randInt 1 9 }}-{{ randInt 10 28 }}", 10, 10, true},
	"date-time":  {"{{ fake `date` }}", 20, 20, false},
	"time":       {"{{ randInt 10 23 }}:{{ randInt 10 59 }}:{{ randInt 10 59 }}", 8, 8, false},
	"digits":     {"{{ fake `int` 1 100 }}", 1, 3, true},
	"byte":       {"bG9hZGdhdGU=", 12, 12, false}, // base64 of "loadgate"
	"lang":       {"en", 2, 2, true},
	"currency":   {"USD", 3, 3, true},
}

// formats maps an OpenAPI string format to a kind.
var formats = map[string]string{
	"uuid": "uuid", "date": "date", "date-time": "date-time", "time": "time",
	"email": "email", "idn-email": "email", "uri": "url", "url": "url", "iri": "url",
	"hostname": "hostname", "idn-hostname": "hostname", "ipv4": "ipv4", "ipv6": "ipv6",
	"password": "password", "byte": "byte", "int32": "digits", "int64": "digits",
	"phone": "phone", "uri-reference": "url",
}

// names maps a field name, lower case without _ and -, to a kind.
var names = map[string]string{
	"email": "email", "mail": "email", "emailaddress": "email",
	"username": "username", "login": "username", "user": "username", "nickname": "username",
	"handle": "username", "screenname": "username",
	"firstname": "first_name", "givenname": "first_name", "forename": "first_name",
	"lastname": "last_name", "surname": "last_name", "familyname": "last_name",
	"name": "name", "fullname": "name", "displayname": "name", "contactname": "name",
	"password": "password", "passwd": "password", "pass": "password",
	"phone": "phone", "phonenumber": "phone", "mobile": "phone", "tel": "phone", "telephone": "phone",
	"street": "street", "address": "street", "address1": "street", "addressline1": "street",
	"streetaddress": "street", "city": "city", "town": "city", "country": "country",
	"zip": "zip", "zipcode": "zip", "postcode": "zip", "postalcode": "zip",
	"company": "company", "organization": "company", "organisation": "company", "employer": "company",
	"url": "url", "website": "url", "homepage": "url", "link": "url", "href": "url", "uri": "url",
	"host": "hostname", "hostname": "hostname", "domain": "hostname",
	"uuid": "uuid", "guid": "uuid", "id": "uuid",
	"description": "sentence", "comment": "sentence", "text": "sentence", "body": "sentence",
	"message": "sentence", "content": "sentence", "summary": "sentence", "note": "sentence",
	"notes": "sentence", "bio": "sentence", "about": "sentence", "title": "title", "subject": "title",
	"word": "word", "tag": "word", "label": "word", "category": "word", "keyword": "word",
	"color": "color", "colour": "color", "ip": "ipv4", "ipaddress": "ipv4",
	"product": "product", "productname": "product",
	"lang": "lang", "language": "lang", "locale": "lang", "currency": "currency",
	"date": "date", "birthday": "date", "birthdate": "date", "dob": "date",
	"timestamp": "date-time", "datetime": "date-time",
}

// nameKind is the kind a field's name suggests: the whole name, or its
// last word (billing_email, createdAt, user_id).
func nameKind(name string) string {
	n := strings.NewReplacer("_", "", "-", "", " ", "", ".", "").Replace(strings.ToLower(name))
	if k, ok := names[n]; ok {
		return k
	}
	switch {
	case strings.HasSuffix(n, "email"):
		return "email"
	case strings.HasSuffix(n, "url"):
		return "url"
	case strings.HasSuffix(n, "phone"):
		return "phone"
	case strings.HasSuffix(n, "uuid"):
		return "uuid"
	case strings.HasSuffix(name, "At") || strings.HasSuffix(n, "time"):
		return "date-time"
	case strings.HasSuffix(n, "date"):
		return "date"
	}
	return ""
}

// stringValue: the schema's format, then what the name suggests, then
// its example, then a word, each only if it fits the length bounds.
func stringValue(s *openapi3.Schema, name string, at place) Value {
	minL, maxL := int(min(s.MinLength, 1<<16)), -1
	if s.MaxLength != nil {
		maxL = int(min(*s.MaxLength, 1<<16))
	}
	use := func(k string) (Value, bool) {
		kd, ok := kinds[k]
		if !ok || (at == inPath && !kd.pathSafe) {
			return nil, false
		}
		if k == "password" && (minL > 12 || (maxL >= 0 && maxL < 12)) {
			n := max(minL, 12)
			if maxL >= 0 {
				n = min(n, maxL)
			}
			if n >= minL && n >= 1 {
				return Tmpl(fmt.Sprintf("{{ fake `password` %d }}", n)), true
			}
		}
		if kd.min < minL || (maxL >= 0 && kd.max > maxL) {
			return nil, false
		}
		if !strings.Contains(kd.tmpl, "{{") {
			return Lit(kd.tmpl), true
		}
		return Tmpl(kd.tmpl), true
	}
	if s.Format == "binary" {
		return Lit("")
	}
	if s.Pattern == "" {
		if v, ok := use(formats[s.Format]); ok {
			return v
		}
		if v, ok := use(nameKind(name)); ok {
			return v
		}
	}
	for _, ex := range append([]any{s.Example, s.Default}, s.Examples...) {
		if ex, ok := ex.(string); ok && len(ex) >= minL && (maxL < 0 || len(ex) <= maxL) && (ex != "" || s.Pattern != "") {
			if at == inPath {
				ex = url.PathEscape(ex)
			}
			return Lit(ex)
		}
	}
	if v, ok := use("word"); ok && minL <= 3 {
		return v
	}
	return sized(minL, maxL)
}

// sized is a string of a length the bounds allow (10 when they allow it),
// its last digits random: "xxxx{{ fake `int` 100000 999999 }}".
func sized(minL, maxL int) Value {
	n := max(10, minL)
	if maxL >= 0 {
		n = min(n, maxL)
	}
	if n <= 0 {
		return Lit("")
	}
	digits := min(n, 6)
	lo := 1
	for range digits - 1 {
		lo *= 10
	}
	return Tmpl(strings.Repeat("x", n-digits) + fmt.Sprintf("{{ fake `int` %d %d }}", lo, lo*10-1))
}
