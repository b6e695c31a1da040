package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// The registry: vendors and their persons, countries and their tiers,
// end-user agencies, and the declarations their states signed.

func (s *Server) routesRegistry() {
	vendorReaders := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor}
	s.handle("GET", "/vendors", s.vendorsPage, vendorReaders...)
	s.handle("GET", "/vendors/new", s.vendorNewPage, oversight.RoleAdmin, oversight.RoleDefense)
	s.handle("POST", "/vendors", s.vendorCreate, oversight.RoleAdmin, oversight.RoleDefense)
	s.handle("GET", "/vendors/{id}", s.vendorPage, vendorReaders...)
	s.handle("POST", "/vendors/{id}", s.vendorUpdate, oversight.RoleAdmin, oversight.RoleDefense)

	s.handle("GET", "/countries", s.countriesPage)
	s.handle("POST", "/countries/{iso2}", s.countrySet, oversight.RoleDefense)

	euReaders := []oversight.Role{oversight.RoleAdmin, oversight.RoleDefense, oversight.RoleForeignAffairs, oversight.RoleVendor, oversight.RoleEndUser}
	s.handle("GET", "/end-users", s.endUsersPage, euReaders...)
	s.handle("POST", "/end-users", s.endUserCreate, officials...)
	s.handle("GET", "/end-users/{id}", s.endUserPage, euReaders...)
	s.handle("POST", "/end-users/{id}", s.endUserUpdate, officials...)

	s.handle("GET", "/declarations", s.declarationsPage, euReaders...)
	s.handle("GET", "/declarations/new", s.declarationNewPage, oversight.RoleAdmin, oversight.RoleForeignAffairs, oversight.RoleEndUser)
	s.handle("POST", "/declarations", s.declarationRecord, oversight.RoleAdmin, oversight.RoleForeignAffairs, oversight.RoleEndUser)
	s.handle("GET", "/declarations/{id}", s.declarationPage, euReaders...)
}

// Vendors.

type vendorsData struct {
	Items []oversight.Vendor
	Next  string
}

func (s *Server) vendorsPage(w http.ResponseWriter, r *request) error {
	l, err := s.svc.Vendors(r.Context(), r.p, pageOf(r.Request))
	if err != nil {
		return err
	}
	return s.render(w, r.Request, r.p, "vendors", &page{Title: "Vendors", Data: vendorsData{l.Items, l.Next}})
}

type vendorData struct {
	V        *oversight.Vendor
	Products []oversight.Product
	More     bool
	// Roles and Relations are the choices of the change form's person
	// (parties.go).
	Roles     []oversight.PersonRole
	Relations []oversight.Relation
}

func (s *Server) vendorPage(w http.ResponseWriter, r *request) error {
	return s.renderVendor(w, r, &page{}, http.StatusOK)
}

