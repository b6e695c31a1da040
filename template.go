package oversight

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// DeclarationTemplate is the text a purchasing state signs and the rules
// that text implies. Templates are data: IL-2021 ships with the program
// (see BuiltinTemplates) and others are added as files (ParseTemplate),
// without code.
type DeclarationTemplate struct {
	ID      string        `json:"id"`
	Title   string        `json:"title"`
	Issuer  string        `json:"issuer"`
	Version int           `json:"version"`
	Clauses []Clause      `json:"clauses"`
	Rules   TemplateRules `json:"rules"`
	// MaxTermMonths is the longest a declaration of this template covers
	// licences, counted from its signing, and so the longest validity of
	// a licence under it; 0 means DefaultMaxTermMonths.
	MaxTermMonths int `json:"max_term_months,omitempty"`
}

// TermMonths returns t's MaxTermMonths, or the default.
func (t *DeclarationTemplate) TermMonths() int {
	if t == nil || t.MaxTermMonths <= 0 {
		return DefaultMaxTermMonths
	}
	return t.MaxTermMonths
}

// Clause is one numbered clause of a declaration.
type Clause struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Clause returns the clause with the given id.
func (t *DeclarationTemplate) Clause(id string) (Clause, bool) {
	for _, c := range t.Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// TemplateRules are the parameters of a template's decision rules, each
// naming the clause it enforces; that clause id is the code a decision
// cites. Package policy compiles them. Purpose, Terrorism, SeriousCrime and
// LegalApproval are required; the others are optional, so that a template
// without an expression or non-discrimination clause can still be written.
type TemplateRules struct {
	Purpose           PurposeRule            `json:"purpose"`
	Terrorism         TerrorismRule          `json:"terrorism"`
	SeriousCrime      SeriousCrimeRule       `json:"serious_crime"`
	Expression        *ExpressionRule        `json:"expression,omitempty"`
	NonDiscrimination *NonDiscriminationRule `json:"non_discrimination,omitempty"`
	LegalApproval     LegalApprovalRule      `json:"legal_approval"`
	// ForbiddenPurposes are further purposes the declaration excludes, such
	// as one terrorist act that a stricter national declaration does not
	// accept as a ground. Each is a rule of its own.
	ForbiddenPurposes []ForbiddenPurpose `json:"forbidden_purposes,omitempty"`
}

// PurposeRule forbids any use outside the declared purposes: a category
// other than terrorism or serious crime, or a crime below the serious-crime
// threshold (IL2021-1).
type PurposeRule struct {
	Clause string `json:"clause"`
}

// TerrorismRule permits use against a terrorist act the declaration lists
// (IL2021-2). Acts in ReviewActs (the open "among other things" of the
// list) permit only with a justification, and the permit is flagged for
// review.
type TerrorismRule struct {
	Clause     string   `json:"clause"`
	Acts       []string `json:"acts"`
	ReviewActs []string `json:"review_acts,omitempty"`
}

// SeriousCrimeRule permits use against a crime punishable under national law
// by at least MinSentenceYears of imprisonment (IL2021-3).
type SeriousCrimeRule struct {
	Clause           string `json:"clause"`
	MinSentenceYears int    `json:"min_sentence_years"`
}

// ExpressionRule forbids use when everything the target is suspected of is
// expression: the conduct words listed here (IL2021-4).
type ExpressionRule struct {
	Clause  string   `json:"clause"`
	Conduct []string `json:"conduct"`
}

// NonDiscriminationRule forbids use on any of the protected grounds
// (IL2021-5).
type NonDiscriminationRule struct {
	Clause  string   `json:"clause"`
	Grounds []string `json:"grounds"`
}

// LegalApprovalRule forbids use without a warrant or other legal approval
// (IL2021-7).
type LegalApprovalRule struct {
	Clause string `json:"clause"`
}

// ForbiddenPurpose is a purpose a template excludes beyond the built-in
// rules. It matches a request when every condition that is set holds: the
// category is one of Categories, the act is one of Acts, some conduct word
// is one of Conduct. At least one condition must be set.
type ForbiddenPurpose struct {
	Clause string `json:"clause"`
	// Description names the purpose in a decision's message, such as
	// "intimidation of a population".
	Description string     `json:"description"`
	Categories  []Category `json:"categories,omitempty"`
	Acts        []string   `json:"acts,omitempty"`
	Conduct     []string   `json:"conduct,omitempty"`
}

// Reserved prefixes of the reason codes that licences, not templates,
// define (DECLARATION.md, "The rules").
var reservedCodePrefixes = []string{"SCOPE-", "RESTRICT-"}

// Validate checks that t is complete and consistent, naming every field at
// fault, such as "rules.serious_crime.min_sentence_years".
func (t *DeclarationTemplate) Validate() error {
	var p Problems
	if !validCode(t.ID) {
		p.Add("id", "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit, such as IL-2021")
	}
	p.Required("title", t.Title)
	p.Required("issuer", t.Issuer)
	if t.Version < 1 {
		p.Add("version", "must be a whole number from 1")
	}
	if t.MaxTermMonths < 0 || t.MaxTermMonths > 120 {
		p.Add("max_term_months", "must be from 1 to 120 months (0 or left out for %d)", DefaultMaxTermMonths)
	}
	if len(t.Clauses) == 0 {
		p.Add("clauses", "at least one clause is required")
	}
	seen := make(map[string]bool, len(t.Clauses))
	for i, c := range t.Clauses {
		f := fmt.Sprintf("clauses[%d]", i)
		switch {
		case !validCode(c.ID):
			p.Add(f+".id", "must be 1 to 32 letters, digits, '.', '_' or '-', such as IL2021-3")
		case reservedCode(c.ID):
			p.Add(f+".id", "must not start with %s: those codes are the licence's", strings.Join(reservedCodePrefixes, " or "))
		case seen[c.ID]:
			p.Add(f+".id", "duplicate clause id %s", c.ID)
		}
		seen[c.ID] = true
		p.Required(f+".title", c.Title)
		p.Required(f+".text", c.Text)
	}

	r := &t.Rules
	clause := func(field, id string) {
		switch {
		case id == "":
			p.Add(field, "required: the id of the clause this rule enforces")
		case !seen[id]:
			p.Add(field, "%s is not a clause of this template", id)
		}
	}
	clause("rules.purpose.clause", r.Purpose.Clause)

	clause("rules.terrorism.clause", r.Terrorism.Clause)
	if len(r.Terrorism.Acts) == 0 {
		p.Add("rules.terrorism.acts", "at least one act is required: %s", strings.Join(TerroristActs, ", "))
	}
	checkValues(&p, "rules.terrorism.acts", r.Terrorism.Acts, TerroristActs)
	for i, a := range r.Terrorism.ReviewActs {
		if !slices.Contains(r.Terrorism.Acts, a) {
			p.Add(fmt.Sprintf("rules.terrorism.review_acts[%d]", i), "%q must also be listed in rules.terrorism.acts", a)
		}
	}

	clause("rules.serious_crime.clause", r.SeriousCrime.Clause)
	if r.SeriousCrime.MinSentenceYears < 1 || r.SeriousCrime.MinSentenceYears > 200 {
		p.Add("rules.serious_crime.min_sentence_years", "must be a whole number from 1 to 200")
	}

	if e := r.Expression; e != nil {
		clause("rules.expression.clause", e.Clause)
		if len(e.Conduct) == 0 {
			p.Add("rules.expression.conduct", "at least one conduct word is required, such as expression_of_opinion")
		}
		checkWords(&p, "rules.expression.conduct", e.Conduct)
	}
	if n := r.NonDiscrimination; n != nil {
		clause("rules.non_discrimination.clause", n.Clause)
		if len(n.Grounds) == 0 {
			p.Add("rules.non_discrimination.grounds", "at least one protected ground is required, such as religion")
		}
		checkWords(&p, "rules.non_discrimination.grounds", n.Grounds)
	}
	clause("rules.legal_approval.clause", r.LegalApproval.Clause)

	categories := []string{string(CategoryTerrorism), string(CategorySeriousCrime), string(CategoryOther)}
	for i, fp := range r.ForbiddenPurposes {
		f := fmt.Sprintf("rules.forbidden_purposes[%d]", i)
		clause(f+".clause", fp.Clause)
		p.Required(f+".description", fp.Description)
		if len(fp.Description) > 200 {
			p.Add(f+".description", "at most 200 characters")
		}
		if len(fp.Categories) == 0 && len(fp.Acts) == 0 && len(fp.Conduct) == 0 {
			p.Add(f, "set at least one of categories, acts, conduct")
		}
		cats := make([]string, len(fp.Categories))
		for j, c := range fp.Categories {
			cats[j] = string(c)
		}
		checkValues(&p, f+".categories", cats, categories)
		checkValues(&p, f+".acts", fp.Acts, TerroristActs)
		checkWords(&p, f+".conduct", fp.Conduct)
	}
	return p.Err("invalid declaration template")
}

// checkValues checks that every value is one of allowed and none repeats.
func checkValues(p *Problems, field string, values, allowed []string) {
	for i, v := range values {
		switch {
		case !slices.Contains(allowed, v):
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be one of %s", strings.Join(allowed, ", "))
		case slices.Index(values, v) < i:
			p.Add(fmt.Sprintf("%s[%d]", field, i), "%q is listed twice", v)
		}
	}
}

// validCode reports whether s can serve as a template id or a clause id,
// which decisions cite as reason codes: 1 to 32 ASCII letters, digits, '.',
// '_' or '-', starting with a letter or digit.
func validCode(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func reservedCode(s string) bool {
	for _, pre := range reservedCodePrefixes {
		if strings.HasPrefix(strings.ToUpper(s), pre) {
			return true
		}
	}
	return false
}

// ParseTemplate decodes a declaration template from JSON and validates it.
// Errors are EINVALID *Error values naming the field at fault.
func ParseTemplate(data []byte) (*DeclarationTemplate, error) {
	var t DeclarationTemplate
	if err := DecodeJSON(data, &t); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// builtinTemplates holds the templates that ship with the program, one JSON
// file each.
//
//go:embed templates/*.json
var builtinTemplates embed.FS

// BuiltinTemplates returns the templates that ship with the program, such
// as IL-2021, sorted by id. Each call returns fresh copies that the caller
// may change.
func BuiltinTemplates() []*DeclarationTemplate {
	names, err := fs.Glob(builtinTemplates, "templates/*.json")
	if err != nil {
		panic(err) // only on a malformed pattern
	}
	var out []*DeclarationTemplate
	for _, name := range names {
		data, err := builtinTemplates.ReadFile(name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		t, err := ParseTemplate(data)
		if err != nil {
			// A test parses every embedded template, so this is a build defect.
			panic(fmt.Sprintf("built-in template %s: %v", name, err))
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *DeclarationTemplate) int { return strings.Compare(a.ID, b.ID) })
	return out
}
