package stix

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/oversight-dev/oversight"
)

// ParsePattern parses a STIX 2.1 pattern (STIX 2.1 section 9) and returns
// the observables it compares with equality to a string whose object path
// names infrastructure: domain-name:value, ipv4-addr:value,
// ipv6-addr:value, url:value (its host), x509-certificate:hashes.SHA-256,
// and app:id and app:cert.sha256 (the custom object Amnesty's Security
// Lab uses for Android packages). The whole grammar is checked: a pattern
// that is not STIX is an error that says where; comparisons of other paths,
// other operators or negated ones are accepted and yield nothing.
func ParsePattern(pattern string) ([]oversight.Observable, error) {
	p := &parser{s: pattern}
	p.next()
	if err := p.pattern(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("unexpected %s after the pattern", p.tok)
	}
	return p.obs, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokWord   // keyword, object type or path component
	tokString // '…', value holds the unescaped text
	tokNumber
	tokTyped // t'…', h'…', b'…'
	tokOp
	tokErr
)

type token struct {
	kind tokKind
	text string // punctuation, word, operator, or the unescaped string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of pattern"
	case tokString:
		return fmt.Sprintf("string '%s'", clip(t.text))
	default:
		return fmt.Sprintf("%q", clip(t.text))
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}

type parser struct {
	s     string
	i     int
	tok   token
	obs   []oversight.Observable
	depth int
}

// maxDepth bounds the nesting of parentheses and brackets, so that a
// hostile pattern cannot exhaust the stack.
const maxDepth = 64

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.tok.pos, fmt.Sprintf(format, args...))
}

// next reads the next token into p.tok.
func (p *parser) next() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
	start := p.i
	if p.i >= len(p.s) {
		p.tok = token{kind: tokEOF, pos: start}
		return
	}
	c := p.s[p.i]
	switch {
	case strings.IndexByte("[]():,.*", c) >= 0:
		p.i++
		p.tok = token{kind: tokPunct, text: string(c), pos: start}
	case c == '=':
		p.i++
		p.tok = token{kind: tokOp, text: "=", pos: start}
	case c == '!' || c == '<' || c == '>':
		p.i++
		op := string(c)
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			op += "="
		}
		if op == "!" {
			p.tok = token{kind: tokErr, text: "!", pos: start}
			return
		}
		p.tok = token{kind: tokOp, text: op, pos: start}
	case c == '\'':
		s, ok := p.quoted()
		if !ok {
			p.tok = token{kind: tokErr, text: "unterminated string", pos: start}
			return
		}
		p.tok = token{kind: tokString, text: s, pos: start}
	case (c == 't' || c == 'h' || c == 'b') && p.i+1 < len(p.s) && p.s[p.i+1] == '\'':
		p.i++
		s, ok := p.quoted()
		if !ok {
			p.tok = token{kind: tokErr, text: "unterminated string", pos: start}
			return
		}
		p.tok = token{kind: tokTyped, text: string(c) + s, pos: start}
	case c == '-' || c >= '0' && c <= '9':
		p.i++
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
		}
		p.tok = token{kind: tokNumber, text: p.s[start:p.i], pos: start}
	case isWordByte(c):
		for p.i < len(p.s) && isWordByte(p.s[p.i]) {
			p.i++
		}
		p.tok = token{kind: tokWord, text: p.s[start:p.i], pos: start}
	default:
		p.tok = token{kind: tokErr, text: string(c), pos: start}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// quoted reads a string literal at p.i, whose only escapes are \' and \\.
