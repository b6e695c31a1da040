package policy

import (
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/oversight-dev/oversight"
)

// Reason codes of the licence's own rules (DECLARATION.md, "The rules").
// The codes of the declaration's clauses come from its template.
const (
	CodeStatus    = "SCOPE-STATUS"
	CodeValidity  = "SCOPE-VALIDITY"
	CodePurpose   = "SCOPE-PURPOSE"
	CodeCountry   = "SCOPE-COUNTRY"
	CodeProtected = "SCOPE-PROTECTED"
	CodeQuota     = "SCOPE-QUOTA"
	CodeOperation = "SCOPE-OPERATION"
	// CodeRestrictPrefix starts the code of a restriction, followed by the
	// id of the enforcement action that ordered it: RESTRICT-act_….
	CodeRestrictPrefix = "RESTRICT-"
)

// Policy is a licence compiled against its declaration template. It is
// immutable and safe for concurrent use.
type Policy struct {
	licenseID string
	version   int
	status    oversight.LicenseStatus
	nrestrict int
	tmpl      *oversight.DeclarationTemplate
	lifetime  time.Duration
	text      string

	rules []*rule
	byID  map[cedar.PolicyID]*rule
	all   iter.Seq2[cedar.PolicyID, *cedar.Policy] // what cedar.Authorize iterates

	principal types.EntityUID
	// end is the earliest end of validity among the scope and the
	// restrictions; no permit outlives it.
	end time.Time
	// quotas are the counts of unexpired permits at which a rule forbids
	// (the scope's, each restriction's): the only way the count enters a
	// decision (SameQuota).
	quotas []int
	// words interns the Cedar values of the words the template knows, so
	// that converting a request allocates only for words it does not.
	words map[string]types.Value

	// The template's permit clauses, for a deny where nothing permits.
	terrorism    oversight.TerrorismRule
	seriousCrime oversight.SeriousCrimeRule
	purpose      string
}

// SameQuota reports whether a decision of p taken with a unexpired permits
// of the licence is the decision, reasons included, with b: the count
// enters a decision only through the quota rules, and their reasons quote
// it, so it is when the counts are equal or neither reaches a quota. It is
// what a decision taken before the writer's transaction re-checks in it.
func (p *Policy) SameQuota(a, b int) bool {
	if a == b {
		return true
	}
	for _, q := range p.quotas {
		if a >= q || b >= q {
			return false
		}
	}
	return true
}

// rule is one Cedar policy with the code it is cited by and a function that
// explains, for a request it matched, why.
type rule struct {
	id      cedar.PolicyID
	code    string
	policy  *cedar.Policy
	explain func(in input) string
}

// LicenseID returns the id of the licence the policy was compiled from.
func (p *Policy) LicenseID() string { return p.licenseID }

// Version returns the licence's policy version the policy was compiled from.
func (p *Policy) Version() int { return p.version }

// Template returns the id of the declaration template.
func (p *Policy) Template() string { return p.tmpl.ID }

// Text returns the policy's Cedar source, one annotated policy per rule, for
// auditors and for the record.
func (p *Policy) Text() string { return p.text }

// Codes returns the reason codes of the policy's rules, in the order its
// reasons are cited.
func (p *Policy) Codes() []string {
	codes := make([]string, 0, len(p.rules))
	for _, r := range p.rules {
		if !slices.Contains(codes, r.code) {
			codes = append(codes, r.code)
		}
	}
	return codes
}

