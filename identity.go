package oversight

import (
	"fmt"
	"slices"
	"strings"
)

// Identity is who a person is as the registry, a misuse case, the
// designation lists and a consular officer know them. A vendor's owners
// and executives and their relatives, the people a case finds involved,
// designations and screening requests all carry one, checked by one rule:
// a person the registry accepts is then a person a case can designate
// (designating from a case copies the registry's persons as they are).
type Identity struct {
	Name string `json:"name"`
	// Aliases are the other names the person is known by, in any script.
	Aliases []string `json:"aliases,omitempty"`
	// BirthDate is YYYY-MM-DD or, when only the year is known, YYYY.
	BirthDate   string `json:"birth_date,omitempty"`
	Nationality string `json:"nationality,omitempty"` // ISO 3166-1 alpha-2
}

// Relative is an immediate family member of a person on record or
// involved in a misuse case.
type Relative struct {
	Identity
	Relation Relation `json:"relation"`
}

// Limits on an identity's text, far above what any list holds, so that one
// record cannot fill the screening index or the audit log.
const (
	maxNameLen = 500
	maxAliases = 500
	// maxDesignation is the most items of one request: a case's persons,
	// a person's relatives, an import chunk's designations (times five).
	maxDesignation = 200
)

// Tidy trims the names and the birth date and writes the nationality in
// upper case, as forms and lists give them. Callers tidy before they
// validate.
func (id *Identity) Tidy() {
	id.Name = strings.TrimSpace(id.Name)
	for i, a := range id.Aliases {
		id.Aliases[i] = strings.TrimSpace(a)
	}
	id.BirthDate = strings.TrimSpace(id.BirthDate)
	id.Nationality = strings.ToUpper(strings.TrimSpace(id.Nationality))
}

// Clone returns id with a copy of its aliases of its own.
func (id Identity) Clone() Identity {
	id.Aliases = slices.Clone(id.Aliases)
	return id
}

// check records what is wrong with id, its fields named under prefix
// ("", or a path ending in a dot such as "persons[0].").
func (id *Identity) check(p *Problems, prefix string) {
	if p.Required(prefix+"name", id.Name) && len(id.Name) > maxNameLen {
		p.Add(prefix+"name", "at most %d bytes", maxNameLen)
	}
	if len(id.Aliases) > maxAliases {
		p.Add(prefix+"aliases", "at most %d aliases", maxAliases)
	}
	for i, a := range id.Aliases {
		f := fmt.Sprintf("%saliases[%d]", prefix, i)
		if p.Required(f, a) && len(a) > maxNameLen {
			p.Add(f, "at most %d bytes", maxNameLen)
		}
	}
	if m := BirthDateProblem(id.BirthDate); id.BirthDate != "" && m != "" {
		p.Add(prefix+"birth_date", "%s", m)
	}
	if id.Nationality != "" && !validISO2(id.Nationality) {
		p.Add(prefix+"nationality", "must be an ISO 3166-1 alpha-2 code such as RU")
	}
}

// checkRelatives records what is wrong with a person's relatives, found
// at path (such as "persons[0].relatives").
func checkRelatives(p *Problems, path string, rels []Relative) {
	if len(rels) > maxDesignation {
		p.Add(path, "at most %d relatives", maxDesignation)
		return
	}
	for i := range rels {
		f := fmt.Sprintf("%s[%d].", path, i)
		rels[i].check(p, f)
		if !rels[i].Relation.Valid() {
			p.Add(f+"relation", "must be spouse, child, parent or sibling")
		}
	}
}

// tidyRelatives tidies each relative's identity.
func tidyRelatives(rels []Relative) {
	for i := range rels {
		rels[i].Tidy()
	}
}
