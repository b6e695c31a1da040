package policy

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/oversight-dev/oversight"
)

// The Cedar request: principal License::"<licence id>", action
// Action::"<operation>", resource Target::"<id_hash>", and a context record
// whose attributes are always present and always of one type, so that no
// policy can fail on a missing attribute:
//
//	legal_basis.category            String       legal_basis.category
//	legal_basis.act                 String       legal_basis.act, "" unless terrorism
//	legal_basis.max_sentence_years  Long         legal_basis.max_sentence_years, 0 when absent
//	conduct                         Set<String>  legal_basis.conduct
//	grounds                         Set<String>  grounds
//	country_code                    String       target.country_code
//	flags.has_warrant               Bool         warrant_ref is not blank
//	flags.has_justification         Bool         justification is not blank
//	flags.protected_target          Bool         Facts.ProtectedTarget
//	flags.deployment_registered     Bool         Facts.DeploymentRegistered
//	now                             datetime     Facts.Now, to the millisecond
//	active_permits                  Long         Facts.ActivePermits
//
// Building a Cedar record hashes and copies it, and its cost grows with the
// number of attributes, so the values that come from a small set (the legal
// basis, the flags) are nested records built once and reused: a request
// builds one record of seven attributes.
const (
	attrLegalBasis = types.String("legal_basis")
	attrConduct    = types.String("conduct")
	attrGrounds    = types.String("grounds")
	attrCountry    = types.String("country_code")
	attrFlags      = types.String("flags")
	attrNow        = types.String("now")
	attrActive     = types.String("active_permits")
	contextAttrs   = 7
)

// Values that do not depend on the request, built once.
var (
	emptySet   types.Value = types.NewSet()
	actionUIDs             = map[oversight.Operation]types.EntityUID{
		oversight.OpIntercept: types.NewEntityUID("Action", types.String(oversight.OpIntercept)),
		oversight.OpExtract:   types.NewEntityUID("Action", types.String(oversight.OpExtract)),
		oversight.OpLocate:    types.NewEntityUID("Action", types.String(oversight.OpLocate)),
		oversight.OpMonitor:   types.NewEntityUID("Action", types.String(oversight.OpMonitor)),
	}
	// flagRecords holds the 16 records of flags, indexed by flagIndex.
	flagRecords [16]types.Value
)

func init() {
	for i := range flagRecords {
		flagRecords[i] = types.NewRecord(types.RecordMap{
			"has_warrant":           types.Boolean(i&1 != 0),
			"has_justification":     types.Boolean(i&2 != 0),
			"protected_target":      types.Boolean(i&4 != 0),
			"deployment_registered": types.Boolean(i&8 != 0),
		})
	}
}

func flagIndex(warrant, justification, protected, registered bool) int {
	i := 0
	if warrant {
		i |= 1
	}
	if justification {
		i |= 2
	}
	if protected {
		i |= 4
	}
	if registered {
		i |= 8
	}
	return i
}

// legalBasisCategories and legalBasisActs list the values a well-formed
// request's category and act take; with the years (0 to 200) they index the
// cache of legal-basis records.
var (
	legalBasisCategories = []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime, oversight.CategoryOther}
	legalBasisActs       = append([]string{""}, oversight.TerroristActs...)
	legalBasisRecords    [3][8][201]atomic.Pointer[types.Value]
)

// legalBasis returns the record of a legal basis. Those of well-formed
// requests are built on first use and then shared; there are at most a few
// thousand.
func legalBasis(lb *oversight.LegalBasis) types.Value {
	var years int
	if lb.MaxSentenceYears != nil {
		years = *lb.MaxSentenceYears
	}
	build := func() types.Value {
		return types.NewRecord(types.RecordMap{
			"category":           types.String(lb.Category),
			"act":                types.String(lb.Act),
			"max_sentence_years": types.Long(years),
		})
	}
	c := slices.Index(legalBasisCategories, lb.Category)
	a := slices.Index(legalBasisActs, lb.Act)
	if c < 0 || a < 0 || years < 0 || years > 200 {
		return build() // not well-formed; Evaluate does not get here
	}
	slot := &legalBasisRecords[c][a][years]
	if v := slot.Load(); v != nil {
		return *v
	}
	v := build()
	slot.Store(&v)
	return v
}