// Compile compiles a licence against its declaration template. Permits it
// grants expire after lifetime (DefaultPermitLifetime when zero or less).
// The licence and template must be valid: Compile returns their validation
// errors, as EINVALID *oversight.Error values naming the field.
func Compile(t *oversight.DeclarationTemplate, l *License, lifetime time.Duration) (*Policy, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	// The policy keeps parts of both; copies keep it immutable whatever
	// the caller does with its own later.
	t, err := cloneTemplate(t)
	if err != nil {
		return nil, fmt.Errorf("compile licence %s: %w", l.ID, err)
	}
	l = l.clone()
	if l.Template != t.ID {
		return nil, fmt.Errorf("compile licence %s: licence is under template %q, not %q", l.ID, l.Template, t.ID)
	}
	if lifetime <= 0 {
		lifetime = DefaultPermitLifetime
	}
	p := &Policy{
		licenseID:    l.ID,
		version:      l.PolicyVersion,
		status:       l.Status,
		nrestrict:    len(l.Restrictions),
		tmpl:         t,
		lifetime:     lifetime,
		principal:    types.NewEntityUID("License", types.String(orDefault(l.ID, "offline"))),
		end:          l.Scope.ValidUntil,
		terrorism:    t.Rules.Terrorism,
		seriousCrime: t.Rules.SeriousCrime,
		purpose:      t.Rules.Purpose.Clause,
	}
	p.quotas = append(p.quotas, l.Scope.MaxActiveOperations)
	for _, r := range l.Restrictions {
		if r.ValidUntil != nil && r.ValidUntil.Before(p.end) {
			p.end = *r.ValidUntil
		}
		if r.MaxActiveOperations != nil {
			p.quotas = append(p.quotas, *r.MaxActiveOperations)
		}
	}
	p.words = internWords(t)

	var b builder
	compileTemplate(&b, t)
	compileScope(&b, l)
	for i := range l.Restrictions {
		compileRestriction(&b, &l.Restrictions[i])
	}
	p.text = b.text.String()

	name := "policy of " + orDefault(l.ID, "licence") + " under " + t.ID
	list, err := cedar.NewPolicyListFromBytes(name, []byte(p.text))
	if err != nil {
		// The text is generated from validated values: a parse error is a
		// defect here, not bad input.
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	if len(list) != len(b.rules) {
		return nil, fmt.Errorf("compile %s: %d Cedar policies for %d rules", name, len(list), len(b.rules))
	}
	p.rules = b.rules
	p.byID = make(map[cedar.PolicyID]*rule, len(b.rules))
	seen := make(map[string]int)
	for i, r := range p.rules {
		if got := list[i].Annotations()["code"]; string(got) != r.code {
			return nil, fmt.Errorf("compile %s: policy %d is annotated %q, want %q", name, i, got, r.code)
		}
		r.policy = list[i]
		r.id = cedar.PolicyID(r.code)
		if n := seen[r.code]; n > 0 {
			// Two rules may enforce one clause (two forbidden purposes, say).
			r.id = cedar.PolicyID(r.code + "#" + strconv.Itoa(n+1))
		}
		seen[r.code]++
		p.byID[r.id] = r
	}
	rules := p.rules
	p.all = func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, r := range rules {
			if !yield(r.id, r.policy) {
				return
			}
		}
	}
	return p, nil
}