func (p *parser) quoted() (string, bool) {
	p.i++ // the opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\'' || p.s[p.i+1] == '\\'):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == '\\':
			return "", false
		case c == '\'':
			p.i++
			return b.String(), true
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func (p *parser) isWord(w string) bool { return p.tok.kind == tokWord && p.tok.text == w }

func (p *parser) expect(kind tokKind, text, what string) error {
	if p.tok.kind != kind || p.tok.text != text {
		return p.errorf("expected %s, found %s", what, p.tok)
	}
	p.next()
	return nil
}

// pattern := observation (("AND" | "OR" | "FOLLOWEDBY") observation)*
func (p *parser) pattern() error {
	for {
		if err := p.observation(); err != nil {
			return err
		}
		if !p.isWord("AND") && !p.isWord("OR") && !p.isWord("FOLLOWEDBY") {
			return nil
		}
		p.next()
	}
}

// observation := ("[" comparisons "]" | "(" pattern ")") qualifier*
func (p *parser) observation() error {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return p.errorf("nested more than %d deep", maxDepth)
	}
	switch {
	case p.tok.kind == tokPunct && p.tok.text == "[":
		p.next()
		if err := p.comparisons(); err != nil {
			return err
		}
		if err := p.expect(tokPunct, "]", "] closing the observation"); err != nil {
			return err
		}
	case p.tok.kind == tokPunct && p.tok.text == "(":
		p.next()
		if err := p.pattern(); err != nil {
			return err
		}
		if err := p.expect(tokPunct, ")", ") closing the group"); err != nil {
			return err
		}
	default:
		return p.errorf("expected [ or ( to start an observation, found %s", p.tok)
	}
	return p.qualifiers()
}