// contextMaps recycles the scratch maps a request's context is built in;
// types.NewRecord copies the map, so it can be reused at once.
var contextMaps = sync.Pool{New: func() any {
	m := make(types.RecordMap, contextAttrs)
	return &m
}}

// input is one request and its facts, as the rules' explanations see them.
// It is passed by value so that explaining does not move the facts to the
// heap.
type input struct {
	r *oversight.OperationRequest
	f Facts
}

func (in input) years() int {
	if y := in.r.LegalBasis.MaxSentenceYears; y != nil {
		return *y
	}
	return 0
}

// cedarRequest converts a validated request and its facts into Cedar's
// input.
func (p *Policy) cedarRequest(r *oversight.OperationRequest, f *Facts) cedar.Request {
	mp := contextMaps.Get().(*types.RecordMap)
	m := *mp
	m[attrLegalBasis] = legalBasis(&r.LegalBasis)
	m[attrConduct] = p.wordSet(r.LegalBasis.Conduct)
	m[attrGrounds] = p.wordSet(r.Grounds)
	m[attrCountry] = types.String(r.Target.CountryCode)
	m[attrFlags] = flagRecords[flagIndex(!blank(r.WarrantRef), !blank(r.Justification), f.ProtectedTarget, f.DeploymentRegistered)]
	m[attrNow] = types.NewDatetime(f.Now)
	m[attrActive] = types.Long(f.ActivePermits)
	rec := types.NewRecord(m)
	clear(m)
	contextMaps.Put(mp)
	return cedar.Request{
		Principal: p.principal,
		Action:    actionUIDs[r.Operation],
		Resource:  types.NewEntityUID("Target", types.String(r.Target.IDHash)),
		Context:   rec,
	}
}

// word returns the Cedar string for w, interned when the template knows it.
func (p *Policy) word(w string) types.Value {
	if v, ok := p.words[w]; ok {
		return v
	}
	return types.String(w)
}