// cloneTemplate returns a deep copy of t.
func cloneTemplate(t *oversight.DeclarationTemplate) (*oversight.DeclarationTemplate, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var c oversight.DeclarationTemplate
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// policyList adapts a compiled policy to cedar.PolicyIterator, keeping the
// rules' order so that reasons come out in the order of the declaration.
type policyList struct{ p *Policy }

func (l policyList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] { return l.p.all }

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// builder accumulates the Cedar text and the rules it defines.
type builder struct {
	text  strings.Builder
	rules []*rule
}

// add appends one policy: a comment saying what it does, the code
// annotation, the effect and the conditions, which are Cedar text such as
// `when { context.flags.protected_target }`, or empty for an unconditional rule.
func (b *builder) add(code string, permit bool, comment, conditions string, explain func(input) string) {
	if b.text.Len() > 0 {
		b.text.WriteString("\n")
	}
	for line := range strings.SplitSeq(comment, "\n") {
		b.text.WriteString("// " + line + "\n")
	}
	fmt.Fprintf(&b.text, "@code(%s)\n", quote(code))
	if permit {
		b.text.WriteString("permit (principal, action, resource)")
	} else {
		b.text.WriteString("forbid (principal, action, resource)")
	}
	if conditions != "" {
		b.text.WriteString("\n" + conditions)
	}
	b.text.WriteString(";\n")
	b.rules = append(b.rules, &rule{code: code, explain: explain})
}

// compileTemplate adds the declaration's rules: the permits first, then the
// forbids in the order of the clauses they enforce.
func compileTemplate(b *builder, t *oversight.DeclarationTemplate) {
	r := &t.Rules
	tr, sc := r.Terrorism, r.SeriousCrime
	listed := slices.DeleteFunc(slices.Clone(tr.Acts), func(a string) bool { return slices.Contains(tr.ReviewActs, a) })
	cond := fmt.Sprintf("context.legal_basis.category == \"terrorism\" &&\n  %s.contains(context.legal_basis.act)", set(listed))
	if len(tr.ReviewActs) > 0 {
		cond = fmt.Sprintf("context.legal_basis.category == \"terrorism\" &&\n  (%s.contains(context.legal_basis.act) ||\n   (%s.contains(context.legal_basis.act) && context.flags.has_justification))",
			set(listed), set(tr.ReviewActs))
	}
	b.add(tr.Clause, true, clauseComment(t, tr.Clause, "permits a listed terrorist act; an act under review needs a justification"),
		"when {\n  "+cond+"\n}", func(in input) string {
			act := in.r.LegalBasis.Act
			if slices.Contains(tr.ReviewActs, act) {
				return "terrorist act: " + act + ", not among the listed acts; permitted on the justification given and flagged for review"
			}
			return "terrorist act: " + act
		})
	b.add(sc.Clause, true, clauseComment(t, sc.Clause, fmt.Sprintf("permits a crime punished by at least %d years of imprisonment", sc.MinSentenceYears)),
		fmt.Sprintf("when {\n  context.legal_basis.category == \"serious_crime\" &&\n  context.legal_basis.max_sentence_years >= %d\n}", sc.MinSentenceYears),
		func(in input) string { return "serious crime: " + years(in.years()) + " under national law" })

	type forbid struct {
		clause  string
		comment string
		cond    string
		explain func(input) string
	}
	var forbids []forbid
	forbids = append(forbids, forbid{r.Purpose.Clause, "forbids any other purpose, and a crime below the serious-crime threshold",
		fmt.Sprintf("when {\n  !%s.contains(context.legal_basis.category) ||\n  (context.legal_basis.category == \"serious_crime\" &&\n   context.legal_basis.max_sentence_years < %d)\n}",
			set([]string{string(oversight.CategoryTerrorism), string(oversight.CategorySeriousCrime)}), sc.MinSentenceYears),
		func(in input) string {
			if c := in.r.LegalBasis.Category; c != oversight.CategorySeriousCrime {
				return "outside the declared purpose: category " + string(c) + " is neither a terrorist act nor a serious crime"
			}
			return fmt.Sprintf("serious crime: %s under national law; the declaration requires at least %d", years(in.years()), sc.MinSentenceYears)
		}})
	if e := r.Expression; e != nil {
		forbids = append(forbids, forbid{e.Clause, "forbids use when all the conduct given is expression",
			fmt.Sprintf("when {\n  !context.conduct.isEmpty() &&\n  %s.containsAll(context.conduct)\n}", set(e.Conduct)),
			func(in input) string {
				return "expression is not a crime: all the conduct given (" + strings.Join(in.r.LegalBasis.Conduct, ", ") + ") is expression"
			}})
	}
	if n := r.NonDiscrimination; n != nil {
		forbids = append(forbids, forbid{n.Clause, "forbids use on a protected ground",
			fmt.Sprintf("when {\n  %s.containsAny(context.grounds)\n}", set(n.Grounds)),
			func(in input) string {
				var hit []string
				for _, g := range in.r.Grounds {
					if slices.Contains(n.Grounds, g) && !slices.Contains(hit, g) {
						hit = append(hit, g)
					}
				}
				return "protected grounds given (" + strings.Join(hit, ", ") + "): no one is targeted because of them"
			}})
	}
	for _, fp := range r.ForbiddenPurposes {
		var conds []string
		if len(fp.Categories) > 0 {
			cats := make([]string, len(fp.Categories))
			for i, c := range fp.Categories {
				cats[i] = string(c)
			}
			conds = append(conds, set(cats)+".contains(context.legal_basis.category)")
		}
		if len(fp.Acts) > 0 {
			conds = append(conds, "context.legal_basis.category == \"terrorism\" &&\n  "+set(fp.Acts)+".contains(context.legal_basis.act)")
		}
		if len(fp.Conduct) > 0 {
			conds = append(conds, set(fp.Conduct)+".containsAny(context.conduct)")
		}
		forbids = append(forbids, forbid{fp.Clause, "forbids a purpose the declaration excludes: " + fp.Description,
			"when {\n  " + strings.Join(conds, " &&\n  ") + "\n}",
			func(input) string { return "forbidden purpose: " + fp.Description }})
	}
	forbids = append(forbids, forbid{r.LegalApproval.Clause, "forbids use without legal approval",
		"unless {\n  context.flags.has_warrant\n}",
		func(input) string { return "no legal approval: warrant_ref is missing or blank" }})

	// Cite the clauses in the declaration's own order.
	pos := func(id string) int {
		return slices.IndexFunc(t.Clauses, func(c oversight.Clause) bool { return c.ID == id })
	}
	slices.SortStableFunc(forbids, func(a, b forbid) int { return pos(a.clause) - pos(b.clause) })
	for _, f := range forbids {
		b.add(f.clause, false, clauseComment(t, f.clause, f.comment), f.cond, f.explain)
	}
}

// compileScope adds the rules of the licence's scope and status.
func compileScope(b *builder, l *License) {
	s := &l.Scope
	if l.Status == oversight.LicenseActive {
		b.add(CodeStatus, false, "SCOPE-STATUS: the licence is active; forbids a deployment not registered to it",
			"unless {\n  context.flags.deployment_registered\n}",
			func(in input) string {
				return "deployment " + in.r.DeploymentID + " is not registered to this licence"
			})
	} else {
		status := l.Status
		b.add(CodeStatus, false, "SCOPE-STATUS: the licence is "+string(status)+"; only an active licence permits use", "",
			func(in input) string {
				msg := "the licence is " + string(status) + "; only an active licence permits use"
				if !in.f.DeploymentRegistered {
					msg += "; deployment " + in.r.DeploymentID + " is not registered to it"
				}
				return msg
			})
	}
	from, until := s.ValidFrom, s.ValidUntil
	b.add(CodeValidity, false, "SCOPE-VALIDITY: forbids use outside the licence's validity",
		fmt.Sprintf("when {\n  context.now < %s ||\n  context.now >= %s\n}", datetime(from, true), datetime(until, false)),
		func(in input) string {
			if in.f.Now.Before(from) {
				return "the licence is not valid yet: valid from " + stamp(from)
			}
			return "the licence expired at " + stamp(until)
		})
	purposes := categories(s.Purposes)
	b.add(CodePurpose, false, "SCOPE-PURPOSE: forbids a purpose the licence does not cover",
		fmt.Sprintf("unless {\n  %s.contains(context.legal_basis.category)\n}", set(purposes)),
		func(in input) string {
			return "the licence does not cover " + string(in.r.LegalBasis.Category) + " (licensed purposes: " + strings.Join(purposes, ", ") + ")"
		})
	b.add(CodeCountry, false, "SCOPE-COUNTRY: forbids a target in a blocked country",
		fmt.Sprintf("when {\n  %s.contains(context.country_code)\n}", set(s.BlockedCountryCodes)),
		func(in input) string {
			return "target country code " + in.r.Target.CountryCode + " is blocked by the licence"
		})
	b.add(CodeProtected, false, "SCOPE-PROTECTED: forbids a target on the protected-persons register",
		"when {\n  context.flags.protected_target\n}",
		func(input) string { return "the target is on the protected-persons register" })
	quota := s.MaxActiveOperations
	b.add(CodeQuota, false, "SCOPE-QUOTA: forbids a permit beyond the licence's quota of unexpired permits",
		fmt.Sprintf("when {\n  context.active_permits >= %d\n}", quota),
		func(in input) string {
			return fmt.Sprintf("quota reached: the licence holds %d unexpired permits and allows at most %d", in.f.ActivePermits, quota)
		})
	ops := operations(s.Operations)
	b.add(CodeOperation, false, "SCOPE-OPERATION: forbids an operation the licence does not allow",
		fmt.Sprintf("unless {\n  %s.contains(action)\n}", actions(ops)),
		func(in input) string {
			return "operation " + string(in.r.Operation) + " is not allowed by the licence (allowed: " + strings.Join(ops, ", ") + ")"
		})
}

// compileRestriction adds the rule of one restriction: it forbids whatever
// falls outside any of the narrowings it sets.
func compileRestriction(b *builder, r *oversight.Restriction) {
	var conds []string
	purposes, ops := categories(r.Purposes), operations(r.Operations)
	if len(purposes) > 0 {
		conds = append(conds, "!"+set(purposes)+".contains(context.legal_basis.category)")
	}
	if len(ops) > 0 {
		conds = append(conds, "!"+actions(ops)+".contains(action)")
	}
	if len(r.BlockedCountryCodes) > 0 {
		conds = append(conds, set(r.BlockedCountryCodes)+".contains(context.country_code)")
	}
	if r.MaxActiveOperations != nil {
		conds = append(conds, fmt.Sprintf("context.active_permits >= %d", *r.MaxActiveOperations))
	}
	if r.ValidUntil != nil {
		conds = append(conds, "context.now >= "+datetime(*r.ValidUntil, false))
	}
	code := CodeRestrictPrefix + r.ID
	restr := *r
	b.add(code, false, code+": a restriction ordered as enforcement action "+r.ID,
		"when {\n  "+strings.Join(conds, " ||\n  ")+"\n}",
		func(in input) string {
			// Say which narrowings this request falls foul of.
			var parts []string
			if len(purposes) > 0 && !slices.Contains(restr.Purposes, in.r.LegalBasis.Category) {
				parts = append(parts, "purposes narrowed to "+strings.Join(purposes, ", "))
			}
			if len(ops) > 0 && !slices.Contains(restr.Operations, in.r.Operation) {
				parts = append(parts, "operations narrowed to "+strings.Join(ops, ", "))
			}
			if slices.Contains(restr.BlockedCountryCodes, in.r.Target.CountryCode) {
				parts = append(parts, "target country code "+in.r.Target.CountryCode+" blocked")
			}
			if m := restr.MaxActiveOperations; m != nil && in.f.ActivePermits >= *m {
				parts = append(parts, fmt.Sprintf("quota lowered to %d unexpired permits (the licence holds %d)", *m, in.f.ActivePermits))
			}
			if u := restr.ValidUntil; u != nil && !in.f.Now.Before(*u) {
				parts = append(parts, "use ended at "+stamp(*u))
			}
			if len(parts) == 0 {
				return "restriction " + restr.ID + " forbids this operation"
			}
			return "restriction " + restr.ID + ": " + strings.Join(parts, "; ")
		})
}

// clauseComment describes a template rule in the Cedar text: the clause id
// and title, then what the rule does.
func clauseComment(t *oversight.DeclarationTemplate, id, does string) string {
	c, _ := t.Clause(id)
	return t.ID + " " + id + " " + c.Title + ": " + does
}

// internWords builds the Cedar values of every word the template knows.
func internWords(t *oversight.DeclarationTemplate) map[string]types.Value {
	m := make(map[string]types.Value)
	add := func(ws ...string) {
		for _, w := range ws {
			m[w] = types.String(w)
		}
	}
	add(t.Rules.Terrorism.Acts...)
	if e := t.Rules.Expression; e != nil {
		add(e.Conduct...)
	}
	if n := t.Rules.NonDiscrimination; n != nil {
		add(n.Grounds...)
	}
	for _, fp := range t.Rules.ForbiddenPurposes {
		add(fp.Conduct...)
		add(fp.Acts...)
	}
	return m
}

// quote returns s as a Cedar string literal. The values it is given are
// validated words, codes and calling codes; escaping is for safety only.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r > 0x7e:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// set returns a Cedar set literal of strings.
func set(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// actions returns a Cedar set literal of action entities.
func actions(ops []string) string {
	q := make([]string, len(ops))
	for i, o := range ops {
		q[i] = "Action::" + quote(o)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// datetime returns a Cedar datetime literal for t at Cedar's millisecond
// precision, rounded towards the narrower validity: up for a start, down for
// an end.
func datetime(t time.Time, start bool) string {
	ms := t.Truncate(time.Millisecond)
	if start && ms.Before(t) {
		ms = ms.Add(time.Millisecond)
	}
	return "datetime(" + quote(ms.UTC().Format("2006-01-02T15:04:05.000Z")) + ")"
}

// stamp formats a time for a message.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// years says "1 year", "10 years".
func years(n int) string {
	if n == 1 {
		return "1 year"
	}
	return strconv.Itoa(n) + " years"
}

func categories(cs []oversight.Category) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if !slices.Contains(out, string(c)) {
			out = append(out, string(c))
		}
	}
	return out
}

func operations(ops []oversight.Operation) []string {
	out := make([]string, 0, len(ops))
	for _, o := range ops {
		if !slices.Contains(out, string(o)) {
			out = append(out, string(o))
		}
	}
	return out
}
