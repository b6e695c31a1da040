package policy

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/oversight-dev/oversight"
)

// Options configure an Engine.
type Options struct {
	// PermitLifetime is how long a permit stays valid; DefaultPermitLifetime
	// when zero.
	PermitLifetime time.Duration
	// Templates are added to the built-in ones. Each must be valid, and
	// no two may share an id: a template is never replaced, since
	// declarations already signed name it by id and version.
	Templates []*oversight.DeclarationTemplate
}

// Engine holds the declaration templates, the program's one registry of
// them, and caches the policy of each licence, compiled once per licence
// id and policy version. It is safe for concurrent use.
type Engine struct {
	lifetime time.Duration

	// templates is fixed when the engine is made.
	templates map[string]*oversight.DeclarationTemplate

	// cache maps a licence id to its latest compiled *Policy.
	cache sync.Map
}

// NewEngine returns an engine holding the built-in templates
// (oversight.BuiltinTemplates) and those of opts. It refuses a negative
// permit lifetime, an invalid template, and a template whose id another
// already has.
func NewEngine(opts Options) (*Engine, error) {
	if opts.PermitLifetime < 0 {
		return nil, fmt.Errorf("policy engine: negative permit lifetime %v", opts.PermitLifetime)
	}
	e := &Engine{
		lifetime:  opts.PermitLifetime,
		templates: make(map[string]*oversight.DeclarationTemplate),
	}
	if e.lifetime == 0 {
		e.lifetime = DefaultPermitLifetime
	}
	for _, t := range append(oversight.BuiltinTemplates(), opts.Templates...) {
		if err := t.Validate(); err != nil {
			return nil, err
		}
		if _, dup := e.templates[t.ID]; dup {
			return nil, fmt.Errorf("declaration template %s defined twice", t.ID)
		}
		e.templates[t.ID] = t
	}
	return e, nil
}

// Template returns the template with the given id.
func (e *Engine) Template(id string) (*oversight.DeclarationTemplate, bool) {
	t, ok := e.templates[id]
	return t, ok
}

// Templates returns the engine's templates, sorted by id.
func (e *Engine) Templates() []*oversight.DeclarationTemplate {
	out := make([]*oversight.DeclarationTemplate, 0, len(e.templates))
	for _, t := range e.templates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Compile compiles l against its template without looking at or filling
// the cache. A template the engine does not hold is an ENOTFOUND
// *oversight.Error naming the field "template".
func (e *Engine) Compile(l *License) (*Policy, error) {
	t, ok := e.Template(l.Template)
	if !ok {
		return nil, &oversight.Error{
			Code:    oversight.ENOTFOUND,
			Message: fmt.Sprintf("unknown declaration template %q", l.Template),
			Fields:  []oversight.FieldError{{Field: "template", Message: fmt.Sprintf("no declaration template %q", l.Template)}},
		}
	}
	return Compile(t, l, e.lifetime)
}

// Policy returns the compiled policy of l from the cache, compiling and
// caching it when the cache holds none for l's id and policy version. A
// licence without an id is compiled every time.
//
// The cache keeps one policy per licence, the one of the highest version
// seen. As a guard against a change that forgot to bump PolicyVersion, a
// cached policy whose status or number of restrictions differs from l's is
// compiled again.
func (e *Engine) Policy(l *License) (*Policy, error) {
	if l.ID == "" {
		return e.Compile(l)
	}
	if v, ok := e.cache.Load(l.ID); ok {
		if p := v.(*Policy); p.compiledFrom(l) {
			return p, nil
		}
	}
	p, err := e.Compile(l)
	if err != nil {
		return nil, err
	}
	for {
		v, loaded := e.cache.LoadOrStore(l.ID, p)
		if !loaded {
			break
		}
		if old := v.(*Policy); old.version > p.version || e.cache.CompareAndSwap(l.ID, old, p) {
			break
		}
	}
	return p, nil
}

// Forget drops the cached policy of a licence.
func (e *Engine) Forget(licenseID string) { e.cache.Delete(licenseID) }

// Evaluate decides r for licence l with the cached policy. r must be
// valid (OperationRequest.Validate): the engine's caller, the service,
// validates each request once, and Evaluate does not again; use
// Policy.Evaluate for a request not yet checked.
func (e *Engine) Evaluate(l *License, r *oversight.OperationRequest, f Facts) (oversight.Decision, error) {
	p, err := e.Policy(l)
	if err != nil {
		return oversight.Decision{}, err
	}
	return p.evaluate(r, f), nil
}

// compiledFrom reports whether p is the policy of l's current version.
func (p *Policy) compiledFrom(l *License) bool {
	return p.version == l.PolicyVersion && p.status == l.Status &&
		p.nrestrict == len(l.Restrictions) && p.tmpl.ID == l.Template
}