// renderVendor renders the vendor's page, its change form filled with the
// vendor as it is unless pg holds what the user sent.
func (s *Server) renderVendor(w http.ResponseWriter, r *request, pg *page, status int) error {
	v, err := s.svc.Vendor(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	prs, err := s.svc.Products(r.Context(), r.p, oversight.ProductFilter{VendorID: v.ID}, oversight.Page{Limit: pageSize})
	if err != nil {
		return err
	}
	if pg.Form == nil {
		pg.Form = url.Values{"name": {v.Name}, "country": {v.Country}, "address": {v.Address}, "log_index": {strconv.FormatInt(v.LogIndex, 10)}}
	}
	pg.Title = v.Name
	f := newVendorForm(1)
	pg.Data = vendorData{V: v, Products: prs.Items, More: prs.Next != "", Roles: f.Roles, Relations: f.Relations}
	return s.renderStatus(w, r.Request, r.p, status, "vendor", pg)
}

// vendorForm is the registration form: the vendor and its persons, one
// block each; "Add a person" posts the form back with one more block, so
// that it works without script.
type vendorForm struct {
	Persons    int // blocks shown
	Roles      []oversight.PersonRole
	Relations  []oversight.Relation
	PersonRows []int
}

const maxPersonRows = 50

func newVendorForm(n int) vendorForm {
	n = min(max(n, 1), maxPersonRows)
	f := vendorForm{Persons: n, Roles: []oversight.PersonRole{oversight.PersonOwner, oversight.PersonExecutive, oversight.PersonDirector},
		Relations: []oversight.Relation{oversight.RelationSpouse, oversight.RelationChild, oversight.RelationParent, oversight.RelationSibling}}
	for i := range n {
		f.PersonRows = append(f.PersonRows, i)
	}
	return f
}

func (s *Server) vendorNewPage(w http.ResponseWriter, r *request) error {
	return s.render(w, r.Request, r.p, "vendor_new", &page{Title: "Register a vendor", Data: newVendorForm(2)})
}

// vendorCreate registers a vendor with its owners, executives and their
// relatives on record.
func (s *Server) vendorCreate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	n, _ := strconv.Atoi(r.PostFormValue("persons"))
	pg := &page{Title: "Register a vendor", Form: r.PostForm}
	if r.PostFormValue("more") != "" {
		pg.Data = newVendorForm(n + 1)
		return s.render(w, r.Request, r.p, "vendor_new", pg)
	}
	n = min(max(n, 1), maxPersonRows)
	var pr oversight.Problems
	v := &oversight.Vendor{Name: strings.TrimSpace(r.PostFormValue("name")), Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))),
		Address: strings.TrimSpace(r.PostFormValue("address"))}
	for i := range n {
		if per, ok := formPerson(r, fmt.Sprintf("persons[%d]", i), &pr); ok {
			v.Persons = append(v.Persons, per)
		}
	}
	err := pr.Err("invalid vendor")
	if err == nil {
		v, err = s.svc.CreateVendor(r.Context(), r.p, v)
	}
	if err != nil {
		if formError(pg, err, relativeField) {
			pg.Data = newVendorForm(n)
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "vendor_new", pg)
		}
		return err
	}
	return redirect(w, r.Request, "/vendors/"+v.ID, "Vendor registered.")
}

// formPerson reads the block of the form whose fields are named
// prefix.name, prefix.role…, recording in pr what cannot be read; false
// when the block was left empty.
func formPerson(r *request, prefix string, pr *oversight.Problems) (oversight.Person, bool) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(prefix + "." + k)) }
	if f("name") == "" && f("title") == "" && f("share") == "" && f("relatives") == "" {
		return oversight.Person{}, false
	}
	per := oversight.Person{Identity: oversight.Identity{Name: f("name"), Aliases: lines(r.PostFormValue(prefix + ".aliases")),
		BirthDate: f("birth_date"), Nationality: f("nationality")}, Role: oversight.PersonRole(f("role")), Title: f("title")}
	if sh := f("share"); sh != "" {
		x, err := strconv.ParseFloat(sh, 64)
		if err != nil {
			pr.Add(prefix+".share", "must be a number from 0 to 100")
		}
		per.Share = x
	}
	for j, l := range lines(r.PostFormValue(prefix + ".relatives")) {
		rel, err := parseRelative(l)
		if err != nil {
			pr.Add(prefix+".relatives", "line %d: %v", j+1, err)
		}
		per.Relatives = append(per.Relatives, rel)
	}
	return per, true
}