// qualifier := "WITHIN" number "SECONDS" | "REPEATS" int "TIMES" |
// "START" t'…' "STOP" t'…'
func (p *parser) qualifiers() error {
	for {
		switch {
		case p.isWord("WITHIN"):
			p.next()
			if err := p.number(); err != nil {
				return err
			}
			if err := p.expect(tokWord, "SECONDS", "SECONDS"); err != nil {
				return err
			}
		case p.isWord("REPEATS"):
			p.next()
			if err := p.number(); err != nil {
				return err
			}
			if err := p.expect(tokWord, "TIMES", "TIMES"); err != nil {
				return err
			}
		case p.isWord("START"):
			p.next()
			if err := p.timestamp(); err != nil {
				return err
			}
			if err := p.expect(tokWord, "STOP", "STOP"); err != nil {
				return err
			}
			if err := p.timestamp(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (p *parser) number() error {
	if p.tok.kind != tokNumber {
		return p.errorf("expected a number, found %s", p.tok)
	}
	p.next()
	return nil
}

func (p *parser) timestamp() error {
	if p.tok.kind != tokTyped || p.tok.text[0] != 't' {
		return p.errorf("expected a timestamp t'…', found %s", p.tok)
	}
	p.next()
	return nil
}

// comparisons := comparison (("AND" | "OR") comparison)*
func (p *parser) comparisons() error {
	for {
		if err := p.comparison(); err != nil {
			return err
		}
		if !p.isWord("AND") && !p.isWord("OR") {
			return nil
		}
		p.next()
	}
}

// comparison := "(" comparisons ")" | path ["NOT"] operator value
func (p *parser) comparison() error {
	if p.tok.kind == tokPunct && p.tok.text == "(" {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return p.errorf("nested more than %d deep", maxDepth)
		}
		p.next()
		if err := p.comparisons(); err != nil {
			return err
		}
		return p.expect(tokPunct, ")", ") closing the comparison")
	}
	objType, path, err := p.path()
	if err != nil {
		return err
	}
	negated := false
	if p.isWord("NOT") {
		negated = true
		p.next()
	}
	op := p.tok.text
	switch {
	case p.tok.kind == tokOp:
	case p.tok.kind == tokWord && (op == "IN" || op == "LIKE" || op == "MATCHES" || op == "ISSUBSET" || op == "ISSUPERSET"):
	default:
		return p.errorf("expected a comparison operator after %s:%s, found %s", objType, path, p.tok)
	}
	p.next()
	if op == "IN" {
		return p.set()
	}
	v := p.tok
	switch v.kind {
	case tokString, tokNumber, tokTyped:
	case tokWord:
		if v.text != "true" && v.text != "false" {
			return p.errorf("expected a value, found %s", v)
		}
	default:
		return p.errorf("expected a value, found %s", v)
	}
	p.next()
	if op == "=" && !negated && v.kind == tokString {
		if o, ok := observable(objType, path, v.text); ok {
			p.obs = append(p.obs, o)
		}
	}
	return nil
}

// set := "(" value ("," value)* ")"
func (p *parser) set() error {
	if err := p.expect(tokPunct, "(", "( opening the set of IN"); err != nil {
		return err
	}
	for {
		switch p.tok.kind {
		case tokString, tokNumber, tokTyped:
			p.next()
		default:
			return p.errorf("expected a value in the set, found %s", p.tok)
		}
		if p.tok.kind == tokPunct && p.tok.text == "," {
			p.next()
			continue
		}
		return p.expect(tokPunct, ")", ") closing the set")
	}
}

// path := objtype ":" component ("." component | "[" (int | "*") "]")*,
// a component being a word or a quoted string. It returns the object type
// and the property path with quoted components unquoted.
func (p *parser) path() (objType, path string, err error) {
	if p.tok.kind != tokWord {
		return "", "", p.errorf("expected an object path such as domain-name:value, found %s", p.tok)
	}
	objType = p.tok.text
	p.next()
	if err := p.expect(tokPunct, ":", ": after the object type "+objType); err != nil {
		return "", "", err
	}
	var b strings.Builder
	component := func() error {
		if p.tok.kind != tokWord && p.tok.kind != tokString {
			return p.errorf("expected a property name, found %s", p.tok)
		}
		b.WriteString(p.tok.text)
		p.next()
		return nil
	}
	if err := component(); err != nil {
		return "", "", err
	}
	for {
		switch {
		case p.tok.kind == tokPunct && p.tok.text == ".":
			p.next()
			b.WriteByte('.')
			if err := component(); err != nil {
				return "", "", err
			}
		case p.tok.kind == tokPunct && p.tok.text == "[":
			p.next()
			if p.tok.kind != tokNumber && !(p.tok.kind == tokPunct && p.tok.text == "*") {
				return "", "", p.errorf("expected an index or * in the path, found %s", p.tok)
			}
			b.WriteString("[" + p.tok.text + "]")
			p.next()
			if err := p.expect(tokPunct, "]", "] closing the index"); err != nil {
				return "", "", err
			}
		default:
			return objType, b.String(), nil
		}
	}
}

// observable maps an equality on an object path to the infrastructure it
// names, in canonical form.
func observable(objType, path, v string) (oversight.Observable, bool) {
	o := oversight.Observable{Path: objType + ":" + path}
	var ok bool
	switch objType + ":" + strings.ToLower(path) {
	case "domain-name:value":
		// Reports put addresses in domain-name objects too.
		if o.Value, ok = oversight.NormalizePrefix(v); ok {
			o.Kind = oversight.ObservableIP
		} else if o.Value, ok = oversight.NormalizeDomain(v); ok {
			o.Kind = oversight.ObservableDomain
		}
	case "ipv4-addr:value", "ipv6-addr:value":
		o.Kind = oversight.ObservableIP
		o.Value, ok = oversight.NormalizePrefix(v)
	case "url:value":
		u, err := url.Parse(strings.TrimSpace(v))
		if err != nil || u.Hostname() == "" {
			return o, false
		}
		if o.Value, ok = oversight.NormalizePrefix(u.Hostname()); ok {
			o.Kind = oversight.ObservableIP
		} else if o.Value, ok = oversight.NormalizeDomain(u.Hostname()); ok {
			o.Kind = oversight.ObservableDomain
		}
	case "x509-certificate:hashes.sha-256", "x509-certificate:hashes.sha256", "app:cert.sha256":
		o.Kind = oversight.ObservableCert
		o.Value, ok = oversight.NormalizeIDHash(v)
	case "app:id":
		o.Kind = oversight.ObservableApp
		o.Value, ok = oversight.NormalizeAppID(v)
	}
	return o, ok
}