// wordSet returns the Cedar set of words.
func (p *Policy) wordSet(ws []string) types.Value {
	if len(ws) == 0 {
		return emptySet
	}
	var buf [8]types.Value
	vs := buf[:0]
	for _, w := range ws {
		vs = append(vs, p.word(w))
	}
	return types.NewSet(vs...)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// Evaluate decides a request. The request must be well-formed: Evaluate
// checks it again and returns the EINVALID *oversight.Error of
// OperationRequest.Validate rather than decide on a malformed one.
//
// A permit cites the clause that permits it and expires after the policy's
// permit lifetime, or at the end of the licence's validity if that comes
// first. A deny cites every rule that forbids the request, in the order of
// the declaration and the licence; when nothing forbids but nothing
// permits either, it cites the clause that did not permit. A rule that
// fails to evaluate counts as a forbid and is cited as such.
func (p *Policy) Evaluate(r *oversight.OperationRequest, f Facts) (oversight.Decision, error) {
	if err := r.Validate(); err != nil {
		return oversight.Decision{}, err
	}
	return p.evaluate(r, f), nil
}

// evaluate decides a request already validated.
func (p *Policy) evaluate(r *oversight.OperationRequest, f Facts) oversight.Decision {
	in := input{r: r, f: f}
	decision, diag := cedar.Authorize(policyList{p}, nil, p.cedarRequest(r, &f))

	if decision == cedar.Allow && len(diag.Errors) == 0 {
		d := oversight.Decision{Decision: oversight.Permit, Reasons: make([]oversight.Reason, 0, 1)}
		for _, dr := range diag.Reasons {
			if rl, ok := p.byID[dr.PolicyID]; ok {
				d.Reasons = addReason(d.Reasons, rl, in)
			}
		}
		if len(d.Reasons) == 0 {
			// A permit must cite its clause; Cedar names only our ids, so
			// this does not happen, but if it did it would not permit.
			return oversight.Decision{Decision: oversight.Deny, Reasons: []oversight.Reason{p.notPermitted(in)}}
		}
		exp := f.Now.Add(p.lifetime)
		if exp.After(p.end) {
			exp = p.end
		}
		d.ExpiresAt = &exp
		lb := &r.LegalBasis
		d.Review = lb.Category == oversight.CategoryTerrorism && slices.Contains(p.terrorism.ReviewActs, lb.Act)
		return d
	}

	// Deny. Collect what fired, and what failed, in the rules' order.
	const forbade, failed = 1, 2
	fired := make([]uint8, len(p.rules))
	var failures map[cedar.PolicyID]string
	if decision == cedar.Deny {
		for _, dr := range diag.Reasons {
			if i := p.index(dr.PolicyID); i >= 0 {
				fired[i] = forbade
			}
		}
	}
	for _, de := range diag.Errors {
		if i := p.index(de.PolicyID); i >= 0 {
			fired[i] = failed
		}
		if failures == nil {
			failures = make(map[cedar.PolicyID]string)
		}
		failures[de.PolicyID] = de.Message
	}
	d := oversight.Decision{Decision: oversight.Deny}
	for i, how := range fired {
		rl := p.rules[i]
		switch how {
		case forbade:
			d.Reasons = addReason(d.Reasons, rl, in)
		case failed:
			d.Reasons = append(d.Reasons, oversight.Reason{
				Code:    rl.code,
				Message: "rule could not be evaluated and counts as a forbid: " + failures[rl.id],
			})
		}
	}
	if len(d.Reasons) == 0 {
		d.Reasons = append(d.Reasons, p.notPermitted(in))
	}
	return d
}

// addReason appends the reason of rule rl, merging it into the previous
// reason when both cite one code.
func addReason(rs []oversight.Reason, rl *rule, in input) []oversight.Reason {
	msg := rl.explain(in)
	if n := len(rs); n > 0 && rs[n-1].Code == rl.code {
		rs[n-1].Message += "; " + msg
		return rs
	}
	return append(rs, oversight.Reason{Code: rl.code, Message: msg})
}

// index returns the position of the rule with the given id, or -1 if
// there is none; Cedar names only the ids it was given.
func (p *Policy) index(id cedar.PolicyID) int {
	r, ok := p.byID[id]
	if !ok {
		return -1
	}
	return slices.Index(p.rules, r)
}

// notPermitted explains a deny that no rule forbade: no clause permitted.
func (p *Policy) notPermitted(in input) oversight.Reason {
	lb := &in.r.LegalBasis
	t := &p.terrorism
	switch {
	case lb.Category == oversight.CategoryTerrorism && slices.Contains(t.ReviewActs, lb.Act):
		return oversight.Reason{Code: t.Clause, Message: "terrorist act: " + lb.Act +
			" is not among the listed acts and needs a justification; none was given"}
	case lb.Category == oversight.CategoryTerrorism && !slices.Contains(t.Acts, lb.Act):
		return oversight.Reason{Code: t.Clause, Message: "terrorist act: " + lb.Act + " is not among the acts this declaration lists"}
	case lb.Category == oversight.CategorySeriousCrime && in.years() < p.seriousCrime.MinSentenceYears:
		return oversight.Reason{Code: p.seriousCrime.Clause, Message: "serious crime: " + years(in.years()) +
			" under national law; the declaration requires at least " + strconv.Itoa(p.seriousCrime.MinSentenceYears)}
	}
	return oversight.Reason{Code: p.purpose, Message: "no clause of the declaration permits this operation"}
}