// parseRelative reads a relative written "Name, relation[, birth date]".
func parseRelative(l string) (oversight.Relative, error) {
	parts := strings.Split(l, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 2 || len(parts) > 3 {
		return oversight.Relative{Identity: oversight.Identity{Name: l}}, fmt.Errorf("write it as: name, relation (spouse, child, parent or sibling), and birth date if known")
	}
	rel := oversight.Relative{Identity: oversight.Identity{Name: parts[0]}, Relation: oversight.Relation(strings.ToLower(parts[1]))}
	if len(parts) == 3 {
		rel.BirthDate = parts[2]
	}
	return rel, nil
}

// relativeField maps persons[0].relatives[1].name to the form's
// persons[0].relatives, the textarea holding them.
func relativeField(f string) string {
	if i := strings.Index(f, ".relatives["); i >= 0 {
		return f[:i] + ".relatives"
	}
	if i := strings.Index(f, ".aliases["); i >= 0 {
		return f[:i] + ".aliases"
	}
	return f
}

// Countries.

type countriesData struct {
	Items []oversight.Country
	Next  string
	Tier  string
	Tiers []oversight.Tier
}

var tiers = []oversight.Tier{oversight.TierEligible, oversight.TierRestricted, oversight.TierIneligible, oversight.TierUnassessed}

// countriesPage lists countries by tier, a page at a time by ISO code.
func (s *Server) countriesPage(w http.ResponseWriter, r *request) error {
	tier := param(r.Request, "tier")
	pg := &page{Title: "Countries and tiers", Form: r.URL.Query()}
	cs, err := s.svc.Countries(r.Context(), r.p, oversight.Tier(tier))
	if err != nil {
		if formError(pg, err, nil) {
			pg.Data = countriesData{Tier: tier, Tiers: tiers}
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "countries", pg)
		}
		return err
	}
	// The list is the ISO 3166 list, in code order: a page starts after
	// the code of the last one shown.
	after := strings.ToUpper(param(r.Request, "after"))
	i := sort.Search(len(cs), func(i int) bool { return cs[i].ISO2 > after })
	cs = cs[i:]
	d := countriesData{Tier: tier, Tiers: tiers}
	if len(cs) > 50 {
		cs = cs[:50]
		d.Next = cs[49].ISO2
	}
	d.Items = cs
	return s.render(w, r.Request, r.p, "countries", pg.with(d))
}

// countrySet sets a country's tier: an export-control officer's
// assessment, an event of the log.
func (s *Server) countrySet(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	iso := r.PathValue("iso2")
	u := &oversight.CountryUpdate{Tier: oversight.Tier(r.PostFormValue("tier")), Notes: strings.TrimSpace(r.PostFormValue("notes"))}
	c, err := s.svc.SetCountry(r.Context(), r.p, iso, u)
	if err != nil {
		pg := &page{Title: "Countries and tiers", Form: r.PostForm}
		if formError(pg, err, nil) {
			pg.Problem = iso + ": " + pg.Problem
			cs, cerr := s.svc.Countries(r.Context(), r.p, "")
			if cerr != nil {
				return cerr
			}
			i := sort.Search(len(cs), func(i int) bool { return cs[i].ISO2 >= iso })
			cs = cs[i:min(len(cs), i+1)]
			return s.renderStatus(w, r.Request, r.p, oversight.NewProblem(err).Status, "countries", pg.with(countriesData{Items: cs, Tiers: tiers}))
		}
		return err
	}
	return redirect(w, r.Request, "/countries?tier="+string(c.Tier), c.Name+" is now "+string(c.Tier)+".")
}

// End users.

type endUsersData struct {
	Items     []oversight.EndUser
	Next      string
	Country   string
	Countries []oversight.Country // licensable, for the registration form
	Kinds     []oversight.EndUserKind
}

var endUserKinds = []oversight.EndUserKind{oversight.KindLawEnforcement, oversight.KindIntelligence, oversight.KindMilitary}

func (s *Server) endUsersPage(w http.ResponseWriter, r *request) error {
	return s.renderEndUsers(w, r, &page{Title: "End-user agencies", Form: r.URL.Query()}, http.StatusOK)
}

func (s *Server) renderEndUsers(w http.ResponseWriter, r *request, pg *page, status int) error {
	country := strings.ToUpper(param(r.Request, "country"))
	l, err := s.svc.EndUsers(r.Context(), r.p, country, pageOf(r.Request))
	if err != nil {
		if formError(pg, err, nil) {
			return s.renderStatus(w, r.Request, r.p, http.StatusBadRequest, "end_users", pg.with(endUsersData{Country: country, Kinds: endUserKinds}))
		}
		return err
	}
	d := endUsersData{Items: l.Items, Next: l.Next, Country: country, Kinds: endUserKinds}
	if r.p.Is(officials...) {
		for _, t := range []oversight.Tier{oversight.TierEligible, oversight.TierRestricted} {
			cs, err := s.svc.Countries(r.Context(), r.p, t)
			if err != nil {
				return err
			}
			d.Countries = append(d.Countries, cs...)
		}
		sort.Slice(d.Countries, func(i, j int) bool { return d.Countries[i].Name < d.Countries[j].Name })
	}
	return s.renderStatus(w, r.Request, r.p, status, "end_users", pg.with(d))
}

