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
	// Templates are added to the built-in ones; one with the id of a
	// built-in template replaces it.
	Templates []*oversight.DeclarationTemplate
}

// Engine holds the declaration templates and caches the policy of each
// licence, compiled once per licence id and policy version. It is safe for
// concurrent use.
type Engine struct {
	lifetime time.Duration

	mu        sync.RWMutex
	templates map[string]*oversight.DeclarationTemplate

	// cache maps a licence id to its latest compiled *Policy.
	cache sync.Map
}

// NewEngine returns an engine holding the built-in templates
// (oversight.BuiltinTemplates) and those of opts.
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
	for _, t := range oversight.BuiltinTemplates() {
		e.templates[t.ID] = t
	}
	for _, t := range opts.Templates {
		if err := e.AddTemplate(t); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// AddTemplate validates t and adds it, replacing a template of the same id.
// Replacing a template drops every cached policy compiled from it. The
// engine keeps t: the caller must not change it afterwards.
func (e *Engine) AddTemplate(t *oversight.DeclarationTemplate) error {
	if err := t.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	_, replaced := e.templates[t.ID]
	e.templates[t.ID] = t
	e.mu.Unlock()
	if replaced {
		e.cache.Range(func(k, v any) bool {
			if v.(*Policy).tmpl.ID == t.ID {
				e.cache.CompareAndDelete(k, v)
			}
			return true
		})
	}
	return nil
}

// Template returns the template with the given id.
func (e *Engine) Template(id string) (*oversight.DeclarationTemplate, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ok := e.templates[id]
	return t, ok
}

// Templates returns the engine's templates, sorted by id.
func (e *Engine) Templates() []*oversight.DeclarationTemplate {
	e.mu.RLock()
	out := make([]*oversight.DeclarationTemplate, 0, len(e.templates))
	for _, t := range e.templates {
		out = append(out, t)
	}
	e.mu.RUnlock()
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

// Evaluate decides r for licence l with the cached policy: Policy, then
// Policy.Evaluate.
func (e *Engine) Evaluate(l *License, r *oversight.OperationRequest, f Facts) (oversight.Decision, error) {
	p, err := e.Policy(l)
	if err != nil {
		return oversight.Decision{}, err
	}
	return p.Evaluate(r, f)
}

// compiledFrom reports whether p is the policy of l's current version.
func (p *Policy) compiledFrom(l *License) bool {
	return p.version == l.PolicyVersion && p.status == l.Status &&
		p.nrestrict == len(l.Restrictions) && p.tmpl.ID == l.Template
}
