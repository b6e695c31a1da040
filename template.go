package oversight

// DeclarationTemplate is the text a purchasing state signs and the rules
// that text implies. Templates are data: IL-2021 ships with the program
// (see BuiltinTemplates) and others are added as files, without code.
type DeclarationTemplate struct {
	ID      string        `json:"id"`
	Title   string        `json:"title"`
	Issuer  string        `json:"issuer"`
	Version int           `json:"version"`
	Clauses []Clause      `json:"clauses"`
	Rules   TemplateRules `json:"rules"`
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
// naming the clause it enforces. Package policy compiles them.
type TemplateRules struct{}