// endUserCreate registers an agency with the key its state signs
// declarations with.
func (s *Server) endUserCreate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	e := &oversight.EndUser{Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))), Agency: strings.TrimSpace(r.PostFormValue("agency")),
		Kind: oversight.EndUserKind(r.PostFormValue("kind")), SigningKey: strings.TrimSpace(r.PostFormValue("signing_key"))}
	e, err := s.svc.CreateEndUser(r.Context(), r.p, e)
	if err != nil {
		pg := &page{Title: "End-user agencies", Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderEndUsers(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/end-users/"+e.ID, "Agency registered; its state's declarations are checked against this key.")
}

type endUserData struct {
	E            *oversight.EndUser
	Declarations []oversight.Declaration
	Licenses     []oversight.License
	Kinds        []oversight.EndUserKind // of the change form (parties.go)
}

func (s *Server) endUserPage(w http.ResponseWriter, r *request) error {
	return s.renderEndUser(w, r, &page{}, http.StatusOK)
}

// renderEndUser renders the agency's page, its change form filled with
// the agency as it is unless pg holds what the user sent.
func (s *Server) renderEndUser(w http.ResponseWriter, r *request, pg *page, status int) error {
	e, err := s.svc.EndUser(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	ds, err := s.svc.Declarations(r.Context(), r.p, e.ID, oversight.Page{Limit: pageSize})
	if err != nil {
		return err
	}
	ls, err := s.svc.Licenses(r.Context(), r.p, oversight.LicenseFilter{EndUserID: e.ID}, oversight.Page{Limit: pageSize})
	if err != nil {
		return err
	}
	var ids []string
	for _, l := range ls.Items {
		ids = append(ids, l.ProductID)
	}
	if pg.Form == nil {
		pg.Form = url.Values{"agency": {e.Agency}, "kind": {string(e.Kind)}, "signing_key": {e.SigningKey}, "log_index": {strconv.FormatInt(e.LogIndex, 10)}}
	}
	pg.Title, pg.Names = e.Agency, s.resolve(r.Context(), r.p, nil, ids...)
	pg.Data = endUserData{e, ds.Items, ls.Items, endUserKinds}
	return s.renderStatus(w, r.Request, r.p, status, "end_user", pg)
}

// Declarations.

type declarationsData struct {
	Items   []oversight.Declaration
	Next    string
	EndUser string
}

func (s *Server) declarationsPage(w http.ResponseWriter, r *request) error {
	eu := param(r.Request, "end_user")
	l, err := s.svc.Declarations(r.Context(), r.p, eu, pageOf(r.Request))
	if err != nil {
		return err
	}
	var ids []string
	for _, d := range l.Items {
		ids = append(ids, d.EndUserID)
	}
	return s.render(w, r.Request, r.p, "declarations", &page{Title: "End-user declarations", Form: r.URL.Query(),
		Data: declarationsData{l.Items, l.Next, eu}, Names: s.resolve(r.Context(), r.p, nil, ids...)})
}

type declarationData struct {
	D        *oversight.Declaration
	Template *oversight.DeclarationTemplate
}

// declarationPage shows a declaration with the clauses the state signed.
func (s *Server) declarationPage(w http.ResponseWriter, r *request) error {
	d, err := s.svc.Declaration(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	t, _ := s.svc.Template(d.TemplateID)
	if t != nil && t.Version != d.TemplateVersion {
		t = nil // the text signed was another version's; its digest stands
	}
	return s.render(w, r.Request, r.p, "declaration", &page{Title: "Declaration " + d.ID, Data: declarationData{d, t},
		Names: s.resolve(r.Context(), r.p, nil, d.EndUserID)})
}

// declarationNew is the two steps of recording a declaration: the details
// give the canonical text to sign (outside the console, with the state's
// key), then the signature is recorded.
type declarationNew struct {
	Templates []*oversight.DeclarationTemplate
	EndUsers  []oversight.EndUser
	Text      string // the canonical text, once the details are given
	SHA256    string
}

func (s *Server) declarationNewPage(w http.ResponseWriter, r *request) error {
	pg := &page{Title: "Record a signed declaration", Form: map[string][]string{
		"template": {"IL-2021"}, "signed_on": {time.Now().UTC().Format(time.DateOnly)}, "end_user_id": {param(r.Request, "end_user")}}}
	return s.renderDeclarationNew(w, r, pg, "", http.StatusOK)
}

func (s *Server) renderDeclarationNew(w http.ResponseWriter, r *request, pg *page, text string, status int) error {
	ts, err := s.svc.Templates(r.Context(), r.p)
	if err != nil {
		return err
	}
	d := declarationNew{Templates: ts, Text: text}
	if text != "" {
		sum := sha256.Sum256([]byte(text))
		d.SHA256 = hex.EncodeToString(sum[:])
	}
	if r.p.Is(oversight.RoleEndUser) {
		e, err := s.svc.EndUser(r.Context(), r.p, r.p.EndUserID)
		if err != nil {
			return err
		}
		d.EndUsers = []oversight.EndUser{*e}
	} else {
		l, err := s.svc.EndUsers(r.Context(), r.p, "", oversight.Page{Limit: 100})
		if err != nil {
			return err
		}
		d.EndUsers = l.Items
	}
	return s.renderStatus(w, r.Request, r.p, status, "declaration_new", pg.with(d))
}

// declarationRecord gives the text to sign (step "text") or records the
// signed declaration, which the service checks against the agency's key.
func (s *Server) declarationRecord(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	pg := &page{Title: "Record a signed declaration", Form: r.PostForm}
	sub := &oversight.DeclarationSubmission{Template: r.PostFormValue("template"), EndUserID: r.PostFormValue("end_user_id"),
		Signatory: oversight.Signatory{Name: strings.TrimSpace(r.PostFormValue("signatory_name")), Title: strings.TrimSpace(r.PostFormValue("signatory_title"))},
		SignedOn:  strings.TrimSpace(r.PostFormValue("signed_on")), TextSHA256: strings.TrimSpace(r.PostFormValue("text_sha256")),
		Signature: strings.TrimSpace(r.PostFormValue("signature"))}
	step := r.PostFormValue("step") == "text"
	err := previewable(sub.Validate(), step)
	var text []byte
	if err == nil {
		text, err = s.svc.DeclarationText(r.Context(), r.p, sub)
	}
	if err == nil && !step {
		var d *oversight.Declaration
		if d, err = s.svc.RecordDeclaration(r.Context(), r.p, sub); err == nil {
			return redirect(w, r.Request, "/declarations/"+d.ID, "Declaration recorded: its signature verified with the agency's key.")
		}
	}
	status := http.StatusOK
	if err != nil {
		if !formError(pg, err, declarationField) {
			return err
		}
		status = oversight.NewProblem(err).Status
	}
	return s.renderDeclarationNew(w, r, pg, string(text), status)
}

// previewable keeps, for the step that only shows the text to sign, the
// problems of what the text is made of, not those of the signature that
// comes after it.
func previewable(err error, step bool) error {
	var e *oversight.Error
	if !step || !errors.As(err, &e) {
		return err
	}
	var pr oversight.Problems
	for _, f := range e.Fields {
		if f.Field != "text_sha256" && f.Field != "signature" {
			pr.Add(f.Field, "%s", f.Message)
		}
	}
	return pr.Err(e.Message)
}

// declarationField maps signatory.name to the form's signatory_name.
func declarationField(f string) string { return strings.ReplaceAll(f, ".", "_") }

// with sets the page's data and returns it.
func (p *page) with(d any) *page {
	p.Data = d
	return p
}
